/**
 * A bounds-checked little/big-endian reader over capture bytes: every read past the end becomes a
 * {@link PcapError} naming what was being read, never a RangeError.
 * @module
 */
import { PcapError } from './types.js';

/** Reads integers at absolute offsets with a switchable byte order. */
export class ByteReader {
  private readonly view: DataView;
  /** True for little-endian fields. */
  littleEndian = true;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Total length of the input. */
  get length(): number {
    return this.bytes.length;
  }

  /** Throw unless `[offset, offset + size)` is inside the input. */
  need(offset: number, size: number, what: string): void {
    if (offset < 0 || size < 0 || offset + size > this.bytes.length) {
      const have = Math.max(0, this.bytes.length - offset);
      throw new PcapError(`truncated capture: ${what} needs ${size} bytes but only ${have} remain`, offset);
    }
  }

  /** Unsigned 16-bit field. */
  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, this.littleEndian);
  }

  /** Unsigned 32-bit field. */
  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, this.littleEndian);
  }

  /** Signed 32-bit field. */
  i32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getInt32(offset, this.littleEndian);
  }

  /** Unsigned 64-bit field. */
  u64(offset: number, what: string): bigint {
    this.need(offset, 8, what);
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  /** A copy of `size` bytes. */
  slice(offset: number, size: number, what: string): Uint8Array {
    this.need(offset, size, what);
    return this.bytes.slice(offset, offset + size);
  }
}
