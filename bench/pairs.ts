/**
 * Counts the dynamic pairs of consecutive instructions inside basic blocks (the candidates for the
 * interpreter's superinstructions) over the benchmark programs on their small inputs:
 *   npx tsx bench/pairs.ts [TOP]
 * Names are the interpreter's internal operation names; a pair is counted only when its second slot is
 * not a block leader (fusion never crosses a jump target). Pairs that the current superinstructions
 * (FUSED_PAIRS) already cover are not counted, so the list shows the next candidates; the dispatches
 * per executed instruction each benchmark is left with are printed too.
 * @module
 */
import { readFileSync } from 'node:fs';
import { BENCHMARKS, inputPath, objectPath } from './suite.js';
import { loadBenchProgram } from './object.js';
import { TracingVmRaw } from '../src/vm/trace.js';
import { Program } from '../src/vm/program.js';
import { FUSED_BASE, OP_MASK, OP_NAMES, predecode } from '../src/vm/interpreter-decode.js';
import { blockLeaders } from '../src/verifier/cfg.js';

const top = Number(process.argv[2] ?? '40');
const pairs = new Map<string, number>();
const singles = new Map<string, number>();
let total = 0;
for (const bench of BENCHMARKS) {
  const bytes = loadBenchProgram(objectPath(bench.program));
  const program = new Program(bytes, 'bpf_main');
  const code = predecode(program);
  const leaders = blockLeaders(program.insns);
  const op = (pc: number): number => code.words[pc * 4]! & OP_MASK;
  // A fused slot's own operation is the first half of its superinstruction's name.
  const name = (pc: number): string => OP_NAMES[op(pc)]!.split('__')[0]!;
  // inner[pc]: pc is a later slot of a superinstruction (run without a dispatch of its own).
  const inner = new Uint8Array(code.length + 1);
  for (let pc = 0; pc < code.length; pc++) {
    if (op(pc) < FUSED_BASE) continue;
    const len = OP_NAMES[op(pc)]!.split('__').length;
    for (let k = 1; k < len; k++) inner[pc + k] = 1;
  }
  const covered = (pc: number): boolean => op(pc) >= FUSED_BASE || inner[pc] === 1;
  const vm = new TracingVmRaw(bytes);
  const mem = new Uint8Array(readFileSync(inputPath(bench.name, 'small')));
  const local = new Map<string, number>();
  let prev = -1;
  let n = 0;
  let dispatches = 0;
  vm.executeProgramTraced(mem, (step) => {
    n++;
    if (!(step.pc === prev + 1 && inner[step.pc] === 1)) dispatches++;
    const a = name(step.pc);
    singles.set(a, (singles.get(a) ?? 0) + 1);
    if (prev >= 0 && step.pc === prev + 1 && leaders[step.pc] !== 1 && !covered(prev) && !covered(step.pc)) {
      const key = `${name(prev)} + ${a}`;
      local.set(key, (local.get(key) ?? 0) + 1);
    }
    prev = step.pc;
  });
  console.log(`${bench.name}: ${(dispatches / n).toFixed(3)} dispatches per executed instruction`);
  // Weight every benchmark equally (the geomean does): shares of its own executed count.
  for (const [k, v] of local) pairs.set(k, (pairs.get(k) ?? 0) + v / n);
  total++;
}
const show = (m: Map<string, number>): void => {
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((v / total) * 100).toFixed(2).padStart(6)}%  ${k}`);
};
console.log('pairs (mean share of executed instructions per benchmark):');
show(pairs);
