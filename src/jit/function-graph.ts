/**
 * The flow graph of one function (graph.ts's {@link FlowGraph}): its blocks reachable from the entry
 * without following calls, each ending as if-convert.ts compiles it, and with `switches` a compare tree
 * on one register rebuilt as a `br_table` (switch-table.ts) whose edges are nodes of their own, each
 * charging the compare blocks the table jumps over, so budget errors stay the interpreter's.
 * @module
 */
import { fieldUse } from '../verifier/fields.js';
import { planSwitch, type Compare, type SwitchPlan } from './switch-table.js';
import { lastPc, type FlowGraph, type Terminator } from './graph.js';
import { termOf } from './if-convert.js';
import type { FunctionCompiler } from './function-compiler.js';

/**
 * The function's flow graph: its blocks reachable from the entry without following calls, plus
 * (with `switches`) one node per edge of each recognised switch, charging the compare blocks the
 * `br_table` jumps over.
 */
export function buildGraph(fc: FunctionCompiler, entryBlock: number, switches: boolean): FlowGraph {
  fc.nodes = [];
  fc.switchOf.clear();
  fc.forcedExit.clear();
  fc.siblings.clear();
  fc.trampolines = [];
  const local = new Map<number, number>();
  fc.nodeOf = local;
  const visit = (b: number): number => {
    if (b < 0) return -1;
    let n = local.get(b);
    if (n === undefined) {
      n = fc.nodes.length;
      local.set(b, n);
      fc.nodes.push(b);
    }
    return n;
  };
  visit(entryBlock);
  const term: Terminator[] = [];
  for (let i = 0; i < fc.nodes.length; i++) {
    const b = fc.nodes[i]!;
    if (b < 0) {
      // A switch edge: charge its compare blocks, then go on to its target.
      term[i] = { kind: 'goto', to: visit(fc.trampolines[-1 - b]!.target) };
      continue;
    }
    const sw = switches ? switchPlan(fc, b) : undefined;
    if (sw !== undefined) {
      const edgeNodes = sw.edges.map((e) => {
        fc.trampolines.push(e);
        fc.nodes.push(-fc.trampolines.length);
        return fc.nodes.length - 1;
      });
      fc.switchOf.set(i, sw);
      const targets = sw.index.map((k) => edgeNodes[k]!);
      term[i] = { kind: 'table', targets, fallback: targets[targets.length - 1]! };
      continue;
    }
    const t = termOf(fc, b);
    if (t.kind === 'goto') term[i] = { kind: 'goto', to: visit(t.to) };
    else if (t.kind === 'cond') {
      const taken = visit(t.taken);
      term[i] = { kind: 'cond', taken, fall: visit(t.fall) };
    } else term[i] = t;
  }
  return { count: fc.nodes.length, entry: 0, term };
}

/** The switch rooted at `block` (see switch-table.ts), or undefined. */
function switchPlan(fc: FunctionCompiler, block: number): SwitchPlan | undefined {
  return planSwitch(
    {
      compareOf: (b, reg, width) => compareOf(fc, b, reg, width),
      blockLength: (b) => fc.d.blocks[b]!.length,
      maskBound: (b, reg) => maskBound(fc, b, reg),
    },
    block,
  );
}

/**
 * m when the last write of `reg` in `block` before its final jump is `reg &= m` with 0 <= m (then
 * the value is in [0, m] in every width and signedness: clang's `switch (x & 63)`); else undefined.
 */
function maskBound(fc: FunctionCompiler, block: number, reg: number): number | undefined {
  const b = fc.d.blocks[block]!;
  const last = lastPc(fc.insns, b);
  let bound: number | undefined;
  for (let pc = b.start; pc < last; pc += fc.d.ops[pc]!.kind === 'lddw' ? 2 : 1) {
    const op = fc.d.ops[pc]!;
    const i = fc.insns[pc]!;
    // r0 is also written by cmpxchg, packet loads and calls (r1-r5 too, for local calls).
    const implicit = (op.kind === 'atomic' && op.op === 'cmpxchg') || op.kind === 'ldabs' || op.kind === 'ldind' ? reg === 0 : op.kind === 'call' || op.kind === 'callx' ? reg <= 5 : false;
    if (!implicit && !fieldUse(op).writes.some((f) => i[f] === reg)) continue;
    bound = !implicit && op.kind === 'alu' && op.op === 'and' && op.source === 'imm' && i.imm >= 0 ? i.imm : undefined;
  }
  return bound;
}

/** The compare-with-constant jump ending `block` (on register `reg` and width `width` when given). */
function compareOf(fc: FunctionCompiler, block: number, reg: number, width: number): Compare | undefined {
  if (block < 0) return undefined;
  const b = fc.d.blocks[block]!;
  for (let pc = b.start; pc < b.end; pc++) if (fc.options.badSlots[pc] === 1) return undefined;
  const pc = lastPc(fc.insns, b);
  const op = fc.d.ops[pc]!;
  const t = fc.terms[block]!;
  if (op.kind !== 'jcond' || op.source !== 'imm' || t.kind !== 'cond' || t.taken < 0 || t.fall < 0) return undefined;
  const i = fc.insns[pc]!;
  if ((reg >= 0 && i.dst !== reg) || (width !== 0 && op.width !== width)) return undefined;
  return { reg: i.dst, width: op.width, cond: op.cond, imm: i.imm, taken: t.taken, fall: t.fall };
}
