/**
 * The socket fields that several contexts carry (`struct sk_msg_md`, `struct bpf_sock_ops`, an sk_skb
 * program's `__sk_buff`): the family, both addresses and both ports, each at its own struct's offsets
 * but filled the same way from the host's socket.
 * @module
 */
import type { HostSocket } from '../helpers/socket-table.js';

/** The offsets of a context's socket fields (a uapi struct's layout table has them by these names). */
export interface SocketFieldOffsets {
  readonly family: number;
  readonly remote_ip4: number;
  readonly local_ip4: number;
  readonly remote_ip6: number;
  readonly local_ip6: number;
  readonly remote_port: number;
  readonly local_port: number;
}

/**
 * Write socket `s`'s fields into the context at `base` of `v`: the family as AF_INET / AF_INET6, the
 * addresses as `struct bpf_sock` holds them (network order; dst is the peer, src the socket's own), the
 * remote port in network order (the field's upper half) and the local port in host order, as the kernel
 * fills them.
 */
export function writeSocketFields(v: DataView, base: number, at: SocketFieldOffsets, s: HostSocket): void {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  v.setUint32(base + at.family, s.family === 4 ? 2 : 10, true);
  bytes.set(s.bytes.subarray(52, 56), base + at.remote_ip4);
  bytes.set(s.bytes.subarray(24, 28), base + at.local_ip4);
  bytes.set(s.bytes.subarray(56, 72), base + at.remote_ip6);
  bytes.set(s.bytes.subarray(28, 44), base + at.local_ip6);
  v.setUint32(base + at.remote_port, s.remotePort, false);
  v.setUint32(base + at.local_port, s.localPort, true);
}
