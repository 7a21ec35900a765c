/**
 * Per-benchmark ratios to native from the runner's `--json` files, as a markdown table: each engine's
 * median batch over the native median (the machine is shared, so the median is the steadier figure)
 * and its best batch over the native best, with the geomeans. With two files, the table shows both
 * (before → after) for comparing two builds on the whole suite.
 *
 *   npx tsx bench/compare.ts BEFORE.json [AFTER.json]
 * @module
 */
import { readFileSync } from 'node:fs';
import { geomean } from './timing.js';

interface Figures {
  ns?: number;
  medianNs?: number;
}
interface Row {
  name: string;
  native?: Figures;
  interpreter?: Figures;
  jit?: Figures;
}

function load(path: string): Map<string, Row> {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { rows: Row[] };
  return new Map(json.rows.map((r) => [r.name, r]));
}

/** Median and best ratio of an engine to native, or undefined when a figure is missing. */
function ratios(row: Row | undefined, engine: 'interpreter' | 'jit'): { median: number; best: number } | undefined {
  const n = row?.native;
  const e = row?.[engine];
  if (n?.ns === undefined || n.medianNs === undefined || e?.ns === undefined || e.medianNs === undefined) return undefined;
  return { median: e.medianNs / n.medianNs, best: e.ns / n.ns };
}

const files = process.argv.slice(2);
if (files.length < 1 || files.length > 2) {
  process.stderr.write('usage: npx tsx bench/compare.ts BEFORE.json [AFTER.json]\n');
  process.exit(2);
}
const runs = files.map(load);
const names = [...runs[0]!.keys()];
const fmt = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(2)}x`);
const cell = (engine: 'interpreter' | 'jit', name: string, which: 'median' | 'best'): string =>
  runs.map((r) => fmt(ratios(r.get(name), engine)?.[which])).join(' → ');
const head = ['benchmark', 'interp / native (median)', 'interp (best)', 'JIT / native (median)', 'JIT (best)'];
const lines = [`| ${head.join(' | ')} |`, `| --- |${' ---: |'.repeat(head.length - 1)}`];
for (const name of names) {
  lines.push(`| ${name} | ${cell('interpreter', name, 'median')} | ${cell('interpreter', name, 'best')} | ${cell('jit', name, 'median')} | ${cell('jit', name, 'best')} |`);
}
const summary = (label: string, f: (xs: number[]) => number): void => {
  const col = (engine: 'interpreter' | 'jit', which: 'median' | 'best'): string =>
    runs
      .map((r) => {
        const xs = names.map((n) => ratios(r.get(n), engine)?.[which]).filter((x): x is number => x !== undefined);
        return fmt(xs.length > 0 ? f(xs) : undefined);
      })
      .join(' → ');
  lines.push(`| **${label}** | **${col('interpreter', 'median')}** | ${col('interpreter', 'best')} | **${col('jit', 'median')}** | ${col('jit', 'best')} |`);
};
summary('geomean', geomean);
summary('worst', (xs) => Math.max(...xs));
process.stdout.write(`${lines.join('\n')}\n`);
