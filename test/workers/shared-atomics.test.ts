/**
 * eBPF atomics on a shared memory (VmMemory `shared`): both engines lower them to real atomics (the JIT
 * to WebAssembly atomics, the interpreter to `Atomics.*`), with the results of the plain memory's
 * read-modify-write; threads incrementing one counter with `lock xadd` lose no update; threads inserting
 * the same keys into one hash map make each key once.
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { AtomicOp, insn, Class, AluOp, Source, Opcode, type Insn } from '../../src/isa/index.js';
import { splitWideImm } from '../../src/isa/instruction.js';
import { VmMemory } from '../../src/vm/memory.js';
import { EbpfError } from '../../src/errors.js';
import { ENGINES, atomicInsn, mapStack, runOn } from './atomics-harness.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';

/** A seeded generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const OPS = [AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.XCHG, AtomicOp.CMPXCHG];

/** A random program of atomics on the data region (r1), aligned and misaligned, r0 folding every register at the end. */
function program(seed: number): Insn[] {
  const next = rng(seed);
  const out: Insn[] = [];
  for (let k = 0; k < 120; k++) {
    const pick = next() % 4;
    const reg = 2 + (next() % 4);
    if (pick === 0) {
      const { lo, hi } = splitWideImm((BigInt(next()) << 32n) | BigInt(next()));
      out.push(insn(Opcode.LDDW, reg, 0, 0, lo), insn(0, 0, 0, 0, hi));
    } else if (pick === 1) {
      // r0 sometimes equal to what is in memory, so that cmpxchg succeeds too.
      out.push(insn(Class.LDX | 0x60 | (next() % 2 === 0 ? 0x18 : 0x00), 0, 1, 8 * (next() % 6), 0));
    } else {
      const size = next() % 2 === 0 ? 8 : 4;
      const misaligned = next() % 8 === 0;
      const off = size * (next() % (48 / size)) + (misaligned ? 1 + (next() % (size - 1)) : 0);
      const base = OPS[next() % OPS.length]!;
      const fetch = base === AtomicOp.XCHG || base === AtomicOp.CMPXCHG ? 0 : next() % 2 === 0 ? AtomicOp.FETCH : 0;
      out.push(atomicInsn(size, 1, reg, off, base | fetch));
    }
  }
  for (let r = 2; r <= 5; r++) {
    out.push(insn(Class.ALU64 | AluOp.LSH | Source.K, 0, 0, 0, 7), insn(Class.ALU64 | AluOp.XOR | Source.X, 0, r, 0, 0));
  }
  out.push(insn(Opcode.EXIT));
  return out;
}

/** r0 and the data bytes after running `insns` on a fresh memory of the kind. */
function outcome(engine: string, shared: boolean, insns: readonly Insn[]): { r0: bigint; data: number[] } {
  const memory = new VmMemory(shared ? { shared: true, initialPages: 4 } : {});
  const data = memory.map({ name: 'data', size: 64 });
  const init = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  memory.bytes.set(init, data.offset);
  if (shared) memory.privateArea(65536, 65536);
  const top = mapStack(memory);
  const r0 = runOn(ENGINES[engine]!(), memory, top, data, insns);
  return { r0, data: [...memory.bytes.subarray(data.offset, data.offset + 64)] };
}

