/**
 * The flow dissector's `struct bpf_flow_keys` (56 bytes, the UAPI layout) and what a run of a flow
 * dissector does with it, as measured with BPF_PROG_TEST_RUN (test/kernel/flow-dissector.test.ts):
 * the keys start zeroed but for `nhoff` and `thoff` (the network header's offset, 14 past the
 * Ethernet header), `n_proto` (the frame's EtherType) and `flags` (the caller's); after the run
 * `nhoff` is clamped into [14, packet length] and `thoff` into [nhoff, packet length].
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkBytes } from '../validate.js';

/** `sizeof(struct bpf_flow_keys)`. */
export const FLOW_KEYS_SIZE = 56;

/** Offsets of `struct bpf_flow_keys`' fields. */
export const FlowKeysField = {
  nhoff: 0, thoff: 2, addr_proto: 4, is_frag: 6, is_first_frag: 7, is_encap: 8, ip_proto: 9, n_proto: 10,
  sport: 12, dport: 14, ipv4_src: 16, ipv4_dst: 20, ipv6_src: 16, ipv6_dst: 32, flags: 48, flow_label: 52,
} as const;

/** The fields of a `struct bpf_flow_keys`, decoded (network-order fields as their numeric values). */
export interface FlowKeys {
  /** Offset of the network header in the packet. */
  readonly nhoff: number;
  /** Offset of the transport header in the packet. */
  readonly thoff: number;
  /** EtherType of the addresses' family (`ETH_P_IP` 0x0800, `ETH_P_IPV6` 0x86dd), host order. */
  readonly addrProto: number;
  readonly isFrag: boolean;
  readonly isFirstFrag: boolean;
  readonly isEncap: boolean;
  /** The transport protocol (`IPPROTO_TCP` 6, `IPPROTO_UDP` 17...). */
  readonly ipProto: number;
  /** The network protocol (EtherType), from network order. */
  readonly nProto: number;
  /** Ports, from network order. */
  readonly sport: number;
  readonly dport: number;
  /** The source and destination addresses: 4 bytes each for IPv4, 16 for IPv6 (by `addrProto`), else 16 raw bytes. */
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** `BPF_FLOW_DISSECTOR_F_*` flags. */
  readonly flags: number;
  /** The IPv6 flow label, from network order. */
  readonly flowLabel: number;
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/** Decode a `struct bpf_flow_keys` (at least {@link FLOW_KEYS_SIZE} bytes). */
export function decodeFlowKeys(keys: Uint8Array): FlowKeys {
  checkBytes(keys, 'keys');
  if (keys.length < FLOW_KEYS_SIZE) throw new ArgumentError(`keys must hold a struct bpf_flow_keys (${FLOW_KEYS_SIZE} bytes), not ${keys.length} bytes`);
  const v = new DataView(keys.buffer, keys.byteOffset, FLOW_KEYS_SIZE);
  const f = FlowKeysField;
  const addrProto = v.getUint16(f.addr_proto, true);
  const [src, dst] = addrProto === ETH_P_IP
    ? [keys.slice(f.ipv4_src, f.ipv4_src + 4), keys.slice(f.ipv4_dst, f.ipv4_dst + 4)]
    : addrProto === ETH_P_IPV6
      ? [keys.slice(f.ipv6_src, f.ipv6_src + 16), keys.slice(f.ipv6_dst, f.ipv6_dst + 16)]
      : [keys.slice(16, 32), keys.slice(32, 48)];
  return {
    nhoff: v.getUint16(f.nhoff, true), thoff: v.getUint16(f.thoff, true), addrProto,
    isFrag: keys[f.is_frag] !== 0, isFirstFrag: keys[f.is_first_frag] !== 0, isEncap: keys[f.is_encap] !== 0,
    ipProto: keys[f.ip_proto]!, nProto: v.getUint16(f.n_proto, false),
    sport: v.getUint16(f.sport, false), dport: v.getUint16(f.dport, false), src, dst,
    flags: v.getUint32(f.flags, true), flowLabel: v.getUint32(f.flow_label, false),
  };
}

/**
 * Fill the zeroed keys at `at` in `v` as a run starts: `nhoff` / `thoff` at `nhoff`, `n_proto` the
 * EtherType (network order, as in the frame), `flags`.
 */
export function initFlowKeys(v: DataView, at: number, nhoff: number, etherType: number, flags: number): void {
  v.setUint16(at + FlowKeysField.nhoff, nhoff, true);
  v.setUint16(at + FlowKeysField.thoff, nhoff, true);
  v.setUint16(at + FlowKeysField.n_proto, etherType, false);
  v.setUint32(at + FlowKeysField.flags, flags >>> 0, true);
}

/** Clamp the keys' offsets as a run ends: `nhoff` into [`nhoff0`, `len`], `thoff` into [nhoff, `len`]. */
export function clampFlowKeys(v: DataView, at: number, nhoff0: number, len: number): void {
  const clamp = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi, 0xffff);
  const nhoff = clamp(v.getUint16(at + FlowKeysField.nhoff, true), nhoff0, len);
  v.setUint16(at + FlowKeysField.nhoff, nhoff, true);
  v.setUint16(at + FlowKeysField.thoff, clamp(v.getUint16(at + FlowKeysField.thoff, true), nhoff, len), true);
}
