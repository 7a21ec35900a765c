/**
 * Pool worker threads started before the command line itself is loaded. A worker thread takes about
 * 20 ms to boot and 40 ms more to load its bundle (pool-thread.js), and the CLI's own bundle takes
 * 60-100 ms to load before it parses its arguments: started by the small launcher (cli/launch.ts) as
 * soon as the arguments ask for `run ... --workers N`, the threads boot on the other cores while this
 * one loads the CLI, reads the object and loads it, instead of after. The CLI's pool
 * (cli/pool-node.ts) takes them from a stash on `globalThis` (the launcher and the CLI are separate
 * bundles, so a module's own variables are not shared); threads it does not take (a run that fails
 * before its pool starts) are unreferenced and do not keep the process alive.
 * @module
 */
import { Worker } from 'node:worker_threads';

/** A thread started ahead, and the error it reported before the pool took it, if any. */
export interface PrespawnedWorker {
  readonly worker: Worker;
  error?: unknown;
}

const STASH = Symbol.for('tsbpf.prespawnedPoolWorkers');

function stash(): PrespawnedWorker[] {
  const g = globalThis as { [STASH]?: PrespawnedWorker[] };
  return (g[STASH] ??= []);
}

/**
 * Worker threads a command line will start: N - 1 for `run ... --workers N` (N from 2 to 64, the last
 * `--workers` given, as the CLI's parser takes it), else 0. Arguments after `--` are not options.
 */
export function workersRequested(argv: readonly string[]): number {
  if (argv[0] !== 'run') return 0;
  let value: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--workers') value = argv[++i];
    else if (a.startsWith('--workers=')) value = a.slice('--workers='.length);
  }
  if (value === undefined || !/^[0-9]+$/.test(value)) return 0;
  const n = Number(value);
  return n >= 2 && n <= 64 ? n - 1 : 0;
}

/** Start the worker threads `argv` asks for (see {@link workersRequested}) on `script`; returns how many. */
export function prespawnPoolWorkers(argv: readonly string[], script: URL): number {
  const n = workersRequested(argv);
  const list = stash();
  for (let i = 0; i < n; i++) {
    const entry: PrespawnedWorker = { worker: new Worker(script) };
    entry.worker.on('error', (e) => (entry.error ??= e));
    entry.worker.unref();
    list.push(entry);
  }
  return n;
}

/** A thread started ahead, now the caller's (referenced again), or undefined when none is left. */
export function takePrespawnedWorker(): PrespawnedWorker | undefined {
  const entry = stash().shift();
  entry?.worker.ref();
  return entry;
}
