/**
 * Multiway branches: a tree of compares of one register with constants (clang's binary search for a
 * `switch`, of any size) rebuilt as one `br_table` on the register's clamped value. A tree mispredicts
 * about once per level; the table at most once. The plan keeps the interpreter's budget rule exactly:
 * every way through the tree becomes an edge that charges the compare blocks it passes, in order.
 *
 * Which trees: every block reached from the root through compare blocks of one instruction on the
 * same register and width (the root may hold more), with the root splitting (both sides compare
 * again), no `jset`, one signedness. The table spans the constants' range plus one value either side
 * (values beyond it behave as its ends); it is built when that range is dense enough for the tree
 * (at most {@link ENTRIES_PER_COMPARE} entries per compare, or {@link SMALL_TABLE} in all) and below
 * V8's `br_table` limit. A sparse tree (port numbers spread over 0..65535) stays a tree of branches.
 * @module
 */
import { JitError } from '../errors.js';
import type { JumpCond } from '../isa/operation.js';
import { Op } from '../wasm/opcodes.js';
import type { CodeWriter } from '../wasm/module.js';

/** A block's final compare of a register with a constant. */
export interface Compare {
  readonly reg: number;
  readonly width: 32 | 64;
  readonly cond: JumpCond;
  readonly imm: number;
  readonly taken: number;
  readonly fall: number;
}

/** One way through a switch's compare tree: the compare blocks passed (after the root) and where it ends. */
export interface SwitchEdge {
  readonly path: readonly number[];
  readonly target: number;
}

/** A compare tree compiled as a `br_table` on `clamp(reg, lo, hi) - lo`. */
export interface SwitchPlan {
  readonly reg: number;
  readonly width: 32 | 64;
  readonly signed: boolean;
  readonly lo: number;
  readonly hi: number;
  /** When known, the largest value the register can hold at the branch (the smallest is then 0). */
  readonly max: number | undefined;
  /** Edge taken for each value lo..hi. */
  readonly index: readonly number[];
  readonly edges: readonly SwitchEdge[];
}

/** What the planner needs to know about the function's blocks. */
export interface SwitchSource {
  /** The compare-with-constant jump ending `block` (on `reg` and `width` when given: reg >= 0, width !== 0), if it ends in one. */
  compareOf(block: number, reg: number, width: number): Compare | undefined;
  /** Instructions in the block. */
  blockLength(block: number): number;
  /** m when the block's last write of `reg` is `reg &= m` with m >= 0 (then reg is in [0, m]). */
  maskBound(block: number, reg: number): number | undefined;
}

/** Table entries always allowed, however few compares the tree has. */
export const SMALL_TABLE = 512;
/** Table entries allowed per compare of the tree beyond {@link SMALL_TABLE}. */
export const ENTRIES_PER_COMPARE = 16;
/** V8 refuses a `br_table` of more entries. */
export const MAX_TABLE = 65_520;
/** Most tree steps the planner walks for one tree (compile time stays linear in the program's size). */
const MAX_WALK = 1 << 22;

/** The outcome of a compare with a constant, both in the compare's domain (JS numbers are exact there). */
export function compareHolds(cond: JumpCond, v: number, k: number): boolean {
  switch (cond) {
    case 'jeq':
      return v === k;
    case 'jne':
      return v !== k;
    case 'jgt':
    case 'jsgt':
      return v > k;
    case 'jge':
    case 'jsge':
      return v >= k;
    case 'jlt':
    case 'jslt':
      return v < k;
    case 'jle':
    case 'jsle':
      return v <= k;
    default:
      throw new JitError(`internal: no table for ${cond}`);
  }
}

