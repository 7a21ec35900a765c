/**
 * `BPF_MAP_TYPE_BLOOM_FILTER`: a set that answers "maybe present" or "certainly absent". Programs add a
 * value with `bpf_map_push_elem` and test one with `bpf_map_peek_elem` (0: maybe present, -ENOENT:
 * absent); user space adds with an update and tests with a lookup, both keyless. As the kernel documents
 * it: the key size is 0, the value size and `max_entries` (the number of values it is sized for) at
 * least 1, `map_extra`'s low 4 bits are the number of hash functions (0 means 5; any higher bit is
 * EINVAL), values cannot be deleted or listed, and false positives are possible, false negatives never.
 *
 * The bits: `max_entries × k / ln 2` rounded up to a power of two (the textbook size for a 1/2^k
 * false-positive rate at `max_entries` values), at most the map byte limit (`maxMapBytes`, 128 MiB by
 * default): a huge `max_entries`, which the kernel also accepts, only raises the false-positive rate. Bit
 * `i` of a value is `h1 + i × h2` (double hashing) of two 32-bit hashes of its bytes. The seed is fixed
 * (runs are reproducible), which is what `BPF_F_ZERO_SEED` asks of the kernel; without it the kernel
 * draws one, so which absent values collide differs from the kernel's, never whether a present one is
 * found. The bits are kept in JavaScript (programs never address them).
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { BpfMap } from './map.js';
import { Errno, type MapSpec } from './types.js';

/** Hash functions when `map_extra` says 0. */
export const BLOOM_DEFAULT_HASHES = 5;
/** The bits of `map_extra` that give the number of hash functions. */
const HASH_MASK = 0xf;

/** The number of hash functions `map_extra` asks for, or undefined when it is not a valid one (EINVAL). */
export function bloomHashes(extra: number): number | undefined {
  if (!Number.isSafeInteger(extra) || extra < 0 || extra > HASH_MASK) return undefined;
  return extra === 0 ? BLOOM_DEFAULT_HASHES : extra;
}

/** Bytes of bits a filter of this shape keeps, at most `limit` (a power of two, at least 8). */
export function bloomBytes(maxEntries: number, hashes: number, limit: number): number {
  const wanted = Math.ceil((maxEntries * hashes) / Math.LN2);
  let bits = 64;
  while (bits < wanted && bits / 8 < limit) bits *= 2;
  while (bits / 8 > limit && bits > 64) bits /= 2;
  return bits / 8;
}

/** Murmur3's 32-bit hash of `bytes` with `seed` (a textbook non-cryptographic hash). */
function murmur3(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const n = bytes.length;
  const whole = n & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (n & 3) {
    case 3:
      k ^= bytes[whole + 2]! << 16;
    // falls through
    case 2:
      k ^= bytes[whole + 1]! << 8;
    // falls through
    case 1:
      k ^= bytes[whole]!;
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A bloom filter map. */
export class BloomFilterMap extends BpfMap {
  /** Number of hash functions (bits set per value). */
  readonly hashes: number;
  /** Number of bits (a power of two). */
  readonly bitCount: number;
  private readonly bits: Uint8Array;

  /** @param limit most bytes of bits (the map byte limit). */
  constructor(memory: VmMemory, spec: MapSpec, limit: number) {
    const hashes = bloomHashes(spec.extra ?? 0);
    if (hashes === undefined) {
      throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_BLOOM_FILTER takes the number of hash functions in map_extra's low 4 bits (0 to 15), not ${spec.extra} (the kernel refuses it with EINVAL)`, { errno: Errno.EINVAL });
    }
    if (spec.keySize !== 0) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_BLOOM_FILTER has no key: key_size must be 0, not ${spec.keySize} (EINVAL)`, { errno: Errno.EINVAL });
    if (spec.valueSize === 0) throw new MapError(`map ${spec.name}: BPF_MAP_TYPE_BLOOM_FILTER values must be at least 1 byte (EINVAL)`, { errno: Errno.EINVAL });
    super(memory, spec, 0);
    this.hashes = hashes;
    this.bits = new Uint8Array(bloomBytes(spec.maxEntries, hashes, limit));
    this.bitCount = this.bits.length * 8;
  }

  /** Apply `visit` to each of the value's bit indexes; stops (returning false) when it returns false. */
  private eachBit(value: Uint8Array, visit: (bit: number) => boolean): boolean {
    const v = value.subarray(0, this.valueSize);
    const h1 = murmur3(v, 0);
    // An odd step visits k distinct bits of a power-of-two table.
    const h2 = murmur3(v, 0x9747b28c) | 1;
    const mask = this.bitCount - 1;
    for (let i = 0; i < this.hashes; i++) if (!visit((h1 + Math.imul(i, h2)) & mask)) return false;
    return true;
  }

  /** @internal `bpf_map_push_elem`: add the value; flags must be 0 (BPF_ANY). */
  override programPush(value: Uint8Array, flags: number): number {
    if (flags !== 0) return -Errno.EINVAL;
    const bits = this.bits;
    this.eachBit(value, (b) => {
      bits[b >>> 3]! |= 1 << (b & 7);
      return true;
    });
    return 0;
  }

  /** @internal Values cannot be popped; peeking takes the value: see {@link programTest}. */
  override programPop(): number {
    return -Errno.EOPNOTSUPP;
  }

  /** @internal `bpf_map_peek_elem`: 0 when the value may be present, -ENOENT when it is not. */
  programTest(value: Uint8Array): number {
    const bits = this.bits;
    return this.eachBit(value, (b) => (bits[b >>> 3]! & (1 << (b & 7))) !== 0) ? 0 : -Errno.ENOENT;
  }

  /** Host add (the kernel's keyless update): throws {@link MapError} for a value of the wrong size or flags other than 0. */
  add(value: Uint8Array, flags = 0): void {
    this.checkValue(value);
    const r = this.programPush(value, flags);
    if (r < 0) this.fail('add failed', -r);
  }

  /** Host test (the kernel's keyless lookup): false when `value` was certainly never added; true when it may have been. */
  has(value: Uint8Array): boolean {
    this.checkValue(value);
    return this.programTest(value) === 0;
  }

  /** How many bits are set (a filter's fill: the false-positive rate is about (set / bits)^hashes). */
  bitsSet(): number {
    let n = 0;
    for (const byte of this.bits) {
      let b = byte;
      while (b !== 0) {
        b &= b - 1;
        n++;
      }
    }
    return n;
  }

  /** Update with the empty key adds the value (flags 0 only), as the kernel's user-space update does. */
  protected override hostUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkValue(value);
    return this.programPush(value, flags);
  }

  /** Values cannot be read back: use {@link has}. */
  override lookup(): Uint8Array | undefined {
    return undefined;
  }

  /** Nothing can be deleted from a bloom filter. */
  override delete(): boolean {
    return false;
  }

  /** A bloom filter lists no keys (the kernel's get_next_key is EOPNOTSUPP). */
  override keys(): Uint8Array[] {
    return [];
  }
}
