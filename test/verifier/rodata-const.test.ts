/**
 * Frozen read-only data as constants (issue 14): libbpf freezes `.rodata` and `.kconfig` before
 * loading, and the kernel's verifier takes loads at known offsets from them as constants, pruning the
 * branches they decide. Fixture rodata_const.c: each program's verdict is the kernel's (through
 * libbpf, which freezes), host overrides before loading count, and frozen data cannot change after.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle } from '../kernel/runner.js';
import { analyzeObject } from './objects.js';

const O = fileURLToPath(new URL('../fixtures/elf/rodata_const.o', import.meta.url));
const EXPECTED = { pruned: true, taken: false, indexed: true, wide: true };

function verdicts(obj = loadObject(fixture('rodata_const'), { verify: false })): Record<string, boolean> {
  return Object.fromEntries(analyzeObject(obj).map((r) => [r.name, !r.issues.some((i) => i.severity === 'error')]));
}

describe('frozen .rodata read as constants', () => {
  it('accepts what only pruning makes safe and still rejects the live branch', () => {
    expect(verdicts()).toEqual(EXPECTED);
  });

  it('agrees with the kernel for every program (libbpf freezes .rodata)', (ctx) => {
    const k = kernelOracle();
    if (typeof k === 'string') return ctx.skip();
    const kernel = Object.fromEntries(Object.keys(EXPECTED).map((name) => {
      const [r] = k.exec([{ op: 'obj', path: O, program: name }]);
      if (r?.kind !== 'obj') throw new Error(JSON.stringify(r));
      return [name, r.accepted];
    }));
    expect(kernel).toEqual(EXPECTED);
  }, 60_000);

  it('reads the bytes the host set before loading, and refuses changes once a program is loaded', () => {
    const obj = loadObject(fixture('rodata_const'), { verify: 'kernel' });
    obj.writeVariable('flag_off', new Uint8Array([1, 0, 0, 0]));
    expect(() => obj.program('pruned')).toThrow(/pruned \(socket_filter\).*verify: 'warn'/);
    expect(() => obj.writeVariable('slot', new Uint8Array([9, 0, 0, 0]))).toThrow(/frozen/);
    expect(() => obj.map('.rodata').update(new Uint8Array(4), new Uint8Array(24))).toThrow(/frozen/);
    // Programs run with the values they were verified with.
    const fresh = loadObject(fixture('rodata_const'), { verify: 'kernel' });
    expect(fresh.program('wide').runSocketFilter(new Uint8Array(60))).toBe(2n);
    expect(fresh.program('indexed').runSocketFilter(new Uint8Array(60))).toBe(4n);
  });

  it('takes frozen bytes only from a read-only map of one entry, as given', () => {
    // r1 = map value (lddw src 2, map 7, offset 0); r0 = *(u32 *)(r1 + 0); r0 must be 5 to reach exit with r0 known
    const insns = new Uint8Array([
      0x18, 0x21, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // r1 = map_value(7) + 0
      0x61, 0x10, 0, 0, 0, 0, 0, 0, // r0 = *(u32 *)(r1 + 0)
      0x55, 0x00, 1, 0, 5, 0, 0, 0, // if r0 != 5 goto +1
      0x95, 0, 0, 0, 0, 0, 0, 0, // exit
      0x61, 0x12, 0, 0, 0, 0, 0, 0, // r2 = *(u32 *)(r1 + 0)... then read r3 (uninitialised)
      0xbf, 0x30, 0, 0, 0, 0, 0, 0, // r0 = r3
      0x95, 0, 0, 0, 0, 0, 0, 0,
    ]);
    const frozen = new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0]);
    const check = (m: object) => checkProgram(insns, { level: 'kernel', programType: 'socket_filter', maps: new Map([[7, { type: 2, keySize: 4, valueSize: 8, maxEntries: 1, ...m }]]) }).filter((i) => i.severity === 'error').map((i) => i.rule);
    expect(check({ readOnly: true, frozen })).toEqual([]);
    expect(check({ readOnly: true })).toEqual(['uninit-register']);
    // the address of a value (lddw src 2) is only of a one-entry array: the kernel refuses it for two entries (ENOTSUPP)
    expect(check({ readOnly: true, frozen, maxEntries: 2 })[0]).toBe('map-value-access');
    expect(() => check({ frozen })).toThrow(/readOnly/);
    expect(() => check({ readOnly: true, frozen: new Uint8Array(3) })).toThrow(/valueSize/);
  });
});