/** The switch rooted at `block`, or undefined when the block does not start a tree worth a table. */
export function planSwitch(src: SwitchSource, block: number): SwitchPlan | undefined {
  const root = src.compareOf(block, -1, 0);
  if (root === undefined) return undefined;
  // Every block of the tree, found by following both edges while they lead to compare blocks.
  const tree = new Map<number, Compare>([[block, root]]);
  const work = [block];
  while (work.length > 0) {
    const cmp = tree.get(work.pop()!)!;
    for (const next of [cmp.taken, cmp.fall]) {
      if (tree.has(next)) continue;
      const c = src.compareOf(next, root.reg, root.width);
      if (c !== undefined && src.blockLength(next) === 1) {
        tree.set(next, c);
        work.push(next);
      }
    }
  }
  // A binary search splits at the root: both sides compare again. (A chain of compares with other
  // work between them, like log2's, is better left to branches and selects.)
  if (tree.size < 3 || !tree.has(root.taken) || !tree.has(root.fall)) return undefined;
  const cmps = [...tree.values()];
  if (cmps.some((c) => c.cond === 'jset')) return undefined;
  const ordered = cmps.filter((c) => c.cond !== 'jeq' && c.cond !== 'jne');
  const signed = ordered.length > 0 && ordered[0]!.cond.startsWith('js');
  if (ordered.some((c) => c.cond.startsWith('js') !== signed)) return undefined;
  // Constants in the compare's domain (signed, or unsigned in 32 or 64 bits).
  const value = (imm: number): number | undefined => (signed ? imm : root.width === 32 ? imm >>> 0 : imm >= 0 ? imm : undefined);
  const ks: number[] = [];
  for (const c of cmps) {
    const k = value(c.imm);
    if (k === undefined) return undefined;
    ks.push(k);
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of ks) {
    lo = Math.min(lo, k - 1);
    hi = Math.max(hi, k + 1);
  }
  // No value lies beyond the ends of the compare's domain, so the table need not either. A 64-bit
  // signed register has values beyond the 32-bit immediates' range, which the table's ends stand for.
  if (signed && root.width === 64) {
    if (lo < -(2 ** 31) || hi > 0x7fff_ffff) return undefined;
  } else {
    lo = Math.max(lo, signed ? -(2 ** 31) : 0);
    hi = Math.min(hi, signed ? 0x7fff_ffff : 0xffff_ffff);
  }
  const entries = hi - lo + 1;
  if (entries > Math.min(MAX_TABLE, Math.max(SMALL_TABLE, ENTRIES_PER_COMPARE * tree.size))) return undefined;
  // Every compare's outcome is constant between consecutive breakpoints (its constant and the value
  // after it), so the tree is walked once per interval rather than once per value.
  const cuts = new Set<number>([lo, hi + 1]);
  for (const k of ks) {
    if (k > lo && k <= hi) cuts.add(k);
    if (k + 1 > lo && k + 1 <= hi) cuts.add(k + 1);
  }
  const starts = [...cuts].sort((a, b) => a - b);
  const edges: SwitchEdge[] = [];
  const edgeKey = new Map<string, number>();
  const index: number[] = [];
  let steps = 0;
  for (let s = 0; s + 1 < starts.length; s++) {
    const v = starts[s]!;
    const path: number[] = [];
    const seen = new Set<number>();
    let at = block;
    let e: number;
    for (;;) {
      if (++steps > MAX_WALK) return undefined;
      const c = tree.get(at)!;
      const next = compareHolds(c.cond, v, value(c.imm)!) ? c.taken : c.fall;
      if (!tree.has(next) || next === block || seen.has(next)) {
        const key = `${path.join(',')}>${next}`;
        const have = edgeKey.get(key);
        if (have === undefined) {
          e = edges.length;
          edgeKey.set(key, e);
          edges.push({ path, target: next });
        } else e = have;
        break;
      }
      path.push(next);
      seen.add(next);
      at = next;
    }
    for (let x = v; x < starts[s + 1]!; x++) index.push(e);
  }
  if (edges.length < 4) return undefined;
  return { reg: root.reg, width: root.width, signed, lo, hi, max: src.maskBound(block, root.reg), index, edges };
}

/**
 * Push the `br_table` index of a switch: clamp(x, lo, hi) - lo as an i32, in the compare's width and
 * signedness. Values above hi need no clamp when x - lo cannot wrap in 32 bits (a 32-bit compare, or
 * x known to be in [0, max] with max < 2^31): their index is past the table, which takes the
 * fallback, hi's edge. Values below lo need none when x is known to be at least 0 and lo <= 0.
 * `t64` and `t32` are scratch locals (i64 and i32).
 */
export function emitTableIndex(c: CodeWriter, sw: SwitchPlan, t64: number, t32: number): void {
  const low = sw.max === undefined || sw.lo > 0;
  const high = sw.width === 64 && sw.max === undefined;
  if (sw.width === 64) {
    const lt = sw.signed ? Op.i64_lt_s : Op.i64_lt_u;
    if (low) c.i64(sw.lo).get(sw.reg).get(sw.reg).i64(sw.lo).op(lt).op(Op.select);
    else c.get(sw.reg);
    if (high) c.tee(t64).i64(sw.hi).get(t64).i64(sw.hi).op(lt).op(Op.select);
    c.i64(sw.lo).op(Op.i64_sub).op(Op.i32_wrap_i64);
  } else {
    const lt = sw.signed ? Op.i32_lt_s : Op.i32_lt_u;
    c.get(sw.reg).op(Op.i32_wrap_i64).set(t32);
    if (low) c.i32(sw.lo).get(t32).get(t32).i32(sw.lo).op(lt).op(Op.select).set(t32);
    c.get(t32);
    if (high) c.i32(sw.hi).get(t32).i32(sw.hi).op(lt).op(Op.select);
    c.i32(sw.lo).op(Op.i32_sub);
  }
}
