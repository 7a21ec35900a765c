/**
 * Abstract register values: a type from the kernel's lattice, an offset range for pointers and a
 * scalar range for numbers.
 * @module
 */
import { constant, contains as scalarContains, describeScalar, equal as scalarEqual, join as scalarJoin, TOP, widen as scalarWiden, type Scalar } from './scalar.js';

/**
 * What a register holds, in the kernel's terms. `uninit` is the bottom of reading (a register never
 * written); `mem` is ring buffer memory returned by `bpf_ringbuf_reserve` (after its null check);
 * `sock` / `sock_common` a socket from `bpf_sk_lookup_*` / `bpf_skc_lookup_tcp` (after its null check);
 * `tcp_sock` the `struct bpf_tcp_sock` of one (`bpf_tcp_sock`, after its null check); `flow_keys` a flow
 * dissector's `struct bpf_flow_keys` (its context's `flow_keys`); `tp_buffer` the buffer a writable raw
 * tracepoint's program may write (its context's first argument: any constant offset from 0 up, its size
 * the tracepoint's, which the kernel checks when the program is attached);
 * `dynptr` only ever a spilled value: the 16 stack bytes a dynptr helper initialised (`k` its kind,
 * local or ring buffer, `ref` the ring buffer record's reference);
 * `btf_id` a kernel object a kfunc returned (`struct nf_conn`, after its null check: kfuncs.ts), `map`
 * its structure's BTF type id in the kfunc table's BTF, `size` the structure's bytes, `ref` the
 * reference an acquiring kfunc took (0: none).
 * `packet_or_null` is made by joins only: a packet pointer on one path, NULL on the other (a header
 * pointer set on one protocol's path, {@link joinValue}); its `id` / `k` stay the packet relation, so
 * its null check splits the register tested, not copies by id (branch.ts).
 */
export type ValueType =
  | 'uninit'
  | 'scalar'
  | 'ctx'
  | 'stack'
  | 'packet'
  | 'packet_or_null'
  | 'packet_end'
  | 'packet_meta'
  | 'map_value'
  | 'map_value_or_null'
  | 'map_ptr'
  | 'map_ptr_or_null'
  | 'mem'
  | 'mem_or_null'
  | 'sock'
  | 'sock_or_null'
  | 'sock_common'
  | 'sock_common_or_null'
  | 'tcp_sock'
  | 'tcp_sock_or_null'
  | 'flow_keys'
  | 'tp_buffer'
  | 'dynptr'
  | 'btf_id'
  | 'btf_id_or_null';

/** One register's abstract value. Offsets are bytes from the start of the object the pointer points into. */
export interface Value {
  readonly type: ValueType;
  /** The number's possible values (scalars; for other types TOP). */
  readonly scalar: Scalar;
  /** Lowest and highest offset from the object's start (stack: from the frame's top, so negative). */
  readonly lo: number;
  readonly hi: number;
  /** Stack pointers: the call frame (0 = the entry program's). */
  readonly frame: number;
  /** Map pointers and map values: the map's key in the `maps` option. */
  readonly map: number;
  /**
   * Map pointers and map values: every map the pointer may be (sorted keys, `map` the first), when
   * paths that loaded different maps (or looked up values in them) meet: clang merges `f(&map_a)` /
   * `f(&map_b)` tails into one call. Undefined for one map. A helper argument must then suit each of
   * them, an access into a value must be inside each map's value.
   */
  readonly maps: readonly number[] | undefined;
  /**
   * Packet pointers: the offset is `X(id) + k` where `X(id)` is an unknown fixed for the state (id 0:
   * X = 0, the offset is exactly k; id -1: no relation). Nullable pointers: the null-check id shared by
   * copies of one helper result.
   */
  readonly id: number;
  readonly k: number;
  /** Ring buffer memory: size of the region, and the reference it holds (0: none). */
  readonly size: number;
  readonly ref: number;
  /**
   * Pointers: the offset is `lo` plus a multiple of 2^va (64: no variable part), so a variable-offset
   * access can be checked for alignment as the kernel's known bits check it.
   */
  readonly va: number;
}

