/**
 * `tsbpf run OBJ.o --pcap FILE --workers N`: the capture runner over a {@link PacketPool}. The capture
 * is read here and cut into batches that workers run over one shared memory; the thread that runs a batch
 * counts its verdicts' r0 values, instruction counts and run times (pool/batch-counts.ts), merged here, and
 * what needs capture order (failures, trace lines, --verbose, --max-errors, redirects) is taken in capture
 * order from the batches' extras and per-packet results, so verdict counts, failures, trace lines, redirect and clone targets are
 * those of one worker for programs whose results do not depend on the order packets run in (maps are
 * shared as in the kernel: two packets may run at once). The report is capture-report.ts's.
 * @module
 */
import { PacketPool, type BatchResult } from '../pool/pool.js';
import { EbpfError, ErrorCode } from '../errors.js';
import type { BatchBuffers, PacketError } from '../pool/protocol.js';
import { feedCapture } from './capture-io.js';
import { InstructionCounts, LatencyHistogram, VerdictCounts } from './capture-stats.js';
import type { RunOutcome } from '../vm/environment.js';
import type { CliIo } from './io.js';
import { saveMapState } from './map-state.js';
import { isRedirect, judge, verdictName, type Judgement, type PacketEngine, type VerdictKind } from './packet-engine.js';
import { TargetCounts, cloneTarget, redirectTarget } from './capture-redirects.js';
import { MAX_TRACE_LINES, captureJson, captureText, type CaptureTally, type PacketFailure } from './capture-report.js';
import { preloadMaps, type CaptureRunRequest } from './pcap-run.js';
import { MAX_PER_PACKET, cliHint } from './capture-pass.js';
import { CaptureScan } from './capture-scan.js';

/**
 * Packets per batch the CLI's pool takes (PacketPoolOptions.batchPackets; a batch also ends with the
 * reader's buffer, about 12,000 packets of 330 bytes): each batch costs a wake-up of the host (Atomics.notify, which took milliseconds of a worker's
 * time on a loaded machine), a promise and a copy of its results, so batches are as large as a buffer.
 */
export const BATCH_PACKETS = 16384;
/** Smallest buffer the capture is read into. */
const READ_BYTES = 4 << 20;
/** Most bytes one read of the capture adds (capture-io.ts reads a file a megabyte at a time; stdin's chunks are smaller). */
const READ_CHUNK = 1 << 20;
/** Batches out per thread that runs packets: one running, the next waiting, so a worker never waits for the host. */
const PER_WORKER = 3;
/**
 * Packets this thread runs at most between two looks at the capture and the batches out
 * (PacketPool.help's `most`): a few hundred microseconds once its code is optimised, a few
 * milliseconds before, so the workers are never long without a batch to take.
 */
const HOST_PART = 1024;
const MAX_ERRORS_KEPT = 10;
const WARMUP = 1000;

/** A pool run's request: the one-worker request without the engine (the pool runs the packets). */
export type PoolCaptureRequest = Omit<CaptureRunRequest, 'engine'> & { readonly kind: VerdictKind };

/**
 * The buffers the capture is read into: spans of the pool's input area (its shared memory), which
 * batches hand to workers as they are, so the host copies no packet. The reader takes a new one when
 * its buffer is full (CaptureReaderOptions.buffers) and never writes over what it read, so a buffer is
 * free again once the reader has moved on and every batch that reads it has been counted. When the
 * area has no room (a record larger than it, or stdin read whole), a plain buffer is taken instead and
 * the pool copies each of its batches in.
 */
class ReadBuffers {
  private readonly users = new Map<Uint8Array, number>();
  private reading: Uint8Array | undefined;

  constructor(private readonly pool: PacketPool) {}

  /** The reader's next buffer, of at least `bytes` bytes. */
  readonly take = (bytes: number): Uint8Array => {
    const size = Math.max(bytes, READ_BYTES);
    const next = this.pool.reserveInput(size) ?? new Uint8Array(size);
    const last = this.reading;
    this.reading = next;
    if (last !== undefined && !this.users.has(last)) this.free(last);
    return next;
  };

  /** Bytes the next buffer should have room for (0: the reader's buffer has room for another chunk). */
  needed(reader: { bufferNeeded(n: number): number }): number {
    const n = reader.bufferNeeded(READ_CHUNK);
    return n === 0 ? 0 : Math.max(n, READ_BYTES);
  }

  private free(b: Uint8Array): void {
    if (b.buffer instanceof SharedArrayBuffer) this.pool.releaseInput(b);
  }

  /** A batch reads `b`. */
  use(b: Uint8Array): void {
    this.users.set(b, (this.users.get(b) ?? 0) + 1);
  }

