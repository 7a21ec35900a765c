/**
 * The library's PacketPool with in-process workers (test/workers/in-process.ts): the same r0s, shared
 * maps and trace lines as one session on a plain memory, per-CPU values one per worker, refusals.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PacketPool, type PacketBatch } from '../../src/pool/pool.js';
import { loadObject } from '../../src/elf/loader.js';
import { EbpfError } from '../../src/errors.js';
import { generateCapture } from '../../bench/gen-capture.js';
import { iteratePackets } from '../../src/pcap/index.js';
import { inProcessWorker } from './in-process.js';
import { nodePoolWorker } from '../../src/cli/pool-node.js';

const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../${f}`, import.meta.url)));
const counters = bytes('fixtures/elf/pool_counters.o');

/** The packets of a generated capture (bench/gen-capture.ts, fixed seed). */
function packets(n: number): Uint8Array[] {
  const parts = [...generateCapture({ packets: n, seed: 3, pcapng: false })];
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return [...iteratePackets(all)].map((p) => p.data.slice());
}

function batch(list: readonly Uint8Array[]): PacketBatch {
  const data = new Uint8Array(list.reduce((a, p) => a + p.length, 0));
  const starts = new Int32Array(list.length);
  const lengths = new Int32Array(list.length);
  let at = 0;
  list.forEach((p, i) => {
    data.set(p, at);
    starts[i] = at;
    lengths[i] = p.length;
    at += p.length;
  });
  return { data, starts, lengths, count: list.length };
}

