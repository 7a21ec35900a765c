/**
 * Which helpers each program type may call. The kernel decides this per program type (a socket filter
 * cannot redirect, an XDP program cannot write an skb) and refuses the call with "program of this type
 * cannot use helper". The table covers the helpers of the prototype table (helpers.ts) and was taken
 * from the kernel itself (6.18, loaded as root) by loading `call N` for each type and id;
 * test/verifier/kernel-helper-types.test.ts checks it against the live kernel where bpf() is allowed.
 * @module
 */
import type { AttachType, ProgramType } from './program-types.js';

/**
 * The helpers every type has: callbacks (bpf_for_each_map_elem, bpf_loop), strings and a clock
 * (bpf_snprintf, bpf_trace_vprintk, bpf_strncmp, bpf_ktime_get_tai_ns), bpf_perf_event_read_value, the spin locks,
 * bpf_get_ns_current_pid_tgid, bpf_strtol / bpf_strtoul, the dynptr helpers, the timers, bpf_user_ringbuf_drain, task- and cgroup-local storage and
 * bpf_get_current_task_btf, bpf_get_task_stack, bpf_snprintf_btf (a root
 * loader's base helper on 6.18). The seq_file helpers (126, 127) belong to iterator programs alone, a type
 * the analysis does not model.
 */
const BASE = [156, 157, 210, 211, 158, 209, 164, 181, 165, 177, 182, 208, 55, 93, 94, 120, 105, 106, 197, 198, 199, 200, 201, 202, 203, 169, 170, 171, 172, 141, 149];
/** The socket casts (bpf_skc_to_tcp6_sock ... bpf_skc_to_udp6_sock). */
const SKC_CASTS = [136, 137, 138, 139, 140];
const SOCKET = [...BASE, ...SKC_CASTS, 37, 1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 26, 35, 42, 46, 47, 68, 80, 87, 88, 89, 112, 113, 114, 115, 118, 122, 125, 130, 131, 132, 133, 134, 160, 195];
/** The socket lookups and release. */
const SOCK_LOOKUP = [84, 85, 86, 99];
const TC = [
  ...BASE, ...SKC_CASTS, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25, 26, 28, 29, 30, 31, 32, 34, 35, 38, 39, 40, 41, 42, 43, 46, 47, 48, 50, 68, 69,
  80, ...SOCK_LOOKUP, 87, 88, 89, 112, 113, 114, 115, 118, 124, 125, 130, 131, 132, 133, 134, 152, 155, 160,
  24, 79, 83, 95, 96, 97, 98, 122, 135, 151, 163, 192, 195, 107, 108, 33, 37, 204, 205, 206, 207,
];
const XDP = [...BASE, ...SKC_CASTS, 37, 1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 23, 25, 28, 35, 42, 44, 51, 54, 65, 69, 80, ...SOCK_LOOKUP, 87, 88, 89, 112, 113, 114, 115, 118, 125, 130, 131, 132, 133, 134, 160, 188, 189, 190, 163, 195, 204, 205, 206, 207];
/** sock_ops: the socket's options, callback flags and maps; storage; casts; no packet access helpers. */
const SOCK_OPS = [
  ...BASE, ...SKC_CASTS, 37, 1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 35, 42, 46, 49, 53, 57, 59, 70, 80, 81, 87, 88, 89, 96, 107, 108,
  112, 113, 114, 115, 118, 122, 125, 130, 131, 132, 133, 134, 142, 143, 144, 160, 195,
];
/** `ids` without `drop`. */
const without = (ids: readonly number[], ...drop: number[]): number[] => ids.filter((id) => !drop.includes(id));
/**
 * sk_skb: a socket filter's helpers less bpf_skb_load_bytes_relative (68) and bpf_get_socket_uid (122,
 * per-socket), plus writing the skb (bpf_skb_store_bytes, bpf_skb_change_tail / change_head / adjust_room,
 * bpf_skb_pull_data) and the socket lookups.
 */
