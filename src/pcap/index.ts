/**
 * Packet captures: read classic pcap and pcapng, write classic pcap. Platform-neutral (bytes in, bytes out).
 * Entry point `tsbpf/pcap`.
 * @module
 */
import { CaptureReader, classicMagic, isPcapng, currentPacket, readerPackets } from './stream.js';
import type { CapturedPacket } from './types.js';
import { checkBytes } from '../validate.js';

export { LinkType, PcapError, type CapturedPacket } from './types.js';
export { PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS, readClassicPcap } from './classic.js';
export { PCAPNG_SHB, readPcapng, isPcapng } from './pcapng.js';
export { CaptureReader, DEFAULT_MAX_RECORD, type CaptureReaderOptions } from './stream.js';
export { writePcap, PcapStreamWriter, type PacketToWrite, type PcapWriteOptions } from './writer.js';

/** The capture format of some bytes, from their magic number, or `undefined`. */
export function captureFormat(bytes: Uint8Array): 'pcap' | 'pcapng' | undefined {
  checkBytes(bytes, 'bytes');
  if (isPcapng(bytes)) return 'pcapng';
  return classicMagic(bytes) !== undefined ? 'pcap' : undefined;
}

/**
 * Iterate over the packets of a pcap or pcapng capture (detected from the magic number). Packets are
 * yielded as they are parsed, so a problem late in the file is thrown after the earlier packets.
 */
export function iteratePackets(bytes: Uint8Array): Generator<CapturedPacket> {
  const reader = new CaptureReader();
  reader.whole(checkBytes(bytes, 'bytes'));
  // The format is checked now, not at the first next(): a caller learns of a non-capture at once.
  if (!reader.next()) return readerPackets(reader);
  return (function* () {
    yield currentPacket(reader);
    yield* readerPackets(reader);
  })();
}

/** Read every packet of a pcap or pcapng capture. Throws {@link PcapError} (code `E_PCAP`) on bad input. */
export function readPackets(bytes: Uint8Array): CapturedPacket[] {
  return [...iteratePackets(bytes)];
}
