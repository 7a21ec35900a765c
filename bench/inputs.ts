/**
 * The benchmark inputs, generated deterministically: the same bytes on every run, so that the
 * committed bench/programs/*.mem files and expected.json stay valid (gen-inputs.ts writes them; the
 * unit test checks the committed files still equal what this module makes).
 * @module
 */
import type { InputSize } from './suite.js';

/** A small deterministic generator (xorshift32); the inputs need variety, not quality. */
class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  /** Next 32-bit unsigned value. */
  /** Next value. */
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
class Writer {
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

/** Header of 8 bytes (count, reserved) followed by `len` random bytes. */
function countedBytes(count: number, len: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + len);
  w.u32(0, count);
  for (let i = 0; i < len; i++) w.bytes[8 + i] = rng.u32() & 0xff;
  return w.bytes;
}

/** Header of 8 bytes then `count` u64 values, each with a random bit width so every log2 occurs. */
function log2Input(count: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + count * 8);
  w.u32(0, count);
  for (let i = 0; i < count; i++) {
    const v = (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
    w.u64(8 + i * 8, v >> BigInt(rng.u32() % 64));
  }
  return w.bytes;
}

/**
 * memcpy: `len` source bytes then `len` zero destination bytes. The source is a cheap pattern rather
 * than random bytes so that the committed 2 MiB file compresses in git; a copy does not care.
 */
function memcpyInput(len: number): Uint8Array {
  const w = new Writer(8 + 2 * len);
  w.u32(0, len);
  for (let i = 0; i < len; i++) w.bytes[8 + i] = (i ^ (i >>> 8) ^ (i >>> 16)) & 0xff;
  return w.bytes;
}

/** strcmp: two strings of `len` bytes (then NUL), equal up to `differAt` (or equal when it is -1). */
function strcmpInput(len: number, differAt: number, rng: Rng): Uint8Array {
  const a = 8;
  const b = a + len + 8; // a gap after a's NUL, to keep b 8-byte aligned
  const w = new Writer(b + len + 8);
  w.u32(0, a);
  w.u32(4, b);
  for (let i = 0; i < len; i++) {
    const c = 0x21 + (rng.u32() % 94); // printable, never NUL
    w.bytes[a + i] = c;
    w.bytes[b + i] = i === differAt ? (c === 0x7e ? 0x21 : c + 1) : c;
  }
  return w.bytes;
}

/** sort: `count` random u32, then `count` scratch slots. */
function sortInput(count: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + count * 8);
  w.u32(0, count);
  for (let i = 0; i < count; i++) w.u32(8 + i * 4, rng.u32());
  return w.bytes;
}

/** arith64: iterations and a 64-bit seed. */
function arith64Input(iterations: number): Uint8Array {
  const w = new Writer(16);
  w.u32(0, iterations);
  w.u64(8, 0x0123_4567_89ab_cdefn);
  return w.bytes;
}

/** div32: iterations and a 32-bit seed. */
function div32Input(iterations: number): Uint8Array {
  const w = new Writer(8);
  w.u32(0, iterations);
  w.u32(4, 0x9e37_79b9);
  return w.bytes;
}

/** prime: the limit. */
function primeInput(limit: number): Uint8Array {
  const w = new Writer(8);
  w.u32(0, limit);
  return w.bytes;
}

/** The input of a benchmark at a size. */
export function makeInput(name: string, size: InputSize): Uint8Array {
  const full = size === 'full';
  const rng = new Rng(0x5eed ^ name.length * 7919 ^ (full ? 1 : 2));
  switch (name) {
    case 'prime':
      return primeInput(full ? 10_000 : 100);
    case 'log2_int':
      return log2Input(full ? 16_384 : 37, rng);
    case 'memcpy':
      return memcpyInput(full ? 1 << 20 : 256);
    case 'strcmp_fail':
      return full ? strcmpInput(1024, 10, rng) : strcmpInput(16, 3, rng);
    case 'strcmp_full':
      return full ? strcmpInput(16_384, -1, rng) : strcmpInput(20, -1, rng);
    case 'switch':
      return countedBytes(full ? 16_384 : 200, full ? 16_384 : 200, rng);
    case 'fnv1a':
      return countedBytes(full ? 65_536 : 100, full ? 65_536 : 100, rng);
    case 'crc32':
      return countedBytes(full ? 8_192 : 50, full ? 8_192 : 50, rng);
    case 'hash64':
      return countedBytes(full ? 8_192 : 13, (full ? 8_192 : 13) * 8, rng);
    case 'sort':
      return sortInput(full ? 2_000 : 50, rng);
    case 'arith64':
      return arith64Input(full ? 20_000 : 100);
    case 'div32':
      return div32Input(full ? 50_000 : 100);
    default:
      throw new Error(`no input generator for benchmark ${name}`);
  }
}

