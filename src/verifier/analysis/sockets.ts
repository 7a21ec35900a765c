/**
 * Loads through a socket pointer (`bpf_sk_lookup_*` gives a `sock`, `bpf_skc_lookup_tcp` a
 * `sock_common`): which `struct bpf_sock` fields each may read and at which sizes, and that neither may be
 * written. The rules were taken from the kernel itself (6.18, loaded as root: every offset and size
 * through both kinds), and test/verifier/kernel-sock-access.test.ts checks them against the live kernel.
 * @module
 */

/** How a field may be read: whole 4-byte words only, 1/2/4 bytes at its start, or any aligned part (addresses). */
type Reads = 'word' | 'start' | 'parts';

/** `struct bpf_sock` fields: offset, size, how `sock` and `sock_common` may read them (undefined: not at all). */
const FIELDS: readonly (readonly [off: number, size: number, sock: Reads, common: Reads | undefined])[] = [
  [0, 4, 'word', 'word'], // bound_dev_if
  [4, 4, 'start', 'start'], // family
  [8, 4, 'start', undefined], // type
  [12, 4, 'start', undefined], // protocol
  [16, 4, 'word', undefined], // mark
  [20, 4, 'word', undefined], // priority
  [24, 20, 'parts', 'parts'], // src_ip4, src_ip6[4]
  [44, 4, 'start', 'start'], // src_port
  [52, 20, 'parts', 'parts'], // dst_ip4, dst_ip6[4]
  [72, 4, 'start', 'start'], // state
  [76, 4, 'start', 'start'], // rx_queue_mapping
];

/** Bytes of `struct bpf_tcp_sock`; its two u64 fields (bytes_received, bytes_acked) are at 80 and 88. */
const TCP_SOCK_SIZE = 112;

/** True when a `size`-byte load at `off` of a `struct bpf_tcp_sock` is allowed: whole fields only (6.18, measured). */
export function tcpSockReadAllowed(off: number, size: number): boolean {
  if (off === 80 || off === 88) return size === 8;
  return size === 4 && off % 4 === 0 && off >= 0 && off < TCP_SOCK_SIZE && (off < 80 || off >= 96);
}

/** True when a `size`-byte load at `off` of a socket (`common`: a sock_common) is allowed. */
export function sockReadAllowed(off: number, size: number, common: boolean): boolean {
  if (size !== 1 && size !== 2 && size !== 4) return false;
  // dst_port: a __be16 with 16 bits of padding, read as the word, the half or either byte of the port.
  if (off === 48) return true;
  if (off === 49) return size === 1;
  for (const [start, length, sock, other] of FIELDS) {
    if (off < start || off >= start + length) continue;
    const reads = common ? other : sock;
    if (reads === undefined) return false;
    if (reads === 'word') return off === start && size === 4;
    if (reads === 'start') return off === start;
    return off % size === 0 && off + size <= start + length;
  }
  return false;
}
