/**
 * Writes classic pcap files (little-endian), the format every tool reads.
 * @module
 */
import { PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS } from './classic.js';
import { LinkType, PcapError } from './types.js';
import { checkBigInteger, checkBytes, checkFunction, checkInteger, checkIterable, checkObject, checkOptionalInteger, checkOptionalOneOf, checkOptions } from '../validate.js';

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

/** {@link PcapWriteOptions} with every field checked. */
function checkWriteOptions(options: unknown, name = 'options'): PcapWriteOptions {
  const o = checkOptions(options as PcapWriteOptions | undefined, name);
  checkOptionalInteger(o.linkType, `${name}.linkType`, 0, 0xffff_ffff);
  checkOptionalOneOf(o.precision, `${name}.precision`, ['micro', 'nano'] as const);
  checkOptionalInteger(o.snapLen, `${name}.snapLen`, 0, 0xffff_ffff);
  return o;
}

/** One {@link PacketToWrite}, its fields checked (their ranges are checked with the record, as PcapError). */
function checkPacket(value: unknown, name: string): PacketToWrite {
  const p = checkObject(value, name) as PacketToWrite;
  checkBytes(p.data, `${name}.data`);
  if (p.timestamp !== undefined) checkBigInteger(p.timestamp, `${name}.timestamp`, -(2n ** 63n), 2n ** 64n);
  checkOptionalInteger(p.originalLength, `${name}.originalLength`, 0, Number.MAX_SAFE_INTEGER);
  checkOptionalInteger(p.linkType, `${name}.linkType`, 0, 0xffff_ffff);
  return p.timestamp === undefined || typeof p.timestamp === 'bigint' ? p : { ...p, timestamp: BigInt(p.timestamp) };
}

/** Encode packets as a classic pcap file. Throws {@link PcapError} for packets it cannot represent. */
export function writePcap(packets: Iterable<PacketToWrite>, options: PcapWriteOptions = {}): Uint8Array {
  const o = checkWriteOptions(options);
  const list: PacketToWrite[] = [];
  for (const p of checkIterable<PacketToWrite>(packets, 'packets')) list.push(checkPacket(p, `packets[${list.length}]`));
  const linkType = o.linkType ?? list.find((p) => p.linkType !== undefined)?.linkType ?? LinkType.ETHERNET;
  const nanos = o.precision === 'nano';
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
  v.setUint32(16, Math.max(o.snapLen ?? 262144, longest), true);
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

/**
 * Writes a classic pcap file incrementally: records are encoded into a buffer of `chunkSize` bytes
 * that is handed to `sink` whenever it fills (and by {@link flush}), so memory stays bounded whatever
 * the number of packets. The sink must consume (or copy) the bytes before returning: the buffer is reused.
 */
export class PcapStreamWriter {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private used = 0;
  private readonly nanos: boolean;
  /** Packets written so far. */
  packets = 0;

  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    options: PcapWriteOptions & { readonly chunkSize?: number } = {},
  ) {
    checkFunction(sink, 'sink');
    checkWriteOptions(options);
    const size = checkOptionalInteger(options.chunkSize, 'options.chunkSize', 64, 1 << 30) ?? 1 << 20;
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.nanos = options.precision === 'nano';
    const v = this.view;
    v.setUint32(0, this.nanos ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(16, options.snapLen ?? 262144, true);
    v.setUint32(20, options.linkType ?? LinkType.ETHERNET, true);
    this.used = 24;
  }

  /**
   * Append one packet: `bytes[start, end)`, its length on the wire and its timestamp as whole seconds
   * and nanoseconds (numbers, so that a packet costs no allocation).
   */
  write(bytes: Uint8Array, start: number, end: number, originalLength: number, seconds: number, nanos: number): void {
    checkBytes(bytes, 'bytes');
    checkInteger(start, 'start', 0, bytes.length);
    checkInteger(end, 'end', start, bytes.length);
    checkInteger(originalLength, 'originalLength', 0, Number.MAX_SAFE_INTEGER);
    checkInteger(seconds, 'seconds', 0, Number.MAX_SAFE_INTEGER);
    checkInteger(nanos, 'nanos', 0, Number.MAX_SAFE_INTEGER);
    const length = end - start;
    if (!(length >= 0) || !(originalLength >= length) || originalLength > 0xffff_ffff) {
      throw new PcapError(`packet ${this.packets}: original length ${originalLength} must be an integer ≥ its ${length} captured bytes`, 0);
    }
    if (!(seconds >= 0 && seconds <= 0xffff_ffff) || !(nanos >= 0 && nanos < 1e9)) {
      throw new PcapError(`packet ${this.packets}: timestamp ${seconds} s ${nanos} ns does not fit a pcap record (0 to 2^32 s after 1970)`, 0);
    }
    if (this.used + 16 > this.buf.length) this.flush();
    const v = this.view;
    const at = this.used;
    v.setUint32(at, seconds, true);
    v.setUint32(at + 4, this.nanos ? nanos : Math.floor(nanos / 1000), true);
    v.setUint32(at + 8, length, true);
    v.setUint32(at + 12, originalLength, true);
    this.used += 16;
    let from = start;
    while (from < end) {
      if (this.used === this.buf.length) this.flush();
      const n = Math.min(end - from, this.buf.length - this.used);
      this.buf.set(bytes.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
    }
    this.packets++;
  }

  /** Hand what is buffered to the sink. */
  flush(): void {
    if (this.used > 0) this.sink(this.buf.subarray(0, this.used));
    this.used = 0;
  }
}
