/**
 * The way back from a function's checked copy to its fast copy, at the header of an outermost loop.
 *
 * A region-cache miss in a loop without calls leaves the fast copy for the checked copy at the access
 * (see check-plan.ts, `deopt`), so that no region-table scan sits in the fast copy's loops. Without a
 * way back, one miss costs the rest of the run: the checked copy runs every later block with its
 * budget and every access checked (a loop whose accesses touch two regions, or a callee inlined into a
 * loop, turned one miss per call into one per run). So each outermost loop holding such accesses is
 * wrapped as `loop $back { block $miss { <the loop> } <handler> }`: a miss inside the loop leaves to
 * `$miss`, whose handler calls the checked copy naming the loop's header; the checked copy runs to the
 * header (finishing the iteration where it missed, every access and block checked) and returns there
 * instead of entering it, and the handler takes the registers and the budget back and branches to
 * `$back`, entering the loop again as from outside: its entry guards run again (the budget guard of a
 * loop charged once per entry, the region-cache fill for its first access). A run that leaves the
 * loop in the checked copy finishes there as before, and the handler returns its results.
 *
 * Only outermost loops (no cycle encloses them, so the checked copy reaches the header again only by
 * the loop's own back edges, along which no call runs and nothing the fast copy computed before the
 * loop changes): what the fast copy keeps across the loop's entry stays valid. What it keeps inside
 * the loop is reset on entry: frame slots in locals are read again, the indexed base's bounds follow
 * its register, deferred charges start from 0, and hoisted span checks run at their heads, which
 * dominate their accesses inside the iteration.
 *
 * Errors and budget are unchanged: the checked copy returns at the header before charging it, and the
 * fast copy's header charges and checks it as on any entry.
 * @module
 */
import type { BasicBlock } from '../verifier/cfg.js';
import { Global } from './layout.js';
import { analyzeGraph, outermostLoopOf, type FlowGraph } from './graph.js';
import { L_ACC, L_BUDGET, L_FP, L_LABEL, L_RET } from './locals.js';
import { Op } from '../wasm/opcodes.js';
import { loadSlots } from './stack-slots.js';
import { budgetNow } from './emit-budget.js';
import type { FunctionCompiler } from './function-compiler.js';

/**
 * The block indexes of the headers of the outermost loops of `graph` that hold an access of `deopt`
 * (by pc): the loops a miss leaves by their way back. `nodes` maps graph nodes to block indexes
 * (negative: a switch edge).
 */
export function reentryHeaders(graph: FlowGraph, nodes: readonly number[], blocks: readonly BasicBlock[], deopt: ReadonlyMap<number, number>): Set<number> {
  const out = new Set<number>();
  if (deopt.size === 0) return out;
  const a = analyzeGraph(graph);
  if (!a.reducible) return out;
  const loop = outermostLoopOf(graph, a);
  for (const x of a.order) {
    const bi = nodes[x]!;
    const h = loop[x]!;
    if (bi < 0 || h < 0 || nodes[h]! < 0 || out.has(nodes[h]!)) continue;
    const b = blocks[bi]!;
    for (let pc = b.start; pc < b.end; pc++) {
      if (deopt.has(pc)) {
        out.add(nodes[h]!);
        break;
      }
    }
  }
  return out;
}

/**
 * In the checked copy, at the start of block `bi` (before its charge): when the fast copy asked to
 * come back at this header (L_RET), hand it the registers and the budget and return (Global.label
 * = -1 says so; the results are not read).
 */
export function emitReturnAt(fc: FunctionCompiler, bi: number): void {
  if (!fc.reentry.has(bi)) return;
  const c = fc.code;
  c.get(L_RET).i32(bi + 1).op(Op.i32_eq).if();
  budgetNow(fc);
  c.gset(Global.budget);
  for (let r = 0; r < fc.registers; r++) c.get(r).gset(Global.savedR0 + r);
  c.i32(-1).gset(Global.label);
  for (let r = 0; r < 6; r++) c.i64(0);
  c.op(Op.return);
  c.end();
}

/**
 * In the fast copy, after the `$miss` block of the outermost loop headed by block `bi` (L_LABEL names
 * where the checked copy resumes): call the checked copy, asking it to return at the header; when it
 * did, take the registers and budget back and `br 1` (out of the `if`) to the `$back` loop that
 * encloses this code; otherwise return its results.
 */
export function emitReentryHandler(fc: FunctionCompiler, bi: number): void {
  const c = fc.code;
  const copy = fc.checkedCopy!;
  budgetNow(fc);
  c.gset(Global.budget).get(L_LABEL).gset(Global.label);
  for (let r = 0; r < fc.registers; r++) c.get(r).gset(Global.savedR0 + r);
  c.i32(bi + 1).gset(Global.reentry);
  c.call(copy.func);
  for (let r = 5; r >= 0; r--) c.set(r);
  c.gget(Global.label).i32(-1).op(Op.i32_eq).if();
  c.i32(0).gset(Global.label);
  // (A write of the indexed base recomputes its bounds: see FunctionCompiler.code.)
  for (let r = 0; r < fc.registers; r++) c.gget(Global.savedR0 + r).set(r);
  c.gget(Global.budget).set(L_BUDGET);
  if (fc.deferred) c.i64(0).set(L_ACC);
  if (fc.options.frameFastPath) loadSlots(c, fc.slotList, L_FP, fc.options.stackSize);
  c.br(1);
  c.end();
  for (let r = 0; r < 6; r++) c.get(r);
  c.op(Op.return);
}
