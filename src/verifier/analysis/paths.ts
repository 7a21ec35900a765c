/**
 * Path sensitivity, bounded: the states reaching one program point are kept apart (a disjunction of up
 * to {@link MAX_PATHS} states) instead of joined, as the kernel keeps each path's state, so a fact
 * proved on one path (a packet range, a null check, which map a pointer is) is not lost where paths
 * meet. Which states stay apart is decided by what a join would lose:
 * - a state covered by a kept one is dropped (the kernel's pruning); one covering kept states replaces them;
 * - states alike in every register's kind, pointer offsets, packet ranges and the spilled pointers a
 *   later fill may read (their signature and pointer key) differ only in numbers, and are joined;
 *   but while fewer than {@link CONST_PATHS} states are kept, states whose constants differ are not
 *   (a length of 20 or 40, later added to a packet pointer, proves a range on each path, not as [20, 40]);
 *   and however many are kept, states where a value a later jump tests ({@link testedValues}) is the
 *   number 0 on one and not known to be 0 on the other are not either (a pointer NULL on one path and
 *   unknown on the other, two such side by side: joined, both could be non-zero together, which no path
 *   allows; the kernel's `if (x == 0)` decides on the one path and splits the other);
 * - the signature also holds the spin lock a state holds (spin-lock.ts): a state holding a lock and one
 *   holding another lock, or none, are never joined below the bound (the join holds an unknown lock,
 *   which no unlock matches: clang's shared tails unlock on paths that locked different values);
 * - at loop heads states of one signature are joined, and widened after a few visits (at the targets of
 *   retreating edges only: a backward jump's target on no cycle just joins), so loops converge as
 *   before while paths holding different kinds of values stay apart around them;
 * - past the bound two states must become one: of joining the new state into a kept state of its
 *   signature and joining two kept states of one signature (the new one taking the freed place), the
 *   join that loses least (`joinCost`: first a number the next jump tests, then one a later jump tests,
 *   as the kernel's precise scalars, {@link testedValues}; then a packet range; then any register's
 *   facts); else it joins the kept state with the fewest
 *   registers of other kinds. So a failing path joins a failing one, and a status code of 0 (a range
 *   proved) is not joined with -22 (none) while another pair can be.
 * The cost stays within MAX_PATHS times that of a plain join (measured: 1.5 times on the corpus); a join
 * choice compares at most MAX_PATHS^2 / 2 pairs of states over 11 registers and 64 slots.
 * @module
 */
import { joinState, stateCovers, stateEqual, type State } from './state.js';
import { constValue, contains } from './scalar.js';
import { covers, isNullable, joinValue, type Value } from './value.js';
import type { Tested, testedValues } from './precision.js';
import type { Thresholds } from './thresholds.js';
import { refineInductions, type Inductions } from './induction.js';
import { refineRelations } from './relations.js';
import { LOCK_REF } from './spin-lock.js';

/** Most states kept at one program point. */
export const MAX_PATHS = 8;
/** Kept states at a point below which states whose constants differ are not joined. */
export const CONST_PATHS = 2;
/** Visits of a kept state at a loop head before it is widened instead of joined. */
export const WIDEN_AFTER = 3;

interface Slot {
  state: State;
  visits: number;
  /** Register types (and spilled pointer types): which kept state a new one joins past the bound. */
  sig: string;
  live: boolean;
}

/** The states kept at each program point of one function (or loop body) run. */
export class PathStates {
  private readonly at = new Map<number, Slot[]>();

  /**
   * `filled`: per slot, the stack slots a later instruction may fill a register from ({@link filledSlots});
   * `tested`: the registers and slots a later conditional jump may test ({@link testedValues});
   * `thresholds`: the stops of widening at a loop head (thresholds.ts); `inductions`: its derived
   * induction variables (induction.ts), narrowed in every state reaching it again.
   */
  constructor(
    private readonly filled: Uint32Array,
    private readonly tested: Tested,
    private readonly thresholds: (pc: number) => Thresholds = () => [],
    private readonly inductions: Inductions = { at: () => undefined, within: () => [] },
    /** Applied to every state kept at a point (a loop head's trip-count bound, trip-count.ts): must only remove concrete states no execution reaches there with. */
    private readonly narrow: (pc: number, s: State) => State = (_pc, s) => s,
    /** 1 at the loop heads whose joins widen (every cycle holds one); undefined: every loop head widens. */
    private readonly widenAt?: Uint8Array,
  ) {}

