/**
 * Worker side of the lock-free lookup test: attaches to the shared memory, makes the same map as the
 * parent, waits for every thread, then churns keys (insert, delete: their slots are freed and taken
 * again, relinking chains) while looking up the stable keys the parent inserted, which must always
 * be found, at the address whose value is the key, both as a key in a JavaScript array and as a key in
 * linear memory (a program's, looked up in WebAssembly: maps/shared-find.ts), at an odd offset. Posts
 * the count of lookups that were wrong.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { VmMemory } from '../../src/vm/memory.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import type { HashMap } from '../../src/maps/hash.js';

const d = workerData as { memory: WebAssembly.Memory; barrier: number; threads: number; rounds: number; stable: number; entries: number; base: number; index: number };
const memory = new VmMemory({ attach: d.memory });
const map = createMap(memory, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: d.entries, flags: 0 }) as HashMap;
memory.allocate(4, 4);
memory.privateArea(d.base, 1 << 16);
const flags = new Int32Array(d.memory.buffer);
Atomics.add(flags, d.barrier >> 2, 1);
while (Atomics.load(flags, d.barrier >> 2) < d.threads);
const key = new Uint8Array(4);
const value = new Uint8Array(8);
let wrong = 0;
let lookups = 0;
for (let i = 0; i < d.rounds; i++) {
  // A churn key of this thread's own, one live at a time, from many more keys than the map holds: its
  // slot is freed and taken again for a key of another bucket, round after round.
  const churn = d.stable + ((i * d.threads + d.index) % (250 - d.stable));
  key[0] = churn;
  value[0] = churn;
  map.programUpdate(key, value, 0, 0);
  for (let k = 0; k < d.stable; k++) {
    key[0] = k;
    // This thread's own bytes: the key in linear memory, misaligned.
    memory.bytes.set(key, d.base + 1);
    for (const at of [map.programLookup(key, 0), map.programLookupAt(memory.bytes, d.base + 1, 0)]) {
      lookups++;
      if (at === 0 || memory.view.getUint8(memory.translate(at, 0, 8, false)) !== k) wrong++;
    }
  }
  key[0] = churn;
  map.programDelete(key);
}
parentPort!.postMessage({ wrong, lookups });
