/**
 * The interpreter's WebAssembly loop (src/vm/interpreter-core.ts) against its JS loop alone: the same
 * results, memory, errors and error pcs, for programs that end in the WebAssembly loop and for every
 * way it hands a run back to the JS loop (helper and local calls, atomics, LD_ABS at negative offsets, the
 * budget running out at a block's first slot or elsewhere, an access no region allows, in the first
 * or a later part of a superinstruction). The differential and conformance tests run both as well;
 * these pin the hand-back cases down one by one.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { assemble, EbpfError, EbpfVmMbuff, EbpfVmRaw, type VmOptions } from '../../src/index.js';
import { coreModule, InterpreterCore } from '../../src/vm/interpreter-core.js';
import { interpreterCode } from '../../src/vm/interpreter-decode.js';
import { STACK_START, VmMemory } from '../../src/vm/memory.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { DEFAULT_LIMITS, type HelperEntry, type HelperTable } from '../../src/vm/environment.js';
import { Program } from '../../src/vm/program.js';
import { BENCHMARKS, EXPECTED_PATH, inputPath, objectPath } from '../../bench/suite.js';
import { loadBenchProgram } from '../../bench/object.js';

type Outcome = { r0: string; mem: string } | { error: string; code: string; pc: number | undefined; message: string };

/** Run `source` on a fresh raw VM (with `options`) over a copy of `mem`. */
function outcome(source: string, mem: Uint8Array, options: VmOptions): Outcome {
  const vm = new EbpfVmRaw(assemble(source), options);
  const copy = mem.slice();
  try {
    const r0 = vm.executeProgram(copy);
    return { r0: `0x${r0.toString(16)}`, mem: Buffer.from(copy).toString('hex') };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { error: e.constructor.name, code: e.code, pc: e.pc, message: e.message };
  }
}

const helpers = { 7: (a: bigint, b: bigint) => a * 3n + b };

/** Both loops agree on `source` for every budget from 1 to `maxBudget` and without one. */
function agree(source: string, mem: Uint8Array, maxBudget = 40): Outcome {
  const want = outcome(source, mem, { helpers, interpreter: { wasmCore: false } });
  expect(outcome(source, mem, { helpers })).toEqual(want);
  for (let budget = 1; budget <= maxBudget; budget++) {
    const limits = { instructionBudget: budget };
    expect(outcome(source, mem, { helpers, limits })).toEqual(outcome(source, mem, { helpers, limits, interpreter: { wasmCore: false } }));
  }
  return want;
}

const mem16 = Uint8Array.from({ length: 16 }, (_, i) => i * 17 + 3);

