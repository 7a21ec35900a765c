/**
 * The key index of a hash map in a shared memory (internal to maps): what maps/key-index keeps in
 * JavaScript, kept in the linear memory instead, so that every worker thread of a pool sees one index.
 * A spinlock (an i32 taken with `Atomics.compareExchange`) guards it: the map holds it around each
 * operation, from finding a key to linking a new slot. Buckets of a fixed power-of-two table chain
 * slots with the same hash; live slots form one list in insertion order (LRU: use order), free slots a
 * stack. Links are stored plus one, so zeroed memory is an empty index.
 *
 * Lookups need not take the lock ({@link SharedKeyIndex.findOptimistic}): the lock's holder makes a
 * sequence word odd while it holds it and even again before it lets go, and a lookup that read every
 * word and key byte atomically between two equal even readings of it saw an index no one changed (a
 * seqlock); otherwise it tries again, and after a few tries takes the lock.
 *
 * Layout (i32 words from `offset`): lock, count, first+1, last+1, fresh, free+1, seed, sequence; then
 * `buckets` heads+1; then per slot chain+1, hash, prev+1, next+1; then the keys, `keySize` bytes each.
 * @module
 */
import type { VmMemory } from '../vm/memory.js';
import { sharedFind, type SharedFind } from './shared-find.js';
import { allocateMapBytes } from './line-alloc.js';

const LOCK = 0;
const COUNT = 1;
const FIRST = 2;
const LAST = 3;
const FRESH = 4;
const FREE = 5;
const SEED = 6;
const SEQUENCE = 7;
const HEADER = 8;
/** Lock-free tries of a lookup before it takes the lock. */
const OPTIMISTIC_TRIES = 4;
/** Looks at a held lock before a thread sleeps on it (each an `Atomics.load`, tens of nanoseconds). */
const SPINS = 64;
const NONE = -1;
let canWait = true;
/** Whether an Int32Array reads linear memory's little-endian words as they are (every platform Node and browsers run on in practice). */
const LITTLE_ENDIAN = new Uint8Array(new Int32Array([1]).buffer)[0] === 1;

/** Buckets of the index: a power of two, about twice the slots (at most 2^24). */
function bucketsFor(maxSlots: number): number {
  let buckets = 1;
  while (buckets < maxSlots * 2 && buckets < 1 << 24) buckets *= 2;
  return buckets;
}

/** Slots by key in shared linear memory; the same operations as KeyIndex, plus a lock. */
export class SharedKeyIndex {
  private readonly words: Int32Array;
  private readonly base: number;
  private readonly mask: number;
  private readonly slotsAt: number;
  private readonly keysAt: number;
  private readonly seed: number;
  /** The lookup in WebAssembly (maps/shared-find.ts), for keys in linear memory. */
  private readonly wasmFind: SharedFind;

  constructor(
    private readonly memory: VmMemory,
    private readonly keySize: number,
    private readonly maxSlots: number,
  ) {
    const buckets = bucketsFor(maxSlots);
    const offset = allocateMapBytes(memory, SharedKeyIndex.bytes(keySize, maxSlots), 8);
    this.words = new Int32Array(memory.wasm.buffer);
    this.base = offset >> 2;
    this.mask = buckets - 1;
    this.slotsAt = this.base + HEADER + buckets;
    this.keysAt = 4 * (this.slotsAt + 4 * maxSlots);
    // The first thread to make the map picks the seed; the others (attaching to it) read it.
    Atomics.compareExchange(this.words, this.base + SEED, 0, ((Math.random() * 0x7fffffff) | 1) >>> 0);
    this.seed = Atomics.load(this.words, this.base + SEED);
    this.wasmFind = sharedFind(memory.wasm);
  }

  /** Linear bytes the index of a map with these keys and entries takes (what a shared memory must hold for it). */
  static bytes(keySize: number, maxSlots: number): number {
    return 4 * (HEADER + bucketsFor(maxSlots) + 4 * maxSlots) + maxSlots * keySize;
  }

  /**
   * Take the index's lock (a futex-style mutex: 0 free, 1 held, 2 held with threads waiting; holders keep
   * it for one map operation, so a thread spins a little before it sleeps, and sleeps a millisecond at
   * most before trying again).
   */
  lock(): void {
    const w = this.words;
    const at = this.base + LOCK;
    let c = Atomics.compareExchange(w, at, 0, 1);
    if (c === 0) {
      Atomics.add(w, this.base + SEQUENCE, 1);
      return;
    }
    if (c !== 2) {
      // Spin first (test, then compare-exchange): a holder keeps the lock for one map operation, well
      // under a microsecond, where a futex wait and its wake-up cost the two threads system calls.
      for (let spins = 0; spins < SPINS; spins++) {
        if (Atomics.load(w, at) === 0 && Atomics.compareExchange(w, at, 0, 1) === 0) {
          Atomics.add(w, this.base + SEQUENCE, 1);
          return;
        }
      }
      c = Atomics.exchange(w, at, 2);
    }
    while (c !== 0) {
      // Where a thread may not wait (a browser's main thread), it spins.
      if (canWait) {
        try {
          Atomics.wait(w, at, 2, 1);
        } catch {
          canWait = false;
        }
      }
      c = Atomics.exchange(w, at, 2);
    }
    Atomics.add(w, this.base + SEQUENCE, 1);
  }

