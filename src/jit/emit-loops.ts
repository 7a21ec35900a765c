/**
 * Versioned loops (shapes from loop-shapes.ts and induction.ts, guards from loop-guards.ts): a counted
 * loop gets a guard per entry that proves every covered access of every iteration in the cached region
 * and the budget sufficient, then runs a check-free copy (nested in its header, or as a sibling before
 * the checked loop); a copy loop becomes one `memory.copy`; a chunked loop runs as many iterations
 * check-free as its guard proves, then one checked. Also what runs once per entry into any loop: the
 * budget guard of a loop charged once per entry and the region-cache fill for its first access.
 * @module
 */
import { fieldUse } from '../verifier/fields.js';
import { Global } from './layout.js';
import { MIN_HOISTED, MIN_HOISTED_SIBLING, chunkedLoop, copyLoop, countedLoop, guardsOffStack, type ChunkedLoop, type CountedLoop } from './loop-shapes.js';
import { emitAffine, emitBulkCopy, emitChunkGuard, emitLoopGuard } from './loop-guards.js';
import { lastPc } from './graph.js';
import { pushBelowStackEnd, pushWindow, refill } from './lower-memory.js';
import { L_BUDGET, L_D, L_EXIT, L_FP, L_K, L_NOCHUNK, L_T } from './locals.js';
import { Op } from '../wasm/opcodes.js';
import { loadSlots } from './stack-slots.js';
import { boundGuard, resumePointsOf, flush } from './emit-budget.js';
import { blockBody, straight, emitCondition, blockCondition } from './emit-block.js';
import type { FunctionCompiler } from './function-compiler.js';

/** The chunked loop headed by `node` (see {@link emitChunked}), when its header is compiled as one. */
export function chunkedAt(fc: FunctionCompiler, node: number): ChunkedLoop | undefined {
  const bi = fc.nodes[node]!;
  if (bi < 0 || resumePointsOf(fc, fc.d.blocks[bi]!).length > 0 || !(fc.everyBlock || fc.mode[node] === 0)) return undefined;
  if (!fc.siblings.has(node)) return countedLoop(fc.loopContext, bi, MIN_HOISTED) === undefined ? chunkedLoop(fc.loopContext, bi) : undefined;
  // The checked loop of a counted loop versioned as a sibling runs when that guard failed: chunked
  // only with 64-bit addresses (range conditions there cost more code than the rare runs save).
  const loop = chunkedLoop(fc.loopContext, bi);
  return loop?.ranges.length === 0 ? loop : undefined;
}

/**
 * Before entering a loop whose accesses leave for the checked copy on a miss: when the header's first
 * such access, through a register the header has not written before it, would miss the cache and is
 * not on the stack, fill the cache from the region table for it as that access would (without
 * failing), so that a loop entered with the cache holding another region (or none, after a call)
 * does not leave for the checked copy on its first access.
 */
export function emitLoopEntry(fc: FunctionCompiler, node: number, depth: number): void {
  boundGuard(fc, node, depth);
  if (fc.structured && chunkedAt(fc, node) !== undefined) fc.code.i32(0).set(L_NOCHUNK);
  if (fc.everyBlock || fc.deopt.size === 0) return;
  const bi = fc.nodes[node]!;
  if (bi < 0) return;
  const b = fc.d.blocks[bi]!;
  const written = new Set<number>();
  for (let pc = b.start; pc < b.end; pc += fc.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
    const op = fc.d.ops[pc]!;
    const i = fc.insns[pc]!;
    if (fc.deopt.has(pc)) {
      const acc = op.kind === 'atomic' ? { reg: i.dst, off: i.offset, size: op.size } : fc.access(pc);
      if (acc !== undefined && !written.has(acc.reg)) {
        const c = fc.code;
        const size = acc.size as 1 | 2 | 4 | 8;
        c.get(acc.reg);
        if (acc.off !== 0) c.i64(acc.off).op(Op.i64_add);
        c.tee(L_T).gget(Global.cacheBase).op(Op.i64_sub);
        pushWindow(fc.code, size);
        c.op(Op.i64_ge_u);
        c.get(L_T);
        pushBelowStackEnd(fc.code);
        c.op(Op.i32_eqz).op(Op.i32_and);
        c.if();
        refill(fc.code, size, fc.mark, fc.filled);
        c.end();
        return;
      }
    }
    for (const f of fieldUse(op).writes) written.add(i[f]);
  }
}