const BASE: Value = { type: 'uninit', scalar: TOP, lo: 0, hi: 0, frame: 0, map: 0, maps: undefined, id: 0, k: 0, size: 0, ref: 0, va: 64 };

/** Trailing zero bits of a difference of offsets (64 for none). */
function ctzNum(d: number): number {
  if (d === 0) return 64;
  let n = 0;
  let x = Math.abs(d);
  while (x % 2 === 0) {
    x /= 2;
    n++;
  }
  return n;
}

/** Where a pointer offset's widened bound first jumps: past BPF_MAX_VAR_OFF (2^29). */
const WIDE_OFF = 0x4000_0000;
/** The last rung of a pointer offset's widening: 2^63, past the signed 64-bit range. */
export const OFF_PAST_S64 = 2 ** 63;

/** Most maps one map pointer may stand for; past it a join gives an unknown number. */
export const MAX_MAP_SET = 64;

/** The maps a map pointer may be. */
export function mapsOf(v: Value): readonly number[] {
  return v.maps ?? [v.map];
}

function sameMaps(a: Value, b: Value): boolean {
  if (a.maps === undefined && b.maps === undefined) return a.map === b.map;
  const x = mapsOf(a);
  const y = mapsOf(b);
  return x.length === y.length && x.every((m, i) => m === y[i]);
}

/** Dynptr kinds (a `dynptr` value's `k`). */
export const DYNPTR_LOCAL = 1;
export const DYNPTR_RINGBUF = 2;

/** A register never written. */
export const UNINIT: Value = BASE;
/** Any number. */
export const ANY_SCALAR: Value = { ...BASE, type: 'scalar' };

/** A number in the given set. */
export function scalarValue(s: Scalar): Value {
  return { ...BASE, type: 'scalar', scalar: s };
}

/** The number `v`. */
export function constValue(v: bigint): Value {
  return scalarValue(constant(v));
}

/** A pointer of `type` at exactly `off`, with the other fields given. */
export function pointer(type: ValueType, off: number, extra: Partial<Value> = {}): Value {
  return { ...BASE, type, lo: off, hi: off, ...extra };
}

/** True for every type except scalar and uninit. */
export function isPointer(v: Value): boolean {
  return v.type !== 'scalar' && v.type !== 'uninit';
}

/** Same abstract value. */
export function valueEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a.type !== b.type) return false;
  if (a.type === 'scalar') return scalarEqual(a.scalar, b.scalar);
  return a.lo === b.lo && a.hi === b.hi && a.frame === b.frame && a.map === b.map && sameMaps(a, b) && a.id === b.id && a.k === b.k && a.size === b.size && a.ref === b.ref && a.va === b.va;
}

/**
 * `a` covers `b`: every concrete value `b` stands for, `a` stands for too, with the same kernel type
 * (an uninitialised `a` covers anything: reading it is refused whatever it holds). Packet relation ids
 * must agree (the state check compares the ranges proved for them), except that `a` may have none (-1).
 * Nullable pointers must share the null-check id, so one check resolves the same copies.
 */
export function covers(a: Value, b: Value): boolean {
  if (a === b || a.type === 'uninit') return true;
  if (a.type !== b.type) return false;
  // a linked scalar covers only the same link (the narrowing it allows must hold for b too)
  if (a.type === 'scalar') return (a.id === 0 || (a.id === b.id && a.k === b.k)) && scalarContains(a.scalar, b.scalar);
  if (a.frame !== b.frame || a.size !== b.size || a.ref !== b.ref || b.lo < a.lo || b.hi > a.hi) return false;
  // b's offsets must be among a's: a's alignment step divides b's, and b's anchor is on a's grid
  if (a.va < 64 && (b.va < a.va || ctzNum(b.lo - a.lo) < a.va)) return false;
  if (a.maps !== undefined || b.maps !== undefined) {
    const x = mapsOf(a);
    if (!mapsOf(b).every((m) => x.includes(m))) return false;
  } else if (a.map !== b.map) return false;
  if ((a.type === 'packet' || a.type === 'packet_or_null') && a.id === -1) return true;
  return a.id === b.id && a.k === b.k;
}

