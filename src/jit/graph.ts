/**
 * Control-flow graphs of basic blocks as the JIT sees them, and the analyses its passes share:
 * reverse postorder, dominators, reducibility and innermost loops. Every analysis here runs in time
 * about linear in the graph and without recursion: a program may have a million instructions, its
 * graphs hundreds of thousands of nodes, its loops nested thousands deep.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { branchTarget, type Operation } from '../isa/operation.js';
import { Opcode, PseudoLoad } from '../isa/opcodes.js';
import { functionTarget } from '../vm/functions.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { compileWork } from './work.js';

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

/** The nodes a terminator can go to (each once; invalid targets left out). */
export function successors(t: Terminator): number[] {
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
  /**
   * Immediate dominator per node (the entry's is itself), -1 when unreachable. Exact when the graph
   * is reducible; otherwise the dominators of its forward edges alone.
   */
  readonly idom: Int32Array;
  /** True when every back edge goes to a node that dominates its source. */
  readonly reducible: boolean;
}

/**
 * Compute reverse postorder, dominators and reducibility, in time about linear in the graph (the
 * graph may have a million nodes, so nothing here recurses or walks a whole dominator chain per edge).
 *
 * Dominators come from the forward edges alone (u → v with v later in reverse postorder): they form
 * a DAG whose nodes, taken in reverse postorder, have all their predecessors done, so a node's
 * immediate dominator is the nearest common ancestor, in the dominator tree built so far, of its
 * predecessors. A graph is reducible exactly when every retreating edge's target dominates its
 * source in that DAG (adding such an edge changes no dominator, so the DAG's dominators are then the
 * graph's). Ancestor queries use one jump pointer per node (each node's jump skips a number of levels
 * that depends on its depth only, doubling along the path), which answers them in O(log depth).
 */
export function analyzeGraph(g: FlowGraph): GraphAnalysis {
  let a = analyses.get(g);
  if (a === undefined) {
    a = analyze(g);
    analyses.set(g, a);
  }
  return a;
}

/**
 * Each graph's analysis, made once: the passes of one function ask for it again and again (its graph
 * is not changed once built), and the analysis is read-only.
 */
const analyses = new WeakMap<FlowGraph, GraphAnalysis>();

function analyze(g: FlowGraph): GraphAnalysis {
  const n = g.count;
  compileWork.units += n;
  const succ = g.term.map(successors);
  const state = new Uint8Array(n);
  const post: number[] = [];
  // Iterative DFS: recursion would overflow on long chains of blocks.
  const stackNode: number[] = [g.entry];
  const stackNext: number[] = [0];
  state[g.entry] = 1;
  while (stackNode.length > 0) {
    const top = stackNode.length - 1;
    const node = stackNode[top]!;
    const s = succ[node]!;
    const k = stackNext[top]!;
    if (k < s.length) {
      stackNext[top] = k + 1;
      const next = s[k]!;
      if (state[next] === 0) {
        state[next] = 1;
        stackNode.push(next);
        stackNext.push(0);
      }
    } else {
      post.push(node);
      stackNode.pop();
      stackNext.pop();
    }
  }
  const order = post.reverse();
  const rpo = new Int32Array(n).fill(-1);
  order.forEach((node, i) => (rpo[node] = i));

  const idom = new Int32Array(n).fill(-1);
  const depth = new Int32Array(n);
  const jump = new Int32Array(n);
  idom[g.entry] = g.entry;
  jump[g.entry] = g.entry;
  /** The ancestor of `x` at depth `d` (<= x's depth). */
  const ancestorAt = (x: number, d: number): number => {
    while (depth[x]! > d) x = depth[jump[x]!]! >= d ? jump[x]! : idom[x]!;
    return x;
  };
  const common = (a: number, b: number): number => {
    if (depth[a]! > depth[b]!) a = ancestorAt(a, depth[b]!);
    else if (depth[b]! > depth[a]!) b = ancestorAt(b, depth[a]!);
    while (a !== b) {
      // At equal depths the jump pointers skip equally far.
      if (jump[a] !== jump[b]) {
        a = jump[a]!;
        b = jump[b]!;
      } else {
        a = idom[a]!;
        b = idom[b]!;
      }
    }
    return a;
  };
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const u of order) for (const v of succ[u]!) if (rpo[v]! > rpo[u]!) preds[v]!.push(u);
  for (const v of order) {
    if (v === g.entry) continue;
    let d = -1;
    for (const p of preds[v]!) d = d === -1 ? p : common(p, d);
    idom[v] = d;
    depth[v] = depth[d]! + 1;
    const j = jump[d]!;
    jump[v] = depth[d]! - depth[j]! === depth[j]! - depth[jump[j]!]! ? jump[j]! : d;
  }
  let reducible = true;
  for (const u of order) {
    for (const v of succ[u]!) if (rpo[v]! <= rpo[u]! && ancestorAt(u, depth[v]!) !== v) reducible = false;
  }
  return { rpo, order, idom, reducible };
}


