/**
 * A growable byte buffer with the LEB128 encodings WebAssembly uses.
 * @module
 */

/** Append-only byte buffer. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  /** Number of bytes written. */
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** One byte. */
  u8(b: number): this {
    this.reserve(1);
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  /** Raw bytes. */
  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  u32(v: number): this {
    let x = v >>> 0;
    this.reserve(5);
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.buf[this.length++] = b;
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer (the value is taken modulo 2^32, as signed). */
  s32(v: number): this {
    let x = v | 0;
    this.reserve(5);
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.buf[this.length++] = b;
        return this;
      }
      this.buf[this.length++] = b | 0x80;
    }
  }

  /** Signed LEB128 of a 64-bit integer (the value is taken modulo 2^64, as signed). */
  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    if (x >= -0x8000_0000n && x <= 0x7fff_ffffn) return this.s32(Number(x));
    this.reserve(10);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
        this.buf[this.length++] = b;
        return this;
      }
      this.buf[this.length++] = b | 0x80;
    }
  }

  /** A length-prefixed UTF-8 name. */
  name(s: string): this {
    const data = new TextEncoder().encode(s);
    this.u32(data.length);
    return this.bytes(data);
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }

  /** A view of the bytes written so far (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
