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

/**
 * How a basic block ends. A negative target means running past the program's end; `none` means the
 * block's code stops on its own (it traps).
 */
export type Terminator =
  | { readonly kind: 'exit' }
  | { readonly kind: 'none' }
  | { readonly kind: 'goto'; readonly to: number }
  | { readonly kind: 'cond'; readonly taken: number; readonly fall: number }
  /** A multiway branch: to `targets[i]` for an index i the sink pushes (see {@link StructSink.tableIndex}), else `fallback`. */
  | { readonly kind: 'table'; readonly targets: readonly number[]; readonly fallback: number };

/** A function's control-flow graph: nodes 0..count-1, entered at `entry`. */
export interface FlowGraph {
  /** Number of nodes. */
  readonly count: number;
  /** Entry node. */
  readonly entry: number;
  /** Terminator of each node. */
  readonly term: readonly Terminator[];
}

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
   * Asked of every loop header whose only back edge is its own conditional jump: true when the sink
   * emits a guarded copy of the loop before it ({@link StructSink.fastLoop}).
   */
  versioned?(node: number): boolean;
  /**
   * For a versioned self-loop, emitted in a `block` just before the loop (label 0 leaves the block
   * and enters the loop): either branch to label 0, or run every iteration of the loop and fall
   * through, after which the structurer branches to the loop's exit.
   */
  fastLoop?(node: number, depth: number): void;
}

function successors(t: Terminator): number[] {
  if (t.kind === 'goto') return t.to >= 0 ? [t.to] : [];
  if (t.kind === 'cond') return [t.taken, t.fall].filter((x) => x >= 0);
  if (t.kind === 'table') return [...new Set([...t.targets, t.fallback])].filter((x) => x >= 0);
  return [];
}

/** Reverse postorder, immediate dominators and reducibility of a graph. */
export interface GraphAnalysis {
  /** RPO number per node, -1 when unreachable. */
  readonly rpo: Int32Array;
  /** Reachable nodes in reverse postorder. */
  readonly order: readonly number[];
  /** Immediate dominator per node (the entry's is itself), -1 when unreachable. */
  readonly idom: Int32Array;
  /** True when every back edge goes to a node that dominates its source. */
  readonly reducible: boolean;
}

/** Compute reverse postorder, dominators (Cooper, Harvey and Kennedy's iterative algorithm) and reducibility. */
export function analyzeGraph(g: FlowGraph): GraphAnalysis {
  const n = g.count;
  const succ = g.term.map(successors);
  const state = new Uint8Array(n);
  const post: number[] = [];
  // Iterative DFS: recursion would overflow on long chains of blocks.
  const stack: [number, number][] = [[g.entry, 0]];
  state[g.entry] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const s = succ[top[0]]!;
    if (top[1] < s.length) {
      const next = s[top[1]++]!;
      if (state[next] === 0) {
        state[next] = 1;
        stack.push([next, 0]);
      }
    } else {
      post.push(top[0]);
      stack.pop();
    }
  }
  const order = post.reverse();
  const rpo = new Int32Array(n).fill(-1);
  order.forEach((node, i) => (rpo[node] = i));
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const u of order) for (const v of succ[u]!) preds[v]!.push(u);

  const idom = new Int32Array(n).fill(-1);
  idom[g.entry] = g.entry;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) a = idom[a]!;
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of order) {
      if (v === g.entry) continue;
      let nd = -1;
      for (const p of preds[v]!) {
        if (idom[p] === -1) continue;
        nd = nd === -1 ? p : intersect(p, nd);
      }
      if (nd !== idom[v]) {
        idom[v] = nd;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = idom[x]!) {
      if (x === a) return true;
      if (x === g.entry) return false;
    }
  };
  let reducible = true;
  for (const u of order) {
    for (const v of succ[u]!) if (rpo[v]! <= rpo[u]! && !dominates(v, u)) reducible = false;
  }
  return { rpo, order, idom, reducible };
}

type Frame = { kind: 'loop' | 'block'; node: number } | { kind: 'other' };

