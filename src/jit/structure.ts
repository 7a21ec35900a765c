/**
 * Rebuilds structured WebAssembly control flow (nested `block`/`loop`/`if`) from a control-flow
 * graph of basic blocks, following N. Ramsey, "Beyond Relooper" (ICFP 2022): walk the dominator
 * tree; a node with two or more forward in-edges (a merge node) is placed right after a `block`
 * that encloses its dominator's code, so forward jumps to it become `br`; a node with a back edge is
 * wrapped in a `loop`, so back edges become `br` to the loop. This needs a reducible graph (every
 * back edge targets a node that dominates its source), which clang always produces. Irreducible
 * graphs fall back to a `loop` around a `br_table` dispatch on a block-number local.
 * @module
 */
import type { CodeWriter } from '../wasm/module.js';
import { JitError } from '../errors.js';
import { analyzeGraph, successors, type FlowGraph } from './graph.js';

export type { FlowGraph, Terminator } from './graph.js';

/** What the structurer asks the compiler to emit. `depth` is the number of enclosing labels. */
export interface StructSink {
  /** The writer all code goes to. */
  readonly code: CodeWriter;
  /** The node's straight-line code (its budget charge and its instructions, not the terminator). */
  body(node: number, depth: number): void;
  /** Push an i32 that is non-zero when the node's conditional jump is taken. */
  condition(node: number): void;
  /** Push the i32 index of a `table` node's branch. */
  tableIndex(node: number): void;
  /** Leave the function (eBPF `exit`). */
  exit(node: number, depth: number): void;
  /** Control reaches an invalid target from `node` (the code must not fall through). */
  badTarget(node: number, depth: number): void;
  /**
   * Asked of every loop header whose only back edge is its own conditional jump, or comes from a latch
   * node that only its conditional jump enters: true when the sink emits a guarded copy of the loop
   * before it ({@link StructSink.fastLoop}).
   */
  versioned?(node: number): boolean;
  /**
   * For a versioned self-loop, emitted in a `block` just before the loop (label 0 leaves the block
   * and enters the loop): either branch to label 0, or run every iteration of the loop and fall
   * through, after which the structurer branches to the loop's exit.
   */
  fastLoop?(node: number, depth: number): void;
  /** Emitted just before a loop is opened, so once per entry into it from outside. */
  loopEntry?(node: number, depth: number): void;
  /**
   * Whether the loop headed by `node` gets a way back (reentry.ts): then it is emitted as
   * `loop $back { block $miss { <entry> loop … end } <wayBack> }`, {@link enterWayBack} called just
   * inside `$miss` (whose label index is `depth` - 1) and {@link wayBack} after it, inside `$back`,
   * whose code must end by a branch (`br 0` re-enters the loop through its entry code).
   */
  hasWayBack?(node: number): boolean;
  enterWayBack?(node: number, depth: number): void;
  wayBack?(node: number, depth: number): void;
}

/**
 * Emit structured code for the graph. `outer` labels already enclose the code (e.g. the function's
 * exit paths); they count towards `depth` passed to the sink. Returns false, emitting nothing, when
 * the graph is irreducible.
 *
 * The walk of the dominator tree is driven by an explicit stack of tasks rather than recursion (a
 * chain of thousands of blocks or loops nested thousands deep would overflow the JS stack), and each
 * node's enclosing label is found by its position on the label stack, not by a search.
 */
