/**
 * The abstract machine state at one program point: registers, one stack model per call frame, the
 * packet ranges proved so far and the references the program holds.
 * @module
 */
import { derivedParts, joinLinks } from './link-join.js';
import { LOCK_REF, UNKNOWN_LOCK } from './spin-lock.js';
import { UNINIT, covers, isPointer, joinValue, valueEqual, type Value } from './value.js';

/** Bytes of stack per frame (the kernel's MAX_BPF_STACK). */
export const STACK_SIZE = 512;

/** What a stack byte holds. */
export const Byte = { UNINIT: 0, DATA: 1, SPILL: 2 } as const;

/** A register spilled to the stack: its value and the store's size (8 for pointers). */
export interface Spill {
  readonly value: Value;
  readonly size: number;
}

/**
 * One call frame's stack. Byte `i` is at offset `i - 512` from the frame pointer. `spills` maps the
 * start byte of each spill to the spilled value. Frames are copied on write.
 */
export interface Frame {
  readonly bytes: Uint8Array;
  readonly spills: ReadonlyMap<number, Spill>;
}

/** A fresh frame: every byte uninitialised. */
export function emptyFrame(): Frame {
  return { bytes: new Uint8Array(STACK_SIZE), spills: new Map() };
}

/** The machine state. Treat as immutable: transfer functions copy before changing. */
export interface State {
  readonly regs: readonly Value[];
  readonly frames: readonly Frame[];
  /** Packet relation id → bytes proved readable from `data + X(id)` (`data + X + n <= data_end`). */
  readonly pkt: ReadonlyMap<number, number>;
  /** Bytes proved between `data_meta` and `data`. */
  readonly meta: number;
  /** Outstanding references (ring buffer records): id → pc of the helper call that took it. */
  readonly refs: ReadonlyMap<number, number>;
}

/** A frame with the same contents. */
export function frameEqual(a: Frame, b: Frame): boolean {
  if (a === b) return true;
  const x = a.bytes;
  const y = b.bytes;
  for (let i = 0; i < STACK_SIZE; i++) if (x[i] !== y[i]) return false;
  if (a.spills.size !== b.spills.size) return false;
  for (const [at, s] of a.spills) {
    const t = b.spills.get(at);
    if (t === undefined || t.size !== s.size || !valueEqual(t.value, s.value)) return false;
  }
  return true;
}

