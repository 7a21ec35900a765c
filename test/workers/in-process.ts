/**
 * A pool worker in the test's own thread (a second VmMemory attached to the same shared memory):
 * messages cross in later tasks as they would between threads, without starting a thread.
 */
import type { PoolPort } from '../../src/pool/protocol.js';
import { servePoolWorker } from '../../src/pool/worker.js';

/** The host's end of an in-process pool worker. */
export function inProcessWorker(): PoolPort {
  let toWorker: ((m: unknown) => void) | undefined;
  let toHost: ((m: unknown) => void) | undefined;
  let stopped = false;
  servePoolWorker({
    postMessage: (m) => void setTimeout(() => stopped || toHost?.(m)),
    onMessage: (h) => void (toWorker = h),
    onError: () => {},
    terminate: () => void (stopped = true),
  });
  return {
    postMessage: (m) => void setTimeout(() => stopped || toWorker?.(m)),
    onMessage: (h) => void (toHost = h),
    onError: () => {},
    terminate: () => void (stopped = true),
  };
}
