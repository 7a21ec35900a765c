/**
 * JIT compile time of every benchmark program, cold and warm:
 *   npx tsx bench/compile-phases.ts [--json FILE] [--filter RE] [--warm N]
 * Each benchmark runs in a fresh Node process (as `npm run bench` runs each engine): the VM is built
 * (verification, not timed), then `jitCompile()` is timed on fresh VMs: the first compile is the cold
 * figure (V8 still runs the compiler's JavaScript unoptimized), the median of compiles N/2+1..N the warm
 * one (default N = 30). Also reported: the median of compiles 1-5 (what `npm run bench` reports as
 * `compileMs`), the module generation and `new WebAssembly.Module` shares of the warm compile, and ms per
 * 100 instructions.
 *   npx tsx bench/compile-phases.ts --one NAME [--warm N]   (one benchmark, in this process; JSON line)
 *   npx tsx bench/compile-phases.ts --loop N [--filter RE]  (every program N times in this process, for
 *                                                          `node --cpu-prof`: where a warm compile goes)
 * @module
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EbpfVmRaw } from '../src/vm/vm.js';
import { BENCHMARKS, objectPath } from './suite.js';
import { loadBenchProgram } from './object.js';

interface Row {
  name: string;
  insns: number;
  coldMs: number;
  first5Ms: number;
  warmMs: number;
  warmGenerateMs: number;
  warmWasmMs: number;
}

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const warmCount = Number(flag('--warm') ?? '30');
const filter = new RegExp(flag('--filter') ?? '.');
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function one(name: string): Row {
  const bench = BENCHMARKS.find((b) => b.name === name);
  if (bench === undefined) throw new Error(`no benchmark ${name}`);
  const prog = loadBenchProgram(objectPath(bench.program));
  const times: number[] = [];
  const gen: number[] = [];
  const wasm: number[] = [];
  for (let i = 0; i < warmCount; i++) {
    const vm = new EbpfVmRaw(prog);
    const t0 = performance.now();
    const stats = vm.jitCompile();
    times.push(performance.now() - t0);
    gen.push(stats.generateMs);
    wasm.push(stats.wasmCompileMs);
  }
  const later = (xs: number[]): number => median(xs.slice(Math.floor(warmCount / 2)));
  return { name, insns: prog.length / 8, coldMs: times[0]!, first5Ms: median(times.slice(0, 5)), warmMs: later(times), warmGenerateMs: later(gen), warmWasmMs: later(wasm) };
}

const oneName = flag('--one');
const loop = flag('--loop');
if (oneName !== undefined) {
  process.stdout.write(`${JSON.stringify(one(oneName))}\n`);
} else if (loop !== undefined) {
  const progs = BENCHMARKS.filter((b) => filter.test(b.name)).map((b) => loadBenchProgram(objectPath(b.program)));
  const t0 = performance.now();
  for (let i = 0; i < Number(loop); i++) for (const p of progs) new EbpfVmRaw(p).jitCompile();
  process.stdout.write(`${progs.length} programs x ${loop}: ${(performance.now() - t0).toFixed(0)} ms\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  for (const b of BENCHMARKS.filter((x) => filter.test(x.name))) {
    const out = execFileSync(process.execPath, [...process.execArgv, self, '--one', b.name, '--warm', String(warmCount)], { encoding: 'utf8' });
    const row = JSON.parse(out.trim().split('\n').pop()!) as Row;
    rows.push(row);
    process.stdout.write(
      `${row.name.padEnd(16)} ${String(row.insns).padStart(5)} insns  cold ${row.coldMs.toFixed(1).padStart(6)} ms  first5 ${row.first5Ms.toFixed(1).padStart(6)} ms  warm ${row.warmMs.toFixed(2).padStart(6)} ms (module ${row.warmWasmMs.toFixed(2)})\n`,
    );
  }
  const per100 = (f: (r: Row) => number): number[] => rows.map((r) => (f(r) / r.insns) * 100);
  const line = (label: string, f: (r: Row) => number): string => {
    const xs = rows.map(f);
    return `${label}: median ${median(xs).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms, per 100 insns median ${median(per100(f)).toFixed(2)} ms, max ${Math.max(...per100(f)).toFixed(2)} ms`;
  };
  process.stdout.write(`${rows.length} benchmarks\n${line('cold', (r) => r.coldMs)}\n${line('first 5', (r) => r.first5Ms)}\n${line('warm', (r) => r.warmMs)}\n`);
  const json = flag('--json');
  if (json !== undefined) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), warmCount, rows }, null, 1));
}
