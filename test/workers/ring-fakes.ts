/**
 * Test doubles of pool workers that speak the batch ring's protocol (src/pool/ring.ts) but misbehave:
 * one fails the batches it takes, one takes a batch and never finishes it (a hang), one dies.
 */
import type { InitMessage, PoolPort } from '../../src/pool/protocol.js';
import { BatchRing, SlotStatus } from '../../src/pool/ring.js';

/** What a fake does with each batch it takes (`ring`, the batch's sequence number, a message to the host). */
type OnBatch = (ring: BatchRing, seq: number, post: (m: unknown) => void) => void;

/** A worker that answers `ready` to the init message, then takes a batch whenever it looks (every 2 ms) and calls `onBatch`. */
export function fakeWorker(onBatch: OnBatch): PoolPort {
  let toHost: ((m: unknown) => void) | undefined;
  let onError: ((e: unknown) => void) | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const post = (m: unknown): void => void setTimeout(() => toHost?.(m));
  return {
    postMessage: (message) => {
      const m = message as InitMessage;
      // The host's compiled program (JitMessage) follows a jit pool's init: these fakes run no program.
      if (m.type !== 'init') return;
      const ring = new BatchRing(m.shape, m.ring);
      post({ type: 'ready', fingerprint: m.fingerprint });
      timer = setInterval(() => {
        if (ring.closing) return;
        const seq = ring.claim(m.index);
        if (seq >= 0) onBatch(ring, seq, post);
      }, 2);
    },
    onMessage: (h) => void (toHost = h),
    onError: (h) => void (onError = h),
    terminate: () => clearInterval(timer),
    // Not part of PoolPort: lets a test kill the "thread".
    ...{ die: (e: unknown) => onError?.(e) },
  };
}

/** Fails every batch it takes, as a worker whose run throws something other than an EbpfError. */
export const failingWorker = (): PoolPort =>
  fakeWorker((ring, seq, post) => {
    post({ type: 'error', code: 'E_INTERNAL', message: 'broken on purpose', seq });
    ring.finish(seq % ring.slots, SlotStatus.FAILED);
  });

/** Takes a batch, finishes two packets of it, then never goes on (a worker stuck in a loop). */
export const hangingWorker = (): PoolPort =>
  fakeWorker((ring, seq) => {
    ring.setProgress(seq % ring.slots, 2);
  });
