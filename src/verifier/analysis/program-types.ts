/**
 * Program types: what the context (r1 on entry) lets a program read and write, and the return values
 * the kernel enforces, per program type and, where it changes the rules, expected attach type
 * (docs.kernel.org/bpf/ and the uapi structures). The layouts live in ctx/, one module per family;
 * section names in ctx/sections.ts.
 * @module
 */
import { layoutAccess, ptr, type CtxAccess, type Layout } from './ctx/layout.js';
import { FLOW_DISSECTOR, skb, XDP, XDP_DEVMAP } from './ctx/skb.js';
import { bpfSock, CGROUP_DEVICE, CGROUP_SYSCTL, sockopt } from './ctx/cgroup.js';
import { SK_LOOKUP, SK_MSG, SK_REUSEPORT, SOCK_OPS, sockAddr } from './ctx/sock.js';

export type { CtxAccess } from './ctx/layout.js';
export { programTypeOfSection, attachTypeOfSection } from './ctx/sections.js';

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
  'sk_skb',
  'sk_msg',
  'cgroup_sock_addr',
  'cgroup_sock',
  'cgroup_sockopt',
  'cgroup_device',
  'cgroup_sysctl',
  'sk_lookup',
  'sk_reuseport',
  'lwt_in',
  'lwt_out',
  'lwt_xmit',
  'lwt_seg6local',
  'flow_dissector',
  'syscall',
  'raw_tracepoint_writable',
  'tracing',
] as const;

/** One of {@link PROGRAM_TYPES}. */
export type ProgramType = (typeof PROGRAM_TYPES)[number];

/**
 * The expected attach types (`enum bpf_attach_type`, lower case without `BPF_`) that change what a
 * program may do, with the kernel's numbers.
 */
export const ATTACH_TYPES = {
  xdp_devmap: 33,
  cgroup_inet4_bind: 8,
  cgroup_inet6_bind: 9,
  cgroup_inet4_connect: 10,
  cgroup_inet6_connect: 11,
  cgroup_udp4_sendmsg: 14,
  cgroup_udp6_sendmsg: 15,
  cgroup_udp4_recvmsg: 19,
  cgroup_udp6_recvmsg: 20,
  cgroup_inet4_getpeername: 29,
  cgroup_inet6_getpeername: 30,
  cgroup_inet4_getsockname: 31,
  cgroup_inet6_getsockname: 32,
  cgroup_unix_connect: 49,
  cgroup_unix_sendmsg: 50,
  cgroup_unix_recvmsg: 51,
  cgroup_unix_getpeername: 52,
  cgroup_unix_getsockname: 53,
  cgroup_inet_sock_create: 2,
  cgroup_inet4_post_bind: 12,
  cgroup_inet6_post_bind: 13,
  cgroup_inet_sock_release: 34,
  cgroup_getsockopt: 21,
  cgroup_setsockopt: 22,
  sk_lookup: 36,
  sk_reuseport_select: 39,
  sk_reuseport_select_or_migrate: 40,
} as const;

/** One of {@link ATTACH_TYPES}. */
export type AttachType = keyof typeof ATTACH_TYPES;

/**
 * The attach types a program type may be loaded with, where they matter; the first is the one the
 * analysis assumes when none is given (for cgroup_sock_addr, which the kernel will not load without
 * one, the IPv4 connect hook; for cgroup_sockopt the getsockopt hook). Types not listed take none.
 */
export const ATTACH_TYPES_OF: Partial<Record<ProgramType, readonly AttachType[]>> = {
  xdp: ['xdp_devmap'],
  cgroup_sock_addr: [
    'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_inet4_bind', 'cgroup_inet6_bind', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg',
    'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_inet4_getsockname',
    'cgroup_inet6_getsockname', 'cgroup_unix_connect', 'cgroup_unix_sendmsg', 'cgroup_unix_recvmsg', 'cgroup_unix_getpeername', 'cgroup_unix_getsockname',
  ],
  cgroup_sock: ['cgroup_inet_sock_create', 'cgroup_inet4_post_bind', 'cgroup_inet6_post_bind', 'cgroup_inet_sock_release'],
  cgroup_sockopt: ['cgroup_getsockopt', 'cgroup_setsockopt'],
  sk_lookup: ['sk_lookup'],
  sk_reuseport: ['sk_reuseport_select', 'sk_reuseport_select_or_migrate'],
};

/** The attach type the rules of `type` follow: `given`, else the type's default (undefined: plain). */
export function effectiveAttachType(type: ProgramType, given: AttachType | undefined): AttachType | undefined {
  if (given !== undefined || type === 'xdp') return given;
  return ATTACH_TYPES_OF[type]?.[0];
}

/**
 * syscall: the context is the caller's own buffer (BPF_PROG_TEST_RUN's ctx_in, at most 65535 bytes),
 * read and written at any aligned offset and size; the run needs ctx_in to cover every access.
 */
const SYSCALL: Layout = { size: 0xffff, readAll: true, writeAll: true };

/**
 * raw_tracepoint_writable (`raw_tp.w/…`): a raw tracepoint's arguments, the first (loaded whole) the
 * pointer to the tracepoint's writable buffer, not a helper's memory argument. Measured: a narrower load
 * at offset 0 is refused, one at offsets 1-7 is a number.
 */
