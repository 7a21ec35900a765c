/**
 * Dynamic pointers (bpf-helpers(7)): a `struct bpf_dynptr` is 16 opaque bytes on the program's stack
 * naming a range of memory, which the dynptr helpers bounds-check on every use.
 * - `bpf_dynptr_from_mem` (197): a dynptr to (part of) a map value; flags other than 0 are -EINVAL,
 *   a size above `DYNPTR_MAX_SIZE` (2^24 - 1) -E2BIG (the dynptr is then null).
 * - `bpf_ringbuf_reserve_dynptr` (198): a dynptr to a new ring buffer record; flags other than 0 and
 *   a record that does not fit are -EINVAL, a size above `DYNPTR_MAX_SIZE` -E2BIG, and the dynptr is
 *   then null; `bpf_ringbuf_submit_dynptr` / `_discard_dynptr` (199, 200) finish the record (a null
 *   dynptr: nothing) and make the dynptr null.
 * - `bpf_dynptr_read` / `_write` (201, 202): copy `len` bytes at `offset`; -EINVAL for a null
 *   dynptr, flags other than 0 or (write) a read-only dynptr, -E2BIG for a range past the end.
 * - `bpf_dynptr_data` (203): the address of `len` bytes at `offset`, or 0 (null, read-only, out of range).
 *
 * The layout is tsbpf's own (programs treat the bytes as opaque): the data address (u64), the size
 * with the type in bits 28-30 and read-only in bit 31 (u32), the offset (u32). A program that forges
 * these bytes reaches only memory its own loads and stores could (every copy goes through VmMemory's
 * checks); the kernel-level verifier refuses such programs, as the kernel does.
 * Results measured against the kernel with BPF_PROG_TEST_RUN (6.18; test/kernel/dynptr.test.ts).
 * @module
 */
import { helperError } from './helper-error.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import type { BpfMap } from '../maps/map.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { typedMapArg } from './map-arg.js';
import { Errno, negErrno } from '../maps/types.js';

/** Dynptr helper ids (uapi `linux/bpf.h`). */
export const DynptrHelper = {
  FROM_MEM: 197, RINGBUF_RESERVE_DYNPTR: 198, RINGBUF_SUBMIT_DYNPTR: 199, RINGBUF_DISCARD_DYNPTR: 200,
  READ: 201, WRITE: 202, DATA: 203,
} as const;

/** Largest size a dynptr may have (the kernel's `DYNPTR_MAX_SIZE`). */
export const DYNPTR_MAX_SIZE = (1 << 24) - 1;

/** Bytes of a `struct bpf_dynptr`. */
export const DYNPTR_SIZE = 16;

const TYPE_LOCAL = 1;
const TYPE_RINGBUF = 2;
const TYPE_SHIFT = 28;
const READ_ONLY = 0x8000_0000;

const u32 = (r: bigint): number => Number(r & 0xffff_ffffn);

/**
 * Write a local dynptr to `size` bytes at `data` into `out` (16 bytes), in the layout the dynptr helpers
 * read; `readOnly` makes `bpf_dynptr_write` refuse it and `bpf_dynptr_data` give NULL.
 */
export function writeLocalDynptr(out: Uint8Array, data: number, size: number, readOnly: boolean): void {
  const view = new DataView(out.buffer, out.byteOffset, DYNPTR_SIZE);
  view.setBigUint64(0, BigInt(data), true);
  view.setUint32(8, (size | (TYPE_LOCAL << TYPE_SHIFT) | (readOnly ? READ_ONLY : 0)) >>> 0, true);
  view.setUint32(12, 0, true);
}

/** What the dynptr helpers need from the loaded object. */
export interface DynptrEnvironment {
  readonly memory: VmMemory;
  mapByHandle(handle: number): BpfMap | undefined;
  /** The ring buffers, to find the one a record belongs to. */
  ringBuffers(): Iterable<RingBufMap>;
}

/** A dynptr as its 16 bytes say. */
interface Dynptr {
  readonly data: number;
  readonly size: number;
  readonly offset: number;
  readonly type: number;
  readonly readOnly: boolean;
}

