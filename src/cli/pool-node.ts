/**
 * Workers of a packet pool as Node `worker_threads` (the CLI's `--workers N`): each runs
 * pool-thread.js beside this module (dist/cli/, which also holds the bundled CLI: the path holds from
 * either). Run from the TypeScript sources (tests), a thread first registers tsx.
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { PoolPort } from '../pool/protocol.js';
import { takePrespawnedWorker } from './pool-prespawn.js';

const fromSource = import.meta.url.endsWith('.ts');
const script = new URL(fromSource ? './pool-thread.ts' : './pool-thread.js', import.meta.url);

/**
 * Start one pool worker thread and return the host's end of it: one the launcher started ahead
 * (cli/pool-prespawn.ts) when there is one, else a new one.
 */
export function nodePoolWorker(): PoolPort {
  const ahead = takePrespawnedWorker();
  const worker =
    ahead?.worker ??
    (fromSource
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(script.href)}); });`, { eval: true })
      : new Worker(script));
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer as ArrayBuffer[] | undefined),
    onMessage: (handler) => void worker.on('message', handler),
    onError: (handler) => {
      worker.on('error', handler);
      // An error the thread reported before it was taken (it failed to load its bundle, for instance).
      if (ahead?.error !== undefined) queueMicrotask(() => handler(ahead.error));
    },
    terminate: () => void worker.terminate(),
  };
}
