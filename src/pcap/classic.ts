/**
 * Classic libpcap files: a 24-byte global header, then a 16-byte header before each packet. Either byte
 * order, microsecond (magic 0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps.
 * @module
 */
import { ByteReader } from './bytes.js';
import { PcapError, type CapturedPacket } from './types.js';

/** Magic number of microsecond-resolution pcap files. */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
/** Magic number of nanosecond-resolution pcap files. */
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

/** The byte order and resolution a classic pcap magic number announces, or `undefined` if it is not one. */
export function classicMagic(bytes: Uint8Array): { littleEndian: boolean; nanos: boolean } | undefined {
  if (bytes.length < 4) return undefined;
  const le = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  const be = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (le === PCAP_MAGIC_MICROS) return { littleEndian: true, nanos: false };
  if (le === PCAP_MAGIC_NANOS) return { littleEndian: true, nanos: true };
  if (be === PCAP_MAGIC_MICROS) return { littleEndian: false, nanos: false };
  if (be === PCAP_MAGIC_NANOS) return { littleEndian: false, nanos: true };
  return undefined;
}

/** Yield the packets of a classic pcap file. Throws {@link PcapError} on malformed or truncated input. */
export function* readClassicPcap(bytes: Uint8Array): Generator<CapturedPacket> {
  const magic = classicMagic(bytes);
  if (magic === undefined) throw new PcapError('not a pcap file: bad magic number', 0);
  const r = new ByteReader(bytes);
  r.littleEndian = magic.littleEndian;
  r.need(0, GLOBAL_HEADER, 'the pcap global header');
  const major = r.u16(4, 'version');
  if (major !== 2) throw new PcapError(`unsupported pcap version ${major}.${r.u16(6, 'version')}; only 2.x is known`, 4);
  // The upper bits of the link-type field carry FCS information, not the type.
  const linkType = r.u32(20, 'link type') & 0x0fff_ffff;
  const unit = magic.nanos ? 1n : 1000n;
  let at = GLOBAL_HEADER;
  while (at < bytes.length) {
    r.need(at, RECORD_HEADER, 'a packet record header');
    const seconds = r.u32(at, 'timestamp');
    const fraction = r.u32(at + 4, 'timestamp');
    const captured = r.u32(at + 8, 'captured length');
    const original = r.u32(at + 12, 'original length');
    const data = r.slice(at + RECORD_HEADER, captured, `a packet of ${captured} captured bytes`);
    yield {
      timestamp: BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * unit,
      data,
      originalLength: Math.max(original, captured),
      linkType,
      interfaceId: 0,
    };
    at += RECORD_HEADER + captured;
  }
}