describe('the interpreter core (WebAssembly loop)', () => {
  it('is a valid module', () => {
    expect(() => new WebAssembly.Module(coreModule())).not.toThrow();
  });

  it('runs a program to its exit itself: status -1, r0 in its register area', () => {
    const memory = new VmMemory();
    const core = new InterpreterCore(memory, new WebAssembly.Module(coreModule()));
    const code = interpreterCode(new Program(assemble('mov r0, 6\nlsh r0, 60\nadd r0, 1\nmov r2, 7\ndiv r0, r2\nexit')));
    const words = core.wordsOf(code)!;
    expect(core.run(code, words, 1000, 0, 0, 0, 0, 0, undefined)).toBe(-1);
    const r0 = (BigInt(core.r0High() >>> 0) << 32n) | BigInt(core.r0Low() >>> 0);
    expect(r0).toBe(((6n << 60n) + 1n) / 7n);
  });

  it('hands a helper call back at its slot, with the budget charged so far', () => {
    const memory = new VmMemory();
    const core = new InterpreterCore(memory, new WebAssembly.Module(coreModule()));
    const code = interpreterCode(new Program(assemble('mov r1, 5\nmov r2, 2\ncall 7\nexit')));
    expect(core.run(code, core.wordsOf(code)!, 1000, 0, 0, 0, 0, 0, undefined)).toBe(2 * 4); // slot 2, as a word index
    expect(core.used()).toBe(3); // the call ends the first block, charged whole on entry
    const r = new Int32Array(32);
    core.copyRegisters(r);
    expect([r[2], r[4]]).toEqual([5, 2]);
  });

  it('keeps its region caches from run to run only while the memory layout is the same', () => {
    const memory = new VmMemory();
    const stack = memory.map({ name: 'stack', vaddr: STACK_START, size: 512 });
    let data = memory.map({ name: 'data', vaddr: 0x3000_0000, size: 8 });
    memory.bytes[data.offset] = 11;
    const program = new Program(assemble('ldxb r0, [r1+0]\nstb [r1+1], 5\nexit'));
    const interpreter = new Interpreter();
    const run = (): bigint => interpreter.run({ program, memory, stackTop: stack.vaddr + 512, r1: 0x3000_0000n, r2: 0n, helpers: new Map(), limits: DEFAULT_LIMITS });
    expect(run()).toBe(11n);
    expect(run()).toBe(11n);
    // The same virtual address, now other bytes: a kept cache would read (and write) the old ones.
    memory.unmap(data);
    data = memory.map({ name: 'data', vaddr: 0x3000_0000, size: 8 });
    memory.bytes[data.offset] = 22;
    expect(run()).toBe(22n);
    expect(memory.bytes[data.offset + 1]).toBe(5);
    memory.unmap(data);
    expect(run).toThrow(/out-of-bounds 1-byte load at 0x30000000/);
  });

  it('keeps programs apart in one memory', () => {
    const memory = new VmMemory();
    const core = new InterpreterCore(memory, new WebAssembly.Module(coreModule()));
    const a = interpreterCode(new Program(assemble('mov r0, 1\nexit')));
    const b = interpreterCode(new Program(assemble('mov r0, 2\nexit')));
    const wa = core.wordsOf(a)!;
    const wb = core.wordsOf(b)!;
    expect(wa).not.toBe(wb);
    expect(core.wordsOf(a)).toBe(wa);
    for (const [c, w, v] of [[a, wa, 1], [b, wb, 2], [a, wa, 1]] as const) {
      expect(core.run(c, w, 10, 0, 0, 0, 0, 0, undefined)).toBe(-1);
      expect(core.r0Low()).toBe(v);
    }
  });
});

