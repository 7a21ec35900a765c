/**
 * The hosts of XDP and socket filter / tc runs: where the packet is, and the `bpf_xdp_adjust_*` and
 * `bpf_skb_*_bytes` helpers' view of it. Reused from run to run (a run allocates no closures for them).
 * @module
 */
import type { SocketRedirect } from './sk-msg.js';
import type { PacketRunHost, Redirect } from '../helpers/packet.js';
import type { TunnelKey, TunnelRunHost } from '../helpers/tunnel.js';
import type { CloneRunHost, SkbClone } from '../helpers/clone.js';
import { DEFAULT_NETNS_COOKIE, TEST_RUN_SOCKET, type SkbRunState, type SkbSocket } from '../helpers/skb-info.js';
import { MEM_START } from '../vm/memory.js';
import { SkBuff, XdpMd } from './layout.js';
import type { RunSpace } from './space.js';

/** Bytes of an Ethernet header: XDP adjustments keep one; socket filter and tc frames start with one. */
export const ETH_HLEN = 14;

/**
 * The packet of one XDP run and the `bpf_xdp_adjust_*` helpers' view of it. Offsets are into the
 * run space's packet buffer (headroom + packet + tailroom); the object is reused from run to run,
 * so a run allocates no closures for its host.
 */
export class XdpPacket implements PacketRunHost {
  readonly kind = 'xdp';
  /** Where `bpf_redirect` / `bpf_redirect_map` sent the packet in this run (cleared before each run). */
  redirect: Redirect | undefined;
  /** Linear-memory offset of the packet buffer. */
  base = 0;
  /** Bytes of the buffer (headroom + packet + tailroom). */
  capacity = 0;
  /** Linear-memory offset of the `xdp_md`. */
  ctx = 0;
  meta = 0;
  start = 0;
  end = 0;
  /** Calls of the adjust helpers so far (a session zeroes the headroom again only after one). */
  adjusts = 0;

  constructor(private readonly space: RunSpace) {}

  /** The `xdp_md`'s linear-memory offset, for the helpers that read it (bpf_check_mtu). */
  get ctxOffset(): number {
    return this.ctx;
  }

  /** Point `xdp_md` and the packet region at `[meta, end)`. */
  publish(v: DataView = this.space.memory.view): void {
    v.setUint32(this.ctx + XdpMd.data, MEM_START + this.start, true);
    v.setUint32(this.ctx + XdpMd.data_end, MEM_START + this.end, true);
    v.setUint32(this.ctx + XdpMd.data_meta, MEM_START + this.meta, true);
    this.space.mapPacket(this.meta, this.end);
  }

  /** The packet, `data` to `data_end` (a live view, for the XDP byte helpers). */
  xdpData(): Uint8Array {
    return this.space.memory.bytes.subarray(this.base + this.start, this.base + this.end);
  }

  adjustHead(delta: number): number {
    this.adjusts++;
    const next = this.start + delta;
    const metaLen = this.start - this.meta;
    if (next - metaLen < 0 || next > this.end - ETH_HLEN) return -22;
    const base = this.base;
    if (metaLen > 0) this.space.memory.bytes.copyWithin(base + next - metaLen, base + this.meta, base + this.start);
    this.meta = next - metaLen;
    this.start = next;
    this.publish();
    return 0;
  }

  adjustTail(delta: number): number {
    this.adjusts++;
    const next = this.end + delta;
    if (next < this.start + ETH_HLEN || next > this.capacity) return -22;
    if (next > this.end) this.space.memory.bytes.fill(0, this.base + this.end, this.base + next);
    this.end = next;
    this.publish();
    return 0;
  }

  adjustMeta(delta: number): number {
    this.adjusts++;
    const next = this.meta + delta;
    const metaLen = this.start - next;
    if (metaLen < 0 || metaLen > 32 || (metaLen & 3) !== 0 || next < 0) return -13;
    this.meta = next;
    this.publish();
    return 0;
  }
}

/**
 * Most bytes an skb may hold after a resize (`bpf_skb_change_head`, `_change_tail`, `_adjust_room`,
 * `_change_proto`): the limit the kernel's test run enforces (measured on Linux 6.18, the largest
 * linear skb the helpers will build). Packets a host passes may be longer; they can then only shrink.
 */