/**
 * Whether a versioned loop's guard proves the cached region off the stack (loop-shapes.ts,
 * `guardsOffStack`): the function's stores test the stack where it keeps frame slots in locals, or
 * where span heads forward them (see emit-address.ts, `leaveIfStack`).
 */
export function offStackOf(fc: FunctionCompiler, loop: CountedLoop | ChunkedLoop): boolean {
  return guardsOffStack(loop, fc.slotList.length > 0 || (fc.spans.heads.size > 0 && fc.d.slots !== undefined));
}

/** The structurer asks whether a one-block loop is versioned as a sibling: a counted loop, in structured code. */
export function versionedSibling(fc: FunctionCompiler, node: number): boolean {
  const bi = fc.nodes[node]!;
  if (bi < 0 || fc.switchOf.has(node) || !(fc.everyBlock || fc.mode[node] === 0)) return false;
  const loop = countedLoop(fc.loopContext, bi, MIN_HOISTED_SIBLING);
  if (loop === undefined) return false;
  fc.siblings.set(node, loop);
  return true;
}

/**
 * A counted loop's guard and check-free copy, before the checked loop (a sibling, not nested: V8
 * compiles a loop with another inside worse). The guard runs once per entry from outside; when
 * every iteration's covered accesses lie in the cached region and the budget pays for all of them,
 * the copy runs them all and the loop is done; otherwise (`br 0`) the checked loop runs them all, so
 * errors are the interpreter's.
 */
export function emitFastLoop(fc: FunctionCompiler, node: number, depth: number): void {
  const c = fc.code;
  const loop = fc.siblings.get(node)!;
  const bi = fc.nodes[node]!;
  const b = fc.d.blocks[bi]!;
  flush(fc);
  // The cache may hold another region (or none, after a call): fill it from the region table for the
  // first covered access's first address, as that access would; the guard then decides as before.
  const first = loop.accesses[0]!;
  const firstSize = fc.access(first.pc)!.size as 1 | 2 | 4 | 8;
  emitAffine(fc.code, first.addr);
  c.tee(L_T).gget(Global.cacheBase).op(Op.i64_sub);
  pushWindow(fc.code, firstSize);
  c.op(Op.i64_ge_u).if();
  refill(fc.code, firstSize, fc.mark, fc.filled);
  c.end();
  emitLoopGuard(fc.code, loop, b.length + loop.latch, fc.accessSize, offStackOf(fc, loop));
  c.op(Op.i32_eqz).brIf(0);
  checkFreeLoop(fc, node, loop, depth);
}

/**
 * A counted loop's check-free copy, once its guard has passed (L_T = trip count - 1, every covered
 * address checked, budget for every iteration): the linear base L_D, the budget of all the iterations
 * charged at once (it is not observable in between), a bulk copy when the loop only copies memory,
 * then the loop itself with the covered accesses unchecked. `depth` is the nesting around it.
 */
export function checkFreeLoop(fc: FunctionCompiler, node: number, loop: CountedLoop, depth: number): void {
  const c = fc.code;
  const bi = fc.nodes[node]!;
  const b = fc.d.blocks[bi]!;
  c.gget(Global.cacheOffset).gget(Global.cacheBase).op(Op.i32_wrap_i64).op(Op.i32_sub).set(L_D);
  // N iterations of the block and N - 1 ways back (L_T = N - 1).
  c.get(L_BUDGET).get(L_T).i64(1).op(Op.i64_add).i64(b.length + loop.latch).op(Op.i64_mul).op(Op.i64_sub);
  if (loop.latch !== 0) c.i64(loop.latch).op(Op.i64_add);
  c.set(L_BUDGET);
  if (!fc.countedHeaders.includes(b.start)) fc.countedHeaders.push(b.start);
  const copy = copyLoop(fc.loopContext, loop, bi);
  if (copy !== undefined) {
    emitBulkCopy(fc.code, copy);
    // The copy may have written the frame through a computed address (see reloadSlotsIfStack).
    if (fc.slotList.length > 0) loadSlots(fc.code, fc.slotList, L_FP, fc.options.stackSize);
  }
  c.loop();
  fc.fastPcs = new Set(loop.accesses.map((a) => a.pc));
  fc.fastOffStack = offStackOf(fc, loop);
  straight(fc, b.start, lastPc(fc.insns, b), depth + 1);
  fc.fastPcs = undefined;
  fc.fastOffStack = false;
  emitCondition(fc, node);
  if (loop.negated) c.op(Op.i32_eqz);
  c.brIf(0);
  c.end();
}

