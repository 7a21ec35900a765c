/**
 * The run-time guards of versioned loops (emit-loops.ts decides which loops are versioned; loop-shapes.ts
 * finds their shapes): a counted loop's guard proves once per entry that every iteration's accesses
 * lie in the cached region and the budget pays for all of them; a chunked loop's guard computes how
 * many iterations can run check-free from here; a copy loop becomes one `memory.copy`. Each emits
 * WebAssembly only, over the compiler's scratch locals.
 * @module
 */
import type { Affine } from '../verifier/affine.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op } from '../wasm/opcodes.js';
import { Global } from './layout.js';
import { constantOf, slotOf } from './induction.js';
import { MAX_STRIDE, type ChunkedLoop, type CopyLoop, type CountedLoop } from './loop-shapes.js';
import { pushWindow } from './lower-memory.js';
import { L_A, L_BUDGET, L_D, L_FP, L_K, L_LIM, L_S0, L_T, L_T2 } from './locals.js';

/** Most iterations a chunked loop runs check-free before its guard is evaluated again. */
const MAX_CHUNK = 2 ** 30;
/** Counted loops: largest trip count the versioning guard accepts (no 64-bit wrap below it and MAX_STRIDE). */
const MAX_TRIPS = 2 ** 32;

/** The size of the load or store at a pc (one of the loop's covered accesses). */
export type AccessSize = (pc: number) => 1 | 2 | 4 | 8;

/** Zero-extending loads by size. */
const LOAD: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load };

/**
 * Push the value of an affine address expression (k + Σ coefficient × term) as an i64; a term is a
 * register, or a frame slot (induction.ts's slot terms, read from the frame through L_FP).
 */
export function emitAffine(c: CodeWriter, addr: Affine): void {
  let terms = 0;
  for (const [r, v] of addr.coeffs) {
    const slot = slotOf(r);
    if (slot === undefined) c.get(r);
    else c.get(L_FP).mem(LOAD[slot.size], slot.offset);
    if (v !== 1) c.i64(v).op(Op.i64_mul);
    if (terms++ > 0) c.op(Op.i64_add);
  }
  if (terms === 0) c.i64(addr.k);
  else if (addr.k !== 0) c.i64(addr.k).op(Op.i64_add);
}

/** A form's terms and their coefficients, without its constant: accesses with the same key differ by a constant. */
function linearKey(f: Affine): string {
  return [...f.coeffs].sort((x, y) => x[0] - y[0]).map(([r, v]) => `${r}:${v}`).join(',');
}

/**
 * The accesses a guard must check to cover them all: of those with the same terms and stride (one base
 * at several constant offsets), the lowest-starting and the highest-ending one. In every iteration the
 * others lie between those two, inside a region (contiguous) that holds both.
 */
