/**
 * Region checks hoisted to a dominating access (check merging by dominance over value numbers).
 *
 * clang addresses the fields of one struct, or the headers of one packet, at constant offsets from one
 * base value, often through different registers (the base reloaded from a spilled stack slot before
 * each field) and across several blocks. This pass numbers the values of registers and of 8-byte stack
 * slots (global value numbering over the flow graph: copies, constant adds and register sums hashed,
 * a value per block entry where paths disagree, stores to a slot forwarded to its loads), so that each
 * access is `value + k` for a known value and constant k. An access that no earlier access of the
 * same value dominates becomes a *head*; each access of the value it dominates (none of them across a
 * call, which may move a region) and that every path on from the head reaches (it is in the head's block or
 * one post-dominating it: the head anticipates it) is *covered* by it. The head checks once that the whole span of its
 * accesses' bytes lies in the cached region and keeps the span's linear address in an i32 local; each
 * covered access (the head's own too) is then a load or store at a fixed offset from that local, with
 * no check. Where the span is not in the cache, the head leaves for the function's checked copy at its
 * own pc, which checks every access itself, so that errors stay the interpreter's, at their pcs. Heads
 * are therefore only accesses that may leave (in loops without calls, see check-plan.ts), and
 * accesses in loops run as check-free copies (loop-shapes.ts) are left out.
 *
 * Soundness rests on SSA dominance: a value number names the latest run of one definition, which
 * dominates every point where the number is known; so where a head dominates an access, no definition
 * behind their common number runs between them, and the register holds the head's value plus the
 * constant. Slots are forwarded only when r10 never escapes (the caller's slot plan); an atomic or a
 * call forgets them, and so does a store through another base (a forged pointer may write the frame)
 * unless it leaves for the checked copy where it would write the stack (`protectedStores`).
 * @module
 */
import { JIT_REGISTERS } from './inline.js';
import type { Insn } from '../isa/instruction.js';
import type { Operation } from '../isa/operation.js';
import { FRAME_POINTER, PseudoLoad } from '../isa/opcodes.js';
import { fieldUse } from '../verifier/fields.js';
import type { BasicBlock } from '../verifier/cfg.js';
import { analyzeGraph, postDominance, successors, treeAncestry, type FlowGraph } from './graph.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op } from '../wasm/opcodes.js';
import { Global } from './layout.js';
import { L_T } from './locals.js';
import { pushSpanInside } from './lower-memory.js';
import { compileWork } from './work.js';

/** Most heads (each an i32 local) one function gets. */
export const MAX_SPAN_HEADS = 16;
/** Widest span (bytes) one head checks: a span much wider than a struct is likely to fail where its accesses would not. */
export const MAX_SPAN = 256;
/** Widest span (bytes) of a head that covers accesses it does not anticipate: about one struct or bucket. */
export const MAX_LOOSE_SPAN = 64;
/** Most passes of the value-numbering fixpoint before the function is left without hoisted checks. */
const MAX_PASSES = 64;
/** Largest constant kept in a value's offset (beyond it the value is a fresh one). */
const MAX_CONST = 2 ** 40;

/** A head: the access that checks the span [value + lo, value + hi) for the accesses it covers. */
export interface SpanHead {
  readonly pc: number;
  /** The head's base register holds the value plus `c`. */
  readonly c: number;
  readonly lo: number;
  readonly hi: number;
  /** The i32 local holding the span's linear address. */
  readonly local: number;
}

/** The hoisted checks of a function: heads and covered accesses, by pc. */
export interface SpanPlan {
  readonly heads: ReadonlyMap<number, SpanHead>;
  /** Covered access (the head too) → its head and its offset from the span's first byte. */
  readonly covered: ReadonlyMap<number, { readonly head: SpanHead; readonly delta: number }>;
  /** Locals used (numbered from the planner's `firstLocal`). */
  readonly locals: number;
  /**
   * Stores through a base other than r10 that the plan assumes never write the frame (each must leave
   * for the checked copy instead when it would): a slot's value is forwarded across them.
   */
  readonly protectedStores: ReadonlySet<number>;
}

