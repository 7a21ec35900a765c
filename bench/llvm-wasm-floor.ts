/**
 * What LLVM's own WebAssembly reaches on this Node: each benchmark's C source built by clang for wasm32
 * at -O2 (no memory checks, no instruction budget, no eBPF registers), run on its full input in V8 and
 * timed beside the native build and tsbpf's JIT figure of a `bench/run.ts --json` file. It separates
 * what WebAssembly on V8 costs (LLVM-wasm / native) from what the JIT's code costs on top (JIT / LLVM-wasm):
 *   npx tsx bench/llvm-wasm-floor.ts RUN.json [NAME,NAME…]
 * clang's wasm32 object is not linked (no wasm-ld here): the entry is exported by adding an export
 * section for its largest function, and the stack pointer is an imported global. Programs whose object
 * calls a library function (memcpy, memset) are skipped with a note. Pointers are 32-bit in wasm32, so
 * the floor is slightly optimistic for 64-bit pointer code.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCHMARKS, EXPECTED_PATH, inputPath } from './suite.js';

const PROGRAMS = new URL('./programs/', import.meta.url).pathname;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function readLeb(b: Uint8Array, i: number): [number, number] {
  let r = 0;
  let s = 0;
  let x: number;
  do {
    x = b[i++]!;
    r |= (x & 0x7f) << s;
    s += 7;
  } while (x & 0x80);
  return [r >>> 0, i];
}

/** The module with `bpf_main` exported: its largest defined function (the static helpers are inlined at -O2). */
function withExport(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const sections: { id: number; start: number; body: number }[] = [];
  for (let i = 8; i < bytes.length; ) {
    const [len, body] = readLeb(bytes, i + 1);
    sections.push({ id: bytes[i]!, start: i, body });
    i = body + len;
  }
  const code = sections.find((s) => s.id === 10);
  if (code === undefined) throw new Error('no code section');
  let [count, k] = readLeb(bytes, code.body);
  let best = -1;
  let bestLen = -1;
  for (let f = 0; f < count; f++) {
    const [len, at] = readLeb(bytes, k);
    if (len > bestLen) [best, bestLen] = [f, len];
    k = at + len;
  }
  // No function imports (checked by the caller), so defined functions are numbered from 0.
  const name = [...Buffer.from('bpf_main')];
  const body = [1, ...leb(name.length), ...name, 0, ...leb(best)];
  const at = sections.find((s) => s.id === 10 || s.id === 12)!.start;
  return new Uint8Array([...bytes.subarray(0, at), 7, ...leb(body.length), ...body, ...bytes.subarray(at)]);
}

/** Best time per run in ns of `f(base)`: batches doubled to 20 ms, then the best of 8. */
function time(f: () => void): number {
  let runs = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < runs; k++) f();
    if (Number(process.hrtime.bigint() - t0) > 2e7) break;
    runs *= 2;
  }
  let best = Infinity;
  for (let b = 0; b < 8; b++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < runs; k++) f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / runs);
  }
  return best;
}

const [runFile, only] = process.argv.slice(2);
if (runFile === undefined) {
  process.stderr.write('usage: npx tsx bench/llvm-wasm-floor.ts RUN.json [NAME,NAME…]  (RUN.json from bench/run.ts --json)\n');
  process.exit(2);
}
const rows = new Map<string, { native: { ns: number }; jit: { ns: number } }>((JSON.parse(readFileSync(runFile, 'utf8')) as { rows: { name: string; native: { ns: number }; jit: { ns: number } }[] }).rows.map((r) => [r.name, r]));
const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Record<string, { full: string }>;
const work = mkdtempSync(join(tmpdir(), 'tsbpf-floor-'));
const wanted = only?.split(',');
process.stdout.write('| benchmark | LLVM-wasm | LLVM-wasm / native | JIT / native | JIT / LLVM-wasm |\n| --- | ---: | ---: | ---: | ---: |\n');
for (const b of BENCHMARKS) {
  if (wanted !== undefined && !wanted.includes(b.name)) continue;
  const row = rows.get(b.name);
  const obj = join(work, `${b.program}.o`);
  execFileSync('clang', ['--target=wasm32', '-O2', '-nostdlib', '-I', PROGRAMS, '-c', join(PROGRAMS, `${b.program}.c`), '-o', obj]);
  const mod = new WebAssembly.Module(withExport(new Uint8Array(readFileSync(obj))));
  const calls = WebAssembly.Module.imports(mod).filter((i) => i.kind === 'function');
  if (calls.length > 0 || row === undefined) {
    process.stdout.write(`| ${b.name} | skipped: ${row === undefined ? 'not in the run file' : `calls ${calls.map((c) => c.name).join(', ')}`} | | | |\n`);
    continue;
  }
  const input = readFileSync(inputPath(b.name, 'full'));
  const base = 65536; // the stack grows down below the input
  const memory = new WebAssembly.Memory({ initial: Math.ceil((base + input.length) / 65536) + 1 });
  new Uint8Array(memory.buffer).set(input, base);
  const env = { __linear_memory: memory, __stack_pointer: new WebAssembly.Global({ value: 'i32', mutable: true }, base - 16) };
  const main = new WebAssembly.Instance(mod, { env }).exports.bpf_main as (mem: number) => bigint;
  const result = `0x${BigInt.asUintN(64, main(base)).toString(16)}`;
  if (result !== expected[b.name]?.full) throw new Error(`${b.name}: LLVM-wasm result ${result}, expected ${expected[b.name]?.full}`);
  const ns = time(() => main(base));
  process.stdout.write(`| ${b.name} | ${(ns / 1000).toFixed(1)} µs | ${(ns / row.native.ns).toFixed(2)}x | ${(row.jit.ns / row.native.ns).toFixed(2)}x | ${(row.jit.ns / ns).toFixed(2)}x |\n`);
}
