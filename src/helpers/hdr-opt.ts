/**
 * The TCP header-option helpers of sock_ops programs, as bpf-helpers(7) / uapi `linux/bpf.h` describe
 * them: `bpf_load_hdr_opt` (142) finds one option in a segment's TCP header, `bpf_reserve_hdr_opt`
 * (144) reserves option space while the kernel sizes an outgoing header (BPF_SOCK_OPS_HDR_OPT_LEN_CB),
 * `bpf_store_hdr_opt` (143) writes an option into that space (BPF_SOCK_OPS_WRITE_HDR_OPT_CB).
 *
 * Rules (the documented errnos): a helper outside its callback is -EPERM (load: any callback with a
 * segment but HDR_OPT_LEN_CB, where no header exists yet; with `BPF_LOAD_HDR_OPT_TCP_SYN` the event's
 * SYN instead, -ENOENT when the event has none); unknown flags, a length under 2, a search for kind 0
 * (end of list) or 1 (no-op), an experimental kind (253, 254) whose kind-length is not 4 or 6 (a 2- or
 * 4-byte magic) or longer than the buffer, another kind with a kind-length other than 0 are -EINVAL; an
 * option not found -ENOMSG; one longer than the buffer is copied in part and -ENOSPC; a header that does
 * not parse (data offset past the segment, an option running past the header, a length under 2) -EFAULT.
 * Reserve adds up (-ENOSPC past the room the event gives, nothing reserved); store writes `kind-length`
 * bytes after what earlier stores wrote (-ENOSPC past the reserved space, rounded up to 4 bytes as the
 * header is; -EEXIST when the header or an earlier store has the option, experimental ones matched by
 * their 2-byte magic; -EINVAL for kinds 0 and 1 or a kind-length under 2 or over `len`). The rest of the
 * reserved space reads as no-ops (kind 1) in the result. The kernel cannot test-run sock_ops programs, so
 * these follow the documentation, not the kernel's run.
 * @module
 */
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { Errno, negErrno } from '../maps/types.js';

/** `BPF_LOAD_HDR_OPT_TCP_SYN`: search the SYN instead of the segment. */
export const LOAD_HDR_OPT_TCP_SYN = 1n;
/** Most TCP option bytes a header holds (a 60-byte header less its 20 fixed bytes). */
export const MAX_TCP_OPTION_BYTES = 40;
const OP_PARSE = 13;
const OP_LEN = 14;
const OP_WRITE = 15;
const EOL = 0;
const NOP = 1;

/** The header-option state of one sock_ops run (`SockOpsRunHost.hdr`). */
export class HdrOptRun {
  /** Bytes reserved so far (HDR_OPT_LEN_CB). */
  reserved = 0;
  /** Bytes stored so far into {@link space} (WRITE_HDR_OPT_CB). */
  used = 0;
  /** The space for the program's options in WRITE_HDR_OPT_CB (its reservation rounded up to 4 bytes). */
  readonly space: Uint8Array;

  /**
   * @param op - the operation (`BPF_SOCK_OPS_*`).
   * @param segment - the segment's TCP header and what follows (none: undefined).
   * @param syn - the SYN's TCP header, for `BPF_LOAD_HDR_OPT_TCP_SYN`.
   * @param room - HDR_OPT_LEN_CB: the option bytes reserve may take in total; WRITE_HDR_OPT_CB: those reserved.
   */
  constructor(readonly op: number, readonly segment: Uint8Array | undefined, readonly syn: Uint8Array | undefined, readonly room: number) {
    this.space = new Uint8Array(op === OP_WRITE ? (room + 3) & ~3 : 0).fill(NOP);
  }
}

/** What a header's option area is: its bytes, or -EFAULT when the header does not parse. */
function optionArea(header: Uint8Array): Uint8Array | number {
  if (header.length < 20) return Errno.EFAULT;
  const end = (header[12]! >> 4) * 4;
  if (end < 20 || end > header.length) return Errno.EFAULT;
  return header.subarray(20, end);
}

/**
 * Where in `area` an option matching `want` (kind, and for an experimental kind the `magic` bytes) starts,
 * -1 when absent (an end-of-list stops the walk), or -EFAULT-as-errno when an option runs past the area.
 * The walk advances by at least one byte a step, so an area of n bytes takes at most n steps.
 */
function findOption(area: Uint8Array, kind: number, magic: Uint8Array): number | { errno: number } {
  let i = 0;
  while (i < area.length) {
    const k = area[i]!;
    if (k === EOL) return -1;
    if (k === NOP) {
      i++;
      continue;
    }
    if (i + 1 >= area.length) return { errno: Errno.EFAULT };
    const len = area[i + 1]!;
    if (len < 2 || i + len > area.length) return { errno: Errno.EFAULT };
    if (k === kind && len >= 2 + magic.length && magic.every((b, j) => area[i + 2 + j] === b)) return i;
    i += len;
  }
  return -1;
}