/** What the planner reads of the function. */
export interface SpanSource {
  readonly insns: readonly Insn[];
  readonly ops: readonly Operation[];
  readonly blocks: readonly BasicBlock[];
  readonly badSlots: Uint8Array;
  readonly graph: FlowGraph;
  /** Graph node → block index (negative: a switch edge, which runs no instruction of its own). */
  readonly nodes: readonly number[];
  /** Registers a converted block run at the end of the node's block writes (if-conversion), if any. */
  readonly convertedWrites: (block: number) => readonly number[] | undefined;
  /** True when the access at `pc` is not a candidate (it is checked otherwise: the frame). */
  readonly excluded: (pc: number) => boolean;
  /**
   * True when the access at `pc` leaves for the checked copy where it would miss (heads must), and a
   * store there leaves for it instead of writing the stack.
   */
  readonly canLeave: (pc: number) => boolean;
  /** Slots may be forwarded: r10 is used only as the base of accesses inside the frame. */
  readonly forwardSlots: boolean;
  /** True when the base of the access at `pc` may point into the stack (stack-bases.ts): no head's check passes there. */
  readonly mayBeStack: (pc: number) => boolean;
  readonly firstLocal: number;
}

/** An empty plan. */
export const NO_SPANS: SpanPlan = { heads: new Map(), covered: new Map(), locals: 0, protectedStores: new Set() };

/** Value numbers: 0 is the constant 0 (a register holding a constant is value 0 plus it). */
const CONST = 0;
/** Kinds of named value numbers: a register at a function's entry, defined at a pc, after a switch edge, met at a node, written by a converted block. */
const N_ENTRY = 0;
const N_DEF = 1;
const N_EDGE = 2;
const N_PHI = 3;
const N_SELECT = 4;
/** The numeric name of a value number of `kind` at pc or node `at` for register `r` (r <= EPOCH < 16). */
const nameKey = (kind: number, at: number, r: number): number => (at * 16 + r) * 8 + kind;
/** Multiplier of the smaller value number in a sum's name (value numbers stay below a Map's 2^24 entries). */
const SUM_SHIFT = 2 ** 26;
/** Tracked registers: r0-r14 (r11-r14: inlined callees', inline.ts), then the memory epoch (changed by every call). */
const EPOCH = JIT_REGISTERS;

interface State {
  readonly ids: Int32Array;
  readonly cs: Float64Array;
  /** Known 8-byte stack slots: r10 offset → value number and constant. */
  readonly slots: Map<number, { id: number; c: number }>;
}

function copyState(s: State): State {
  return { ids: s.ids.slice(), cs: s.cs.slice(), slots: new Map(s.slots) };
}

/** An access of the function: pc, its node, value number key and offset from the value. */
interface Access {
  readonly pc: number;
  readonly node: number;
  readonly key: string;
  readonly k: number;
  readonly size: number;
  readonly c: number;
  /** The base register's value number (without the epoch). */
  readonly id: number;
}

