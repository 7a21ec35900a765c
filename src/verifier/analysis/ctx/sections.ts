/**
 * Section names: the program type and expected attach type a section name declares, following libbpf's
 * conventions (and iproute2's `classifier` / `action`).
 * @module
 */
import { checkString } from '../../../validate.js';
import type { AttachType, ProgramType } from '../program-types.js';

/** cgroup/<hook> sections of cgroup_sock_addr programs, by hook, with the attach type each sets. */
const SOCK_ADDR_HOOKS: Readonly<Record<string, AttachType>> = {
  bind4: 'cgroup_inet4_bind', bind6: 'cgroup_inet6_bind', connect4: 'cgroup_inet4_connect', connect6: 'cgroup_inet6_connect',
  sendmsg4: 'cgroup_udp4_sendmsg', sendmsg6: 'cgroup_udp6_sendmsg', recvmsg4: 'cgroup_udp4_recvmsg', recvmsg6: 'cgroup_udp6_recvmsg',
  getpeername4: 'cgroup_inet4_getpeername', getpeername6: 'cgroup_inet6_getpeername', getsockname4: 'cgroup_inet4_getsockname',
  getsockname6: 'cgroup_inet6_getsockname', connect_unix: 'cgroup_unix_connect', sendmsg_unix: 'cgroup_unix_sendmsg',
  recvmsg_unix: 'cgroup_unix_recvmsg', getpeername_unix: 'cgroup_unix_getpeername', getsockname_unix: 'cgroup_unix_getsockname',
};

/** cgroup/<hook> sections of the other cgroup types, with the attach type each sets (undefined: none matters). */
const CGROUP_HOOKS: Readonly<Record<string, [ProgramType, AttachType | undefined]>> = {
  sock_create: ['cgroup_sock', 'cgroup_inet_sock_create'], sock: ['cgroup_sock', 'cgroup_inet_sock_create'],
  sock_release: ['cgroup_sock', 'cgroup_inet_sock_release'], post_bind4: ['cgroup_sock', 'cgroup_inet4_post_bind'],
  post_bind6: ['cgroup_sock', 'cgroup_inet6_post_bind'], getsockopt: ['cgroup_sockopt', 'cgroup_getsockopt'],
  setsockopt: ['cgroup_sockopt', 'cgroup_setsockopt'], dev: ['cgroup_device', undefined], sysctl: ['cgroup_sysctl', undefined],
  skb: ['cgroup_skb', undefined],
};

/** Sections whose first part alone names the type. */
const PLAIN: Readonly<Record<string, ProgramType>> = {
  sockops: 'sock_ops', sk_skb: 'sk_skb', sk_msg: 'sk_msg', sk_lookup: 'sk_lookup', sk_reuseport: 'sk_reuseport',
  lwt_in: 'lwt_in', lwt_out: 'lwt_out', lwt_xmit: 'lwt_xmit', lwt_seg6local: 'lwt_seg6local', flow_dissector: 'flow_dissector',
  syscall: 'syscall',
};

/** The section name without a leading dot, and its first two `/`-separated parts. */
function parts(section: string): [string, string] {
  checkString(section, 'section');
  const s = section.replace(/^\./, '').split('/');
  return [s[0]!, s[1] ?? ''];
}

/**
 * The program type a section name declares, following libbpf's conventions (`xdp`, `tc`/`classifier`,
 * `socket`, `kprobe/…`, `tracepoint/…`, `raw_tracepoint/…`, `raw_tp.w/…`, `perf_event`, `cgroup_skb/…`, `sockops`,
 * `sk_skb/…`, `sk_msg`, `sk_lookup`, `sk_reuseport`, `lwt_*`, `flow_dissector`, `syscall`, `cgroup/<hook>`), or undefined when the name
 * says nothing the analysis knows.
 */
export function programTypeOfSection(section: string): ProgramType | undefined {
  const [first, second] = parts(section);
  if (/^xdp/.test(first)) return 'xdp';
  if (/^(tc|tcx|classifier)/.test(first)) return 'sched_cls';
  if (first === 'action') return 'sched_act';
  if (first === 'socket' || first === 'socket_filter') return 'socket_filter';
  if (first === 'kprobe' || first === 'kretprobe' || first === 'uprobe' || first === 'uretprobe') return 'kprobe';
  if (first === 'tracepoint' || first === 'tp') return 'tracepoint';
  if (first === 'raw_tracepoint' || first === 'raw_tp') return 'raw_tracepoint';
  if (first === 'raw_tracepoint.w' || first === 'raw_tp.w') return 'raw_tracepoint_writable';
  if (first === 'perf_event') return 'perf_event';
  if (first.startsWith('cgroup_skb')) return 'cgroup_skb';
  if (Object.hasOwn(PLAIN, first)) return PLAIN[first];
  if (first === 'cgroup') {
    if (Object.hasOwn(SOCK_ADDR_HOOKS, second)) return 'cgroup_sock_addr';
    if (Object.hasOwn(CGROUP_HOOKS, second)) return CGROUP_HOOKS[second]![0];
  }
  return undefined;
}

/**
 * The expected attach type libbpf gives a program of its section, where it changes the analysis's
 * rules: `xdp_devmap` for `xdp/devmap` (and `xdp.frags/devmap`), a cgroup hook for `cgroup/connect4`,
 * `cgroup/post_bind4`, `cgroup/setsockopt` and the like, `sk_lookup`, `sk_reuseport_select_or_migrate` for
 * `sk_reuseport/migrate`; else undefined.
 */
export function attachTypeOfSection(section: string): AttachType | undefined {
  const [first, second] = parts(section);
  if (/^xdp(\.frags)?$/.test(first) && second === 'devmap') return 'xdp_devmap';
  if (first === 'cgroup') return Object.hasOwn(SOCK_ADDR_HOOKS, second) ? SOCK_ADDR_HOOKS[second] : Object.hasOwn(CGROUP_HOOKS, second) ? CGROUP_HOOKS[second]![1] : undefined;
  if (first === 'sk_lookup') return 'sk_lookup';
  if (first === 'sk_reuseport') return second === 'migrate' ? 'sk_reuseport_select_or_migrate' : 'sk_reuseport_select';
  return undefined;
}
