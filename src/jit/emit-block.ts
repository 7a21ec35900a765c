/**
 * A block's code: its budget charge, then its instructions lowered one by one (ALU from lower-alu.ts,
 * memory through emit-address.ts, calls through emit-calls.ts), runs of accesses through one register
 * checked once (access-groups.ts), words read with one load where bytes were (byte-word.ts), the
 * checked copy's blocks that a run may enter at an access, and the block's terminator condition and
 * `exit`.
 * @module
 */
import { JitError } from '../errors.js';
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import { FRAME_POINTER, PseudoLoad } from '../isa/opcodes.js';
import { functionAddress, functionTarget } from '../vm/functions.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { Global, Import, Trap } from './layout.js';
import { emitGroupCheck, emitMultiGroupCheck, findAccessGroups, groupHas, groupStores, groupStoresThroughBase, type AccessGroup } from './access-groups.js';
import { byteWord, type ByteWord } from './byte-word.js';
import { lastPc } from './graph.js';
import { emitAlu, emitCompare, emitRotate, emitUnary } from './lower-alu.js';
import { L_A, L_EXIT, L_FP, L_RESUME, L_T2 } from './locals.js';
import { Op } from '../wasm/opcodes.js';
import { emitAtomic } from './lower-atomic.js';
import { emitSlotLoad, emitSlotStore, loadSlots } from './stack-slots.js';
import { resumePointsOf, charge, budgetNow, flush } from './emit-budget.js';
import { emitInlineLookup, MAP_FIELDS } from './map-lookups.js';
import { spanHead, address, leaveIfStack, reloadSlotsIfStack } from './emit-address.js';
import { helperArgs, budgetToGlobal, afterHelper, inlinedCall, localCall } from './emit-calls.js';
import type { FunctionCompiler } from './function-compiler.js';
import { emitReturnAt } from './reentry.js';

const LOAD: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load };

const LOAD_S: Record<1 | 2 | 4, number> = { 1: Op.i64_load8_s, 2: Op.i64_load16_s, 4: Op.i64_load32_s };

const STORE: Record<1 | 2 | 4 | 8, number> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };

/** A block's budget charge and instructions, with its access groups. */
export function blockBody(fc: FunctionCompiler, b: BasicBlock, depth: number): void {
  fc.curBlock = b;
  const points = resumePointsOf(fc, b);
  if (points.length > 0) {
    resumeSegments(fc, b, points, depth);
    return;
  }
  // Budget: charged for the whole block on entry, failing at its first pc.
  charge(fc, b.length, b.start);
  const last = lastPc(fc.insns, b);
  const groups = accessGroups(fc, b);
  for (let pc = b.start; pc < b.end; ) {
    const op = fc.d.ops[pc]!;
    if (fc.options.badSlots[pc] === 1) {
      trap(fc, Trap.badSlot, pc);
      return;
    }
    const g = groups.get(pc);
    if (g !== undefined) {
      group(fc, g, depth);
      pc = g.end;
      continue;
    }
    const fused = emitRotate(fc.code, fc.d.ops, fc.insns, fc.options.badSlots, pc, b.end);
    if (fused > 0) {
      pc += fused;
      continue;
    }
    const isLast = pc === last;
    if (!(isLast && (op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'exit'))) {
      instruction(fc, op, fc.insns[pc]!, pc, depth);
    } else inlinedCall(fc, pc);
    pc += op.kind === 'lddw' ? 2 : 1;
  }
}

/**
 * A block of the checked copy that a run may enter at one of its accesses (`points`): nested blocks
 * around it and a `br_table` on L_RESUME (then cleared) to the start (charging the block) or to the
 * access to resume at (the block was charged in the fast copy). Access groups are not formed here,
 * so that every access is its own resume point.
 */
