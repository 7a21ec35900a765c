/**
 * `bpf_skb_vlan_push` (18) and `bpf_skb_vlan_pop` (19) for tc programs. An skb carries at most one
 * VLAN tag outside its bytes (the "accelerated" tag: `__sk_buff.vlan_present`, `vlan_tci`,
 * `vlan_proto`) and any number inside them, after the MAC addresses. What each helper does was
 * measured with BPF_PROG_TEST_RUN on Linux 6.18 (test/kernel/skb-ops.test.ts compares every case):
 *
 * - push: a protocol other than 802.1Q (0x8100) or 802.1ad (0x88a8) is taken as 802.1Q. With no tag
 *   outside the bytes, the new tag goes there and the bytes do not change; otherwise the old outside
 *   tag is first inserted into the frame at byte 12 (4 bytes more; `skb->protocol` becomes its
 *   protocol), then the new one replaces it.
 * - pop: removes the outside tag, or, without one, the frame's first tag when `skb->protocol` is a
 *   VLAN protocol (4 bytes fewer; `protocol` becomes the ethertype that followed); an untagged skb is
 *   left as it is (0). Then, if `protocol` is still a VLAN protocol, the frame's next tag moves out of
 *   the bytes into the outside tag.
 * - Taking a tag out of a frame shorter than 18 bytes gives -ENOMEM; so does inserting one into an
 *   skb at its size limit ({@link SKB_MAX_LEN}; not measurable with the kernel's test run).
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { SKB_MAX_LEN, type SkbPacket } from '../context/packet-host.js';
import { SkBuff } from '../context/layout.js';
import { Errno, negErrno } from '../maps/types.js';

/** VLAN helper ids (uapi `linux/bpf.h`). */
export const VlanHelper = { SKB_VLAN_PUSH: 18, SKB_VLAN_POP: 19 } as const;

/** 802.1Q and 802.1ad as `__sk_buff` holds them (the big-endian ethertype read little-endian). */
const PROTO_8021Q = 0x0081;
const PROTO_8021AD = 0xa888;
/** Where a tag sits in a frame: after the two MAC addresses. */
const TAG_AT = 12;
const TAG_LEN = 4;
/** A tagged Ethernet header: MAC addresses, tag, ethertype. */
const VLAN_ETH_HLEN = 18;

const isVlan = (proto: number): boolean => proto === PROTO_8021Q || proto === PROTO_8021AD;

function skbHost(ctx: HelperContext, name: string): SkbPacket {
  const host = ctx.host as Partial<SkbPacket> | undefined;
  if (host?.kind !== 'tc' || host.splice === undefined) {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: only tc programs may call it (the kernel refuses it elsewhere); run the program with runTc`, { pc: ctx.pc, helper: name });
  }
  return host as SkbPacket;
}

/** The VLAN helpers, bound to the object's memory (the `__sk_buff` and the packet live there). */
export function vlanHelpers(memory: VmMemory): Map<number, HelperEntry> {
  const field = (host: SkbPacket, at: number): number => memory.view.getUint32(host.ctxOffset + at, true);
  const setField = (host: SkbPacket, at: number, v: number): void => memory.view.setUint32(host.ctxOffset + at, v >>> 0, true);
  const setOutside = (host: SkbPacket, proto: number, tci: number): void => {
    setField(host, SkBuff.vlan_present, 1);
    setField(host, SkBuff.vlan_proto, proto);
    setField(host, SkBuff.vlan_tci, tci);
  };
  /** Remove the frame's first tag; returns it, or undefined when the frame is too short. */
  const takeTag = (host: SkbPacket): number | undefined => {
    if (host.length < VLAN_ETH_HLEN) return undefined;
    const pkt = host.packet();
    const tci = (pkt[TAG_AT + 2]! << 8) | pkt[TAG_AT + 3]!;
    setField(host, SkBuff.protocol, pkt[TAG_AT + 4]! | (pkt[TAG_AT + 5]! << 8));
    host.networkHeader = Math.max(TAG_AT + 2, host.networkHeader - TAG_LEN);
    host.splice(TAG_AT, -TAG_LEN);
    return tci;
  };

  const push: HelperFunction = (_r1, r2, r3, _4, _5, ctx) => {
    const host = skbHost(ctx, 'bpf_skb_vlan_push');
    const given = Number(r2 & 0xffffn);
    const proto = isVlan(given) ? given : PROTO_8021Q;
    const tci = Number(r3 & 0xffffn);
    if (field(host, SkBuff.vlan_present) !== 0) {
      if (host.length + TAG_LEN > Math.min(host.capacity, SKB_MAX_LEN)) return negErrno(Errno.ENOMEM);
      // The outside tag goes into the frame first; the frame's protocol is now that tag's.
      const oldProto = field(host, SkBuff.vlan_proto) & 0xffff;
      const oldTci = field(host, SkBuff.vlan_tci) & 0xffff;
      host.networkHeader += TAG_LEN;
      host.splice(TAG_AT, TAG_LEN);
      const pkt = host.packet();
      pkt[TAG_AT] = oldProto & 0xff;
      pkt[TAG_AT + 1] = oldProto >> 8;
      pkt[TAG_AT + 2] = oldTci >> 8;
      pkt[TAG_AT + 3] = oldTci & 0xff;
      setField(host, SkBuff.protocol, oldProto);
    }
    setOutside(host, proto, tci);
    return 0;
  };

  const pop: HelperFunction = (_r1, _2, _3, _4, _5, ctx) => {
    const host = skbHost(ctx, 'bpf_skb_vlan_pop');
    if (field(host, SkBuff.vlan_present) !== 0) {
      setField(host, SkBuff.vlan_present, 0);
      setField(host, SkBuff.vlan_proto, 0);
      setField(host, SkBuff.vlan_tci, 0);
    } else {
      if (!isVlan(field(host, SkBuff.protocol))) return 0;
      if (takeTag(host) === undefined) return negErrno(Errno.ENOMEM);
    }
    // The frame's next tag, if any, becomes the outside one.
    const proto = field(host, SkBuff.protocol);
    if (!isVlan(proto)) return 0;
    const tci = takeTag(host);
    if (tci === undefined) return negErrno(Errno.ENOMEM);
    setOutside(host, proto, tci);
    return 0;
  };

  return new Map([
    [VlanHelper.SKB_VLAN_PUSH, { fn: push, name: 'bpf_skb_vlan_push', unwindOnZero: false }],
    [VlanHelper.SKB_VLAN_POP, { fn: pop, name: 'bpf_skb_vlan_pop', unwindOnZero: false }],
  ]);
}
