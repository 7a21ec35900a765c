/**
 * HelperContext.callFunction on raw bytecode, on both engines: a host helper runs a function the
 * program loads with lddw source 4 (BPF_PSEUDO_FUNC), in its own frame (its r10 one frame below,
 * r6-r9 of the caller kept), its instructions charged to the budget; errors are the same on both
 * engines; the verifier refuses a function pointer outside the program, and the engines a target
 * past the end when it is reached.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ExecutionError, STACK_START } from '../../src/index.js';
import { Opcode, PseudoLoad } from '../../src/isa/opcodes.js';
import { encodeProgram } from '../../src/isa/instruction.js';
import { verifyProgram } from '../../src/verifier/verifier.js';
import { FUNCTION_ADDRESS_BASE } from '../../src/vm/functions.js';
import { Class, AluOp, Source, exit, insn, mov, rawVm, thrown } from './util.js';

const call = (id: number) => insn(Opcode.CALL, 0, 0, 0, id);
const movx = (d: number, s: number) => insn(Class.ALU64 | AluOp.MOV | Source.X, d, s);
const add = (d: number, imm: number) => insn(Class.ALU64 | AluOp.ADD | Source.K, d, 0, 0, imm);
const addx = (d: number, s: number) => insn(Class.ALU64 | AluOp.ADD | Source.X, d, s);
/** `lddw dst, function at slot pc + rel + 1` (both slots). */
const funcPtr = (dst: number, rel: number) => [insn(Opcode.LDDW, dst, PseudoLoad.FUNC, 0, rel), insn(0, 0, 0, 0, 0)];

// 0-1: r1 = &f; 2: r6 = 100; 3: call 1000 (the host calls f twice and adds the results); 4: r0 += r6;
// 5: exit. 6: f: r0 = r2 + 1; 8: r6 = 7 (the caller's r6 is kept); 9: exit.
const PROGRAM = [
  ...funcPtr(1, 5), // slot 0: target 0 + 5 + 1 = 6
  mov(6, 100),
  call(1000),
  addx(0, 6),
  exit(),
  // slot 5: the callback
  movx(0, 2),
  add(0, 1),
  mov(6, 7),
  exit(),
];

describe.each([false, true])('callFunction from a host helper (jit %s)', (jit) => {
  const runIt = (vm: ReturnType<typeof rawVm>): bigint => {
    if (!jit) return vm.executeProgram(new Uint8Array(0));
    vm.jitCompile();
    return vm.executeProgramJit(new Uint8Array(0));
  };

  it('runs the function with the helper arguments, in a frame below the caller, r6-r9 kept', () => {
    const vm = rawVm(PROGRAM);
    const seen: bigint[] = [];
    vm.registerHelper(1000, (r1, _2, _3, _4, _5, ctx) => {
      seen.push(r1);
      return ctx.callFunction!(r1, 0n, 5n, 0n, 0n, 0n) + ctx.callFunction!(r1, 0n, 10n, 0n, 0n, 0n);
    });
    // (5 + 1) + (10 + 1) + r6 (100, not the callee's 7).
    expect(runIt(vm)).toBe(117n);
    expect(seen).toEqual([FUNCTION_ADDRESS_BASE + 6n]);
  });

  it('charges the callback to the budget and refuses what is not a function of the program', () => {
    const vm = rawVm(PROGRAM, { limits: { instructionBudget: 40 } });
    vm.registerHelper(1000, (r1, _2, _3, _4, _5, ctx) => {
      let s = 0n;
      for (let i = 0; i < 100; i++) s += ctx.callFunction!(r1, 0n, 1n, 0n, 0n, 0n);
      return s;
    });
    expect((thrown(() => runIt(vm)) as ExecutionError).code).toBe(ErrorCode.BUDGET_EXCEEDED);
    for (const bad of [0n, FUNCTION_ADDRESS_BASE, FUNCTION_ADDRESS_BASE + 7n, FUNCTION_ADDRESS_BASE + 1000n, BigInt(STACK_START)]) {
      const v = rawVm(PROGRAM);
      v.registerHelper(1000, (_1, _2, _3, _4, _5, ctx) => ctx.callFunction!(bad, 0n, 0n, 0n, 0n, 0n));
      const e = thrown(() => runIt(v)) as ExecutionError;
      expect({ code: e.code, pc: e.pc, message: e.message }).toEqual({ code: ErrorCode.HELPER, pc: 3, message: expect.stringMatching(/is not a function of this program/) });
    }
  });

  it('a callback calling back to the frame limit ends with E_CALL_DEPTH', () => {
    // The callback calls the helper again, which calls it back: unbounded.
    const recursive = [...funcPtr(1, 3), call(1000), exit(), ...funcPtr(1, -1), call(1000), exit()];
    const vm = rawVm(recursive, { limits: { maxCallDepth: 5 } });
    vm.registerHelper(1000, (r1, _2, _3, _4, _5, ctx) => ctx.callFunction!(r1, r1, 0n, 0n, 0n, 0n));
    const e = thrown(() => runIt(vm)) as ExecutionError;
    expect([e.code, e.message]).toEqual([ErrorCode.CALL_DEPTH, expect.stringMatching(/deeper than 5 frames/)]);
  });
});

describe('function pointers in raw bytecode', () => {
  it('the verifier refuses a target outside the program or inside an lddw', () => {
    const issues = (insns: ReturnType<typeof insn>[]): string[] => {
      try {
        verifyProgram(encodeProgram(insns));
        return [];
      } catch (e) {
        return [(e as Error).message];
      }
    };
    expect(issues(PROGRAM)).toEqual([]);
    expect(issues([...funcPtr(1, 40), mov(0, 0), exit()])[0]).toMatch(/lddw of a function: its target, slot 41, is not an instruction/);
    expect(issues([...funcPtr(1, 0), mov(0, 0), exit()])[0]).toMatch(/lddw of a function: its target, slot 1, is not an instruction/);
    expect(issues([...funcPtr(1, -2), mov(0, 0), exit()])[0]).toMatch(/slot -1/);
  });

  it('the engines refuse a target past the end when the lddw is reached', () => {
    for (const jit of [false, true]) {
      const vm = rawVm([...funcPtr(1, 40), mov(0, 0), exit()]);
      const e = thrown(() => (jit ? (vm.jitCompile(), vm.executeProgramJit(new Uint8Array(0))) : vm.executeProgram(new Uint8Array(0)))) as ExecutionError;
      expect([e.code, e.pc, e.message]).toEqual([ErrorCode.BAD_PROGRAM, 0, expect.stringMatching(/lddw of a function: target slot 41 is outside the program/)]);
    }
  });
});