export function emitStructured(g: FlowGraph, sink: StructSink, outer: number): boolean {
  const a = analyzeGraph(g);
  if (!a.reducible) return false;
  const { rpo, idom, order } = a;
  const n = g.count;
  const forwardIn = new Int32Array(n);
  const loopHeader = new Uint8Array(n);
  for (const u of order) {
    for (const v of successors(g.term[u]!)) {
      if (rpo[v]! > rpo[u]!) forwardIn[v]!++;
      else loopHeader[v] = 1;
    }
  }
  const mergeChildren: number[][] = Array.from({ length: n }, () => []);
  // Forward targets of a multiway branch are reached by `br` too, so they are placed like merge nodes
  // (after a block enclosing the branch) even with a single in-edge.
  const forced = new Uint8Array(n);
  for (const u of order) {
    if (g.term[u]!.kind !== 'table') continue;
    for (const v of successors(g.term[u]!)) if (rpo[v]! > rpo[u]! && forwardIn[v]! < 2) forced[v] = 1;
  }
  // One-node loops the sink versions: a guarded copy runs before the loop, in a sibling `loop`, and
  // leaves to the loop's exit by `br`, so the exit is placed like a merge node, outside the loop. The
  // header's conditional jump goes back to it directly or through a latch, a node entered from the
  // header alone that only goes back to it (emitted inline in the loop); nothing else the header
  // dominates needs the loop's label.
  const sibling = new Uint8Array(n);
  /** A versioned loop's exit. */
  const siblingExit = new Int32Array(n).fill(-1);
  if (sink.versioned !== undefined) {
    // The one node each header's back edges come from (-2: several).
    const latch = new Int32Array(n).fill(-1);
    for (const u of order) for (const v of successors(g.term[u]!)) if (rpo[v]! <= rpo[u]!) latch[v] = latch[v] === -1 || latch[v] === u ? u : -2;
    for (const x of order) {
      const t = g.term[x]!;
      const l = latch[x]!;
      if (l < 0 || t.kind !== 'cond' || (t.taken === l) === (t.fall === l)) continue;
      const lt = g.term[l]!;
      if (l !== x && !(lt.kind === 'goto' && lt.to === x && forwardIn[l] === 1)) continue;
      if (!sink.versioned(x)) continue;
      sibling[x] = 1;
      const e = t.taken === l ? t.fall : t.taken;
      siblingExit[x] = e;
      if (e >= 0 && forwardIn[e]! < 2) forced[e] = 1;
    }
  }
  for (const v of order) {
    if (v !== g.entry && (forwardIn[v]! >= 2 || forced[v] === 1)) mergeChildren[idom[v]!]!.push(v);
  }
  for (const list of mergeChildren) list.sort((x, y) => rpo[y]! - rpo[x]!);

  const code = sink.code;
  // The labels enclosing the code being emitted, innermost last, and where each node's `loop` and
  // merge `block` sit in it (-1: not open). A node's loop and block are each opened once.
  let labels = 0;
  const loopAt = new Int32Array(n).fill(-1);
  const blockAt = new Int32Array(n).fill(-1);
  /** What each open label is: a node's loop or block (to close its entry), or another construct (-1). */
  const open: { kind: 'loop' | 'block' | 'other'; node: number }[] = [];
  const push = (kind: 'loop' | 'block' | 'other', node: number): void => {
    if (kind === 'loop') loopAt[node] = labels;
    else if (kind === 'block') blockAt[node] = labels;
    open.push({ kind, node });
    labels++;
  };
  const pop = (): void => {
    const f = open.pop()!;
    if (f.kind === 'loop') loopAt[f.node] = -1;
    else if (f.kind === 'block') blockAt[f.node] = -1;
    labels--;
  };
  const depth = (): number => outer + labels;
  const labelOf = (at: Int32Array, kind: string, node: number): number => {
    const i = at[node]!;
    if (i < 0) throw new JitError(`internal: no enclosing ${kind} for node ${node}`);
    return labels - 1 - i;
  };
  // A jump that is a plain `br` (back edge or edge to a merge node) and its label depth, else -1.
  const brDepth = (from: number, to: number): number => {
    if (to < 0) return -1;
    if (rpo[to]! <= rpo[from]!) return labelOf(loopAt, 'loop', to);
    if (forwardIn[to]! >= 2 || forced[to] === 1) return labelOf(blockAt, 'block', to);
    return -1;
  };

  // The task stack: what is left to emit, the next task last. Each task is an op and a node (and for
  // WITHIN/WRAP, the index of the next merge child to open a block for).
  const TREE = 0; // the subtree of the dominator tree rooted at node
  const WITHIN = 1; // open blocks for merge children k.. of node, then its body and terminator
  const WRAP = 2; // the same for a versioned one-node loop (sibling fast copy and checked loop)
  const BRANCH = 3; // a jump from node to arg: a `br`, or the target's subtree inline
  const CLOSE = 4; // close the innermost label
  const ELSE = 5; // `else` of the innermost `if`
  const LOOP = 6; // open the checked loop of a versioned one-node loop, then its body
  const BACK = 7; // a loop's way back, after its `$miss` block
  const ops: number[] = [];
  const nodesOf: number[] = [];
  const args: number[] = [];
  const task = (op: number, node: number, arg = 0): void => {
    ops.push(op);
    nodesOf.push(node);
    args.push(arg);
  };

  const terminator = (x: number): void => {
    const t = g.term[x]!;
    if (t.kind === 'exit') sink.exit(x, depth());
    else if (t.kind === 'none') code.op(0x00);
    else if (t.kind === 'goto') task(BRANCH, x, t.to);
    else if (t.kind === 'table') {
      // Every target is a loop header, a merge node or a forced merge child of x: all plain `br`s.
      const depthOf = (to: number): number => {
        const d = brDepth(x, to);
        if (d < 0) throw new JitError(`internal: table target ${to} of node ${x} has no label`);
        return d;
      };
      sink.tableIndex(x);
      code.brTable(t.targets.map(depthOf), depthOf(t.fallback));
    } else {
      sink.condition(x);
      const takenBr = brDepth(x, t.taken);
      if (takenBr >= 0) {
        code.brIf(takenBr);
        task(BRANCH, x, t.fall);
        return;
      }
      const fallBr = brDepth(x, t.fall);
      if (fallBr >= 0) {
        code.op(0x45); // i32.eqz: branch when not taken
        code.brIf(fallBr);
        task(BRANCH, x, t.taken);
        return;
      }
      code.if();
      push('other', -1);
      // Run in reverse: the taken arm, `else`, the fall-through arm, `end`.
      task(CLOSE, x);
      task(BRANCH, x, t.fall);
      task(ELSE, x);
      task(BRANCH, x, t.taken);
    }
  };

  task(TREE, g.entry);
  while (ops.length > 0) {
    const op = ops.pop()!;
    const x = nodesOf.pop()!;
    const arg = args.pop()!;
    switch (op) {
      case TREE:
        if (sibling[x] === 1) task(WRAP, x, 0);
        else if (loopHeader[x] === 1) {
          if (sink.hasWayBack?.(x) === true) {
            // loop $back { block $miss { <entry> loop x … end } <way back> }: nothing falls out of
            // loop x (every path in it ends in a branch), nor out of the way back.
            code.loop();
            push('other', -1);
            code.block();
            push('other', -1);
            sink.enterWayBack!(x, depth());
            task(CLOSE, x);
            task(BACK, x);
            task(CLOSE, x);
          }
          sink.loopEntry?.(x, depth());
          code.loop();
          push('loop', x);
          task(CLOSE, x);
          task(WITHIN, x, 0);
        } else task(WITHIN, x, 0);
        break;
      case WITHIN:
      case WRAP: {
        const ys = mergeChildren[x]!;
        if (arg < ys.length) {
          // block { <the rest> } <y's subtree>
          const y = ys[arg]!;
          code.block();
          push('block', y);
          task(TREE, y);
          task(CLOSE, y);
          task(op, x, arg + 1);
        } else if (op === WITHIN) {
          sink.body(x, depth());
          terminator(x);
        } else {
          // block { fast copy; br exit } loop { x }
          code.block();
          push('other', -1);
          sink.fastLoop!(x, depth());
          task(LOOP, x);
          task(CLOSE, x);
          task(BRANCH, x, siblingExit[x]!);
        }
        break;
      }
      case LOOP:
        code.loop();
        push('loop', x);
        task(CLOSE, x);
        sink.body(x, depth());
        terminator(x);
        break;
      case BRANCH:
        if (arg < 0) sink.badTarget(x, depth());
        else {
          const d = brDepth(x, arg);
          if (d >= 0) code.br(d);
          else task(TREE, arg);
        }
        break;
      case CLOSE:
        pop();
        code.end();
        break;
      case BACK:
        sink.wayBack!(x, depth());
        break;
      case ELSE:
        code.else();
        break;
    }
  }
  // Every path above ends in br/return/unreachable; tell the validator nothing falls out.
  code.op(0x00);
  return true;
}

