/**
 * Links kept through joins, and the packet relations keyed on them. Two registers linked on one path
 * (`r3 = r2` after `r2 += 2`) and holding constants on the other (`r3 = 0; r2 = 0` before a loop) stay
 * linked after the join when they differ by the same amounts on both paths: the difference is then
 * exact for the joined state whatever path reached it. A pointer plus a linked number has a relation
 * named by the pair ({@link derivedRelation}), so bytes a loop's `data_end` test proves past `buf + 4`
 * on one pass are bytes past `buf` on the next, where `buf` is made again from the same pointer and a
 * linked copy one step ahead.
 * @module
 */
import { constValue } from './scalar.js';
import type { Value } from './value.js';

/** Scalar link ids are this plus the pc of the move that made the link (other ids are small). */
export const LINK_BASE = 0x4000_0000;

/**
 * Packet relations keyed on a link: `p + s` for a packet pointer of relation `P` (offset `X(P) + k`) and
 * a linked number `s` (the link's unknown `B` plus its `k`) is at `X(P) + B + (both k)`, so it gets the
 * relation named by the pair, the same wherever it is made while neither `P` nor the link is made anew.
 * Bytes proved past one such pointer (`data_end` compared with `buf + 4` before `buf += 2`) then hold for
 * the next one made from the same pointer and a linked copy (the loop's next `p + i`), through joins
 * that keep the link ({@link joinLinks}). Ids past {@link DERIVED_BASE}; pointer relations taken are
 * below 2^24 (`pc * 16 + r`), links below LINK_BASE + 2^25.
 */
const DERIVED_BASE = 2 ** 50;
const PAIR = 2 ** 25;

/** The relation of `packet relation p + link`, or undefined when either is none (or p is derived). */
export function derivedRelation(p: number, link: number): number | undefined {
  if (p < 0 || p >= 2 ** 24 || link < LINK_BASE || link - LINK_BASE >= PAIR) return undefined;
  return DERIVED_BASE + p * PAIR + (link - LINK_BASE);
}

/** Links made by joins: `JOIN_LINKS + pc * 16 + r`, r the group's first register (moves' are LINK_BASE + pc). */
const JOIN_LINKS = LINK_BASE + 2 ** 24;

/** The packet relation and the link a derived relation is made of, or undefined for another id. */
export function derivedParts(id: number): { readonly p: number; readonly link: number } | undefined {
  if (id < DERIVED_BASE) return undefined;
  const d = id - DERIVED_BASE;
  return { p: Math.floor(d / PAIR), link: LINK_BASE + (d % PAIR) };
}

/** Scalar links are ids at least this. */
export function isLinkId(id: number): boolean {
  return id >= LINK_BASE;
}


/** Offsets kept exact (links' k, constants) are within this of 0. */
const SMALL = 2n ** 31n;

/** A register's part in a link on one side of a join: its link id (-1: a constant) and its offset (k, or the constant). */
interface Part {
  readonly id: number;
  readonly o: bigint;
}

function partOf(v: Value): Part | undefined {
  if (v.type !== 'scalar') return undefined;
  if (v.id >= LINK_BASE) return { id: v.id, o: BigInt(v.k) };
  const c = constValue(v.scalar);
  if (c === undefined) return undefined;
  const o = BigInt.asIntN(64, c);
  return o > -SMALL && o < SMALL ? { id: -1, o } : undefined;
}

/** What {@link joinLinks} decided. */
export interface LinkJoin {
  /** Registers that keep a link: the link id and k in the joined state. */
  readonly regs: ReadonlyMap<number, { readonly id: number; readonly k: number }>;
  /** Derived packet relations and the bytes proved past them in the joined state. */
  readonly pkt: ReadonlyMap<number, number>;
  /** Derived relations that mean the same on both sides and in the joined state (their holders keep them). */
  readonly stable: ReadonlySet<number>;
  /** Links whose holders' k moved or that name another value now: other holders (spills) must drop them. */
  readonly moved: ReadonlySet<number>;
}

