/**
 * Socket contexts: `struct bpf_sock_ops` (sock_ops), `struct bpf_sock_addr` (cgroup_sock_addr: bind,
 * connect, sendmsg, recvmsg, getpeername, getsockname hooks) and `struct sk_msg_md` (sk_msg), as the
 * kernel lets each program type at them (every offset and size loaded and stored as root:
 * test/verifier/kernel-sock-ops.test.ts, kernel-ctx-types.test.ts).
 * @module
 */
import { ptr, u32, type Field, type Layout } from './layout.js';

/**
 * `struct bpf_sock_ops` (Linux 6.18, 224 bytes): the u32 fields read whole, `reply` (`args[0]`) and
 * `sk_txhash` written whole, the u64 byte counts and hardware timestamp, `sk` (a socket or NULL), the
 * header-option callbacks' `skb_data` / `skb_data_end`, and `skb_tcp_flags` also by byte or half.
 */
export const SOCK_OPS: Layout = {
  size: 224,
  wholeReads: true,
  fields: [
    ...Array.from({ length: 42 }, (_, i): Field => ({ off: 4 * i, size: 4, write: i === 1 || i === 41 })),
    { off: 168, size: 8 }, // bytes_received
    { off: 176, size: 8 }, // bytes_acked
    ptr(184, 'sock_or_null'),
    ptr(192, 'packet'),
    ptr(200, 'packet_end'),
    { off: 208, size: 4 }, // skb_len
    { off: 212, size: 4, narrow: true }, // skb_tcp_flags
    { off: 216, size: 8 }, // skb_hwtstamp
  ],
};

/** Which addresses a `struct bpf_sock_addr` hook has: its family (4, 6 or unix) and whether it sends a message. */
export interface SockAddrHook {
  readonly family: 4 | 6 | 'unix';
  readonly sendmsg: boolean;
}

/** Reads of 1, 2 or 4 bytes, writes of 4. */
const RW4 = { reads: [1, 2, 4], writes: [4] } as const;
/** An IPv6 address (four u32 words): reads of 1, 2, 4 or 8 bytes, writes of 4 or 8. */
const RW8 = { reads: [1, 2, 4, 8], writes: [4, 8] } as const;

/**
 * `struct bpf_sock_addr` for a hook: `user_family`, `family`, `type` and `protocol` read whole; the
 * user address of the hook's family (`user_ip4` or `user_ip6`), `user_port` and, for sendmsg hooks, the
 * message's source address of its family, read at 1, 2, 4 (and 8 within an IPv6 address) bytes and
 * written at 4 (and 8); `sk` a socket. Unix-socket hooks have no address fields.
 */
export function sockAddr(hook: SockAddrHook): Layout {
  const { family, sendmsg } = hook;
  return {
    size: 72,
    fields: [
      u32(0, { reads: [4] }), // user_family
      u32(4, { ...RW4, deny: family !== 4 }), // user_ip4
      { off: 8, size: 16, ...RW8, deny: family !== 6 }, // user_ip6
      u32(24, RW4), // user_port
      u32(28, { reads: [4] }), u32(32, { reads: [4] }), u32(36, { reads: [4] }), // family, type, protocol
      u32(40, { ...RW4, deny: !(sendmsg && family === 4) }), // msg_src_ip4
      { off: 44, size: 16, ...RW8, deny: !(sendmsg && family === 6) }, // msg_src_ip6
      ptr(64, 'sock'),
    ],
  };
}

/** `struct sk_msg_md`: `data` / `data_end`, the u32 fields read whole, `sk` a socket; nothing written. */
export const SK_MSG: Layout = {
  size: 80,
  wholeReads: true,
  fields: [ptr(0, 'packet'), ptr(8, 'packet_end'), ...Array.from({ length: 14 }, (_, i) => u32(16 + 4 * i)), ptr(72, 'sock')],
};

/**
 * `struct bpf_sk_lookup`: `sk` the socket selected so far (or NULL), loaded whole; every other field
 * (the family, protocol, addresses, ports, ingress interface) read at 1, 2 or 4 bytes anywhere, the
 * remote port's padding too; nothing written (bpf_sk_assign selects).
 */
export const SK_LOOKUP: Layout = { size: 68, fields: [ptr(0, 'sock_or_null'), { off: 8, size: 60, reads: [1, 2, 4] }] };

/**
 * `struct sk_reuseport_md`: the packet from its transport header (`data` / `data_end`), `len`,
 * `ip_protocol` and `bind_inany` read at any size, `eth_protocol` at 2 or 4 bytes, `hash` whole, `sk`
 * the group's socket and `migrating_sk` the one being moved (or NULL), for either attach type.
 */
export const SK_REUSEPORT: Layout = {
  size: 56,
  fields: [
    ptr(0, 'packet'), ptr(8, 'packet_end'),
    u32(16, { reads: [1, 2, 4] }), u32(20, { reads: [2, 4] }), u32(24, { reads: [1, 2, 4] }), u32(28, { reads: [1, 2, 4] }), u32(32, { reads: [4] }),
    ptr(40, 'sock'), ptr(48, 'sock_common_or_null'),
  ],
};
