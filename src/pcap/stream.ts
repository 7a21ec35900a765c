/**
 * An incremental capture reader: bytes go in as chunks of any size ({@link CaptureReader.push}), packets
 * come out one at a time ({@link CaptureReader.next}) as soon as their record is complete, so a capture
 * of any size is read in memory bounded by its largest record. Classic pcap (either byte order, micro-
 * or nanosecond timestamps) and pcapng (sections, interfaces with their timestamp resolution and offset,
 * Enhanced, Simple and obsolete Packet Blocks; other blocks skipped) are detected from the magic number.
 *
 * The current packet is described by fields on the reader (a cursor, not an object per packet): its
 * bytes are `buffer[dataOffset, dataOffset + dataLength)`, valid until the next `push` or `next`.
 * Platform-neutral: the caller reads the file or stream and pushes what it read.
 * @module
 */
import { PcapError, type CapturedPacket } from './types.js';
import { checkBytes, checkInteger, checkOptionalInteger, checkOptionalOneOf, checkOptions, argumentError } from '../validate.js';

/** Block type of a pcapng Section Header Block (the same in both byte orders). */
export const PCAPNG_SHB = 0x0a0d0d0a;
/** Magic number of microsecond-resolution pcap files. */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
/** Magic number of nanosecond-resolution pcap files. */
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
const IDB = 1;
const OBSOLETE_PB = 2;
const SPB = 3;
const EPB = 6;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/** Default largest record (a pcap packet record or a pcapng block) the reader buffers: 16 MiB. */
export const DEFAULT_MAX_RECORD = 16 * 1024 * 1024;

/** Options of {@link CaptureReader}. */
export interface CaptureReaderOptions {
  /**
   * Largest record, in bytes, the reader accepts (default {@link DEFAULT_MAX_RECORD}); a larger one is
   * a {@link PcapError}, so that a hostile length field cannot make the reader buffer gigabytes.
   */
  readonly maxRecordBytes?: number;
  /** Accept only this format (the error for another names it). */
  readonly format?: 'pcap' | 'pcapng';
  /**
   * Where the reader takes a new buffer (of at least `bytes` bytes) when the one it has is full. Given
   * this, the reader never writes over bytes it has read: input goes after them or into a new buffer
   * (the unread part of a record copied over), so a packet's bytes stay valid in the buffer they were
   * in for as long as the caller keeps it (a worker pool hands those buffers to its workers unchanged).
   */
  readonly buffers?: (bytes: number) => Uint8Array;
}

interface Interface {
  readonly linkType: number;
  readonly snapLen: number;
  /** Timestamp ticks per second. */
  readonly ticksPerSecond: bigint;
  /** Nanoseconds per tick when that is a whole number (the usual resolutions), else 0. */
  readonly nanosPerTick: number;
  /** Seconds added to every timestamp. */
  readonly offsetSeconds: bigint;
}

const pad4 = (n: number): number => (n + 3) & ~3;

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

/** True when the input starts like a pcapng file. */
export function isPcapng(bytes: Uint8Array): boolean {
  checkBytes(bytes, 'bytes');
  return bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a;
}

/** The largest `maxRecordBytes`, and the most room {@link CaptureReader.writable} hands out at once (1 GiB). */
const MAX_RECORD_LIMIT = 1 << 30;

/** Reads a pcap or pcapng capture pushed in chunks; see the module comment. */
export class CaptureReader {
  /** The buffer holding the current packet (and unread input). */
  buffer: Uint8Array = new Uint8Array(0);
  /** Offset of the current packet's bytes in {@link buffer}. */
  dataOffset = 0;
  /** Captured bytes of the current packet. */
  dataLength = 0;
  /** Length of the current packet on the wire (≥ `dataLength`). */
  originalLength = 0;
  /** Link-layer type of the current packet. */
  linkType = 0;
  /** pcapng interface of the current packet (0 for classic pcap). */
  interfaceId = 0;
  /** False when the current packet has no timestamp (pcapng Simple Packet Block). */
  hasTimestamp = false;
  /** Timestamp of the current packet: whole seconds since the Unix epoch, and nanoseconds past them. */
  seconds = 0;
  /** Nanoseconds past {@link CaptureReader.seconds} of the current packet's timestamp. */
  nanos = 0;
  /** Byte offset in the whole input of the current packet's record. */
  recordOffset = 0;
  /** Packets returned so far. */
  packets = 0;