  /** A batch that read `b` was counted. */
  done(b: Uint8Array): void {
    const n = this.users.get(b)! - 1;
    if (n > 0) this.users.set(b, n);
    else {
      this.users.delete(b);
      if (b !== this.reading) this.free(b);
    }
  }
}

/** A batch being filled: packets of one of the reader's buffers, and arrays for the results. */
class BatchBuilder {
  /** The reader's buffer the packets are in (undefined until the first). */
  data: Uint8Array | undefined;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
  readonly results: BatchBuffers;
  /** `size`: packets it holds at most (the pool's batchPackets). */
  constructor(readonly size: number) {
    this.starts = new Int32Array(size);
    this.lengths = new Int32Array(size);
    this.results = { r0Low: new Int32Array(size), r0High: new Int32Array(size), instructions: new Float64Array(size), ns: new Float64Array(size) };
  }
  count = 0;
  /** The capture's number (from 1) of the batch's first packet. */
  first = 0;

  /** Empty, to be filled again. */
  reset(): this {
    this.count = 0;
    this.data = undefined;
    return this;
  }

  /** Begin with packet `number` of the capture, in the reader's buffer `data` (the batch is empty). */
  begin(data: Uint8Array, number: number): void {
    this.data = data;
    this.first = number;
  }

  /** Add the next packet of the capture, at `start` in {@link data}. */
  add(start: number, length: number): void {
    this.starts[this.count] = start;
    this.lengths[this.count] = length;
    this.count++;
  }
}

/**
 * Take packets from `scan` into `batch` until the chunk fed so far is used up (`'more'`), the capture
 * ends (`'stop'`: CaptureScan.next), the batch is full (`'full'`) or the packet just taken is in
 * another of the reader's buffers than the batch's (`'moved'`: not added, a batch reads one buffer).
 * The per-packet part of the host's loop, kept apart from the loop's awaits and per-batch work so that
 * V8 optimises this small function once instead of recompiling the whole loop (with everything inlined
 * into it) each time a rarer path is first met.
 */
function fill(scan: CaptureScan, batch: BatchBuilder): 'more' | 'stop' | 'full' | 'moved' {
  const reader = scan.reader;
  for (;;) {
    const taken = scan.next();
    if (taken !== 'packet') return taken;
    if (batch.data !== reader.buffer) return 'moved';
    batch.add(reader.dataOffset, reader.dataLength);
    if (batch.count === batch.size) return 'full';
  }
}

/**
 * Why `--max-errors` stopped a pool run: as one thread says it, and how many packets after the last
 * counted one other threads had already run (not counted; their map updates stay, as a kernel's
 * other CPUs' would).
 */
function maxErrorsReason(failed: number, maxErrors: number, ranAfter: number): string {
  const why = `stopped after ${failed} failed ${failed === 1 ? 'packet' : 'packets'} (--max-errors ${maxErrors})`;
  return ranAfter === 0 ? why : `${why}; ${ranAfter} later ${ranAfter === 1 ? 'packet' : 'packets'} had already run on other threads (not counted; their map updates stay)`;
}

