/**
 * A packet pool's worker thread (Node): serves the pool's host over the thread's parent port.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { servePoolWorker } from '../pool/worker.js';

const port = parentPort;
if (port !== null) {
  servePoolWorker({
    postMessage: (message, transfer) => port.postMessage(message, transfer as ArrayBuffer[] | undefined),
    onMessage: (handler) => void port.on('message', handler),
    onError: () => {},
    terminate: () => port.close(),
  });
}
