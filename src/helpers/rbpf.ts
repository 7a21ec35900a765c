/**
 * rbpf's built-in helpers, with rbpf's ids and semantics, in TypeScript naming. Unlike rbpf's, every
 * helper that touches memory goes through `ctx.memory`, so it is bounds-checked against the VM's
 * regions (a bad pointer is a `MemoryAccessError`, not a crash).
 *
 * Register them with `vm.registerHelper(id, fn)`; the two kernel-numbered ones have their ids here.
 * @module
 */
import type { HelperContext } from '../vm/environment.js';
import { VmMemory } from '../vm/memory.js';
import { checkBigInteger, checkFunction, checkInstance, checkObject, checkOptionalInteger } from '../validate.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** A helper argument: a register value, a bigint (or safe integer number) from 0 to 2^64 - 1. */
function reg(value: unknown, name: string): bigint {
  return typeof value === 'bigint' && value >= 0n && value <= U64_MAX ? value : checkBigInteger(value, name, 0n, U64_MAX);
}

/** The helper context: an object with the VM's memory (and a pc), as engines pass it. */
function helperContext(ctx: unknown): HelperContext {
  const c = checkObject(ctx, 'ctx') as HelperContext;
  checkInstance(c.memory, VmMemory, 'ctx.memory', 'the VM memory');
  checkOptionalInteger(c.pc, 'ctx.pc', 0, 0xffff_ffff);
  return c;
}

/** Id of `bpf_ktime_getns` (kernel `bpf_ktime_get_ns`). */
export const BPF_KTIME_GETNS_IDX = 5;
/** Id of `bpf_trace_printk`, implemented by {@link bpfTracePrintf}. */
export const BPF_TRACE_PRINTK_IDX = 6;

/** Where {@link bpfTracePrintf} writes its lines (without the trailing newline). */
export type TraceSink = (line: string) => void;

let traceSink: TraceSink = () => {};

/**
 * Choose where {@link bpfTracePrintf} output goes (default: discarded, so the library never writes
 * to the console on its own). Returns the previous sink. `setTraceSink(console.log)` mimics rbpf.
 */
export function setTraceSink(sink: TraceSink): TraceSink {
  const previous = traceSink;
  traceSink = checkFunction<TraceSink>(sink, 'sink');
  return previous;
}

const MONO_ORIGIN = typeof performance !== 'undefined' ? performance.timeOrigin : Date.now();

/**
 * Monotonic time in nanoseconds (since the Unix epoch, with `performance`'s sub-millisecond precision
 * where the platform gives it). Arguments are unused. rbpf id {@link BPF_KTIME_GETNS_IDX}.
 */
export function bpfTimeGetns(): bigint {
  const ms = typeof performance !== 'undefined' ? MONO_ORIGIN + performance.now() : Date.now();
  return BigInt(Math.floor(ms * 1e6));
}

/**
 * rbpf's `bpf_trace_printf`: writes `bpf_trace_printf: 0x<r3>, 0x<r4>, 0x<r5>` to the trace sink (the
 * first two arguments, the format and its size in the kernel, are ignored) and returns the length of
 * that line including its newline, as rbpf does.
 */
export function bpfTracePrintf(_r1: bigint, _r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
  const line = `bpf_trace_printf: 0x${reg(r3, 'r3').toString(16)}, 0x${reg(r4, 'r4').toString(16)}, 0x${reg(r5, 'r5').toString(16)}`;
  traceSink(line);
  return BigInt(line.length + 1);
}

/**
 * Pack the low byte of each argument into one value: `r1 << 32 | r2 << 24 | r3 << 16 | r4 << 8 | r5`,
 * as rbpf computes it (shifts wrap at 64 bits; higher bits of each argument are not masked, as in rbpf).
 */
export function gatherBytes(r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
  return BigInt.asUintN(64, (reg(r1, 'r1') << 32n) | (reg(r2, 'r2') << 24n) | (reg(r3, 'r3') << 16n) | (reg(r4, 'r4') << 8n) | reg(r5, 'r5'));
}

/**
 * C's `memfrob`: XOR the `r2` bytes at address `r1` with 42, in place; returns 0. The range must lie
 * in one writable region (otherwise a `MemoryAccessError` stops the program).
 */
export function memfrob(r1: bigint, r2: bigint, _r3: bigint, _r4: bigint, _r5: bigint, ctx: HelperContext): bigint {
  r1 = reg(r1, 'r1');
  r2 = reg(r2, 'r2');
  helperContext(ctx);
  if (r2 === 0n) return 0n;
  // A length beyond the 32-bit address space can never fit a region; let the memory model report it.
  const len = r2 > 0xffffffffn ? 0xffffffff : Number(r2);
  const bytes = ctx.memory.slice(r1, len, true, ctx.pc);
  for (let i = 0; i < bytes.length; i++) bytes[i]! ^= 0b101010;
  return 0n;
}

/** Integer square root of `r1` (rounded down, exact for every 64-bit value). */
export function sqrti(r1: bigint): bigint {
  r1 = reg(r1, 'r1');
  if (r1 < 2n) return r1;
  // Newton's method from a floating-point estimate, corrected to the exact floor.
  let x = BigInt(Math.floor(Math.sqrt(Number(r1))));
  while (x * x > r1) x--;
  while ((x + 1n) * (x + 1n) <= r1) x++;
  return x;
}

/**
 * C-like `strcmp` of the NUL-terminated strings at `r1` and `r2`, as rbpf defines it: 0 when equal,
 * otherwise the absolute difference of the first differing bytes; `u64::MAX` when either pointer is
 * null. Reading past the end of a region (an unterminated string) is a `MemoryAccessError`.
 */
export function strcmp(r1: bigint, r2: bigint, _r3: bigint, _r4: bigint, _r5: bigint, ctx: HelperContext): bigint {
  r1 = reg(r1, 'r1');
  r2 = reg(r2, 'r2');
  helperContext(ctx);
  if (r1 === 0n || r2 === 0n) return 0xffff_ffff_ffff_ffffn;
  const memory = ctx.memory;
  for (let i = 0n; ; i++) {
    const a = memory.load(r1 + i, 1, ctx.pc);
    const b = memory.load(r2 + i, 1, ctx.pc);
    if (a !== b || a === 0n) return a >= b ? a - b : b - a;
  }
}

/**
 * A random unsigned 64-bit value, in `[r1, r2]` when `r1 < r2` (as rbpf: `n % (max + 1 - min) + min`).
 * Uses `crypto.getRandomValues` when available, `Math.random` otherwise; not for cryptography.
 */
export function rand(r1: bigint, r2: bigint): bigint {
  r1 = reg(r1, 'r1');
  r2 = reg(r2, 'r2');
  let n: bigint;
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues !== undefined) {
    const words = c.getRandomValues(new Uint32Array(2));
    n = (BigInt(words[0]!) << 32n) | BigInt(words[1]!);
  } else {
    n = (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));
  }
  if (r1 < r2) n = (n % (r2 + 1n - r1)) + r1;
  return BigInt.asUintN(64, n);
}
