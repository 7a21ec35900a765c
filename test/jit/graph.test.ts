/**
 * The JIT's graph analyses (src/jit/graph.ts) against textbook definitions computed the slow way
 * on random small graphs (a fixed seed): dominators as sets, reducibility as "removing the edges to a
 * dominator leaves no cycle", natural loops by backward reachability. And one deep graph, where
 * the analyses must not recurse.
 */
import { describe, it, expect } from 'vitest';
import { analyzeGraph, innermostLoops, postDominance, successors, treeAncestry, type FlowGraph, type Terminator } from '../../src/jit/graph.js';

function randomGraph(next: () => number): FlowGraph {
  const count = 1 + Math.floor(next() * 12);
  const pick = (): number => Math.floor(next() * count);
  const term: Terminator[] = [];
  for (let i = 0; i < count; i++) {
    const r = next();
    if (r < 0.15) term.push({ kind: 'exit' });
    else if (r < 0.45) term.push({ kind: 'goto', to: pick() });
    else if (r < 0.55) term.push({ kind: 'table', targets: [pick(), pick(), pick()], fallback: pick() });
    else term.push({ kind: 'cond', taken: pick(), fall: next() < 0.05 ? -1 : pick() });
  }
  return { count, entry: 0, term };
}

/** Dominator sets of the reachable nodes (iterative data flow over bit sets as arrays of booleans). */
function dominatorSets(g: FlowGraph): (boolean[] | undefined)[] {
  const reach = new Set<number>([g.entry]);
  const work = [g.entry];
  while (work.length > 0) for (const v of successors(g.term[work.pop()!]!)) if (!reach.has(v)) (reach.add(v), work.push(v));
  const dom: (boolean[] | undefined)[] = Array.from({ length: g.count }, (_, i) =>
    reach.has(i) ? Array.from({ length: g.count }, (_, j) => (i === g.entry ? j === i : reach.has(j))) : undefined,
  );
  const preds: number[][] = Array.from({ length: g.count }, () => []);
  for (const u of reach) for (const v of successors(g.term[u]!)) preds[v]!.push(u);
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of reach) {
      if (v === g.entry) continue;
      const next = Array.from({ length: g.count }, (_, j) => j === v || preds[v]!.every((p) => dom[p]![j]!));
      if (next.some((b, j) => b !== dom[v]![j])) (dom[v] = next), (changed = true);
    }
  }
  return dom;
}

