import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempFiles } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');

describe('tsbpf run --dump-wasm', () => {
  it('writes a valid module and its WAT for a raw program, and still runs it', async () => {
    const dir = tempFiles({ 'loop.s': 'mov r0, 0\nmov r1, 10\nl: add r0, r1\nsub r1, 1\njne r1, 0, l\nexit\n' });
    const out = join(dir, 'loop.wasm');
    const r = await cli(['run', join(dir, 'loop.s'), '--jit', '--dump-wasm', out]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('r0 = 0x37 (55)\n');
    expect(r.err).toMatch(/wrote the JIT's WebAssembly module to .*loop\.wasm \(\d+ bytes\) and its text to .*loop\.wat/);
    const wasm = readFileSync(out);
    expect(WebAssembly.validate(wasm)).toBe(true);
    const wat = readFileSync(join(dir, 'loop.wat'), 'utf8');
    expect(wat).toMatch(/^\(module/);
    expect(wat).toContain('eBPF entry, pc 0');
    expect(wat).toMatch(/\bloop\b/); // the backward jump became a structured loop
  });

  it('dumps the linked program of an ELF object', async () => {
    const dir = tempFiles({});
    const out = join(dir, 'fw.wasm');
    const r = await cli(['run', join(root, 'examples/xdp_firewall.o'), '--mem-hex', '00'.repeat(60), '--dump-wasm', out]);
    expect(r.code).toBe(0);
    expect(WebAssembly.validate(readFileSync(out))).toBe(true);
    expect(existsSync(join(dir, 'fw.wat'))).toBe(true);
  });
});

describe('CLI file writes that fail are user errors naming the path (issue 16, item 12)', () => {
  const program = 'mov r0, 1\nexit\n';

  it('--dump-wasm into a directory that does not exist', async () => {
    const dir = tempFiles({ 'p.s': program });
    const out = join(dir, 'missing', 'p.wasm');
    const r = await cli(['run', join(dir, 'p.s'), '--dump-wasm', out]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsbpf run: ${out}: cannot write: its directory does not exist\n`);
  });

  it('--dump-wasm onto a directory, and its .wat onto a directory', async () => {
    const dir = tempFiles({ 'p.s': program });
    mkdirSync(join(dir, 'taken.wasm'));
    let r = await cli(['run', join(dir, 'p.s'), '--dump-wasm', join(dir, 'taken.wasm')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsbpf run: ${join(dir, 'taken.wasm')}: cannot write: is a directory, not a file\n`);
    mkdirSync(join(dir, 'other.wat'));
    r = await cli(['run', join(dir, 'p.s'), '--dump-wasm', join(dir, 'other.wasm')]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsbpf run: ${join(dir, 'other.wat')}: cannot write: is a directory, not a file\n`);
  });

  it('--dump-wasm under a path whose parent is a file', async () => {
    const dir = tempFiles({ 'p.s': program });
    const out = join(dir, 'p.s', 'x.wasm');
    const r = await cli(['run', join(dir, 'p.s'), '--dump-wasm', out]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsbpf run: ${out}: cannot write: a part of the path is not a directory\n`);
  });

  it('asm -o into a directory that does not exist', async () => {
    const dir = tempFiles({ 'p.s': program });
    const out = join(dir, 'missing', 'p.bin');
    const r = await cli(['asm', join(dir, 'p.s'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tsbpf asm: ${out}: cannot write: its directory does not exist\n`);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
  });
});
