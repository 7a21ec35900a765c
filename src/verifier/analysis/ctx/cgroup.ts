/**
 * cgroup contexts: `struct bpf_sock` as cgroup_sock programs see it (socket creation and release, and
 * after a bind), `struct bpf_cgroup_dev_ctx` (cgroup_device), `struct bpf_sysctl` (cgroup_sysctl) and
 * `struct bpf_sockopt` (cgroup_sockopt), as the kernel lets each at them (every offset and size loaded
 * and stored as root: test/verifier/kernel-ctx-types.test.ts).
 * @module
 */
import { ptr, u32, type Layout } from './layout.js';

/** Reads of 1, 2 or 4 bytes anywhere inside the field. */
const NARROW = { reads: [1, 2, 4] } as const;
/** Reads of 1, 2 or 4 bytes at the field's start only. */
const AT_START = { narrow: true } as const;

/** The `struct bpf_sock` hooks of cgroup_sock programs whose rules differ. */
export type SockHook = 'create' | 'post_bind4' | 'post_bind6';

/**
 * `struct bpf_sock` for a cgroup_sock hook: `family`, `type`, `protocol`, `state`, `rx_queue_mapping` and
 * `src_port` read whole or narrower at their start; the addresses narrower anywhere; `dst_port` (16
 * bits padded to 32) narrower in its first two bytes or whole. Socket creation (and release) may write
 * `bound_dev_if`, `mark` and `priority` (4 bytes) and cannot read the source address and port, which a
 * post-bind hook of its family can; a post-bind hook cannot see the three it writes.
 */
export function bpfSock(hook: SockHook): Layout {
  const create = hook === 'create';
  const w4 = { reads: [4], writes: [4], deny: !create } as const;
  return {
    size: 80,
    wholeReads: true,
    fields: [
      u32(0, w4), // bound_dev_if
      u32(4, AT_START), u32(8, AT_START), u32(12, AT_START), // family, type, protocol
      u32(16, w4), u32(20, w4), // mark, priority
      u32(24, { ...NARROW, deny: hook !== 'post_bind4' }), // src_ip4
      { off: 28, size: 16, ...NARROW, deny: hook !== 'post_bind6' }, // src_ip6
      u32(44, { ...AT_START, deny: create }), // src_port
      u32(48, { ...NARROW, narrowWithin: 2 }), // dst_port
      u32(52, NARROW), { off: 56, size: 16, ...NARROW }, // dst_ip4, dst_ip6
      u32(72, AT_START), u32(76, AT_START), // state, rx_queue_mapping
    ],
  };
}

/** `struct bpf_cgroup_dev_ctx`: `access_type` read at any size, `major` and `minor` whole. */
export const CGROUP_DEVICE: Layout = { size: 12, wholeReads: true, fields: [u32(0, NARROW), u32(4), u32(8)] };

/** `struct bpf_sysctl`: `write` read at any size; `file_pos` too, and written whole. */
export const CGROUP_SYSCTL: Layout = { size: 8, fields: [u32(0, NARROW), u32(4, { ...NARROW, writes: [4] })] };

/**
 * `struct bpf_sockopt` for a getsockopt or setsockopt hook: `sk` a socket, `optval` / `optval_end` the
 * option's bytes (a packet), the u32 fields read whole. A getsockopt hook writes `optlen` and `retval`; a
 * setsockopt hook writes `level`, `optname` and `optlen` and has no `retval`.
 */
export function sockopt(set: boolean): Layout {
  return {
    size: 40,
    wholeReads: true,
    fields: [
      ptr(0, 'sock'), ptr(8, 'packet'), ptr(16, 'packet_end'),
      u32(24, { write: set }), u32(28, { write: set }), u32(32, { write: true }), // level, optname, optlen
      u32(36, { write: true, deny: set }), // retval
    ],
  };
}
