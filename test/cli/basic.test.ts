import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/cli.js';
import { parseHex } from '../../src/cli/input.js';
import { cli, spawnCli, tempFiles } from './helpers.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const ADD_HEX = 'b4000000000000000400000003000000' + '9500000000000000';

describe('global behaviour', () => {
  it('lists commands in --help and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(c.name);
  });
  it('exits 2 without a command and on an unknown one', async () => {
    expect((await cli([])).code).toBe(2);
    const r = await cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("tsbpf: unknown command 'frobnicate'\nRun 'tsbpf --help' for the list of commands.\n");
  });
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await cli(['--version'])).out).toBe(`tsbpf ${pkg.version}\n`);
  });
  it('has --help with a real example on every command', async () => {
    for (const c of COMMANDS) {
      const r = await cli([c.name, '--help']);
      expect(r.code, c.name).toBe(0);
      expect(r.out, c.name).toMatch(new RegExp(`^Usage: tsbpf ${c.name}`));
      expect(r.out, c.name).toMatch(/Example:\n(\s+\$ .*\n)*?\s+\$ .*\btsbpf /);
      expect((await cli(['help', c.name])).out).toBe(r.out);
    }
  });
  it('reports usage errors in one line with exit code 2', async () => {
    const r = await cli(['verify', '--bogus', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("tsbpf verify: unknown option --bogus\nRun 'tsbpf verify --help' for usage.\n");
    expect((await cli(['verify'])).err).toMatch(/^tsbpf verify: missing PROG\n/);
    expect((await cli(['verify', 'a', 'b'])).err).toMatch(/unexpected argument 'b'/);
    expect((await cli(['verify', '--cpu'])).err).toMatch(/--cpu needs a value/);
  });
});

describe('program input', () => {
  it('decodes hex in the usual spellings', () => {
    expect([...parseHex('0x95 00\n0000,00 00 00 00', 'x')]).toEqual([0x95, 0, 0, 0, 0, 0, 0, 0]);
    expect([...parseHex('\\x95\\x00', 'x')]).toEqual([0x95, 0]);
  });
  it('rejects missing files, bad hex and odd lengths with one line and exit 1', async () => {
    const dir = tempFiles({ 'odd.hex': 'b40\n', 'bad.hex': 'b4 zz\n' });
    const cases: [string, RegExp][] = [
      [join(dir, 'nope.bin'), /nope\.bin: no such file \(and not a hex string\)$/],
      ['b7000', /program hex: odd number of hex digits \(5\); every byte needs two$/],
      [join(dir, 'odd.hex'), /odd\.hex: line 1, column 1: /],
      [dir, /is a directory/],
    ];
    for (const [arg, re] of cases) {
      const r = await cli(['verify', arg]);
      expect(r.code, arg).toBe(1);
      expect(r.err.trimEnd(), arg).toMatch(re);
      expect(r.err.trim().split('\n'), arg).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
  it('reads raw bytecode, hex files, assembly files and stdin alike', async () => {
    const dir = tempFiles({
      'add.bin': hex(ADD_HEX),
      'add.hex': ADD_HEX.replace(/(.{16})/g, '$1\n'),
      'add.s': 'mov32 r0, 0\nadd32 r0, 3\nexit\n',
    });
    for (const f of ['add.bin', 'add.hex', 'add.s']) {
      const r = await cli(['verify', join(dir, f)]);
      expect(r.out).toBe(`${join(dir, f)}: OK (3 instructions)\n`);
    }
    expect((await cli(['verify', '-'], ADD_HEX)).out).toBe('<stdin>: OK (3 instructions)\n');
    expect((await cli(['verify', ADD_HEX])).out).toBe('<hex>: OK (3 instructions)\n');
  });
});

describe('tsbpf verify', () => {
  it('lists every problem with its pc and exits 1', async () => {
    // mov64 r11, 0 ; lddw with a map fd ; ja +5
    const r = await cli(['verify', 'b70b000000000000' + '1811000001000000' + '0000000000000000' + '0500050000000000']);
    expect(r.code).toBe(1);
    expect(r.out.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^<hex>: pc 0: error \[register\]: mov64: dst register r11 does not exist; use r0-r10$/),
      expect.stringMatching(/^<hex>: pc 1: error \[pseudo-load\]: lddw with source 1 \(map by fd\)/),
      expect.stringMatching(/^<hex>: pc 3: error \[jump-out-of-range\]: ja \+5 goes to slot 9/),
      '<hex>: rejected: 3 errors',
    ]);
  });
  it('honours --cpu, --strict, --helpers and --allow-pseudo', async () => {
    const sdiv = 'b7000000060000003700010003000000' + '9500000000000000';
    expect((await cli(['verify', sdiv])).code).toBe(0);
    const v3 = await cli(['verify', '--cpu', '3', sdiv]);
    expect(v3.code).toBe(1);
    expect(v3.out).toMatch(/pc 1: error \[cpu-version\]: sdiv64 needs instruction set v4/);
    const shift = 'b70000000100000067000000400000009500000000000000';
    expect((await cli(['verify', shift])).out).toMatch(/warning \[shift-range\][^\n]*\n<hex>: OK \(3 instructions, 1 warning\)\n$/);
    expect((await cli(['verify', '--strict', shift])).code).toBe(1);
    const call7 = '85000000070000009500000000000000';
    expect((await cli(['verify', '--helpers', '1,5', call7])).out).toMatch(/unknown-helper/);
    expect((await cli(['verify', '--helpers=5,7', call7])).code).toBe(0);
    const mapLoad = '18110000010000000000000000000000' + '9500000000000000';
    expect((await cli(['verify', '--allow-pseudo', mapLoad])).code).toBe(0);
  });
});

describe('tsbpf asm', () => {
  it('prints hex by default and writes raw or hex files with -o', async () => {
    const dir = tempFiles({ 'add.s': 'mov32 r0, 0\nadd32 %r0, 3\nexit\n' });
    const r = await cli(['asm', join(dir, 'add.s')]);
    expect(r).toMatchObject({ code: 0, out: 'b400000000000000\n0400000003000000\n9500000000000000\n' });
    expect((await cli(['asm', join(dir, 'add.s'), '-o', join(dir, 'add.bin')])).code).toBe(0);
    expect(Buffer.from(readFileSync(join(dir, 'add.bin'))).toString('hex')).toBe(ADD_HEX);
    await cli(['asm', join(dir, 'add.s'), '--hex', '--output', join(dir, 'add.hex')]);
    expect(readFileSync(join(dir, 'add.hex'), 'utf8')).toBe(r.out);
    expect([...(await cli(['asm', '-', '-o', '-'], 'exit\n')).bytes]).toEqual([0x95, 0, 0, 0, 0, 0, 0, 0]);
  });
  it('reports assembly errors with file, line and column', async () => {
    const dir = tempFiles({ 'bad.s': 'exit\nmov32 r0,\n' });
    const r = await cli(['asm', join(dir, 'bad.s')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^tsbpf asm: ${join(dir, 'bad.s')}: line 2, column \\d+: expected`));
  });
});

describe('the real executable', () => {
  it('exits with the codes and streams a shell sees', () => {
    const ok = spawnCli(['verify', ADD_HEX]);
    expect(ok).toEqual({ code: 0, out: '<hex>: OK (3 instructions)\n', err: '' });
    const bad = spawnCli(['verify', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('tsbpf verify: nope: no such file (and not a hex string)\n');
    const usage = spawnCli(['verify', '--debug', '--what']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/^tsbpf verify: unknown option --what\n.*\nUsageError: unknown option --what\n\s+at /s);
  }, 60_000);
});