/**
 * The general fallback: `loop { block* { br_table on label } ... }`, each node setting `label` and
 * jumping back to the loop. Works for any graph; slower, since every jump goes through the table.
 * Returns each node's label value (-1: unreachable). With `preset`, the code starts at whatever node
 * the label local already names instead of the entry.
 */
export function emitDispatch(g: FlowGraph, sink: StructSink, outer: number, labelLocal: number, preset = false): Int32Array {
  const a = analyzeGraph(g);
  const nodes = a.order;
  const index = new Int32Array(g.count).fill(-1);
  nodes.forEach((v, i) => (index[v] = i));
  const code = sink.code;
  const k = nodes.length;
  if (!preset) code.i32(index[g.entry]!).set(labelLocal);
  code.loop();
  for (let i = 0; i < k; i++) code.block();
  code.get(labelLocal).brTable(
    nodes.map((_, i) => i),
    0,
  );
  for (let i = 0; i < k; i++) {
    code.end();
    const x = nodes[i]!;
    // Enclosing labels here: blocks i+1..k-1, then the loop.
    const loopDepth = k - 1 - i;
    const base = outer + loopDepth + 1;
    const jump = (to: number, extra: number): void => {
      if (to < 0) sink.badTarget(x, base + extra);
      else code.i32(index[to]!).set(labelLocal).br(loopDepth + extra);
    };
    sink.body(x, base);
    const t = g.term[x]!;
    if (t.kind === 'exit') sink.exit(x, base);
    else if (t.kind === 'none') code.op(0x00);
    else if (t.kind === 'goto') jump(t.to, 0);
    else if (t.kind === 'table') throw new JitError('internal: multiway branches are not supported by the dispatch loop');
    else {
      sink.condition(x);
      code.if();
      jump(t.taken, 1);
      code.else();
      jump(t.fall, 1);
      code.end();
      code.op(0x00);
    }
  }
  code.end();
  code.op(0x00);
  return index;
}
