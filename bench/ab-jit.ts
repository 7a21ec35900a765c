/**
 * Before/after for the JIT on a shared machine: the JITs of two source trees (e.g. a worktree of main
 * and one of a branch) compiled in one process and timed in alternating batches on the same input,
 * with the native build timed before, between and after them, so that load from other processes falls
 * on both builds and the native alike. Prints best and median ratios per benchmark and the geomeans;
 * `--json FILE` writes the raw figures.
 *
 *   npx tsx bench/ab-jit.ts BEFORE_DIR AFTER_DIR [NAME,NAME…|all] [ROUNDS] [--json FILE] [--interpreter [--js-loop]] [--cpu]
 *
 * `--interpreter` times the two trees' interpreters (`executeProgram`) instead of their JITs; `--js-loop`, their
 * interpreters' JS loops alone (`interpreter: { wasmCore: false }`). `--cpu` times
 * the batches by the process's CPU time (`process.cpuUsage`, user + system) instead of wall time, so that
 * time the process spends descheduled on a loaded host is not counted (the native build stays wall time).
 *
 * Both builds run in one process, so the VM's JavaScript sees two VM classes and its per-call cost is
 * higher than in `npm run bench` (strcmp_fail shows it); compare the two columns, not these figures
 * with the runner's. Results are checked against each other and the native build's.
 *
 * One process gives each tree's generated code one placement, which alone moves single programs by up to
 * ±17%; bench/ab-processes.ts repeats this over several processes and combines them.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCHMARKS, inputPath, objectPath } from './suite.js';
import { loadBenchProgram } from './object.js';
import { buildNative, runNative } from './native/native.js';
import { geomean, median } from './timing.js';

/** The part of a tree's EbpfVmRaw this uses. */
interface RawVm {
  jitCompile(): void;
  memBuffer(len: number): Uint8Array;
  executeProgramJit(mem: Uint8Array): bigint;
  executeProgram(mem: Uint8Array): bigint;
}
type RawVmClass = new (prog: Uint8Array, options?: { interpreter?: { wasmCore?: boolean } }) => RawVm;

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
const interpAt = args.indexOf('--interpreter');
const interpreter = interpAt >= 0;
if (interpreter) args.splice(interpAt, 1);
const jsLoopAt = args.indexOf('--js-loop');
const jsLoop = jsLoopAt >= 0;
if (jsLoop) args.splice(jsLoopAt, 1);
if (jsLoop && !interpreter) throw new Error('--js-loop needs --interpreter');
const cpuAt = args.indexOf('--cpu');
const cpu = cpuAt >= 0;
if (cpu) args.splice(cpuAt, 1);
/** Milliseconds: CPU time of this process with `--cpu`, else wall time. */
const clock = cpu
  ? (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e3;
    }
  : (): number => performance.now();
const [before, after, filter = 'all', roundsArg = '9'] = args;
if (before === undefined || after === undefined) throw new Error('usage: bench/ab-jit.ts BEFORE_DIR AFTER_DIR [NAME,NAME…|all] [ROUNDS] [--json FILE] [--interpreter [--js-loop]] [--cpu]');
const load = async (dir: string): Promise<RawVmClass> => ((await import(pathToFileURL(resolve(dir, 'src/index.ts')).href)) as { EbpfVmRaw: RawVmClass }).EbpfVmRaw;
const A = await load(before);
const B = await load(after);
const rounds = Number(roundsArg);

interface Row {
  name: string;
  native: number;
  nativeMedian: number;
  beforeBest: number;
  beforeMedian: number;
  afterBest: number;
  afterMedian: number;
}
const rows: Row[] = [];
for (const bench of BENCHMARKS) {
  if (filter !== 'all' && !filter.split(',').includes(bench.name)) continue;
  const prog = loadBenchProgram(objectPath(bench.program));
  const mem = new Uint8Array(readFileSync(inputPath(bench.name, 'full')));
  const prepare = (Vm: RawVmClass): (() => bigint) => {
    const vm = jsLoop ? new Vm(prog, { interpreter: { wasmCore: false } }) : new Vm(prog);
    if (!interpreter) vm.jitCompile();
    const view = vm.memBuffer(mem.length);
    view.set(mem);
    return interpreter ? () => vm.executeProgram(view) : () => vm.executeProgramJit(view);
  };
  const runA = prepare(A);
  const runB = prepare(B);
  const exe = buildNative(bench.program);
  const native = [runNative(exe, inputPath(bench.name, 'full'), 150)];
  const want = native[0]!.result;
  if (runA() !== want || runB() !== want) throw new Error(`${bench.name}: a result differs from the native build's`);
  const warm = performance.now();
  while (performance.now() - warm < 150) {
    runA();
    runB();
  }
  // Runs per batch: about 15 ms of the first build.
  let n = 1;
  for (;;) {
    const t = clock();
    for (let i = 0; i < n; i++) runA();
    if (clock() - t > 15) break;
    n *= 2;
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [run, times] of [
      [runA, ta],
      [runB, tb],
    ] as const) {
      const t = clock();
      for (let i = 0; i < n; i++) if (run() !== want) throw new Error(`${bench.name}: a result changed between runs`);
      times.push(((clock() - t) / n) * 1e6);
    }
    if (r === rounds >> 1) native.push(runNative(exe, inputPath(bench.name, 'full'), 150));
  }
  native.push(runNative(exe, inputPath(bench.name, 'full'), 150));
  const row: Row = {
    name: bench.name,
    native: Math.min(...native.map((x) => x.ns!)),
    nativeMedian: Math.min(...native.map((x) => x.medianNs!)),
    beforeBest: Math.min(...ta),
    beforeMedian: median(ta),
    afterBest: Math.min(...tb),
    afterMedian: median(tb),
  };
  rows.push(row);
  const x = (v: number): string => `${v.toFixed(2)}x`;
  process.stdout.write(
    `${bench.name.padEnd(14)} native ${(row.native / 1e3).toFixed(1).padStart(8)} µs  before ${x(row.beforeBest / row.native)} (median ${x(row.beforeMedian / row.nativeMedian)})  ` +
      `after ${x(row.afterBest / row.native)} (median ${x(row.afterMedian / row.nativeMedian)})  after/before ${(row.afterBest / row.beforeBest).toFixed(2)}\n`,
  );
}
const g = (f: (r: Row) => number): string => `${geomean(rows.map(f)).toFixed(2)}x`;
process.stdout.write(`geomean, best batches: before ${g((r) => r.beforeBest / r.native)}, after ${g((r) => r.afterBest / r.native)}; medians: before ${g((r) => r.beforeMedian / r.nativeMedian)}, after ${g((r) => r.afterMedian / r.nativeMedian)}\n`);
if (jsonFile !== undefined) writeFileSync(jsonFile, `${JSON.stringify({ date: new Date().toISOString(), engine: interpreter ? 'interpreter' : 'jit', clock: cpu ? 'cpu' : 'wall', before, after, rounds, rows }, null, 2)}\n`);
