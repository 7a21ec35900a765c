/**
 * Classic libpcap files: a 24-byte global header, then a 16-byte header before each packet. Either byte
 * order, microsecond (magic 0xa1b2c3d4) or nanosecond (0xa1b23c4d) timestamps. The parsing is
 * {@link CaptureReader}'s (stream.ts); this is its whole-file form.
 * @module
 */
import { CaptureReader, readerPackets } from './stream.js';
import type { CapturedPacket } from './types.js';
import { checkBytes } from '../validate.js';

export { PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS, classicMagic } from './stream.js';

/** Yield the packets of a classic pcap file. Throws {@link PcapError} on malformed or truncated input. */
export function readClassicPcap(bytes: Uint8Array): Generator<CapturedPacket> {
  const reader = new CaptureReader({ format: 'pcap' });
  reader.whole(checkBytes(bytes, 'bytes'));
  return readerPackets(reader);
}
