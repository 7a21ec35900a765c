/**
 * The worker side of a packet pool, platform-neutral: attach to the shared memory, load the object at
 * the host's layout (checked by fingerprint), take this worker's own bytes for its stack, context and
 * packet, take the host's compiled program when the host sends it (one module for every thread: jit/reserved.ts), then take batches from the shared ring (pool/ring.ts) and write r0, instructions and time per
 * packet in place, with errors, trace lines, redirects and clones as the batch's extras. A Node host runs it in a `worker_threads`
 * Worker (cli/pool-thread.ts), a browser in a Web Worker.
 * @module
 */
import { EbpfError, ErrorCode } from '../errors.js';
import { loadObject } from '../elf/loader.js';
import { JitEngine } from '../jit/engine.js';
import { VmMemory } from '../vm/memory.js';
import { checkPort, layoutFingerprint, type InitMessage, type JitMessage, type PoolPort } from './protocol.js';
import type { Program } from '../vm/program.js';
import { BatchRing, SlotStatus } from './ring.js';
import { SampleClock, noExtras, runBatch, sessionKind, type BatchRunner } from './run-batch.js';
import { CountsRing, ThreadCounts } from './batch-counts.js';

/** A worker's runner, and what it needs to take the host's compiled program (JitMessage). */
interface Loaded extends BatchRunner {
  readonly jit: JitEngine | undefined;
  readonly program: Program;
  /** This thread's counter of the batches it runs (pool/batch-counts.ts). */
  readonly counts: ThreadCounts;
}

function init(m: InitMessage): Loaded {
  const memory = new VmMemory({ attach: m.memory });
  const jit = m.jit ? new JitEngine() : undefined;
  const obj = loadObject(m.object, { ...m.load, memory, cpus: m.cpus, cpu: m.index, ...(jit !== undefined ? { jitEngine: jit } : {}) });
  const fingerprint = layoutFingerprint(obj);
  if (fingerprint !== m.fingerprint) {
    throw new EbpfError(ErrorCode.INTERNAL, `worker ${m.index} laid the object out differently from the host (its maps would not be shared): ${fingerprint} against ${m.fingerprint}`);
  }
  memory.privateArea(m.base, m.size);
  const info = obj.programs.find((p) => p.name === m.program);
  if (info === undefined) throw new EbpfError(ErrorCode.NO_PROGRAM, `no program named ${m.program}`);
  const runner = obj.program(info.name);
  const session = runner.session(sessionKind(info.type), { jit: m.jit, limits: m.limits });
  return { obj, session, memory, ring: new BatchRing(m.shape, m.ring), index: m.index, clock: new SampleClock(), jit, program: runner.program, counts: new ThreadCounts(new CountsRing(m.shape.slots, m.shape.packets, m.counts)) };
}

const encoder = new TextEncoder();

/** Longest a worker sleeps between looks at the ring (it is woken when a batch is published or the ring closes). */
const IDLE_MS = 1000;

/**
 * Take batches from the ring until the host closes it: the extras go into the slot as JSON when they
 * fit (clones carry packet bytes: always by message), else by message before the slot is finished.
 * A batch that throws something other than an EbpfError (a bug) fails that batch, by message.
 */
async function serveRing(l: BatchRunner, counts: ThreadCounts, port: PoolPort): Promise<void> {
  const ring = l.ring;
  while (!ring.closing) {
    const seq = ring.claim(l.index);
    if (seq < 0) {
      await ring.waitPublished(IDLE_MS);
      continue;
    }
    const slot = seq % ring.slots;
    try {
      const extras = runBatch(l, slot);
      counts.count(ring, slot, extras.errors);
      if (noExtras(extras)) {
        ring.finish(slot, SlotStatus.DONE, 0);
        continue;
      }
      let written = -1;
      if (extras.clones.length === 0) {
        const json = JSON.stringify(extras);
        // Each UTF-16 unit is at most 3 UTF-8 bytes: longer text may not fit, and goes by message.
        if (3 * json.length <= ring.extrasBytes) written = encoder.encodeInto(json, ring.extras[slot]!).written;
      }
      if (written >= 0) ring.finish(slot, SlotStatus.DONE, written);
      else {
        port.postMessage({ type: 'extras', seq, ...extras });
        ring.finish(slot, SlotStatus.DONE_BY_MESSAGE);
      }
    } catch (e) {
      const err = e instanceof EbpfError ? e : undefined;
      port.postMessage({ type: 'error', code: err?.code ?? ErrorCode.INTERNAL, message: err?.message ?? (e instanceof Error ? e.message : String(e)), seq });
      ring.finish(slot, SlotStatus.FAILED);
    }
  }
}

/**
 * Serve a pool's host over `port` (the worker's end): the first message loads the object; then the
 * worker takes batches from the shared ring (pool/ring.ts) until the host closes it. Errors go back as
 * messages; the worker stays up until terminated.
 */
export function servePoolWorker(port: PoolPort): void {
  checkPort(port, 'port');
  let started = false;
  // Loaded, and waiting for the host's compiled program (InitMessage.jitFollows) before taking batches.
  let waiting: Loaded | undefined;
  const serve = (loaded: Loaded): void => {
    serveRing(loaded, loaded.counts, port).catch((e: unknown) => port.postMessage({ type: 'error', code: ErrorCode.INTERNAL, message: e instanceof Error ? e.message : String(e) }));
  };
  port.onMessage((message) => {
    const m = message as InitMessage | JitMessage;
    try {
      if (m.type === 'jit' && started) {
        // After a failed load there is nothing to run (the host has the error).
        const loaded = waiting;
        if (loaded === undefined) return;
        waiting = undefined;
        const taken = loaded.jit === undefined ? 0 : loaded.jit.adopt(loaded.program, m.modules);
        port.postMessage({ type: 'jit', taken });
        serve(loaded);
        return;
      }
      if (m.type !== 'init' || started) throw new EbpfError(ErrorCode.INTERNAL, `unexpected message ${String((m as { type?: unknown }).type)}`);
      started = true;
      const loaded = init(m);
      port.postMessage({ type: 'ready', fingerprint: m.fingerprint });
      if (m.jitFollows === true) waiting = loaded;
      else serve(loaded);
    } catch (e) {
      const err = e instanceof EbpfError ? e : undefined;
      port.postMessage({ type: 'error', code: err?.code ?? ErrorCode.INTERNAL, message: err?.message ?? String(e) });
    }
  });
}
