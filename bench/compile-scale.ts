/**
 * JIT compile time and memory at scale, per control-flow shape (see test/jit/shapes.ts):
 *   npx tsx bench/compile-scale.ts                      every shape at 1k, 10k, 100k and 1M instructions
 *   npx tsx bench/compile-scale.ts SHAPE SIZE [SHAPE SIZE...]   chosen ones
 * Each measurement runs in its own process (node --expose-gc, so that one that fails or runs out of
 * memory does not take the others with it): generate the program, verify it (the VM constructor),
 * then `jitCompile()` once, reporting the module generation time (our code), V8's compile time, the
 * module size, the heap growth over the compile (heap used after a forced GC, with the compiled
 * module alive, minus before: what stays) and the resident size's growth (about the peak). The result is then checked against the interpreter's. A failure prints
 * the error's class, code and message instead.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generate, SHAPES, type Shape } from '../test/jit/shapes.js';
import { EbpfVmRaw } from '../src/vm/vm.js';
import { EbpfError } from '../src/errors.js';

const SIZES = (process.env.SIZES ?? "1000,10000,100000,1000000").split(",").map(Number);

function measure(shape: Shape, size: number): string {
  const prog = generate(shape, size);
  const insns = prog.length / 8;
  const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
  const vm = new EbpfVmRaw(prog);
  const mem = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255);
  gc();
  const before = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let line: string;
  try {
    const stats = vm.jitCompile();
    const total = performance.now() - t0;
    gc();
    const heap = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    // The process's resident size hardly shrinks after a GC: its growth bounds the compile's peak.
    const rss = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    line =
      `generate ${stats.generateMs.toFixed(0).padStart(6)} ms  V8 ${stats.wasmCompileMs.toFixed(0).padStart(6)} ms  ` +
      `total ${total.toFixed(0).padStart(6)} ms  module ${(stats.size / 1024).toFixed(0).padStart(6)} KiB  heap +${heap.toFixed(1)} MiB  rss +${rss.toFixed(0)} MiB`;
    const jit = vm.executeProgramJit(mem.slice());
    const interp = vm.executeProgram(mem.slice());
    if (jit !== interp) line += `  MISMATCH jit ${jit} interpreter ${interp}`;
  } catch (e) {
    const ms = performance.now() - t0;
    const err = e as Error;
    const code = e instanceof EbpfError ? ` ${e.code}` : '';
    line = `FAILED after ${ms.toFixed(0)} ms: ${err.constructor.name}${code}: ${err.message.slice(0, 160)}`;
  }
  return `${shape.padEnd(9)} ${String(insns).padStart(8)} insns  ${line}`;
}

const args = process.argv.slice(2);
if (args[0] === '--one') {
  console.log(measure(args[1] as Shape, Number(args[2])));
} else {
  const jobs: [string, number][] = [];
  if (args.length === 0) for (const s of SHAPES) for (const n of SIZES) jobs.push([s, n]);
  else for (let i = 0; i + 1 < args.length; i += 2) jobs.push([args[i]!, Number(args[i + 1])]);
  const self = fileURLToPath(import.meta.url);
  for (const [shape, size] of jobs) {
    if (!SHAPES.includes(shape as Shape)) throw new Error(`unknown shape ${shape}; shapes: ${SHAPES.join(', ')}`);
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--one', shape, String(size)], { encoding: 'utf8', timeout: 600_000 });
    const out = r.stdout.trim();
    if (out !== '') console.log(out);
    else console.log(`${shape.padEnd(9)} ${String(size).padStart(8)} insns  PROCESS DIED (${r.signal ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 200)}`);
  }
}
