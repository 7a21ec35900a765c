/**
 * If-conversion: a conditional jump over a short pure block (a "triangle": the skipped block falls
 * through or jumps to the other target) compiles as `select`s instead of a branch. Branches like these
 * are data-dependent in clang's code (log2, min/max, flag setting) and mispredict; a `select` becomes a
 * conditional move. The skipped block's budget charge applies only when it would have run.
 * @module
 */
import type { AluName } from '../isa/operation.js';
import { Import, Trap } from './layout.js';
import { lastPc, type Terminator } from './graph.js';
import { L_ACC, L_BUDGET, L_COND, L_S0 } from './locals.js';
import { Op } from '../wasm/opcodes.js';
import { emitCondition, instruction } from './emit-block.js';
import type { FunctionCompiler } from './function-compiler.js';

/** ALU operations that cannot fail or branch in the generated code, so a block of them can run speculatively. */
const PURE_ALU: ReadonlySet<AluName> = new Set<AluName>(['add', 'sub', 'mul', 'or', 'and', 'xor', 'lsh', 'rsh', 'arsh', 'mov']);

/** Largest block (in instructions) compiled as selects rather than a branch. */
const MAX_SELECT_BLOCK = 3;

/** A conditional jump over a short pure block, compiled as `select`s instead of a branch. */
export interface Converted {
  /** The skipped block (block index). */
  readonly block: number;
  /** True when the block runs when the jump is taken (it is the jump's target), false when it is the fall-through. */
  readonly whenTaken: boolean;
  /** Registers the block writes. */
  readonly writes: readonly number[];
}

/** The block's registers written, when it is short, pure (plain ALU) and ends by going to `join`; else undefined. */
function pureBlock(fc: FunctionCompiler, block: number, join: number): number[] | undefined {
  const t = fc.terms[block]!;
  if (t.kind !== 'goto' || t.to !== join) return undefined;
  const b = fc.d.blocks[block]!;
  if (b.length > MAX_SELECT_BLOCK) return undefined;
  const writes: number[] = [];
  for (let pc = b.start; pc < b.end; pc++) {
    if (fc.options.badSlots[pc] === 1) return undefined;
    const op = fc.d.ops[pc]!;
    const i = fc.insns[pc]!;
    if (op.kind === 'ja' && pc === b.end - 1) continue;
    if (!((op.kind === 'alu' && PURE_ALU.has(op.op)) || op.kind === 'neg')) return undefined;
    if (!writes.includes(i.dst)) writes.push(i.dst);
  }
  return writes.length <= 2 ? writes : undefined;
}

/** The terminator the function compiles for a block (a converted jump becomes a goto to the join). */
export function termOf(fc: FunctionCompiler, block: number): Terminator {
  const t = fc.terms[block]!;
  if (t.kind !== 'cond' || t.taken === t.fall || t.taken < 0 || t.fall < 0) return t;
  const have = fc.converted.get(block);
  if (have !== undefined) return { kind: 'goto', to: have.whenTaken ? t.fall : t.taken };
  if (t.fall !== block) {
    const writes = pureBlock(fc, t.fall, t.taken);
    if (writes !== undefined) {
      fc.converted.set(block, { block: t.fall, whenTaken: false, writes });
      return { kind: 'goto', to: t.taken };
    }
  }
  if (t.taken !== block) {
    const writes = pureBlock(fc, t.taken, t.fall);
    if (writes !== undefined) {
      fc.converted.set(block, { block: t.taken, whenTaken: true, writes });
      return { kind: 'goto', to: t.fall };
    }
  }
  return t;
}

/**
 * The skipped block of a converted jump: compute its results unconditionally, then keep them or the
 * old values with `select`. Its budget charge applies only when it runs (and fails at its first pc).
 */
export function selectBlock(fc: FunctionCompiler, node: number, conv: Converted, depth: number): void {
  const c = fc.code;
  const b = fc.d.blocks[conv.block]!;
  emitCondition(fc, node);
  if (!conv.whenTaken) c.op(Op.i32_eqz);
  c.set(L_COND);
  // The charge, length × condition (fewer instructions than a `select`), from a 0/1 condition: a
  // 32-bit jset's is the and-ed bits.
  const charge = (): void => {
    const jop = fc.d.ops[lastPc(fc.insns, fc.d.blocks[fc.nodes[node]!]!)]!;
    c.get(L_COND);
    if (conv.whenTaken && jop.kind === 'jcond' && jop.width === 32 && jop.cond === 'jset') c.i32(0).op(Op.i32_ne);
    c.op(Op.i64_extend_i32_u);
    if (b.length !== 1) c.i64(b.length).op(Op.i64_mul);
  };
  if (!fc.unchecked) {
    c.get(L_BUDGET);
    charge();
    c.op(Op.i64_sub).tee(L_BUDGET).i64(0).op(Op.i64_lt_s);
    c.if().i32(Trap.budget).i32(b.start).call(Import.trap).op(Op.unreachable).end();
  } else {
    c.get(L_ACC);
    charge();
    c.op(Op.i64_add).set(L_ACC);
  }
  conv.writes.forEach((r, k) => c.get(r).set(L_S0 + k));
  for (let pc = b.start; pc < b.end; pc++) {
    const op = fc.d.ops[pc]!;
    if (op.kind !== 'ja') instruction(fc, op, fc.insns[pc]!, pc, depth);
  }
  conv.writes.forEach((r, k) => c.get(r).get(L_S0 + k).get(L_COND).op(Op.select).set(r));
}