/**
 * The loop-nest walk both queries below share: headers (targets of back edges in reverse post-order)
 * innermost first, each loop's body found backwards from its latches, with the nodes of loops already
 * walked collapsed into their headers (union-find), so the walk is linear however deep loops nest.
 * `visit` gets each header, its body (header excluded; an inner loop appears as its header), whether
 * the loop is reducible and whether it holds an inner loop. An irreducible region's nodes are collapsed
 * into its header only with `collapseIrreducible`. Returns the union-find's `find`.
 */
function walkLoops(
  g: FlowGraph,
  a: GraphAnalysis,
  collapseIrreducible: boolean,
  visit: (header: number, body: readonly number[], reducible: boolean, innermost: boolean) => void,
): (x: number) => number {
  const n = g.count;
  const { rpo, order } = a;
  const preds: number[][] = Array.from({ length: n }, () => []);
  const header = new Uint8Array(n);
  for (const u of order) {
    for (const v of successors(g.term[u]!)) {
      preds[v]!.push(u);
      if (rpo[v]! <= rpo[u]!) header[v] = 1;
    }
  }
  // Union-find: the outermost loop found so far that contains each node (itself when none).
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[x] !== r) {
      const next = parent[x]!;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  const seen = new Int32Array(n).fill(-1);
  for (let k = order.length - 1; k >= 0; k--) {
    const h = order[k]!;
    if (header[h] !== 1) continue;
    let innermost = true;
    let reducible = true;
    const body: number[] = [];
    seen[h] = h;
    const work = preds[h]!.filter((u) => rpo[u]! >= rpo[h]!);
    while (work.length > 0) {
      const u = find(work.pop()!);
      if (seen[u] === h) continue;
      seen[u] = h;
      if (rpo[u]! < rpo[h]!) {
        reducible = false;
        continue;
      }
      // An inner loop's header, or a node some inner loop collapsed (find went up to its header).
      if (header[u] === 1) innermost = false;
      body.push(u);
      for (const p of preds[u]!) work.push(p);
    }
    if (reducible || collapseIrreducible) for (const u of body) parent[u] = h;
    visit(h, body, reducible, innermost);
  }
  return find;
}

/**
 * Ancestry in the dominator tree of an analysed graph (`count` nodes, `root` its entry): `above(u, v)` is
 * true when u dominates v (u = v included), both reachable; from the tree's pre- and post-order numbers,
 * computed once without recursion, so that each query takes constant time.
 */
export function treeAncestry(count: number, root: number, a: GraphAnalysis): (u: number, v: number) => boolean {
  const children: number[][] = Array.from({ length: count }, () => []);
  for (const v of a.order) if (v !== root && a.idom[v]! >= 0) children[a.idom[v]!]!.push(v);
  const pre = new Int32Array(count).fill(-1);
  const post = new Int32Array(count);
  let clock = 0;
  const stack: [number, number][] = [[root, 0]];
  pre[root] = clock++;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const kids = children[top[0]]!;
    if (top[1] < kids.length) {
      const child = kids[top[1]++]!;
      pre[child] = clock++;
      stack.push([child, 0]);
    } else {
      post[top[0]] = clock++;
      stack.pop();
    }
  }
  return (u, v) => pre[u]! >= 0 && pre[v]! >= 0 && pre[u]! <= pre[v]! && post[v]! <= post[u]!;
}

/**
 * Post-dominance: `postDominates(x, h)` is true when every path from node h to the function's end (a
 * node without successors) passes through node x (x = h included). Computed as the dominators of the
 * reversed graph from a virtual exit (with {@link analyzeGraph}: exact where that graph is reducible,
 * an approximation otherwise); nodes that reach no end (endless loops) are post-dominated by none.
 */
