/**
 * String and clock helpers any program type may call (bpf-helpers(7)), with the kernel's checks:
 * - `bpf_snprintf` (165): formats into a buffer; returns the formatted length with its NUL (the buffer
 *   holds as much as fits, NUL-terminated, when it is not empty), or -EINVAL / -E2BIG (bprintf.ts);
 * - `bpf_trace_vprintk` (177): `bpf_trace_printk` with up to 12 arguments given as a u64 array;
 * - `bpf_strncmp` (182): `strncmp(s1, s2, s1_sz)`, returning -1, 0 or 1 as the kernel's does;
 * - `bpf_ktime_get_tai_ns` (208): the load's clock, as `bpf_ktime_get_ns` (a simulated host has no TAI
 *   offset of its own).
 * @module
 */
import type { HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { bprintf, bprintfArgs } from './bprintf.js';
import type { KernelEnvironment } from './kernel.js';
import { TRACE_LINE_MAX } from './trace-log.js';
import { negErrno } from '../maps/types.js';

/** Format helper ids (uapi `linux/bpf.h`). */
export const FormatHelper = { SNPRINTF: 165, TRACE_VPRINTK: 177, STRNCMP: 182, KTIME_GET_TAI_NS: 208 } as const;

/** Longest constant string read (a format or `bpf_strncmp`'s second string): a map value's size at most. */
const MAX_CONST_STRING = 1 << 16;

const size32 = (r: bigint): number => Number(r & 0xffff_ffffn);

/** The bytes of the NUL-terminated string at `address` (a fault past its start ends it, as the region ends). */
function constString(mem: VmMemory, address: bigint, pc: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < MAX_CONST_STRING; i++) {
    let b: number;
    try {
      b = mem.read(address + BigInt(i), 1, pc)[0]!;
    } catch (e) {
      if (i === 0) throw e;
      break;
    }
    if (b === 0) break;
    out.push(b);
  }
  return Uint8Array.from(out);
}

const DECODER = new TextDecoder();

/** The format helpers, bound to the object's environment. */
export function formatHelpers(env: KernelEnvironment): Map<number, HelperEntry> {
  const mem = env.memory;
  const fns: [number, string, HelperFunction][] = [
    [FormatHelper.SNPRINTF, 'bpf_snprintf', (r1, r2, r3, r4, r5, ctx) => {
      const strSize = size32(r2);
      const fmt = constString(mem, r3, ctx.pc);
      const a = bprintfArgs(mem, r3, fmt.length + 1, r4, size32(r5), ctx.pc);
      if (typeof a === 'number') return negErrno(-a);
      const out = bprintf(a.fmt, a.args, mem, ctx.host);
      if (typeof out === 'number') return negErrno(-out);
      if (strSize > 0) {
        const dst = mem.slice(r1, strSize, true, ctx.pc);
        const n = Math.min(out.length, strSize - 1);
        dst.set(out.slice(0, n));
        dst[n] = 0;
      }
      return out.length + 1;
    }],
    [FormatHelper.TRACE_VPRINTK, 'bpf_trace_vprintk', (r1, r2, r3, r4, _5, ctx) => {
      const a = bprintfArgs(mem, r1, size32(r2), r3, size32(r4), ctx.pc);
      if (typeof a === 'number') return negErrno(-a);
      const out = bprintf(a.fmt, a.args, mem, ctx.host);
      if (typeof out === 'number') return negErrno(-out);
      const line = DECODER.decode(Uint8Array.from(out));
      const text = line.endsWith('\n') ? line.slice(0, -1) : line;
      env.trace(text.length > TRACE_LINE_MAX ? text.slice(0, TRACE_LINE_MAX) : text);
      return out.length;
    }],
    [FormatHelper.STRNCMP, 'bpf_strncmp', (r1, r2, r3, _4, _5, ctx) => {
      const n = size32(r2);
      const s1 = mem.slice(r1, n, false, ctx.pc);
      const s2 = constString(mem, r3, ctx.pc);
      for (let i = 0; i < n; i++) {
        const c1 = s1[i]!;
        const c2 = s2[i] ?? 0;
        if (c1 !== c2) return c1 < c2 ? negErrno(1) : 1;
        if (c1 === 0) return 0;
      }
      return 0;
    }],
    [FormatHelper.KTIME_GET_TAI_NS, 'bpf_ktime_get_tai_ns', () => env.now()],
  ];
  return new Map(fns.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
}
