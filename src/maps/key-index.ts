/**
 * The key index of hash maps (internal to maps): which slot holds a key, found without building a
 * string or an array per lookup. Keys are hashed straight from the bytes they are read from (the VM's
 * linear memory, for a program's lookup); the hash's low bits pick a bucket of a power-of-two table
 * (an `Int32Array`, at most 3/4 full: doubled and refilled from the slots' hashes when it would be
 * fuller), which holds the first slot of a chain of the slots in that bucket; each slot keeps its hash,
 * compared first, and a copy of its key, compared byte by byte. The live
 * slots also form one list in insertion order (LRU maps move a slot to its end when it is used, and
 * evict from its start): the order {@link KeyIndex.keys} reports, as a JS `Map` keyed by the key
 * would. Per-slot arrays grow by doubling up to `max_entries`, so a huge `max_entries` costs nothing
 * up front.
 * @module
 */

/** Slots a fresh index has room for before it first grows. */
const INITIAL = 16;
/** Buckets of a fresh index (a power of two). */
const INITIAL_BUCKETS = 32;
const NONE = -1;

/** Slots by key; see the module comment. */
export class KeyIndex {
  /** Per bucket (hash & mask): the first slot of its chain, or NONE. */
  private buckets = new Int32Array(INITIAL_BUCKETS).fill(NONE);
  private mask = INITIAL_BUCKETS - 1;
  /** Per slot: the next slot in the same bucket. */
  private chain = new Int32Array(INITIAL);
  /** Per slot: its hash. */
  private hashes = new Int32Array(INITIAL);
  /** Per slot: previous and next live slot in order. */
  private prev = new Int32Array(INITIAL);
  private next = new Int32Array(INITIAL);
  /** Per slot: its key (`keySize` bytes at `slot * keySize`). */
  private keyBytes: Uint8Array;
  private first = NONE;
  private last = NONE;
  private count = 0;
  /** Per map, so a program cannot choose keys that collide without knowing it (chains stay short). */
  private readonly seed = (Math.random() * 0x7fffffff) | 0;

  constructor(
    private readonly keySize: number,
    private readonly maxSlots: number,
  ) {
    this.keyBytes = new Uint8Array(Math.min(INITIAL, Math.max(maxSlots, 1)) * Math.max(keySize, 1));
  }

  /** Keys present. */
  get size(): number {
    return this.count;
  }

  /** Hash of `keySize` bytes at `bytes[at]`. */
  private hash(bytes: Uint8Array, at: number): number {
    let h = this.seed ^ 0x811c9dc5;
    const n = this.keySize;
    let i = 0;
    // Four bytes a step (FNV-1a over 32-bit words, then bytes), mixed at the end.
    for (; i + 4 <= n; i += 4) {
      const w = bytes[at + i]! | (bytes[at + i + 1]! << 8) | (bytes[at + i + 2]! << 16) | (bytes[at + i + 3]! << 24);
      h = Math.imul(h ^ w, 0x01000193);
    }
    for (; i < n; i++) h = Math.imul(h ^ bytes[at + i]!, 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h & 0x3fffffff;
  }

  private sameKey(slot: number, bytes: Uint8Array, at: number): boolean {
    const keys = this.keyBytes;
    const n = this.keySize;
    const o = slot * n;
    for (let i = 0; i < n; i++) if (keys[o + i] !== bytes[at + i]) return false;
    return true;
  }

  /** The slot holding the key at `bytes[at]`, or -1. */
  find(bytes: Uint8Array, at: number): number {
    const h = this.hash(bytes, at);
    let s = this.buckets[h & this.mask]!;
    const hashes = this.hashes;
    while (s !== NONE) {
      if (hashes[s] === h && this.sameKey(s, bytes, at)) return s;
      s = this.chain[s]!;
    }
    return NONE;
  }

  /** Record the key at `bytes[at]` (not present) in `slot`, at the end of the order. */
  insert(slot: number, bytes: Uint8Array, at: number): void {
    if (slot >= this.chain.length) this.grow(slot + 1);
    const n = this.keySize;
    this.keyBytes.set(bytes.subarray(at, at + n), slot * n);
    const h = this.hash(bytes, at);
    this.hashes[slot] = h;
    if ((this.count + 1) * 4 > this.buckets.length * 3) this.rehash(this.buckets.length * 2);
    const b = h & this.mask;
    this.chain[slot] = this.buckets[b]!;
    this.buckets[b] = slot;
    this.append(slot);
    this.count++;
  }

  /** Use `size` buckets (a power of two) and put every live slot in its bucket again. */
  private rehash(size: number): void {
    const buckets = new Int32Array(size).fill(NONE);
    const mask = size - 1;
    for (let s = this.first; s !== NONE; s = this.next[s]!) {
      const b = this.hashes[s]! & mask;
      this.chain[s] = buckets[b]!;
      buckets[b] = s;
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /** Forget `slot`'s key. */
  remove(slot: number): void {
    const b = this.hashes[slot]! & this.mask;
    const head = this.buckets[b]!;
    if (head === slot) {
      this.buckets[b] = this.chain[slot]!;
    } else {
      let s = head;
      while (this.chain[s] !== slot) s = this.chain[s]!;
      this.chain[s] = this.chain[slot]!;
    }
    this.unlink(slot);
    this.count--;
  }

  /** Move `slot` to the end of the order (LRU: just used). */
  touch(slot: number): void {
    if (this.last === slot) return;
    this.unlink(slot);
    this.append(slot);
  }

  /** The slot at the start of the order (LRU: least recently used), or -1. */
  oldest(): number {
    return this.first;
  }

  /** A copy of `slot`'s key. */
  key(slot: number): Uint8Array {
    const n = this.keySize;
    return this.keyBytes.slice(slot * n, slot * n + n);
  }

  /** Live slots in order. */
  *slots(): IterableIterator<number> {
    for (let s = this.first; s !== NONE; s = this.next[s]!) yield s;
  }

  private append(slot: number): void {
    this.prev[slot] = this.last;
    this.next[slot] = NONE;
    if (this.last === NONE) this.first = slot;
    else this.next[this.last] = slot;
    this.last = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === NONE) this.first = n;
    else this.next[p] = n;
    if (n === NONE) this.last = p;
    else this.prev[n] = p;
  }

  private grow(need: number): void {
    const size = Math.min(Math.max(need, this.chain.length * 2), Math.max(this.maxSlots, need));
    const widen = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.chain = widen(this.chain);
    this.hashes = widen(this.hashes);
    this.prev = widen(this.prev);
    this.next = widen(this.next);
    const keys = new Uint8Array(size * Math.max(this.keySize, 1));
    keys.set(this.keyBytes);
    this.keyBytes = keys;
  }
}
