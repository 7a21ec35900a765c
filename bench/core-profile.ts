/**
 * Where the interpreter core's dispatches go: for each benchmark (small input), the core's own fused words
 * (CORE_FUSED) are replayed over a trace, counting dispatches per core operation, the stack accesses
 * through r10, and the dynamic pairs inside blocks that no core superinstruction covers:
 *   npx tsx bench/core-profile.ts [FILTER,...] [--top N]
 * @module
 */
import { readFileSync } from 'node:fs';
import { BENCHMARKS, inputPath, objectPath } from './suite.js';
import { loadBenchProgram } from './object.js';
import { TracingVmRaw } from '../src/vm/trace.js';
import { Program } from '../src/vm/program.js';
import { OP_MASK, predecode, SLOT_WORDS } from '../src/vm/interpreter-decode.js';
import { CORE_OP_NAMES, coreFuse } from '../src/vm/interpreter-core-fused.js';
import { blockLeaders } from '../src/verifier/cfg.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const filters = args.filter((a, i) => !a.startsWith('--') && i !== topAt + 1).flatMap((a) => a.split(','));
const ops = new Map<string, number>();
const pairs = new Map<string, number>();
let total = 0;
for (const bench of BENCHMARKS) {
  if (filters.length > 0 && !filters.some((f) => bench.name.includes(f))) continue;
  const bytes = loadBenchProgram(objectPath(bench.program));
  const program = new Program(bytes, 'bpf_main');
  const code = predecode(program);
  const words = code.words.slice();
  coreFuse(words, code.length);
  const leaders = blockLeaders(program.insns);
  const opName = (pc: number): string => CORE_OP_NAMES[words[pc * SLOT_WORDS]! & OP_MASK] ?? '?';
  const inner = new Uint8Array(code.length + 1);
  for (let pc = 0; pc < code.length; pc++) {
    const len = opName(pc).split('__').length;
    for (let k = 1; k < len; k++) inner[pc + k] = 1;
  }
  const vm = new TracingVmRaw(bytes);
  const mem = new Uint8Array(readFileSync(inputPath(bench.name, 'small')));
  const local = new Map<string, number>();
  const localPairs = new Map<string, number>();
  let prev = -1;
  let n = 0;
  let dispatches = 0;
  let r10 = 0;
  vm.executeProgramTraced(mem, (step) => {
    n++;
    const insn = program.insns[step.pc]!;
    const cls = insn.opcode & 7;
    if ((cls === 1 && insn.src === 10) || ((cls === 2 || cls === 3) && insn.dst === 10)) r10++;
    const fusedIn = step.pc === prev + 1 && inner[step.pc] === 1;
    if (!fusedIn) {
      dispatches++;
      const k = opName(step.pc);
      local.set(k, (local.get(k) ?? 0) + 1);
      if (prev >= 0 && step.pc === prev + 1 && leaders[step.pc] !== 1 && inner[prev] !== 1 && !opName(prev).includes('__') && !k.includes('__')) {
        const pk = `${opName(prev)} + ${k}`;
        localPairs.set(pk, (localPairs.get(pk) ?? 0) + 1);
      }
    }
    prev = step.pc;
  });
  console.log(`${bench.name.padEnd(14)} insns ${String(n).padStart(9)}  dispatches/insn ${(dispatches / n).toFixed(3)}  r10 accesses ${((r10 / n) * 100).toFixed(1)}%`);
  for (const [k, v] of local) ops.set(k, (ops.get(k) ?? 0) + v / n);
  for (const [k, v] of localPairs) pairs.set(k, (pairs.get(k) ?? 0) + v / n);
  total++;
}
const show = (m: Map<string, number>): void => {
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((v / total) * 100).toFixed(2).padStart(6)}%  ${k}`);
};
console.log('dispatches per core operation (mean share of executed instructions):');
show(ops);
console.log('unfused dynamic pairs of base operations inside blocks:');
show(pairs);
