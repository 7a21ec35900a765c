/**
 * Stack isolation: no run reads what an earlier run (of any program on the same VM) left on the stack,
 * however it computes the stack address — r10, a constant (STACK_START), r1, a loaded value, 32-bit
 * arithmetic — and a tail call keeps every byte its run wrote.
 */
import { describe, expect, it } from 'vitest';
import { assemble, EbpfVmRaw, STACK_START } from '../../src/index.js';
import { Program } from '../../src/vm/program.js';

const TOP = STACK_START + 8 * 512;

const engines = [
  ['interpreter', (vm: EbpfVmRaw, mem?: Uint8Array) => vm.executeProgram(mem)],
  ['interpreter JS loop', (vm: EbpfVmRaw, mem?: Uint8Array) => vm.executeProgram(mem)],
  ['jit', (vm: EbpfVmRaw, mem?: Uint8Array) => vm.executeProgramJit(mem)],
] as const;

const vmFor = (name: string, source: string): EbpfVmRaw =>
  new EbpfVmRaw(assemble(source), { verifier: () => {}, ...(name === 'interpreter JS loop' ? { interpreter: { wasmCore: false } } : {}) });

/** `lddw r1, address` for a stack address. */
const at = (address: number): string => `lddw r1, 0x${address.toString(16)}`;

/** Programs that write 0x77 somewhere on the stack without using r10. */
const writers: [string, string][] = [
  ['a constant address, stdw', `${at(TOP - 16)}\nstdw [r1], 0x77\nmov r0, 0\nexit`],
  ['a constant address deep in the stack', `${at(STACK_START + 8)}\nstdw [r1], 0x77\nmov r0, 0\nexit`],
  ['a constant address, stxb at the top byte', `${at(TOP - 1)}\nmov r2, 0x77\nstxb [r1], r2\nmov r0, 0\nexit`],
  ['a constant address, atomic add', `${at(TOP - 24)}\nmov r2, 0x77\nlock add64 [r1], r2\nmov r0, 0\nexit`],
  ['a 32-bit computed address', `mov32 r1, ${STACK_START >> 4}\nlsh32 r1, 4\nadd32 r1, ${TOP - STACK_START - 32}\nstdw [r1], 0x77\nmov r0, 0\nexit`],
  ['a loop of stores through a pointer', `${at(TOP - 64)}\nmov r2, 0\nstb [r1], 0x77\nadd r1, 1\nadd r2, 1\njlt r2, 64, -4\nmov r0, 0\nexit`],
  // Two indexed accesses through one base in a loop of two blocks (the JIT's indexed bounds, which cover
  // the stack and mark it at once).
  ['indexed stores into a stack array in a loop', `${at(TOP - 64)}\nmov r6, r1\nmov r3, 0\nmov r4, 0x77\nmov r2, r6\nadd r2, r3\nstxw [r2], r4\nmov r2, r6\nadd r2, r3\nldxw r5, [r2]\njeq r5, 5, +0\nadd r3, 4\njlt r3, 32, -9\nmov r0, 0\nexit`],
  ['the input memory\'s first word as the address', `ldxw r1, [r1]\nstdw [r1-8], 0x77\nmov r0, 0\nexit`],
];

/** A reader summing the 8-byte words of the whole stack through a pointer not derived from r10. */
const reader = `${at(STACK_START)}\nmov r0, 0\nldxdw r2, [r1]\nadd r0, r2\nadd r1, 8\njlt r1, ${TOP}, -4\nexit`;

describe.each(engines)('no run reads what an earlier run left on the stack (%s)', (name, run) => {
  it.each(writers)('after a run writing through %s', (_what, source) => {
    const vm = vmFor(name, source);
    const mem = new Uint8Array(8);
    new DataView(mem.buffer).setUint32(0, TOP - 40, true);
    expect(run(vm, mem)).toBe(0n);
    // Twice: region caches kept from run to run must not let the second run's stores go unrecorded.
    expect(run(vm, mem)).toBe(0n);
    vm.setProgram(assemble(reader));
    expect(run(vm, mem)).toBe(0n);
    // And the same program run twice: its second run starts from a zeroed stack too.
    vm.setProgram(assemble(`${at(TOP - 8)}\nldxdw r0, [r1]\nstdw [r1], 0x55\nexit`));
    expect(run(vm, mem)).toBe(0n);
    expect(run(vm, mem)).toBe(0n);
  });

  it('a helper writing into the stack through a pointer not derived from r10', () => {
    const vm = vmFor(name, `${at(TOP - 128)}\nmov r2, 16\ncall 7\nmov r0, 0\nexit`);
    vm.registerHelper(7, (r1, r2, _r3, _r4, _r5, ctx) => {
      ctx.memory.write(r1, new Uint8Array(Number(r2)).fill(0x77), ctx.pc);
      return 0;
    });
    run(vm);
    vm.setProgram(assemble(reader));
    expect(run(vm)).toBe(0n);
  });

  it('a tail call keeps bytes its run wrote through any address', () => {
    const vm = vmFor(name, `${at(STACK_START + 16)}\nstdw [r1], 5\nstdw [r10-8], 6\ncall 12\nmov r0, 99\nexit`);
    const target = new Program(assemble(`${at(STACK_START + 16)}\nldxdw r0, [r1]\nldxdw r2, [r10-8]\nadd r0, r2\nexit`));
    vm.registerHelper(12, (_r1, _r2, _r3, _r4, _r5, ctx) => (ctx.tailCall(target) ? 0 : -1));
    expect(run(vm)).toBe(11n);
  });
});
