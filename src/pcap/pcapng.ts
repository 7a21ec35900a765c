/**
 * pcapng files: a sequence of sections, each a Section Header Block (which fixes the byte order) followed
 * by Interface Description Blocks and packet blocks. Reads Enhanced, Simple and obsolete Packet Blocks on
 * any number of interfaces, honouring each interface's timestamp resolution and offset; other blocks
 * (name resolution, statistics, custom) are skipped. The parsing is {@link CaptureReader}'s (stream.ts);
 * this is its whole-file form.
 * @module
 */
import { CaptureReader, readerPackets } from './stream.js';
import type { CapturedPacket } from './types.js';
import { checkBytes } from '../validate.js';

export { PCAPNG_SHB, isPcapng } from './stream.js';

/** Yield the packets of a pcapng file. Throws {@link PcapError} on malformed or truncated input. */
export function readPcapng(bytes: Uint8Array): Generator<CapturedPacket> {
  const reader = new CaptureReader({ format: 'pcapng' });
  reader.whole(checkBytes(bytes, 'bytes'));
  return readerPackets(reader);
}
