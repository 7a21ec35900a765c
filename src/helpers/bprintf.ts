/**
 * The kernel's checked printf for `bpf_snprintf` (165) and `bpf_trace_vprintk` (177): the format is
 * validated before anything is printed, as the kernel's `bpf_bprintf_prepare` does (bpf-helpers(7)),
 * and the output is bytes. Accepted: `%d %i %u %x %X` with `l` / `ll`, `%c`, `%s`, `%%`, flags
 * `0 + - space` and a width; pointers `%p` (printed as `%px`: the kernel hashes plain `%p`, which
 * cannot be reproduced), `%px`, `%pK`, `%pB %ps %pS` (symbols: tsbpf knows none, so `0x` and the
 * address, as the kernel prints an address outside its symbols), `%pi4 %pI4 %pi6 %pI6` (an address
 * read from memory) and `%pks %pus` (a string; user memory is only what the host described). A string or address that cannot be read prints
 * as an empty string / zeros, as the kernel's copy does. Anything else, a non-printable character, or
 * more conversions than arguments is -EINVAL.
 * @module
 */
import { Errno } from '../maps/types.js';
import type { VmMemory } from '../vm/memory.js';
import { probeBytes, probeString } from './task.js';

/** Most arguments `bpf_snprintf` / `bpf_trace_vprintk` take (the kernel's `MAX_BPRINTF_VARARGS`). */
export const MAX_BPRINTF_ARGS = 12;

/** Bytes of strings and addresses the kernel copies for one call at most (`MAX_BPRINTF_BUF`). */
const MAX_BPRINTF_BUF = 512;

const PERCENT = 0x25;

/** Printable ASCII or white space (the kernel's `isprint || isspace`). */
function printable(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d);
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isAlnum = (c: number | undefined): boolean => c !== undefined && (isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));

const ascii = (s: string): number[] => Array.from(s, (ch) => ch.charCodeAt(0));

/** Bytes at `address`: the host-described probe memory, else the VM's; undefined when neither holds them. */
function readBytes(memory: VmMemory, host: unknown, address: bigint, n: number): Uint8Array | undefined {
  const described = probeBytes(host, address, n);
  if (described !== undefined) return described;
  try {
    return memory.read(address, n);
  } catch {
    return undefined;
  }
}

/** The string at `address`, at most `max` bytes; empty when it cannot be read. */
function readString(memory: VmMemory, host: unknown, address: bigint, max: number): number[] {
  const described = probeString(host, address, max);
  if (described !== undefined) return [...described];
  const out: number[] = [];
  for (let i = 0; i < max; i++) {
    const b = readBytes(memory, host, address + BigInt(i), 1);
    if (b === undefined) return i === 0 ? [] : out;
    if (b[0] === 0) break;
    out.push(b[0]!);
  }
  return out;
}

