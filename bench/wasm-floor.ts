/**
 * The floor of what any WebAssembly code generator can reach on strcmp on this Node: `strcmp.c`'s loop
 * written by hand as WebAssembly with no memory checks, no instruction budget and no eBPF registers (the
 * loop a C-to-wasm compiler would emit), timed like the benchmark suite and beside the native build:
 *   npx tsx bench/wasm-floor.ts [--time MS]
 * The JIT issue asks for no program slower, relative to native, than rbpf's JIT (1.0x on strcmp); this
 * measures how close to native WebAssembly itself gets on that program, so that the JIT's figure in
 * `npm run bench` can be read against it. The function is called the way the JIT's prepared run is:
 * from JS, with the input already in the module's memory, its i64 result becoming a `bigint`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CodeWriter, ModuleBuilder } from '../src/wasm/module.js';
import { Op, ValType } from '../src/wasm/opcodes.js';
import { buildNative, runNative } from './native/native.js';
import { EXPECTED_PATH, inputPath } from './suite.js';
import { timeRuns } from './timing.js';

/** The benchmarks the floor module implements (both run strcmp.c). */
export const FLOOR_BENCHMARKS = ['strcmp_fail', 'strcmp_full'] as const;

/**
 * `strcmp(base) -> i64`: the header at `base` holds the two strings' offsets from `base` (u32 each);
 * compare byte by byte until a NUL or a difference, return `(s64)*a - (s64)*b`.
 */
export function floorModule(): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory');
  const f = mb.declareFunction([ValType.i32], [ValType.i64]);
  const [BASE, A, B, X] = [0, 1, 2, 3];
  const c = new CodeWriter();
  c.get(BASE).get(BASE).mem(Op.i32_load, 0).op(Op.i32_add).set(A);
  c.get(BASE).get(BASE).mem(Op.i32_load, 4).op(Op.i32_add).set(B);
  c.block().loop();
  c.get(A).mem(Op.i32_load8_u).tee(X).op(Op.i32_eqz).brIf(1);
  c.get(X).get(B).mem(Op.i32_load8_u).op(Op.i32_ne).brIf(1);
  c.get(A).i32(1).op(Op.i32_add).set(A);
  c.get(B).i32(1).op(Op.i32_add).set(B);
  c.br(0).end().end();
  c.get(A).mem(Op.i64_load8_u).get(B).mem(Op.i64_load8_u).op(Op.i64_sub);
  mb.defineFunction(f, [ValType.i32, ValType.i32, ValType.i32], c);
  mb.export('strcmp', 'func', f);
  return mb.build();
}

/** Where the input is placed in the floor module's memory. */
const FLOOR_BASE = 64;

/** A fresh instance of {@link floorModule} holding a copy of `input`, and a function running it on that copy (r0 as a u64). */
export function floorRunner(input: Uint8Array): () => bigint {
  const pages = Math.ceil((FLOOR_BASE + input.length) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(floorModule()), { env: { memory } });
  const strcmp = instance.exports['strcmp'] as (base: number) => bigint;
  new Uint8Array(memory.buffer).set(input, FLOOR_BASE);
  return () => {
    const r = strcmp(FLOOR_BASE);
    return r < 0n ? BigInt.asUintN(64, r) : r;
  };
}

function main(): void {
  const timeArg = process.argv.indexOf('--time');
  const budgetMs = timeArg >= 0 ? Number(process.argv[timeArg + 1]) : 1000;
  const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Record<string, { full: string }>;
  const rows: string[] = [];
  for (const name of FLOOR_BENCHMARKS) {
    const want = BigInt(expected[name]!.full);
    const run = floorRunner(readFileSync(inputPath(name, 'full')));
    process.stderr.write(`${name}: check-free WebAssembly…\n`);
    const floor = timeRuns(run, {
      budgetMs,
      warmupMs: 300,
      check: (r) => {
        if (r !== want) throw new Error(`${name}: the floor module returned 0x${r.toString(16)}, expected 0x${want.toString(16)}`);
      },
    });
    let native: number | undefined;
    try {
      process.stderr.write(`${name}: native…\n`);
      native = runNative(buildNative('strcmp'), inputPath(name, 'full'), budgetMs).ns;
    } catch (e) {
      process.stderr.write(`${name}: no native figure (${(e as Error).message.split('\n')[0]})\n`);
    }
    const fmt = (ns: number): string => (ns < 1e3 ? `${ns.toPrecision(3)} ns` : `${(ns / 1e3).toPrecision(3)} µs`);
    const ratio = native !== undefined ? `${(floor.ns / native).toFixed(2)}x` : '—';
    rows.push(`| ${name} | ${native !== undefined ? fmt(native) : '—'} | ${fmt(floor.ns)} (median ${fmt(floor.medianNs)}) | ${ratio} |`);
  }
  process.stdout.write('| benchmark | native | check-free WebAssembly | WebAssembly / native |\n| --- | ---: | ---: | ---: |\n');
  process.stdout.write(`${rows.join('\n')}\n\nnode ${process.version}; compare with the JIT's figures from \`npm run bench -- --filter strcmp\`\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