  private view: DataView = new DataView(new ArrayBuffer(0));
  /** Stream offset of `buffer[0]`. */
  private base = 0;
  private start = 0;
  private fill = 0;
  private ended = false;
  private failure: PcapError | undefined;
  private kind: 'pcap' | 'pcapng' | undefined;
  private le = true;
  private headerDone = false;
  private nanosUnit = 1000;
  private classicLink = 0;
  private interfaces: Interface[] = [];
  private bigTimestamp: bigint | undefined;
  private readonly maxRecord: number;
  private readonly only: 'pcap' | 'pcapng' | undefined;
  private readonly buffers: ((bytes: number) => Uint8Array) | undefined;

  constructor(options: CaptureReaderOptions = {}) {
    const o = checkOptions(options, 'options');
    this.maxRecord = checkOptionalInteger(o.maxRecordBytes, 'options.maxRecordBytes', 64, MAX_RECORD_LIMIT) ?? DEFAULT_MAX_RECORD;
    this.only = checkOptionalOneOf(o.format, 'options.format', ['pcap', 'pcapng'] as const);
    if (o.buffers !== undefined && typeof o.buffers !== 'function') throw argumentError('options.buffers', 'a function', o.buffers);
    this.buffers = o.buffers;
  }

  /** The detected format, once the first bytes are in. */
  get format(): 'pcap' | 'pcapng' | undefined {
    return this.kind;
  }

  /** Bytes of input consumed (everything before the next record). */
  get consumed(): number {
    return this.base + this.start;
  }

  /** True once {@link end} was called and every byte was read. */
  get finished(): boolean {
    return this.ended && this.start === this.fill && this.failure === undefined && (this.headerDone || this.base + this.fill > 0);
  }

  /** Append input. The current packet's bytes are invalid afterwards. */
  push(chunk: Uint8Array): void {
    const n = checkBytes(chunk, 'chunk').length;
    if (n === 0) return;
    this.writable(n).set(chunk);
    this.wrote(n);
  }

  /**
   * Room for at least `min` more bytes of input at the end of the buffer, to read into directly (no
   * copy through {@link push}); say how many were written with {@link wrote}. The current packet's
   * bytes are invalid afterwards.
   */
  writable(min: number): Uint8Array {
    checkInteger(min, 'min', 0, MAX_RECORD_LIMIT);
    if (this.ended) throw new PcapError('input after end', this.base + this.fill);
    this.makeRoom(min);
    return this.buffer.subarray(this.fill);
  }

  /**
   * Bytes a {@link writable}`(n)` would ask `options.buffers` for now (the unread part of a record and
   * `n`), or 0 when the current buffer has room (or the reader takes no buffers).
   */
  bufferNeeded(n: number): number {
    checkInteger(n, 'n', 0, Number.MAX_SAFE_INTEGER);
    if (this.buffers === undefined || this.fill + n <= this.buffer.length) return 0;
    return this.fill - this.start + n;
  }

  /** `n` bytes were written into what {@link writable} returned. */
  wrote(n: number): void {
    checkInteger(n, 'n', 0, Number.MAX_SAFE_INTEGER);
    if (!(n >= 0 && this.fill + n <= this.buffer.length)) throw new PcapError(`wrote ${n} bytes, more than there was room for`, this.base + this.fill);
    this.fill += n;
  }

