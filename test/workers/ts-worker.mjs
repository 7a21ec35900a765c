// Starts a TypeScript worker script in a worker thread (tests run from source): registers tsx in this
// thread, then imports the script named by workerData.script.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.script);