function resumeSegments(fc: FunctionCompiler, b: BasicBlock, points: readonly number[], depth: number): void {
  const c = fc.code;
  const m = points.length;
  const last = lastPc(fc.insns, b);
  for (let k = 0; k <= m; k++) c.block();
  c.get(L_RESUME).i32(0).set(L_RESUME);
  c.brTable(
    Array.from({ length: m + 1 }, (_, k) => k),
    0,
  );
  c.end();
  // Entered at the start (not resumed at an access): the header where the fast copy may ask it back.
  emitReturnAt(fc, fc.d.blockAt[b.start]!);
  charge(fc, b.length, b.start);
  for (let k = 0; k <= m; k++) {
    const from = k === 0 ? b.start : points[k - 1]!;
    const to = k < m ? points[k]! : b.end;
    for (let pc = from; pc < to; ) {
      const op = fc.d.ops[pc]!;
      if (pc === last && (op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'exit')) {
        inlinedCall(fc, pc);
        break;
      }
      const fused = emitRotate(fc.code, fc.d.ops, fc.insns, fc.options.badSlots, pc, to);
      if (fused > 0) {
        pc += fused;
        continue;
      }
      instruction(fc, op, fc.insns[pc]!, pc, depth + m - k);
      pc += op.kind === 'lddw' ? 2 : 1;
    }
    if (k < m) c.end();
  }
}

/** Emit the instructions in slots [from, to) (no jumps among them), rotate idioms fused. */
export function straight(fc: FunctionCompiler, from: number, to: number, depth: number): void {
  for (let pc = from; pc < to; ) {
    const fast = fc.fastPcs;
    const word = fast === undefined ? undefined : byteWord(fc.d.ops, fc.insns, pc, to, (p) => fast.has(p) && fc.options.badSlots[p] !== 1);
    if (word !== undefined) {
      wordLoad(fc, word);
      pc = word.end;
      continue;
    }
    const fused = emitRotate(fc.code, fc.d.ops, fc.insns, fc.options.badSlots, pc, to);
    if (fused > 0) {
      pc += fused;
      continue;
    }
    instruction(fc, fc.d.ops[pc]!, fc.insns[pc]!, pc, depth);
    pc += fc.d.ops[pc]!.kind === 'lddw' ? 2 : 1;
  }
}

/** A word assembled from byte loads (byte-word.ts), read with one load; each register the run writes set from it. */
function wordLoad(fc: FunctionCompiler, w: ByteWord): void {
  const c = fc.code;
  const { offset } = address(fc, w.base, w.off, w.size, false, w.loadPc);
  c.mem(LOAD[w.size], offset).set(L_T2);
  for (const o of w.outputs) {
    c.get(L_T2);
    if (o.shift > 0) c.i64(o.shift).op(Op.i64_shr_u);
    else if (o.shift < 0) c.i64(-o.shift).op(Op.i64_shl);
    if (o.mask !== 0xffffffffffffffffn) c.i64(BigInt.asIntN(64, o.mask)).op(Op.i64_and);
    c.set(o.reg);
  }
}

/** The block's access groups (access-groups.ts), leaving out the accesses span-checks.ts checks and bad slots. */
export function accessGroups(fc: FunctionCompiler, b: BasicBlock): Map<number, AccessGroup> {
  const owned = (pc: number): boolean => fc.options.badSlots[pc] === 1 || fc.spans.heads.has(pc) || fc.spans.covered.has(pc);
  return findAccessGroups(b, fc.d.ops, fc.insns, owned, (pc, a) => fc.inFrame(pc, a.reg, a.off, a.size));
}

/**
 * A run of accesses through one register (or several, a multi-base group): if the span [reg+lo, reg+hi) lies in the cached region,
 * run a copy of the instructions whose accesses use fixed offsets from one linear address;
 * otherwise a copy with every access checked on its own, so errors are the interpreter's.
 */
function group(fc: FunctionCompiler, g: AccessGroup, depth: number): void {
  const c = fc.code;
  // Where stores through a computed address test the stack one by one (frame slots in locals, see
  // leaveIfStack), the check of a group with two stores or more tests its span against the stack once
  // instead (with one, that saves no test and costs the stack copy: bloom 1.09x slower).
  const stackFree = stackTests(fc) && groupStoresThroughBase(g, fc.d.ops) >= 2;
  if (g.extra.length === 0) emitGroupCheck(c, g, groupStores(g, fc.d.ops), fc.mark, stackFree);
  else
    emitMultiGroupCheck(
      c,
      g,
      fc.d.ops,
      g.extra.map((_, k) => fc.groupLocal(k)),
      fc.mark,
      stackFree,
    );
  const start = g.start;
  const copy = (group: AccessGroup | undefined, at: number): void => {
    fc.fastGroup = group;
    for (let pc = start; pc < g.end; pc += fc.d.ops[pc]!.kind === 'lddw' ? 2 : 1) instruction(fc, fc.d.ops[pc]!, fc.insns[pc]!, pc, at);
    fc.fastGroup = undefined;
  };
  if (stackFree) {
    copy({ ...g, stackFree }, depth + 3);
    c.br(2);
    c.end(); // stack: the span in the stack, its stores tested one by one
  }
  copy(g, depth + 2);
  c.br(1);
  c.end(); // checked
  copy(undefined, depth + 1);
  c.end(); // done
}

