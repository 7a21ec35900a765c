/**
 * Conditional jumps: what each edge proves. Scalar ranges narrow on both edges; a null check splits a
 * nullable pointer into null and non-null; `data + n <= data_end` (in every form: either operand
 * order, strict or not, on the taken or the fall-through edge) proves `n` packet bytes.
 * @module
 */
import { keepLink, narrowLinked } from './links.js';
import type { Insn } from '../../isa/instruction.js';
import type { JumpCond, Operation } from '../../isa/operation.js';
import type { Env } from './env.js';
import type { Work } from './memory.js';
import { readReg } from './alu.js';
import { release } from './calls.js';
import { bits32, constant, constValue, join, knownBits, liftLow32, low32, sync, tnumOf, U64_MAX, type Scalar } from './scalar.js';
import { tnumIntersect } from './tnum.js';
import { mapSpills } from './state.js';
import { constValue as constScalarValue, isNullable, isPointer, nonNullOf, pointer, scalarValue, type Value } from './value.js';

/** A relation that holds on one edge: `a REL b`, unsigned (u*) or signed (s*). */
type Rel = 'eq' | 'ne' | 'ugt' | 'uge' | 'ult' | 'ule' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set' | 'unset';

const REL_OF: Record<JumpCond, Rel> = {
  jeq: 'eq', jne: 'ne', jgt: 'ugt', jge: 'uge', jlt: 'ult', jle: 'ule', jsgt: 'sgt', jsge: 'sge', jslt: 'slt', jsle: 'sle', jset: 'set',
};
const NEGATE: Record<Rel, Rel> = {
  eq: 'ne', ne: 'eq', ugt: 'ule', uge: 'ult', ult: 'uge', ule: 'ugt', sgt: 'sle', sge: 'slt', slt: 'sge', sle: 'sgt', set: 'unset', unset: 'set',
};
const SWAP: Record<Rel, Rel> = {
  eq: 'eq', ne: 'ne', ugt: 'ult', uge: 'ule', ult: 'ugt', ule: 'uge', sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', set: 'set', unset: 'unset',
};

/** The relation a conditional jump establishes on its taken (true) or fall-through (false) edge. */
export function edgeRelation(cond: JumpCond, taken: boolean): Rel {
  const r = REL_OF[cond];
  return taken ? r : NEGATE[r];
}

/** Operands of a conditional jump, read (reporting uninitialised registers) once for both edges. */
export function jumpOperands(env: Env, w: Work, pc: number, i: Insn, op: Extract<Operation, { kind: 'jcond' }>): { a: Value; b: Value } {
  const a = readReg(env, w, pc, i.dst);
  const b = op.source === 'imm' ? constScalarValue(BigInt(i.imm)) : readReg(env, w, pc, i.src);
  return { a, b };
}

/**
 * Narrow `w` to the edge where `a REL b` holds (a is the jump's dst, b its src register or
 * immediate). Returns false when the edge cannot be taken.
 */