  /**
   * The reader's buffer now lives in `buffer`, which holds the same bytes at the same offsets (at
   * least as many as were written): for a buffer in a `WebAssembly.Memory` that grew, which detaches
   * every view of it. The reader reads on from `buffer`; the current packet stays where it was.
   */
  rebind(buffer: Uint8Array): void {
    checkBytes(buffer, 'buffer');
    if (buffer.length < this.fill) throw argumentError('buffer', `a Uint8Array of at least the ${this.fill} bytes written`, buffer);
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  private makeRoom(n: number): void {
    if (this.fill + n <= this.buffer.length) return;
    // The unread bytes are at most one partial record: move them to the front, growing the buffer if
    // they and the new input do not fit.
    const live = this.fill - this.start;
    if (this.buffers !== undefined) {
      const next = this.buffers(live + n);
      if (!(next instanceof Uint8Array) || next.length < live + n) throw argumentError('options.buffers(...)', `a Uint8Array of at least ${live + n} bytes`, next);
      next.set(this.buffer.subarray(this.start, this.fill));
      this.buffer = next;
      this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    } else if (live + n > this.buffer.length) {
      const next = new Uint8Array(Math.max(live + n, Math.min(this.buffer.length * 2, live + n + (1 << 20)), 4096));
      next.set(this.buffer.subarray(this.start, this.fill));
      this.buffer = next;
      this.view = new DataView(next.buffer);
    } else {
      this.buffer.copyWithin(0, this.start, this.fill);
    }
    this.base += this.start;
    this.fill = live;
    this.start = 0;
  }

  /**
   * Read a complete capture held in memory, without copying it (instead of `push` then `end`; only as
   * the reader's sole input). The reader never writes to `bytes`.
   */
  whole(bytes: Uint8Array): void {
    checkBytes(bytes, 'bytes');
    if (this.ended || this.fill > 0) throw new PcapError('whole() must be the only input of a reader', this.base + this.fill);
    this.buffer = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.fill = bytes.length;
    this.ended = true;
  }

  /** No more input: a record left incomplete is reported by the next call to {@link next}. */
  end(): void {
    this.ended = true;
  }

  /**
   * Move to the next packet: true when there is one (its fields are set), false when more input is
   * needed or the input is finished ({@link finished}). Throws {@link PcapError} on malformed input, and
   * on a truncated record once {@link end} was called; after that the reader keeps throwing it.
   */
  next(): boolean {
    if (this.failure !== undefined) throw this.failure;
    try {
      if (!this.headerDone && !this.readHeader()) return false;
      return this.kind === 'pcap' ? this.nextClassic() : this.nextPcapng();
    } catch (e) {
      if (e instanceof PcapError) this.failure = e;
      throw e;
    }
  }

  /** The current packet's timestamp in nanoseconds since the epoch (a bigint: made only when asked). */
  timestamp(): bigint | undefined {
    if (!this.hasTimestamp) return undefined;
    return this.bigTimestamp ?? BigInt(this.seconds) * 1_000_000_000n + BigInt(this.nanos);
  }

  private fail(message: string, at: number): never {
    throw new PcapError(message, this.base + at);
  }

  /** True when `size` bytes from `at` are in; throws the truncation error if they never will be. */
  private have(at: number, size: number, what: string): boolean {
    if (at + size <= this.fill) return true;
    if (this.ended) {
      const remain = Math.max(0, this.fill - at);
      this.fail(`truncated capture: ${what} needs ${size} bytes but only ${remain} remain`, at);
    }
    return false;
  }

  private u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }

  private readHeader(): boolean {
    const at = this.start;
    if (this.fill - at < 4) {
      if (!this.ended) return false;
      this.fail(`not a capture: only ${this.fill - at} bytes`, at);
    }
    const head = this.buffer.subarray(at, at + 4);
    if (isPcapng(head)) {
      if (this.only === 'pcap') this.fail('not a pcap file: bad magic number', at);
      this.kind = 'pcapng';
      this.headerDone = true;
      return true;
    }
    const magic = classicMagic(head);
    if (magic === undefined) {
      if (this.only === 'pcap') this.fail('not a pcap file: bad magic number', at);
      if (this.only === 'pcapng') this.fail('not a pcapng file: it must start with a Section Header Block', at);
      this.fail('not a pcap or pcapng capture: unknown magic number', at);
    }
    if (this.only === 'pcapng') this.fail('not a pcapng file: it must start with a Section Header Block', at);
    this.kind = 'pcap';
    this.le = magic.littleEndian;
    if (!this.have(at, GLOBAL_HEADER, 'the pcap global header')) return false;
    const major = this.u16(at + 4);
    if (major !== 2) this.fail(`unsupported pcap version ${major}.${this.u16(at + 6)}; only 2.x is known`, at + 4);
    this.nanosUnit = magic.nanos ? 1 : 1000;
    // The upper bits of the link-type field carry FCS information, not the type.
    this.classicLink = this.u32(at + 20) & 0x0fff_ffff;
    this.start += GLOBAL_HEADER;
    this.headerDone = true;
    return true;
  }