export function extremeAccesses<A extends { readonly addr: Affine; readonly stride: Affine | number; readonly pc: number }>(accesses: readonly A[], sizeOf: AccessSize): A[] {
  const groups = new Map<string, { lo: A; hi: A }>();
  for (const a of accesses) {
    const key = `${linearKey(a.addr)}|${typeof a.stride === 'number' ? a.stride : `${a.stride.k};${linearKey(a.stride)}`}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { lo: a, hi: a });
    else {
      if (a.addr.k < g.lo.addr.k) g.lo = a;
      if (a.addr.k + sizeOf(a.pc) > g.hi.addr.k + sizeOf(g.hi.pc)) g.hi = a;
    }
  }
  return [...groups.values()].flatMap((g) => (g.lo === g.hi ? [g.lo] : [g.lo, g.hi]));
}

/**
 * L_K = how many iterations, from this one, every covered access stays in the cached region (the
 * window of its size) and every range condition in [0, 2^32), capped at MAX_CHUNK; 0 when an access's
 * first address or a condition's first value is outside, or (`offStack`) when the cached region is the stack.
 */
export function emitChunkGuard(c: CodeWriter, loop: ChunkedLoop, cost: number, sizeOf: AccessSize, offStack: boolean): void {
  c.i64(MAX_CHUNK).set(L_T);
  // Iterations k with 0 <= L_T2 + k * stride <= window - 1 (L_T2 an offset in the window when below it).
  const within = (stride: number, window: () => void): void => {
    if (stride > 0) {
      window();
      c.i64(1).op(Op.i64_sub).get(L_T2).op(Op.i64_sub).i64(stride).op(Op.i64_div_u).i64(1).op(Op.i64_add);
    } else if (stride < 0) c.get(L_T2).i64(-stride).op(Op.i64_div_u).i64(1).op(Op.i64_add);
    else c.i64(MAX_CHUNK);
    c.i64(0).get(L_T2);
    window();
    c.op(Op.i64_lt_u).op(Op.select).set(L_LIM);
    c.get(L_T).get(L_LIM).get(L_T).get(L_LIM).op(Op.i64_lt_u).op(Op.select).set(L_T);
  };
  for (const a of extremeAccesses(loop.accesses, sizeOf)) {
    const size = sizeOf(a.pc);
    // L_T2 = first address - cache base.
    emitAffine(c, a.addr);
    c.gget(Global.cacheBase).op(Op.i64_sub).set(L_T2);
    within(a.stride, () => pushWindow(c, size));
  }
  // The slots the forms read are not in the cached region, which the covered stores write.
  if (offStack) c.i64(0).get(L_T).gget(Global.cacheBase).gget(Global.stackBase).op(Op.i64_eq).op(Op.select).set(L_T);
  for (const r of loop.ranges) {
    emitAffine(c, r.form);
    c.set(L_T2);
    within(r.stride, () => c.i64(2 ** 32));
  }
  // No more iterations than the budget pays for at the cycle's full cost, so no charge can fail.
  c.get(L_BUDGET).i64(cost).op(Op.i64_div_s).i64(0).get(L_BUDGET).i64(0).op(Op.i64_ge_s).op(Op.select).set(L_LIM);
  c.get(L_T).get(L_LIM).get(L_T).get(L_LIM).op(Op.i64_lt_u).op(Op.select).set(L_T);
  c.get(L_T).op(Op.i32_wrap_i64).set(L_K);
}

/**
 * Push an i32, non-zero when the counted loop's trip count N is known (x < y, or x > y counting down,
 * with `!=` a distance the step divides; y below 2^62 so that no value wraps, N at most MAX_TRIPS, a stride that is a form between -MAX_STRIDE and MAX_STRIDE),
 * the budget covers N iterations of `length`, every range condition holds on the first and last
 * iterations and, for every covered access, the first and last iterations' addresses lie in the
 * cached region (the window of its size). Each is affine in the iteration with a small stride, so
 * everything between lies inside too. N may exceed the iterations run (the budget may stop the
 * loop first): the check is then stricter than needed, never weaker. With `offStack`, also that the
 * cached region is not the stack.
 */
export function emitLoopGuard(c: CodeWriter, loop: CountedLoop, length: number, sizeOf: AccessSize, offStack: boolean): void {
  // (`length`: what one iteration charges at most, its way back included.)
  const k = constantOf(loop.step);
  if (k === undefined) {
    // L_LIM = the step when it is in [1, MAX_STRIDE] (L_A = 1), else 1 (L_A = 0: the guard fails).
    emitAffine(c, loop.step);
    c.tee(L_LIM).i64(1).op(Op.i64_sub).i64(MAX_STRIDE).op(Op.i64_lt_u).set(L_A);
    c.get(L_LIM).i64(1).get(L_A).op(Op.select).set(L_LIM);
  }
  // L_T = N - 1 = (y - x + step - 1) / step - 1; counting down, (x - y + |step| - 1) / |step| - 1.
  const [lo, hi] = loop.down ? [loop.y, loop.x] : [loop.x, loop.y];
  const m = k === undefined ? undefined : Math.abs(k);
  emitAffine(c, hi);
  emitAffine(c, lo);
  c.op(Op.i64_sub);
  if (m === undefined) c.get(L_LIM).op(Op.i64_add).i64(1).op(Op.i64_sub).get(L_LIM).op(Op.i64_div_u);
  else if (m !== 1) {
    // With `!=`, x meets y only when the step divides the distance (else it skips over y).
    if (loop.exact) c.tee(L_T2);
    c.i64(m - 1).op(Op.i64_add).i64(m).op(Op.i64_div_u);
  }
  c.i64(1).op(Op.i64_sub).set(L_T);
  emitAffine(c, lo);
  emitAffine(c, hi);
  c.op(Op.i64_lt_u);
  if (loop.exact && m !== undefined && m !== 1) c.get(L_T2).i64(m).op(Op.i64_rem_u).op(Op.i64_eqz).op(Op.i32_and);
  emitAffine(c, hi);
  c.i64(62).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_and);
  c.get(L_T).i64(MAX_TRIPS).op(Op.i64_lt_u).op(Op.i32_and);
  if (k === undefined) c.get(L_A).op(Op.i32_and);
  // The registers the analysis took to be equal are (see induction.ts).
  for (const [b, a] of loop.aliases) c.get(b).get(a).op(Op.i64_eq).op(Op.i32_and);
  // The slots the forms read are not in the cached region, which the covered stores write.
  if (offStack) c.gget(Global.cacheBase).gget(Global.stackBase).op(Op.i64_ne).op(Op.i32_and);
  // The budget covers all N iterations, so none of their charges can fail.
  c.get(L_T).i64(1).op(Op.i64_add).i64(length).op(Op.i64_mul).get(L_BUDGET).op(Op.i64_le_s).op(Op.i32_and);
  // Push the last iteration's value of a form whose first is in L_T2 (under the i32 conjunction,
  // which a stride form out of [-MAX_STRIDE, MAX_STRIDE] fails: the product could wrap).
  const last = (stride: Affine): void => {
    const s = constantOf(stride);
    if (s === undefined) {
      emitAffine(c, stride);
      c.tee(L_S0).i64(MAX_STRIDE).op(Op.i64_add).i64(2 * MAX_STRIDE + 1).op(Op.i64_lt_u).op(Op.i32_and);
    }
    c.get(L_T2).get(L_T);
    if (s !== undefined) c.i64(s);
    else c.get(L_S0);
    c.op(Op.i64_mul).op(Op.i64_add);
  };
  for (const r of loop.ranges) {
    emitAffine(c, r.form);
    c.tee(L_T2).i64(2 ** 32).op(Op.i64_lt_u).op(Op.i32_and);
    if (constantOf(r.stride) !== 0) {
      last(r.stride);
      c.i64(2 ** 32).op(Op.i64_lt_u).op(Op.i32_and);
    }
  }
  for (const a of extremeAccesses(loop.accesses, sizeOf)) {
    const size = sizeOf(a.pc);
    // L_T2 = the first iteration's address.
    emitAffine(c, a.addr);
    c.tee(L_T2).gget(Global.cacheBase).op(Op.i64_sub);
    pushWindow(c, size);
    c.op(Op.i64_lt_u).op(Op.i32_and);
    if (constantOf(a.stride) !== 0) {
      last(a.stride);
      c.gget(Global.cacheBase).op(Op.i64_sub);
      pushWindow(c, size);
      c.op(Op.i64_lt_u).op(Op.i32_and);
    }
  }
}



/**
 * In a counted copy loop's guarded branch (L_T = trip count - 1, every address checked, the budget
 * charged): copy all but the last iteration's bytes with one `memory.copy` and move the induction
 * registers past them; the check-free loop then runs the last iteration, which leaves every other
 * register as the loop would. Only when memmove's result is the forward loop's (the destination is
 * not ahead of the source within the bytes copied); otherwise the check-free loop runs them all.
 */
export function emitBulkCopy(c: CodeWriter, copy: CopyLoop): void {
  c.get(L_T).i64(copy.size).op(Op.i64_mul).set(L_T2);
  emitAffine(c, copy.dst);
  emitAffine(c, copy.src);
  c.op(Op.i64_sub).tee(L_LIM).i64(0).op(Op.i64_le_s);
  c.get(L_LIM).get(L_T2).op(Op.i64_ge_s).op(Op.i32_or);
  c.if();
  emitAffine(c, copy.dst);
  c.op(Op.i32_wrap_i64).get(L_D).op(Op.i32_add);
  emitAffine(c, copy.src);
  c.op(Op.i32_wrap_i64).get(L_D).op(Op.i32_add);
  c.get(L_T2).op(Op.i32_wrap_i64).memoryCopy();
  for (const m of copy.moves) c.get(m.reg).get(L_T).i64(m.by).op(Op.i64_mul).op(Op.i64_add).set(m.reg);
  c.end();
}