export function refineEdge(w: Work, i: Insn, op: Extract<Operation, { kind: 'jcond' }>, a: Value, b: Value, taken: boolean): boolean {
  const rel = edgeRelation(op.cond, taken);
  const srcReg = op.source === 'reg' ? i.src : -1;
  if (a.type === 'scalar' && b.type === 'scalar') {
    if (op.width === 64) {
      const r = refineScalars(rel, a.scalar, b.scalar, 64);
      if (r === undefined) return false;
      // 32-bit bounds a 32-bit jump left narrow the new 64-bit ones where the low half now decides them
      const settle = (v: Scalar, was: Scalar): Scalar | undefined => {
        // values joined from constants: those the edge allows, each as its path would have it
        if (was.set !== undefined) {
          const keep = was.set.filter((x) => x >= v.umin && x <= v.umax && BigInt.asIntN(64, x) >= v.smin && BigInt.asIntN(64, x) <= v.smax);
          return keep.length === 0 ? undefined : keep.map((x) => constant(x)).reduce((x, y) => join(x, y));
        }
        if (was.b32 === undefined) return v;
        return { ...liftLow32(v, low32({ ...v, b32: was.b32 })), b32: was.b32 };
      };
      const x = settle(r[0], a.scalar);
      const y = settle(r[1], b.scalar);
      if (x === undefined || y === undefined) return false;
      w.regs[i.dst] = keepLink(a, scalarValue(x));
      if (srcReg >= 0) w.regs[srcReg] = keepLink(b, scalarValue(y));
      narrowAll(w, i.dst, srcReg);
      return true;
    }
    const r = refineScalars(rel, low32(a.scalar), low32(b.scalar), 32);
    if (r === undefined) return false;
    // the 64-bit bounds narrow where the low half decides them (liftLow32); the 32-bit bounds are kept beside them
    const lift = (v: Scalar, n: Scalar): Scalar => ({ ...liftLow32(v, n), b32: { umin: n.umin, umax: n.umax, smin: n.smin, smax: n.smax } });
    w.regs[i.dst] = keepLink(a, scalarValue(lift(a.scalar, r[0])));
    if (srcReg >= 0) w.regs[srcReg] = keepLink(b, scalarValue(lift(b.scalar, r[1])));
    narrowAll(w, i.dst, srcReg);
    return true;
  }
  if (op.width !== 64) return true;
  // null checks
  const nullable = (v: Value): boolean => isNullable(v.type);
  const isZero = (v: Value): boolean => v.type === 'scalar' && constValue(v.scalar) === 0n;
  if ((rel === 'eq' || rel === 'ne') && nullable(a) && isZero(b)) {
    nullCheck(w, a, rel === 'eq', i.dst);
    return true;
  }
  if ((rel === 'eq' || rel === 'ne') && nullable(b) && isZero(a)) {
    nullCheck(w, b, rel === 'eq', srcReg);
    return true;
  }
  // equal to a non-null pointer of its own kind (a map value after its null check), a nullable pointer
  // is not null: that register only, not its copies (a stack, context or packet pointer proves nothing)
  if (rel === 'eq' && nullable(a) && !nullable(b) && b.type === nonNullOf(a.type)) w.regs[i.dst] = notNull(a);
  if (rel === 'eq' && srcReg >= 0 && nullable(b) && !nullable(a) && a.type === nonNullOf(b.type)) w.regs[srcReg] = notNull(b);
  // a map value (after its null check), a map or ring buffer memory is never equal to 0; the kernel
  // decides no other pointer's comparison with 0 (context, stack and packet pointers: both paths are walked)
  const nonNull = (v: Value): boolean => v.type === 'map_value' || v.type === 'map_ptr' || v.type === 'mem' || v.type === 'sock' || v.type === 'sock_common' || v.type === 'tcp_sock' || v.type === 'flow_keys' || v.type === 'tp_buffer' || v.type === 'btf_id';
  if ((rel === 'eq' || rel === 'ne') && nonNull(a) && isZero(b)) return rel === 'ne';
  if ((rel === 'eq' || rel === 'ne') && nonNull(b) && isZero(a)) return rel === 'ne';
  if (isPointer(a) && isPointer(b)) packetCompare(w, rel, a, b);
  return true;
}

/** Pass the narrowed operands on to their linked copies (one operand only when both are one link). */
function narrowAll(w: Work, dst: number, src: number): void {
  narrowLinked(w, dst);
  if (src >= 0 && w.regs[src]!.id !== w.regs[dst]!.id) narrowLinked(w, src);
}

/** A nullable pointer known not to be null. */
function notNull(x: Value): Value {
  return x.type === 'map_ptr_or_null' ? pointer('map_ptr', 0, { map: x.map }) : { ...x, type: nonNullOf(x.type) };
}

/**
 * Split a nullable pointer (and every copy of it) into null (the number 0) or the non-null type. A
 * `packet_or_null` (a join's, value.ts) has no null-check id: its `id` names a packet relation other
 * pointers share, so only register `reg` is split.
 */
function nullCheck(w: Work, v: Value, isNull: boolean, reg: number): void {
  if (v.type === 'packet_or_null') {
    w.regs[reg] = isNull ? scalarValue(constant(0n)) : notNull(v);
    return;
  }
  const id = v.id;
  const change = (x: Value): Value => {
    if (x.id !== id || !isNullable(x.type)) return x;
    return isNull ? scalarValue(constant(0n)) : notNull(x);
  };
  for (let r = 0; r < w.regs.length; r++) w.regs[r] = change(w.regs[r]!);
  for (let f = 0; f < w.frames.length; f++) {
    const next = mapSpills(w.frames[f]!, change);
    if (next !== w.frames[f]) {
      w.frames[f] = { bytes: next.bytes.slice(), spills: new Map(next.spills) };
      w.owned.add(f);
    }
  }
  // a null result holds no reference (a dynptr's slice, k 1, borrows its dynptr's: not released)
  if (isNull && v.ref !== 0 && v.k === 0) release(w, v.ref);
}

