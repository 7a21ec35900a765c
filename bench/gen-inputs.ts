/**
 * Writes the benchmark inputs, bench/programs/NAME.mem (benchmark size) and NAME.small.mem (the
 * unit test's size); see inputs.ts. Run: npx tsx bench/gen-inputs.ts (bench/build.sh does).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { BENCHMARKS, inputPath } from './suite.js';
import { makeInput } from './inputs.js';

for (const bench of BENCHMARKS) {
  for (const size of ['full', 'small'] as const) writeFileSync(inputPath(bench.name, size), makeInput(bench.name, size));
}
process.stderr.write(`wrote ${BENCHMARKS.length * 2} input files\n`);