/** True when stores through a base other than r10 test the stack around them (leaveIfStack, reloadSlotsIfStack). */
function stackTests(fc: FunctionCompiler): boolean {
  return fc.slotList.length > 0 || (fc.spans.heads.size > 0 && fc.d.slots !== undefined);
}

/** Push an i32, non-zero when the node's conditional jump is taken (a chunked loop's header: also when its check-free copy left by the exit). */
export function emitCondition(fc: FunctionCompiler, node: number): void {
  blockCondition(fc, fc.nodes[node]!);
  const exit = fc.forcedExit.get(node);
  if (exit === undefined) return;
  // A chunked loop's header: L_EXIT (set by its check-free copy) forces the exit edge.
  const t = fc.terms[fc.nodes[node]!]!;
  if (t.kind === 'cond' && t.taken === exit) fc.code.get(L_EXIT).op(Op.i32_or);
  // (Not `and` with !L_EXIT: a 32-bit jset's condition is any non-zero value, not 1.)
  else fc.code.set(L_A).i32(0).get(L_A).get(L_EXIT).op(Op.select);
}

/** Push an i32, non-zero when the conditional jump ending block `bi` is taken. */
export function blockCondition(fc: FunctionCompiler, bi: number): void {
  const pc = lastPc(fc.insns, fc.d.blocks[bi]!);
  const op = fc.d.ops[pc]!;
  if (op.kind !== 'jcond') throw new JitError('internal: condition of a block without a conditional jump', pc);
  emitCompare(fc.code, op, fc.insns[pc]!);
}

/** `exit`: the budget left to its global, r0-r5 returned (the caller reads r0). */
export function emitExit(fc: FunctionCompiler): void {
  const c = fc.code;
  budgetNow(fc);
  c.gset(Global.budget);
  for (let r = 0; r < 6; r++) c.get(r);
  c.op(Op.return);
}

/** A jump to a target outside the program: the bad-slot trap at the end of the program. */
export function emitBadTarget(fc: FunctionCompiler): void {
  // The only target outside the program left after bad slots is running off its end.
  trap(fc, Trap.badSlot, fc.insns.length);
}

/** Raise the runtime's trap `kind` (Trap) at `pc`; nothing after it runs. */
export function trap(fc: FunctionCompiler, kind: number, pc: number): void {
  fc.code.i32(kind).i32(pc).call(Import.trap).op(Op.unreachable);
}

/** Lower one instruction (not a jump or `exit`) at label depth `depth`, with its pc known to the indexed-base writer. */
export function instruction(fc: FunctionCompiler, op: Operation, i: Insn, pc: number, depth: number): void {
  fc.curPc = pc;
  try {
    instructionBody(fc, op, i, pc, depth);
  } finally {
    fc.curPc = -1;
  }
}