/** The largest packet offset a comparison with data_end proves anything about (the kernel's MAX_PACKET_OFF). */
const MAX_PACKET_OFF = 0xffff;

function packetCompare(w: Work, rel: Rel, a: Value, b: Value): void {
  let p = a;
  let q = b;
  let r = rel;
  if (a.type === 'packet_end' || (a.type === 'packet' && b.type === 'packet_meta')) {
    p = b;
    q = a;
    r = SWAP[rel];
  }
  // only an ordering proves a range: the kernel learns nothing from `==` / `!=` against data_end or data
  const strict = r === 'ult';
  if (r !== 'ult' && r !== 'ule') return;
  const extra = strict ? 1 : 0;
  // a pointer that may lie past MAX_PACKET_OFF (0xffff) proves nothing; an upper bound past the largest
  // variable offset pointer arithmetic allows (2^29) is a loop widening's, not a bound: the kernel, walking
  // each iteration, has an exact one there, so only the least offset is tested then
  const widened = p.hi >= 1 << 29;
  if (p.type === 'packet' && q.type === 'packet_end' && p.lo <= MAX_PACKET_OFF && (p.hi <= MAX_PACKET_OFF || widened)) {
    if (p.id >= 0) w.pkt.set(p.id, Math.max(w.pkt.get(p.id) ?? 0, p.k + extra));
    if (p.lo >= 0) w.pkt.set(0, Math.max(w.pkt.get(0) ?? 0, p.lo + extra));
  } else if (p.type === 'packet_meta' && q.type === 'packet' && q.id === 0 && q.k === 0) {
    w.meta = Math.max(w.meta, p.lo + extra);
  }
}

