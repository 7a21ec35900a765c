/**
 * Time of the text tools on large inputs (issue 16: a 1,000,000-instruction disassembly took 12-16 s,
 * a 100 KB line of blanks 8-14 s to assemble):
 *   npx tsx bench/text-tools.ts [INSTRUCTIONS]
 * Disassembles a program of N slots (default 1,000,000) made of a repeated mix of ALU, load, store,
 * jump, call and `lddw` instructions, and N slots of pseudo-random bytes (mostly `.byte` lines), in
 * each output form; then assembles the mix's text back and one 1 MB line of blanks. Figures are CPU
 * milliseconds of this process (the wall clock of a shared machine says little).
 * @module
 */
import { assemble } from '../src/asm/assembler.js';
import { disassemble, type DisassembleOptions } from '../src/asm/disassembler.js';

const slots = Number(process.argv[2] ?? '1000000');

function cpuMs(f: () => unknown): number {
  const start = process.cpuUsage().user;
  f();
  return (process.cpuUsage().user - start) / 1000;
}

const unit = assemble(`mov r0, 1
add r1, 0x605
ldxw r2, [r1+4]
stxdw [r10-8], r2
jeq r1, 4, +1
call 1
lddw r3, 0x1122334455667788
r0 = *(u32 *)(r1 + 0)
exit`);
const mix = new Uint8Array(Math.ceil((slots * 8) / unit.length) * unit.length);
for (let at = 0; at < mix.length; at += unit.length) mix.set(unit, at);
const random = new Uint8Array(slots * 8);
let seed = 1;
for (let i = 0; i < random.length; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  random[i] = seed >>> 24;
}

const forms: [string, DisassembleOptions][] = [
  ['rbpf', {}],
  ['llvm', { syntax: 'llvm' }],
  ['labels, pc, bytes', { labels: true, showPc: true, showBytes: true }],
];
console.log(`| input (${slots} slots) | form | CPU ms |\n| --- | --- | --- |`);
let mixText = '';
for (const [name, bytes] of [['mix', mix], ['random bytes', random]] as const) {
  for (const [form, options] of forms) {
    const ms = cpuMs(() => {
      const text = disassemble(bytes, options);
      if (name === 'mix' && form === 'rbpf') mixText = text;
    });
    console.log(`| disassemble ${name} | ${form} | ${ms.toFixed(0)} |`);
  }
}
console.log(`| assemble the mix's text | rbpf | ${cpuMs(() => assemble(mixText)).toFixed(0)} |`);
console.log(`| assemble a 1 MB line of blanks | | ${cpuMs(() => assemble(`mov r0,${' '.repeat(1 << 20)}1\nexit`)).toFixed(0)} |`);
