/**
 * Register values as affine forms over the registers at a block's entry (`k + Σ coefficient × rN`),
 * followed through 64-bit `mov`, `add` and `sub`: the analysis behind both engines' loop idioms (the
 * JIT's loop versioning and copy loops, the interpreter's copy loops), which need to know where an
 * access's address moves per iteration.
 * @module
 */
import type { Insn } from '../isa/instruction.js';

/** A register's value as a sum of the registers' values on entry to the block, times coefficients, plus a constant. */
export interface Affine {
  /** Coefficient per register number (no zero entries). */
  readonly coeffs: ReadonlyMap<number, number>;
  readonly k: number;
}

/** Largest |coefficient| and |constant| kept: beyond them a value is unknown (so doubles stay exact). */
const MAX_COEFF = 16;
const MAX_CONSTANT = 2 ** 40;

/** Register `reg`'s own value on entry. */
export function registerAffine(reg: number): Affine {
  return { coeffs: new Map([[reg, 1]]), k: 0 };
}

/** The constant `k`. */
export function constantAffine(k: number): Affine {
  return { coeffs: new Map(), k };
}

/** a + m * x + k, or undefined when either is unknown or the result grows past exact, small coefficients. */
export function affineAdd(a: Affine | undefined, m: number, x: Affine | undefined, k: number): Affine | undefined {
  if (a === undefined || x === undefined) return undefined;
  const coeffs = new Map(a.coeffs);
  for (const [r, v] of x.coeffs) {
    const sum = (coeffs.get(r) ?? 0) + m * v;
    if (sum === 0) coeffs.delete(r);
    else coeffs.set(r, sum);
  }
  const kk = a.k + m * x.k + k;
  return Math.abs(kk) < MAX_CONSTANT && [...coeffs.values()].every((v) => Math.abs(v) <= MAX_COEFF) ? { coeffs, k: kk } : undefined;
}

/**
 * What `dst` holds after the 64-bit `op` (`mov`, `add` or `sub`, with a register or immediate
 * operand) of `insn`, given every register's value before it in `state`.
 */
export function affineAlu(state: readonly (Affine | undefined)[], op: 'mov' | 'add' | 'sub', source: 'reg' | 'imm', insn: Insn): Affine | undefined {
  const operand = source === 'reg' ? state[insn.src] : constantAffine(insn.imm);
  return op === 'mov' ? operand : affineAdd(state[insn.dst], op === 'add' ? 1 : -1, operand, 0);
}

/** How much register `reg` grows per pass when it ends a pass as `v`: a constant when `v` is itself plus one, else undefined. */
export function stepOf(v: Affine | undefined, reg: number): number | undefined {
  return v !== undefined && v.coeffs.size === 1 && v.coeffs.get(reg) === 1 ? v.k : undefined;
}

/** How far `addr` moves per pass, given each register's step ({@link stepOf}); NaN when a register it uses has none. */
export function strideOf(addr: Affine, steps: readonly (number | undefined)[]): number {
  let s = 0;
  for (const [r, v] of addr.coeffs) s = steps[r] === undefined ? NaN : s + v * steps[r]!;
  return s;
}