/**
 * The links the join of register files `a` / `b` (with their packet ranges) keeps: every group of
 * registers that is one link (or all constants) on each side, differing by the same amounts on both,
 * at least one side a link. The joined link takes the first register's offset as its unknown (k 0) and
 * a side's derived relation's bytes move by as much; a constant side's come from the pointer's own.
 */
export function joinLinks(a: readonly Value[], b: readonly Value[], pa: ReadonlyMap<number, number>, pb: ReadonlyMap<number, number>, pc: number): LinkJoin {
  const regs = new Map<number, { id: number; k: number }>();
  const as = a.map(partOf);
  const bs = b.map(partOf);
  const pkt = new Map<number, number>();
  const stable = new Set<number>();
  const moved = new Set<number>();
  const used = new Set<number>();
  const seen = new Set<number>();
  for (let r = 0; r < a.length; r++) {
    if (seen.has(r)) continue;
    const x = as[r];
    const y = bs[r];
    if (x === undefined || y === undefined || (x.id < 0 && y.id < 0 && x.o === y.o)) continue;
    const group: number[] = [];
    let ok = true;
    for (let g = 0; g < a.length; g++) {
      const xg = as[g];
      const yg = bs[g];
      const inA = x.id >= 0 && xg?.id === x.id;
      const inB = y.id >= 0 && yg?.id === y.id;
      // constants on both sides: those that differ from the first by as much on both (each moved by as much)
      const both = x.id < 0 && y.id < 0 && xg?.id === -1 && yg?.id === -1 && xg.o - yg.o === x.o - y.o;
      if (!inA && !inB && !both) continue;
      seen.add(g);
      if (xg === undefined || yg === undefined || xg.id !== x.id || yg.id !== y.id || xg.o - x.o !== yg.o - y.o) ok = false;
      group.push(g);
    }
    if (x.id < 0 && y.id < 0 && group.length < 2) continue;
    const id = x.id >= 0 ? x.id : y.id >= 0 ? y.id : JOIN_LINKS + pc * 16 + r;
    if (!ok || used.has(id) || (x.id >= 0 && y.id >= 0 && x.id !== y.id && used.has(y.id))) continue;
    used.add(id);
    if (x.id >= 0) used.add(x.id);
    if (y.id >= 0) used.add(y.id);
    // the same link at the same offsets on both sides is kept as it is; any other is moved to k 0 at the first register
    const same = x.id === id && y.id === id && x.o === y.o;
    const base = same ? 0n : x.o;
    if (!same) for (const l of [x.id, y.id, id]) if (l >= 0) moved.add(l);
    for (const g of group) regs.set(g, { id, k: Number(as[g]!.o - base) });
    // bytes past each derived relation of this link, moved to the joined link's unknown
    const ps = new Set<number>();
    for (const [m, part] of [[pa, x], [pb, y]] as const) for (const d of m.keys()) {
      const parts = derivedParts(d);
      if (parts === undefined ? part.id < 0 : parts.link === part.id) ps.add(parts?.p ?? d);
    }
    const side = (part: Part, m: ReadonlyMap<number, number>, p: number): number | undefined => {
      const own = part.id >= 0 ? m.get(derivedRelation(p, part.id)!) : undefined;
      const whole = part.id < 0 ? m.get(p) : undefined;
      const n = Math.max(own ?? -Infinity, whole ?? -Infinity);
      return n === -Infinity ? undefined : n - Number(same ? 0n : part.o);
    };
    for (const p of ps) {
      const d = derivedRelation(p, id);
      const na = side(x, pa, p);
      const nb = side(y, pb, p);
      // none proved: no entry (bytes that shrink on every pass reach it, so a loop converges)
      if (d === undefined || na === undefined || nb === undefined || Math.min(na, nb) <= 0) continue;
      pkt.set(d, Math.min(na, nb));
      if (same) stable.add(d);
    }
  }
  return { regs, pkt, stable, moved };
}
