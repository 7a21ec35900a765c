/**
 * Indexed accesses (`reg = B; reg += X; [reg + off]`, B one register per function, usually a loop
 * nest's array base): the bounds the compiler keeps for B, and the access's check against them.
 *
 * After every write of B, every cache refill and at the function's start, `emitRebase` computes for
 * each access size s the largest index t = X + off that keeps `B + t` inside B's region (L_BLIM[s]),
 * and B's linear address (L_BLIN). B's region is the stack when B points into it, else the cached
 * region, else none (L_BLIM 0: every access misses). When B points into the stack and some indexed
 * access stores, the stack's write mark (vm/stack) is lowered to B at once, so that stores through B
 * need no mark of their own: every such store lies at or above B.
 *
 * The access then checks `t < L_BLIM[s]` (unsigned) and addresses `L_BLIN + t`. In loops whose misses
 * leave for the checked copy, a miss leaves at once (`emitIndexedExit`): with the stack covered by the
 * bounds no miss of a run that stays in B's region is left to handle in place, and a miss path that
 * merges back into the loop (a second check, a stack path, a value) made V8 keep fewer of the loop's
 * values in registers (with this, sort runs in 0.44-0.47 the time: docs/benchmarks.md, 2026-12-05 evening).
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { branchTarget, type Operation } from '../isa/operation.js';
import { compileWork } from './work.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op } from '../wasm/opcodes.js';
import { Global } from './layout.js';
import { L_BLIM, L_BLIN, L_LABEL, L_T2 } from './locals.js';
import { markStack } from './lower-memory.js';
import type { Reserved } from './reserved.js';

/**
 * Set L_BLIM[s] (each size in `sizes`) and L_BLIN for B (register `b`) in the region at virtual
 * `base` with `limit` = size - 7 (globals) and linear address `linear` (pushes B's i32 linear address),
 * or L_BLIM 0 when B is not in it. An access of s bytes at B + t lies in the region when
 * t < limit + 8 - s - (B - base).
 */
function bounds(c: CodeWriter, b: number, sizes: Iterable<1 | 2 | 4 | 8>, base: number, limit: number, linear: () => void): void {
  for (const s of sizes) {
    c.gget(limit).i64(8 - s).op(Op.i64_add).get(b).gget(base).op(Op.i64_sub).op(Op.i64_sub).i64(0);
    c.get(b).gget(base).op(Op.i64_sub).gget(limit).op(Op.i64_lt_u).op(Op.select).set(L_BLIM[s]);
  }
  linear();
  c.set(L_BLIN);
}

/**
 * Recompute L_BLIM[s] (for each size in `sizes`) and L_BLIN from register `b`: the stack's bounds
 * when `b` points into it (a branch, so that the usual case costs what the cache's bounds alone
 * did), else the region cache's. When `stores` (some indexed access through `b` writes), the stack
 * mark (the reserved word `mark`) is lowered to `b` in the stack case.
 */
export function emitRebase(c: CodeWriter, b: number, sizes: Iterable<1 | 2 | 4 | 8>, stores: boolean, mark: Reserved): void {
  c.get(b).gget(Global.stackBase).op(Op.i64_sub).gget(Global.stackLimit).op(Op.i64_lt_u).if();
  bounds(c, b, sizes, Global.stackBase, Global.stackLimit, () => c.get(b).op(Op.i32_wrap_i64).gget(Global.stackDelta).op(Op.i32_add));
  if (stores) markStack(c, mark, () => c.get(b).op(Op.i32_wrap_i64));
  c.else();
  bounds(c, b, sizes, Global.cacheBase, Global.cacheLimit, () =>
    c.get(b).op(Op.i32_wrap_i64).gget(Global.cacheBase).op(Op.i32_wrap_i64).op(Op.i32_sub).gget(Global.cacheOffset).op(Op.i32_add),
  );
  c.end();
}

/**
 * Push the i32 linear address of an indexed access of `size` bytes at index register `index` plus
 * `off`, leaving for the checked copy with start label `resume` (by `br depth` after setting L_LABEL,
 * `depth` counted from inside the check's `if`) when the index is past L_BLIM[size]; the registers
 * `dead` there are set to 0 first (see liveness.ts).
 */
