/**
 * The pool's batch ring when things go wrong (issue 17): a worker that fails a batch, one that hangs,
 * one that dies, shutdown with batches out, batches larger than the input area, and the input area's
 * first-in first-out reuse. Each ends with a clear EbpfError, never a hang.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PacketPool, type PacketBatch } from '../../src/pool/pool.js';
import { InputArea } from '../../src/pool/input-area.js';
import { EbpfError } from '../../src/errors.js';
import type { PoolPort } from '../../src/pool/protocol.js';
import { inProcessWorker } from './in-process.js';
import { failingWorker, fakeWorker, hangingWorker } from './ring-fakes.js';

const counters = new Uint8Array(readFileSync(new URL('../fixtures/elf/pool_counters.o', import.meta.url)));

/** `n` 60-byte IPv4 frames in one batch. */
function frames(n: number): PacketBatch {
  const data = new Uint8Array(60 * n);
  const starts = new Int32Array(n);
  const lengths = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    data[60 * i + 12] = 8;
    starts[i] = 60 * i;
    lengths[i] = 60;
  }
  return { data, starts, lengths, count: n };
}

describe('PacketPool batch ring', () => {
  it('a worker that fails a batch rejects that batch with its error; the others run, and so do later batches', async () => {
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 2, createWorker: (i) => (i === 0 ? inProcessWorker() : failingWorker()), jit: true });
    // Workers take batches themselves, so which one gets a batch is a race: rounds of batches until the
    // failing worker has taken one (it polls every 2 ms; a busy host may let the other take a round).
    const results: PromiseSettledResult<unknown>[] = [];
    for (let round = 0; round < 100 && !results.some((r) => r.status === 'rejected'); round++) {
      results.push(...(await Promise.allSettled(Array.from({ length: 12 }, () => pool.run(frames(50))))));
    }
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      expect((f as PromiseRejectedResult).reason).toBeInstanceOf(EbpfError);
      expect(String((f as PromiseRejectedResult).reason)).toMatch(/worker 1: broken on purpose/);
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    // Later batches still run on the worker that works.
    const later = await Promise.allSettled(Array.from({ length: 12 }, () => pool.run(frames(50))));
    expect(later.some((r) => r.status === 'fulfilled')).toBe(true);
    pool.close();
  });

  it('a worker that hangs on a batch stops the pool with an error naming it after stallMs, never a hang', async () => {
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 1, createWorker: hangingWorker, stallMs: 200 });
    const t0 = Date.now();
    const err = await pool.run(frames(10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EbpfError);
    expect(String(err)).toMatch(/no packet finished for 200 ms \(worker 0 is on packet 3 of 10 of a batch\)/);
    expect(Date.now() - t0).toBeLessThan(5000);
    // Every later batch fails alike, at once.
    await expect(pool.run(frames(1))).rejects.toThrow(/no packet finished/);
    pool.close();
  });

  it('a worker that dies fails every batch out; closing rejects batches still out and stops the workers', async () => {
    let port: (PoolPort & { die?: (e: unknown) => void }) | undefined;
    const pool = await PacketPool.start({
      object: counters,
      program: 'pool_counters',
      workers: 1,
      createWorker: () => (port = fakeWorker(() => undefined)),
    });
    const out = pool.run(frames(5));
    await new Promise((r) => setTimeout(r, 20));
    port!.die!(new Error('thread gone'));
    await expect(out).rejects.toThrow(/worker 0 failed: thread gone/);
    const live = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 2, createWorker: inProcessWorker });
    const many = Array.from({ length: 20 }, () => live.run(frames(200)));
    live.close();
    const settled = await Promise.allSettled(many);
    expect(settled.some((s) => s.status === 'rejected' && /closed/.test(String(s.reason)))).toBe(true);
    await expect(live.run(frames(1))).rejects.toThrow(/closed/);
  });

  it('copies batches through a small input area, waiting for room; refuses one larger than it and one over batchPackets', async () => {
    const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 2, createWorker: inProcessWorker, inputBytes: 65536, batchPackets: 512 });
    // 40 batches of 30 KB through 64 KB: each waits for earlier ones to finish.
    const all = await Promise.all(Array.from({ length: 40 }, () => pool.run(frames(500))));
    expect(all.every((r) => r.errors.length === 0 && r.r0Low.length === 500)).toBe(true);
    const huge = { data: new Uint8Array(70_000), starts: new Int32Array([0]), lengths: new Int32Array([70_000]), count: 1 };
    await expect(pool.run(huge)).rejects.toThrow(/does not fit the pool's input area of 65536 bytes \(options.inputBytes\)/);
    expect(() => pool.run(frames(513))).toThrow(/batch.count/);
    // Packets already in the input area run in place.
    const view = pool.reserveInput(600)!;
    const b = frames(10);
    view.set(b.data);
    const inPlace = await pool.run({ ...b, data: view });
    expect([...inPlace.r0Low]).toEqual([...(await pool.run(b)).r0Low]);
    pool.releaseInput(view);
    expect(() => pool.releaseInput(new Uint8Array(4))).toThrow(/reserveInput/);
    pool.close();
  });
});

describe('InputArea', () => {
  it('hands out spans in order, wraps, and frees a span only once those before it are free', () => {
    const a = new InputArea(1000, 100);
    expect(a.reserve(40)).toBe(1000);
    expect(a.reserve(40)).toBe(1040);
    expect(a.reserve(40)).toBe(-1);
    a.release(1040);
    // The first span is still live: the second's release frees nothing yet.
    expect(a.fits(40)).toBe(false);
    a.release(1000);
    expect(a.live).toBe(0);
    expect(a.reserve(60)).toBe(1000);
    expect(a.reserve(30)).toBe(1064);
    a.release(1000);
    // Wraps to the start before the oldest live span.
    expect(a.reserve(50)).toBe(1000);
    expect(a.fits(20)).toBe(false);
    expect(a.reserve(101)).toBe(-1);
  });
});