const SK_SKB = [...without(SOCKET, 68, 122), 9, 38, 39, 43, 50, ...SOCK_LOOKUP, 52, 72];
/** sk_msg: no skb helpers (26, 46, 47, 68); socket storage (107, 108); the message helpers and redirects. */
const SK_MSG = [...without(SOCKET, 26, 46, 47, 68), 107, 108, 60, 61, 62, 63, 71, 90, 91];
/** cgroup_sock_addr: no skb helpers (26, 47, 68); the socket's options (49, 57), socket storage, the lookups. */
const SOCK_ADDR = [...without(SOCKET, 26, 47, 68), 49, 57, 81, 107, 108, ...SOCK_LOOKUP];
/** cgroup_sock: no skb helpers, no socket casts; cgroup storage (81), socket storage (107). */
const CGROUP_SOCK = [...without(SOCKET, 26, 47, 68, ...SKC_CASTS), 81, 107];
/** sk_lookup: no skb helpers; bpf_sk_assign (124) and the release of what it looked up. */
const SK_LOOKUP = [...without(SOCKET, 26, 46, 47, 68, 122), 86, 124];
/** sk_reuseport: no bpf_perf_event_output (25), bpf_skb_under_cgroup (47), bpf_get_socket_uid (122), socket casts. */
const SK_REUSEPORT = without(SOCKET, 25, 47, 122, ...SKC_CASTS);
/** The helpers of the cgroup types without a socket (device, sysctl): no skb helpers; cgroup storage (81). */
const CGROUP_PLAIN = [...without(SOCKET, 26, 46, 47, 68, 122, ...SKC_CASTS), 81];
/** cgroup_sockopt's getsockopt hook: bpf_tcp_sock (96), socket storage; no bpf_skb_cgroup_id (160). */
const GETSOCKOPT = [...without(CGROUP_PLAIN, 160), 122, 96, 107, 108];
/** The lightweight tunnels: no socket helpers; the routing realm, checksums, a pull of the skb. */
const LWT = [...without(SOCKET, 46, 47, 68, 122), 24, 28, 33, 34, 39];
/** lwt_xmit: the tunnels', and writing, resizing and redirecting the skb, its tunnel key. */
const LWT_XMIT = [...LWT, 9, 10, 11, 13, 20, 21, 23, 29, 30, 38, 40, 41, 43, 135];
/** flow_dissector: no bpf_perf_event_output (25), no per-socket helpers. */
const FLOW_DISSECTOR = without(SOCKET, 25, 46, 47, 68, 122);
const TRACING = [...BASE, 37, 173, 174, 1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 27, 35, 42, 45, 67, 80, 87, 88, 89, 112, 113, 114, 115, 118, 125, 130, 131, 132, 133, 134, 195];
/**
 * syscall (measured, loaded sleepable as the kernel requires): the tracing helpers but
 * bpf_get_attach_cookie (174), plus bpf_get_socket_cookie (46), socket storage (107, 108), the socket
 * casts and bpf_xdp_get_buff_len (188, which the kernel's prototype check lets through), bpf_skb_output
 * (111; its skb must be a BTF pointer) and bpf_copy_from_user_task (191). bpf_sys_bpf,
 * bpf_sys_close, bpf_btf_find_by_name_kind and bpf_kallsyms_lookup_name are the type's own, outside the
 * prototype table.
 *
 * bpf_copy_from_user_task passes every type's helper check but sleeps: the kernel refuses it in a program
 * not loaded sleepable ("helper call might sleep in a non-sleepable prog"), so of the modelled types only
 * syscall programs may call it. bpf_d_path (147) passes syscall's check but is refused there ("not
 * allowed in probe": it has a list of attach points); it, bpf_seq_printf_btf (150, iterators) and
 * bpf_ima_file_hash (193, sleepable LSM and tracing) belong to types the analysis does not model
 * (BPF_PROG_TYPE_TRACING / LSM), where their prototypes alone would apply.
 */
const SYSCALL = [...without(TRACING, 174), 46, 107, 108, ...SKC_CASTS, 188, 111, 191];
/**
 * BTF tracing programs (fentry, fexit, fmod_ret, tp_btf) and iterators: the tracing helpers, the
 * function argument helpers, socket cookies, socket storage and the socket casts, bpf_skb_output,
 * bpf_d_path, the seq_file helpers; bpf_ima_file_hash and bpf_copy_from_user_task in sleepable programs
 * only (calls.ts: measured, a tp_btf program "cannot use helper bpf_ima_file_hash"). Not measured helper
 * by helper (the kernel loads these types only with an attach target): a superset of what each attach
 * point allows, so no helper a real program calls is refused for its type.
 */
const BTF_TRACING = [...TRACING, 183, 184, 185, 46, 107, 108, ...SKC_CASTS, 111, 147, 193, 191, 126, 127, 150];

/** Helper ids each program type may call (among those the analysis has prototypes for). */
export const HELPERS_BY_TYPE: Readonly<Record<ProgramType, ReadonlySet<number>>> = {
  socket_filter: new Set(SOCKET),
  cgroup_skb: new Set([...SOCKET, ...SOCK_LOOKUP, 79, 81, 83, 95, 96, 97, 98, 107, 108]),
  sched_cls: new Set(TC),
  sched_act: new Set(TC),
  xdp: new Set(XDP),
  kprobe: new Set(TRACING),
  tracepoint: new Set(TRACING),
  raw_tracepoint: new Set(TRACING),
  raw_tracepoint_writable: new Set(TRACING),
  perf_event: new Set([...TRACING, 56]),
  sock_ops: new Set(SOCK_OPS),
  sk_skb: new Set(SK_SKB),
  sk_msg: new Set(SK_MSG),
  cgroup_sock_addr: new Set(SOCK_ADDR),
  cgroup_sock: new Set(CGROUP_SOCK),
  cgroup_sockopt: new Set(GETSOCKOPT),
  cgroup_device: new Set(without(CGROUP_PLAIN, 160)),
  cgroup_sysctl: new Set(CGROUP_PLAIN),
  sk_lookup: new Set(SK_LOOKUP),
  sk_reuseport: new Set(SK_REUSEPORT),
  lwt_in: new Set(LWT),
  lwt_out: new Set(LWT),
  lwt_xmit: new Set(LWT_XMIT),
  lwt_seg6local: new Set(LWT),
  flow_dissector: new Set(FLOW_DISSECTOR),
  syscall: new Set(SYSCALL),
  tracing: new Set(BTF_TRACING),
};

/** Where an attach type changes the helpers: cgroup_sockopt's setsockopt hook may also get and set options. */
const BY_ATTACH: Partial<Record<AttachType, ReadonlySet<number>>> = { cgroup_setsockopt: new Set([...GETSOCKOPT, 49, 57]) };

/** True when a program of `type` (with expected attach type `attach`) may call helper `id`. */
export function helperAllowed(type: ProgramType, id: number, attach?: AttachType): boolean {
  return ((attach === undefined ? undefined : BY_ATTACH[attach]) ?? HELPERS_BY_TYPE[type]).has(id);
}
