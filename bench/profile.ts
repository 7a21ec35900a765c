/**
 * Runs one benchmark on one engine in a loop for a few seconds, for a CPU profile of the engine:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts NAME [interpreter|jit] [SECONDS]
 * then open the .cpuprofile in Chrome DevTools (or summarise it with bench/profile-summary.ts).
 * @module
 */
import { readFileSync } from 'node:fs';
import { BENCHMARKS, inputPath, objectPath } from './suite.js';
import { loadBenchProgram } from './object.js';
import { loadEngines } from './engines.js';

const [name = '', engineName = 'interpreter', seconds = '3'] = process.argv.slice(2);
const bench = BENCHMARKS.find((b) => b.name === name);
if (bench === undefined) throw new Error(`usage: profile.ts NAME [interpreter|jit] [SECONDS]; NAME is one of ${BENCHMARKS.map((b) => b.name).join(', ')}`);
const engines = await loadEngines();
const load = engineName === 'jit' ? engines.jit : engines.interpreter;
if ('missing' in load) throw new Error(`${engineName} not available: ${load.missing}`);
const mem = new Uint8Array(readFileSync(inputPath(bench.name, 'full')));
const run = load.engine.prepare(loadBenchProgram(objectPath(bench.program))).bind(mem, 'zero-copy');
const end = performance.now() + Number(seconds) * 1000;
let runs = 0;
while (performance.now() < end) {
  run();
  runs++;
}
process.stderr.write(`${bench.name} on ${engineName}: ${runs} runs, ${((Number(seconds) * 1e3) / runs).toFixed(3)} ms per run\n`);