export function emitIndexedExit(c: CodeWriter, index: number, off: number, size: 1 | 2 | 4 | 8, resume: number, depth: number, dead: readonly number[]): void {
  c.get(index);
  if (off !== 0) c.i64(off).op(Op.i64_add);
  c.tee(L_T2).get(L_BLIM[size]).op(Op.i64_ge_u);
  c.if();
  for (const r of dead) c.i64(0).set(r);
  c.i32(resume).set(L_LABEL).br(depth).end();
  c.get(L_T2).op(Op.i32_wrap_i64).get(L_BLIN).op(Op.i32_add);
}

/**
 * For each pc, whether an indexed access through B may read the bounds after the instruction at pc
 * before B is written again (backward liveness over the program's instructions, to a fixed point by
 * a worklist). A write of B after which they are dead needs no {@link emitRebase}: a loop that only
 * counts in B (clang reuses registers) then pays nothing for it. Only plain writes of B end the
 * bounds' life (ALU, loads, `lddw`); any other instruction is treated as passing them on, which can
 * only keep more writes rebasing.
 */
export function boundsLiveAfter(insns: readonly Insn[], ops: readonly Operation[], base: number, uses: ReadonlySet<number>): Uint8Array {
  const n = insns.length;
  const writes = (pc: number): boolean => {
    const k = ops[pc]!.kind;
    return (k === 'alu' || k === 'neg' || k === 'movsx' || k === 'end' || k === 'ldx' || k === 'lddw') && insns[pc]!.dst === base;
  };
  const { first, list, slot } = slotPredecessors(insns, ops);
  const liveIn = new Uint8Array(n);
  const liveOut = new Uint8Array(n);
  const work: number[] = [];
  for (const pc of uses) if (pc < n && slot[pc] === 1) {
    liveIn[pc] = 1;
    work.push(pc);
  }
  while (work.length > 0) {
    const pc = work.pop()!;
    for (let k = first[pc]!; k < first[pc + 1]!; k++) {
      compileWork.units++;
      const p = list[k]!;
      if (liveOut[p] === 1) continue;
      liveOut[p] = 1;
      if (liveIn[p] === 0 && !writes(p)) {
        liveIn[p] = 1;
        work.push(p);
      }
    }
  }
  return liveOut;
}

/** Every instruction slot's predecessors: those of slot `pc` are `list[first[pc]..first[pc + 1])`; `slot[pc]` is 1 where an instruction starts. */
interface SlotPredecessors {
  readonly first: Int32Array;
  readonly list: Int32Array;
  readonly slot: Uint8Array;
}

/** The predecessors of a program's slots, built once per program (each function and copy asks again). */
const predecessorCache = new WeakMap<readonly Insn[], SlotPredecessors>();

function slotPredecessors(insns: readonly Insn[], ops: readonly Operation[]): SlotPredecessors {
  const have = predecessorCache.get(insns);
  if (have !== undefined) return have;
  const n = insns.length;
  const slot = new Uint8Array(n);
  // Each slot's successors (at most two), then counted and placed by target.
  const from: number[] = [];
  const to: number[] = [];
  const edge = (pc: number, s: number): void => {
    if (s >= 0 && s < n) {
      from.push(pc);
      to.push(s);
    }
  };
  for (let pc = 0; pc < n; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
    compileWork.units++;
    slot[pc] = 1;
    const op = ops[pc]!;
    if (op.kind === 'exit') continue;
    if (op.kind === 'lddw') {
      edge(pc, pc + 2);
      continue;
    }
    if (op.kind !== 'ja') edge(pc, pc + 1);
    if (op.kind === 'ja' || op.kind === 'jcond') {
      const t = branchTarget(op, insns[pc]!, pc);
      if (t !== undefined) edge(pc, t);
    }
  }
  const first = new Int32Array(n + 1);
  for (const t of to) first[t + 1]!++;
  for (let pc = 0; pc < n; pc++) first[pc + 1]! += first[pc]!;
  const fill = first.slice(0, n);
  const list = new Int32Array(to.length);
  for (let e = 0; e < to.length; e++) list[fill[to[e]!]!++] = from[e]!;
  const out = { first, list, slot };
  predecessorCache.set(insns, out);
  return out;
}
