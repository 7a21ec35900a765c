/**
 * Where the interpreter core's dispatches go: for each benchmark (small input), the core's own words
 * (re-fused with CORE_FUSED, combined loads, frame accesses) are replayed over a trace, counting per
 * executed instruction: dispatches, the share run inside a multi-slot operation (fused or a combined
 * load), memory accesses and those that take a region cache's compare (not frame accesses), byte
 * accesses, control transfers (every conditional jump, `ja`, call and `exit`: the cases that charge the
 * budget), calls (local and helper) and the share inside counted copy loops (which the core runs in bulk,
 * the trace one by one); then dispatches per core operation, the stack accesses through r10, and the
 * dynamic pairs inside blocks that no core superinstruction covers:
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
import { FRAME_OPS, frameAccesses, frameOpName } from '../src/vm/interpreter-core-frame.js';
import { COPY_LOOP_OP } from '../src/vm/copy-loop.js';
import { LOAD_WORD_B, LOAD_WORD_H } from '../src/vm/load-word.js';

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
  frameAccesses(words, code.length, program);
  const leaders = blockLeaders(program.insns);
  const frameName = new Map(FRAME_OPS.map((f) => [f.num, frameOpName(f.base)]));
  const opName = (pc: number): string => {
    const num = words[pc * SLOT_WORDS]! & OP_MASK;
    return frameName.get(num) ?? CORE_OP_NAMES[num] ?? '?';
  };
  // Slots of one dispatch: a superinstruction's parts, a combined load's run (its length in the immediate).
  const runLength = (pc: number): number => {
    const num = words[pc * SLOT_WORDS]! & OP_MASK;
    if (num === LOAD_WORD_B || num === LOAD_WORD_H) return (words[pc * SLOT_WORDS + 1]! >>> 16) & 63;
    return opName(pc).split('__').length;
  };
  const inner = new Uint8Array(code.length + 1);
  const inCopyLoop = new Uint8Array(code.length + 1);
  for (let pc = 0; pc < code.length; pc++) {
    const len = runLength(pc);
    for (let k = 1; k < len; k++) inner[pc + k] = 1;
    if ((words[pc * SLOT_WORDS]! & OP_MASK) === COPY_LOOP_OP) {
      const plan = code.copyLoops[words[pc * SLOT_WORDS + 1]!]!;
      for (let q = plan.start; q < plan.start + plan.length; q++) inCopyLoop[q] = 1;
    }
  }
  const vm = new TracingVmRaw(bytes);
  const mem = new Uint8Array(readFileSync(inputPath(bench.name, 'small')));
  const local = new Map<string, number>();
  const localPairs = new Map<string, number>();
  let prev = -1;
  let n = 0;
  let dispatches = 0;
  let r10 = 0;
  let fused = 0;
  let accesses = 0;
  let checked = 0;
  let byteAccesses = 0;
  let transfers = 0;
  let calls = 0;
  let copying = 0;
  let multi = -1; // the slot that started the multi-slot dispatch under way
  vm.executeProgramTraced(mem, (step) => {
    n++;
    const insn = program.insns[step.pc]!;
    const cls = insn.opcode & 7;
    if ((cls === 1 && insn.src === 10) || ((cls === 2 || cls === 3) && insn.dst === 10)) r10++;
    const fusedIn = step.pc === prev + 1 && inner[step.pc] === 1;
    if (inCopyLoop[step.pc] === 1) copying++;
    if (cls === 1 || cls === 2 || cls === 3) {
      accesses++;
      if (((insn.opcode >> 3) & 3) === 2) byteAccesses++;
      const combined = fusedIn && multi >= 0 && opName(multi).startsWith('load_word');
      // The part this slot is of the dispatch under way (a superinstruction's part may be a frame access).
      const part = fusedIn && multi >= 0 ? (opName(multi).split('__')[step.pc - multi] ?? '') : opName(step.pc).split('__')[0]!;
      if (!part.endsWith('_fp') && !combined) checked++;
    }
    if (cls === 5 || cls === 6) {
      const code4 = insn.opcode >> 4;
      if (code4 === 8) calls++;
      if (code4 !== 8 || insn.src === 1) transfers++; // a helper call hands over; the rest charge a chain
    }
    if (fusedIn) fused++;
    else multi = runLength(step.pc) > 1 ? step.pc : -1;
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
  const per = (v: number): string => (v / n).toFixed(3).padStart(6);
  const pct = (v: number): string => `${((v / n) * 100).toFixed(1).padStart(5)}%`;
  if (total === 0) console.log(`${''.padEnd(14)} ${'insns'.padStart(9)} disp/i in-run  acc/i  chk/i  bytes   r10   xfer/i call/i  copy`);
  console.log(`${bench.name.padEnd(14)} ${String(n).padStart(9)} ${per(dispatches)} ${pct(fused)} ${per(accesses)} ${per(checked)} ${pct(byteAccesses)} ${pct(r10)} ${per(transfers)} ${per(calls)} ${pct(copying)}`);
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