/** {@link instruction}'s lowering, by the instruction's kind. */
function instructionBody(fc: FunctionCompiler, op: Operation, i: Insn, pc: number, depth: number): void {
  const c = fc.code;
  fc.curDepth = depth;
  const haltDepth = depth - 2;
  const propDepth = depth - 1;
  switch (op.kind) {
    case 'alu':
      emitAlu(c, op.op, op.width, op.source, i);
      return;
    case 'neg':
    case 'movsx':
    case 'end':
      emitUnary(c, op, i);
      return;
    case 'lddw': {
      const next = fc.insns[pc + 1]!;
      // A function pointer (lddw source 4) loads its target's address (vm/functions).
      const value = op.pseudo === PseudoLoad.FUNC ? functionAddress(functionTarget(pc, i.imm)) : (BigInt(next.imm >>> 0) << 32n) | BigInt(i.imm >>> 0);
      c.i64(BigInt.asIntN(64, value)).set(i.dst);
      return;
    }
    case 'ldx': {
      const s = i.src === FRAME_POINTER ? fc.slotAt.get(i.offset) : undefined;
      if (s !== undefined) return emitSlotLoad(c, s, op.signed, i.dst);
      spanHead(fc, pc, i.src);
      const a = address(fc, i.src, i.offset, op.size, false, pc);
      c.mem(op.signed && op.size !== 8 ? LOAD_S[op.size] : LOAD[op.size], a.offset).set(i.dst);
      return;
    }
    case 'st':
    case 'stx': {
      const s = i.dst === FRAME_POINTER ? fc.slotAt.get(i.offset) : undefined;
      if (s !== undefined) return emitSlotStore(c, s, L_FP, fc.options.stackSize, () => (op.kind === 'st' ? c.i64(i.imm) : c.get(i.src)));
      spanHead(fc, pc, i.dst);
      // A store its head covers writes the cached region, never the stack.
      const covered = fc.spans.covered.has(pc);
      // A store through a proved frame pointer writes no promoted slot (slot-escape.ts); slots are
      // forwarded by the span checks only where there is no such pointer (d.slots).
      const framed = fc.d.slots === undefined && fc.d.frames.has(pc);
      // A store of a group whose check proved its span off the stack.
      // (Or of a versioned loop's check-free copy whose guard proved the cached region off the stack.)
      const grouped = (fc.fastGroup?.stackFree === true && groupHas(fc.fastGroup, pc)) || (fc.fastOffStack && fc.fastPcs?.has(pc) === true);
      const left = !covered && !framed && !grouped && leaveIfStack(fc, i.dst, i.offset, pc);
      if (!left && !covered && !grouped && fc.d.slots !== undefined && fc.spans.heads.size > 0 && i.dst !== FRAME_POINTER && fc.spans.protectedStores.has(pc)) {
        throw new JitError('internal: a store the span checks rely on cannot leave for the checked copy', pc);
      }
      const a = address(fc, i.dst, i.offset, op.size, true, pc);
      (op.kind === 'st' ? c.i64(i.imm) : c.get(i.src)).mem(STORE[op.size], a.offset);
      if (!left && !covered && !framed && !grouped) reloadSlotsIfStack(fc, i.dst, i.offset);
      return;
    }
    case 'atomic':
      atomic(fc, op, i, pc);
      // (Its base is not r10 when slots are promoted: an atomic on the frame counts as an escape.)
      if (fc.slotList.length > 0) loadSlots(c, fc.slotList, L_FP, fc.options.stackSize);
      return;
    case 'ldabs':
    case 'ldind':
      // The offset is 32-bit: imm, plus the low half of src for LD_IND.
      if (op.kind === 'ldind') c.get(i.src).op(Op.i32_wrap_i64).i32(i.imm).op(Op.i32_add);
      else c.i32(i.imm);
      c.i32(op.size).call(Import.packet).op(Op.i64_extend_i32_u).set(0);
      c.gget(Global.halt).brIf(haltDepth);
      return;
    case 'call':
      if (op.target === 'helper') {
        const site = fc.d.lookups?.sites.get(pc);
        const call = (depth: number): void => {
          budgetToGlobal(fc);
          c.i32(i.imm).i32(pc);
          helperArgs(fc);
          c.call(Import.helper);
          afterHelper(fc, depth);
        };
        if (site === undefined) call(haltDepth);
        else {
          // A lookup of a constant map answered here when it can (map-lookups.ts); the budget's pending
          // charges are flushed before the branch, so both ways leave it alike.
          const { global0, find } = fc.d.lookups!;
          flush(fc);
          emitInlineLookup(c, global0 + site * MAP_FIELDS, find, () => call(haltDepth + 2));
        }
      } else if (op.target === 'local') {
        localCall(fc, i, pc, propDepth);
      } else {
        trap(fc, Trap.badSlot, pc);
      }
      return;
    case 'callx':
      budgetToGlobal(fc);
      c.get(i.dst).i32(pc);
      helperArgs(fc);
      c.call(Import.helperx);
      afterHelper(fc, haltDepth);
      return;
    case 'invalid':
      trap(fc, Trap.badSlot, pc);
      return;
    default:
      // Jumps and exit end blocks; they are emitted by the structurer.
      throw new JitError(`internal: unexpected ${op.kind} inside a block`, pc);
  }
}

/** An atomic read-modify-write at its checked address (lower-atomic.ts). */
function atomic(fc: FunctionCompiler, op: Extract<Operation, { kind: 'atomic' }>, i: Insn, pc: number): void {
  const a = address(fc, i.dst, i.offset, op.size, true, pc);
  emitAtomic(fc.code, op, i, a.offset, fc.options.shared === true);
}
