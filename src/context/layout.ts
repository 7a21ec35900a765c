/**
 * Context layouts of the kernel's uapi `linux/bpf.h`: `struct xdp_md` and `struct __sk_buff`, field
 * offsets as the kernel defines them, and the XDP and TC verdict numbers.
 * @module
 */

/** `struct xdp_md` field offsets (all `__u32`; data pointers are 32-bit virtual addresses). */
export const XdpMd = {
  data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20,
  /** Size of the structure. */
  SIZE: 24,
} as const;

/** `struct __sk_buff` field offsets (`__u32` unless noted). */
export const SkBuff = {
  len: 0, pkt_type: 4, mark: 8, queue_mapping: 12, protocol: 16, vlan_present: 20, vlan_tci: 24, vlan_proto: 28,
  priority: 32, ingress_ifindex: 36, ifindex: 40, tc_index: 44, /** `__u32 cb[5]` */ cb: 48, hash: 68,
  tc_classid: 72, data: 76, data_end: 80, napi_id: 84, family: 88, data_meta: 140,
  /** `struct bpf_flow_keys *` (flow dissectors; 64-bit) */ flow_keys: 144, /** `__u64` */ tstamp: 152,
  wire_len: 160, gso_segs: 164, gso_size: 176, /** `__u8` */ tstamp_type: 180, /** `__u64` */ hwtstamp: 184,
  /** Size of the structure. */
  SIZE: 192,
} as const;

/** XDP verdicts (`enum xdp_action`). */
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

/** TC verdicts (`TC_ACT_*`), as signed 32-bit values. */
export const TcAction = { UNSPEC: -1, OK: 0, RECLASSIFY: 1, SHOT: 2, PIPE: 3, STOLEN: 4, QUEUED: 5, REPEAT: 6, REDIRECT: 7 } as const;
