/**
 * Worker side of the shared hash map test: attaches to the shared memory, makes the same maps in the
 * same order as the parent (so at the same offsets), waits for every thread, then inserts keys with
 * BPF_NOEXIST, looks them up and adds 1 to their values atomically, deleting and re-inserting some.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VmMemory } from '../../src/vm/memory.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import type { HashMap } from '../../src/maps/hash.js';

const d = workerData as { memory: WebAssembly.Memory; barrier: number; threads: number; rounds: number; keys: number; base: number };
const memory = new VmMemory({ attach: d.memory });
const map = createMap(memory, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: d.keys * 2, flags: 0 }) as HashMap;
memory.allocate(4, 4);
memory.privateArea(d.base, 1 << 16);
const flags = new Int32Array(d.memory.buffer);
const counts = new BigInt64Array(d.memory.buffer);
Atomics.add(flags, d.barrier >> 2, 1);
while (Atomics.load(flags, d.barrier >> 2) < d.threads);
const key = new Uint8Array(4);
const zero = new Uint8Array(8);
for (let i = 0; i < d.rounds; i++) {
  key[0] = i % d.keys;
  map.programUpdate(key, zero, 1, 0); // BPF_NOEXIST: -EEXIST when present
  const at = map.programLookup(key, 0);
  let offset = -1;
  try {
    // Another thread may have deleted the key since the lookup (its value stays reachable, as the kernel's).
    if (at !== 0) offset = memory.translate(at, 0, 8, true);
  } catch {}
  if (offset >= 0) Atomics.add(counts, offset >> 3, 1n);
  // Churn: keys come and go, so that inserts, deletes and lookups of one key meet in the index.
  if (i % 3 === 2) map.programDelete(key);
}
parentPort!.postMessage('done');
