/**
 * Externs the host provides (fixture externs.c; libbpf's semantics, LoadOptions.ksyms / kfuncs):
 * kernel symbols by address or by contents, weak ones nobody provides (0), kfuncs with the shape of
 * helpers checked against the object's BTF prototype, a weak kfunc called anyway, an inline-assembly
 * constant, a function defined nowhere, per-program refusals naming every missing extern, and hostile
 * host tables. What the kernel does with the same weak externs is test/kernel/objects.test.ts
 * (fixture externs_kernel.c).
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, EbpfError, MemoryAccessError, ObjectFileError } from '../../src/errors.js';
import { MAX_KSYM_BYTES, symbolText } from '../../src/elf/externs.js';
import type { LoadOptions } from '../../src/elf/loader.js';
import { load } from './fixtures.js';
import { cli } from '../cli/helpers.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKET = new Uint8Array(64);
const ENGINES = [false, true] as const;

/** r0 of one program on both engines (they must agree). */
function r0(name: string, options: LoadOptions = {}): bigint {
  const [a, b] = ENGINES.map((jit) => load('externs', options).program(name).runXdp(PACKET, { jit }).r0);
  expect(b).toBe(a);
  return a!;
}

const add = (a: bigint, b: bigint): bigint => a + b;

describe('kernel symbols (__ksym)', () => {
  it('an untyped ksym loads the address the host gives; without one only its program is refused, naming it', () => {
    expect(r0('untyped_address', { ksyms: { tsbpf_untyped: 0x1234_5678n } })).toBe(0x1234_5678n);
    const obj = load('externs');
    expect(() => obj.program('untyped_address')).toThrow(ObjectFileError);
    expect(() => obj.program('untyped_address')).toThrow(/program untyped_address uses an extern the host does not provide: kernel symbol tsbpf_untyped \(__ksym\) is not provided/);
    expect(obj.program('weak_untyped').runXdp(PACKET).action).toBe(2);
  });

  it('an untyped ksym takes its address from a kallsyms file the user passes; ksyms wins; typed ksyms do not', () => {
    const kallsyms = 'ffffffff81000000 T _stext\nffffffffc0a01230 d tsbpf_untyped\t[some_module]\nffffffff82000000 D tsbpf_counters\n';
    expect(r0('untyped_address', { kallsyms })).toBe(0xffff_ffff_c0a0_1230n);
    expect(r0('untyped_address', { kallsyms, ksyms: { tsbpf_untyped: 7n } })).toBe(7n);
    expect(() => load('externs', { kallsyms }).program('typed_read')).toThrow(/kernel symbol tsbpf_counters \(__ksym\) is not provided/);
    expect(() => load('externs', { kallsyms: '0 T _stext' }).program('untyped_address')).toThrow(/tsbpf_untyped .* or a kallsyms file that lists it \(the kallsyms option, --kallsyms FILE\)/);
    expect(() => load('externs', { kallsyms: 'ffffffff81000000 T _stext\nnot a line' })).toThrow(/kallsyms line 2: "not a line" is not 'ADDRESS TYPE NAME \[MODULE\]'/);
    expect(() => load('externs', { kallsyms: 5 as never })).toThrow(ArgumentError);
  });

  it('a weak ksym nobody provides is 0; given, it is its address', () => {
    expect(r0('weak_untyped')).toBe(2n);
    expect(r0('weak_untyped', { ksyms: { tsbpf_weak_untyped: 5 } })).toBe(1n);
  });

  it('a typed ksym reads the bytes the host gives, mapped read-only', () => {
    const counters = Uint8Array.of(3, 0, 0, 0, 4, 0, 0, 0);
    // The kernel-level analysis (the default) reads the symbols' bytes as read-only data of their size.
    expect(r0('typed_read', { ksyms: { tsbpf_counters: counters } })).toBe(7n);
    expect(r0('typed_read', { ksyms: { tsbpf_counters: counters, tsbpf_weak_counters: Uint8Array.of(0, 0, 0, 0, 9, 0, 0, 0) } })).toBe(109n);
    for (const jit of ENGINES) {
      expect(() => load('externs', { ksyms: { tsbpf_counters: counters }, verify: 'warn' }).program('typed_write').runXdp(PACKET, { jit })).toThrow(/read-only|out-of-bounds/);
    }
    // The host's array is copied: changing it after the load changes nothing.
    const obj = load('externs', { ksyms: { tsbpf_counters: counters }, verify: 'warn' });
    counters[0] = 100;
    expect(obj.program('typed_read').runXdp(PACKET).r0).toBe(7n);
  });

  it('a typed ksym given an address, or too few bytes, is refused with what it needs', () => {
    expect(() => load('externs', { ksyms: { tsbpf_counters: 0x1000n } }).program('typed_read')).toThrow(/typed kernel symbol tsbpf_counters \(8 bytes\) needs its contents, not an address/);
    expect(() => load('externs', { ksyms: { tsbpf_counters: new Uint8Array(4) } }).program('typed_read')).toThrow(/tsbpf_counters is 8 bytes in the object's BTF, but ksyms gives 4/);
  });

  it('an inline-assembly constant with no BTF takes its value from ksyms', () => {
    expect(r0('asm_constant', { ksyms: { TSBPF_CONSTANT: 42n } })).toBe(42n);
    expect(r0('asm_constant', { ksyms: { TSBPF_CONSTANT: -1n } })).toBe(0xffff_ffff_ffff_ffffn);
    expect(() => load('externs').program('asm_constant')).toThrow(/extern symbol TSBPF_CONSTANT has no value: .*--ksym TSBPF_CONSTANT=VALUE/);
  });
});

describe('kfuncs', () => {
  it('a host kfunc is called like a helper; bpf_rcu_read_lock / unlock are built in', () => {
    expect(r0('call_kfunc', { kfuncs: { tsbpf_add: add } })).toBe(1064n);
    expect(r0('call_kfunc', { kfuncs: { tsbpf_add: { fn: add, args: 2 } } })).toBe(1064n);
    // The kernel-level analysis takes a kfunc's result as any scalar, and only warns.
    const obj = load('externs', { kfuncs: { tsbpf_add: add }, verify: 'kernel' });
    expect(obj.program('call_kfunc').runXdp(PACKET).r0).toBe(1064n);
  });

  it('a kfunc whose declared argument count differs from the object\'s BTF prototype is refused', () => {
    expect(() => load('externs', { kfuncs: { tsbpf_add: { fn: add, args: 3 } } }).program('call_kfunc')).toThrow(
      /kfunc tsbpf_add takes 2 arguments in the object's BTF, but the host's implementation declares 3/,
    );
  });

  it('every missing kfunc of a program is named at once, and only that program is refused', () => {
    const obj = load('externs');
    let error: unknown;
    try {
      obj.program('two_kfuncs');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ObjectFileError);
    expect((error as Error).message).toMatch(/uses 2 externs the host does not provide: kfunc tsbpf_add is not provided.*; kfunc tsbpf_other_kfunc is not provided/);
    expect((error as EbpfError).details).toMatchObject({ externs: ['tsbpf_add', 'tsbpf_other_kfunc'] });
    expect(obj.program('weak_kfunc_guarded').runXdp(PACKET).r0).toBe(7n);
  });

  it('a weak kfunc nobody provides has address 0; a reachable call is refused as the kernel refuses it, and run anyway stops naming it', () => {
    expect(r0('weak_kfunc_guarded')).toBe(7n);
    expect(r0('weak_kfunc_guarded', { kfuncs: { tsbpf_weak_kfunc: () => 9n } })).toBe(9n);
    expect(() => load('externs').program('weak_kfunc_unguarded')).toThrow(/invalid func unknown#\d+: kfunc tsbpf_weak_kfunc is weak and not provided/);
    for (const jit of ENGINES) {
      expect(() => load('externs', { verify: 'warn' }).program('weak_kfunc_unguarded').runXdp(PACKET, { jit })).toThrow(/called weak kfunc tsbpf_weak_kfunc, which the host does not provide/);
    }
  });

  it('a pointer a kfunc makes up faults when the program dereferences it', () => {
    for (const jit of ENGINES) {
      // verify: 'warn': the kernel refuses the dereference of a kfunc's scalar result at load; the run-time fault is tested here
      const run = (): unknown => load('externs', { kfuncs: { tsbpf_add: () => 0xdead_0000n }, verify: 'warn' }).program('deref_kfunc').runXdp(PACKET, { jit });
      expect(run).toThrow(MemoryAccessError);
    }
  });

  it('a function declared but defined nowhere is refused, or taken from kfuncs', () => {
    expect(() => load('externs').program('calls_undefined')).toThrow(/function undefined_function is declared but not defined in this object/);
    expect(r0('calls_undefined', { kfuncs: { undefined_function: (x: bigint) => x + 1n } })).toBe(2n);
  });
});

describe('hostile host tables', () => {
  it('refuses names that are not symbols, values that are neither addresses nor bytes, and too many bytes', () => {
    expect(() => load('externs', { ksyms: { 'a b': 1n } })).toThrow(ArgumentError);
    expect(() => load('externs', { ksyms: { ['x'.repeat(600)]: 1n } })).toThrow(/not a symbol name/);
    expect(() => load('externs', { ksyms: { x: 1.5 } as never })).toThrow(/must be an address/);
    expect(() => load('externs', { ksyms: { x: 1n << 64n } })).toThrow(/must be an address/);
    expect(() => load('externs', { ksyms: { x: new Uint8Array(0) } })).toThrow(/1 byte to/);
    expect(() => load('externs', { ksyms: { a: new Uint8Array(MAX_KSYM_BYTES), b: new Uint8Array(1) } })).toThrow(ArgumentError);
    expect(() => load('externs', { ksyms: [] as never })).toThrow(/ksyms must be an object/);
    expect(() => load('externs', { kfuncs: { tsbpf_add: 5 } as never })).toThrow(/kfuncs.tsbpf_add must be a function/);
    expect(() => load('externs', { kfuncs: { tsbpf_add: { fn: add, args: 6 } } })).toThrow(ArgumentError);
  });

  it('a huge symbol table costs only what the object uses', () => {
    const ksyms: Record<string, bigint> = {};
    for (let i = 0; i < 100_000; i++) ksyms[`sym_${i}`] = BigInt(i);
    ksyms.tsbpf_untyped = 77n;
    const obj = load('externs', { ksyms });
    expect(obj.maps.has('.ksyms')).toBe(false);
    expect(obj.program('untyped_address').runXdp(PACKET).r0).toBe(77n);
  });

  it('messages quote symbol names that are not plain identifiers', () => {
    expect(symbolText('bpf_init')).toBe('bpf_init');
    expect(symbolText('a\nb')).toBe('"a\\nb"');
    expect(symbolText('y'.repeat(200))).toMatch(/^"y{80}\.\.\."$/);
  });
});

describe('tsbpf run --ksym / --kfunc', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const O = `${root}test/fixtures/elf/externs.o`;
  const pkt = '00'.repeat(64);
  const json = async (args: string[]): Promise<{ r0Decimal: string }> => {
    const r = await cli(['run', O, '--packet-hex', pkt, '--json', ...args]);
    expect(r.err).toBe('');
    return JSON.parse(r.out) as { r0Decimal: string };
  };

  it('passes addresses, contents and kfunc stubs to the loader, and reports bad ones as one-line errors', async () => {
    expect(await json(['--program', 'asm_constant', '--ksym', 'TSBPF_CONSTANT=0x2a'])).toMatchObject({ r0Decimal: '42' });
    const file = join(mkdtempSync(join(tmpdir(), 'tsbpf-ksym-')), 'counters.bin');
    writeFileSync(file, Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0));
    expect(await json(['--program', 'typed_read', '--ksym', `tsbpf_counters=@${file}`])).toMatchObject({ r0Decimal: '3' });
    expect(await json(['--program', 'weak_kfunc_guarded', '--kfunc', 'tsbpf_weak_kfunc=11'])).toMatchObject({ r0Decimal: '11' });
    const missing = await cli(['run', O, '--program', 'two_kfuncs', '--packet-hex', pkt]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/kfunc tsbpf_add is not provided.*kfunc tsbpf_other_kfunc is not provided/);
    expect(missing.err).not.toMatch(/\n\s+at /);
    expect((await cli(['run', O, '--ksym', 'nonsense'])).err).toMatch(/--ksym nonsense: expected NAME=ADDRESS or NAME=@FILE/);
    expect((await cli(['run', O, '--kfunc', 'f=abc'])).err).toMatch(/--kfunc f=abc: VALUE must be an integer/);
  });

  it('--kallsyms FILE gives untyped ksyms their addresses, and a malformed file is a one-line error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-kallsyms-'));
    writeFileSync(join(dir, 'kallsyms'), '0000000000001000 T _stext\n000000000000abcd d tsbpf_untyped [mod]\n');
    writeFileSync(join(dir, 'bad'), 'zz T x\n');
    expect(await json(['--program', 'untyped_address', '--kallsyms', join(dir, 'kallsyms')])).toMatchObject({ r0Decimal: String(0xabcd) });
    const bad = await cli(['run', O, '--program', 'untyped_address', '--packet-hex', pkt, '--kallsyms', join(dir, 'bad')]);
    expect(bad.err).toMatch(/--kallsyms .*bad: kallsyms line 1: "zz T x" is not/);
    expect(bad.err).not.toMatch(/\n\s+at /);
  });
});