/** Plan the hoisted span checks of one function (see the module comment); {@link NO_SPANS} when none pay. */
export function planSpans(src: SpanSource): SpanPlan {
  const { graph, nodes, ops, insns, blocks, badSlots } = src;
  const a = analyzeGraph(graph);
  if (!a.reducible) return NO_SPANS;
  // Value numbers are interned by name: a kind, a pc or node, a register (numeric keys, see nameKey),
  // or the sum of two numbers. Only their equality matters.
  const names = new Map<number, number>();
  const sums = new Map<number, number>();
  let nextId = CONST + 1;
  const intern = (kind: number, at: number, r: number): number => {
    const key = nameKey(kind, at, r);
    let id = names.get(key);
    if (id === undefined) {
      id = nextId++;
      names.set(key, id);
    }
    return id;
  };
  const internSum = (x: number, y: number): number => {
    const key = Math.min(x, y) * SUM_SHIFT + Math.max(x, y);
    let id = sums.get(key);
    if (id === undefined) {
      id = nextId++;
      sums.set(key, id);
    }
    return id;
  };
  /** Values that are r10 plus something: stack addresses, which a head's check never passes. */
  const stackIds = new Set<number>([intern(N_ENTRY, 0, FRAME_POINTER)]);
  const preds: number[][] = Array.from({ length: graph.count }, () => []);
  graph.term.forEach((t, n) => {
    if (a.rpo[n]! >= 0) for (const s of successors(t)) preds[s]!.push(n);
  });
  const entryState = (): State => {
    const ids = new Int32Array(EPOCH + 1);
    for (let r = 0; r <= EPOCH; r++) ids[r] = intern(N_ENTRY, 0, r);
    return { ids, cs: new Float64Array(EPOCH + 1), slots: new Map() };
  };

  /** Run one instruction's effect on `s`; `onAccess` sees each candidate access before it. */
  const protectedStores = new Set<number>();
  /** Register `r` gets the value defined at `pc`. */
  const freshAt = (s: State, pc: number, r: number): void => {
    s.ids[r] = intern(N_DEF, pc, r);
    s.cs[r] = 0;
  };
  /** Register `r` gets value `id` plus `c` (a value defined at `pc` when `c` is too large). */
  const setAt = (s: State, pc: number, r: number, id: number, c: number): void => {
    if (Math.abs(c) > MAX_CONST) return freshAt(s, pc, r);
    s.ids[r] = id;
    s.cs[r] = c;
  };
  /** The node goes back to itself, directly or through a block of one `ja`: it may be versioned (loop-shapes.ts). */
  const loopsToItself = (n: number): boolean =>
    successors(graph.term[n]!).some((m) => {
      if (m === n) return true;
      const t = graph.term[m]!;
      const b = src.nodes[m]! >= 0 ? src.blocks[src.nodes[m]!]! : undefined;
      return t.kind === 'goto' && t.to === n && b !== undefined && b.end - b.start === 1 && ops[b.start]!.kind === 'ja';
    });
  const step = (s: State, pc: number, selfLoop: boolean, onAccess?: (pc: number, reg: number, off: number, size: number) => void): void => {
    const op = ops[pc]!;
    const i = insns[pc]!;
    switch (op.kind) {
      case 'alu': {
        if (op.width !== 64) return freshAt(s, pc, i.dst);
        const reg = op.source === 'reg';
        if (op.op === 'mov') return reg ? setAt(s, pc, i.dst, s.ids[i.src]!, s.cs[i.src]!) : setAt(s, pc, i.dst, CONST, i.imm);
        if (op.op === 'add' || op.op === 'sub') {
          const sign = op.op === 'add' ? 1 : -1;
          if (!reg) return setAt(s, pc, i.dst, s.ids[i.dst]!, s.cs[i.dst]! + sign * i.imm);
          const x = s.ids[i.dst]!;
          const y = s.ids[i.src]!;
          const c = s.cs[i.dst]! + sign * s.cs[i.src]!;
          if (y === CONST) return setAt(s, pc, i.dst, x, c);
          if (op.op === 'sub') return freshAt(s, pc, i.dst);
          if (x === CONST) return setAt(s, pc, i.dst, y, c);
          const sum = internSum(x, y);
          if (stackIds.has(x) || stackIds.has(y)) stackIds.add(sum);
          return setAt(s, pc, i.dst, sum, c);
        }
        return freshAt(s, pc, i.dst);
      }
      case 'lddw': {
        if (op.pseudo === PseudoLoad.FUNC) return freshAt(s, pc, i.dst);
        const value = BigInt.asIntN(64, (BigInt(insns[pc + 1]!.imm >>> 0) << 32n) | BigInt(i.imm >>> 0));
        return value >= -BigInt(MAX_CONST) && value <= BigInt(MAX_CONST) ? setAt(s, pc, i.dst, CONST, Number(value)) : freshAt(s, pc, i.dst);
      }
      case 'ldx': {
        if (i.src !== FRAME_POINTER) onAccess?.(pc, i.src, i.offset, op.size);
        const known = i.src === FRAME_POINTER && op.size === 8 ? s.slots.get(i.offset) : undefined;
        return known !== undefined ? setAt(s, pc, i.dst, known.id, known.c) : freshAt(s, pc, i.dst);
      }
      case 'st':
      case 'stx': {
        if (i.dst !== FRAME_POINTER) {
          onAccess?.(pc, i.dst, i.offset, op.size);
          // A store that leaves for the checked copy rather than write the stack keeps the slots (one in
          // a block that loops to itself may become a bulk copy, which does not leave).
          if (src.canLeave(pc) && !selfLoop) protectedStores.add(pc);
          else s.slots.clear();
          return;
        }
        if (!src.forwardSlots) return;
        for (const off of [...s.slots.keys()]) if (off < i.offset + op.size && i.offset < off + 8) s.slots.delete(off);
        if (op.kind === 'stx' && op.size === 8 && i.src !== FRAME_POINTER) s.slots.set(i.offset, { id: s.ids[i.src]!, c: s.cs[i.src]! });
        return;
      }
      case 'call':
      case 'callx':
      case 'ldabs':
      case 'ldind':
        for (let r = 0; r <= 5; r++) freshAt(s, pc, r);
        freshAt(s, pc, EPOCH);
        s.slots.clear();
        return;
      case 'ja':
      case 'jcond':
      case 'exit':
        return;
      default: {
        // neg, movsx, end, atomics and anything else: the registers written get fresh values; an
        // atomic may write the frame through a forged pointer and cmpxchg writes r0.
        for (const f of fieldUse(op).writes) freshAt(s, pc, i[f]);
        if (op.kind === 'atomic') {
          freshAt(s, pc, 0);
          s.slots.clear();
        }
      }
    }
  };

  /** Run node `n`'s instructions on `s` (a switch edge forgets everything: its compare blocks are not modelled). */
  const runNode = (
    n: number,
    s: State,
    onAccess?: (pc: number, reg: number, off: number, size: number) => void,
    onCompare?: (a: number, b: number) => void,
  ): boolean => {
    const bi = nodes[n]!;
    if (bi < 0) {
      for (let r = 0; r <= EPOCH; r++) if (r !== FRAME_POINTER) s.ids[r] = intern(N_EDGE, n, r);
      s.cs.fill(0);
      s.slots.clear();
      return true;
    }
    const b = blocks[bi]!;
    const selfLoop = loopsToItself(n);
    for (let pc = b.start; pc < b.end; pc += ops[pc]!.kind === 'lddw' ? 2 : 1) {
      compileWork.units++;
      if (badSlots[pc] === 1) return false;
      const op = ops[pc]!;
      if (onCompare !== undefined && op.kind === 'jcond' && op.source === 'reg') onCompare(s.ids[insns[pc]!.dst]!, s.ids[insns[pc]!.src]!);
      step(s, pc, selfLoop, onAccess);
    }
    const conv = src.convertedWrites(bi);
    if (conv !== undefined) for (const r of conv) s.ids[r] = intern(N_SELECT, bi, r), (s.cs[r] = 0);
    return true;
  };

  // The fixpoint: each node's entry state is the meet of its predecessors' exit states (a value
  // number per node and register where they disagree; slots where they disagree are forgotten).
  const entry: (State | undefined)[] = new Array(graph.count);
  const exit: (State | undefined)[] = new Array(graph.count);
  // A node is met again only when a predecessor's exit state was set since its last meet (`dirty`):
  // any other node would meet the same states again and find its entry unchanged.
  const succs = graph.term.map(successors);
  const dirty = new Uint8Array(graph.count).fill(1);
  let changed = true;
  let passes = 0;
  while (changed) {
    if (++passes > MAX_PASSES) return NO_SPANS;
    changed = false;
    for (const n of a.order) {
      if (dirty[n] === 0) continue;
      dirty[n] = 0;
      compileWork.units++;
      const ins: State[] = [];
      for (const p of preds[n]!) if (exit[p] !== undefined) ins.push(exit[p]);
      if (n === graph.entry) ins.push(entryState());
      if (ins.length === 0) continue;
      const m = copyState(ins[0]!);
      for (let k = 1; k < ins.length; k++) {
        const o = ins[k]!;
        for (let r = 0; r <= EPOCH; r++) {
          if (m.ids[r] !== o.ids[r] || m.cs[r] !== o.cs[r]) {
            m.ids[r] = intern(N_PHI, n, r);
            m.cs[r] = 0;
          }
        }
        for (const [off, v] of [...m.slots]) {
          const w = o.slots.get(off);
          if (w === undefined || w.id !== v.id || w.c !== v.c) m.slots.delete(off);
        }
      }
      const old = entry[n];
      if (old !== undefined && same(old, m)) continue;
      entry[n] = m;
      const out = copyState(m);
      exit[n] = runNode(n, out) ? out : undefined;
      for (const t of succs[n]!) dirty[t] = 1;
      changed = true;
    }
  }

  // The accesses in dominator order (reverse postorder, then pc), each keyed by value and epoch.
  const accesses: Access[] = [];
  /** Values a conditional jump compares with a register (plus any constant): bounds-tested pointers, such as packet pointers. */
  const compared = new Set<number>();
  for (const n of a.order) {
    const s = entry[n];
    if (s === undefined) continue;
    // A block that loops to itself may be versioned (loop-shapes.ts): its copies may skip the head.
    const selfLoop = loopsToItself(n);
    const st = copyState(s);
    runNode(n, st, (pc, reg, off, size) => {
      // (Copies of r10 address the stack, which the head's check, of the cached region only, never passes.)
      if (selfLoop || src.excluded(pc) || stackIds.has(st.ids[reg]!)) return;
      accesses.push({ pc, node: n, key: `${st.ids[reg]}:${st.ids[EPOCH]}`, k: st.cs[reg]! + off, size, c: st.cs[reg]!, id: st.ids[reg]! });
    }, (x, y) => {
      compared.add(x);
      compared.add(y);
    });
  }

  const above = treeAncestry(graph.count, graph.entry, a);
  const dominates = (h: Access, x: Access): boolean => (h.node === x.node ? h.pc < x.pc : above(h.node, x.node));
  // Accesses the head anticipates (every path on from the head reaches them: the same block, or a
  // block post-dominating the head's) are covered. One the program reaches only past a test of its own,
  // say a length check, would make the span fail where that access is never run, sending the run to
  // the checked copy for nothing; so an access the head does not anticipate is covered only when no
  // conditional jump compares its base value (a pointer tested against an end: a packet's headers) and
  // the span stays about one struct wide (MAX_LOOSE_SPAN): a hash bucket's slots probed one after the
  // other until one matches, a flow entry's fields read on either arm of an if. Nor when the head's or
  // the access's base may point into the stack (stack-bases.ts), where the head's check of the cached
  // region fails: a pointer to a list head that is a local on one path and an entry's field on another.
  const postDominates = postDominance(graph);
  const anticipated = (h: Access, x: Access): boolean => h.node === x.node || postDominates(x.node, h.node);

  interface Group {
    readonly head: Access;
    lo: number;
    hi: number;
    /** Some member is not anticipated: the span stays within MAX_LOOSE_SPAN. */
    loose: boolean;
    readonly members: Access[];
  }
  const groups = new Map<string, Group[]>();
  for (const x of accesses) {
    const list = groups.get(x.key) ?? [];
    groups.set(x.key, list);
    let loose = false;
    const g = list.find((g) => {
      compileWork.units++;
      if (!dominates(g.head, x)) return false;
      const span = Math.max(g.hi, x.k + x.size) - Math.min(g.lo, x.k);
      if (anticipated(g.head, x)) return span <= (g.loose ? MAX_LOOSE_SPAN : MAX_SPAN);
      loose = !compared.has(x.id) && span <= MAX_LOOSE_SPAN && !src.mayBeStack(x.pc) && !src.mayBeStack(g.head.pc);
      return loose;
    });
    if (g !== undefined) {
      g.lo = Math.min(g.lo, x.k);
      g.hi = Math.max(g.hi, x.k + x.size);
      g.loose ||= loose;
      g.members.push(x);
    } else if (src.canLeave(x.pc)) list.push({ head: x, lo: x.k, hi: x.k + x.size, loose: false, members: [x] });
  }
  const heads = new Map<number, SpanHead>();
  const covered = new Map<number, { head: SpanHead; delta: number }>();
  // Accesses of one block through one register are left to the block's own access groups (emit-block.ts).
  const chosen = [...groups.values()].flat().filter((g) => g.members.length >= 2 && g.members.some((m) => m.node !== g.head.node));
  chosen.sort((x, y) => y.members.length - x.members.length || x.head.pc - y.head.pc);
  for (const g of chosen.slice(0, MAX_SPAN_HEADS)) {
    const head: SpanHead = { pc: g.head.pc, c: g.head.c, lo: g.lo, hi: g.hi, local: src.firstLocal + heads.size };
    heads.set(head.pc, head);
    for (const m of g.members) covered.set(m.pc, { head, delta: m.k - g.lo });
  }
  return { heads, covered, locals: heads.size, protectedStores: heads.size > 0 ? protectedStores : new Set() };
}

