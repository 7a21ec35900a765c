/**
 * The kernel-numbered helpers (ids of uapi `linux/bpf.h`) that programs compiled for the kernel call:
 * maps, time, randomness, trace_printk, tail calls, ring buffers, perf events, probe reads, checksums
 * and XDP packet adjustment. They follow the kernel's return conventions (negative errno on failure).
 * Helpers that need per-run state (the XDP packet) get it from `HelperContext.host`, which the
 * program runners set to a {@link KernelRunHost}.
 * @module
 */
import { helperError } from './helper-error.js';
import type { FastHelperFunction, HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import { helperResult, u64FromHalves } from '../vm/helper-call.js';
import type { VmMemory } from '../vm/memory.js';
import type { BpfMap } from '../maps/map.js';
import { QueueMap } from '../maps/queue.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { PerfEventArrayMap, ProgramArrayMap } from '../maps/special.js';
import { Errno, MapType, mapTypeName, negErrno } from '../maps/types.js';
import { ArrayMap } from '../maps/array.js';
import { BloomFilterMap } from '../maps/bloom.js';
import { HashMap } from '../maps/hash.js';
import { KERNEL_HELPER_NAMES } from './kernel-names.js';
import { formatTracePrintk } from './kernel-printk.js';
import { TRACE_LINE_MAX } from './trace-log.js';
import { skbResizeHelpers } from './skb-resize.js';
import { probeString, probeView, taskHelpers } from './task.js';
import { stackHelpers } from './stack.js';
import { checkInteger } from '../validate.js';

/** Kernel helper ids tsbpf implements. */
export const KernelHelper = {
  MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3, PROBE_READ: 4, KTIME_GET_NS: 5, TRACE_PRINTK: 6,
  GET_PRANDOM_U32: 7, GET_SMP_PROCESSOR_ID: 8, SKB_STORE_BYTES: 9, TAIL_CALL: 12, SKB_LOAD_BYTES: 26, PERF_EVENT_OUTPUT: 25, CSUM_DIFF: 28,
  XDP_ADJUST_HEAD: 44, PROBE_READ_STR: 45, XDP_ADJUST_META: 54, XDP_ADJUST_TAIL: 65, MAP_PUSH_ELEM: 87,
  MAP_POP_ELEM: 88, MAP_PEEK_ELEM: 89, PROBE_READ_USER: 112, PROBE_READ_KERNEL: 113, PROBE_READ_USER_STR: 114,
  PROBE_READ_KERNEL_STR: 115, KTIME_GET_BOOT_NS: 125, RINGBUF_OUTPUT: 130, RINGBUF_RESERVE: 131,
  RINGBUF_SUBMIT: 132, RINGBUF_DISCARD: 133, RINGBUF_QUERY: 134, KTIME_GET_COARSE_NS: 160,
  SPIN_LOCK: 93, SPIN_UNLOCK: 94, XDP_GET_BUFF_LEN: 188, XDP_LOAD_BYTES: 189, XDP_STORE_BYTES: 190,
  MAP_LOOKUP_PERCPU_ELEM: 195,
} as const;

/** The kernel name of a helper id (`bpf_map_lookup_elem`), or `unknown`. */
export function kernelHelperName(id: number): string {
  checkInteger(id, 'id', -0x8000_0000, 0xffff_ffff);
  return KERNEL_HELPER_NAMES.get(id) ?? 'unknown';
}

/** Per-run state a runner passes as `RunRequest.host` for packet helpers. */
export interface KernelRunHost {
  /** `bpf_xdp_adjust_head`: move the packet start by `delta` bytes; 0 or a negative errno. */
  adjustHead?(delta: number): number;
  /** `bpf_xdp_adjust_tail`: move the packet end by `delta` bytes; 0 or a negative errno. */
  adjustTail?(delta: number): number;
  /** `bpf_xdp_adjust_meta`: move the metadata start by `delta` bytes; 0 or a negative errno. */
  adjustMeta?(delta: number): number;
  /** Socket filter / tc runs: a live view of the packet, for `bpf_skb_load_bytes` / `bpf_skb_store_bytes`. */
  packet?(): Uint8Array;
  /** XDP runs: a live view of the packet (`data` to `data_end`), for `bpf_xdp_load_bytes` / `_store_bytes` / `_get_buff_len`. */
  xdpData?(): Uint8Array;
}

/** What the kernel helpers need from the loaded object and the host. */
export interface KernelEnvironment {
  /** The VM memory maps and programs share. */
  readonly memory: VmMemory;
  /** The map a handle names (the value a program's `lddw` of a map loads). */
  mapByHandle(handle: number): BpfMap | undefined;
  /** The ring buffers, to find the one a reserved record belongs to. */
  ringBuffers(): Iterable<RingBufMap>;
  /** Current CPU index (per-CPU maps, get_smp_processor_id). */
  readonly cpu: number;
  /** `bpf_trace_printk` output, one line at a time without the trailing newline. */
  trace(line: string): void;
  /** Monotonic time in nanoseconds. */
  now(): bigint;
  /** A random unsigned 32-bit integer. */
  random(): number;
}

function mapArg(env: KernelEnvironment, name: string, r: bigint, ctx: HelperContext): BpfMap {
  const m = r <= 0xffffffffn ? env.mapByHandle(Number(r)) : undefined;
  if (m === undefined) {
    const data = r >> 32n === 0n ? env.memory.find(Number(r), 1) : undefined;
    const hint = data === undefined ? '' : ` (it is an address in ${data.name}: data, not a map)`;
    throw helperError(name, `argument 0x${r.toString(16)} is not a map of this object${hint}`, ctx);
  }
  return m;
}

/** {@link mapArg} for helpers that change the map: refused for maps read-only to programs (`.rodata`). */
function writableMapArg(env: KernelEnvironment, name: string, r: bigint, ctx: HelperContext): BpfMap {
  const m = mapArg(env, name, r, ctx);
  if (!m.programWritable) throw helperError(name, `map ${m.name} is read-only to programs (BPF_F_RDONLY_PROG)`, ctx);
  return m;
}

const UTF8_DECODER = new TextDecoder();
const UTF8_ENCODER = new TextEncoder();

/** Bytes of `s` in UTF-8, without encoding it (trace_printk returns the length of what it wrote). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 2 bytes below U+0800, 4 for a surrogate pair (2 units), else 3 (the text comes from TextDecoder:
    // no lone surrogates).
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** The map types `bpf_map_lookup_percpu_elem` takes. */
const PERCPU_TYPES: readonly number[] = [MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH];

/**
 * Read bytes, zero-filling the destination and returning -EFAULT when the source faults (probe_read
 * semantics). The source is the host-described kernel / user memory of the run when it holds the
 * bytes (`RawRunOptions.probeMemory`), else the VM's own memory.
 */
function probeRead(mem: VmMemory, dst: bigint, size: number, src: bigint, pc: number, host: unknown): bigint {
  if (size === 0) return 0n;
  const out = mem.slice(dst, size, true, pc);
  const bytes = probeView(mem, host, src, size, pc);
  if (bytes === undefined) {
    out.fill(0);
    return negErrno(Errno.EFAULT);
  }
  out.set(bytes);
  return 0n;
}

/** probe_read_str: copy up to `size - 1` bytes and a NUL; the length with the NUL, or -EFAULT. */
function probeReadStr(mem: VmMemory, dst: bigint, size: number, src: bigint, pc: number, host: unknown): bigint {
  if (size === 0) return 0n;
  const out = mem.slice(dst, size, true, pc);
  const described = probeString(host, src, size - 1);
  if (described !== undefined) {
    out.set(described);
    out[described.length] = 0;
    return BigInt(described.length + 1);
  }
  let s: string;
  try {
    s = mem.readCString(src, size - 1, pc);
  } catch {
    out.fill(0);
    return negErrno(Errno.EFAULT);
  }
  const bytes = UTF8_ENCODER.encode(s).subarray(0, size - 1);
  out.set(bytes);
  out[bytes.length] = 0;
  return BigInt(bytes.length + 1);
}

/** 32-bit ones'-complement sum of little-endian words with end-around carry (x86 `csum_partial`). */
function csumAdd(sum: number, word: number): number {
  const s = sum + word;
  return s > 0xffffffff ? s - 0xffffffff : s;
}

/**
 * The kernel helpers, bound to an environment: those of {@link KernelHelper}, the tc packet resizers
 * (skb-resize.ts) and the stack helpers (stack.ts).
 */
export function kernelHelpers(env: KernelEnvironment): Map<number, HelperEntry> {
  const mem = env.memory;
  const size32 = (r: bigint): number => Number(r & 0xffffffffn);
  const fns: [number, string, HelperFunction][] = [
    [KernelHelper.MAP_LOOKUP_ELEM, 'bpf_map_lookup_elem', (r1, r2, _3, _4, _5, ctx) => {
      const m = mapArg(env, 'bpf_map_lookup_elem', r1, ctx);
      if (!lookupable(m)) {
        throw helperError('bpf_map_lookup_elem', `map ${m.name} cannot be looked up from a program`, ctx);
      }
      // A live view, not a copy: lookups only read the key, before anything else can change it.
      return m.programLookup(mem.slice(r2, m.keySize, false, ctx.pc), env.cpu);
    }],
    [KernelHelper.MAP_LOOKUP_PERCPU_ELEM, 'bpf_map_lookup_percpu_elem', (r1, r2, r3, _4, _5, ctx) => {
      const m = mapArg(env, 'bpf_map_lookup_percpu_elem', r1, ctx);
      if (!(m instanceof ArrayMap || m instanceof HashMap) || !PERCPU_TYPES.includes(m.spec.type)) {
        throw helperError('bpf_map_lookup_percpu_elem', `map ${m.name} is a ${mapTypeName(m.spec.type)}; it takes a per-CPU array or hash`, ctx);
      }
      const key = mem.slice(r2, m.keySize, false, ctx.pc);
      // A CPU past the map's (the host's possible CPUs) finds nothing, as in the kernel.
      const cpu = Number(r3 & 0xffffffffn);
      return cpu >= m.cpus ? 0 : m.programLookup(key, cpu);
    }],
    [KernelHelper.MAP_UPDATE_ELEM, 'bpf_map_update_elem', (r1, r2, r3, r4, _5, ctx) => {
      const m = writableMapArg(env, 'bpf_map_update_elem', r1, ctx);
      if (r4 > 2n) return negErrno(Errno.EINVAL);
      if (m instanceof ProgramArrayMap) return negErrno(Errno.EINVAL);
      return m.programUpdate(mem.read(r2, m.keySize, ctx.pc), mem.read(r3, m.valueSize, ctx.pc), Number(r4), env.cpu);
    }],
    [KernelHelper.MAP_DELETE_ELEM, 'bpf_map_delete_elem', (r1, r2, _3, _4, _5, ctx) => {
      const m = writableMapArg(env, 'bpf_map_delete_elem', r1, ctx);
      return m.programDelete(mem.slice(r2, m.keySize, false, ctx.pc));
    }],
    [KernelHelper.MAP_PUSH_ELEM, 'bpf_map_push_elem', (r1, r2, r3, _4, _5, ctx) => {
      const m = writableMapArg(env, 'bpf_map_push_elem', r1, ctx);
      if (r3 > 2n) return negErrno(Errno.EINVAL);
      return m.programPush(mem.read(r2, m.valueSize, ctx.pc), Number(r3));
    }],
    [KernelHelper.MAP_POP_ELEM, 'bpf_map_pop_elem', (r1, r2, _3, _4, _5, ctx) => {
      const m = writableMapArg(env, 'bpf_map_pop_elem', r1, ctx);
      // The destination is checked first: a pop into memory the program cannot write loses nothing.
      const dst = mem.slice(r2, m.valueSize, true, ctx.pc);
      const v = m.programPop(false);
      if (typeof v === 'number') return v;
      dst.set(v);
      return 0;
    }],
    [KernelHelper.MAP_PEEK_ELEM, 'bpf_map_peek_elem', (r1, r2, _3, _4, _5, ctx) => {
      const m = mapArg(env, 'bpf_map_peek_elem', r1, ctx);
      // A bloom filter tests the value it is given (0: maybe present, -ENOENT: absent).
      if (m instanceof BloomFilterMap) return m.programTest(mem.slice(r2, m.valueSize, false, ctx.pc));
      const dst = mem.slice(r2, m.valueSize, true, ctx.pc);
      const v = m.programPop(true);
      if (typeof v === 'number') return v;
      dst.set(v);
      return 0;
    }],
    [KernelHelper.PROBE_READ, 'bpf_probe_read', (r1, r2, r3, _4, _5, ctx) => probeRead(mem, r1, size32(r2), r3, ctx.pc, ctx.host)],
    [KernelHelper.PROBE_READ_USER, 'bpf_probe_read_user', (r1, r2, r3, _4, _5, ctx) => probeRead(mem, r1, size32(r2), r3, ctx.pc, ctx.host)],
    [KernelHelper.PROBE_READ_KERNEL, 'bpf_probe_read_kernel', (r1, r2, r3, _4, _5, ctx) => probeRead(mem, r1, size32(r2), r3, ctx.pc, ctx.host)],
    [KernelHelper.PROBE_READ_STR, 'bpf_probe_read_str', (r1, r2, r3, _4, _5, ctx) => probeReadStr(mem, r1, size32(r2), r3, ctx.pc, ctx.host)],
    [KernelHelper.PROBE_READ_USER_STR, 'bpf_probe_read_user_str', (r1, r2, r3, _4, _5, ctx) => probeReadStr(mem, r1, size32(r2), r3, ctx.pc, ctx.host)],
    [KernelHelper.PROBE_READ_KERNEL_STR, 'bpf_probe_read_kernel_str', (r1, r2, r3, _4, _5, ctx) => probeReadStr(mem, r1, size32(r2), r3, ctx.pc, ctx.host)],
    [KernelHelper.KTIME_GET_NS, 'bpf_ktime_get_ns', () => env.now()],
    [KernelHelper.KTIME_GET_BOOT_NS, 'bpf_ktime_get_boot_ns', () => env.now()],
    [KernelHelper.KTIME_GET_COARSE_NS, 'bpf_ktime_get_coarse_ns', () => env.now()],
    [KernelHelper.TRACE_PRINTK, 'bpf_trace_printk', (r1, r2, r3, r4, r5, ctx) => {
      // The format ends at its first NUL: decode no more of a long buffer than that.
      const raw = mem.slice(r1, size32(r2), false, ctx.pc);
      const nul = raw.indexOf(0);
      const fmt = UTF8_DECODER.decode(nul < 0 ? raw : raw.subarray(0, nul));
      const line = formatTracePrintk(fmt, [r3, r4, r5], mem);
      const text = line.endsWith('\n') ? line.slice(0, -1) : line;
      // Like the kernel, keep at most one buffer's worth of a line; return the whole length (snprintf).
      env.trace(text.length > TRACE_LINE_MAX ? text.slice(0, TRACE_LINE_MAX) : text);
      return utf8Length(line);
    }],
    [KernelHelper.GET_PRANDOM_U32, 'bpf_get_prandom_u32', () => env.random() >>> 0],
    [KernelHelper.GET_SMP_PROCESSOR_ID, 'bpf_get_smp_processor_id', () => env.cpu],
    [KernelHelper.TAIL_CALL, 'bpf_tail_call', (_r1, r2, r3, _4, _5, ctx) => {
      const m = mapArg(env, 'bpf_tail_call', r2, ctx);
      if (!(m instanceof ProgramArrayMap)) throw helperError('bpf_tail_call', `map ${m.name} is not a program array`, ctx);
      const target = m.get(size32(r3));
      if (target === undefined) return negErrno(Errno.ENOENT);
      return ctx.tailCall(target) ? 0 : negErrno(Errno.E2BIG);
    }],
    [KernelHelper.PERF_EVENT_OUTPUT, 'bpf_perf_event_output', (_r1, r2, r3, r4, r5, ctx) => {
      const m = mapArg(env, 'bpf_perf_event_output', r2, ctx);
      if (!(m instanceof PerfEventArrayMap)) throw helperError('bpf_perf_event_output', `map ${m.name} is not a perf event array`, ctx);
      const index = size32(r3);
      const cpu = index === 0xffffffff ? env.cpu : index;
      // A view, not a copy: the map copies only a record it keeps.
      return m.output(cpu, mem.slice(r4, size32(r5), false, ctx.pc));
    }],
    [KernelHelper.CSUM_DIFF, 'bpf_csum_diff', (r1, r2, r3, r4, r5, ctx) => {
      const fromSize = size32(r2);
      const toSize = size32(r4);
      if (fromSize % 4 !== 0 || toSize % 4 !== 0 || fromSize + toSize > 512) return negErrno(Errno.EINVAL);
      const from = mem.read(r1, fromSize, ctx.pc);
      const to = mem.read(r3, toSize, ctx.pc);
      let sum = size32(r5);
      const word = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
      for (let i = 0; i < fromSize; i += 4) sum = csumAdd(sum, ~word(from, i) >>> 0);
      for (let i = 0; i < toSize; i += 4) sum = csumAdd(sum, word(to, i));
      // Folded to 16 bits with end-around carry, as the kernel returns it (6.12+ on every architecture;
      // checked against BPF_PROG_TEST_RUN on 6.18 by test/kernel/helpers.test.ts).
      sum = (sum & 0xffff) + (sum >>> 16);
      return (sum & 0xffff) + (sum >>> 16);
    }],
    [KernelHelper.XDP_ADJUST_HEAD, 'bpf_xdp_adjust_head', (_r1, r2, _3, _4, _5, ctx) => {
      const host = ctx.host as KernelRunHost | undefined;
      if (host?.adjustHead === undefined) throw helperError('bpf_xdp_adjust_head', 'only XDP programs run with runXdp can adjust the packet', ctx);
      return host.adjustHead(Number(BigInt.asIntN(32, r2)));
    }],
    [KernelHelper.XDP_ADJUST_TAIL, 'bpf_xdp_adjust_tail', (_r1, r2, _3, _4, _5, ctx) => {
      const host = ctx.host as KernelRunHost | undefined;
      if (host?.adjustTail === undefined) throw helperError('bpf_xdp_adjust_tail', 'only XDP programs run with runXdp can adjust the packet', ctx);
      return host.adjustTail(Number(BigInt.asIntN(32, r2)));
    }],
    [KernelHelper.XDP_ADJUST_META, 'bpf_xdp_adjust_meta', (_r1, r2, _3, _4, _5, ctx) => {
      const host = ctx.host as KernelRunHost | undefined;
      if (host?.adjustMeta === undefined) throw helperError('bpf_xdp_adjust_meta', 'only XDP programs run with runXdp can adjust the packet', ctx);
      return host.adjustMeta(Number(BigInt.asIntN(32, r2)));
    }],
    [KernelHelper.SKB_LOAD_BYTES, 'bpf_skb_load_bytes', (_r1, r2, r3, r4, _5, ctx) => {
      const pkt = skbPacket(ctx, 'bpf_skb_load_bytes');
      const off = size32(r2);
      const len = size32(r4);
      const dst = mem.slice(r3, len, true, ctx.pc);
      if (len === 0 || off + len > pkt.length) {
        dst.fill(0);
        return negErrno(Errno.EFAULT);
      }
      dst.set(pkt.subarray(off, off + len));
      return 0;
    }],
    [KernelHelper.SKB_STORE_BYTES, 'bpf_skb_store_bytes', (_r1, r2, r3, r4, _5, ctx) => {
      const pkt = skbPacket(ctx, 'bpf_skb_store_bytes');
      const off = size32(r2);
      const len = size32(r4);
      if (len === 0 || off + len > pkt.length) return negErrno(Errno.EFAULT);
      pkt.set(mem.read(r3, len, ctx.pc), off);
      return 0;
    }],
    // bpf_spin_lock / bpf_spin_unlock on a `struct bpf_spin_lock` (4 bytes) in a map value. A run is
    // single-threaded, so taking a lock that is held can only be the program's own second lock (or one
    // an earlier run returned with): the kernel's verifier refuses both, and on a real CPU it would
    // spin forever, so tsbpf stops the run with an error instead; unlocking a free lock is refused too.
    [KernelHelper.SPIN_LOCK, 'bpf_spin_lock', (r1, _2, _3, _4, _5, ctx) => spinLock(mem, r1, true, ctx)],
    [KernelHelper.SPIN_UNLOCK, 'bpf_spin_unlock', (r1, _2, _3, _4, _5, ctx) => spinLock(mem, r1, false, ctx)],
    // The XDP byte helpers, as documented in bpf-helpers(7) and measured with BPF_PROG_TEST_RUN on 6.18
    // (test/kernel/xdp-bytes.test.ts): an offset or length above 0xffff is -EFAULT, a range past the
    // packet's end -EINVAL, and a failed load leaves the buffer as it was. Packets are linear (no frags).
    [KernelHelper.XDP_GET_BUFF_LEN, 'bpf_xdp_get_buff_len', (_r1, _2, _3, _4, _5, ctx) => xdpData(ctx, 'bpf_xdp_get_buff_len').length],
    [KernelHelper.XDP_LOAD_BYTES, 'bpf_xdp_load_bytes', (_r1, r2, r3, r4, _5, ctx) => {
      const pkt = xdpData(ctx, 'bpf_xdp_load_bytes');
      const at = xdpRange(pkt, r2, r4);
      if (typeof at === 'bigint') return at;
      mem.slice(r3, size32(r4), true, ctx.pc).set(pkt.subarray(at, at + size32(r4)));
      return 0;
    }],
    [KernelHelper.XDP_STORE_BYTES, 'bpf_xdp_store_bytes', (_r1, r2, r3, r4, _5, ctx) => {
      const pkt = xdpData(ctx, 'bpf_xdp_store_bytes');
      const at = xdpRange(pkt, r2, r4);
      if (typeof at === 'bigint') return at;
      pkt.set(mem.read(r3, size32(r4), ctx.pc), at);
      return 0;
    }],
    [KernelHelper.RINGBUF_OUTPUT, 'bpf_ringbuf_output', (r1, r2, r3, _4, _5, ctx) => {
      const m = mapArg(env, 'bpf_ringbuf_output', r1, ctx);
      if (!(m instanceof RingBufMap)) throw helperError('bpf_ringbuf_output', `map ${m.name} is not a ring buffer`, ctx);
      return m.output(mem.read(r2, size32(r3), ctx.pc)) ? 0 : negErrno(Errno.EAGAIN);
    }],
    [KernelHelper.RINGBUF_RESERVE, 'bpf_ringbuf_reserve', (r1, r2, _3, _4, _5, ctx) => {
      const m = mapArg(env, 'bpf_ringbuf_reserve', r1, ctx);
      if (!(m instanceof RingBufMap)) throw helperError('bpf_ringbuf_reserve', `map ${m.name} is not a ring buffer`, ctx);
      return m.reserve(size32(r2));
    }],
    [KernelHelper.RINGBUF_SUBMIT, 'bpf_ringbuf_submit', (r1, _2, _3, _4, _5, ctx) => finishRecord(env, r1, false, 'bpf_ringbuf_submit', ctx)],
    [KernelHelper.RINGBUF_DISCARD, 'bpf_ringbuf_discard', (r1, _2, _3, _4, _5, ctx) => finishRecord(env, r1, true, 'bpf_ringbuf_discard', ctx)],
    [KernelHelper.RINGBUF_QUERY, 'bpf_ringbuf_query', (r1, r2, _3, _4, _5, ctx) => {
      const m = mapArg(env, 'bpf_ringbuf_query', r1, ctx);
      if (!(m instanceof RingBufMap)) throw helperError('bpf_ringbuf_query', `map ${m.name} is not a ring buffer`, ctx);
      return m.query(Number(r2 & 0xffn));
    }],
  ];
  const fast = mapHelpersFast(env, new Map(fns.map(([id, , fn]) => [id, fn])));
  const table = new Map<number, HelperEntry>(
    fns.map(([id, name, fn]) => {
      const f = fast.get(id);
      return [id, f === undefined ? { fn, name, unwindOnZero: false } : { fn, name, fast: f, unwindOnZero: false }];
    }),
  );
  // An engine may answer lookups of the maps that say how (BpfMap.inlineLookup) itself: a handle names
  // the same map for the object's life, and the helper's checks (a map, lookupable) hold for it.
  const lookupEntry = table.get(KernelHelper.MAP_LOOKUP_ELEM)!;
  table.set(KernelHelper.MAP_LOOKUP_ELEM, {
    ...lookupEntry,
    inlineMap: (handle) => {
      const m = env.mapByHandle(handle);
      return m === undefined || !lookupable(m) ? undefined : m.inlineLookup(env.cpu);
    },
  });
  // The tc packet resizers and the stack helpers live in their own modules.
  for (const [id, entry] of skbResizeHelpers(env)) table.set(id, entry);
  for (const [id, entry] of stackHelpers(env)) table.set(id, entry);
  for (const [id, entry] of taskHelpers(mem)) table.set(id, entry);
  return table;
}

/** How long a lock another thread holds is waited for before the run fails (ms): a holder runs for microseconds. */
const SPIN_WAIT_MS = 100;

/**
 * Take (`lock`) or release a spin lock word at `r1` (nonzero = held) with atomic operations; 0, or an
 * error for a held / free one. A held lock is the program's own fault on a private memory (a run is
 * single-threaded); on a shared memory (`--workers N`) another worker may hold it, so it is waited for,
 * bounded, so that a holder that never releases cannot hang the host.
 */
function spinLock(mem: VmMemory, r1: bigint, lock: boolean, ctx: HelperContext): number {
  const name = lock ? 'bpf_spin_lock' : 'bpf_spin_unlock';
  const word = mem.slice(r1, 4, true, ctx.pc);
  const at = `the lock at 0x${r1.toString(16)}`;
  if ((Number(r1 & 3n)) !== 0 || word.byteOffset % 4 !== 0) throw helperError(name, `${at} is not 4-byte aligned`, ctx);
  const cell = new Int32Array(word.buffer, word.byteOffset, 1);
  const shared = word.buffer instanceof SharedArrayBuffer;
  if (!lock) {
    if (Atomics.exchange(cell, 0, 0) === 0) throw helperError(name, `${at} is not held`, ctx);
    if (shared) Atomics.notify(cell, 0);
    return 0;
  }
  const deadline = Date.now() + SPIN_WAIT_MS;
  while (Atomics.compareExchange(cell, 0, 0, 1) !== 0) {
    if (!shared) {
      throw helperError(name, `${at} is already held: a program may hold one lock at a time and must release it before returning (the kernel's verifier refuses this program; on a CPU it would spin forever)`, ctx);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw helperError(name, `${at} stayed held for ${SPIN_WAIT_MS} ms: a program must release its lock before returning (the kernel's verifier refuses one that does not)`, ctx);
    }
    Atomics.wait(cell, 0, Atomics.load(cell, 0), left);
  }
  return 0;
}

function xdpData(ctx: HelperContext, name: string): Uint8Array {
  const host = ctx.host as KernelRunHost | undefined;
  if (host?.xdpData === undefined) throw helperError(name, 'only XDP programs run with runXdp have an xdp_buff', ctx);
  return host.xdpData();
}

/** The packet offset `[off, off + len)` starts at (both u32), or the kernel's negative errno (a bigint) for it. */
function xdpRange(pkt: Uint8Array, off: bigint, len: bigint): number | bigint {
  const o = Number(off & 0xffffffffn);
  const n = Number(len & 0xffffffffn);
  if (o > 0xffff || n > 0xffff) return negErrno(Errno.EFAULT);
  if (o + n > pkt.length) return negErrno(Errno.EINVAL);
  return o;
}

function skbPacket(ctx: HelperContext, name: string): Uint8Array {
  const host = ctx.host as KernelRunHost | undefined;
  if (host?.packet === undefined) throw helperError(name, 'only socket filter and tc programs run with runSocketFilter / runTc have an skb', ctx);
  return host.packet();
}

function finishRecord(env: KernelEnvironment, r1: bigint, discard: boolean, name: string, ctx: HelperContext): number {
  for (const rb of env.ringBuffers()) {
    if (r1 >> 32n === 0n && rb.owns(Number(r1))) {
      rb.finish(Number(r1), discard);
      return 0;
    }
  }
  throw helperError(name, `0x${r1.toString(16)} is not a reserved ring buffer record`, ctx);
}

/** A map lookup's r1 that is no map of this object (or a map that cannot be looked up). */
function lookupable(m: BpfMap): boolean {
  return !(m instanceof ProgramArrayMap || m instanceof QueueMap || m instanceof RingBufMap || m instanceof PerfEventArrayMap || m instanceof BloomFilterMap);
}

/**
 * The allocation-free forms of the map helpers a packet program calls on every packet (lookup,
 * update, delete): the map handle and pointers as numbers, the key and value read where they lie in
 * linear memory. Whatever they do not handle the usual way (a 64-bit argument, a zero-size key, a
 * refused map, any error) goes to the `bigint` form, which makes the same checks in the same order
 * and raises the same errors.
 */
function mapHelpersFast(env: KernelEnvironment, slow: ReadonlyMap<number, HelperFunction>): Map<number, FastHelperFunction> {
  const mem = env.memory;
  /** Run the `bigint` form on the same arguments; map helpers return small integers, so the result is one. */
  const viaBigints = (fn: HelperFunction, a: Int32Array, at: number, ctx: HelperContext): number => {
    const r = fn(u64FromHalves(a[at]!, a[at + 1]!), u64FromHalves(a[at + 2]!, a[at + 3]!), u64FromHalves(a[at + 4]!, a[at + 5]!), u64FromHalves(a[at + 6]!, a[at + 7]!), u64FromHalves(a[at + 8]!, a[at + 9]!), ctx);
    return Number(BigInt.asIntN(64, helperResult(r, { fn, name: 'map helper', unwindOnZero: false }, ctx.pc)));
  };
  // The map found last by its handle, and whether lookups may take the fast way: a handle names the
  // same map for the object's life (maps are only added), and a program calls a few maps over and over.
  let lastHandle = -1;
  let lastMap: BpfMap | undefined;
  let lastLookupable = false;
  /** The map a 32-bit handle names, when the argument is one. */
  const mapOf = (a: Int32Array, at: number): BpfMap | undefined => {
    if (a[at + 1] !== 0) return undefined;
    const handle = a[at]! >>> 0;
    if (handle === lastHandle) return lastMap;
    const m = env.mapByHandle(handle);
    if (m !== undefined) {
      lastHandle = handle;
      lastMap = m;
      lastLookupable = lookupable(m);
    }
    return m;
  };
  const lookup = slow.get(KernelHelper.MAP_LOOKUP_ELEM)!;
  const update = slow.get(KernelHelper.MAP_UPDATE_ELEM)!;
  const remove = slow.get(KernelHelper.MAP_DELETE_ELEM)!;
  return new Map<number, FastHelperFunction>([
    [KernelHelper.MAP_LOOKUP_ELEM, (a, at, ctx) => {
      const m = mapOf(a, at);
      // lastLookupable is m's: mapOf just returned it.
      if (m === undefined || a[at + 3] !== 0 || m.keySize === 0 || !lastLookupable) return viaBigints(lookup, a, at, ctx);
      const key = mem.translate(a[at + 2]!, 0, m.keySize, false, ctx.pc);
      return m.programLookupAt(mem.bytes, key, env.cpu);
    }],
    [KernelHelper.MAP_UPDATE_ELEM, (a, at, ctx) => {
      const m = mapOf(a, at);
      if (m === undefined || !m.programWritable || a[at + 3] !== 0 || a[at + 5] !== 0 || a[at + 7] !== 0 || a[at + 6]! >>> 0 > 2) return viaBigints(update, a, at, ctx);
      if (m instanceof ProgramArrayMap || m.keySize === 0 || m.valueSize === 0) return viaBigints(update, a, at, ctx);
      const key = mem.translate(a[at + 2]!, 0, m.keySize, false, ctx.pc);
      const value = mem.translate(a[at + 4]!, 0, m.valueSize, false, ctx.pc);
      return m.programUpdateAt(mem.bytes, key, value, a[at + 6]!, env.cpu);
    }],
    [KernelHelper.MAP_DELETE_ELEM, (a, at, ctx) => {
      const m = mapOf(a, at);
      if (m === undefined || !m.programWritable || a[at + 3] !== 0 || m.keySize === 0) return viaBigints(remove, a, at, ctx);
      const key = mem.translate(a[at + 2]!, 0, m.keySize, false, ctx.pc);
      return m.programDeleteAt(mem.bytes, key);
    }],
  ]);
}
