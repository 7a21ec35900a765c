/**
 * Writes bench/programs/expected.json: r0 of every benchmark on its full and small inputs, as the
 * native build computes it. The unit test and the runner check the engines against these values.
 * Run: npx tsx bench/update-expected.ts (bench/build.sh does).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { BENCHMARKS, EXPECTED_PATH, inputPath } from './suite.js';
import { buildNative, runNative } from './native/native.js';

const expected: Record<string, { full: string; small: string }> = {};
for (const bench of BENCHMARKS) {
  const exe = buildNative(bench.program);
  const hex = (size: 'full' | 'small'): string => `0x${runNative(exe, inputPath(bench.name, size)).result.toString(16)}`;
  expected[bench.name] = { full: hex('full'), small: hex('small') };
}
writeFileSync(EXPECTED_PATH, `${JSON.stringify(expected, null, 2)}\n`);
process.stderr.write(`wrote ${EXPECTED_PATH}\n`);
