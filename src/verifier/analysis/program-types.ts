/**
 * Program types: what the context (r1 on entry) lets a program read and write, and the return values
 * the kernel enforces, per program type (docs.kernel.org/bpf/ and the uapi structures).
 * @module
 */
import type { ValueType } from './value.js';
import { checkString } from '../../validate.js';

/** The kernel's program type names the kernel-level analysis knows. */
export const PROGRAM_TYPES = [
  'socket_filter',
  'sched_cls',
  'sched_act',
  'xdp',
  'kprobe',
  'tracepoint',
  'raw_tracepoint',
  'perf_event',
  'cgroup_skb',
  'sock_ops',
] as const;

/** One of {@link PROGRAM_TYPES}. */
export type ProgramType = (typeof PROGRAM_TYPES)[number];

/** The result of a context access the rules allow. */
export interface CtxAccess {
  /** What the load yields: a scalar, a packet pointer for `data`, `data_end`, `data_meta`, or `sk`'s socket (or null). */
  readonly yields: ValueType;
}

/** One context field: where it is, how large, and who may read or write it. */
interface Field {
  readonly off: number;
  readonly size: number;
  readonly write?: boolean;
  /** The loaded value is this pointer type (only a full-size load at the field's offset). */
  readonly pointer?: ValueType;
  /** Not accessible at all for this program type. */
  readonly deny?: boolean;
  /** Any aligned access inside the field is allowed (skb->cb[], a scratch area). */
  readonly scratch?: boolean;
  /** Only whole-field accesses (no narrower loads). */
  readonly whole?: boolean;
  /** Narrower reads at the field's start are allowed even where the layout wants fields read whole. */
  readonly narrow?: boolean;
}

/** A context layout: its size and fields (bytes not in a field are refused). */
interface Layout {
  readonly size: number;
  readonly fields?: readonly Field[];
  /** Every aligned read inside `size` is a scalar (tracing contexts: registers, arguments). */
  readonly readAll?: boolean;
  /** Fields may only be read whole (no narrower loads). */
  readonly wholeReads?: boolean;
  /** With `readAll`: reads below this offset must be 8 bytes (perf_event's registers; kprobe's may be narrower). */
  readonly wordReadsBelow?: number;
}

/** `struct xdp_md`: every field is read whole; egress_ifindex only for devmap programs ({@link ctxAccess}). */
const XDP: Layout = {
  size: 24,
  wholeReads: true,
  fields: [
    { off: 0, size: 4, pointer: 'packet' },
    { off: 4, size: 4, pointer: 'packet_end' },
    { off: 8, size: 4, pointer: 'packet_meta' },
    { off: 12, size: 4 },
    { off: 16, size: 4 },
    { off: 20, size: 4, deny: true },
  ],
};

/** `struct xdp_md` for a devmap program (expected attach type BPF_XDP_DEVMAP): egress_ifindex readable. */
const XDP_DEVMAP: Layout = { ...XDP, fields: XDP.fields!.map((f) => (f.off === 20 ? { off: 20, size: 4 } : f)) };

/**
 * `struct __sk_buff`, with what tc (sched_cls/act) programs may do; other skb types narrow it (checked
 * field by field, offset by offset and size by size against the kernel: test/verifier/families.ts).
 */
function skb(kind: 'tc' | 'socket' | 'cgroup'): Layout {
  const tc = kind === 'tc';
  const cg = kind === 'cgroup';
  const sock = kind === 'socket';
  const u32 = (off: number, write = false, deny = false, whole = false): Field => ({ off, size: 4, write, deny, whole });
  const fields: Field[] = [
    u32(0), u32(4), u32(8, tc || cg), u32(12, tc), u32(16), u32(20), u32(24), u32(28), u32(32, tc || cg), u32(36), u32(40), u32(44, tc),
    { off: 48, size: 20, write: true, scratch: true }, // cb[5]
    u32(68), u32(72, tc, !tc), // hash, tc_classid
    { off: 76, size: 4, pointer: 'packet', deny: sock },
    { off: 80, size: 4, pointer: 'packet_end', deny: sock },
    u32(84),
    // family, remote/local ip4 and ip6, ports: the socket's, for cgroup programs only (addresses read whole)
    u32(88, false, !cg), u32(92, false, !cg, true), u32(96, false, !cg, true),
    ...[100, 104, 108, 112, 116, 120, 124, 128].map((off) => u32(off, false, !cg, true)),
    u32(132, false, !cg), u32(136, false, !cg),
    { off: 140, size: 4, pointer: 'packet_meta', deny: !tc },
    { off: 152, size: 8, write: tc || cg, deny: sock, whole: true }, // tstamp
    u32(160, false, !tc), u32(164), // wire_len, gso_segs
    { off: 168, size: 8, pointer: 'sock_common_or_null' }, // sk
    u32(176),
    { off: 180, size: 1, deny: !tc }, // tstamp_type (a byte, read-only; bpf_skb_set_tstamp sets it)
    { off: 184, size: 8, deny: sock, whole: true }, // hwtstamp
  ];
  return { size: 192, fields };
}

