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

/** The section name without a leading dot, and its first two `/`-separated parts. */
function parts(section: string): [string, string] {
  checkString(section, 'section');
  const s = section.replace(/^\./, '').split('/');
  return [s[0]!, s[1] ?? ''];
}

/**
 * The program type a section name declares, following libbpf's conventions (`xdp`, `tc`/`classifier`,
 * `socket`, `kprobe/…`, `tracepoint/…`, `raw_tracepoint/…`, `perf_event`, `cgroup_skb/…`, `sockops`,
 * `sk_skb/…`, `sk_msg`, `cgroup/<hook>`), or undefined when the name says nothing the analysis knows.
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
  if (first === 'perf_event') return 'perf_event';
  if (first.startsWith('cgroup_skb')) return 'cgroup_skb';
  if (first === 'sockops') return 'sock_ops';
  if (first === 'sk_skb') return 'sk_skb';
  if (first === 'sk_msg') return 'sk_msg';
  if (first === 'cgroup') {
    if (second === 'skb') return 'cgroup_skb';
    if (SOCK_ADDR_HOOKS[second] !== undefined) return 'cgroup_sock_addr';
  }
  return undefined;
}

/**
 * The expected attach type libbpf gives a program of its section, where it changes the analysis's
 * rules: `xdp_devmap` for `xdp/devmap` (and `xdp.frags/devmap`), a cgroup_sock_addr hook for
 * `cgroup/connect4` and the like; else undefined.
 */
export function attachTypeOfSection(section: string): AttachType | undefined {
  const [first, second] = parts(section);
  if (/^xdp(\.frags)?$/.test(first) && second === 'devmap') return 'xdp_devmap';
  if (first === 'cgroup') return SOCK_ADDR_HOOKS[second];
  return undefined;
}
