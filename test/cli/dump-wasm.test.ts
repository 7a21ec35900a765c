import { existsSync, readFileSync } from 'node:fs';
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
