/**
 * Calls: helper calls (arguments as i32 halves, the budget handed over and taken back, the region cache
 * dropped and the frame slots reloaded after them), local calls (the depth check, the callee's frame,
 * the halt propagated), and the depth check of a call inlined as a jump (inline.ts).
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { Global, Import, Trap } from './layout.js';
import { HELPER_RESULT } from '../vm/memory.js';
import { pushReservedBase, reservedWord } from './reserved.js';
import { L_A, L_BUDGET, L_FP } from './locals.js';
import { Op } from '../wasm/opcodes.js';
import { loadSlots } from './stack-slots.js';
import { flush } from './emit-budget.js';
import { trap } from './emit-block.js';
import { reloadCaches } from './emit-address.js';
import type { FunctionCompiler } from './function-compiler.js';

/** r1-r5 as i32 halves, low first (Import.helper). */
export function helperArgs(fc: FunctionCompiler): void {
  const c = fc.code;
  for (let r = 1; r <= 5; r++) c.get(r).op(Op.i32_wrap_i64).get(r).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
}

/** Before a helper call: the budget left in its global, where a callback the helper runs (HelperContext.callFunction) starts from. */
export function budgetToGlobal(fc: FunctionCompiler): void {
  flush(fc);
  fc.code.get(L_BUDGET).gset(Global.budget);
}

/** After a helper call: the budget callbacks left, r0 from the helper's result word, the halt propagated, the region cache dropped and the frame slots reloaded. */
export function afterHelper(fc: FunctionCompiler, haltDepth: number): void {
  const c = fc.code;
  // What callbacks left of the budget.
  c.gget(Global.budget).set(L_BUDGET);
  const result = reservedWord(fc.options.shared === true, HELPER_RESULT);
  pushReservedBase(c, result).mem(Op.i64_load, result.offset).set(0);
  c.gget(Global.halt).brIf(haltDepth);
  // A helper may have changed the region table: drop the cached regions.
  reloadCaches(fc);
  // And written the frame (through any pointer to it, even one computed from a constant).
  if (fc.options.frameFastPath) loadSlots(c, fc.slotList, L_FP, fc.options.stackSize);
}

/**
 * At a local call inlined as a jump to its copy (inline.ts): the call's depth check, failing at its
 * pc as the interpreter's call does, before the copy's first block is charged. (The copy calls
 * nothing, so nothing reads the depth while it runs.)
 */
export function inlinedCall(fc: FunctionCompiler, pc: number): void {
  if (fc.d.inlined?.sites.has(pc) !== true) return;
  const c = fc.code;
  c.gget(Global.depth).i32(1).op(Op.i32_add).gget(Global.maxDepth).op(Op.i32_ge_u);
  c.if().i32(Trap.callDepth).i32(pc).call(Import.trap).op(Op.unreachable).end();
}

/** A local call: the depth check (failing at its pc), the budget handed over, the callee's frame below ours, r0-r5 and the budget taken back, the frame slots reloaded, the halt propagated and the region cache dropped. */
export function localCall(fc: FunctionCompiler, i: Insn, pc: number, propDepth: number): void {
  const c = fc.code;
  const target = pc + 1 + i.imm;
  const f = fc.funcIndex.get(target);
  if (f === undefined) {
    trap(fc, Trap.badSlot, pc);
    return;
  }
  c.gget(Global.depth).i32(1).op(Op.i32_add).tee(L_A).gget(Global.maxDepth).op(Op.i32_ge_u);
  c.if().i32(Trap.callDepth).i32(pc).call(Import.trap).op(Op.unreachable).end();
  c.get(L_A).gset(Global.depth);
  flush(fc);
  c.get(L_BUDGET).gset(Global.budget);
  for (let r = 0; r <= 9; r++) c.get(r);
  c.gget(Global.stackTop).get(L_A).op(Op.i64_extend_i32_u).i64(fc.options.stackSize).op(Op.i64_mul).op(Op.i64_sub);
  c.call(f);
  for (let r = 5; r >= 0; r--) c.set(r);
  loadSlots(c, fc.slotList, L_FP, fc.options.stackSize);
  c.gget(Global.depth).i32(1).op(Op.i32_sub).gset(Global.depth);
  c.gget(Global.budget).set(L_BUDGET);
  c.gget(Global.halt).brIf(propDepth);
  reloadCaches(fc);
}
