/**
 * Writes classic pcap files (little-endian), the format every tool reads.
 * @module
 */
import { PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS } from './classic.js';
import { LinkType, PcapError } from './types.js';

/** A packet to write; only `data` is required. */
export interface PacketToWrite {
  /** The captured bytes. */
  readonly data: Uint8Array;
  /** Capture time in nanoseconds since the Unix epoch (default 0). */
  readonly timestamp?: bigint | undefined;
  /** Length on the wire (default `data.length`; must not be smaller). */
  readonly originalLength?: number;
  /** Link type; every packet of a classic pcap file must have the file's link type. */
  readonly linkType?: number;
}

/** Options of {@link writePcap}. */
export interface PcapWriteOptions {
  /** The file's link type (default: the first packet's, else Ethernet). */
  readonly linkType?: number;
  /** Timestamp resolution: `micro` (default, magic 0xa1b2c3d4, read by every tool) or `nano`. */
  readonly precision?: 'micro' | 'nano';
  /** Snap length recorded in the header (default 262144, or the longest packet if longer). */
  readonly snapLen?: number;
}

/** Encode packets as a classic pcap file. Throws {@link PcapError} for packets it cannot represent. */
export function writePcap(packets: Iterable<PacketToWrite>, options: PcapWriteOptions = {}): Uint8Array {
  const list = [...packets];
  const linkType = options.linkType ?? list.find((p) => p.linkType !== undefined)?.linkType ?? LinkType.ETHERNET;
  const nanos = options.precision === 'nano';
  let size = 24;
  let longest = 0;
  list.forEach((p, index) => {
    if (p.linkType !== undefined && p.linkType !== linkType) {
      throw new PcapError(
        `packet ${index} has link type ${p.linkType} but the file's is ${linkType}; a classic pcap file holds one link type`,
        size,
      );
    }
    const original = p.originalLength ?? p.data.length;
    if (!Number.isInteger(original) || original < p.data.length || original > 0xffff_ffff) {
      throw new PcapError(`packet ${index}: original length ${original} must be an integer ≥ its ${p.data.length} captured bytes`, size);
    }
    const ts = p.timestamp ?? 0n;
    if (ts < 0n || ts / 1_000_000_000n > 0xffff_ffffn) {
      throw new PcapError(`packet ${index}: timestamp ${ts} ns does not fit a pcap record (0 to 2^32 s after 1970)`, size);
    }
    longest = Math.max(longest, p.data.length);
    size += 16 + p.data.length;
  });
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, nanos ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, Math.max(options.snapLen ?? 262144, longest), true);
  v.setUint32(20, linkType, true);
  let at = 24;
  for (const p of list) {
    const ts = p.timestamp ?? 0n;
    const seconds = ts / 1_000_000_000n;
    const rest = ts % 1_000_000_000n;
    v.setUint32(at, Number(seconds), true);
    v.setUint32(at + 4, Number(nanos ? rest : rest / 1000n), true);
    v.setUint32(at + 8, p.data.length, true);
    v.setUint32(at + 12, p.originalLength ?? p.data.length, true);
    out.set(p.data, at + 16);
    at += 16 + p.data.length;
  }
  return out;
}
