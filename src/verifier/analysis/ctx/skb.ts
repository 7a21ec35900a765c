/**
 * Packet contexts: `struct __sk_buff` as each skb program type sees it (tc, socket filters, cgroup skb,
 * sk_skb, the lightweight tunnels, the flow dissector) and `struct xdp_md`. Taken field by field, offset
 * by offset and size by size from the kernel's verdicts (test/verifier/kernel-ctx-types.test.ts,
 * families.ts).
 * @module
 */
import { ptr, u32, type Field, type Layout } from './layout.js';

/** The program types whose context is a `struct __sk_buff`, as far as their rules differ. */
export type SkbKind = 'tc' | 'socket' | 'cgroup' | 'sk_skb' | 'lwt';

/** `struct __sk_buff` for `kind`: what tc (sched_cls/act) programs may do, the other kinds narrower. */
export function skb(kind: SkbKind): Layout {
  const is = (...kinds: SkbKind[]): boolean => kinds.includes(kind);
  // the socket's family, addresses and ports: cgroup and sk_skb programs run on a socket's skb
  const sockFields = !is('cgroup', 'sk_skb');
  const fields: Field[] = [
    u32(0), u32(4),
    u32(8, { write: is('tc', 'cgroup', 'lwt'), deny: is('sk_skb') }), // mark (an sk_skb program cannot see it)
    u32(12, { write: is('tc') }), // queue_mapping
    u32(16), u32(20), u32(24), u32(28),
    u32(32, { write: is('tc', 'cgroup', 'sk_skb', 'lwt') }), // priority
    u32(36), u32(40),
    u32(44, { write: is('tc', 'sk_skb') }), // tc_index
    { off: 48, size: 20, write: !is('sk_skb'), scratch: true }, // cb[5]: sk_skb programs read it only
    u32(68), u32(72, { write: is('tc'), deny: !is('tc') }), // hash, tc_classid
    { ...ptr(76, 'packet', 4), deny: is('socket') },
    { ...ptr(80, 'packet_end', 4), deny: is('socket') },
    u32(84), // napi_id
    // family, remote/local ip4 and ip6 (read whole), ports
    u32(88, { deny: sockFields }),
    ...[92, 96, 100, 104, 108, 112, 116, 120, 124, 128].map((off) => u32(off, { deny: sockFields, whole: true })),
    u32(132, { deny: sockFields }), u32(136, { deny: sockFields }),
    { ...ptr(140, 'packet_meta', 4), deny: !is('tc') },
    { off: 152, size: 8, write: is('tc', 'cgroup'), deny: !is('tc', 'cgroup'), whole: true }, // tstamp
    u32(160, { deny: !is('tc') }), u32(164), // wire_len, gso_segs
    ptr(168, 'sock_common_or_null'), // sk
    u32(176), // gso_size
    { off: 180, size: 1, deny: !is('tc') }, // tstamp_type (a byte, read-only; bpf_skb_set_tstamp sets it)
    { off: 184, size: 8, deny: !is('tc', 'cgroup'), whole: true }, // hwtstamp
  ];
  return { size: 192, fields };
}

/**
 * `struct __sk_buff` for a flow dissector: only `data`, `data_end` and `flow_keys` (the `struct
 * bpf_flow_keys` the program fills in, read and written through the pointer).
 */
export const FLOW_DISSECTOR: Layout = { size: 192, fields: [ptr(76, 'packet', 4), ptr(80, 'packet_end', 4), ptr(144, 'flow_keys')] };

/** `struct xdp_md`: every field is read whole; egress_ifindex only for devmap programs. */
export const XDP: Layout = {
  size: 24,
  wholeReads: true,
  fields: [ptr(0, 'packet', 4), ptr(4, 'packet_end', 4), ptr(8, 'packet_meta', 4), u32(12), u32(16), u32(20, { deny: true })],
};

/** `struct xdp_md` for a devmap program (expected attach type BPF_XDP_DEVMAP): egress_ifindex readable. */
export const XDP_DEVMAP: Layout = { ...XDP, fields: XDP.fields!.map((f) => (f.off === 20 ? u32(20) : f)) };
