/**
 * Packets as read from and written to capture files, independent of the file format.
 * @module
 */
import { EbpfError, ErrorCode } from '../errors.js';

/** One captured packet. */
export interface CapturedPacket {
  /**
   * Capture time in nanoseconds since the Unix epoch, or `undefined` when the format does not record one
   * (pcapng Simple Packet Blocks).
   */
  readonly timestamp: bigint | undefined;
  /** The captured bytes (may be shorter than the packet on the wire). */
  readonly data: Uint8Array;
  /** Length of the packet on the wire, in bytes (≥ `data.length`). */
  readonly originalLength: number;
  /** Link-layer type of the packet (see {@link LinkType}). */
  readonly linkType: number;
  /** Index of the pcapng interface the packet was captured on (0 for classic pcap). */
  readonly interfaceId: number;
}

/** Common link-layer header types (tcpdump.org's LINKTYPE_ values). */
export const LinkType = {
  /** BSD loopback: a 4-byte protocol family in host byte order. */
  NULL: 0,
  /** Ethernet II frames. */
  ETHERNET: 1,
  /** Raw IPv4 or IPv6, no link-layer header. */
  RAW: 101,
  /** Linux "cooked" capture v1. */
  LINUX_SLL: 113,
  /** Raw IPv4. */
  IPV4: 228,
  /** Raw IPv6. */
  IPV6: 229,
  /** Linux "cooked" capture v2. */
  LINUX_SLL2: 276,
} as const;

/** Malformed, truncated or unsupported capture input (code `E_PCAP`); `offset` is the byte offset of the problem. */
export class PcapError extends EbpfError {
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(ErrorCode.PCAP, message, { offset });
    this.message = `${this.message} (at byte ${typeof offset === 'number' ? offset : '?'})`;
    this.offset = offset;
  }
}