/** The maps of `a` and `b` as one sorted set (its first as `map`), or undefined past MAX_MAP_SET maps. */
function mapUnion(a: Value, b: Value): Pick<Value, 'map' | 'maps'> | undefined {
  const set = [...new Set([...mapsOf(a), ...mapsOf(b)])].sort((x, y) => x - y);
  return set.length > MAX_MAP_SET ? undefined : { map: set[0]!, maps: set };
}

/**
 * Join at a merge point. A register uninitialised on either path stays unreadable. Values of different
 * types (or pointers into different objects) join to an unknown scalar: a number may be computed with
 * but never dereferenced, which is all the kernel, exploring each path on its own, would allow for
 * both. `fresh` is the packet relation id to give a packet pointer whose relation differs; `thresholds`,
 * when widening, the loop's own stops for numbers (thresholds.ts).
 */
export function joinValue(a: Value, b: Value, fresh: number, widening: boolean, thresholds?: readonly bigint[]): Value {
  if (valueEqual(a, b)) return a;
  if (a.type === 'uninit' || b.type === 'uninit') return UNINIT;
  if (a.type !== b.type) return nullOrPointer(a, b) ?? nullOrPointer(b, a) ?? ANY_SCALAR;
  if (a.type === 'scalar') return scalarValue(widening ? scalarWiden(a.scalar, b.scalar, thresholds) : scalarJoin(a.scalar, b.scalar));
  if (a.type === 'map_ptr' && a.lo === 0 && a.hi === 0 && b.lo === 0 && b.hi === 0 && !sameMaps(a, b)) {
    // a finite set of maps: the union (the lattice has finite height, at most MAX_MAP_SET maps)
    const maps = mapUnion(a, b);
    return maps === undefined ? ANY_SCALAR : { ...a, ...maps };
  }
  let maps: Pick<Value, 'map' | 'maps'> = a;
  if (a.type === 'map_value' && !sameMaps(a, b)) {
    // values of different maps: a value of each (the kernel, walking each path, checks each one's accesses)
    const union = mapUnion(a, b);
    if (union === undefined) return ANY_SCALAR;
    maps = union;
  } else if (a.map !== b.map) return ANY_SCALAR;
  if (a.frame !== b.frame || a.size !== b.size || a.ref !== b.ref) return ANY_SCALAR;
  if (isNullable(a.type) && a.type !== 'packet_or_null' && a.id !== b.id) return ANY_SCALAR;
  let lo = Math.min(a.lo, b.lo);
  let hi = Math.max(a.hi, b.hi);
  if (widening) {
    // a bound that grew jumps to the next rung of a finite ladder: past BPF_MAX_VAR_OFF (any access through
    // the pointer is then unbounded), then past the signed 64-bit range (a map value or stack pointer may
    // carry a maximum past 2^29, alu.ts: one that keeps growing ends where any further move is refused)
    if (lo < a.lo) lo = a.lo > -WIDE_OFF ? Math.min(lo, -WIDE_OFF) : -OFF_PAST_S64;
    if (hi > a.hi) hi = a.hi < WIDE_OFF ? Math.max(hi, WIDE_OFF) : OFF_PAST_S64;
  }
  let id = a.id;
  let k = a.k;
  if ((a.type === 'packet' || a.type === 'packet_or_null') && (a.id !== b.id || a.k !== b.k)) {
    id = fresh;
    k = 0;
  }
  // the offsets of both lie on the grid of step 2^va through `lo`
  const va = Math.min(a.va, b.va, ctzNum(a.lo - b.lo), ctzNum(lo - a.lo));
  return { ...a, ...maps, lo, hi, id, k, va };
}

