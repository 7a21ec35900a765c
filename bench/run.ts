/**
 * The benchmark runner (`npm run bench`): every program of the suite on the interpreter and the JIT,
 * compared with the native build of the same C source. Prints a Markdown table on stdout (progress on
 * stderr); exits non-zero when an engine returns a wrong result.
 *
 *   npm run bench -- [--filter NAME[,NAME…]] [--quick] [--time MS] [--no-native] [--engine jit|interpreter] [--copy] [--in-process] [--js-loop] [--json FILE]
 *   npm run bench -- --capture [--packets N] [--runs N] [--big] [--interpreter]   (bench/capture.ts)
 *
 * --filter keeps benchmarks whose name contains one of the given strings; --quick measures for 150 ms
 * instead of 1 s per engine and benchmark; --copy passes an ordinary array to executeProgram (copied in and
 * out on every run) instead of the VM's zero-copy buffer; --js-loop runs the interpreter's JS loop alone
 * (without its WebAssembly loop); --json also writes the raw figures.
 *
 * Each engine runs each benchmark in a fresh Node process, as each native build runs in its own: in one
 * process, V8's type feedback from the programs measured earlier makes the engines' JavaScript
 * polymorphic, which a program calling one VM does not pay (it doubles the per-call cost). --in-process
 * measures everything in this process instead.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { BENCHMARKS, EXPECTED_PATH, inputPath, objectPath, type Benchmark } from './suite.js';
import { loadBenchProgram } from './object.js';
import { loadEngines, loadInstructionCounter, type EngineLoad, type MemMode } from './engines.js';
import { buildNative, compilerVersion, runNative } from './native/native.js';
import { geomean, median, timeRuns } from './timing.js';

interface Options {
  filter: string[];
  budgetMs: number;
  warmupMs: number;
  native: boolean;
  json: string | undefined;
  mode: MemMode;
  /** Measure each engine and benchmark in a fresh process (the default), as the native build is. */
  isolate: boolean;
  /** Run the interpreter's JS loop alone (without its WebAssembly loop), to compare the two. */
  jsLoop: boolean;
  /** Engines to measure (`--engine`): both by default. */
  engines: readonly ('interpreter' | 'jit')[];
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { filter: [], budgetMs: 1000, warmupMs: 300, native: true, json: undefined, mode: 'zero-copy', isolate: true, jsLoop: false, engines: ['interpreter', 'jit'] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--filter') options.filter.push(...value().split(','));
    else if (arg.startsWith('--filter=')) options.filter.push(...arg.slice(9).split(','));
    else if (arg === '--quick') {
      options.budgetMs = 150;
      options.warmupMs = 100;
    } else if (arg === '--time') options.budgetMs = Number(value());
    else if (arg === '--no-native') options.native = false;
    else if (arg === '--copy') options.mode = 'copy';
    else if (arg === '--in-process') options.isolate = false;
    else if (arg === '--json') options.json = value();
    else if (arg === '--js-loop') options.jsLoop = true;
    else if (arg === '--engine') {
      const e = value();
      if (e !== 'jit' && e !== 'interpreter') throw new Error('--engine takes jit or interpreter');
      options.engines = [e];
    }
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench -- [--filter NAME[,NAME…]] [--quick] [--time MS] [--no-native] [--engine jit|interpreter] [--copy] [--in-process] [--js-loop] [--json FILE]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (try --help)`);
  }
  if (!(options.budgetMs > 0)) throw new Error('--time needs a positive number of milliseconds');
  return options;
}

/** One engine's figures for one benchmark. */
interface EngineFigures {
  /** Nanoseconds per run, fastest batch. */
  ns?: number;
  /** Nanoseconds per run, median batch. */
  medianNs?: number;
  runs?: number;
  /** JIT only: median milliseconds of jitCompile(). */
  compileMs?: number;
  /** Why there is no time: not available, wrong result, error. */
  note?: string;
}

/** One row of the table. */
interface Row {
  name: string;
  callOverhead: boolean;
  bulkCopy: boolean;
  insns: number;
  /** Instructions executed by one run, when the interpreter could count them. */
  executed: number | undefined;
  expected: bigint;
  native: EngineFigures;
  interpreter: EngineFigures;
  jit: EngineFigures;
}

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    // An EbpfError carries a code; anything else is a bug in an engine: say where it was thrown.
    const where = typeof code === 'string' ? '' : ` (${(e.stack ?? '').split('\n')[1]?.trim() ?? 'no stack'})`;
    return `${typeof code === 'string' ? `${code}: ` : `${e.name}: `}${e.message.split('\n')[0]}${where}`;
  }
  return String(e);
}

function measureEngine(load: EngineLoad, prog: Uint8Array, mem: Uint8Array, expected: bigint, options: Options): EngineFigures {
  if ('missing' in load) return { note: 'not available' };
  const engine = load.engine;
  try {
    const prepared = engine.prepare(prog);
    let compileMs: number | undefined;
    if (prepared.compileMs !== undefined) {
      // Median of a few fresh compilations: the first one also pays for V8 warming up the compiler.
      const times = [prepared.compileMs];
      for (let i = 0; i < 4; i++) times.push(engine.prepare(prog).compileMs ?? NaN);
      compileMs = median(times);
    }
    const run = prepared.bind(mem.slice(), options.mode);
    const first = run();
    if (first !== expected) return { note: `wrong result ${hex(first)}, expected ${hex(expected)}`, compileMs };
    const timing = timeRuns(run, {
      budgetMs: options.budgetMs,
      warmupMs: options.warmupMs,
      check: (r0) => {
        if (r0 !== expected) throw new Error(`result changed between runs: ${hex(r0)}`);
      },
    });
    return { ns: timing.ns, medianNs: timing.medianNs, runs: timing.runs, compileMs };
  } catch (e) {
    return { note: `error: ${errorText(e)}` };
  }
}

/** The per-call program: `r0 = 0; exit`, run on an empty zero-copy `mem`. */
const TRIVIAL = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** What a child process measures: one engine on one benchmark (`trivial`: the per-call program). */
interface ChildTask {
  readonly engine: 'interpreter' | 'jit';
  readonly bench: string;
  readonly expected: string;
  readonly budgetMs: number;
  readonly warmupMs: number;
  readonly mode: MemMode;
  readonly jsLoop: boolean;
}

/** The program and input of a benchmark by name, or of the per-call program. */
function workload(name: string): { prog: Uint8Array; mem: Uint8Array } {
  if (name === 'trivial') return { prog: TRIVIAL, mem: new Uint8Array(0) };
  const bench = BENCHMARKS.find((b) => b.name === name);
  if (bench === undefined) throw new Error(`no benchmark ${name}`);
  return { prog: loadBenchProgram(objectPath(bench.program)), mem: new Uint8Array(readFileSync(inputPath(bench.name, 'full'))) };
}

type Engines = Awaited<ReturnType<typeof loadEngines>>;

/**
 * Measure one engine on the workload `name` (`work`: its program and input, already loaded), in a fresh
 * process unless `--in-process`.
 */
function measure(
  engines: Engines,
  engine: 'interpreter' | 'jit',
  name: string,
  work: { prog: Uint8Array; mem: Uint8Array },
  expected: bigint,
  options: Options,
): EngineFigures {
  if (!options.isolate) return measureEngine(engines[engine], work.prog, work.mem, expected, options);
  const task: ChildTask = { engine, bench: name, expected: hex(expected), budgetMs: options.budgetMs, warmupMs: options.warmupMs, mode: options.mode, jsLoop: options.jsLoop };
  // The same Node with the same loader flags (tsx's) runs this file in child mode.
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify(task)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) return { note: `error: child process failed (${child.status ?? child.signal}): ${child.stderr.trim().split('\n').pop() ?? ''}` };
  return JSON.parse(child.stdout) as EngineFigures;
}

/** Child mode: measure the task given as JSON and print the figures as JSON. */
async function child(taskJson: string): Promise<number> {
  const task = JSON.parse(taskJson) as ChildTask;
  const { prog, mem } = workload(task.bench);
  const options: Options = { filter: [], budgetMs: task.budgetMs, warmupMs: task.warmupMs, native: false, json: undefined, mode: task.mode, isolate: false, jsLoop: task.jsLoop, engines: [task.engine] };
  const figures = measureEngine((await loadEngines(task.jsLoop))[task.engine], prog, mem, BigInt(task.expected), options);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  return 0;
}

function measureNative(bench: Benchmark, options: Options, haveCc: boolean): EngineFigures & { result?: bigint } {
  if (!options.native) return { note: 'skipped' };
  if (!haveCc) return { note: 'no C compiler' };
  try {
    const exe = buildNative(bench.program);
    const r = runNative(exe, inputPath(bench.name, 'full'), options.budgetMs);
    return { ns: r.ns, medianNs: r.medianNs, result: r.result };
  } catch (e) {
    return { note: `error: ${errorText(e)}` };
  }
}

function formatTime(ns: number | undefined): string {
  if (ns === undefined) return '—';
  if (ns < 1e3) return `${ns.toPrecision(3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

function ratio(engine: EngineFigures, native: EngineFigures): number | undefined {
  return engine.ns !== undefined && native.ns !== undefined ? engine.ns / native.ns : undefined;
}

function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '—';
  return r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

function cell(figures: EngineFigures): string {
  return figures.ns !== undefined ? formatTime(figures.ns) : (figures.note ?? '—');
}

/** A geomean row; when an engine lacks some ratios, the geomean of the others with their count. */
function geomeanRow(label: string, rows: readonly Row[]): string {
  const column = (engine: 'interpreter' | 'jit'): string => {
    const ratios = rows.map((r) => ratio(r[engine], r.native)).filter((r): r is number => r !== undefined);
    if (ratios.length === 0) return '—';
    const partial = ratios.length < rows.length ? ` (${ratios.length} of ${rows.length})` : '';
    return `**${formatRatio(geomean(ratios))}**${partial}`;
  };
  return `| ${label} | | | | | ${column('interpreter')} | | | ${column('jit')} | |`;
}

function table(rows: readonly Row[]): string {
  const lines = [
    '| benchmark | insns | executed | native | interpreter | interp / native | ns / insn | JIT | JIT / native | JIT compile |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const ri = ratio(row.interpreter, row.native);
    const rj = ratio(row.jit, row.native);
    const compile = row.jit.compileMs !== undefined ? `${row.jit.compileMs.toFixed(2)} ms` : '—';
    const perInsn =
      row.executed !== undefined && row.interpreter.ns !== undefined && !row.bulkCopy ? (row.interpreter.ns / row.executed).toFixed(1) : '—';
    lines.push(
      `| ${row.name} | ${row.insns} | ${row.executed ?? '—'} | ${cell(row.native)} | ${cell(row.interpreter)} | ${formatRatio(ri)} | ${perInsn} | ${cell(row.jit)} | ${formatRatio(rj)} | ${compile} |`,
    );
  }
  lines.push(geomeanRow('**geomean**', rows));
  const loops = rows.filter((r) => !r.callOverhead);
  if (loops.length < rows.length) lines.push(geomeanRow('geomean without call-overhead runs', loops));
  const stepped = rows.filter((r) => !r.bulkCopy);
  if (stepped.length < rows.length) lines.push(geomeanRow('geomean without bulk-copy runs', stepped));
  return lines.join('\n');
}

async function main(): Promise<number> {
  if (process.argv[2] === '--child') return child(process.argv[3] ?? '');
  if (process.argv.includes('--capture')) {
    // The capture-runner benchmark: bench/capture.ts (its own options).
    await import('./capture.js');
    return 0;
  }
  const options = parseArgs(process.argv.slice(2));
  const selected = BENCHMARKS.filter((b) => options.filter.length === 0 || options.filter.some((f) => b.name.includes(f)));
  if (selected.length === 0) throw new Error(`no benchmark matches ${options.filter.join(', ')}; have ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  const expectedFile = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Record<string, { full: string; small: string }>;
  const engines = await loadEngines(options.jsLoop);
  const counter = await loadInstructionCounter();
  for (const [name, load] of Object.entries(engines)) {
    log('missing' in load ? `${name}: not available: ${load.missing}` : `${name}: ${load.engine.via}, mem ${options.mode}`);
  }
  const cc = options.native ? compilerVersion() : undefined;
  if (options.native && cc === undefined) log('native: no C compiler (set CC); native column not available');

  const rows: Row[] = [];
  let failed = false;
  for (const bench of selected) {
    const prog = loadBenchProgram(objectPath(bench.program));
    const mem = new Uint8Array(readFileSync(inputPath(bench.name, 'full')));
    const committed = BigInt(expectedFile[bench.name]?.full ?? 'NaN');
    log(`${bench.name}: native…`);
    let native = measureNative(bench, options, cc !== undefined);
    if (native.result !== undefined && native.result !== committed) {
      log(`${bench.name}: native result ${hex(native.result)} differs from expected.json ${hex(committed)}: run bench/build.sh`);
      failed = true;
    }
    const expected = native.result ?? committed;
    log(`${bench.name}: interpreter…`);
    const skipped: EngineFigures = { note: 'not measured' };
    const interpreter = options.engines.includes('interpreter') ? measure(engines, 'interpreter', bench.name, { prog, mem }, expected, options) : skipped;
    log(`${bench.name}: JIT…`);
    const jit = options.engines.includes('jit') ? measure(engines, 'jit', bench.name, { prog, mem }, expected, options) : skipped;
    // Native again after the engines: the machine is shared, and the faster of two native timings taken
    // around the engines' is the better estimate of the uncontended time.
    if (native.ns !== undefined) {
      log(`${bench.name}: native again…`);
      const again = measureNative(bench, options, true);
      if (again.ns !== undefined && again.ns < native.ns) native = { ...native, ns: again.ns, medianNs: again.medianNs };
    }
    for (const [engine, f] of [['interpreter', interpreter], ['jit', jit]] as const) {
      if (f.note !== undefined && f.note !== 'not available' && f.note !== 'not measured') {
        log(`${bench.name}: ${engine}: ${f.note}`);
        failed = true;
      }
    }
    let executed: number | undefined;
    try {
      executed = counter?.(prog, mem);
    } catch (e) {
      log(`${bench.name}: cannot count executed instructions: ${errorText(e)}`);
    }
    rows.push({ name: bench.name, callOverhead: bench.callOverhead === true, bulkCopy: bench.bulkCopy === true, insns: prog.length / 8, executed, expected, native, interpreter, jit });
  }

  // The per-call cost on its own: a two-instruction program on an empty zero-copy `mem`.
  log('per call: trivial program…');
  const perCall: string[] = [];
  for (const name of options.engines) {
    const f = measure(engines, name, 'trivial', workload('trivial'), 0n, options);
    perCall.push(`${name} ${f.ns !== undefined ? `${f.ns.toFixed(0)} ns` : (f.note ?? '?')}`);
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\n${table(rows)}\n\nnode ${process.version}, ${cpus().length} × ${cpu}${cc !== undefined ? `, native: ${cc} -O2` : ''}; ` +
      `mem ${options.mode}; ${options.isolate ? 'a fresh process per engine and benchmark' : 'all in one process'}; ` +
      `${options.jsLoop ? "interpreter: its JS loop alone (--js-loop); " : ''}` +
      `best of 3-8 batches, ${options.budgetMs} ms per engine and benchmark\n` +
      `per call (a two-instruction program): ${perCall.join(', ')}\n`,
  );
  if (options.json !== undefined) {
    const plain = rows.map((r) => ({ ...r, expected: hex(r.expected) }));
    writeFileSync(
      options.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu, cores: cpus().length, cc, budgetMs: options.budgetMs, mode: options.mode, rows: plain }, (_, v: unknown) => (typeof v === 'bigint' ? hex(v) : v), 2)}\n`,
    );
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