function same(x: State, y: State): boolean {
  for (let r = 0; r <= EPOCH; r++) if (x.ids[r] !== y.ids[r] || x.cs[r] !== y.cs[r]) return false;
  if (x.slots.size !== y.slots.size) return false;
  for (const [off, v] of x.slots) {
    const w = y.slots.get(off);
    if (w === undefined || w.id !== v.id || w.c !== v.c) return false;
  }
  return true;
}

/**
 * At a head, before its access (whose base register `base` holds the value plus the head's constant):
 * when [value + lo, value + hi) does not lie in the cached region, `leave` (for the checked copy, at
 * the head's pc); otherwise the span's linear address into the head's local. Both ends are tested with
 * 8-byte windows (the span is far below 2^32, so everything between lies inside too); a span under 8
 * bytes is tested as one access of its size, passing at the region's last bytes.
 */
export function emitSpanHead(c: CodeWriter, head: SpanHead, base: number, leave: () => void): void {
  const span = head.hi - head.lo;
  c.get(base);
  if (head.lo !== head.c) c.i64(head.lo - head.c).op(Op.i64_add);
  c.tee(L_T);
  pushSpanInside(c, span, Global.cacheBase, Global.cacheLimit);
  c.op(Op.i32_eqz).if();
  leave();
  c.end();
  c.get(L_T).gget(Global.cacheBase).op(Op.i64_sub).op(Op.i32_wrap_i64).gget(Global.cacheOffset).op(Op.i32_add).set(head.local);
}
