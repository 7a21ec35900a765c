/**
 * The driver of the JIT's forward data-flow analyses over basic blocks (frame-ranges.ts, stack-bases.ts):
 * a work list of blocks whose entry state changed, each run from its entry state to its end, its state
 * sent along its edges; at the fixed point, one more pass over every reached block lets the analysis
 * record what it needs per instruction. The analyses give the lattice (how a state arriving at a block
 * joins the one there) and the effect of one instruction; the driver walks blocks, jumps and exits.
 * A block holding a bad slot (`badSlots`) ends there; an `exit` ends a block's path.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { branchTarget, type Operation } from '../isa/operation.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { compileWork } from './work.js';

/** One forward analysis: its states' join and its instructions' effects. */
export interface ForwardAnalysis<S> {
  /**
   * The entry state of block `b` once `s` arrives where `old` was (undefined: none yet), or undefined
   * when nothing changed. May return `old` changed in place; must not keep `s`, which the caller goes on using.
   */
  arrive(b: number, old: S | undefined, s: S): S | undefined;
  /** A copy of `s` to run a block on. */
  copy(s: S): S;
  /** The effect on `s`, in place, of the instruction at `pc`, which is not a jump or exit. */
  transfer(s: S, pc: number): void;
  /** The state along a conditional jump's taken (`true`) or fall-through edge (without it: `s` itself). */
  branch?(s: S, pc: number, taken: boolean): S;
  /** At the fixed point, called with the state before each instruction of each reached block. */
  record(s: S, pc: number): void;
}

/**
 * Runs `analysis` to its fixed point from `starts` (a pc and its state each), then calls its `record`
 * over every block reached.
 */
export function solveForward<S>(
  insns: readonly Insn[],
  ops: readonly Operation[],
  blocks: readonly BasicBlock[],
  blockAt: Int32Array,
  badSlots: Uint8Array,
  starts: readonly (readonly [number, S])[],
  analysis: ForwardAnalysis<S>,
): void {
  const n = insns.length;
  const entry: (S | undefined)[] = new Array(blocks.length);
  const queued = new Uint8Array(blocks.length);
  const work: number[] = [];
  const blockOf = (pc: number): number => (pc >= 0 && pc < n ? blockAt[pc]! : -1);
  const push = (b: number, s: S): void => {
    if (b < 0) return;
    const next = analysis.arrive(b, entry[b], s);
    if (next === undefined) return;
    entry[b] = next;
    if (queued[b] === 0) {
      queued[b] = 1;
      work.push(b);
    }
  };
  for (const [pc, s] of starts) push(blockOf(pc), s);
  const visit = (b: number, record: boolean): void => {
    const blk = blocks[b]!;
    const s = analysis.copy(entry[b]!);
    for (let pc = blk.start; pc < blk.end; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
      compileWork.units++;
      if (badSlots[pc] === 1) return;
      const op = ops[pc]!;
      if (record) analysis.record(s, pc);
      if (op.kind === 'exit') return;
      if (op.kind === 'ja') {
        if (!record) push(blockOf(branchTarget(op, insns[pc]!, pc)!), s);
        return;
      }
      if (op.kind === 'jcond') {
        if (!record) {
          push(blockOf(branchTarget(op, insns[pc]!, pc)!), analysis.branch?.(s, pc, true) ?? s);
          push(blockOf(pc + 1), analysis.branch?.(s, pc, false) ?? s);
        }
        return;
      }
      analysis.transfer(s, pc);
    }
    if (!record) push(blockOf(blk.end), s);
  };
  while (work.length > 0) {
    const b = work.pop()!;
    queued[b] = 0;
    visit(b, false);
  }
  for (let b = 0; b < blocks.length; b++) if (entry[b] !== undefined) visit(b, true);
}