/**
 * Emit a chunked loop's header: the guard computes how many iterations stay in the cached region
 * (L_K); a check-free copy of the whole cycle runs that many, leaving early (with L_EXIT set, so that
 * the header's terminator takes the exit) where the loop would; then, or when the guard finds none,
 * the checked header runs one iteration's first block and the loop goes on as compiled.
 */
export function emitChunked(fc: FunctionCompiler, node: number, loop: ChunkedLoop, depth: number): void {
  const c = fc.code;
  fc.forcedExit.set(node, loop.exit);
  c.i32(0).set(L_EXIT);
  c.block(); // skip: to the header's terminator
  c.block(); // slow: to the checked header
  c.block(); // exit: leave the loop
  const cost = loop.path.reduce((sum, bi) => sum + fc.d.blocks[bi]!.length, 0);
  const header = fc.d.blocks[loop.path[0]!]!.start;
  if (fc.structured && !fc.chunkedHeaders.includes(header)) fc.chunkedHeaders.push(header);
  // After two guards found nothing to run since the loop was entered (an access in another region
  // than the cached one, a range condition that fails), the rest of the loop runs checked: the
  // guard's divisions would cost every iteration more than the checks it cannot save.
  if (fc.structured) c.get(L_NOCHUNK).i32(2).op(Op.i32_ge_u).brIf(1);
  emitChunkGuard(fc.code, loop, cost, fc.accessSize, offStackOf(fc, loop));
  if (fc.structured) {
    c.get(L_K).op(Op.i32_eqz).if();
    c.get(L_NOCHUNK).i32(1).op(Op.i32_add).set(L_NOCHUNK).br(2);
    c.end();
  } else c.get(L_K).op(Op.i32_eqz).brIf(1);
  c.gget(Global.cacheOffset).gget(Global.cacheBase).op(Op.i32_wrap_i64).op(Op.i32_sub).set(L_D);
  // The guard found budget for L_K whole iterations: charge them all here, and give back what the
  // iterations not run would have charged where the copy leaves early (no per-block subtraction).
  const kCost = (): void => {
    c.get(L_K).op(Op.i64_extend_i32_u).i64(cost).op(Op.i64_mul);
  };
  c.get(L_BUDGET);
  kCost();
  c.op(Op.i64_sub).set(L_BUDGET);
  c.loop();
  const inner = depth + 4;
  fc.fastPcs = new Set(loop.accesses.map((a) => a.pc));
  fc.fastOffStack = offStackOf(fc, loop);
  let charged = 0;
  loop.path.forEach((bi, k) => {
    const b = fc.d.blocks[bi]!;
    charged += b.length;
    const last = lastPc(fc.insns, b);
    const jump = fc.d.ops[last]!.kind;
    straight(fc, b.start, jump === 'ja' || jump === 'jcond' ? last : b.end, inner);
    const t = fc.terms[bi]!;
    if (t.kind !== 'cond') return;
    blockCondition(fc, bi);
    const next = k + 1 < loop.path.length ? loop.path[k + 1]! : loop.path[0]!;
    // Leave by the exit edge (to the `exit` block, label 2 inside the `if`), with L_K iterations
    // (this one included) charged but only `charged` of this one run.
    if (t.taken === next) c.op(Op.i32_eqz);
    c.if().get(L_BUDGET);
    kCost();
    c.i64(charged).op(Op.i64_sub).op(Op.i64_add).set(L_BUDGET).br(2).end();
  });
  fc.fastPcs = undefined;
  fc.fastOffStack = false;
  c.get(L_K).i32(1).op(Op.i32_sub).tee(L_K).brIf(0);
  c.end(); // loop
  c.br(1); // chunk done: the next iteration starts at the checked header
  c.end(); // exit
  c.i32(1).set(L_EXIT).br(1);
  c.end(); // slow
  blockBody(fc, fc.d.blocks[loop.path[0]!]!, depth + 1);
  c.end(); // skip
}
