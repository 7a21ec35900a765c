/**
 * A pool run whose worker fails or hangs mid-capture (issue 17): the run ends with that worker's error
 * (or the pool's stall error), and the batches still out, rejected when the pool closes, are not
 * unhandled rejections (which crash the CLI with a stack trace instead of its one-line error).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PacketPool } from '../../src/pool/pool.js';
import { runCapturePool } from '../../src/cli/pcap-run-pool.js';
import type { CliIo } from '../../src/cli/io.js';
import { generateCapture } from '../../bench/gen-capture.js';
import { inProcessWorker } from '../workers/in-process.js';
import { failingWorker, hangingWorker } from '../workers/ring-fakes.js';
import { tempFiles } from './helpers.js';

const counters = new Uint8Array(readFileSync(new URL('../fixtures/elf/pool_counters.o', import.meta.url)));

describe('a pool capture run whose worker fails', () => {
  for (const [what, createWorker, pattern] of [
    ['fails', (i: number) => (i === 0 ? inProcessWorker() : failingWorker()), /broken on purpose/],
    ['hangs', (i: number) => (i === 0 ? inProcessWorker() : hangingWorker()), /no packet finished for 300 ms \(worker 1 is on packet 3/],
  ] as const) {
    it(`rejects with the error when a worker ${what}, and leaves no unhandled rejection`, async () => {
      const parts = [...generateCapture({ packets: 40_000, seed: 2, pcapng: false })];
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
      }
      const pcap = join(tempFiles({ 'g.pcap': bytes }), 'g.pcap');
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown): void => void unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      try {
        const pool = await PacketPool.start({ object: counters, program: 'pool_counters', workers: 2, createWorker, jit: true, stallMs: 300 });
        const io: CliIo = { out: () => {}, outBytes: () => {}, err: () => {}, readStdin: async () => new Uint8Array() };
        const request = { programLabel: 'p', programArg: 'p.o', object: pool.object, pcapPath: pcap, mapFiles: [], outPath: undefined, json: true, verbose: false, engineName: 'jit' as const, count: undefined, maxErrors: undefined, kind: 'xdp' as const };
        await expect(runCapturePool(request, pool, io)).rejects.toThrow(pattern);
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
    }, 60_000);
  }
});