/** Narrow two scalar sets (both in `bits` bits) to the pairs where `a REL b` holds; undefined if none. */
export function refineScalars(rel: Rel, a: Scalar, b: Scalar, bits: 32 | 64): [Scalar, Scalar] | undefined {
  const max = (x: bigint, y: bigint): bigint => (x > y ? x : y);
  const min = (x: bigint, y: bigint): bigint => (x < y ? x : y);
  const check = (s: Scalar): Scalar | undefined => {
    if (s.umin > s.umax || s.smin > s.smax) return undefined;
    if (bits === 64) return sync(s);
    const r = sync32(s);
    return r === undefined || s.bits === undefined ? r : bits32(r, s.bits);
  };
  const M = bits === 64 ? U64_MAX : 0xffff_ffffn;
  let x = a;
  let y = b;
  // the known bits decide some jumps outright: `x == c` where c has a bit x cannot have (or lacks one
  // it must), `x & c` where every bit of c is known zero in x (never set) or one is known one (always)
  const ca0 = constValue(a);
  const cb0 = constValue(b);
  const fits = (s: Scalar, c: bigint): boolean => {
    const k = knownBits(s);
    return (c & k.zero) === 0n && (~c & k.one) === 0n;
  };
  if (rel === 'eq' && ((cb0 !== undefined && !fits(a, cb0)) || (ca0 !== undefined && !fits(b, ca0)))) return undefined;
  if (rel === 'set' && cb0 !== undefined && (cb0 & ~knownBits(a).zero) === 0n) return undefined;
  if (rel === 'unset' && cb0 !== undefined && (cb0 & knownBits(a).one) !== 0n) return undefined;
  switch (rel) {
    case 'eq': {
      // equal values: in both intervals and both known bits (the meet of the intervals alone, when neither knows more)
      const t = a.bits === undefined && b.bits === undefined ? undefined : tnumIntersect(tnumOf(a), tnumOf(b));
      if (t === undefined && (a.bits !== undefined || b.bits !== undefined)) return undefined;
      const m = { umin: max(a.umin, b.umin), umax: min(a.umax, b.umax), smin: max(a.smin, b.smin), smax: min(a.smax, b.smax), ...(t === undefined ? {} : { bits: t }) };
      x = m;
      y = m;
      break;
    }
    case 'ne': {
      const cb = constValue(b);
      const ca = constValue(a);
      if (cb !== undefined) x = trim(a, cb, bits);
      if (ca !== undefined) y = trim(b, ca, bits);
      if (ca !== undefined && cb !== undefined && ca === cb) return undefined;
      break;
    }
    case 'ugt':
      x = { ...a, umin: max(a.umin, b.umin + 1n) };
      y = { ...b, umax: min(b.umax, a.umax - 1n) };
      break;
    case 'uge':
      x = { ...a, umin: max(a.umin, b.umin) };
      y = { ...b, umax: min(b.umax, a.umax) };
      break;
    case 'ult':
      x = { ...a, umax: min(a.umax, b.umax - 1n) };
      y = { ...b, umin: max(b.umin, a.umin + 1n) };
      break;
    case 'ule':
      x = { ...a, umax: min(a.umax, b.umax) };
      y = { ...b, umin: max(b.umin, a.umin) };
      break;
    case 'sgt':
      x = { ...a, smin: max(a.smin, b.smin + 1n) };
      y = { ...b, smax: min(b.smax, a.smax - 1n) };
      break;
    case 'sge':
      x = { ...a, smin: max(a.smin, b.smin) };
      y = { ...b, smax: min(b.smax, a.smax) };
      break;
    case 'slt':
      x = { ...a, smax: min(a.smax, b.smax - 1n) };
      y = { ...b, smin: max(b.smin, a.smin + 1n) };
      break;
    case 'sle':
      x = { ...a, smax: min(a.smax, b.smax) };
      y = { ...b, smin: max(b.smin, a.smin) };
      break;
    case 'set': {
      const ca = constValue(a);
      const cb = constValue(b);
      if (ca !== undefined && cb !== undefined && (ca & cb) === 0n) return undefined;
      if (cb !== undefined && cb !== 0n && a.umin === 0n) x = { ...a, umin: 1n };
      if (cb === 0n) return undefined;
      // `a & c` with c one bit: that bit of a is one
      if (cb !== undefined && (cb & (cb - 1n)) === 0n) {
        const t = tnumIntersect(tnumOf(a), { value: cb & M, mask: M & ~cb });
        if (t === undefined) return undefined;
        x = { ...x, bits: t };
      }
      break;
    }
    case 'unset': {
      const ca = constValue(a);
      const cb = constValue(b);
      if (ca !== undefined && cb !== undefined && (ca & cb) !== 0n) return undefined;
      if (cb !== undefined && a.umin === a.umax) break;
      // a & c == 0: a has no bit of c, so a <= ~c (e.g. `if w1 & 0xfffffff0` falls through with w1 <= 15)
      if (cb !== undefined) {
        const top = ~cb & M;
        if (top < a.umax) x = { ...a, umax: top };
        // and every bit of c is zero in a
        const t = tnumIntersect(tnumOf(a), { value: 0n, mask: M & ~cb });
        if (t === undefined) return undefined;
        x = { ...x, bits: t };
      }
      if (cb !== undefined && cb !== 0n && ((cb & (cb - 1n)) === 0n) && a.umin >= cb && a.umax < cb * 2n) return undefined;
      break;
    }
  }
  const rx = check(x);
  const ry = check(y);
  if (rx === undefined || ry === undefined) return undefined;
  return [rx, ry];
}

/** Remove `c` from a set when it is one of its bounds. */
function trim(s: Scalar, c: bigint, bits: 32 | 64): Scalar {
  const m = bits === 64 ? U64_MAX : 0xffff_ffffn;
  const u = c & m;
  const sc = bits === 64 ? BigInt.asIntN(64, c) : BigInt.asIntN(32, c);
  let r = s;
  if (r.umin === u) r = { ...r, umin: u + 1n };
  if (r.umax === u) r = { ...r, umax: u - 1n };
  if (r.smin === sc) r = { ...r, smin: sc + 1n };
  if (r.smax === sc) r = { ...r, smax: sc - 1n };
  return r;
}


/** Make a 32-bit set's signed and unsigned intervals agree where the sign is known; undefined when empty. */
function sync32(s: Scalar): Scalar | undefined {
  const H = 1n << 31n;
  const F = 1n << 32n;
  let { umin, umax, smin, smax } = s;
  const max = (x: bigint, y: bigint): bigint => (x > y ? x : y);
  const min = (x: bigint, y: bigint): bigint => (x < y ? x : y);
  if (smin >= 0n) [umin, umax] = [max(umin, smin), min(umax, smax)];
  else if (smax < 0n) [umin, umax] = [max(umin, smin + F), min(umax, smax + F)];
  if (umax < H) [smin, smax] = [max(smin, umin), min(smax, umax)];
  else if (umin >= H) [smin, smax] = [max(smin, umin - F), min(smax, umax - F)];
  return umin > umax || smin > smax ? undefined : { umin, umax, smin, smax };
}