describe('graph analyses', () => {
  it('match the textbook definitions on random graphs', () => {
    let seed = 12345;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0), seed / 2 ** 32);
    let irreducible = 0;
    let loops = 0;
    for (let t = 0; t < 3000; t++) {
      const g = randomGraph(next);
      const a = analyzeGraph(g);
      const dom = dominatorSets(g);
      // Reducible: without the edges to a dominator, the reachable graph has no cycle.
      const backEdge = (u: number, v: number): boolean => dom[u]![v]!;
      const color = new Uint8Array(g.count);
      let cyclic = false;
      const visit = (u: number): void => {
        color[u] = 1;
        for (const v of successors(g.term[u]!)) {
          if (backEdge(u, v)) continue;
          if (color[v] === 1) cyclic = true;
          else if (color[v] === 0) visit(v);
        }
        color[u] = 2;
      };
      visit(g.entry);
      expect(a.reducible, `graph ${t}: ${JSON.stringify(g.term)}`).toBe(!cyclic);
      if (cyclic) {
        irreducible++;
        continue;
      }
      for (let v = 0; v < g.count; v++) {
        if (dom[v] === undefined) {
          expect(a.idom[v]).toBe(-1);
          continue;
        }
        // The immediate dominator: the strict dominator that every other strict dominator dominates.
        const strict = dom[v]!.map((b, j) => b && j !== v).flatMap((b, j) => (b ? [j] : []));
        const want = v === g.entry ? v : strict.find((d) => strict.every((o) => dom[d]![o]!));
        expect(a.idom[v], `graph ${t} node ${v}`).toBe(want);
      }
      // Natural loops: header h, body = h and what reaches a back edge's source without passing h.
      const headers = new Set<number>();
      for (let u = 0; u < g.count; u++) if (dom[u] !== undefined) for (const v of successors(g.term[u]!)) if (backEdge(u, v)) headers.add(v);
      const bodies = new Map<number, Set<number>>();
      for (const h of headers) {
        const body = new Set<number>([h]);
        const work: number[] = [];
        for (let u = 0; u < g.count; u++) if (dom[u] !== undefined && successors(g.term[u]!).includes(h) && backEdge(u, h)) work.push(u);
        while (work.length > 0) {
          const u = work.pop()!;
          if (body.has(u)) continue;
          body.add(u);
          for (let p = 0; p < g.count; p++) if (dom[p] !== undefined && successors(g.term[p]!).includes(u)) work.push(p);
        }
        bodies.set(h, body);
      }
      const want = [...bodies]
        .filter(([h, body]) => [...body].every((x) => x === h || !headers.has(x)))
        .map(([h, body]) => `${h}:${[...body].sort((x, y) => x - y).join(',')}`)
        .sort();
      const got = innermostLoops(g, a)
        .map((l) => `${l.header}:${[...l.body].sort((x, y) => x - y).join(',')}`)
        .sort();
      expect(got, `graph ${t}: ${JSON.stringify(g.term)}`).toEqual(want);
      loops += got.length;
    }
    // The generator exercises both kinds of graph and loops.
    expect(irreducible).toBeGreaterThan(100);
    expect(loops).toBeGreaterThan(500);
  });

  it('answer dominance and post-dominance queries as the definitions do', () => {
    let seed = 777;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0), seed / 2 ** 32);
    let checked = 0;
    for (let t = 0; t < 6000; t++) {
      const g = randomGraph(next);
      const a = analyzeGraph(g);
      const dom = dominatorSets(g);
      if (a.reducible) {
        const above = treeAncestry(g.count, g.entry, a);
        for (let u = 0; u < g.count; u++) for (let v = 0; v < g.count; v++) expect(above(u, v), `graph ${t}: ${u} dom ${v}`).toBe(dom[v]?.[u] === true && dom[u] !== undefined);
      }
      // Post-dominance is exact where the reversed graph is reducible, as it is for an acyclic graph.
      const indegree = new Int32Array(g.count);
      for (let u = 0; u < g.count; u++) for (const v of successors(g.term[u]!)) indegree[v]!++;
      const ready = [...indegree.keys()].filter((u) => indegree[u] === 0);
      let sorted = 0;
      while (ready.length > 0) {
        sorted++;
        for (const v of successors(g.term[ready.pop()!]!)) if (--indegree[v]! === 0) ready.push(v);
      }
      if (sorted !== g.count) continue;
      const pdom = postDominance(g);
      // x post-dominates h: h reaches an end, and none without passing x.
      const reachesEnd = (h: number, avoid: number): boolean => {
        const seen = new Set<number>();
        const work = [h];
        while (work.length > 0) {
          const u = work.pop()!;
          if (u === avoid || seen.has(u)) continue;
          seen.add(u);
          const out = successors(g.term[u]!);
          if (out.length === 0) return true;
          work.push(...out);
        }
        return false;
      };
      for (let h = 0; h < g.count; h++) {
        for (let x = 0; x < g.count; x++) {
          const want = reachesEnd(h, -1) && (x === h || !reachesEnd(h, x));
          expect(pdom(x, h), `graph ${t}: ${x} post-dominates ${h}: ${JSON.stringify(g.term)}`).toBe(want);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('analyses loops nested 50,000 deep without recursion', () => {
    // Node k goes to k+1 (the last exits); node 2n-1-k also jumps back to k: loops nested n deep.
    const n = 50_000;
    const term: Terminator[] = [];
    for (let k = 0; k < 2 * n; k++) {
      if (k === 2 * n - 1) term.push({ kind: 'cond', taken: 0, fall: -1 });
      else if (k < n) term.push({ kind: 'goto', to: k + 1 });
      else term.push({ kind: 'cond', taken: 2 * n - 1 - k, fall: k + 1 });
    }
    const g: FlowGraph = { count: 2 * n, entry: 0, term };
    const a = analyzeGraph(g);
    expect(a.reducible).toBe(true);
    expect(a.idom[2 * n - 1]).toBe(2 * n - 2);
    const inner = innermostLoops(g, a);
    expect(inner.map((l) => l.header)).toEqual([n - 1]);
    expect(inner[0]!.body).toEqual([n - 1, n]);
  });
});