/**
 * NULL (the constant 0) on one path and a map value or map pointer that may be null on the other (a
 * function returning `NULL` or a lookup's result): the nullable pointer, which already stands for 0.
 * Its null check then splits it as on each path, as the kernel walking them one by one would. Not for
 * the types that hold a reference (ring buffer memory, sockets): a path without it must not seem to.
 * A packet pointer and NULL (a header pointer kept in a variable or a stack struct, set on one
 * protocol's path only) join to `packet_or_null`: its kind kept, usable once null-checked.
 */
function nullOrPointer(zero: Value, p: Value): Value | undefined {
  if (zero.type !== 'scalar' || zero.scalar.umin !== 0n || zero.scalar.umax !== 0n) return undefined;
  if (p.type === 'packet') return { ...p, type: 'packet_or_null' };
  return p.type === 'map_value_or_null' || p.type === 'map_ptr_or_null' || p.type === 'packet_or_null' ? p : undefined;
}

/** The kernel's name of a type, as its messages print it. */
export function typeName(t: ValueType): string {
  switch (t) {
    case 'uninit': return 'uninit';
    case 'scalar': return 'scalar';
    case 'ctx': return 'ctx';
    case 'stack': return 'fp';
    case 'packet': return 'pkt';
    case 'packet_or_null': return 'pkt_or_null';
    case 'packet_end': return 'pkt_end';
    case 'packet_meta': return 'pkt_meta';
    case 'map_value': return 'map_value';
    case 'map_value_or_null': return 'map_value_or_null';
    case 'map_ptr': return 'map_ptr';
    case 'map_ptr_or_null': return 'map_ptr_or_null';
    case 'mem': return 'ringbuf_mem';
    case 'mem_or_null': return 'ringbuf_mem_or_null';
    case 'sock': return 'sock';
    case 'sock_or_null': return 'sock_or_null';
    case 'sock_common': return 'sock_common';
    case 'sock_common_or_null': return 'sock_common_or_null';
    case 'tcp_sock': return 'tcp_sock';
    case 'tcp_sock_or_null': return 'tcp_sock_or_null';
    case 'flow_keys': return 'flow_keys';
    case 'tp_buffer': return 'tp_buffer';
    case 'dynptr': return 'dynptr';
    case 'btf_id': return 'ptr_';
    case 'btf_id_or_null': return 'ptr_or_null_';
  }
}

/** The types a helper may return as null: a null check splits them into 0 and {@link nonNullOf}. */
export function isNullable(t: ValueType): boolean {
  return t === 'map_value_or_null' || t === 'map_ptr_or_null' || t === 'packet_or_null' || t === 'mem_or_null' || t === 'sock_or_null' || t === 'sock_common_or_null' || t === 'tcp_sock_or_null' || t === 'btf_id_or_null';
}

/** What a nullable type is once proved not null (the type itself for the others). */
export function nonNullOf(t: ValueType): ValueType {
  switch (t) {
    case 'map_value_or_null': return 'map_value';
    case 'packet_or_null': return 'packet';
    case 'map_ptr_or_null': return 'map_ptr';
    case 'mem_or_null': return 'mem';
    case 'sock_or_null': return 'sock';
    case 'sock_common_or_null': return 'sock_common';
    case 'tcp_sock_or_null': return 'tcp_sock';
    case 'btf_id_or_null': return 'btf_id';
    default: return t;
  }
}

/** A short description for facts and messages: `scalar [0, 255]`, `pkt(off=14,r=...)`, `fp-8`. */
export function describeValue(v: Value): string {
  if (v.type === 'scalar') return `scalar ${describeScalar(v.scalar)}`;
  if (v.type === 'uninit') return 'uninit';
  const off = v.lo === v.hi ? `${v.lo}` : `[${v.lo}, ${v.hi}]`;
  if (v.maps !== undefined) return `${typeName(v.type)}(maps=${v.maps.length})`;
  return `${typeName(v.type)}(off=${off})`;
}