  private nextClassic(): boolean {
    const at = this.start;
    if (at === this.fill) return false;
    if (!this.have(at, RECORD_HEADER, 'a packet record header')) return false;
    const captured = this.u32(at + 8);
    if (captured > this.maxRecord) {
      this.fail(`a packet record claims ${captured} captured bytes, more than the ${this.maxRecord}-byte limit (a damaged file?)`, at + 8);
    }
    // The message is made only when needed: a template string per record was garbage per packet.
    if (at + RECORD_HEADER + captured > this.fill && !this.have(at + RECORD_HEADER, captured, `a packet of ${captured} captured bytes`)) return false;
    const original = this.u32(at + 12);
    this.recordOffset = this.base + at;
    this.hasTimestamp = true;
    this.bigTimestamp = undefined;
    this.seconds = this.u32(at);
    const fraction = this.u32(at + 4);
    this.nanos = fraction * this.nanosUnit;
    if (this.nanos >= 1e9) {
      // An out-of-range fraction: keep the exact sum, as the whole-file reader did.
      this.bigTimestamp = BigInt(this.seconds) * 1_000_000_000n + BigInt(this.nanos);
    }
    this.dataOffset = at + RECORD_HEADER;
    this.dataLength = captured;
    this.originalLength = original > captured ? original : captured;
    this.linkType = this.classicLink;
    this.interfaceId = 0;
    this.start = at + RECORD_HEADER + captured;
    this.packets++;
    return true;
  }

  private nextPcapng(): boolean {
    for (;;) {
      const at = this.start;
      if (at === this.fill) return false;
      if (!this.have(at, 12, 'a block header')) return false;
      let type = this.u32(at);
      if (type === PCAPNG_SHB) {
        // The byte-order magic decides how this section, including this block's length, is read.
        const magic = this.view.getUint32(at + 8, true);
        if (magic === BYTE_ORDER_MAGIC) this.le = true;
        else if (magic === 0x4d3c2b1a) this.le = false;
        else this.fail(`bad pcapng byte-order magic 0x${magic.toString(16)}`, at + 8);
        type = PCAPNG_SHB;
      }
      const length = this.u32(at + 4);
      if (length < 12 || length % 4 !== 0) {
        this.fail(`bad pcapng block length ${length}: it must be a multiple of 4 and at least 12`, at + 4);
      }
      if (length > this.maxRecord) {
        this.fail(`a pcapng block of ${length} bytes is larger than the ${this.maxRecord}-byte limit (a damaged file?)`, at + 4);
      }
      if (at + length > this.fill && !this.have(at, length, `a block of ${length} bytes`)) return false;
      if (this.u32(at + length - 4) !== length) {
        this.fail('pcapng block lengths at the start and end of a block differ: the file is corrupt', at + length - 4);
      }
      this.start = at + length;
      const body = at + 8;
      const end = at + length - 4;
      switch (type) {
        case PCAPNG_SHB: {
          if (end - body < 16) this.fail('truncated capture: a section header block needs 28 bytes', body);
          const major = this.u16(body + 4);
          if (major !== 1) this.fail(`unsupported pcapng version ${major}; only 1.x is known`, body + 4);
          this.interfaces = [];
          break;
        }
        case IDB:
          if (end - body < 8) this.fail('truncated capture: an interface description block needs 20 bytes', body);
          this.interfaces.push(this.readInterface(body, end));
          break;
        case EPB:
        case OBSOLETE_PB: {
          if (end - body < 20) this.fail('truncated capture: a packet block needs 32 bytes', body);
          // Same layout after the interface id, which the obsolete block keeps in 16 bits (then a drops count).
          const id = type === EPB ? this.u32(body) : this.u16(body);
          const ifc = this.lookup(id, body);
          const captured = this.u32(body + 12);
          if (body + 20 + captured > end) {
            const kind = type === EPB ? 'enhanced packet block' : 'packet block';
            this.fail(`${kind} claims ${captured} captured bytes but the block is shorter`, body + 12);
          }
          this.setTimestamp(ifc, this.u32(body + 4), this.u32(body + 8));
          const original = this.u32(body + 16);
          this.setPacket(at, body + 20, captured, original > captured ? original : captured, ifc, id);
          return true;
        }
        case SPB: {
          if (end - body < 4) this.fail('truncated capture: a simple packet block needs 16 bytes', body);
          const ifc = this.lookup(0, body);
          const original = this.u32(body);
          // The captured length is implicit: the packet, cut to the snap length, padded to the block's end.
          let captured = Math.min(original, end - (body + 4));
          if (ifc.snapLen !== 0) captured = Math.min(captured, ifc.snapLen);
          this.hasTimestamp = false;
          this.setPacket(at, body + 4, captured, original, ifc, 0);
          return true;
        }
        default:
          break; // name resolution, statistics, decryption secrets, custom blocks: not needed for packets
      }
    }
  }