/** Run the capture through the pool and print the report; returns the exit code, as runCapture. */
export async function runCapturePool(req: PoolCaptureRequest, pool: PacketPool, io: CliIo): Promise<number> {
  const obj = req.object!;
  preloadMaps(obj, req.mapFiles);
  const kind = req.kind;
  const verdicts = new VerdictCounts();
  const redirects = new TargetCounts();
  const clones = new TargetCounts();
  let clonesNotKept = 0;
  const trace: { packet: number; line: string }[] = [];
  let traceLines = 0;
  const failures: PacketFailure[] = [];
  let failed = 0;
  // --max-errors: the packet whose failure stopped the run; later packets other threads had already run are not counted.
  const maxErrors = req.maxErrors ?? Number.POSITIVE_INFINITY;
  let lastCounted = Number.POSITIVE_INFINITY;
  let ranAfterStop = 0;
  const report = io.out.bind(io);
  const buffers = new ReadBuffers(pool);
  const scan = new CaptureScan(req.pcapPath, req.count ?? Number.POSITIVE_INFINITY, { buffers: buffers.take });
  const reader = scan.reader;
  const warm = new LatencyHistogram();
  const steady = new LatencyHistogram();
  const judged: Judgement = { verdict: 0, passed: false, end: 0 };
  const outcome: RunOutcome = { r0Low: 0, r0High: 0, instructions: Number.NaN };
  const instructions = new InstructionCounts();
  // judge() reads where the packet ends; the pool does not send packets back.
  const noPacket = { outStart: 0, outEnd: 0 } as PacketEngine;
  // `settled`: its result has come (set by the result's promise), so taking it does not wait.
  const queue: { first: number; batch: BatchBuilder; result: Promise<BatchResult>; settled: boolean }[] = [];
  // Batches whose results were counted, filled again (new buffers per batch cost the host more than counting).
  const spare: BatchBuilder[] = [];
  const fresh = (): BatchBuilder => spare.pop()?.reset() ?? new BatchBuilder(pool.batchPackets);
  let batch = fresh();

  const perPacket: { packet: number; verdict: string; length: number }[] = [];
  // --verbose: each packet's verdict, as the one-worker run lists it.
  const listed = (number: number, verdict: number | bigint | string, length: number): void => {
    const name = verdictName(kind, verdict);
    if (req.json) {
      if (perPacket.length < MAX_PER_PACKET) perPacket.push({ packet: number, verdict: name, length });
    } else report(`  #${number} ${name} (${length} bytes)\n`);
  };
  // Run time per packet from the batch's counts, in any order: each timed packet stands for the untimed ones its thread ran before it; the capture's first WARMUP packets are the warm-up.
  const times = (first: number, r: BatchResult): void => {
    const t = r.counts!.timed;
    for (let k = 0; k < t.at.length; k++) {
      const number = first + t.at[k]!;
      if (number > lastCounted) break;
      (number <= WARMUP ? warm : steady).add(t.ns[k]!, t.weight[k]!);
    }
  };
  // A batch whose counts stand for its packets (the usual case): verdicts and instructions from its distinct values, failures and trace lines from its extras; false when it needs the walk below.
  const fromCounts = (first: number, r: BatchResult): boolean => {
    const c = r.counts;
    if (c?.r0 === undefined || req.verbose || r.redirects.length > 0 || r.clones.length > 0 || failed + r.errors.length >= maxErrors) return false;
    const { low, high, packets } = c.r0;
    for (let j = 0; j < low.length; j++) {
      outcome.r0Low = low[j]!;
      outcome.r0High = high[j]!;
      verdicts.add(judge(kind, outcome, noPacket, judged).verdict, packets[j]!);
    }
    const ins = c.instructions;
    for (let j = 0; j < ins.counts.length; j++) instructions.add(ins.counts[j]!, ins.packets[j]!);
    for (const err of r.errors) {
      failed++;
      keepFailure(first + err.at, err);
    }
    for (const t of r.trace) keepTrace(first + t.at, t.line);
    return true;
  };
  // A failed packet's verdict and, while room is left, its report (`failed` is counted by the caller).
  const keepFailure = (number: number, err: PacketError): void => {
    verdicts.add(`error ${err.code}`);
    if (failures.length < MAX_ERRORS_KEPT) failures.push({ packet: number, code: err.code as PacketFailure['code'], pc: err.pc, message: cliHint(err.message) });
  };
  const keepTrace = (number: number, line: string): void => {
    traceLines++;
    if (trace.length < MAX_TRACE_LINES) trace.push({ packet: number, line });
  };
  const tally = (first: number, b: BatchBuilder, r: BatchResult): void => {
    const count = b.count;
    if (lastCounted !== Number.POSITIVE_INFINITY) {
      // After the packet --max-errors stopped at: run by other threads, not counted.
      ranAfterStop += count;
      return;
    }
    if (!fromCounts(first, r)) walk(first, b, r);
    times(first, r);
  };
  // Packet by packet in capture order: --verbose, a batch where --max-errors stops, redirects and clones, more r0 values than the counts hold.
  const walk = (first: number, b: BatchBuilder, r: BatchResult): void => {
    if (!r.perPacket) throw new EbpfError(ErrorCode.INTERNAL, 'a pool batch came back without its per-packet results');
    const count = b.count;
    let e = 0;
    let red = 0;
    let cl = 0;
    let tr = 0;
    for (let i = 0; i < count; i++) {
      const number = first + i;
      if (number > lastCounted) {
        ranAfterStop++;
        continue;
      }
      const err = r.errors[e];
      if (err !== undefined && err.at === i) {
        e++;
        failed++;
        if (failed >= maxErrors) {
          lastCounted = number;
          scan.stop(maxErrorsReason(failed, maxErrors, 0));
        }
        keepFailure(number, err);
        if (req.verbose) listed(number, `error ${err.code}`, b.lengths[i]!);
      } else {
        outcome.r0Low = r.r0Low[i]!;
        outcome.r0High = r.r0High[i]!;
        judge(kind, outcome, noPacket, judged);
        const n = r.instructions[i]!;
        if (n === n) instructions.add(n);
        const verdict = judged.verdict;
        verdicts.add(verdict);
        if (req.verbose) listed(number, verdict, b.lengths[i]!);
        const rd = r.redirects[red];
        if (rd !== undefined && rd.at === i) {
          red++;
          if (isRedirect(kind, verdict)) redirects.add(redirectTarget(rd.redirect));
        }
        const c = r.clones[cl];
        if (c !== undefined && c.at === i) {
          cl++;
          for (const copy of c.clones) clones.add(cloneTarget(copy));
          clonesNotKept += c.dropped;
        }
      }
      while (tr < r.trace.length && r.trace[tr]!.at === i) keepTrace(number, r.trace[tr++]!.line);
    }
  };
  const settleOne = async (): Promise<void> => {
    const head = queue.shift()!;
    const result = await head.result;
    tally(head.first, head.batch, result);
    buffers.done(head.batch.data!);
    spare.push(head.batch);
  };
  // While the batches out are all the pool takes, this thread runs part of one (PacketPoolOptions.hostRuns)
  // rather than wait, and takes the oldest batch's result as soon as it has come, to go back to reading.
  const settleOrHelp = async (): Promise<void> => {
    // One batch per worker is left unclaimed: a worker that finishes takes it at once.
    if (queue[0]!.settled || !pool.help(pool.workers, HOST_PART)) await settleOne();
  };
  const send = async (): Promise<void> => {
    if (batch.count === 0) return;
    const b = batch;
    batch = fresh();
    // Counted in the thread that runs the batch; --verbose lists every packet, so it takes the per-packet results too.
    const result = pool.run({ data: b.data!, starts: b.starts, lengths: b.lengths, count: b.count, results: b.results, counts: req.verbose ? 'also' : 'only' });
    // Not from scan.packets: the reader may already hold the next buffer's first packet, which is not in this batch.
    const entry = { first: b.first, batch: b, result, settled: false };
    // Awaited in order by settleOne; when an earlier batch fails, the run stops and closing the pool
    // rejects this one unawaited, which must not become an unhandled rejection (a crash with a stack).
    const settled = (): void => void (entry.settled = true);
    result.then(settled, settled);
    queue.push(entry);
    while (queue.length >= pool.cpus * PER_WORKER) await settleOrHelp();
  };

  const cpu0 = process.cpuUsage();
  // Milliseconds since the process started (Node's performance.timeOrigin): the start-up before the loop, the pool's start included.
  const wall0 = performance.now();
  try {
    loop: for await (const _ of feedCapture(req.pcapPath, io, reader)) {
      for (;;) {
        // --max-errors stops at a batch's tally, which runs only while this loop awaits.
        if (lastCounted !== Number.POSITIVE_INFINITY) break loop;
        const filled = fill(scan, batch);
        if (filled === 'more') break;
        if (filled === 'stop') break loop;
        if (filled === 'moved') {
          await send();
          batch.begin(reader.buffer, scan.packets);
          buffers.use(reader.buffer);
          batch.add(reader.dataOffset, reader.dataLength);
          if (batch.count < batch.size) continue;
        }
        await send();
      }
      // The next chunk may need a new buffer: make room for it in the input area while batches finish.
      const need = buffers.needed(reader);
      while (need > 0 && !pool.inputFits(need) && queue.length > 0) await settleOrHelp();
    }
    scan.end();
    if (lastCounted === Number.POSITIVE_INFINITY) await send();
    while (queue.length > 0) await settleOrHelp();
    if (ranAfterStop > 0) scan.stop(maxErrorsReason(failed, maxErrors, ranAfterStop));
  } finally {
    pool.close();
  }
  const usage = process.cpuUsage(cpu0);
  const loopSeconds = (performance.now() - wall0) / 1000;
  if (req.saveMaps !== undefined) saveMapState(obj, req.saveMaps);
  scan.checkRead();
  const { stopped } = scan;
  const packets = Math.min(scan.packets, lastCounted);
  const t: CaptureTally = {
    packets,
    verdicts: verdicts.entries().map(([k, n]) => [verdictName(kind, k), n] as const),
    redirects: { targets: redirects.entries(), other: redirects.other },
    clones: { targets: clones.entries(), other: clones.other, notKept: clonesNotKept },
    warm,
    steady,
    cpuSeconds: (usage.user + usage.system) / 1e6,
    loopSeconds,
    startupSeconds: wall0 / 1000,
    complete: scan.complete,
    stopped,
    failed,
    failures,
    traceLines,
    trace,
    events: [],
    instructions,
    out: undefined,
    outRedirect: undefined,
    perPacket,
  };
  const full = { ...req, engine: noPacket };
  report(req.json ? captureJson(full, t) : captureText(full, t));
  return failed > 0 || stopped !== undefined ? 1 : 0;
}