  unlock(): void {
    const w = this.words;
    const at = this.base + LOCK;
    Atomics.add(w, this.base + SEQUENCE, 1);
    // Only a lock someone waited for needs waking them (a notify costs more than the operation).
    if (Atomics.sub(w, at, 1) !== 1) {
      Atomics.store(w, at, 0);
      Atomics.notify(w, at, 1);
    }
  }

  /** Keys present. */
  get size(): number {
    return this.words[this.base + COUNT]!;
  }

  private hash(bytes: Uint8Array, at: number): number {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < this.keySize; i++) h = Math.imul(h ^ bytes[at + i]!, 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h & 0x3fffffff;
  }

  private sameKey(slot: number, bytes: Uint8Array, at: number): boolean {
    const keys = this.memory.bytes;
    const o = this.keysAt + slot * this.keySize;
    for (let i = 0; i < this.keySize; i++) if (keys[o + i] !== bytes[at + i]) return false;
    return true;
  }

  private field(slot: number, k: number): number {
    return this.slotsAt + 4 * slot + k;
  }

  /** The slot holding the key at `bytes[at]`, or -1 (hold the lock). */
  find(bytes: Uint8Array, at: number): number {
    const w = this.words;
    let s = w[this.base + HEADER + (this.hash(bytes, at) & this.mask)]! - 1;
    while (s !== NONE) {
      if (this.sameKey(s, bytes, at)) return s;
      s = w[this.field(s, 0)]! - 1;
    }
    return NONE;
  }

  /** The arguments of maps/shared-find.ts's find for this index (but the key's offset), as {@link findOptimistic} passes them. */
  findArgs(): { index: number; mask: number; keySize: number; maxSlots: number; slots: number; keys: number; tries: number } {
    return { index: 4 * this.base, mask: this.mask, keySize: this.keySize, maxSlots: this.maxSlots, slots: 4 * this.slotsAt, keys: this.keysAt, tries: OPTIMISTIC_TRIES };
  }

  /**
   * {@link find} without the lock: the slot holding the key at `bytes[at]`, -1 when it is absent, or
   * undefined when the index kept changing while it looked (take the lock and {@link find}). Every
   * word and key byte of the index is read atomically, so the reads are ordered between the two
   * readings of the sequence word; a chain longer than the slots (possible only mid-change) stops. A
   * key in linear memory (`bytes` is the memory's view) is looked up by one WebAssembly call
   * (maps/shared-find.ts: `i32.atomic.load`s); another with `Atomics.load` ({@link sameKeyAtomic}).
   */
  findOptimistic(bytes: Uint8Array, at: number): number | undefined {
    // A key that is not wholly in `bytes` matches none (as a plain memory's index finds none), and must not trap below.
    if (!(at >= 0 && at + this.keySize <= bytes.length)) return NONE;
    if (bytes === this.memory.bytes) {
      // A key in linear memory (a program's): the same look in one WebAssembly call (maps/shared-find.ts).
      const found = this.wasmFind(at, 4 * this.base, this.mask, this.keySize, this.maxSlots, 4 * this.slotsAt, this.keysAt, OPTIMISTIC_TRIES);
      return found === -2 ? undefined : found;
    }
    const w = this.words;
    const seq = this.base + SEQUENCE;
    const h = this.hash(bytes, at);
    const keys = this.memory.bytes;
    const size = this.keySize;
    for (let tries = 0; tries < OPTIMISTIC_TRIES; tries++) {
      const before = Atomics.load(w, seq);
      if ((before & 1) !== 0) continue;
      let s = Atomics.load(w, this.base + HEADER + (h & this.mask)) - 1;
      let found = NONE;
      for (let steps = 0; s !== NONE && s < this.maxSlots && steps <= this.maxSlots; steps++) {
        if (this.sameKeyAtomic(keys, w, this.keysAt + s * size, bytes, at)) {
          found = s;
          break;
        }
        s = Atomics.load(w, this.field(s, 0)) - 1;
      }
      if (Atomics.load(w, seq) === before) return found;
    }
    return undefined;
  }