/** One conversion's padding (`-` left, `0` zeros after a sign, else spaces). */
function pad(body: number[], width: number, left: boolean, zero: boolean): number[] {
  if (body.length >= width) return body;
  const fill = width - body.length;
  if (left) return [...body, ...new Array<number>(fill).fill(0x20)];
  if (zero) {
    const sign = body[0] === 0x2d || body[0] === 0x2b || body[0] === 0x20 ? 1 : 0;
    return [...body.slice(0, sign), ...new Array<number>(fill).fill(0x30), ...body.slice(sign)];
  }
  return [...new Array<number>(fill).fill(0x20), ...body];
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

/**
 * Format `fmt` (the bytes before its NUL) with `args`, as the kernel does for `bpf_snprintf`: the
 * output bytes, or a negative errno (-EINVAL for a format the kernel refuses, -E2BIG when strings and
 * addresses need more than the kernel's 512-byte copy buffer).
 */
export function bprintf(fmt: Uint8Array, args: readonly bigint[], memory: VmMemory, host: unknown): number[] | number {
  const out: number[] = [];
  let used = 0;
  let next = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (!printable(c)) return -Errno.EINVAL;
    if (c !== PERCENT) {
      out.push(c);
      continue;
    }
    if (fmt[i + 1] === PERCENT) {
      out.push(PERCENT);
      i++;
      continue;
    }
    if (next >= args.length) return -Errno.EINVAL;
    i++;
    let left = false;
    let zero = false;
    let plus = false;
    let space = false;
    for (;; i++) {
      const f = fmt[i];
      if (f === 0x2d) left = true;
      else if (f === 0x30) zero = true;
      else if (f === 0x2b) plus = true;
      else if (f === 0x20) space = true;
      else break;
    }
    let width = 0;
    while (isDigit(fmt[i])) width = Math.min(width * 10 + fmt[i++]! - 0x30, 4096);
    const arg = args[next++]!;
    const conv = fmt[i];
    if (conv === 0x70 /* p */) {
      const kind = fmt[i + 1];
      if (!isAlnum(kind)) {
        out.push(...pad(ascii(BigInt.asUintN(64, arg).toString(16).padStart(16, '0')), width, left, zero));
        continue;
      }
      i++;
      if (kind === 0x42 /* B */ || kind === 0x73 /* s */ || kind === 0x53 /* S */) {
        // A symbol: tsbpf knows none, and the kernel prints an address outside its symbols so.
        out.push(...pad(ascii(`0x${BigInt.asUintN(64, arg).toString(16)}`), width, left, false));
        continue;
      }
      if (kind === 0x78 /* x */ || kind === 0x4b /* K */) {
        out.push(...pad(ascii(BigInt.asUintN(64, arg).toString(16).padStart(16, '0')), width, left, zero));
        continue;
      }
      if (kind === 0x6b /* k */ || kind === 0x75 /* u */) {
        if (fmt[i + 1] !== 0x73 /* s */) return -Errno.EINVAL;
        i++;
        // User memory is only what the host described: the VM's own memory is the kernel's.
        const s = kind === 0x75 ? [...(probeString(host, arg, MAX_BPRINTF_BUF - used - 1) ?? [])] : readString(memory, host, arg, MAX_BPRINTF_BUF - used - 1);
        used += s.length + 1;
        out.push(...pad(s, width, left, false));
        continue;
      }
      if (kind === 0x69 /* i */ || kind === 0x49 /* I */) {
        const v = fmt[i + 1];
        if (v !== 0x34 && v !== 0x36) return -Errno.EINVAL;
        i++;
        const n = v === 0x34 ? 4 : 16;
        if (used + n > MAX_BPRINTF_BUF) return -Errno.E2BIG;
        used += n;
        const b = readBytes(memory, host, arg, n) ?? new Uint8Array(n);
        let s: string;
        if (n === 4) s = [...b].map((x) => (kind === 0x69 ? String(x).padStart(3, '0') : String(x))).join('.');
        else if (kind === 0x69) s = [...b].map(hex2).join('');
        else s = Array.from({ length: 8 }, (_, k) => hex2(b[2 * k]!) + hex2(b[2 * k + 1]!)).join(':');
        out.push(...pad(ascii(s), width, left, false));
        continue;
      }
      return -Errno.EINVAL;
    }
    if (conv === 0x73 /* s */) {
      if (used >= MAX_BPRINTF_BUF) return -Errno.E2BIG;
      const s = readString(memory, host, arg, MAX_BPRINTF_BUF - used - 1);
      used += s.length + 1;
      out.push(...pad(s, width, left, false));
      continue;
    }
    if (conv === 0x63 /* c */) {
      out.push(...pad([Number(arg & 0xffn)], width, left, false));
      continue;
    }
    let wide = false;
    if (conv === 0x6c /* l */) {
      wide = true;
      i++;
      if (fmt[i] === 0x6c) i++;
    }
    const k = fmt[i];
    let body: string;
    if (k === 0x64 /* d */ || k === 0x69 /* i */) {
      const v = wide ? BigInt.asIntN(64, arg) : BigInt.asIntN(32, arg);
      body = v < 0n ? v.toString() : (plus ? '+' : space ? ' ' : '') + v.toString();
    } else if (k === 0x75 /* u */) {
      body = (wide ? BigInt.asUintN(64, arg) : BigInt.asUintN(32, arg)).toString();
    } else if (k === 0x78 /* x */ || k === 0x58 /* X */) {
      body = (wide ? BigInt.asUintN(64, arg) : BigInt.asUintN(32, arg)).toString(16);
      if (k === 0x58) body = body.toUpperCase();
    } else {
      return -Errno.EINVAL;
    }
    out.push(...pad(ascii(body), width, left, zero));
  }
  return out;
}

/**
 * The format and arguments of a `bpf_snprintf` / `bpf_trace_vprintk` call: the format bytes before
 * the NUL within `fmtSize` (-EINVAL without one) and `dataLen / 8` u64 arguments (-EINVAL unless a
 * multiple of 8 of at most 12 arguments, or with no data pointer).
 */
export function bprintfArgs(memory: VmMemory, fmtPtr: bigint, fmtSize: number, data: bigint, dataLen: number, pc: number): { fmt: Uint8Array; args: bigint[] } | number {
  if (dataLen % 8 !== 0 || dataLen > 8 * MAX_BPRINTF_ARGS || (dataLen > 0 && data === 0n)) return -Errno.EINVAL;
  if (fmtSize === 0) return -Errno.EINVAL;
  const raw = memory.slice(fmtPtr, fmtSize, false, pc);
  const nul = raw.indexOf(0);
  if (nul < 0) return -Errno.EINVAL;
  const bytes = dataLen === 0 ? new Uint8Array(0) : memory.slice(data, dataLen, false, pc);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const args = Array.from({ length: dataLen / 8 }, (_, k) => v.getBigUint64(8 * k, true));
  return { fmt: raw.slice(0, nul), args };
}