/** Wait (up to 10 s) until `ok()`. */
async function until(ok: () => boolean): Promise<void> {
  for (let k = 0; k < 1000 && !ok(); k++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('PacketPool', () => {
  it('gives one session\'s r0s, maps and trace lines over 3 workers; per-CPU maps have one value per worker', async () => {
    const list = packets(1500);
    const one = loadObject(counters);
    const session = one.program('pool_counters').session('xdp', { jit: true });
    const want: number[] = [];
    const wantTrace: string[] = [];
    for (const p of list) {
      want.push(Number(session.run(p, 0, p.length)));
      wantTrace.push(...one.drainTrace());
    }
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 3, createWorker: inProcessWorker, jit: true });
    const chunks = [];
    for (let i = 0; i < list.length; i += 100) chunks.push(pool.run(batch(list.slice(i, i + 100))));
    const results = await Promise.all(chunks);
    pool.close();
    expect(results.flatMap((r) => [...r.r0Low])).toEqual(want);
    expect(results.flatMap((r) => r.trace.map((t) => t.line))).toEqual(wantTrace);
    expect(results.every((r) => r.errors.length === 0)).toBe(true);
    const dump = (o: typeof one, name: string): string => JSON.stringify([...o.map(name).keys()].map((k) => [...o.map(name).lookup(k)!]));
    expect(dump(pool.object, 'by_proto')).toEqual(dump(one, 'by_proto'));
    expect(dump(pool.object, '.bss')).toEqual(dump(one, '.bss'));
    // Hash map keys in insertion order, which depends on which worker ran first: compared as sets.
    const entries = (o: typeof one): string[] => [...o.map('by_saddr').keys()].map((k) => `${k.join('.')}=${o.map('by_saddr').lookup(k)!.join('.')}`).sort();
    expect(entries(pool.object)).toEqual(entries(one));
    expect(entries(one).length).toBeGreaterThan(100);
    const seen = pool.object.map('seen') as unknown as { lookupPerCpu(k: Uint8Array): Uint8Array[] };
    const perCpu = seen.lookupPerCpu(new Uint8Array(4))!.map((v) => Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)));
    expect(perCpu).toHaveLength(3);
    expect(perCpu.reduce((a, b) => a + b, 0)).toBe(list.length);
    // Each worker ran the module the host compiled (jit/reserved.ts), not one of its own.
    await until(() => pool.workerModules.length === 3);
    expect(pool.workerModules).toEqual([1, 1, 1]);
  });

  it('worker threads run the module the host compiled and posted them: one session\'s r0s and maps', async () => {
    const list = packets(2000);
    const one = loadObject(counters);
    const session = one.program('pool_counters').session('xdp', { jit: true });
    const want = list.map((p) => Number(session.run(p, 0, p.length)));
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 2, createWorker: nodePoolWorker, jit: true });
    try {
      const chunks = [];
      for (let i = 0; i < list.length; i += 100) chunks.push(pool.run(batch(list.slice(i, i + 100))));
      const results = await Promise.all(chunks);
      expect(results.flatMap((r) => [...r.r0Low])).toEqual(want);
      const dump = (o: typeof one, name: string): string => JSON.stringify([...o.map(name).keys()].map((k) => [...o.map(name).lookup(k)!]));
      expect(dump(pool.object, 'by_proto')).toEqual(dump(one, 'by_proto'));
      await until(() => pool.workerModules.length === 2 && pool.workerModules.every((n) => n !== undefined));
      expect(pool.workerModules).toEqual([1, 1]);
    } finally {
      pool.close();
    }
  }, 60_000);

  it('with hostRuns the host runs batches it lends its thread to (help): the same results, one per-CPU value more', async () => {
    const list = packets(1200);
    const one = loadObject(counters);
    const session = one.program('pool_counters').session('xdp', { jit: true });
    const want = list.map((p) => Number(session.run(p, 0, p.length)));
    const wantTrace = one.drainTrace();
    await expect(PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, createWorker: inProcessWorker, hostRuns: 'yes' as never })).rejects.toThrow(/options.hostRuns/);
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 2, hostRuns: true, createWorker: inProcessWorker, jit: true });
    expect(pool.cpus).toBe(3);
    const chunks = [];
    for (let i = 0; i < list.length; i += 100) chunks.push(pool.run(batch(list.slice(i, i + 100))));
    // One packet outside its batch's bytes fails alone, wherever its batch runs.
    const bad = batch(list.slice(0, 3));
    bad.starts[1] = bad.data.length;
    chunks.push(pool.run(bad));
    // Sends publish in microtasks; the in-process workers wake in later tasks: the host takes the first
    // batches (deterministically), the workers the rest.
    let helped = 0;
    expect(() => pool.help(-1)).toThrow(/leave/);
    for (let k = 0; k < 1000 && helped < 3; k++) {
      await Promise.resolve();
      // It leaves `leave` published batches for the workers.
      expect(pool.help(100)).toBe(false);
      if (pool.help()) helped++;
    }
    const results = await Promise.all(chunks);
    pool.close();
    expect(helped).toBeGreaterThan(0);
    expect(pool.help()).toBe(false);
    const last = results.pop()!;
    expect(last.errors.map((e) => e.at)).toEqual([1]);
    expect([last.r0Low[0], last.r0Low[2]]).toEqual([want[0], want[2]]);
    expect(results.flatMap((r) => [...r.r0Low])).toEqual(want);
    expect(results.flatMap((r) => r.trace.map((t) => t.line))).toEqual(wantTrace);
    const seen = pool.object.map('seen') as unknown as { lookupPerCpu(k: Uint8Array): Uint8Array[] };
    const perCpu = seen.lookupPerCpu(new Uint8Array(4))!.map((v) => Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)));
    expect(perCpu).toHaveLength(3);
    expect(perCpu[2]).toBeGreaterThan(0);
    expect(perCpu[0]! + perCpu[1]!).toBeGreaterThan(0);
    expect(perCpu.reduce((a, b) => a + b, 0)).toBe(list.length + 2);
  });

  it('help with most runs a batch in parts, going on with it until it is done; its promise settles in the call that ends it', async () => {
    const list = packets(250);
    const one = loadObject(counters);
    const session = one.program('pool_counters').session('xdp', { jit: true });
    const want = list.map((p) => Number(session.run(p, 0, p.length)));
    const wantTrace = one.drainTrace();
    // A worker that never loads: the host runs every batch.
    const silent = { postMessage: () => undefined, onMessage: () => undefined, onError: () => undefined, terminate: () => undefined };
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, hostRuns: true, waitForWorkers: false, createWorker: () => silent, jit: true });
    let settled = false;
    const result = pool.run(batch(list)).then((r) => ((settled = true), r));
    const ticks = async (): Promise<void> => {
      for (let k = 0; k < 5; k++) await Promise.resolve();
    };
    expect(() => pool.help(0, 0)).toThrow(/most/);
    // Sends publish in microtasks.
    let parts = 0;
    for (let k = 0; k < 100 && parts === 0; k++) {
      await Promise.resolve();
      if (pool.help(0, 100)) parts++;
    }
    expect(parts).toBe(1);
    await ticks();
    expect(settled).toBe(false);
    // The host's batch goes on whatever `leave` (nothing else is published).
    expect(pool.help(1000, 100)).toBe(true);
    await ticks();
    expect(settled).toBe(false);
    // The last 50 packets: the batch is done and collected in the call, not by the pool's watcher (a later task).
    expect(pool.help(1000, 100)).toBe(true);
    await ticks();
    expect(settled).toBe(true);
    expect(pool.help(0, 100)).toBe(false);
    const r = await result;
    pool.close();
    expect([...r.r0Low]).toEqual(want);
    expect(r.trace.map((t) => t.line)).toEqual(wantTrace);
    expect(r.trace.map((t) => t.at)).toEqual([...r.trace.map((t) => t.at)].sort((a, b) => a - b));
  });

  it('waitForWorkers: false returns once the host has loaded the object; a worker that then fails to load fails the pool', async () => {
    const list = packets(300);
    const one = loadObject(counters);
    const session = one.program('pool_counters').session('xdp', { jit: true });
    const want = list.map((p) => Number(session.run(p, 0, p.length)));
    await expect(PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, createWorker: inProcessWorker, waitForWorkers: 1 as never })).rejects.toThrow(/options.waitForWorkers/);
    // A worker that never says it loaded: waiting for it would never end; the host runs every batch.
    const silent = { postMessage: () => undefined, onMessage: () => undefined, onError: () => undefined, terminate: () => undefined };
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, hostRuns: true, waitForWorkers: false, createWorker: () => silent, jit: true });
    const chunks = [];
    for (let i = 0; i < list.length; i += 100) chunks.push(pool.run(batch(list.slice(i, i + 100))));
    let helped = 0;
    for (let k = 0; k < 1000 && helped < chunks.length; k++) {
      await Promise.resolve();
      if (pool.help()) helped++;
    }
    const results = await Promise.all(chunks);
    pool.close();
    expect(helped).toBe(chunks.length);
    expect(results.flatMap((r) => [...r.r0Low])).toEqual(want);
    // Workers whose verifier refuses the program (flag_off = 1 keeps the unsafe branch): the batch out fails with their error.
    const failing = await PacketPool.start({
      object: bytes('fixtures/elf/rodata_const.o'),
      program: 'pruned',
      workers: 2,
      createWorker: inProcessWorker,
      load: { verify: 'kernel' },
      waitForWorkers: false,
      setup: (obj) => obj.writeVariable('flag_off', new Uint8Array([1, 0, 0, 0])),
    });
    const refused = await failing.run(batch([new Uint8Array(60)])).catch((e: unknown) => e);
    failing.close();
    expect(refused).toBeInstanceOf(EbpfError);
    expect(String(refused)).toMatch(/worker \d: .*program pruned .*unbounded/);
  });

  it('times each thread\'s first 1000 packets, then about one in 16 (NaN for the others)', async () => {
    const list = packets(500);
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, createWorker: inProcessWorker, jit: true });
    const ns: number[] = [];
    for (let i = 0; i < 12; i++) ns.push(...(await pool.run(batch(list))).ns);
    pool.close();
    expect(ns.slice(0, 1000).every((t) => Number.isFinite(t) && t >= 0)).toBe(true);
    const timed = ns.slice(1000).filter((t) => !Number.isNaN(t)).length;
    expect(timed).toBeGreaterThan(5000 / 32);
    expect(timed).toBeLessThan(5000 / 8);
  });

  it('writes results into shared buffers in place and takes them again for the next batch', async () => {
    const list = packets(300);
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 2, createWorker: inProcessWorker, jit: true });
    const plain = await pool.run(batch(list.slice(0, 150)));
    const shared = PacketPool.sharedBatch(200, 1 << 16);
    const fill = (part: readonly Uint8Array[]): PacketBatch => {
      const b = batch(part);
      shared.data.set(b.data);
      shared.starts.set(b.starts);
      shared.lengths.set(b.lengths);
      return { ...shared, count: part.length };
    };
    // Stale values past count must not matter, and a second batch reuses the same buffers.
    shared.results.r0Low.fill(-7);
    const first = await pool.run(fill(list.slice(0, 150)));
    expect(first.r0Low).toBe(shared.results.r0Low);
    expect([...first.r0Low.subarray(0, 150)]).toEqual([...plain.r0Low]);
    expect(first.r0Low[150]).toBe(-7);
    const second = await pool.run(fill(list.slice(150, 300)));
    expect(second.r0Low).toBe(shared.results.r0Low);
    expect(second.ns.subarray(0, 150).every((n) => n >= 0)).toBe(true);
    const short = { ...shared, count: 150, results: { ...shared.results, ns: new Float64Array(10) } };
    expect(() => pool.run(short)).toThrow(/batch.results .* at least batch.count \(150\) long/);
    expect(() => pool.run({ ...shared, count: 1, results: { ...shared.results, r0Low: new Float64Array(4) as unknown as Int32Array } })).toThrow(/Int32Arrays/);
    expect(() => PacketPool.sharedBatch(0, 10)).toThrow(/packets/);
    // A packet outside the batch's bytes fails alone (the worker does not read it from its own memory).
    const outside = fill(list.slice(0, 3));
    shared.starts[1] = -64;
    const r = await pool.run(outside);
    expect(r.errors.map((e) => e.at)).toEqual([1]);
    expect([r.r0Low[0], r.r0Low[2]]).toEqual([plain.r0Low[0], plain.r0Low[2]]);
    pool.close();
  });

  it('refuses a map workers cannot share, naming it; a closed pool refuses batches', async () => {
    const ring = bytes('fixtures/elf/ringbuf.o');
    // Workers start before the object is read: a refused object stops the ones started.
    let stopped = 0;
    const counted = (): ReturnType<typeof inProcessWorker> => {
      const port = inProcessWorker();
      return { ...port, terminate: () => void (stopped++, port.terminate()) };
    };
    const err = await PacketPool.start({ object: ring, program: loadObject(ring).programs[0]!.name, workers: 2, createWorker: counted }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EbpfError);
    expect(stopped).toBe(2);
    expect(String(err)).toMatch(/map events \(BPF_MAP_TYPE_RINGBUF\) is not shared between workers yet/);
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, createWorker: inProcessWorker });
    pool.close();
    await expect(pool.run(batch([new Uint8Array(60)]))).rejects.toThrow(/closed/);
  });

  it('setup sets read-only data before the workers load: they verify and run with it (libbpf freezes .rodata at load)', async () => {
    const rodata = bytes('fixtures/elf/rodata_const.o');
    const load = { verify: 'kernel' as const };
    const run = async (flagOff: number): Promise<unknown> =>
      PacketPool.start({
        object: rodata,
        program: 'pruned',
        workers: 2,
        createWorker: inProcessWorker,
        load,
        setup: (obj) => obj.writeVariable('flag_off', new Uint8Array([flagOff, 0, 0, 0])),
      }).then(
        async (pool) => {
          const r = await pool.run(batch([new Uint8Array(60)]));
          pool.close();
          return r.r0Low[0];
        },
        (e: unknown) => e,
      );
    // flag_off = 0: the unsafe branch is dead and the program returns 1; set to 1, the workers' verifier must see it.
    expect(await run(0)).toBe(1);
    const refused = await run(1);
    expect(refused).toBeInstanceOf(EbpfError);
    expect(String(refused)).toMatch(/worker 0: .*program pruned .*unbounded/);
    const thrown = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, createWorker: inProcessWorker, setup: () => { throw new Error('no'); } }).catch((e: unknown) => e);
    expect(String(thrown)).toMatch(/no/);
    await expect(PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, createWorker: inProcessWorker, setup: 3 as never })).rejects.toThrow(/options.setup/);
  });
});
