/**
 * Worker side of the shared-memory atomics test: attaches to the shared memory, maps the counters'
 * region at the linear offset the parent gave, waits for every thread, then on each engine runs a loop
 * of `lock xadd` on its counter (8-byte and 4-byte forms) `runs` times.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AtomicOp, insn, Class, AluOp, JmpOp, Source } from '../../src/isa/index.js';
import { VmMemory } from '../../src/vm/memory.js';
import { ENGINES, atomicInsn, mapStack, runOn } from './atomics-harness.js';

const d = workerData as { memory: WebAssembly.Memory; offset: number; barrier: number; threads: number; base: number; runs: number; loop: number };
const memory = new VmMemory({ attach: d.memory });
// The counters at the offset every thread uses; the stack in this worker's own bytes.
const names = Object.keys(ENGINES);
const data = memory.map({ name: 'counters', size: 16 * names.length, offset: d.offset });
memory.privateArea(d.base, 1 << 16);
const top = mapStack(memory);
const loop = (size: 4 | 8, off: number, n: number) => [
  insn(Class.ALU64 | AluOp.MOV | Source.K, 2, 0, 0, 1),
  insn(Class.ALU64 | AluOp.MOV | Source.K, 3, 0, 0, n),
  atomicInsn(size, 1, 2, off, AtomicOp.ADD),
  insn(Class.ALU64 | AluOp.SUB | Source.K, 3, 0, 0, 1),
  insn(Class.JMP | JmpOp.JNE | Source.K, 3, 0, -3, 0),
  insn(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 0),
  insn(Class.JMP | JmpOp.EXIT),
];
// Each engine's turn starts in every thread together, so that the threads' loops overlap.
const flags = new Int32Array(d.memory.buffer);
names.forEach((name, k) => {
  Atomics.add(flags, d.barrier >> 2, 1);
  while (Atomics.load(flags, d.barrier >> 2) < d.threads * (k + 1));
  const engine = ENGINES[name]!();
  for (const size of [8, 4] as const) {
    const insns = loop(size, 16 * k + (size === 8 ? 0 : 8), name === 'jit' ? d.loop * 250 : d.loop);
    for (let i = 0; i < d.runs; i++) runOn(engine, memory, top, data, insns);
  }
});
parentPort!.postMessage('done');