  /** At loop heads with induction variables: the registers on entry, joined over the entering paths. */
  private readonly entries = new Map<number, Value[]>();

  /** `s` at loop head `pc`, arriving from `from`: its derived induction variables narrowed (induction.ts). */
  private induce(pc: number, s: State, from: number): State {
    const ind = this.inductions.at(pc);
    if (ind === undefined) return s;
    let entry = this.entries.get(pc);
    if (from < 0 || !ind.slots.has(from)) {
      entry = entry === undefined ? s.regs.slice() : entry.map((v, r) => joinValue(v, s.regs[r]!, -1, false));
      this.entries.set(pc, entry);
      return s;
    }
    return entry === undefined ? s : refineInductions(s, entry, ind);
  }

  /**
   * `s` at a slot inside loop bodies, narrowed by their equalities used there (relations.ts). The caller
   * applies it before forgetting dead registers too: a test's copy of the length (dead past the test)
   * bounds the pointer there.
   */
  related(pc: number, s: State): State {
    let t = s;
    for (const [head, uses] of this.inductions.within(pc)) {
      const entry = this.entries.get(head);
      if (entry !== undefined) t = refineRelations(t, entry, uses);
    }
    return t;
  }

  private fills(pc: number): [number, number] {
    return [this.filled[2 * pc]!, this.filled[2 * pc + 1]!];
  }

  private testedAt(pc: number): TestedAt {
    return { regs: this.tested.regs[pc]!, next: this.tested.next[pc]!, lo: this.tested.slots[2 * pc]!, hi: this.tested.slots[2 * pc + 1]! };
  }

  /**
   * Add `s` at `pc`, arriving from the instruction at `from` (-1: a starting state). Returns the index of the kept state that changed (to be processed), or -1 when
   * `s` adds nothing (covered by a kept state).
   */
  add(pc: number, s0: State, loopHead: boolean, from = -1): number {
    const s = this.narrow(pc, loopHead ? this.induce(pc, s0, from) : this.related(pc, s0));
    const list = this.at.get(pc);
    const sig = signature(s, this.fills(pc));
    if (list === undefined) {
      this.at.set(pc, [{ state: s, visits: 0, sig, live: true }]);
      return 0;
    }
    for (const slot of list) if (slot.live && stateCovers(slot.state, s)) return -1;
    if (loopHead) {
      const i = list.findIndex((slot) => slot.live && slot.sig === sig);
      if (i >= 0) return this.merge(list, i, s, pc, true);
    } else {
      // states alike in every pointer and packet range differ only in numbers: joined
      // while few states are kept, those whose constants differ stay apart too ({@link constKey})
      const fills = this.fills(pc);
      const tested = this.testedAt(pc);
      const consts = list.reduce((n, slot) => n + (slot.live ? 1 : 0), 0) < CONST_PATHS;
      const key = pointerKey(s, fills, consts, tested);
      const i = nearest(list, s, fills, tested, (slot) => slot.sig === sig && pointerKey(slot.state, fills, consts, tested) === key);
      if (i >= 0) return this.merge(list, i, s, pc, false);
    }
    // states `s` covers go: `s` takes the first one's place
    let first = -1;
    for (let i = 0; i < list.length; i++) {
      const slot = list[i]!;
      if (!slot.live || !stateCovers(s, slot.state)) continue;
      if (first < 0) {
        first = i;
        slot.state = s;
        slot.sig = sig;
        slot.visits++;
      } else slot.live = false;
    }
    if (first >= 0) return first;
    const free = list.findIndex((slot) => !slot.live);
    if (free >= 0) {
      list[free] = { state: s, visits: 0, sig, live: true };
      return free;
    }
    if (list.length < MAX_PATHS) {
      list.push({ state: s, visits: 0, sig, live: true });
      return list.length - 1;
    }
    // past the bound two states must become one: of joining `s` into a kept state of its kinds and
    // joining two kept states of one kind (then `s` takes the freed place), the join that loses least
    const fills = this.fills(pc);
    const tested = this.testedAt(pc);
    const same = nearest(list, s, fills, tested, (slot) => slot.sig === sig);
    const pair = samePair(list, fills, tested);
    if (pair !== undefined && (same < 0 || pair[2] < joinCost(list[same]!.state, s, fills, tested))) {
      const [keep, drop] = pair;
      const dropped = list[drop]!.state;
      list[drop] = { state: s, visits: 0, sig, live: true };
      this.merge(list, keep, dropped, pc, loopHead);
      this.changed.push(keep);
      return drop;
    }
    if (same >= 0) return this.merge(list, same, s, pc, loopHead);
    return this.merge(list, closest(list, s, this.fills(pc), this.testedAt(pc)), s, pc, loopHead);
  }

