/**
 * `--workers N` for `tsbpf run OBJ.o --pcap FILE`: checks what a pool run supports, starts a
 * {@link PacketPool} of Node worker threads and runs the capture through it (pcap-run-pool.ts).
 * @module
 */
import type { BpfObject, LoadOptions } from '../elf/loader.js';
import { EbpfError } from '../errors.js';
import { PacketPool } from '../pool/pool.js';
import type { RunLimits } from '../vm/environment.js';
import { UsageError } from './args.js';
import type { CliIo } from './io.js';
import type { VerdictKind } from './packet-engine.js';
import { BATCH_PACKETS, runCapturePool } from './pcap-run-pool.js';
import { preloadMaps, type CaptureRunRequest } from './pcap-run.js';
import { nodePoolWorker } from './pool-node.js';
import { InputError } from './input.js';

/** What a worker run needs besides the capture request. */
export interface WorkersRun {
  readonly workers: number;
  readonly bytes: Uint8Array;
  readonly program: string;
  readonly load: LoadOptions;
  readonly jit: boolean;
  readonly limits: Partial<RunLimits>;
}

/** Run the capture on `w.workers` threads; usage errors name the flags a pool run does not take yet. */
export async function runCaptureWorkers(req: Omit<CaptureRunRequest, 'engine' | 'object'>, w: WorkersRun, io: CliIo): Promise<number> {
  const refuse = (what: string): never => {
    throw new UsageError(`${what} with --workers ${w.workers} is not supported yet: run with --workers 1`);
  };
  if (req.outPath !== undefined) refuse('--out');
  if (req.outRedirect !== undefined) refuse('--out-redirect');
  if (w.load.helpers !== undefined) refuse('--helper');
  if (w.load.kfuncs !== undefined) refuse('--kfunc');
  // A socket table is an object with its own state per process, which workers cannot share yet.
  if (w.load.sockets !== undefined) refuse('--sockets');
  let pool: PacketPool;
  // --map files go into the host's object before the workers load it: their loads freeze .rodata.
  let setupError: unknown;
  const setup = (obj: BpfObject): void => {
    try {
      preloadMaps(obj, req.mapFiles);
    } catch (e) {
      setupError = e;
      throw e;
    }
  };
  try {
    const { helpers: _h, ...load } = w.load;
    // This thread is one of the N that run packets: N - 1 workers, and the host between its reads,
    // which starts on the first batches while the workers still load the object.
    pool = await PacketPool.start({ object: w.bytes, program: w.program, workers: w.workers - 1, hostRuns: true, waitForWorkers: false, createWorker: nodePoolWorker, load, jit: w.jit, limits: w.limits, setup, batchPackets: BATCH_PACKETS });
  } catch (e) {
    if (e === setupError) throw e;
    if (e instanceof EbpfError) throw new InputError(`${e.code}: ${e.message}`);
    throw e;
  }
  const info = pool.program;
  const kind: VerdictKind = info.type === 'xdp' ? 'xdp' : info.type === 'socket' ? 'socket' : info.type === 'tc' ? 'tc' : 'raw';
  return runCapturePool({ ...req, mapFiles: [], object: pool.object, kind, programLabel: `${info.name} (${info.section})` }, pool, io);
}