/** The dynptr helpers, bound to the object's memory and maps. */
export function dynptrHelpers(env: DynptrEnvironment): Map<number, HelperEntry> {
  const mem = env.memory;
  /** Store dynptr `d` (undefined: a null one, all zero) at `at`. */
  const write = (at: bigint, d: Dynptr | undefined, pc: number): void => {
    const bytes = new Uint8Array(DYNPTR_SIZE);
    if (d !== undefined) {
      const view = new DataView(bytes.buffer);
      view.setBigUint64(0, BigInt(d.data), true);
      view.setUint32(8, (d.size | (d.type << TYPE_SHIFT) | (d.readOnly ? READ_ONLY : 0)) >>> 0, true);
      view.setUint32(12, d.offset, true);
    }
    mem.write(at, bytes, pc);
  };
  /** The dynptr at `at`, or undefined for a null (or malformed) one. */
  const read = (at: bigint, pc: number): Dynptr | undefined => {
    const b = mem.read(at, DYNPTR_SIZE, pc);
    const view = new DataView(b.buffer, b.byteOffset, DYNPTR_SIZE);
    const data = view.getBigUint64(0, true);
    const word = view.getUint32(8, true);
    const type = (word >>> TYPE_SHIFT) & 7;
    if (data === 0n || data > 0xffff_ffffn || (type !== TYPE_LOCAL && type !== TYPE_RINGBUF)) return undefined;
    const size = word & DYNPTR_MAX_SIZE;
    const offset = view.getUint32(12, true);
    return { data: Number(data), size, offset, type, readOnly: (word & READ_ONLY) !== 0 };
  };
  /** The address of `len` bytes at `offset` into `d`, or undefined when out of range. */
  const range = (d: Dynptr, offset: number, len: number): bigint | undefined =>
    offset + len > d.size ? undefined : BigInt(d.data + d.offset + offset);

  const fromMem: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const size = u32(r2);
    if (r3 !== 0n) {
      write(r4, undefined, ctx.pc);
      return negErrno(Errno.EINVAL);
    }
    if (size > DYNPTR_MAX_SIZE) {
      write(r4, undefined, ctx.pc);
      return negErrno(Errno.E2BIG);
    }
    // The memory must exist (the verifier proved it a map value): a fault here is the program's.
    if (size > 0) mem.slice(r1, size, false, ctx.pc);
    const region = size > 0 ? mem.find(Number(r1 & 0xffff_ffffn), size) : undefined;
    const readOnly = region !== undefined && !region.writable;
    write(r4, r1 === 0n || r1 > 0xffff_ffffn ? undefined : { data: Number(r1), size, offset: 0, type: TYPE_LOCAL, readOnly }, ctx.pc);
    return 0;
  };
  const reserve: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const name = 'bpf_ringbuf_reserve_dynptr';
    const m = typedMapArg((h) => env.mapByHandle(h), name, r1, ctx, RingBufMap, 'BPF_MAP_TYPE_RINGBUF');
    if (r3 !== 0n) {
      write(r4, undefined, ctx.pc);
      return negErrno(Errno.EINVAL);
    }
    if (r2 > BigInt(DYNPTR_MAX_SIZE)) {
      write(r4, undefined, ctx.pc);
      return negErrno(Errno.E2BIG);
    }
    const size = Number(r2);
    const at = m.reserve(size, true);
    if (at === 0) {
      write(r4, undefined, ctx.pc);
      return negErrno(Errno.EINVAL);
    }
    write(r4, { data: at, size, offset: 0, type: TYPE_RINGBUF, readOnly: false }, ctx.pc);
    return 0;
  };
  const finish = (discard: boolean, name: string): HelperFunction => (r1, _2, _3, _4, _5, ctx) => {
    const d = read(r1, ctx.pc);
    if (d === undefined) return 0;
    if (d.type !== TYPE_RINGBUF) throw helperError(name, 'the dynptr is not a ring buffer record (bpf_ringbuf_reserve_dynptr makes those)', ctx);
    const rb = [...env.ringBuffers()].find((r) => r.owns(d.data));
    if (rb === undefined) throw helperError(name, `the dynptr's record 0x${d.data.toString(16)} is not a reserved ring buffer record`, ctx);
    rb.finish(d.data, discard);
    write(r1, undefined, ctx.pc);
    return 0;
  };
  const dynRead: HelperFunction = (r1, r2, r3, r4, r5, ctx) => {
    const len = u32(r2);
    const d = read(r3, ctx.pc);
    if (d === undefined || r5 !== 0n) return negErrno(Errno.EINVAL);
    const from = range(d, u32(r4), len);
    if (from === undefined) return negErrno(Errno.E2BIG);
    if (len > 0) mem.write(r1, mem.read(from, len, ctx.pc), ctx.pc);
    return 0;
  };
  const dynWrite: HelperFunction = (r1, r2, r3, r4, r5, ctx) => {
    const len = u32(r4);
    const d = read(r1, ctx.pc);
    if (d === undefined || d.readOnly || r5 !== 0n) return negErrno(Errno.EINVAL);
    const to = range(d, u32(r2), len);
    if (to === undefined) return negErrno(Errno.E2BIG);
    if (len > 0) mem.write(to, mem.read(r3, len, ctx.pc), ctx.pc);
    return 0;
  };
  const data: HelperFunction = (r1, r2, r3, _4, _5, ctx) => {
    const d = read(r1, ctx.pc);
    if (d === undefined || d.readOnly) return 0;
    return range(d, u32(r2), u32(r3)) ?? 0n;
  };
  const entries: [number, string, HelperFunction][] = [
    [DynptrHelper.FROM_MEM, 'bpf_dynptr_from_mem', fromMem],
    [DynptrHelper.RINGBUF_RESERVE_DYNPTR, 'bpf_ringbuf_reserve_dynptr', reserve],
    [DynptrHelper.RINGBUF_SUBMIT_DYNPTR, 'bpf_ringbuf_submit_dynptr', finish(false, 'bpf_ringbuf_submit_dynptr')],
    [DynptrHelper.RINGBUF_DISCARD_DYNPTR, 'bpf_ringbuf_discard_dynptr', finish(true, 'bpf_ringbuf_discard_dynptr')],
    [DynptrHelper.READ, 'bpf_dynptr_read', dynRead],
    [DynptrHelper.WRITE, 'bpf_dynptr_write', dynWrite],
    [DynptrHelper.DATA, 'bpf_dynptr_data', data],
  ];
  return new Map(entries.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
}