export const SKB_MAX_LEN = 16064;

/**
 * The packet and `__sk_buff` of a socket filter or tc run, for the skb helpers. The packet always
 * starts at `MEM_START` (buffer offset 0) and may grow up to {@link capacity} bytes: a resize moves
 * the bytes inside the buffer, zeroes new room, and republishes `len`, `data_end` and the packet
 * region, so a pointer kept from before the resize reaches only the new packet's bytes (or faults).
 */
export class SkbPacket implements PacketRunHost, TunnelRunHost, CloneRunHost, SkbRunState {
  /** The program type of the run (tc-only helpers refuse socket filters). */
  kind: 'socket' | 'tc' | 'sk_skb' = 'tc';
  /** sk_skb runs: the socket `bpf_sk_redirect_map` / `_hash` chose (cleared before each run). */
  socketRedirect: SocketRedirect | undefined;
  /** Where `bpf_redirect` sent the packet in this run (cleared before each run). */
  redirect: Redirect | undefined;
  /** Tunnel metadata the packet carries (the host's, then what set_tunnel_key attached). */
  tunnel: TunnelKey | undefined;
  /** What bpf_skb_set_tunnel_key attached in this run (cleared before each run). */
  tunnelSet: TunnelKey | undefined;
  /** What bpf_clone_redirect sent in this run (emptied before each run). */
  readonly clones: SkbClone[] = [];
  clonesDropped = 0;
  base = 0;
  length = 0;
  /** Bytes of the buffer at `base` the packet may grow into (at least `length`). */
  capacity = 0;
  /** Offset of the network header from the packet's start (LD_ABS `SKF_NET_OFF`; the MAC header is at 0). */
  networkHeader = ETH_HLEN;
  /** `bpf_skb_adjust_room` added a tunnel header (an L3 encap flag) this run: `bpf_skb_change_tail` then refuses. */
  encapsulated = false;
  /** Linear-memory offset of the `__sk_buff`. */
  ctxOffset = 0;
  /** The checksum state (`ip_summed`: 0 none, 1 unnecessary, 2 complete), its level and sum (skb-info.ts). */
  ipSummed = 0;
  csumLevel = 0;
  csum = 0;
  /** The skb's socket (undefined: none), network namespace and route realm, as the host described them. */
  socket: SkbSocket | undefined = TEST_RUN_SOCKET;
  netnsCookie = DEFAULT_NETNS_COOKIE;
  routeRealm = 0;

  constructor(private readonly space: RunSpace) {}

  /** The state of an skb a host says nothing about (a test run's): no checksum, the default socket. */
  resetState(): void {
    this.ipSummed = 0;
    this.csumLevel = 0;
    this.csum = 0;
    this.socket = TEST_RUN_SOCKET;
    this.netnsCookie = DEFAULT_NETNS_COOKIE;
    this.routeRealm = 0;
  }

  packet(): Uint8Array {
    return this.space.memory.bytes.subarray(this.base, this.base + this.length);
  }

  /**
   * Insert `delta` zero bytes at packet offset `at` (`delta` > 0) or remove `-delta` bytes there. The
   * caller has checked `0 <= at <= length`, `at - delta <= length` and `length + delta <= capacity`.
   */
  splice(at: number, delta: number): void {
    const bytes = this.space.memory.bytes;
    const b = this.base;
    if (delta > 0) {
      bytes.copyWithin(b + at + delta, b + at, b + this.length);
      bytes.fill(0, b + at, b + at + delta);
    } else if (delta < 0) {
      bytes.copyWithin(b + at, b + at - delta, b + this.length);
    }
    this.length += delta;
    this.publish();
  }

  /** Write `len` and `data_end` into the `__sk_buff` and show the program `[0, length)` as the packet. */
  publish(): void {
    const v = this.space.memory.view;
    v.setUint32(this.ctxOffset + SkBuff.len, this.length, true);
    v.setUint32(this.ctxOffset + SkBuff.data_end, MEM_START + this.length, true);
    this.space.mapPacket(0, this.length, 'packet', this.networkHeader);
  }
}
