/**
 * The budget in the generated code: each block's charge (checked, or deferred into L_ACC in the fast
 * copy where the check plan of check-plan.ts allows), the flush of deferred charges where the budget
 * must be exact, the guard before a loop charged once per entry, and what an exit to the checked copy
 * needs: the start label that resumes a run at an access, the resume points of a block, and the
 * registers dead there (passed as 0, see liveness.ts).
 * @module
 */
import { JitError } from '../errors.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { Import, Trap } from './layout.js';
import { emitBoundCheck } from './loop-bound.js';
import { RESUME_SHIFT } from './check-plan.js';
import { deadRegisters } from './liveness.js';
import { emitTripStart } from './trip-charge.js';
import { lastPc } from './graph.js';
import { L_ACC, L_BUDGET, L_LABEL, OUTER } from './locals.js';
import { Op } from '../wasm/opcodes.js';
import type { CheckedCopy, FunctionCompiler } from './function-compiler.js';

/**
 * Before entering a loop whose budget is charged once per entry: when the iterations its bound
 * allows might not fit in the budget, continue in the checked copy at the header (a `br` out to the
 * epilogue, before the loop is opened), where every block checks and fails at the interpreter's pc.
 */
export function boundGuard(fc: FunctionCompiler, node: number, depth: number): void {
  const loop = fc.bounded.get(node);
  if (loop === undefined || fc.everyBlock) return;
  const c = fc.code;
  const label = fc.checkedCopy!.labels.get(fc.nodes[node]!);
  if (label === undefined) throw new JitError('internal: a bounded loop has no checked copy', fc.d.blocks[fc.nodes[node]!]!.start);
  flush(fc);
  emitBoundCheck(c, loop.bound, loop.cost, loop.after);
  c.op(Op.i32_eqz).if();
  deadAt(fc, fc.d.blocks[fc.nodes[node]!]!.start, true);
  c.i32(label).set(L_LABEL).br(depth + 1 - OUTER);
  c.end();
  if (loop.trip !== undefined) emitTripStart(c, loop.trip);
}

/**
 * The checked copy's start label that resumes a run at the access at `pc` (its block already
 * charged), when a miss there in the fast copy leaves for the checked copy; else undefined (the miss
 * scans the region table in place). Leaving keeps the table scan, a loop, out of the fast copy's
 * loops, which V8 compiles worse with a loop nested in them even when it never runs. Not inside a
 * check-free loop copy, which charged the budget of iterations it has not run yet.
 */
export function resumeLabel(fc: FunctionCompiler, pc: number): number | undefined {
  const b = fc.curBlock;
  if (fc.everyBlock || fc.fastPcs !== undefined || b === undefined || !fc.deopt.has(pc) || pc < b.start || pc >= b.end) return undefined;
  const copy = fc.checkedCopy;
  const label = copy?.labels.get(fc.d.blockAt[b.start]!);
  if (copy === undefined || label === undefined) return undefined;
  // The br_table index of the access among its block's resume points (see resumeSegments).
  return label | (copy.resume.get(pc)! << RESUME_SHIFT);
}

/** The resume points (see {@link CheckedCopy.resume}) in block `b`, in order, when `fc` is the checked copy. */
export function resumePointsOf(fc: FunctionCompiler, b: BasicBlock): number[] {
  const out: number[] = [];
  if (fc.resumePcs.size === 0) return out;
  for (let pc = b.start; pc < b.end; pc++) if (fc.resumePcs.has(pc)) out.push(pc);
  return out;
}

/** The registers an exit to the checked copy resuming at `pc` passes as 0 (see liveness.ts); `set`: zero them. */
export function deadAt(fc: FunctionCompiler, pc: number, set = false): number[] {
  const b = fc.curBlock;
  const dead = deadRegisters(fc.d.live, fc.insns, fc.d.ops, b !== undefined && pc > b.start && pc < b.end ? b.start : pc, pc, fc.code.watched);
  if (set) for (const r of dead) fc.code.i64(0).set(r);
  return dead;
}

/** True when the node's block ends with a local call. */
export function endsInLocalCall(fc: FunctionCompiler, node: number): boolean {
  const b = fc.nodes[node]!;
  if (b < 0) return false;
  const op = fc.d.ops[lastPc(fc.insns, fc.d.blocks[b]!)]!;
  return op.kind === 'call' && op.target === 'local';
}

/** The most a node charges: its block, plus a converted block it may run; a switch edge's compare blocks. */
export function cost(fc: FunctionCompiler, node: number): number {
  const b = fc.nodes[node]!;
  if (b < 0) return fc.trampolines[-1 - b]!.path.reduce((sum, k) => sum + fc.d.blocks[k]!.length, 0);
  const conv = fc.converted.get(b);
  return fc.d.blocks[b]!.length + (conv !== undefined ? fc.d.blocks[conv.block]!.length : 0);
}

/** Charge `length` for the block starting at `pc`: checked (failing at pc) or, in the fast copy, not. */
export function charge(fc: FunctionCompiler, length: number, pc: number): void {
  const c = fc.code;
  if (fc.tripCharged) return;
  if (!fc.unchecked) {
    c.get(L_BUDGET).i64(length).op(Op.i64_sub).tee(L_BUDGET).i64(0).op(Op.i64_lt_s);
    c.if().i32(Trap.budget).i32(pc).call(Import.trap).op(Op.unreachable).end();
  } else {
    c.get(L_ACC).i64(length).op(Op.i64_add).set(L_ACC);
  }
}

/**
 * Subtract the deferred charges (L_ACC) from the budget, where it must be exact: before a check,
 * a call, an exit. Unchecked blocks add their charges to L_ACC rather than to the budget because
 * the budget is carried from one iteration of a loop to the next and every subtraction on it waits
 * for the one before: a loop of many small blocks (log2_int: about 24 charges, half of them
 * `select`s on the block's condition) ran at one charge per cycle. L_ACC starts from 0 at the
 * loop's checkpoint, so each iteration's sum is independent of the last.
 */
export function flush(fc: FunctionCompiler): void {
  if (fc.deferred) fc.code.get(L_BUDGET).get(L_ACC).op(Op.i64_sub).set(L_BUDGET).i64(0).set(L_ACC);
}

/** Push the exact budget (deferred charges included) as an i64. */
export function budgetNow(fc: FunctionCompiler): void {
  fc.code.get(L_BUDGET);
  if (fc.deferred) fc.code.get(L_ACC).op(Op.i64_sub);
}