describe('the interpreter core and the JS loop agree', () => {
  it('on ALU, jumps, loads and stores that end in the core', () => {
    const out = agree(
      `mov r0, 0
       mov r3, 0
       loop:
       ldxb r4, [r1+0]
       add r1, 1
       mul r4, 2654435761
       xor r0, r4
       rsh r0, 3
       stxdw [r10-8], r0
       ldxdw r5, [r10-8]
       add r3, 1
       jlt r3, 12, loop
       be32 r5
       mov r0, r5
       exit`,
      mem16,
      60,
    );
    expect('r0' in out).toBe(true);
  });

  it('on a helper call in the middle of a block (registers and budget handed over)', () => {
    const out = agree('mov r6, 11\nmov r1, 5\nmov r2, 2\ncall 7\nadd r0, r6\nexit', mem16);
    expect(out).toMatchObject({ r0: '0x1c' });
    // The call starts a block (a jump target): the core charged that block before handing it back.
    agree('mov r1, 5\nmov r2, 2\nja next\nnext:\ncall 7\nadd r0, 1\nja next2\nnext2:\nexit', mem16, 12);
  });

  it('on a helper call inside a loop (handed over and given back every iteration)', () => {
    const source = 'mov r6, 0\nmov r7, 0\nloop:\nmov r1, r6\nmov r2, 1\ncall 7\nadd r7, r0\nadd r6, 1\njlt r6, 9, loop\nmov r0, r7\nexit';
    expect(agree(source, mem16, 80)).toMatchObject({ r0: `0x${(3 * 36 + 9).toString(16)}` });
    // A local call in the loop: the JS loop runs the frame and gives the run back after it returns.
    agree('mov r6, 0\nloop:\nmov r1, r6\ncall local f\nadd r6, 1\njlt r6, 5, loop\nmov r0, r6\nexit\nf:\nmov r0, r1\nexit', mem16, 60);
  });

  it('on tail calls: the same results, and maxTailCalls still counts the whole run', () => {
    const run = (wasmCore: boolean, maxTailCalls: number): string => {
      const vm = new EbpfVmRaw(assemble('add r6, 1\nmov r1, 0\ncall 12\nmov r0, r6\nexit'), { limits: { maxTailCalls }, interpreter: { wasmCore } });
      const self = new Program(assemble('add r6, 1\nmov r1, 0\ncall 12\nmov r0, r6\nexit'));
      vm.registerHelper(12, (_1, _2, _3, _4, _5, ctx) => (ctx.tailCall(self) ? 0 : 1));
      return vm.executeProgram().toString();
    };
    for (const max of [0, 1, 5, 33]) expect(run(true, max)).toBe(run(false, max));
    expect(run(true, 33)).toBe('34');
  });

  it('when a helper grows the memory and maps a region between hand-overs', () => {
    const run = (wasmCore: boolean): string => {
      const vm = new EbpfVmRaw(
        assemble(`mov r6, 0
          mov r7, 0
          loop:
          mov r1, r6
          call 9
          ldxw r2, [r0+0]
          add r7, r2
          ldxw r2, [r10-8]
          add r7, r2
          stxw [r10-8], r7
          add r6, 1
          jlt r6, 6, loop
          mov r0, r7
          exit`),
        { interpreter: { wasmCore } },
      );
      let next = 0;
      // Each call grows the linear memory by a megabyte and maps a fresh 16-byte region holding 1000 + i.
      vm.registerHelper(9, (i, _2, _3, _4, _5, ctx) => {
        ctx.memory.allocate(1 << 20);
        const region = ctx.memory.map({ name: `r${next++}`, size: 16 });
        ctx.memory.view.setUint32(region.offset, 1000 + Number(i), true);
        return BigInt(region.vaddr);
      });
      return vm.executeProgram().toString();
    };
    expect(run(true)).toBe(run(false));
  });

  it('when a helper runs another program on the same memory (the core area is shared)', () => {
    const run = (wasmCore: boolean): string => {
      const memory = new VmMemory();
      const outerStack = memory.map({ name: 'stack', vaddr: STACK_START, size: 512 });
      const innerStack = memory.map({ name: 'stack2', vaddr: STACK_START + 0x10000, size: 512 });
      const data = memory.map({ name: 'data', vaddr: 0x3000_0000, size: 64 });
      for (let i = 0; i < 64; i++) memory.bytes[data.offset + i] = i * 7 + 1;
      const interpreter = new Interpreter({ wasmCore });
      const inner = new Program(assemble('mov r0, 0\nmov r2, 0\nl:\nldxb r3, [r1+0]\nadd r0, r3\nmul r0, 3\nadd r1, 1\nadd r2, 1\njlt r2, 20, l\nexit'));
      const outer = new Program(
        assemble('mov r6, 0\nmov r7, 0\nloop:\nmov r1, r6\ncall 9\nadd r7, r0\nstxdw [r10-8], r7\nadd r6, 1\njlt r6, 5, loop\nldxdw r0, [r10-8]\nexit'),
      );
      // Helper 9 runs `inner` on the same memory (another stack) from inside the outer run.
      const nested = (i: bigint): bigint =>
        interpreter.run({ program: inner, memory, stackTop: innerStack.vaddr + 512, r1: 0x3000_0000n + i, r2: 0n, helpers: new Map(), limits: DEFAULT_LIMITS });
      const helpers: HelperTable = new Map<number, HelperEntry>([[9, { name: 'nested', unwindOnZero: false, fn: nested }]]);
      return interpreter.run({ program: outer, memory, stackTop: outerStack.vaddr + 512, r1: 0n, r2: 0n, helpers, limits: DEFAULT_LIMITS }).toString();
    };
    expect(run(true)).toBe(run(false));
  });

  it('on counted copy loops, which it runs itself: in bulk, refused (overlapping), into the stack', () => {
    const loop = (setup: string, step: number, size: string): string =>
      `mov r2, ${step === 1 ? 12 : 3}\nmov r0, 0\n${setup}\nloop:\nmov r6, r1\nadd r6, r5\nldx${size} r7, [r1+0]\nstx${size} [r6+0], r7\nadd r1, ${step}\nadd r0, 1\njlt r0, r2, loop\nldxdw r0, [r10-64]\nexit`;
    agree(loop('mov r5, 8', 1, 'b'), mem16, 90); // dst 8 bytes ahead of src: the bulk step refuses
    agree(loop('mov r5, r10\nsub r5, r1\nsub r5, 64', 1, 'b'), mem16, 90); // into the stack
    agree(loop('mov r5, r10\nsub r5, r1\nsub r5, 64', 4, 'w'), mem16, 30);
    // Run by the core alone to its exit: no hand-over, the JS loop's charges (3 + 3 × 7 + 2).
    const memory = new VmMemory();
    const stack = memory.map({ name: 'stack', vaddr: STACK_START, size: 512 });
    const data = memory.map({ name: 'data', vaddr: 0x3000_0000, size: 64 });
    memory.bytes.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24], data.offset);
    const core = new InterpreterCore(memory, new WebAssembly.Module(coreModule()));
    const code = interpreterCode(new Program(assemble(loop('mov r5, 32', 8, 'dw'))));
    expect(code.copyLoops).toHaveLength(1);
    expect(core.run(code, core.wordsOf(code)!, 1000, 0x3000_0000, 0, 0, 0, STACK_START + 512, stack)).toBe(-1);
    expect(core.used()).toBe(26);
    expect(Array.from(memory.bytes.subarray(data.offset + 32, data.offset + 56))).toEqual(Array.from(memory.bytes.subarray(data.offset, data.offset + 24)));
  });

  it('on LD_ABS and LD_IND in the input, outside it and at negative offsets (r0 = 0)', () => {
    for (const load of ['ldabsb 3', 'ldabsh 14', 'ldabsw 12', 'ldabsw 13', 'ldabsb 16', 'ldabsh 15', 'ldabsw -1']) {
      const out = agree(`mov r6, r1\nmov r0, 99\n${load}\nadd r0, 1\nexit`, mem16, 4);
      expect('r0' in out).toBe(true);
    }
    expect(agree('mov r6, r1\nldabsw 13\nadd r0, 1\nexit', mem16, 4)).toMatchObject({ r0: '0x0' });
    expect(agree('mov r6, r1\nldabsh 2\nexit', mem16, 4)).toMatchObject({ r0: `0x${((mem16[2]! << 8) | mem16[3]!).toString(16)}` });
    for (const [k, off] of [[2, 0], [5, 3], [-3, 20], [0x7ffffff0, 0x20], [-1, 1]] as const) {
      agree(`mov r6, r1\nmov r3, ${k}\nldindh r3, ${off}\nmov r7, r0\nldindb r3, ${off + 1}\nadd r0, r7\nexit`, mem16, 8);
    }
  });

  it('on a local call, an atomic and LD_ABS', () => {
    agree('mov r1, 3\ncall local sub\nadd r0, 1\nexit\nsub:\nmov r0, r1\nmul r0, 5\nexit', mem16);
    agree('mov r2, 9\nstxdw [r10-8], r2\nmov r3, 4\nlock fetch add [r10-8], r3\nldxdw r0, [r10-8]\nadd r0, r3\nexit', mem16);
    agree('mov r6, r1\nldabsh 2\nexit', mem16);
  });

  it('on an access no region allows, in the first part of a slot run and in a later one', () => {
    // mov64_x + add64_x + ldxb is one superinstruction: the load is its third part.
    const first = agree('mov r0, 0\nldxb r0, [r1+16]\nexit', mem16);
    expect(first).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 1 });
    const later = agree('mov r3, 100\nmov r2, r1\nadd r2, r3\nldxb r0, [r2+0]\nexit', mem16);
    expect(later).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 3 });
    expect(agree('mov r2, 7\nstxb [r1+20], r2\nexit', mem16)).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 1 });
  });

  it('on accesses in the last bytes of a region and in regions smaller than 8 bytes (a miss refills the cache, exact per size)', () => {
    // Sum every byte, then every 2- and 4-byte word ending at the region's end, byte stores at the end too.
    const loop = [
      'mov r0, 0', 'mov r2, 0',
      'loop:', 'mov r3, r1', 'add r3, r2', 'ldxb r4, [r3+0]', 'add r0, r4', 'stxb [r3+0], r4', 'add r2, 1', 'jlt r2, r6, loop',
      'mov r3, r1', 'add r3, r6', 'ldxh r4, [r3-2]', 'add r0, r4', 'ldxw r4, [r3-4]', 'add r0, r4', 'stxh [r3-2], r4', 'exit',
    ];
    for (const size of [4, 7, 13, 16]) {
      const mem = mem16.slice(0, size);
      const source = [`mov r6, ${size}`, ...loop].join('\n');
      expect(agree(source, mem, 12), `size ${size}`).toHaveProperty('r0');
      // One byte past the end faults at its pc in both loops.
      expect(agree(`ldxb r0, [r1+${size}]\nexit`, mem, 4)).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 0 });
      expect(agree(`ldxw r0, [r1+${size - 3}]\nexit`, mem, 4)).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 0 });
    }
    // A 3-byte region: 1- and 2-byte accesses fit, a 4-byte one does not.
    expect(agree('ldxh r0, [r1+1]\nldxb r2, [r1+0]\nadd r0, r2\nexit', mem16.slice(0, 3), 6)).toHaveProperty('r0');
    expect(agree('ldxw r0, [r1+0]\nexit', mem16.slice(0, 3), 4)).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 0 });
  });

  it('on loads from two regions in turn (mbuff and mem) and a store outside the stack', () => {
    const source = 'ldxw r2, [r1+0]\nldxw r3, [r1+4]\nlddw r4, 0x10000000\nldxw r5, [r4+0]\nadd r2, r5\nldxw r5, [r4+4]\nadd r3, r5\nmov r0, r2\nadd r0, r3\nexit';
    const run = (options: VmOptions): bigint => new EbpfVmMbuff(assemble(source), options).executeProgram(mem16.slice(), mem16.slice(0, 8));
    expect(run({})).toBe(run({ interpreter: { wasmCore: false } }));
    expect(agree('mov r2, 1\nstxb [r10+8], r2\nexit', mem16)).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 1 });
  });

  it('on a read-only region: loads allowed, a store refused at its pc', () => {
    const run = (source: string, wasmCore: boolean): string => {
      const memory = new VmMemory();
      const stack = memory.map({ name: 'stack', vaddr: STACK_START, size: 512 });
      memory.map({ name: 'ro', vaddr: 0x3000_0000, size: 16, writable: false });
      const program = new Program(assemble(source));
      try {
        const r0 = new Interpreter({ wasmCore }).run({ program, memory, stackTop: stack.vaddr + 512, r1: 0x3000_0000n, r2: 0n, helpers: new Map(), limits: DEFAULT_LIMITS });
        return `r0 ${r0}`;
      } catch (e) {
        return e instanceof EbpfError ? `${e.code} at ${e.pc}: ${e.message}` : String(e);
      }
    };
    for (const source of ['ldxdw r0, [r1+8]\nadd r0, 5\nexit', 'mov r2, 3\nldxb r0, [r1+0]\nstxb [r1+1], r2\nexit']) {
      expect(run(source, true)).toBe(run(source, false));
    }
    expect(run('mov r2, 3\nldxb r0, [r1+0]\nstxb [r1+1], r2\nexit', true)).toMatch(/^E_READ_ONLY at 2/);
  });

  it('on every benchmark program (small inputs)', () => {
    const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Record<string, { small: string }>;
    for (const bench of BENCHMARKS) {
      const bytes = loadBenchProgram(objectPath(bench.program));
      const input = new Uint8Array(readFileSync(inputPath(bench.name, 'small')));
      for (const options of [{}, { interpreter: { wasmCore: false } }]) {
        const copy = input.slice();
        expect(`0x${new EbpfVmRaw(bytes, options).executeProgram(copy).toString(16)}`, bench.name).toBe(expected[bench.name]!.small);
      }
    }
  });
});
