import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { cli, spawnCli, tempFiles, manifest, memArgs } from './helpers.js';


describe('tsbpf run', () => {
  it('runs assembly, bytecode and hex on memory and prints r0 in hex and decimal', async () => {
    const dir = tempFiles({
      'prog.s': 'ldxh r0, [r1+2]\nexit\n',
      'prog.bin': assemble('ldxh r0, [r1+2]\nexit\n'),
      'mem.bin': new Uint8Array([0xaa, 0xbb, 0x11, 0x22]),
    });
    for (const prog of ['prog.s', 'prog.bin']) {
      const r = await cli(['run', join(dir, prog), '--mem', join(dir, 'mem.bin')]);
      expect(r).toMatchObject({ code: 0, out: 'r0 = 0x2211 (8721)\n', err: '' });
    }
    expect((await cli(['run', join(dir, 'prog.s'), '--mem-hex', 'aa bb 11 22'])).out).toBe('r0 = 0x2211 (8721)\n');
    expect((await cli(['run', 'b7000000ffffffff9500000000000000'])).out).toBe(
      'r0 = 0xffffffffffffffff (18446744073709551615, signed -1)\n',
    );
  });
  it('gives r2 the memory length, as EbpfVmRaw does', async () => {
    const dir = tempFiles({ 'len.s': 'mov r0, r2\nexit\n' });
    expect((await cli(['run', join(dir, 'len.s'), '--mem-hex', '00010203040506'])).out).toBe('r0 = 0x7 (7)\n');
  });
  it('reports failures in one line with the error code and exit 1', async () => {
    const dir = tempFiles({ 'oob.s': 'ldxw r0, [r1+8]\nexit\n', 'loop.s': 'l: add r0, 1\nja l\n', 'bad.s': 'mov r10, 1\nexit\n' });
    const oob = await cli(['run', join(dir, 'oob.s'), '--mem-hex', '00']);
    expect(oob.code).toBe(1);
    expect(oob.err).toMatch(/^tsbpf run: E_OUT_OF_BOUNDS: pc 0: out-of-bounds 4-byte load at 0x10000008; mapped regions: .*\n$/);
    const loop = await cli(['run', join(dir, 'loop.s'), '--budget', '1000']);
    expect(loop.code).toBe(1);
    expect(loop.err).toMatch(/^tsbpf run: E_BUDGET_EXCEEDED: /);
    const bad = await cli(['run', join(dir, 'bad.s')]);
    expect(bad.err).toMatch(/^tsbpf run: E_VERIFY: pc 0: mov64 writes r10/);
    expect((await cli(['run', join(dir, 'oob.s'), '--mem', 'x', '--mem-hex', '00'])).code).toBe(2);
    expect((await cli(['run', join(dir, 'oob.s'), '--mem-hex', '0'])).err).toMatch(/memory hex: odd number of hex digits/);
    expect((await cli(['run', join(dir, 'oob.s'), '--mem', join(dir, 'missing')])).err).toMatch(/missing: no such file/);
  });
});

describe('tsbpf disasm', () => {
  it('prints rbpf syntax that reassembles to the same bytes', async () => {
    const prog = manifest.find((t) => t.name === 'call_local.data')!.program;
    const r = await cli(['disasm', prog]);
    expect(r.code).toBe(0);
    expect(Buffer.from(assemble(r.out)).toString('hex')).toBe(prog);
    const llvm = await cli(['disasm', '--llvm', '--labels', '--pc', prog]);
    expect(llvm.out).toMatch(/^\s+0:\tr0 = 0\n/);
    expect(Buffer.from(assemble(llvm.out)).toString('hex')).toBe(prog);
  });
  it('takes --syntax llvm|rbpf, as --llvm does, and rejects other syntaxes', async () => {
    const hex = 'b40000000000000004000000030000009500000000000000';
    expect((await cli(['disasm', '--syntax', 'llvm', hex])).out).toBe('w0 = 0\nw0 += 3\nexit\n');
    expect((await cli(['disasm', '--syntax', 'llvm', hex])).out).toBe((await cli(['disasm', '--llvm', hex])).out);
    expect((await cli(['disasm', '--syntax', 'rbpf', hex])).out).toBe('mov32 r0, 0x0\nadd32 r0, 0x3\nexit\n');
    const bad = await cli(['disasm', '--syntax', 'att', hex]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--syntax takes llvm or rbpf, not 'att'/);
  });
  it('shows the example from its help', async () => {
    expect((await cli(['disasm', 'b40000000000000004000000030000009500000000000000'])).out).toBe(
      'mov32 r0, 0x0\nadd32 r0, 0x3\nexit\n',
    );
  });
  it('rejects a length that is not whole instructions', async () => {
    const dir = tempFiles({ 'short.bin': new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0]) });
    const r = await cli(['disasm', join(dir, 'short.bin')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/11 bytes is not a whole number of 8-byte instructions/);
  });
});

describe('tsbpf conformance-plugin', () => {
  it('passes every manifest test in process (program on stdin, memory argument)', async () => {
    const failures: string[] = [];
    for (const t of manifest) {
      const r = await cli(['conformance-plugin', ...memArgs(t.mem)], t.program + '\n');
      const got = r.code === 0 ? BigInt(r.out.trim()) : undefined;
      if (got !== BigInt.asUintN(64, BigInt(t.result))) failures.push(`${t.name}: ${r.out}${r.err}`);
    }
    expect(failures).toEqual([]);
  });
  it('fails with exit 1 and a message on stderr for a bad program', async () => {
    const r = await cli(['conformance-plugin'], 'b70a000001000000' + '9500000000000000');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/E_VERIFY: pc 0: mov64 writes r10/);
    expect((await cli(['conformance-plugin'], '')).err).toMatch(/no program on stdin/);
  });
  it('works as a separate process, as the official runner calls it', () => {
    const picks = ['ldxb.data', 'mem-len.data', 'call_unwind_fail.data', 'callx.data', 'lddw.data', 'sdiv64-imm.data'];
    for (const name of picks) {
      const t = manifest.find((m) => m.name === name)!;
      const r = spawnCli(['conformance-plugin', ...memArgs(t.mem)], t.program + '\n');
      expect({ name, code: r.code, err: r.err }).toEqual({ name, code: 0, err: '' });
      expect(r.out).toMatch(/^0x[0-9a-f]+\n$/);
      expect(BigInt(r.out.trim())).toBe(BigInt.asUintN(64, BigInt(t.result)));
    }
  }, 60_000);
});
