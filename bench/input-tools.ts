/**
 * Helpers of the benchmark input generators: a deterministic generator and little-endian writers.
 * @module
 */

/** A small deterministic generator (xorshift32); the inputs need variety, not quality. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  /** Next 32-bit unsigned value. */
  u32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
}

/** A little-endian byte buffer writer. */
export class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
  u64(at: number, v: bigint): void {
    this.view.setBigUint64(at, BigInt.asUintN(64, v), true);
  }
}

/** Bytes with a u32 `len` header (and a reserved word) in front. */
export function lengthPrefixed(body: Uint8Array): Uint8Array {
  const w = new Writer(8 + body.length);
  w.u32(0, body.length);
  w.bytes.set(body, 8);
  return w.bytes;
}

/** A growable byte list for the variable-length inputs. */
export class Bytes {
  private readonly out: number[] = [];
  push(...bytes: number[]): void {
    for (const b of bytes) this.out.push(b & 0xff);
  }
  be16(v: number): void {
    this.push(v >>> 8, v);
  }
  le16(v: number): void {
    this.push(v, v >>> 8);
  }
  random(n: number, rng: Rng): void {
    for (let i = 0; i < n; i++) this.out.push(rng.u32() & 0xff);
  }
  get length(): number {
    return this.out.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

