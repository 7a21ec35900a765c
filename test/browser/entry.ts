/**
 * The browser side of the browser test, bundled by harness.ts into one classic script that runs both
 * as the page's script and as a Web Worker. The page runs the scenario on the main thread with the
 * JIT's async compile path, probes whether a synchronous compile is allowed there, runs the scenario
 * again in a worker (where synchronous compiles are allowed), and POSTs everything to `/result`.
 * @module
 */
import manifest from '../fixtures/conformance/manifest.jsonl';
import firewall from '../../examples/xdp_firewall.o';
import capture from '../../examples/traffic.pcap';
import { DEFAULT_LIMITS, EbpfVmRaw, assemble, loadObject } from '../../src/index.js';
import { JitEngine } from '../../src/jit/engine.js';
import { runScenario, type ErrorFacts, type ScenarioAssets, type ScenarioReport } from './scenario.js';

/** What the page POSTs. */
export interface PageReport {
  readonly window: ScenarioReport;
  /** `new WebAssembly.Module` calls during the main-thread scenario (0: every compile was async). */
  readonly mainThreadSyncModules: number;
  readonly worker: ScenarioReport | { readonly workerError: string };
  /**
   * Synchronous JIT compiles on the main thread (`jitCompile()`), of xdp_firewall and of a long
   * straight-line program: module size, or why the browser refused.
   */
  readonly mainThreadSyncCompile: {
    readonly firewall: SyncCompile;
    readonly large: SyncCompile;
  };
}

/** One synchronous compile's outcome. */
export type SyncCompile = { readonly size: number } | { readonly error: ErrorFacts };

const assets: ScenarioAssets = { manifest, firewall, capture };

function facts(e: unknown): ErrorFacts {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return { name: err.name, ebpf: typeof code === 'string', code: typeof code === 'string' ? code : undefined, pc: undefined, message: err.message };
}

function syncCompile(compile: () => number): SyncCompile {
  try {
    return { size: compile() };
  } catch (e) {
    return { error: facts(e) };
  }
}

/** Chromium once refused synchronous compiles over 4 KB on the main thread: record what it does now. */
function syncCompileProbe(): PageReport['mainThreadSyncCompile'] {
  return {
    firewall: syncCompile(() => new JitEngine().compile(loadObject(firewall).program('xdp_firewall').program, DEFAULT_LIMITS).size),
    large: syncCompile(() => new EbpfVmRaw(assemble(`mov r0, 0\n${'add r0, 3\nxor r0, 5\n'.repeat(20000)}exit`)).jitCompile().size),
  };
}

/** Run `body` counting synchronous `new WebAssembly.Module` calls (the constructor is swapped meanwhile). */
async function countingSyncModules<T>(body: () => Promise<T>): Promise<[T, number]> {
  const original = WebAssembly.Module;
  let count = 0;
  const counting = new Proxy(original, {
    construct(target, args: [BufferSource]) {
      count++;
      return new target(...args);
    },
  });
  Object.defineProperty(WebAssembly, 'Module', { value: counting, configurable: true, writable: true });
  try {
    return [await body(), count];
  } finally {
    Object.defineProperty(WebAssembly, 'Module', { value: original, configurable: true, writable: true });
  }
}

function inWorker(url: string): Promise<PageReport['worker']> {
  return new Promise((resolve) => {
    const worker = new Worker(url);
    worker.onmessage = (event: MessageEvent<ScenarioReport>) => resolve(event.data);
    worker.onerror = (event) => resolve({ workerError: event.message || 'the worker failed to start' });
    worker.postMessage('run');
  });
}

async function post(path: string, body: unknown): Promise<void> {
  await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function page(scriptUrl: string): Promise<void> {
  const status = document.getElementById('status');
  try {
    const [main, mainThreadSyncModules] = await countingSyncModules(() => runScenario(assets, 'window', navigator.userAgent, 'async'));
    const mainThreadSyncCompile = syncCompileProbe();
    const worker = await inWorker(scriptUrl);
    const report: PageReport = { window: main, mainThreadSyncModules, worker, mainThreadSyncCompile };
    if (status !== null) status.textContent = 'done';
    await post('/result', report);
  } catch (e) {
    // Failures outside the scenario's own reporting (a bundling or start-up problem).
    await post('/error', facts(e));
  }
}

if (typeof document === 'undefined') {
  // Web Worker: run on request, with synchronous JIT compiles.
  addEventListener('message', () => {
    void runScenario(assets, 'worker', navigator.userAgent, 'sync').then((report) => postMessage(report));
  });
} else {
  const script = document.currentScript as HTMLScriptElement | null;
  void page(script?.src ?? '/bundle.js');
}