/**
 * Emit structured code for the graph. `outer` labels already enclose the code (e.g. the function's
 * exit paths); they count towards `depth` passed to the sink. Returns false, emitting nothing, when
 * the graph is irreducible.
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
  // Self-loops the sink versions: a guarded copy runs before the loop, in a sibling `loop`, and leaves
  // to the loop's exit by `br`, so the exit is placed like a merge node, outside the loop (nothing
  // but the header is in it, so nothing else it dominates needs the loop's label).
  const sibling = new Uint8Array(n);
  if (sink.versioned !== undefined) {
    const selfOnly = new Uint8Array(n);
    for (const u of order) for (const v of successors(g.term[u]!)) if (rpo[v]! <= rpo[u]!) selfOnly[v] = u === v && selfOnly[v] !== 2 ? 1 : 2;
    for (const x of order) {
      const t = g.term[x]!;
      if (selfOnly[x] !== 1 || t.kind !== 'cond' || (t.taken === x) === (t.fall === x) || !sink.versioned(x)) continue;
      sibling[x] = 1;
      const e = t.taken === x ? t.fall : t.taken;
      if (e >= 0 && forwardIn[e]! < 2) forced[e] = 1;
    }
  }
  for (const v of order) {
    if (v !== g.entry && (forwardIn[v]! >= 2 || forced[v] === 1)) mergeChildren[idom[v]!]!.push(v);
  }
  for (const list of mergeChildren) list.sort((x, y) => rpo[y]! - rpo[x]!);

  const code = sink.code;
  const ctx: Frame[] = [];
  const depth = (): number => outer + ctx.length;
  const labelOf = (kind: 'loop' | 'block', node: number): number => {
    for (let i = ctx.length - 1; i >= 0; i--) {
      const f = ctx[i]!;
      if (f.kind === kind && f.node === node) return ctx.length - 1 - i;
    }
    throw new JitError(`internal: no enclosing ${kind} for node ${node}`);
  };
  // A jump that is a plain `br` (back edge or edge to a merge node) and its label depth, else -1.
  const brDepth = (from: number, to: number): number => {
    if (to < 0) return -1;
    if (rpo[to]! <= rpo[from]!) return labelOf('loop', to);
    if (forwardIn[to]! >= 2 || forced[to] === 1) return labelOf('block', to);
    return -1;
  };

  const doBranch = (from: number, to: number): void => {
    if (to < 0) {
      sink.badTarget(from, depth());
      return;
    }
    const d = brDepth(from, to);
    if (d >= 0) code.br(d);
    else doTree(to);
  };

  const nodeWithin = (x: number, ys: readonly number[], k: number): void => {
    if (k < ys.length) {
      const y = ys[k]!;
      code.block();
      ctx.push({ kind: 'block', node: y });
      nodeWithin(x, ys, k + 1);
      ctx.pop();
      code.end();
      doTree(y);
      return;
    }
    sink.body(x, depth());
    const t = g.term[x]!;
    if (t.kind === 'exit') sink.exit(x, depth());
    else if (t.kind === 'none') code.op(0x00);
    else if (t.kind === 'goto') doBranch(x, t.to);
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
        doBranch(x, t.fall);
        return;
      }
      const fallBr = brDepth(x, t.fall);
      if (fallBr >= 0) {
        code.op(0x45); // i32.eqz: branch when not taken
        code.brIf(fallBr);
        doBranch(x, t.taken);
        return;
      }
      code.if();
      ctx.push({ kind: 'other' });
      doBranch(x, t.taken);
      code.else();
      doBranch(x, t.fall);
      ctx.pop();
      code.end();
    }
  };

  function doTree(x: number): void {
    const ys = mergeChildren[x]!;
    if (sibling[x] === 1) {
      // block* (x's merge children) { block { fast copy; br exit } loop { x } } ys...
      const t = g.term[x] as { readonly taken: number; readonly fall: number };
      const wrap = (k: number): void => {
        if (k < ys.length) {
          const y = ys[k]!;
          code.block();
          ctx.push({ kind: 'block', node: y });
          wrap(k + 1);
          ctx.pop();
          code.end();
          doTree(y);
          return;
        }
        code.block();
        ctx.push({ kind: 'other' });
        sink.fastLoop!(x, depth());
        doBranch(x, t.taken === x ? t.fall : t.taken);
        ctx.pop();
        code.end();
        code.loop();
        ctx.push({ kind: 'loop', node: x });
        nodeWithin(x, [], 0);
        ctx.pop();
        code.end();
      };
      wrap(0);
    } else if (loopHeader[x] === 1) {
      code.loop();
      ctx.push({ kind: 'loop', node: x });
      nodeWithin(x, ys, 0);
      ctx.pop();
      code.end();
    } else {
      nodeWithin(x, ys, 0);
    }
  }

  doTree(g.entry);
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