  /**
   * Whether the key at linear offset `o` is the one at `bytes[at]`, every byte of it read atomically:
   * four at a time (one `Atomics.load` of a word, which Node's V8 does not inline: a call each) where
   * the keys are word-aligned, as they are when the key size is a multiple of 4; the rest a byte at a time.
   */
  private sameKeyAtomic(keys: Uint8Array, w: Int32Array, o: number, bytes: Uint8Array, at: number): boolean {
    const size = this.keySize;
    let i = 0;
    if (LITTLE_ENDIAN && (o & 3) === 0) {
      for (const words = o >> 2; i + 4 <= size; i += 4) {
        const a = at + i;
        if (Atomics.load(w, words + (i >> 2)) !== (bytes[a]! | (bytes[a + 1]! << 8) | (bytes[a + 2]! << 16) | (bytes[a + 3]! << 24))) return false;
      }
    }
    for (; i < size; i++) if (Atomics.load(keys, o + i) !== bytes[at + i]) return false;
    return true;
  }

  /** A slot for a new key (a freed one, else one never used), or -1 when all are in use. */
  takeSlot(): number {
    const w = this.words;
    const free = w[this.base + FREE]! - 1;
    if (free !== NONE) {
      w[this.base + FREE] = w[this.field(free, 0)]!;
      return free;
    }
    const fresh = w[this.base + FRESH]!;
    if (fresh >= this.maxSlots) return NONE;
    w[this.base + FRESH] = fresh + 1;
    return fresh;
  }

  /** Give back a slot whose key was removed. */
  freeSlot(slot: number): void {
    const w = this.words;
    w[this.field(slot, 0)] = w[this.base + FREE]!;
    w[this.base + FREE] = slot + 1;
  }

  /** Record the key at `bytes[at]` (not present) in `slot`, at the end of the order. */
  insert(slot: number, bytes: Uint8Array, at: number): void {
    const w = this.words;
    this.memory.bytes.set(bytes.subarray(at, at + this.keySize), this.keysAt + slot * this.keySize);
    const h = this.hash(bytes, at);
    const head = this.base + HEADER + (h & this.mask);
    w[this.field(slot, 1)] = h;
    w[this.field(slot, 0)] = w[head]!;
    w[head] = slot + 1;
    this.append(slot);
    w[this.base + COUNT]!++;
  }

  /** Forget `slot`'s key. */
  remove(slot: number): void {
    const w = this.words;
    const head = this.base + HEADER + (w[this.field(slot, 1)]! & this.mask);
    if (w[head]! - 1 === slot) w[head] = w[this.field(slot, 0)]!;
    else {
      let s = w[head]! - 1;
      while (w[this.field(s, 0)]! - 1 !== slot) s = w[this.field(s, 0)]! - 1;
      w[this.field(s, 0)] = w[this.field(slot, 0)]!;
    }
    this.unlink(slot);
    w[this.base + COUNT]!--;
  }

  /** Move `slot` to the end of the order (LRU: just used). */
  touch(slot: number): void {
    if (this.words[this.base + LAST]! - 1 === slot) return;
    this.unlink(slot);
    this.append(slot);
  }

  /** The slot at the start of the order (LRU: least recently used), or -1. */
  oldest(): number {
    return this.words[this.base + FIRST]! - 1;
  }

  /** A copy of `slot`'s key. */
  key(slot: number): Uint8Array {
    const o = this.keysAt + slot * this.keySize;
    return this.memory.bytes.slice(o, o + this.keySize);
  }

  /** Live slots in order (a copy of the list, taken under the lock). */
  *slots(): IterableIterator<number> {
    const out: number[] = [];
    this.lock();
    try {
      for (let s = this.oldest(); s !== NONE; s = this.words[this.field(s, 3)]! - 1) out.push(s);
    } finally {
      this.unlock();
    }
    yield* out;
  }

  private append(slot: number): void {
    const w = this.words;
    const last = w[this.base + LAST]! - 1;
    w[this.field(slot, 2)] = last + 1;
    w[this.field(slot, 3)] = 0;
    if (last === NONE) w[this.base + FIRST] = slot + 1;
    else w[this.field(last, 3)] = slot + 1;
    w[this.base + LAST] = slot + 1;
  }

  private unlink(slot: number): void {
    const w = this.words;
    const p = w[this.field(slot, 2)]! - 1;
    const n = w[this.field(slot, 3)]! - 1;
    if (p === NONE) w[this.base + FIRST] = n + 1;
    else w[this.field(p, 3)] = n + 1;
    if (n === NONE) w[this.base + LAST] = p + 1;
    else w[this.field(n, 2)] = p + 1;
  }
}
