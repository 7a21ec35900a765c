/**
 * Run the browser test's scenario in headless Chromium and print what the page reported (the same
 * run test/browser/browser.test.ts checks), for a look at the raw results:
 *   npx tsx scripts/browser-check.ts [--json]
 * Uses $CHROMIUM or /usr/bin/chromium.
 */
import { bundleEntry, findChromium, runInChromium } from '../test/browser/harness.js';
import type { ScenarioReport } from '../test/browser/scenario.js';

const chromium = findChromium();
if (chromium === undefined) {
  console.error(`no Chromium at ${process.env['CHROMIUM'] ?? '/usr/bin/chromium'}: apt-get install -y chromium, or set CHROMIUM`);
  process.exit(2);
}
const bundle = await bundleEntry();
const { report, ms } = await runInChromium(chromium, bundle, 30_000);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const line = (r: ScenarioReport): string => {
    const oob = r.outOfBounds.jit;
    return [
      `${r.where} (${r.compileMode} JIT compile):`,
      `ldxb = ${'value' in r.ldx.interpreter ? r.ldx.interpreter.value : 'error'} / ${'value' in r.ldx.jit ? r.ldx.jit.value : 'error'} (interpreter / JIT)`,
      `conformance ${r.conformance.total - r.conformance.interpreterFailures.length}/${r.conformance.total} interpreter, ${r.conformance.total - r.conformance.jitFailures.length}/${r.conformance.total} JIT`,
      `xdp_firewall verdicts ${r.firewall.jit.join(',')}, drops ${JSON.stringify(r.firewall.drops)}`,
      `out of bounds: ${'error' in oob ? oob.error.code : 'no error!'}`,
    ].join('\n  ');
  };
  console.log(`${report.window.agent}, ${ms.toFixed(0)} ms`);
  console.log(line(report.window));
  console.log(`  synchronous WebAssembly.Module calls on the main thread: ${report.mainThreadSyncModules}`);
  console.log('workerError' in report.worker ? `worker failed: ${report.worker.workerError}` : line(report.worker));
  console.log(`main-thread synchronous compile probe: ${JSON.stringify(report.mainThreadSyncCompile)}`);
}