describe('atomics on a shared memory', () => {
  it('give the plain memory results on every engine (random programs, aligned and misaligned)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const insns = program(seed);
      const want = outcome('js loop', false, insns);
      for (const engine of Object.keys(ENGINES)) {
        for (const shared of [false, true]) expect(outcome(engine, shared, insns), `seed ${seed} ${engine} shared=${shared}`).toEqual(want);
      }
    }
  });

  it('a shared memory never grows: an allocation that does not fit is an EbpfError', () => {
    const memory = new VmMemory({ shared: true, initialPages: 1 });
    expect(memory.wasm.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(() => memory.map({ name: 'big', size: 70000 })).toThrow(/shared VM memory is full/);
    expect(() => memory.map({ name: 'big', size: 70000 })).toThrow(EbpfError);
    memory.privateArea(32768, 4096);
    expect(() => memory.allocate(4000)).toThrow(/shared VM memory is full/);
    expect(() => new VmMemory({ attach: new WebAssembly.Memory({ initial: 1 }) })).toThrow(/options.attach/);
  });

  it('lock xadd from 3 threads at once gives the exact total on every engine, 8- and 4-byte', async () => {
    const memory = new VmMemory({ shared: true, initialPages: 5 });
    const names = Object.keys(ENGINES);
    const counters = memory.map({ name: 'counters', size: 16 * names.length });
    const barrier = memory.allocate(4, 4);
    const threads = 3;
    const runs = 10;
    const loop = 4000;
    await Promise.all(
      Array.from({ length: threads }, (_, k) => {
        const w = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
          workerData: { script: new URL('./atomics-worker.ts', import.meta.url).href, memory: memory.wasm, offset: counters.offset, barrier, threads, base: 65536 * (k + 1), runs, loop },
        });
        return new Promise<void>((resolve, reject) => {
          w.on('message', () => void w.terminate().then(() => resolve()));
          w.on('error', reject);
        });
      }),
    );
    const view = memory.view;
    const got = names.map((name, k) => [name, view.getBigUint64(counters.offset + 16 * k, true), view.getUint32(counters.offset + 16 * k + 8, true)]);
    // The JIT's loops run 250 times as many iterations (its runs are otherwise too short to overlap).
    expect(got).toEqual(names.map((name) => {
      const n = threads * runs * loop * (name === 'jit' ? 250 : 1);
      return [name, BigInt(n), n];
    }));
  }, 60_000);
});

describe('a hash map in a shared memory', () => {
  it('3 threads inserting, deleting and looking up the same keys at once leave a consistent index (it is locked)', async () => {
    const memory = new VmMemory({ shared: true, initialPages: 8 });
    const keys = 32;
    const map = createMap(memory, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: keys * 2, flags: 0 });
    const barrier = memory.allocate(4, 4);
    const threads = 3;
    const rounds = 20000;
    await Promise.all(
      Array.from({ length: threads }, (_, k) => {
        const w = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
          workerData: { script: new URL('./hash-worker.ts', import.meta.url).href, memory: memory.wasm, barrier, threads, rounds, keys, base: 65536 * (k + 2) },
        });
        return new Promise<void>((resolve, reject) => {
          w.on('message', () => void w.terminate().then(() => resolve()));
          w.on('error', reject);
        });
      }),
    );
    // Each key at most once, as many as the count says, each found by lookup; then every key can be made again.
    const present = map.keys().map((k) => k[0]!);
    expect(new Set(present).size).toBe(present.length);
    expect(present.length).toBe((map as unknown as { size: number }).size);
    expect(present.length).toBeLessThanOrEqual(keys);
    for (const k of present) expect(map.lookup(new Uint8Array([k, 0, 0, 0]))).toBeDefined();
    for (let k = 0; k < keys; k++) map.update(new Uint8Array([k, 0, 0, 0]), new Uint8Array(8));
    expect(map.keys().length).toBe(keys);
  }, 60_000);

  it('lookups without the lock stay exact while 2 threads churn other keys of the same map (seqlock)', async () => {
    const memory = new VmMemory({ shared: true, initialPages: 8 });
    // 8 entries in 16 buckets: the churn keys' slots keep joining the stable keys' chains.
    const entries = 8;
    const stable = 4;
    const map = createMap(memory, { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: entries, flags: 0 });
    const barrier = memory.allocate(4, 4);
    // Stable keys, each valued with itself; the workers never change them.
    for (let k = 0; k < stable; k++) {
      const v = new Uint8Array(8);
      v[0] = k;
      map.update(new Uint8Array([k, 0, 0, 0]), v);
    }
    const threads = 2;
    const rounds = 100_000;
    const results = await Promise.all(
      Array.from({ length: threads }, (_, k) => {
        const w = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
          workerData: { script: new URL('./hash-lookup-worker.ts', import.meta.url).href, memory: memory.wasm, barrier, threads, rounds, stable, entries, base: 65536 * (k + 2), index: k },
        });
        return new Promise<{ wrong: number; lookups: number }>((resolve, reject) => {
          w.on('message', (m: { wrong: number; lookups: number }) => void w.terminate().then(() => resolve(m)));
          w.on('error', reject);
        });
      }),
    );
    expect(results.map((r) => r.lookups)).toEqual([2 * rounds * stable, 2 * rounds * stable]);
    expect(results.map((r) => r.wrong)).toEqual([0, 0]);
    expect(map.keys().map((k) => k[0]!).sort((a, b) => a - b)).toEqual(Array.from({ length: stable }, (_, k) => k));
  }, 60_000);
});
