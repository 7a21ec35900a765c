/**
 * The region cache's windows (lower-memory.ts `pushWindow`): an access of s bytes through the cache may
 * start up to size - s past the region's base, and an access group (emit-block.ts `group`) checks its
 * whole span once, then runs its unchecked copy or, on a miss, its accesses checked one by one. An
 * off-by-one in a window lets the JIT read past a region (a wrong result, no fault) or fault where the
 * interpreter does not; a window left standing when the cache is emptied does the same. Checked against
 * the interpreter (result, instructions charged, error class, code and pc), for spans of 1 to 11 bytes
 * ending at, before and after a region's last byte, in regions of 3, 8, 9 and 40 bytes (under 8 the
 * cache never hits).
 */
import { describe, it, expect } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { MemoryAccessError } from '../../src/errors.js';
import { EbpfVmRaw } from '../../src/vm/vm.js';
import { Program } from './harness.js';
import { everyBudget, sameAtBudget } from './budget-harness.js';

const SIZES = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
type Size = keyof typeof SIZES;

/**
 * Two accesses through r3 (an access group: one check for their span), `s1` bytes at r3 and `s2` at
 * r3 + d, where r3 = the input's end + past - span; a first byte load fills the cache with the input.
 * `store` makes the second access a store of the first's value.
 */
const pair = (s1: Size, s2: Size, d: number, past: number, store: boolean): string => {
  const span = Math.max(s1, d + s2);
  return `
    r6 = *(u8 *)(r1 + 0)
    r3 = r1
    r3 += r2
    r3 += ${past - span}
    r0 = *(${SIZES[s1]} *)(r3 + 0)
    ${store ? `*(${SIZES[s2]} *)(r3 + ${d}) = r0` : `r5 = *(${SIZES[s2]} *)(r3 + ${d})`}
    ${store ? `r5 = *(u8 *)(r3 + 0)` : ''}
    r0 += r5
    r0 += r6
    exit`;
};

describe('JIT region cache windows vs interpreter', () => {
  it('spans of 1-11 bytes at a region end, one byte before and past it, in small and large regions', () => {
    let faults = 0;
    let passes = 0;
    for (const length of [3, 8, 9, 40]) {
      const input = Uint8Array.from({ length }, (_, k) => (k * 37 + 11) & 0xff);
      for (const s1 of [1, 2, 4, 8] as const) {
        for (const s2 of [1, 2, 4, 8] as const) {
          for (const d of [0, 3]) {
            for (const past of [-1, 0, 1]) {
              for (const store of [false, true]) {
                const program = new Program(assemble(pair(s1, s2, d, past, store)));
                const full = sameAtBudget(program, input, 1000);
                if ('charged' in full) {
                  passes++;
                  sameAtBudget(program, input, full.charged - 1);
                } else faults++;
              }
            }
          }
        }
      }
    }
    expect(faults).toBeGreaterThan(0);
    expect(passes).toBeGreaterThan(0);
  });

  it('a two-byte span walking back from past a region end, in a loop', () => {
    // The first iterations' spans may end past the input (a fault at the interpreter's pc and count),
    // the later ones inside it, at its last byte or just before.
    for (const length of [8, 9, 16]) {
      const input = Uint8Array.from({ length }, (_, k) => k + 1);
      for (const past of [-1, 0, 1, 2]) {
        const program = new Program(
          assemble(`
    r0 = 0
    r3 = r1
    r3 += r2
    r3 += ${past - 2}
    r4 = 0
  loop:
    r5 = *(u8 *)(r3 + 0)
    r6 = *(u8 *)(r3 + 1)
    r0 += r5
    r0 += r6
    r3 += -1
    r4 += 1
    if r4 < 3 goto loop
    exit`),
        );
        everyBudget(program, input, 60);
      }
    }
  });

  it('a shorter input on the next run: the windows the last run left are emptied with the cache', () => {
    // Two byte loads through r1: one check of their span against the 2-byte window.
    const vm = new EbpfVmRaw(assemble('ldxb r0, [r1+6]\nldxb r2, [r1+7]\nadd r0, r2\nexit'));
    for (const long of [8, 16]) {
      expect(vm.executeProgramJit(new Uint8Array(long).fill(9))).toBe(18n);
      expect(() => vm.executeProgramJit(new Uint8Array(7))).toThrow(MemoryAccessError);
      expect(() => vm.executeProgramJit(new Uint8Array(4))).toThrow(MemoryAccessError);
    }
  });
});