const experimental = (kind: number): boolean => kind === 253 || kind === 254;

/** The three helpers; `hdrOf` gives the run's {@link HdrOptRun} (or stops a run that is not sock_ops). */
export function hdrOptHelpers(memory: VmMemory, hdrOf: (name: string, ctx: HelperContext) => HdrOptRun): Map<number, HelperEntry> {
  const load: HelperFunction = (_skops, searchby, lenArg, flags, _5, ctx) => {
    const hdr = hdrOf('bpf_load_hdr_opt', ctx);
    const len = Number(BigInt.asUintN(32, lenArg));
    if ((flags & ~LOAD_HDR_OPT_TCP_SYN) !== 0n) return negErrno(Errno.EINVAL);
    // where to search: the SYN, or the segment (in WRITE_HDR_OPT_CB with what the program stored)
    let header: Uint8Array;
    if ((flags & LOAD_HDR_OPT_TCP_SYN) !== 0n) {
      if (hdr.syn === undefined) return negErrno(Errno.ENOENT);
      header = hdr.syn;
    } else {
      if (hdr.op === OP_LEN || hdr.segment === undefined) return negErrno(Errno.EPERM);
      header = hdr.segment;
    }
    if (len < 2) return negErrno(Errno.EINVAL);
    const buf = memory.slice(searchby, len, true, ctx.pc);
    const kind = buf[0]!;
    const kindLen = buf[1]!;
    if (kind === EOL || kind === NOP) return negErrno(Errno.EINVAL);
    let magic = new Uint8Array(0);
    if (experimental(kind)) {
      if ((kindLen !== 4 && kindLen !== 6) || kindLen > len) return negErrno(Errno.EINVAL);
      magic = buf.slice(2, kindLen);
    } else if (kindLen !== 0) return negErrno(Errno.EINVAL);
    const a = optionArea(header);
    if (typeof a === 'number') return negErrno(a);
    const areas = hdr.op === OP_WRITE && header === hdr.segment ? [a, hdr.space.subarray(0, hdr.used)] : [a];
    for (const area of areas) {
      const at = findOption(area, kind, magic);
      if (typeof at === 'object') return negErrno(at.errno);
      if (at < 0) continue;
      const optLen = area[at + 1]!;
      buf.set(area.subarray(at, at + Math.min(optLen, len)));
      return optLen > len ? negErrno(Errno.ENOSPC) : optLen;
    }
    return negErrno(Errno.ENOMSG);
  };
  const store: HelperFunction = (_skops, from, lenArg, flags, _5, ctx) => {
    const hdr = hdrOf('bpf_store_hdr_opt', ctx);
    if (hdr.op !== OP_WRITE) return negErrno(Errno.EPERM);
    const len = Number(BigInt.asUintN(32, lenArg));
    if (flags !== 0n || len < 2) return negErrno(Errno.EINVAL);
    const opt = memory.slice(from, len, false, ctx.pc);
    const kind = opt[0]!;
    const kindLen = opt[1]!;
    if (kind === EOL || kind === NOP || kindLen < 2 || kindLen > len) return negErrno(Errno.EINVAL);
    const magic = experimental(kind) && kindLen >= 4 ? opt.slice(2, 4) : new Uint8Array(0);
    const header = hdr.segment === undefined ? new Uint8Array(0) : optionArea(hdr.segment);
    if (typeof header === 'number') return negErrno(header);
    for (const area of [header, hdr.space.subarray(0, hdr.used)]) {
      const at = findOption(area, kind, magic);
      if (typeof at === 'object') return negErrno(at.errno);
      if (at >= 0) return negErrno(Errno.EEXIST);
    }
    if (hdr.used + kindLen > hdr.space.length) return negErrno(Errno.ENOSPC);
    hdr.space.set(opt.subarray(0, kindLen), hdr.used);
    hdr.used += kindLen;
    return 0;
  };
  const reserve: HelperFunction = (_skops, lenArg, flags, _4, _5, ctx) => {
    const hdr = hdrOf('bpf_reserve_hdr_opt', ctx);
    if (hdr.op !== OP_LEN) return negErrno(Errno.EPERM);
    if (flags !== 0n) return negErrno(Errno.EINVAL);
    const len = BigInt.asUintN(32, lenArg);
    if (BigInt(hdr.reserved) + len > BigInt(hdr.room)) return negErrno(Errno.ENOSPC);
    hdr.reserved += Number(len);
    return 0;
  };
  const entry = (fn: HelperFunction, name: string): HelperEntry => ({ fn, name, unwindOnZero: false });
  return new Map([
    [142, entry(load, 'bpf_load_hdr_opt')],
    [143, entry(store, 'bpf_store_hdr_opt')],
    [144, entry(reserve, 'bpf_reserve_hdr_opt')],
  ]);
}
