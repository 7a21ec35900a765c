/**
 * A batch counted by the thread that ran it (pool/batch-counts.ts): the counts a host reads stand for
 * the per-packet results (r0 values, instruction counts, timed packets with the untimed ones each stands
 * for), failed packets left out; more distinct r0 values than the counts hold give none. Then through a
 * PacketPool: `counts: 'only'` gives the verdicts of the per-packet run, and the per-packet arrays only
 * where the batch needs them.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BatchRing } from '../../src/pool/ring.js';
import { CountsRing, R0_VALUES, ThreadCounts, type BatchCounts } from '../../src/pool/batch-counts.js';
import { PacketPool, type PacketBatch } from '../../src/pool/pool.js';
import { loadObject } from '../../src/elf/loader.js';
import { generateCapture } from '../../bench/gen-capture.js';
import { iteratePackets } from '../../src/pcap/index.js';
import { inProcessWorker } from './in-process.js';

const shape = { slots: 2, packets: 64, extrasBytes: 16 };

/** Write a batch's per-packet results into `slot` of a ring, as a thread that ran it would. */
function ran(ring: BatchRing, slot: number, r0: [number, number][], instructions: number[], ns: number[]): void {
  ring.publish(slot, r0.length);
  r0.forEach(([lo, hi], i) => {
    ring.r0Low[slot]![i] = lo;
    ring.r0High[slot]![i] = hi;
    ring.instructions[slot]![i] = instructions[i]!;
    ring.ns[slot]![i] = ns[i]!;
  });
}

/** The counts as plain sorted pairs, to compare. */
function plain(c: BatchCounts): { r0: string[] | undefined; instructions: string[]; timed: number[][] } {
  return {
    r0: c.r0 === undefined ? undefined : [...c.r0.low].map((lo, j) => `${lo}/${c.r0!.high[j]}:${c.r0!.packets[j]}`).sort(),
    instructions: [...c.instructions.counts].map((n, j) => `${n}:${c.instructions.packets[j]}`).sort(),
    timed: [...c.timed.at].map((at, k) => [at, c.timed.ns[k]!, c.timed.weight[k]!]),
  };
}

describe('batch counts', () => {
  it('stand for the per-packet results: r0 values, instruction counts, timed packets with their weights; failed packets left out', () => {
    const ring = new BatchRing(shape);
    const counts = new CountsRing(shape.slots, shape.packets);
    const worker = new ThreadCounts(new CountsRing(shape.slots, shape.packets, counts.buffer));
    const N = Number.NaN;
    ran(ring, 0, [[2, 0], [2, 0], [1, 0], [2, 0], [0, 0], [1, -1], [2, 0]], [10, 10, 7, 5000, 0, 7, 10], [100, N, N, 300, N, 50, N]);
    counts.request(0, true);
    // Packet 4 failed (r0 0, instructions NaN as the runner writes them).
    ring.instructions[0]![4] = Number.NaN;
    worker.count(ring, 0, [{ at: 4, code: 'E_X', message: 'x', pc: 1 }]);
    expect(plain(counts.read(0))).toEqual({
      r0: ['1/-1:1', '1/0:1', '2/0:4'],
      instructions: ['10:3', '5000:1', '7:2'],
      timed: [
        [0, 100, 1],
        [3, 300, 3],
        [5, 50, 2],
      ],
    });
    // The next batch: the untimed packet at the end of the last one is carried; a batch not asked for is not counted.
    ran(ring, 1, [[3, 0]], [4], [20]);
    counts.request(1, false);
    worker.count(ring, 1, []);
    ran(ring, 1, [[3, 0]], [4], [20]);
    counts.request(1, true);
    worker.count(ring, 1, []);
    expect(plain(counts.read(1))).toEqual({ r0: ['3/0:1'], instructions: ['4:1'], timed: [[0, 20, 2]] });
  });

  it(`give no r0 values for a batch of more than ${R0_VALUES} distinct ones (its per-packet r0 is read instead)`, () => {
    const ring = new BatchRing(shape);
    const counts = new CountsRing(shape.slots, shape.packets);
    const worker = new ThreadCounts(counts);
    const n = R0_VALUES + 1;
    const r0 = Array.from({ length: n }, (_, i): [number, number] => [i, 0]);
    ran(ring, 0, r0, r0.map(() => 3), r0.map(() => 9));
    counts.request(0, true);
    worker.count(ring, 0, []);
    const c = counts.read(0);
    expect(c.r0).toBeUndefined();
    expect(plain(c).instructions).toEqual([`3:${n}`]);
    // Exactly as many as it holds: all of them.
    ran(ring, 1, r0.slice(1), r0.slice(1).map(() => 3), r0.slice(1).map(() => 9));
    counts.request(1, true);
    worker.count(ring, 1, []);
    expect(counts.read(1).r0!.low).toHaveLength(R0_VALUES);
  });

  it("through a pool: counts 'only' give the per-packet run's r0 values, and per-packet arrays only where needed", async () => {
    const counters = new Uint8Array(readFileSync(new URL('../fixtures/elf/pool_counters.o', import.meta.url)));
    const parts = [...generateCapture({ packets: 1200, seed: 4, pcapng: false })];
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    const list = [...iteratePackets(all)].map((p) => p.data.slice());
    const session = loadObject(counters).program('pool_counters').session('xdp', { jit: true });
    const want = new Map<number, number>();
    for (const p of list) {
      const r0 = Number(session.run(p, 0, p.length));
      want.set(r0, (want.get(r0) ?? 0) + 1);
    }
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 2, hostRuns: true, createWorker: inProcessWorker, jit: true });
    const batch = (from: number, to: number, counts: PacketBatch['counts']): PacketBatch => {
      const ps = list.slice(from, to);
      const data = new Uint8Array(ps.reduce((a, p) => a + p.length, 0));
      const starts = new Int32Array(ps.length);
      const lengths = new Int32Array(ps.length);
      let o = 0;
      ps.forEach((p, i) => {
        data.set(p, o);
        starts[i] = o;
        lengths[i] = p.length;
        o += p.length;
      });
      return { data, starts, lengths, count: ps.length, ...(counts === undefined ? {} : { counts }) };
    };
    const chunks = [];
    for (let i = 0; i < list.length; i += 100) chunks.push(pool.run(batch(i, i + 100, i === 0 ? 'also' : 'only')));
    // The host runs some batches itself (its own counter).
    for (let k = 0; k < 200; k++) {
      await Promise.resolve();
      pool.help();
    }
    const plainRun = pool.run(batch(0, 100, undefined));
    const results = await Promise.all(chunks);
    const got = new Map<number, number>();
    let timed = 0;
    for (const r of results) {
      const c = r.counts!;
      c.r0!.low.forEach((lo, j) => got.set(lo, (got.get(lo) ?? 0) + c.r0!.packets[j]!));
      timed += c.timed.weight.reduce((a, b) => a + b, 0);
    }
    expect(got).toEqual(want);
    expect(timed).toBeGreaterThan(list.length - 3 * 32);
    // 'also' keeps the per-packet arrays; 'only' leaves them out; no counts: none asked for.
    expect([results[0]!.perPacket, results[0]!.r0Low.length]).toEqual([true, 100]);
    expect([results[1]!.perPacket, results[1]!.r0Low.length]).toEqual([false, 0]);
    const p = await plainRun;
    expect([p.perPacket, p.counts]).toEqual([true, undefined]);
    expect([...p.r0Low]).toEqual([...results[0]!.r0Low]);
    pool.close();
  });
});
