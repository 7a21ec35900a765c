/**
 * Packet captures: read classic pcap and pcapng, write classic pcap. Platform-neutral (bytes in, bytes out).
 * @module
 */
import { classicMagic, readClassicPcap } from './classic.js';
import { isPcapng, readPcapng } from './pcapng.js';
import { PcapError, type CapturedPacket } from './types.js';

export { LinkType, PcapError, type CapturedPacket } from './types.js';
export { PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS, readClassicPcap } from './classic.js';
export { PCAPNG_SHB, readPcapng, isPcapng } from './pcapng.js';
export { writePcap, type PacketToWrite, type PcapWriteOptions } from './writer.js';

/** The capture format of some bytes, from their magic number, or `undefined`. */
export function captureFormat(bytes: Uint8Array): 'pcap' | 'pcapng' | undefined {
  if (isPcapng(bytes)) return 'pcapng';
  return classicMagic(bytes) !== undefined ? 'pcap' : undefined;
}

/**
 * Iterate over the packets of a pcap or pcapng capture (detected from the magic number). Packets are
 * yielded as they are parsed, so a problem late in the file is thrown after the earlier packets.
 */
export function iteratePackets(bytes: Uint8Array): Generator<CapturedPacket> {
  const format = captureFormat(bytes);
  if (format === 'pcapng') return readPcapng(bytes);
  if (format === 'pcap') return readClassicPcap(bytes);
  throw new PcapError(
    bytes.length < 4 ? `not a capture: only ${bytes.length} bytes` : 'not a pcap or pcapng capture: unknown magic number',
    0,
  );
}

/** Read every packet of a pcap or pcapng capture. Throws {@link PcapError} (code `E_PCAP`) on bad input. */
export function readPackets(bytes: Uint8Array): CapturedPacket[] {
  return [...iteratePackets(bytes)];
}