export function postDominance(g: FlowGraph): (x: number, h: number) => boolean {
  const n = g.count;
  const preds: number[][] = Array.from({ length: n }, () => []);
  const sinks: number[] = [];
  for (let u = 0; u < n; u++) {
    const out = successors(g.term[u]!);
    if (out.length === 0) sinks.push(u);
    for (const v of out) preds[v]!.push(u);
  }
  const term: Terminator[] = preds.map((p) => ({ kind: 'table', targets: p, fallback: -1 }));
  term.push({ kind: 'table', targets: sinks, fallback: -1 });
  const a = analyzeGraph({ count: n + 1, entry: n, term });
  return treeAncestry(n + 1, n, a);
}

/**
 * The innermost loops of a graph: for each loop header (a target of a retreating edge) whose loop
 * contains no other header, the header and its body, in reverse postorder. A loop's body is what
 * reaches one of its back edges' sources without passing through the header.
 *
 * Loops are found innermost first (headers in decreasing reverse postorder); each body walk collapses
 * the loops it passes into their header (union-find), so every node is absorbed into a loop once and
 * a walk never re-enters an inner loop's body: linear time however deep loops nest. Irreducible
 * regions (a walk reaching a node before the header) count as no loop.
 */
export function innermostLoops(g: FlowGraph, a: GraphAnalysis): readonly { readonly header: number; readonly body: readonly number[] }[] {
  const have = innermost.get(g);
  if (have !== undefined) return have;
  const { rpo } = a;
  const loops: { header: number; body: number[] }[] = [];
  walkLoops(g, a, true, (h, body, reducible, innermost) => {
    if (innermost && reducible) loops.push({ header: h, body: [h, ...body].sort((x, y) => rpo[x]! - rpo[y]!) });
  });
  innermost.set(g, loops);
  return loops;
}

/** Each graph's innermost loops, found once (the check planner asks three times, the slot promotion once). */
const innermost = new WeakMap<FlowGraph, readonly { readonly header: number; readonly body: readonly number[] }[]>();

/**
 * For every node, the outermost (reducible) loop holding it: its header, or -1 outside every loop.
 * The same walk as {@link innermostLoops}, over every header innermost first, so linear time however
 * deep loops nest.
 */
export function outermostLoopOf(g: FlowGraph, a: GraphAnalysis): Int32Array {
  const looped = new Uint8Array(g.count);
  const find = walkLoops(g, a, false, (h, _body, reducible) => {
    if (reducible) looped[h] = 1;
  });
  const out = new Int32Array(g.count).fill(-1);
  for (const u of a.order) {
    const r = find(u);
    if (looped[r] === 1) out[u] = r;
  }
  return out;
}

/** Slot index of a block's last instruction. */
export function lastPc(insns: readonly Insn[], b: BasicBlock): number {
  let pc = b.start;
  let last = pc;
  while (pc < b.end) {
    last = pc;
    // (Only this opcode decodes to 'lddw': no operation is decoded, and none allocated, per slot.)
    pc += insns[pc]!.opcode === Opcode.LDDW ? 2 : 1;
  }
  return last;
}

/**
 * The pcs functions start at, the program's entry (0) first, then each local-call target and each
 * function pointer's target (`lddw` source 4: a callback) in the order they appear. Calls and loads in
 * bad slots (which trap) and targets outside the program start nothing.
 */
export function functionEntries(insns: readonly Insn[], ops: readonly Operation[], badSlots: Uint8Array): number[] {
  const n = insns.length;
  const entries = [0];
  const isEntry = new Set(entries);
  const add = (t: number): void => {
    if (t >= 0 && t < n && !isEntry.has(t)) {
      isEntry.add(t);
      entries.push(t);
    }
  };
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    if (op.kind === 'call' && op.target === 'local' && badSlots[pc] !== 1) add(branchTarget(op, insns[pc]!, pc)!);
    else if (op.kind === 'lddw') {
      if (op.pseudo === PseudoLoad.FUNC && badSlots[pc] !== 1) add(functionTarget(pc, insns[pc]!.imm));
      pc++;
    }
  }
  return entries;
}