/**
 * `struct bpf_sock_ops` (Linux 6.18, 224 bytes) as the kernel lets a sock_ops program at it, read from
 * the kernel (every offset and size loaded and stored, as root): the u32 fields read whole, `reply`
 * (`args[0]`) and `sk_txhash` written whole, the u64 byte counts and hardware timestamp, `sk` (a socket
 * or NULL), the header-option callbacks' `skb_data` / `skb_data_end`, and `skb_tcp_flags` also by byte
 * or half.
 */
const SOCK_OPS: Layout = {
  size: 224,
  wholeReads: true,
  fields: [
    ...Array.from({ length: 42 }, (_, i): Field => ({ off: 4 * i, size: 4, write: i === 1 || i === 41 })),
    { off: 168, size: 8 }, // bytes_received
    { off: 176, size: 8 }, // bytes_acked
    { off: 184, size: 8, pointer: 'sock_or_null' },
    { off: 192, size: 8, pointer: 'packet' },
    { off: 200, size: 8, pointer: 'packet_end' },
    { off: 208, size: 4 }, // skb_len
    { off: 212, size: 4, narrow: true }, // skb_tcp_flags
    { off: 216, size: 8 }, // skb_hwtstamp
  ],
};

const LAYOUTS: Record<ProgramType, Layout> = {
  socket_filter: skb('socket'),
  sched_cls: skb('tc'),
  sched_act: skb('tc'),
  cgroup_skb: skb('cgroup'),
  xdp: XDP,
  kprobe: { size: 168, readAll: true }, // struct pt_regs (x86-64)
  perf_event: { size: 184, readAll: true, wordReadsBelow: 168 }, // pt_regs, sample_period, addr
  raw_tracepoint: { size: 12 * 8, readAll: true }, // up to 12 u64 arguments
  tracepoint: { size: 2048, readAll: true }, // the event record (PERF_MAX_TRACE_SIZE)
  sock_ops: SOCK_OPS,
};

/**
 * Whether a context access at `off` of `size` bytes is allowed, and what a read yields; a string is
 * the reason it is refused. `attachType` `xdp_devmap`: an XDP program a device map runs, which may read
 * `egress_ifindex`.
 */
export function ctxAccess(type: ProgramType, off: number, size: number, write: boolean, attachType?: 'xdp_devmap'): CtxAccess | string {
  const layout = type === 'xdp' && attachType === 'xdp_devmap' ? XDP_DEVMAP : LAYOUTS[type];
  if (off < 0 || off + size > layout.size) return `outside the ${layout.size}-byte context`;
  if (off % size !== 0) return 'misaligned';
  if (layout.readAll === true) {
    if (write) return `the ${type} context is read-only`;
    if (layout.wordReadsBelow !== undefined && off < layout.wordReadsBelow && size !== 8) return 'the registers are read 8 bytes at a time';
    return { yields: 'scalar' };
  }
  const field = layout.fields!.find((f) => off >= f.off && off < f.off + f.size);
  if (field === undefined || field.deny === true) return 'not a field this program type may access';
  if (off + size > field.off + field.size) return 'crosses a field boundary';
  if (write && field.write !== true) return 'the field is read-only';
  if (write && field.scratch !== true && size !== field.size) return `a write must store the whole ${field.size}-byte field`;
  if ((layout.wholeReads === true || field.whole === true) && size !== field.size && (field.narrow !== true || off !== field.off)) return `the ${field.size}-byte field must be read whole`;
  if (field.pointer !== undefined) {
    if (write) return 'the field is read-only';
    if (off !== field.off || size !== field.size) return 'a pointer field must be loaded whole';
    return { yields: field.pointer };
  }
  return { yields: 'scalar' };
}

/**
 * The return values the kernel enforces at exit, as an inclusive range, or undefined when any scalar
 * is accepted.
 */
export function returnRange(type: ProgramType): readonly [bigint, bigint] | undefined {
  return type === 'cgroup_skb' || type === 'sock_ops' ? [0n, 1n] : undefined;
}

/** True for types whose context carries packet data pointers (packet-changing helpers apply). */
export function hasPacket(type: ProgramType): boolean {
  return type === 'xdp' || type === 'sched_cls' || type === 'sched_act' || type === 'cgroup_skb';
}

/**
 * The program type a section name declares, following libbpf's conventions (`xdp`, `tc`/`classifier`,
 * `socket`, `kprobe/…`, `tracepoint/…`, `raw_tracepoint/…`, `perf_event`, `cgroup_skb/…`, `sockops`), or
 * undefined when the name says nothing the analysis knows.
 */
export function programTypeOfSection(section: string): ProgramType | undefined {
  checkString(section, 'section');
  const s = section.replace(/^\./, '');
  const first = s.split('/')[0]!;
  if (/^xdp/.test(first)) return 'xdp';
  if (/^(tc|tcx|classifier)/.test(first)) return 'sched_cls';
  if (first === 'action') return 'sched_act';
  if (first === 'socket' || first === 'socket_filter') return 'socket_filter';
  if (first === 'kprobe' || first === 'kretprobe' || first === 'uprobe' || first === 'uretprobe') return 'kprobe';
  if (first === 'tracepoint' || first === 'tp') return 'tracepoint';
  if (first === 'raw_tracepoint' || first === 'raw_tp') return 'raw_tracepoint';
  if (first === 'perf_event') return 'perf_event';
  if (first.startsWith('cgroup_skb')) return 'cgroup_skb';
  if (first === 'sockops') return 'sock_ops';
  return undefined;
}