const RAW_TP_WRITABLE: Layout = {
  size: 12 * 8,
  fields: [{ off: 1, size: 7, reads: [1, 2, 4] }, ptr(0, 'tp_buffer'), { off: 8, size: 11 * 8, reads: [1, 2, 4, 8] }],
};

const LAYOUTS: Record<ProgramType, Layout> = {
  socket_filter: skb('socket'),
  sched_cls: skb('tc'),
  sched_act: skb('tc'),
  cgroup_skb: skb('cgroup'),
  sk_skb: skb('sk_skb'),
  xdp: XDP,
  kprobe: { size: 168, readAll: true }, // struct pt_regs (x86-64)
  perf_event: { size: 184, readAll: true, wordReadsBelow: 168 }, // pt_regs, sample_period, addr
  raw_tracepoint: { size: 12 * 8, readAll: true }, // up to 12 u64 arguments
  tracepoint: { size: 2048, readAll: true, readFrom: 8 }, // the event record (PERF_MAX_TRACE_SIZE) after its 8 bytes of common fields
  sock_ops: SOCK_OPS,
  sk_msg: SK_MSG,
  cgroup_sock_addr: sockAddr({ family: 4, sendmsg: false }),
  cgroup_sock: bpfSock('create'),
  cgroup_sockopt: sockopt(false),
  cgroup_device: CGROUP_DEVICE,
  cgroup_sysctl: CGROUP_SYSCTL,
  sk_lookup: SK_LOOKUP,
  sk_reuseport: SK_REUSEPORT,
  lwt_in: skb('lwt'),
  lwt_out: skb('lwt'),
  lwt_xmit: skb('lwt'),
  lwt_seg6local: skb('lwt'),
  flow_dissector: FLOW_DISSECTOR,
  syscall: SYSCALL,
  raw_tracepoint_writable: RAW_TP_WRITABLE,
  // BTF tracing programs and iterators: the attach target's typed arguments (btf-context.ts judges them)
  tracing: { size: 12 * 8, readAll: true },
};

/** The `struct bpf_sock_addr` hook an attach type names. */
function sockAddrHook(attach: AttachType): { family: 4 | 6 | 'unix'; sendmsg: boolean } {
  const family = attach.includes('unix') ? 'unix' : /[a-z]6_/.test(attach) ? 6 : 4;
  return { family, sendmsg: attach.endsWith('_sendmsg') };
}

const SOCK_ADDR = new Map((ATTACH_TYPES_OF.cgroup_sock_addr ?? []).map((a) => [a, sockAddr(sockAddrHook(a))]));

/** Layouts that an attach type changes, by attach type. */
const BY_ATTACH: ReadonlyMap<AttachType, Layout> = new Map<AttachType, Layout>([
  ...SOCK_ADDR,
  ['xdp_devmap', XDP_DEVMAP],
  ['cgroup_inet4_post_bind', bpfSock('post_bind4')],
  ['cgroup_inet6_post_bind', bpfSock('post_bind6')],
  ['cgroup_setsockopt', sockopt(true)],
]);

function layoutOf(type: ProgramType, attach: AttachType | undefined): Layout {
  return (attach === undefined ? undefined : BY_ATTACH.get(attach)) ?? LAYOUTS[type];
}

/**
 * Whether a context access at `off` of `size` bytes is allowed, and what a read yields; a string is
 * the reason it is refused. `attachType`: the program's expected attach type where it changes the
 * layout (`xdp_devmap`: an XDP program a device map runs, which may read `egress_ifindex`; a
 * cgroup_sock_addr hook: which addresses it has).
 */
export function ctxAccess(type: ProgramType, off: number, size: number, write: boolean, attachType?: AttachType): CtxAccess | string {
  return layoutAccess(layoutOf(type, effectiveAttachType(type, attachType)), type, off, size, write);
}

/**
 * The return values the kernel enforces at exit, as an inclusive range, or undefined when any scalar
 * is accepted: 0 (drop, refuse) or 1 (pass, allow) for the cgroup types, sock_ops and sk_lookup;
 * cgroup_sock_addr bind hooks may return 0 to 3 (bit 1: skip the port check), its recvmsg, getpeername
 * and getsockname hooks must return 1.
 */
export function returnRange(type: ProgramType, attachType?: AttachType): readonly [bigint, bigint] | undefined {
  if (type === 'cgroup_sock_addr') {
    const attach = effectiveAttachType(type, attachType) ?? 'cgroup_inet4_connect';
    if (attach.endsWith('_bind')) return [0n, 3n];
    if (/_(recvmsg|getpeername|getsockname)$/.test(attach)) return [1n, 1n];
    return [0n, 1n];
  }
  return ZERO_OR_ONE.has(type) ? [0n, 1n] : undefined;
}

/** The types whose programs return 0 or 1. */
const ZERO_OR_ONE: ReadonlySet<ProgramType> = new Set(['cgroup_skb', 'sock_ops', 'cgroup_sock', 'cgroup_sockopt', 'cgroup_device', 'cgroup_sysctl', 'sk_lookup']);

/** Types whose packet data may only be read (of the tunnels, only lwt_xmit writes). */
const READ_ONLY_PACKET: ReadonlySet<ProgramType> = new Set(['socket_filter', 'cgroup_skb', 'sk_reuseport', 'lwt_in', 'lwt_out', 'lwt_seg6local', 'flow_dissector']);

/** True for types that may write the packet their context points to (others only read it). */
export function packetWritable(type: ProgramType): boolean {
  return !READ_ONLY_PACKET.has(type);
}