function mapEqual(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Same abstract state. */
export function stateEqual(a: State, b: State): boolean {
  if (a.frames.length !== b.frames.length || a.meta !== b.meta) return false;
  for (let r = 0; r < a.regs.length; r++) if (!valueEqual(a.regs[r]!, b.regs[r]!)) return false;
  for (let f = 0; f < a.frames.length; f++) if (!frameEqual(a.frames[f]!, b.frames[f]!)) return false;
  return mapEqual(a.pkt, b.pkt) && mapEqual(a.refs, b.refs);
}

/**
 * `a` covers `b` (`b` ⊑ `a`): every execution state `b` stands for, `a` stands for too, so whatever the
 * analysis proved from `a` holds from `b` and `b` need not be explored (the kernel's state pruning, with
 * the whole state compared). Registers and spills covered value by value; a stack byte `a` knows less of
 * (uninitialised, or plain data where `b` holds a spilled number); packet ranges at least `a`'s for every
 * relation; the same references held.
 */
export function stateCovers(a: State, b: State): boolean {
  if (a === b) return true;
  if (a.frames.length !== b.frames.length || a.meta > b.meta || a.refs.size !== b.refs.size) return false;
  for (let r = 0; r < a.regs.length; r++) if (!covers(a.regs[r]!, b.regs[r]!)) return false;
  for (const [id, n] of a.pkt) if ((b.pkt.get(id) ?? 0) < n) return false;
  for (const [id, at] of a.refs) if (b.refs.get(id) !== at) return false;
  for (let f = 0; f < a.frames.length; f++) if (!frameCovers(a.frames[f]!, b.frames[f]!)) return false;
  return true;
}

function frameCovers(a: Frame, b: Frame): boolean {
  if (a === b) return true;
  const x = a.bytes;
  const y = b.bytes;
  for (let i = 0; i < STACK_SIZE; i++) {
    const k = x[i]!;
    if (k === Byte.UNINIT) continue;
    if (y[i] === Byte.UNINIT || (k === Byte.SPILL && y[i] !== Byte.SPILL)) return false;
  }
  for (const [at, s] of a.spills) {
    const t = b.spills.get(at);
    if (t === undefined || t.size !== s.size || !covers(s.value, t.value)) return false;
  }
  // a pointer spilled in `b` where `a` has none would read back as a number from `a` (uninitialised
  // stack reads as a number under privileged rules)
  for (const [at, t] of b.spills) if (isPointer(t.value) && !a.spills.has(at)) return false;
  return true;
}

/**
 * Join (or widen, at loop heads) two states reaching the same pc. A packet pointer whose relation
 * differs between the two gets the relation `pc * 16 + 2 + register` (reused by later joins at the
 * same pc, so loops converge); other holders of that id lose their relation, which named another value.
 * `thresholds`: when widening, the loop's own stops for numbers (thresholds.ts).
 */
export function joinState(a: State, b: State, pc: number, widening: boolean, thresholds?: readonly bigint[]): State {
  if (a.frames.length !== b.frames.length) throw new Error('internal: joining states of different call depths');
  const fresh = new Set<number>();
  const created = new Set<number>();
  const links = joinLinks(a.regs, b.regs, a.pkt, b.pkt, pc);
  const regs = a.regs.map((v, r) => {
    const id = pc * 16 + 2 + r;
    let w = b.regs[r]!;
    // a relation derived from a link that moves or goes in the join: made anew, keeping its bytes
    if (isPacket(w) && derivedParts(w.id) !== undefined && !links.stable.has(w.id)) w = { ...w, id: -1 };
    let j = joinValue(v, w, id, widening, thresholds);
    const link = links.regs.get(r);
    if (link !== undefined && j.type === 'scalar') j = { ...j, id: link.id, k: link.k };
    else if (j.type === 'scalar' && links.moved.has(Math.abs(j.id))) j = { ...j, id: 0, k: 0 };
    if (isPacket(j) && j.id === id && !(v.id === id && v.k === 0 && w.id === id && w.k === 0)) {
      fresh.add(id);
      created.add(r);
    }
    return j;
  });
  let frames = a.frames.map((f, i) => joinFrame(f, b.frames[i]!, widening, thresholds));
  const pkt = new Map<number, number>();
  for (const [id, n] of a.pkt) {
    const m = b.pkt.get(id);
    if (m !== undefined && !fresh.has(id) && derivedParts(id) === undefined) pkt.set(id, Math.min(n, m));
  }
  for (const [id, n] of links.pkt) if (!fresh.has(derivedParts(id)!.p)) pkt.set(id, n);
  // a packet pointer made anew by the join keeps the bytes proved past it on both sides (the fewer)
  for (const r of created) {
    const n = Math.min(bytesPast(a, a.regs[r]!), bytesPast(b, b.regs[r]!));
    if (n > 0) pkt.set(regs[r]!.id, n);
  }
  const refs = new Map(a.refs);
  for (const [id, at] of b.refs) refs.set(id, at);
  // a lock held on one side only, or two different locks: some lock may be held, which one is unknown
  // (calls and exits stay refused, and no unlock matches it); paths.ts keeps such states apart below its bound
  const lock = a.refs.get(LOCK_REF);
  if (lock !== b.refs.get(LOCK_REF)) refs.set(LOCK_REF, UNKNOWN_LOCK);
  if (fresh.size > 0) {
    // holders of a relation made anew, or derived from one, lose it
    const gone = (id: number): boolean => fresh.has(id) || fresh.has(derivedParts(id)?.p ?? -1);
    for (let r = 0; r < regs.length; r++) {
      const v = regs[r]!;
      if (isPacket(v) && gone(v.id) && !created.has(r)) regs[r] = { ...v, id: -1, k: 0 };
    }
    frames = frames.map((f) => mapSpills(f, (v) => (isPacket(v) && gone(v.id) ? { ...v, id: -1, k: 0 } : v)));
  }
  // spilled copies of a link the join moved (or whose id now names another value) leave it
  if (links.moved.size > 0) {
    frames = frames.map((f) => mapSpills(f, (v) => (v.type === 'scalar' && links.moved.has(Math.abs(v.id)) ? { ...v, id: 0, k: 0 } : v)));
  }
  return { regs, frames, pkt, meta: Math.min(a.meta, b.meta), refs };
}

/** A packet pointer, or one that may be NULL (a join's, value.ts). */
function isPacket(v: Value): boolean {
  return v.type === 'packet' || v.type === 'packet_or_null';
}

/**
 * Bytes of packet proved readable from packet pointer `v` on in state `s` (0 when none or `v` is no
 * packet pointer; unbounded for NULL, the side of a `packet_or_null` never read through).
 */
function bytesPast(s: State, v: Value): number {
  if (v.type === 'scalar' && v.scalar.umin === 0n && v.scalar.umax === 0n) return Infinity;
  if (!isPacket(v)) return 0;
  const byId = v.id >= 0 ? (s.pkt.get(v.id) ?? 0) - v.k : 0;
  const byData = v.lo >= 0 ? (s.pkt.get(0) ?? 0) - v.hi : 0;
  return Math.max(0, byId, byData);
}

/** The frame with every spilled value passed through `f` (the same frame when nothing changes). */
export function mapSpills(frame: Frame, f: (v: Value) => Value): Frame {
  let spills: Map<number, Spill> | undefined;
  for (const [at, s] of frame.spills) {
    const v = f(s.value);
    if (v !== s.value) {
      spills ??= new Map(frame.spills);
      spills.set(at, { value: v, size: s.size });
    }
  }
  return spills === undefined ? frame : { bytes: frame.bytes, spills };
}

function joinFrame(a: Frame, b: Frame, widening: boolean, thresholds?: readonly bigint[]): Frame {
  if (frameEqual(a, b)) return a;
  const bytes = new Uint8Array(STACK_SIZE);
  for (let i = 0; i < STACK_SIZE; i++) {
    const x = a.bytes[i]!;
    const y = b.bytes[i]!;
    bytes[i] = x === y ? x : x === Byte.UNINIT || y === Byte.UNINIT ? Byte.UNINIT : Byte.DATA;
  }
  const spills = new Map<number, Spill>();
  for (const [at, s] of a.spills) {
    const t = b.spills.get(at);
    let keep: Value | undefined;
    if (t !== undefined && t.size === s.size) {
      // a spilled packet pointer whose relation differs loses it (-1)
      const j = joinValue(s.value, t.value, -1, widening, thresholds);
      if (j.type !== 'uninit' && (j.type === s.value.type || j.type !== 'scalar' || s.value.type === 'scalar')) keep = j;
    }
    if (keep !== undefined && bytes[at] === Byte.SPILL) spills.set(at, { value: keep, size: s.size });
    else for (let i = at; i < at + s.size; i++) if (bytes[i] !== Byte.UNINIT) bytes[i] = Byte.DATA;
  }
  for (const [at, t] of b.spills) {
    if (!spills.has(at)) for (let i = at; i < at + t.size; i++) if (bytes[i] === Byte.SPILL) bytes[i] = Byte.DATA;
  }
  return { bytes, spills };
}

/** The state on entry to a program: r1 = ctx, r10 = frame pointer, everything else uninitialised. */
export function entryState(ctx: Value, fp: Value): State {
  const regs: Value[] = new Array(11).fill(UNINIT);
  regs[1] = ctx;
  regs[10] = fp;
  return { regs, frames: [emptyFrame()], pkt: new Map(), meta: 0, refs: new Map() };
}
