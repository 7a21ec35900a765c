/**
 * bench/ab-jit.ts repeated in several fresh processes, the trees' order swapped every other process, and
 * the per-process ratios combined. One process is not enough to judge a change to the interpreter's
 * WebAssembly core (or any generated code): where V8 places a compiled function differs from process to
 * process and from module to module, and the placement alone moves single programs by up to ±17%
 * (docs/benchmarks.md, "the interpreter core's cliff was code placement"). Two identical trees do not
 * show it in one process, because V8 compiles identical module bytes once and both trees then run the
 * same machine code.
 *
 *   npx tsx bench/ab-processes.ts BEFORE_DIR AFTER_DIR [NAME,NAME…|all] [ROUNDS] [PROCESSES] [ab-jit flags…]
 *
 * PROCESSES (default 4) runs of `ab-jit.ts … ROUNDS` (default 3); other flags (`--interpreter`, `--cpu`,
 * `--js-loop`) are passed on. Prints, per benchmark, the geomean over processes of after / before (best
 * batches) with the smallest and largest per-process ratio, each engine's best batch over the best native
 * time of all processes, and the geomeans.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { geomean } from './timing.js';

interface Row {
  name: string;
  native: number;
  beforeBest: number;
  afterBest: number;
}

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const [before, after, filter = 'all', rounds = '3', processesArg = '4'] = args.filter((a) => !a.startsWith('--'));
if (before === undefined || after === undefined) {
  throw new Error('usage: bench/ab-processes.ts BEFORE_DIR AFTER_DIR [NAME,NAME…|all] [ROUNDS] [PROCESSES] [--interpreter] [--cpu] [--js-loop]');
}
const processes = Number(processesArg);
const abJit = join(dirname(fileURLToPath(import.meta.url)), 'ab-jit.ts');
const dir = mkdtempSync(join(tmpdir(), 'ab-processes-'));

/** Per benchmark: after / before of each process, the best times of each tree, the best native time. */
const ratios = new Map<string, number[]>();
const best = new Map<string, { native: number; before: number; after: number }>();
try {
  for (let p = 0; p < processes; p++) {
    const swapped = p % 2 === 1;
    const json = join(dir, `run-${p}.json`);
    const trees = swapped ? [after, before] : [before, after];
    const run = spawnSync(process.execPath, ['--import', 'tsx', abJit, ...trees, filter, rounds, ...flags, '--json', json], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (run.status !== 0) throw new Error(`ab-jit.ts failed in process ${p + 1} (exit status ${run.status})`);
    const rows = (JSON.parse(readFileSync(json, 'utf8')) as { rows: Row[] }).rows;
    for (const r of rows) {
      const [b, a] = swapped ? [r.afterBest, r.beforeBest] : [r.beforeBest, r.afterBest];
      ratios.set(r.name, [...(ratios.get(r.name) ?? []), a / b]);
      const was = best.get(r.name) ?? { native: Infinity, before: Infinity, after: Infinity };
      best.set(r.name, { native: Math.min(was.native, r.native), before: Math.min(was.before, b), after: Math.min(was.after, a) });
    }
    process.stdout.write(`process ${p + 1}/${processes} done (${swapped ? 'after first' : 'before first'})\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const x = (v: number): string => `${v.toFixed(2)}x`;
const all: number[] = [];
for (const [name, rs] of ratios) {
  const b = best.get(name)!;
  const g = geomean(rs);
  all.push(g);
  process.stdout.write(
    `${name.padEnd(14)} before ${x(b.before / b.native).padStart(7)}  after ${x(b.after / b.native).padStart(7)}  ` +
      `after/before ${g.toFixed(3)} (per process ${Math.min(...rs).toFixed(3)}-${Math.max(...rs).toFixed(3)})\n`,
  );
}
const engines = [...best.values()];
process.stdout.write(
  `geomean of after/before over benchmarks: ${geomean(all).toFixed(3)}; best batches over native: before ${x(geomean(engines.map((b) => b.before / b.native)))}, ` +
    `after ${x(geomean(engines.map((b) => b.after / b.native)))}; worst after ${x(Math.max(...engines.map((b) => b.after / b.native)))}\n`,
);