  /**
   * Indexes of kept states at the last {@link add}'s pc that changed besides the returned one (to be
   * processed too); read and cleared by the caller.
   */
  readonly changed: number[] = [];

  /** The kept state `i` at `pc` (undefined when it has since been dropped). */
  get(pc: number, i: number): State | undefined {
    const slot = this.at.get(pc)?.[i];
    return slot?.live === true ? slot.state : undefined;
  }

  /** The states kept at `pc`. */
  all(pc: number): State[] {
    return (this.at.get(pc) ?? []).filter((s) => s.live).map((s) => s.state);
  }

  /** The indexes of the states kept at `pc`. */
  liveIndexes(pc: number): number[] {
    const out: number[] = [];
    (this.at.get(pc) ?? []).forEach((s, i) => {
      if (s.live) out.push(i);
    });
    return out;
  }

  /** Every program point with kept states, in pc order, with its states. */
  sorted(): [number, State[]][] {
    return [...this.at.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([pc, list]) => [pc, list.filter((s) => s.live).map((s) => s.state)]);
  }

  private merge(list: Slot[], i: number, s: State, pc: number, loopHead: boolean): number {
    const slot = list[i]!;
    slot.visits++;
    const widening = loopHead && slot.visits > WIDEN_AFTER && (this.widenAt === undefined || this.widenAt[pc] === 1);
    let j = joinState(slot.state, s, pc, widening, widening ? this.thresholds(pc) : undefined);
    const ind = loopHead ? this.inductions.at(pc) : undefined;
    const entry = this.entries.get(pc);
    if (ind !== undefined && entry !== undefined) j = refineInductions(j, entry, ind);
    j = this.narrow(pc, this.related(pc, j));
    if (stateEqual(j, slot.state)) return -1;
    slot.state = j;
    slot.sig = signature(j, this.fills(pc));
    // the joined state may now cover other kept ones
    for (let k = 0; k < list.length; k++) if (k !== i && list[k]!.live && stateCovers(j, list[k]!.state)) list[k]!.live = false;
    return i;
  }
}

/**
 * What a join must keep for no register or spilled value to become a number: each one's type and the
 * object it points into (states of one signature join into pointers of the same kinds, losing only
 * ranges); and the lock held, which a join of different ones loses.
 */
function signature(s: State, filled: readonly [number, number]): string {
  let sig = `${s.refs.get(LOCK_REF) ?? ''}|`;
  for (const v of s.regs) sig += valueKey(v);
  forKeptSpills(s, filled, (at, v) => (sig += `${at}:${valueKey(v)}`));
  return sig;
}

function valueKey(v: Value): string {
  if (v.type === 'scalar' || v.type === 'uninit') return `${v.type},`;
  const nullable = isNullable(v.type);
  return `${v.type}/${v.frame}/${v.maps?.join('+') ?? v.map}/${v.size}/${v.ref}/${nullable ? v.id : ''},`;
}

/** The pointers' offsets and relations, and the packet ranges proved: what joining states of one signature may lose besides numbers. */
function pointerKey(s: State, filled: readonly [number, number], consts: boolean, tested: TestedAt): string {
  let key = `${s.meta}|`;
  for (const [id, n] of s.pkt) key += `${id}:${n},`;
  // scalars: the constant (while few states are kept) and which register a scalar is linked to (a
  // join of a linked and an unlinked copy loses the link, and with it what a later check proves)
  const regs = s.regs;
  for (let r = 0; r < regs.length; r++) {
    const v = regs[r]!;
    if (v.type === 'uninit') key += ',';
    else if (v.type !== 'scalar') key += `${v.lo}/${v.hi}/${v.id}/${v.k},`;
    else {
      let link = '';
      if (v.id !== 0) {
        let first = 0;
        while (first < r && !(regs[first]!.type === 'scalar' && regs[first]!.id === v.id)) first++;
        if (first < r) link = `~${first}+${v.k}`;
      }
      key += consts ? `${constKey(v)}${link},` : (tested.regs & (1 << r)) !== 0 ? `${zeroKey(v)}${link},` : `${link},`;
    }
  }
  forKeptSpills(s, filled, (at, v) => (key += `${at}=${v.lo}/${v.hi}/${v.id}/${v.k},`));
  forFilledConstants(s, filled, (at, v) => {
    if (consts) key += `${at}#${v},`;
    else if (v === 0n && hasSlot(tested, at >> 3)) key += `${at}#0,`;
  });
  return key;
}

