/**
 * The core library in a real browser: the scenario (scenario.ts) bundled with esbuild and run in
 * headless Chromium, on the main thread (JIT through `JitEngine.compileAsync`) and in a Web Worker
 * (JIT through the synchronous `jitCompile()`), compared with fixed expectations and with the same
 * scenario run here in Node. Skips, with a warning, when Chromium is not installed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry, findChromium, runInChromium } from './harness.js';
import type { PageReport } from './entry.js';
import { runScenario, type ScenarioReport } from './scenario.js';

const chromium = findChromium();
if (chromium === undefined) {
  console.warn(
    `browser test SKIPPED: no Chromium at ${process.env['CHROMIUM'] ?? '/usr/bin/chromium'} ` +
      '(install it with `apt-get install -y chromium`, or set CHROMIUM to a Chromium/Chrome binary)',
  );
}

const root = join(import.meta.dirname, '..', '..');
const assets = {
  manifest: readFileSync(join(root, 'test', 'fixtures', 'conformance', 'manifest.jsonl'), 'utf8'),
  firewall: new Uint8Array(readFileSync(join(root, 'examples', 'xdp_firewall.o'))),
  capture: new Uint8Array(readFileSync(join(root, 'examples', 'traffic.pcap'))),
};

/** The part of a report that must not depend on where it ran. */
function results(r: ScenarioReport): Omit<ScenarioReport, 'where' | 'agent' | 'compileMode'> {
  const { where: _w, agent: _a, compileMode: _c, ...rest } = r;
  return rest;
}

describe.skipIf(chromium === undefined)('the library in headless Chromium', () => {
  let page: PageReport;
  let node: ScenarioReport;
  const runs: [string, () => ScenarioReport][] = [
    ['main thread (async JIT compile)', () => page.window],
    [
      'Web Worker (sync JIT compile)',
      () => {
        const w = page.worker;
        if ('workerError' in w) throw new Error(`the worker failed: ${w.workerError}`);
        return w;
      },
    ],
  ];

  beforeAll(async () => {
    const bundle = await bundleEntry();
    const run = await runInChromium(chromium!, bundle, 20_000);
    page = run.report;
    node = await runScenario(assets, 'node', process.version, 'sync');
  }, 40_000);

  it('ran in headless Chromium, both on the page and in a worker', () => {
    expect(page.window.where).toBe('window');
    expect(page.window.agent).toMatch(/HeadlessChrome\//);
    expect(page.window.compileMode).toBe('async');
    expect(page.worker).toMatchObject({ where: 'worker', compileMode: 'sync' });
  });

  it('compiled every JIT module asynchronously on the main thread (no new WebAssembly.Module)', () => {
    expect(page.mainThreadSyncModules).toBe(0);
  });

  describe.each(runs)('%s', (_name, report) => {
    it('assembles the rbpf README program and runs it on a packet with both engines (0x11)', () => {
      const { ldx } = report();
      expect(ldx.bytes).toBe('71100200000000009500000000000000');
      expect(ldx.interpreter).toEqual({ value: '0x11' });
      expect(ldx.jit).toEqual({ value: '0x11' });
      expect(ldx.ldxhInterpreter).toEqual({ value: '0xcc11' });
      expect(ldx.ldxhJit).toEqual({ value: '0xcc11' });
    });

    it('passes the whole bpf_conformance manifest on the interpreter and the JIT', () => {
      const { conformance } = report();
      expect(conformance.total).toBe(313);
      expect(conformance.interpreterFailures).toEqual([]);
      expect(conformance.jitFailures).toEqual([]);
    });

    it('loads the clang-built xdp_firewall.o, runs the capture through runXdp and reads its maps', () => {
      const { firewall } = report();
      expect(firewall.programs).toEqual(['xdp/xdp_firewall']);
      expect(firewall.packets).toBe(12);
      expect(firewall.jit).toEqual(firewall.interpreter);
      expect(firewall.interpreter.filter((v) => v === 'DROP')).toHaveLength(3);
      // The JIT compiled once, before the first run, and every run used that module.
      expect(firewall.jitModules).toBe(1);
      // Two passes (interpreter, JIT) over the capture: 192.168.1.66 dropped 2 x 2 times, 172.16.0.9 1 x 2.
      expect(firewall.drops).toEqual({ c0a80142: '0x4', ac100009: '0x2' });
      expect(Object.keys(firewall.protoStats).sort()).toEqual(['1', '17', '6']);
      expect(firewall.trace).toHaveLength(6);
      expect(firewall.trace[0]).toBe('drop port 23 from c0a80142');
    });

    it('reports an out-of-bounds load as an EbpfError E_OUT_OF_BOUNDS at pc 0 on both engines', () => {
      const { outOfBounds } = report();
      for (const o of [outOfBounds.interpreter, outOfBounds.jit]) {
        expect(o).toMatchObject({ error: { ebpf: true, code: 'E_OUT_OF_BOUNDS', pc: 0 } });
        if ('error' in o) expect(o.error.message).toMatch(/out-of-bounds 4-byte load at 0x10000064/);
      }
    });

    it('gives exactly the results Node gives', () => {
      expect(results(report())).toEqual(results(node));
    });
  });

  it('records whether the main thread allows synchronous JIT compiles', () => {
    const probe = page.mainThreadSyncCompile;
    // Either compiled, or refused with the JIT's own error (never a raw exception from the engine).
    for (const p of [probe.firewall, probe.large]) {
      if ('error' in p) expect(p.error.code).toBe('E_JIT');
      else expect(p.size).toBeGreaterThan(0);
    }
    console.info(`main-thread synchronous JIT compile in ${page.window.agent}: ${JSON.stringify(probe)}`);
  });
});
