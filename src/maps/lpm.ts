/**
 * `BPF_MAP_TYPE_LPM_TRIE`: longest-prefix-match lookups. Keys are `struct { __u32 prefixlen; __u8 data[]; }`
 * (prefix length little-endian, data in network order, bits compared most significant first). Values
 * live in a preallocated arena in the VM memory like hash maps; matching is a scan of the stored
 * prefixes, longest first, which is simple and fast enough for routing tables of user-space tests.
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { BpfMap, keyBytes, keyString } from './map.js';
import { Liveness, valueStride } from './values.js';
import { Errno, UpdateFlag, type MapSpec } from './types.js';

function prefixLen(key: Uint8Array): number {
  return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
}

/** True when the first `bits` bits of `a` and `b` (from byte 4 on) are equal. */
function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  let i = 4;
  for (; bits >= 8; bits -= 8, i++) if (a[i] !== b[i]) return false;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (a[i]! & mask) === (b[i]! & mask);
}

/** Canonical form of a key: bits past the prefix cleared, so equal prefixes have equal keys. */
function canonical(key: Uint8Array, bits: number): Uint8Array {
  const out = key.slice();
  for (let i = 4; i < out.length; i++) {
    const have = bits - (i - 4) * 8;
    if (have <= 0) out[i] = 0;
    else if (have < 8) out[i] = out[i]! & ((0xff << (8 - have)) & 0xff);
  }
  return out;
}

/** Longest-prefix-match trie. */
export class LpmTrieMap extends BpfMap {
  private readonly stride: number;
  private readonly maxPrefix: number;
  /** Stored prefixes, kept sorted longest first. */
  private entriesByLength: { key: Uint8Array; bits: number; slot: number }[] = [];
  private readonly free: number[] = [];
  private fresh = 0;
  private readonly live: Liveness;

  constructor(memory: VmMemory, spec: MapSpec) {
    if (spec.keySize <= 4) throw new MapError(`map ${spec.name}: LPM trie keys need a 4-byte prefix length and data (key_size ${spec.keySize})`);
    const stride = valueStride(spec.valueSize);
    // Each value is an element, live while its prefix is stored.
    const live = new Liveness(memory, spec.maxEntries);
    super(memory, spec, spec.maxEntries * stride, true, { stride, size: Math.max(spec.valueSize, 1), liveness: live.offset });
    this.live = live;
    this.stride = stride;
    this.maxPrefix = (spec.keySize - 4) * 8;
  }

  private match(key: Uint8Array): { slot: number } | undefined {
    const bits = Math.min(prefixLen(key), this.maxPrefix);
    return this.entriesByLength.find((e) => e.bits <= bits && samePrefix(e.key, key, e.bits));
  }

  private exact(key: Uint8Array): number {
    const bits = prefixLen(key);
    const k = keyString(canonical(key, bits));
    return this.entriesByLength.findIndex((e) => e.bits === bits && keyString(e.key) === k);
  }

  override programLookup(key: Uint8Array): number {
    const e = this.match(key);
    return e === undefined ? 0 : this.arenaAddress + e.slot * this.stride;
  }

  override programUpdate(key: Uint8Array, value: Uint8Array, flags: number, _cpu = 0): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const bits = prefixLen(key);
    if (bits > this.maxPrefix) return -Errno.EINVAL;
    const at = this.exact(key);
    let slot: number;
    if (at >= 0) {
      if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
      slot = this.entriesByLength[at]!.slot;
    } else {
      if (flags === UpdateFlag.EXIST) return -Errno.ENOENT;
      const fresh = this.free.pop() ?? (this.fresh < this.spec.maxEntries ? this.fresh++ : undefined);
      if (fresh === undefined) return -Errno.ENOSPC;
      slot = fresh;
      this.live.set(slot, 1);
      this.entriesByLength.push({ key: canonical(key, bits), bits, slot });
      this.entriesByLength.sort((a, b) => b.bits - a.bits);
    }
    this.zeroArena(slot * this.stride, this.stride);
    this.writeArena(slot * this.stride, value.subarray(0, this.spec.valueSize));
    return 0;
  }

  override programDelete(key: Uint8Array): number {
    if (prefixLen(key) > this.maxPrefix) return -Errno.EINVAL;
    const at = this.exact(key);
    if (at < 0) return -Errno.ENOENT;
    const slot = this.entriesByLength[at]!.slot;
    this.free.push(slot);
    this.entriesByLength.splice(at, 1);
    // The value stays mapped: a pointer looked up before the delete stays valid for the run, as the
    // kernel frees a trie node only after an RCU grace period (see HashMap's delete).
    return 0;
  }

  /** Longest-prefix match, as the kernel's lookup does. */
  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const e = this.match(key);
    return e === undefined ? undefined : this.readArena(e.slot * this.stride, this.spec.valueSize);
  }

  override keys(): Uint8Array[] {
    return this.entriesByLength.map((e) => keyBytes(keyString(e.key)));
  }
}