/**
 * A constant number's value, '' for any other number. States whose constants differ are kept apart
 * (up to the bound): a header length of 20 on one path and 40 on the other, joined, is a range
 * [20, 40] that proves no packet range for either (the kernel, walking each path, keeps both exact).
 */
function constKey(v: Value): string {
  const c = constValue(v.scalar);
  return c === undefined ? '' : `${c}`;
}

/** '0' for the number 0, '' for any other: a later test of it against 0 decides on one path only. */
function zeroKey(v: Value): string {
  return constValue(v.scalar) === 0n ? '0' : '';
}

/** The constants spilled in stack slots a later instruction may fill a register from (current frame). */
function forFilledConstants(s: State, filled: readonly [number, number], f: (at: number, v: bigint) => void): void {
  const frame = s.frames[s.frames.length - 1]!;
  for (const [at, sp] of frame.spills) {
    if (sp.value.type !== 'scalar' || (at & 7) !== 0) continue;
    const k = at >> 3;
    if (((k < 32 ? filled[0] >>> k : filled[1] >>> (k - 32)) & 1) === 0) continue;
    const c = constValue(sp.value.scalar);
    if (c !== undefined) f(at, c);
  }
}

/**
 * The spilled pointers that tell paths apart: every one in callers' frames, and in the current frame
 * those in slots a later instruction may fill a register from (`filled`: the 64 slot bits at this pc).
 */
function forKeptSpills(s: State, filled: readonly [number, number], f: (at: number, v: Value) => void): void {
  const top = s.frames.length - 1;
  s.frames.forEach((frame, depth) => {
    for (const [at, sp] of frame.spills) {
      if (sp.value.type === 'scalar') continue;
      if (depth === top) {
        const k = at >> 3;
        if ((at & 7) !== 0 || ((k < 32 ? filled[0] >>> k : filled[1] >>> (k - 32)) & 1) === 0) continue;
      }
      f(at, sp.value);
    }
  });
}

/**
 * Of the kept states `fits` admits, the one a join with `s` makes least precise: the fewest registers
 * (and slots a later fill reads) where neither value covers the other, so the join loses a fact of
 * both; the first on a tie, -1 when none fits. Joining by arrival order instead can merge a path that
 * failed with one that succeeded: status codes -155 and 0 joined are [-155, 0], and a later
 * `if (ret < 0)` no longer tells them apart (while the failing paths, joined, stay negative).
 */
function nearest(list: readonly Slot[], s: State, filled: readonly [number, number], tested: TestedAt, fits: (slot: Slot) => boolean): number {
  let best = -1;
  let bestCost = Infinity;
  for (let i = 0; i < list.length; i++) {
    const slot = list[i]!;
    if (!slot.live || !fits(slot)) continue;
    if (best < 0) {
      best = i; // the common case, one fitting state: nothing compared
      continue;
    }
    if (bestCost === Infinity) bestCost = joinCost(list[best]!.state, s, filled, tested);
    const cost = joinCost(slot.state, s, filled, tested);
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  }
  return best;
}

/** The branch-relevant registers and slots at one point ({@link Tested}). */
interface TestedAt {
  readonly regs: number;
  /** The registers the next conditional jump tests ({@link Tested.next}). */
  readonly next: number;
  readonly lo: number;
  readonly hi: number;
}

const hasSlot = (t: TestedAt, k: number): boolean => ((k < 32 ? t.lo >>> k : t.hi >>> (k - 32)) & 1) === 1;

/**
 * What joining `a` and `b` loses, most costly first: the branch-relevant constants that differ (a
 * later jump would no longer tell the paths apart), then the packet ranges that differ, then
 * {@link joinLoss}. Bounded by 11 registers and 64 slots: O(1) per pair of states.
 */
