// A VM run again on the same zero-copy input repeats its prepared form (no set-up): these tests change
// everything the prepared form depends on between two such runs and check that the second run sees it.
import { describe, expect, it } from 'vitest';
import { assemble, EbpfError, EbpfVmRaw, EbpfVmMbuff, MEM_START } from '../../src/index.js';
import { JitEngine } from '../../src/jit/engine.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { STACK_START, VmMemory } from '../../src/vm/memory.js';
import { Program } from '../../src/vm/program.js';

const engines = [
  ['interpreter', (vm: EbpfVmRaw, mem?: Uint8Array) => vm.executeProgram(mem)],
  ['jit', (vm: EbpfVmRaw, mem?: Uint8Array) => vm.executeProgramJit(mem)],
] as const;

/** r0 = r2 (the input length) * 256 + mem[0]. */
const lengthAndFirst = assemble('mov r0, r2\nlsh r0, 8\nldxb r3, [r1]\nadd r0, r3\nexit');

describe.each(engines)('repeated runs on a zero-copy view (%s)', (_name, run) => {
  it('see the view changed in place between runs', () => {
    const vm = new EbpfVmRaw(lengthAndFirst);
    const view = vm.memBuffer(4);
    view[0] = 1;
    expect(run(vm, view)).toBe(0x401n);
    view[0] = 2;
    expect(run(vm, view)).toBe(0x402n);
    expect(run(vm, view)).toBe(0x402n);
  });

  it('after a run on another array, use the view with its own length again', () => {
    const vm = new EbpfVmRaw(lengthAndFirst);
    const view = vm.memBuffer(4);
    view[0] = 1;
    expect(run(vm, view)).toBe(0x401n);
    expect(run(vm, Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(0xa07n);
    expect(run(vm, view)).toBe(0x401n);
    expect(run(vm, view)).toBe(0x401n);
  });

  it('after a larger memBuffer, the new view is used and the stale one is copied', () => {
    const vm = new EbpfVmRaw(lengthAndFirst);
    const small = vm.memBuffer(4);
    small[0] = 1;
    expect(run(vm, small)).toBe(0x401n);
    const large = vm.memBuffer(64);
    large[0] = 3;
    expect(run(vm, large)).toBe(0x4003n);
    expect(run(vm, large)).toBe(0x4003n);
    expect(run(vm, small)).toBe(0x401n);
  });

  it('run the program loaded since', () => {
    const vm = new EbpfVmRaw(lengthAndFirst);
    const view = vm.memBuffer(2);
    expect(run(vm, view)).toBe(0x200n);
    expect(run(vm, view)).toBe(0x200n);
    vm.setProgram(assemble('mov r0, 42\nexit'));
    expect(run(vm, view)).toBe(42n);
  });

  it('use the limits set since (a smaller budget stops the loop)', () => {
    const vm = new EbpfVmRaw(assemble('mov r0, 0\nadd r0, 1\njlt r0, 100, -2\nexit'));
    const view = vm.memBuffer(0);
    expect(run(vm, view)).toBe(100n);
    expect(run(vm, view)).toBe(100n);
    vm.setLimits({ instructionBudget: 50 });
    expect(() => run(vm, view)).toThrow(/budget/);
    vm.setLimits({ instructionBudget: 1000, stackSize: 256 });
    expect(run(vm, view)).toBe(100n);
  });

  it('zero the stack every time', () => {
    // Returns what the stack slot held on entry, then dirties it.
    const vm = new EbpfVmRaw(assemble('ldxdw r0, [r10-8]\nstdw [r10-8], 7\nexit'));
    const view = vm.memBuffer(0);
    for (let i = 0; i < 3; i++) expect(run(vm, view)).toBe(0n);
  });

  it('call helpers registered since, with the host set since', () => {
    const vm = new EbpfVmRaw(assemble('call 9\nexit'));
    const view = vm.memBuffer(0);
    expect(() => run(vm, view)).toThrow(/helper/);
    vm.registerHelper(9, (_a, _b, _c, _d, _e, ctx) => (ctx.host as { n: number }).n);
    vm.host = { n: 5 };
    expect(run(vm, view)).toBe(5n);
    vm.host = { n: 6 };
    expect(run(vm, view)).toBe(6n);
  });

  it('see regions a helper mapped during the previous run', () => {
    const vm = new EbpfVmRaw(assemble('call 1\nmov r6, r0\ncall 2\nldxb r0, [r6]\nexit'));
    let vaddr = 0;
    vm.registerHelper(1, () => vaddr);
    vm.registerHelper(2, (_a, _b, _c, _d, _e, ctx) => {
      if (vaddr === 0) {
        const region = ctx.memory.map({ name: 'late', size: 1 });
        ctx.memory.bytes[region.offset] = 0x33;
        vaddr = region.vaddr;
      }
      return 0;
    });
    const view = vm.memBuffer(0);
    expect(() => run(vm, view)).toThrow(/out-of-bounds/);
    expect(run(vm, view)).toBe(0x33n);
    expect(run(vm, view)).toBe(0x33n);
  });
});

describe.each(engines)('repeated runs after the layout changed (%s)', (_name, run) => {
  // The JIT keeps its region cache from run to run while the memory's layout stays the same: these
  // change the layout between runs and check that no run uses a region as it was.
  it('fail on a region unmapped since, and read the one mapped at its address since', () => {
    const vm = new EbpfVmRaw(assemble('mov r0, 0\nexit'));
    const first = vm.memory.map({ name: 'host', size: 64, writable: true });
    vm.memory.bytes[first.offset + 3] = 0x11;
    vm.setProgram(assemble(`lddw r1, ${first.vaddr}\nldxb r0, [r1+3]\nexit`));
    const view = vm.memBuffer(0);
    expect(run(vm, view)).toBe(0x11n);
    expect(run(vm, view)).toBe(0x11n);
    vm.memory.unmap(first);
    expect(() => run(vm, view)).toThrow(/out-of-bounds/);
    expect(() => run(vm, view)).toThrow(/out-of-bounds/);
    const second = vm.memory.map({ name: 'host', vaddr: first.vaddr, size: 64, writable: true });
    expect(second.offset).not.toBe(first.offset);
    vm.memory.bytes[second.offset + 3] = 0x22;
    expect(run(vm, view)).toBe(0x22n);
    expect(run(vm, view)).toBe(0x22n);
  });

  it('fail past the end of an input shrunk since', () => {
    const vm = new EbpfVmRaw(assemble('ldxb r0, [r1+8]\nexit'));
    const long = vm.memBuffer(16);
    long[8] = 9;
    expect(run(vm, long)).toBe(9n);
    expect(run(vm, long)).toBe(9n);
    const short = vm.memBuffer(4);
    expect(() => run(vm, short)).toThrow(/out-of-bounds/);
    expect(() => run(vm, short)).toThrow(/out-of-bounds/);
    expect(run(vm, long)).toBe(9n);
  });
});

describe('repeated JIT runs give the interpreter\'s results and errors', () => {
  it.each([0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xfedcba9876543210n, 0xffffffffffffffffn])(
    'r0 = %s',
    (value) => {
      const vm = new EbpfVmRaw(assemble(`lddw r0, ${value}\nexit`));
      const view = vm.memBuffer(0);
      for (let i = 0; i < 3; i++) {
        expect(vm.executeProgramJit(view)).toBe(value);
        expect(vm.executeProgram(view)).toBe(value);
      }
    },
  );

  it('results that change from run to run', () => {
    // r0 = mem[0] - 1: 2^64 - 1 when mem[0] is 0.
    const vm = new EbpfVmRaw(assemble('ldxb r0, [r1]\nsub r0, 1\nexit'));
    const view = vm.memBuffer(1);
    for (const b of [0, 1, 0, 2, 2, 255, 0]) {
      view[0] = b;
      expect(vm.executeProgramJit(view)).toBe(BigInt.asUintN(64, BigInt(b) - 1n));
    }
  });

  const budgetPrograms = {
    // One block per instruction: the error's pc is the budget.
    straight: `${'ja +0\n'.repeat(60)}exit`,
    loop: 'mov r0, 0\nadd r0, 1\nldxb r1, [r10-1]\njlt r0, 100, -3\nexit',
  };
  it.each(Object.keys(budgetPrograms).flatMap((p) => [1, 2, 3, 50, 51, 52, 53].map((b) => [p, b] as const)))('the budget error of %s with a budget of %i, at the same pc every time', (program, budget) => {
    const vm = new EbpfVmRaw(assemble(budgetPrograms[program as keyof typeof budgetPrograms]), { limits: { instructionBudget: budget } });
    const view = vm.memBuffer(0);
    const caught = (f: () => unknown): EbpfError => {
      try {
        f();
      } catch (e) {
        return e as EbpfError;
      }
      throw new Error('no error');
    };
    const expected = caught(() => vm.executeProgram(view));
    expect(expected).toBeInstanceOf(EbpfError);
    for (let i = 0; i < 3; i++) {
      const e = caught(() => vm.executeProgramJit(view));
      expect(e.constructor).toBe(expected.constructor);
      expect([e.code, e.pc, e.message]).toEqual([expected.code, expected.pc, expected.message]);
    }
  });
});

describe('repeated runs of EbpfVmMbuff on zero-copy views', () => {
  it.each(engines.map(([n]) => n))('see both views (%s)', (name) => {
    const vm = new EbpfVmMbuff(assemble('ldxw r2, [r1]\nldxb r0, [r2]\nexit'));
    vm.memBuffer(1);
    const mbuff = vm.mbuffBuffer(8);
    const mem = vm.memBuffer(1); // again: allocating the mbuff may have grown the memory (detaching views)
    const point = () => new DataView(mbuff.buffer, mbuff.byteOffset).setUint32(0, MEM_START, true);
    point();
    const go = () => (name === 'jit' ? vm.executeProgramJit(mem, mbuff) : vm.executeProgram(mem, mbuff));
    mem[0] = 4;
    expect(go()).toBe(4n);
    mem[0] = 5;
    expect(go()).toBe(5n);
    // An mbuff of zeros, copied in (over the view's bytes, which back the region): its pointer 0 is
    // unmapped. Then the views again.
    expect(() => vm.executeProgram(mem, new Uint8Array(8))).toThrow(/out-of-bounds/);
    point();
    expect(go()).toBe(5n);
  });
});

describe.each([
  ['interpreter', () => new Interpreter()],
  ['jit', () => new JitEngine()],
] as const)('Engine.run and Engine.prepare take r1 and r2 as 64-bit values (%s)', (_name, make) => {
  // r0 = r1 ^ (r2 rotated by 32): every bit of both arguments shows in the result.
  const program = new Program(assemble('mov r0, r2\nlsh r0, 32\nrsh r2, 32\nor r0, r2\nxor r0, r1\nexit'));
  const rot = (v: bigint) => ((v << 32n) | (v >> 32n)) & 0xffffffffffffffffn;
  const values = [0n, 1n, 0xffffffffn, 0x100000000n, 0x8000000000000000n, 0xfedcba9876543210n, 0xffffffffffffffffn, 0x7fffffffn, 0x80000000n];
  it.each(values.flatMap((a) => values.map((b) => [a, b] as const)))('r1 = %s, r2 = %s', (r1, r2) => {
    const engine = make();
    const memory = new VmMemory();
    const stack = memory.map({ name: 'stack', vaddr: STACK_START, size: DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth });
    const request = { program, memory, stackTop: stack.vaddr + stack.size, r1, r2, helpers: new Map(), limits: DEFAULT_LIMITS };
    const expected = r1 ^ rot(r2);
    expect(engine.run(request)).toBe(expected);
    const prepared = engine.prepare!(request);
    expect(prepared()).toBe(expected);
    expect(prepared()).toBe(expected);
  });
});
