import { describe, expect, it } from 'vitest';
import { assemble, EbpfVmRaw } from '../../src/index.js';
import { Program } from '../../src/vm/program.js';
import { stackFootprint } from '../../src/vm/stack.js';

const footprint = (source: string) => stackFootprint(new Program(assemble(source)).insns);

describe('stack footprint (the stores through r10 the JIT checks at compile time and no engine marks)', () => {
  it.each([
    ['no stack use', 'mov r0, 1\nexit', { whole: false, low: 0 }],
    ['loads and stores off r10', 'stxdw [r10-16], r1\nldxw r0, [r10-40]\nstb [r10-24], 1\nexit', { whole: false, low: -24 }],
    ['an atomic off r10', 'lock add64 [r10-32], r1\nexit', { whole: false, low: -32 }],
    ['a store above the frame top', 'stb [r10+3], 1\nexit', { whole: false, low: 0 }],
    ['r10 copied (the copy\'s stores are marked as they run)', 'mov r1, r10\nadd r1, -8\nstdw [r1], 1\nexit', { whole: false, low: 0 }],
    ['r10 stored as a value', 'stxdw [r10-8], r10\nexit', { whole: false, low: -8 }],
    ['r10 written', 'add r10, -8\nexit', { whole: true, low: 0 }],
    ['a local call', 'call local +1\nexit\nmov r0, 0\nexit', { whole: true, low: 0 }],
  ])('%s', (_name, source, expected) => {
    expect(footprint(source)).toEqual(expected);
  });
});

const engines = [
  ['interpreter', (vm: EbpfVmRaw) => vm.executeProgram()],
  ['jit', (vm: EbpfVmRaw) => vm.executeProgramJit()],
] as const;

describe.each(engines)('every run starts with a zeroed stack (%s)', (_name, run) => {
  // Writes 0x77 through a copy of r10 (whole-stack footprint) at r10-16 and r10-600 (frame 1).
  const dirty = assemble('mov r1, r10\nadd r1, -16\nstdw [r1], 0x77\nadd r1, -584\nstdw [r1], 0x77\nmov r0, 0\nexit');

  it('a program reading its own footprint sees zeros after another program dirtied it', () => {
    const vm = new EbpfVmRaw(dirty);
    run(vm);
    vm.setProgram(assemble('ldxdw r0, [r10-16]\nexit'));
    expect(run(vm)).toBe(0n);
  });

  it('a tail call target sees what its run wrote and zeros where earlier runs wrote', () => {
    const vm = new EbpfVmRaw(dirty);
    run(vm);
    // The target reads r10-8 (written by the entry program), r10-16 and r10-600 (left dirty by `dirty`).
    const target = new Program(assemble('ldxdw r0, [r10-8]\nldxdw r1, [r10-16]\nadd r0, r1\nmov r1, r10\nadd r1, -600\nldxdw r1, [r1]\nadd r0, r1\nexit'));
    vm.setProgram(assemble('stdw [r10-8], 5\ncall 12\nmov r0, 99\nexit'));
    vm.registerHelper(12, (_r1, _r2, _r3, _r4, _r5, ctx) => (ctx.tailCall(target) ? 0 : -1));
    expect(run(vm)).toBe(5n);
  });
});

describe('a stack region that is not writable (engine API)', () => {
  it.each([['interpreter'], ['jit']])('rejects stores into it and allows loads on the %s', async (name) => {
    const { Interpreter } = await import('../../src/vm/interpreter.js');
    const { JitEngine } = await import('../../src/jit/engine.js');
    const { VmMemory, STACK_START } = await import('../../src/vm/memory.js');
    const { DEFAULT_LIMITS } = await import('../../src/vm/environment.js');
    const { MemoryAccessError } = await import('../../src/errors.js');
    const engine = name === 'jit' ? new JitEngine() : new Interpreter();
    const limits = { ...DEFAULT_LIMITS, stackSize: 64, maxCallDepth: 1 };
    const run = (source: string): bigint => {
      const memory = new VmMemory();
      memory.map({ name: 'stack', vaddr: STACK_START, size: 64, writable: false });
      const program = new Program(assemble(source));
      return engine.run({ program, memory, stackTop: STACK_START + 64, r1: 0n, r2: 0n, helpers: new Map(), limits });
    };
    expect(run('ldxdw r0, [r10-8]\nadd64 r0, 5\nexit')).toBe(5n);
    expect(() => run('mov64 r1, 7\nstxdw [r10-8], r1\nmov64 r0, 0\nexit')).toThrow(MemoryAccessError);
    expect(() => run('stb [r10-1], 7\nmov64 r0, 0\nexit')).toThrow(MemoryAccessError);
  });
});