  private setPacket(at: number, data: number, captured: number, original: number, ifc: Interface, id: number): void {
    this.recordOffset = this.base + at;
    this.dataOffset = data;
    this.dataLength = captured;
    this.originalLength = original;
    this.linkType = ifc.linkType;
    this.interfaceId = id;
    this.packets++;
  }

  private lookup(id: number, at: number): Interface {
    const ifc = this.interfaces[id];
    if (ifc === undefined) {
      this.fail(`packet refers to interface ${id} but the section describes ${this.interfaces.length} interface(s)`, at);
    }
    return ifc;
  }

  private readInterface(body: number, end: number): Interface {
    const linkType = this.u16(body);
    const snapLen = this.u32(body + 4);
    let ticksPerSecond = 1_000_000n;
    let offsetSeconds = 0n;
    let at = body + 8;
    while (at + 4 <= end) {
      const code = this.u16(at);
      const len = this.u16(at + 2);
      if (code === 0) break;
      if (at + 4 + len > end) this.fail(`interface option ${code} runs past the end of its block`, at);
      if (code === IF_TSRESOL && len >= 1) {
        const v = this.buffer[at + 4]!;
        const exp = BigInt(v & 0x7f);
        if (exp > 64n) this.fail(`unsupported timestamp resolution option value 0x${v.toString(16)}`, at + 4);
        ticksPerSecond = (v & 0x80) !== 0 ? 1n << exp : 10n ** exp;
      } else if (code === IF_TSOFFSET && len >= 8) {
        offsetSeconds = BigInt.asIntN(64, this.view.getBigUint64(at + 4, this.le));
      }
      at += 4 + pad4(len);
    }
    const nanosPerTick = 1_000_000_000n % ticksPerSecond === 0n ? Number(1_000_000_000n / ticksPerSecond) : 0;
    return { linkType, snapLen, ticksPerSecond, nanosPerTick, offsetSeconds };
  }

  private setTimestamp(ifc: Interface, high: number, low: number): void {
    this.hasTimestamp = true;
    const tps = Number(ifc.ticksPerSecond);
    const ticks = high * 4294967296 + low;
    if (ifc.nanosPerTick !== 0 && ticks <= Number.MAX_SAFE_INTEGER && ifc.offsetSeconds === 0n) {
      // The usual case (micro- or nanosecond ticks) in doubles: exact below 2^53 ticks.
      const seconds = Math.floor(ticks / tps);
      this.seconds = seconds;
      this.nanos = (ticks - seconds * tps) * ifc.nanosPerTick;
      this.bigTimestamp = undefined;
      return;
    }
    const big = (((BigInt(high) << 32n) | BigInt(low)) * 1_000_000_000n) / ifc.ticksPerSecond + ifc.offsetSeconds * 1_000_000_000n;
    this.bigTimestamp = big;
    this.seconds = Number(big / 1_000_000_000n);
    this.nanos = Number(big % 1_000_000_000n);
  }
}

/** The reader's current packet as an object with its own copy of the bytes. */
export function currentPacket(reader: CaptureReader): CapturedPacket {
  return {
    timestamp: reader.timestamp(),
    data: reader.buffer.slice(reader.dataOffset, reader.dataOffset + reader.dataLength),
    originalLength: reader.originalLength,
    linkType: reader.linkType,
    interfaceId: reader.interfaceId,
  };
}

/** The packets of a reader as objects with their own copies of the bytes (until it needs more input). */
export function* readerPackets(reader: CaptureReader): Generator<CapturedPacket> {
  while (reader.next()) yield currentPacket(reader);
}
