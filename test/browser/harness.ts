/**
 * Runs the browser entry in a real headless Chromium: bundles test/browser/entry.ts with esbuild,
 * serves a page and the bundle from a loopback HTTP server on a random port, starts Chromium on it
 * with a fresh profile, and waits for the page to POST its report (or fails after a timeout, so a
 * hung browser cannot hang the suite). No browser driver: the page talks back over plain HTTP.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { PageReport } from './entry.js';

/** The Chromium binary to use: `$CHROMIUM`, else /usr/bin/chromium; undefined when it is missing. */
export function findChromium(): string | undefined {
  const path = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
  return existsSync(path) ? path : undefined;
}

/** Bundle the entry (library, scenario and embedded data files) into one classic browser script. */
export async function bundleEntry(): Promise<string> {
  const result = await build({
    entryPoints: [join(import.meta.dirname, 'entry.ts')],
    bundle: true,
    format: 'iife',
    // 'browser' makes esbuild refuse `node:` imports: a core module that needs Node fails here.
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    loader: { '.jsonl': 'text', '.o': 'binary', '.pcap': 'binary' },
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error('esbuild produced no output');
  return out.text;
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>tsbpf browser test</title></head>
<body><p id="status">running</p><script src="/bundle.js"></script></body></html>`;

/** Flags that work headless as root in containers; every background service that could dial out is off. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-dev-shm-usage',
];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** What a browser run gave: the page's report, plus the browser's stderr tail for diagnostics. */
export interface BrowserRun {
  readonly report: PageReport;
  readonly ms: number;
}

/**
 * Serve `bundle` to Chromium at `chromium` and resolve with the page's report. Rejects with the
 * browser's output when the page reports an error, the browser exits early, or `timeoutMs` passes.
 */
export async function runInChromium(chromium: string, bundle: string, timeoutMs: number): Promise<BrowserRun> {
  const started = performance.now();
  const profile = mkdtempSync(join(tmpdir(), 'tsbpf-chromium-'));
  let stderr = '';
  let settle: { resolve: (r: PageReport) => void; reject: (e: Error) => void } | undefined;
  const done = new Promise<PageReport>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const fail = (why: string): void => settle?.reject(new Error(`${why}\n--- chromium output (tail) ---\n${stderr.slice(-3000)}`));

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method === 'GET' && req.url === '/') return send(200, 'text/html; charset=utf-8', PAGE);
    if (req.method === 'GET' && req.url === '/bundle.js') return send(200, 'text/javascript; charset=utf-8', bundle);
    if (req.method === 'POST' && (req.url === '/result' || req.url === '/error')) {
      void readBody(req).then((body) => {
        send(204, 'text/plain', '');
        if (req.url === '/error') fail(`the page failed: ${body}`);
        else settle?.resolve(JSON.parse(body) as PageReport);
      });
      return;
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  // Own process group, so the browser's helper processes go with it.
  const child = spawn(chromium, [...FLAGS, `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.on('error', (e) => fail(`could not start ${chromium}: ${e.message}`));
  child.on('exit', (code, signal) => fail(`chromium exited before the page reported (code ${code}, signal ${signal})`));
  const timer = setTimeout(() => fail(`no report from the page within ${timeoutMs} ms`), timeoutMs);

  try {
    const report = await done;
    return { report, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
    child.removeAllListeners('exit');
    await stop(child.pid);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(profile, { recursive: true, force: true });
  }
}

/** End the browser's process group (TERM, then KILL if it lingers). */
async function stop(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const signal = (s: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pid, s);
      return true;
    } catch {
      return false; // already gone
    }
  };
  if (!signal('SIGTERM')) return;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 50));
    if (!signal(0)) return; // signal 0: is the group still there?
  }
  signal('SIGKILL');
}
