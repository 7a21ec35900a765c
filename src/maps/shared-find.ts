/**
 * The shared hash index's lock-free lookup (maps/shared-key-index.ts, `findOptimistic`) as one
 * WebAssembly function over the shared memory: the key's hash, the sequence word read before and
 * after, the chain walk and the key comparison, every index word and key byte read with
 * `i32.atomic.load` / `i32.atomic.load8_u` (one instruction each, where JavaScript's `Atomics.load`
 * is a call into the engine's runtime on Node 20). A key that is in linear memory (a program's key
 * on its stack) is looked up in one call; keys elsewhere take the JavaScript path.
 * @module
 */
import { CodeWriter, ModuleBuilder } from '../wasm/module.js';
import { Op, OpFe, ValType } from '../wasm/opcodes.js';

/**
 * Find the key of `keySize` bytes at linear offset `key` in the index whose header is at linear
 * offset `index`: its slot, -1 when absent, or -2 when the index kept changing for `tries` looks.
 * `mask` is the buckets - 1, `slots` and `keys` the linear offsets of the slot words and the keys,
 * `maxSlots` the slots (a chain longer than that, possible only mid-change, stops the look).
 */
export type SharedFind = (key: number, index: number, mask: number, keySize: number, maxSlots: number, slots: number, keys: number, tries: number) => number;

/** The header's words (as in shared-key-index.ts): the seed and the sequence word, and the header's size. */
const SEED_BYTE = 24;
const SEQUENCE_BYTE = 28;
const HEADER_BYTES = 32;

let compiled: WebAssembly.Module | undefined;

// Parameters, then locals.
const KEY = 0, INDEX = 1, MASK = 2, SIZE = 3, MAX = 4, SLOTS = 5, KEYS = 6, TRIES = 7;
const H = 8, I = 9, BEFORE = 10, S = 11, STEPS = 12, FOUND = 13, O = 14;

/**
 * Declare and define the find function (see {@link SharedFind}) in `mb`, whose memory must be the
 * shared one the index lives in; returns its function index. The JIT links it into a program's module
 * so that a hash lookup is served there (jit/map-lookups.ts).
 */
export function emitSharedFind(mb: ModuleBuilder): number {
  const i32 = ValType.i32;
  const f = mb.declareFunction([i32, i32, i32, i32, i32, i32, i32, i32], [i32]);
  const c = new CodeWriter();
  // h = FNV-1a of the key from seed ^ 0x811c9dc5, then mixed (shared-key-index.ts hash).
  c.get(INDEX).atomicLoad(OpFe.i32_atomic_load, 4, SEED_BYTE).i32(0x811c9dc5 | 0).op(Op.i32_xor).set(H);
  c.block().loop();
  c.get(I).get(SIZE).op(Op.i32_ge_u).brIf(1);
  c.get(H).get(KEY).get(I).op(Op.i32_add).mem(Op.i32_load8_u).op(Op.i32_xor).i32(0x01000193).op(Op.i32_mul).set(H);
  c.get(I).i32(1).op(Op.i32_add).set(I);
  c.br(0).end().end();
  c.get(H).get(H).i32(16).op(Op.i32_shr_u).op(Op.i32_xor).set(H);
  c.get(H).i32(0x85ebca6b | 0).op(Op.i32_mul).set(H);
  c.get(H).get(H).i32(13).op(Op.i32_shr_u).op(Op.i32_xor).i32(0x3fffffff).op(Op.i32_and).set(H);
  // Each try: the sequence word even, the walk, the same sequence word again.
  c.loop();
  {
    c.get(TRIES).op(Op.i32_eqz).if().i32(-2).op(Op.return).end();
    c.get(TRIES).i32(1).op(Op.i32_sub).set(TRIES);
    c.get(INDEX).atomicLoad(OpFe.i32_atomic_load, 4, SEQUENCE_BYTE).tee(BEFORE).i32(1).op(Op.i32_and).brIf(0);
    c.get(INDEX).get(H).get(MASK).op(Op.i32_and).i32(2).op(Op.i32_shl).op(Op.i32_add).atomicLoad(OpFe.i32_atomic_load, 4, HEADER_BYTES).i32(1).op(Op.i32_sub).set(S);
    c.i32(-1).set(FOUND);
    c.i32(0).set(STEPS);
    c.block().loop();
    {
      // s unsigned >= maxSlots covers -1 (the chain's end); steps > maxSlots: a cycle, mid-change.
      c.get(S).get(MAX).op(Op.i32_ge_u).brIf(1);
      c.get(STEPS).get(MAX).op(Op.i32_gt_u).brIf(1);
      c.get(KEYS).get(S).get(SIZE).op(Op.i32_mul).op(Op.i32_add).set(O);
      c.i32(0).set(I);
      c.block(); // differs
      {
        c.block(); // words done
        // Words while the stored key is word-aligned (a key size that is a multiple of 4).
        c.get(O).i32(3).op(Op.i32_and).brIf(0);
        c.loop();
        c.get(I).i32(4).op(Op.i32_add).get(SIZE).op(Op.i32_gt_u).brIf(1);
        c.get(O).get(I).op(Op.i32_add).atomicLoad(OpFe.i32_atomic_load, 4).get(KEY).get(I).op(Op.i32_add).mem(Op.i32_load).op(Op.i32_ne).brIf(2);
        c.get(I).i32(4).op(Op.i32_add).set(I);
        c.br(0).end();
        c.end();
        c.block().loop();
        c.get(I).get(SIZE).op(Op.i32_ge_u).brIf(1);
        c.get(O).get(I).op(Op.i32_add).atomicLoad(OpFe.i32_atomic_load8_u, 1).get(KEY).get(I).op(Op.i32_add).mem(Op.i32_load8_u).op(Op.i32_ne).brIf(2);
        c.get(I).i32(1).op(Op.i32_add).set(I);
        c.br(0).end().end();
        // Every byte equal.
        c.get(S).set(FOUND).br(2);
      }
      c.end();
      c.get(SLOTS).get(S).i32(4).op(Op.i32_shl).op(Op.i32_add).atomicLoad(OpFe.i32_atomic_load, 4).i32(1).op(Op.i32_sub).set(S);
      c.get(STEPS).i32(1).op(Op.i32_add).set(STEPS);
      c.br(0);
    }
    c.end().end();
    c.get(INDEX).atomicLoad(OpFe.i32_atomic_load, 4, SEQUENCE_BYTE).get(BEFORE).op(Op.i32_eq).if().get(FOUND).op(Op.return).end();
    c.br(0);
  }
  c.end();
  c.i32(-2);
  mb.defineFunction(f, [i32, i32, i32, i32, i32, i32, i32], c);
  return f;
}

function findModule(): WebAssembly.Module {
  if (compiled !== undefined) return compiled;
  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory', true);
  mb.export('find', 'func', emitSharedFind(mb));
  compiled = new WebAssembly.Module(mb.build());
  return compiled;
}

const instances = new WeakMap<WebAssembly.Memory, SharedFind>();

/** The lookup function over the shared `memory` (one instance per memory in each thread). */
export function sharedFind(memory: WebAssembly.Memory): SharedFind {
  let find = instances.get(memory);
  if (find === undefined) {
    find = new WebAssembly.Instance(findModule(), { env: { memory } }).exports['find'] as SharedFind;
    instances.set(memory, find);
  }
  return find;
}