function joinCost(a: State, b: State, filled: readonly [number, number], tested: TestedAt): number {
  let decides = 0;
  let precise = 0;
  for (let r = 0; r < a.regs.length; r++) {
    if ((tested.regs & (1 << r)) === 0) continue;
    const loss = testedLoss(a.regs[r]!, b.regs[r]!);
    if ((tested.next & (1 << r)) !== 0) decides += loss;
    else precise += loss;
  }
  if (tested.lo !== 0 || tested.hi !== 0) {
    const fa = a.frames[a.frames.length - 1]!.spills;
    const fb = b.frames[b.frames.length - 1]!.spills;
    for (let k = 0; k < 64; k++) {
      if (!hasSlot(tested, k)) continue;
      const x = fa.get(k << 3)?.value;
      const y = fb.get(k << 3)?.value;
      precise += x === undefined || y === undefined ? 0 : testedLoss(x, y);
    }
  }
  let ranges = 0;
  for (const [id, n] of a.pkt) if (b.pkt.get(id) !== n) ranges++;
  for (const id of b.pkt.keys()) if (!a.pkt.has(id)) ranges++;
  return decides * 262144 + precise * 4096 + ranges * 64 + joinLoss(a, b, filled);
}

/**
 * Whether joining two values of a branch-relevant register loses what decided the branch on both paths:
 * neither value covers the other (`0` and `-22` joined tell neither path's outcome of a later
 * `if (ret != 0)`; a value joined into one that covers it keeps the wider path's outcomes). Numbers
 * only, by their ranges (links to other registers are {@link joinLoss}'s concern).
 */
function testedLoss(x: Value, y: Value): number {
  if (x.type !== 'scalar' || y.type !== 'scalar') return 0; // pointers: told apart by the signature
  return contains(x.scalar, y.scalar) || contains(y.scalar, x.scalar) ? 0 : 1;
}

/** Registers, and slots of the current frame a later fill reads, where neither `a`'s nor `b`'s value covers the other. */
function joinLoss(a: State, b: State, filled: readonly [number, number]): number {
  let n = 0;
  for (let r = 0; r < a.regs.length; r++) {
    const x = a.regs[r]!;
    const y = b.regs[r]!;
    if (!covers(x, y) && !covers(y, x)) n++;
  }
  const fa = a.frames[a.frames.length - 1]!.spills;
  const fb = b.frames[b.frames.length - 1]!.spills;
  for (let k = 0; k < 64; k++) {
    if (((k < 32 ? filled[0] >>> k : filled[1] >>> (k - 32)) & 1) === 0) continue;
    const x = fa.get(k << 3)?.value;
    const y = fb.get(k << 3)?.value;
    if (x === undefined || y === undefined ? x !== y : !covers(x, y) && !covers(y, x)) n++;
  }
  return n;
}

/** Of the pairs of kept states of one signature, the one whose join loses least ({@link joinCost}) and that cost, if any. */
function samePair(list: readonly Slot[], filled: readonly [number, number], tested: TestedAt): [number, number, number] | undefined {
  let best: [number, number, number] | undefined;
  let bestCost = Infinity;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (!a.live) continue;
    for (let j = i + 1; j < list.length; j++) {
      const b = list[j]!;
      if (!b.live || b.sig !== a.sig) continue;
      const cost = joinCost(a.state, b.state, filled, tested);
      if (cost < bestCost) {
        bestCost = cost;
        best = [i, j, cost];
      }
    }
  }
  return best;
}

/** The kept state to join `s` into: the fewest registers of another type, then the least {@link joinCost}. */
function closest(list: readonly Slot[], s: State, filled: readonly [number, number], tested: TestedAt): number {
  let best = -1;
  let bestCost = Infinity;
  for (let i = 0; i < list.length; i++) {
    const slot = list[i]!;
    if (!slot.live) continue;
    // a join of states holding different locks loses every lock operation after it (spin-lock.ts)
    let cost = slot.state.refs.get(LOCK_REF) === s.refs.get(LOCK_REF) ? 0 : 1024;
    for (let r = 0; r < s.regs.length; r++) if (slot.state.regs[r]!.type !== s.regs[r]!.type) cost++;
    cost = cost * 1024 + joinCost(slot.state, s, filled, tested);
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  }
  return best;
}
