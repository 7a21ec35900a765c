/**
 * JIT compile time of a 1,000-instruction program (the JIT issue asks for "a few milliseconds"):
 *   npx tsx bench/compile-time.ts [INSTRUCTIONS]
 * The program is generated: units of loads from `mem`, 64- and 32-bit arithmetic, forward branches
 * (so about one basic block per four instructions), stack stores and, every eighth unit, a short
 * counted loop, ending in one `exit`. Run in a fresh process, the first `jitCompile()` is the cold figure
 * (V8 still runs the compiler's JavaScript unoptimized); the warm figure is the median of later ones.
 * Verification (the VM constructor) is left out of both. The program's result on the interpreter and
 * the JIT is checked to agree.
 * @module
 */
import { assemble } from '../src/asm/assembler.js';
import { EbpfVmRaw } from '../src/vm/vm.js';

const target = Number(process.argv[2] ?? '1000');

/** Assembly of one unit (10-15 instructions), varied by `k`. */
function unit(k: number): string[] {
  const off = (k * 4) % 60;
  const lines = [
    `ldxw r2, [r1+${off}]`,
    `add64 r2, ${k * 7 + 1}`,
    `jgt r2, ${1000 + k * 13}, +3`,
    `mul64 r3, r2`,
    `xor64 r4, r3`,
    `ja +2`,
    `lsh64 r3, ${(k % 31) + 1}`,
    `or64 r4, r3`,
    `mov32 r5, r4`,
    `rsh32 r5, ${(k % 7) + 1}`,
    `add32 r6, r5`,
    `stxdw [r10-${8 + (k % 8) * 8}], r4`,
    `add64 r0, r6`,
  ];
  if (k % 8 === 7) lines.push('mov64 r7, 0', `add64 r7, 1`, `add64 r0, r7`, `jlt r7, ${(k % 5) + 2}, -3`);
  return lines;
}

const lines = ['mov64 r0, 0', 'mov64 r3, 1', 'mov64 r4, 0', 'mov64 r6, 0'];
for (let k = 0; lines.length < target - 1; k++) lines.push(...unit(k));
lines.push('exit');
const prog = assemble(lines.join('\n'));
const insns = prog.length / 8;
const mem = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255);

const time = (): number => {
  const vm = new EbpfVmRaw(prog);
  const t0 = performance.now();
  vm.jitCompile();
  const ms = performance.now() - t0;
  if (vm.executeProgramJit(mem.slice()) !== vm.executeProgram(mem.slice())) throw new Error('JIT and interpreter disagree');
  return ms;
};
const cold = time();
const warm: number[] = [];
for (let i = 0; i < 60; i++) warm.push(time());
const later = warm.slice(20).sort((a, b) => a - b);
const median = later[Math.floor(later.length / 2)]!;
console.log(`${insns} instructions: cold ${cold.toFixed(1)} ms (first compile in this process), warm ${median.toFixed(2)} ms (median of the last 40 of 60)`);
