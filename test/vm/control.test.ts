/**
 * Control flow and failure modes: local call frames, the call depth limit, the instruction budget
 * (charged per basic block, error at the block's first pc), helpers (arguments, results, errors,
 * unwinding, callx, tail calls), bad slots, and a fuzz check that only EbpfErrors ever escape.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EbpfError, ErrorCode, ExecutionError, STACK_START } from '../../src/index.js';
import { CallKind, Opcode } from '../../src/isa/opcodes.js';
import { encodeProgram } from '../../src/isa/instruction.js';
import { Program } from '../../src/vm/program.js';
import { EbpfVmNoData, EbpfVmRaw } from '../../src/vm/vm.js';
import { COST_IN_SLOT, COST_SHIFT, DST_SHIFT, OP_MASK, OP_NAMES, SLOT_WORDS, SRC_SHIFT } from '../../src/vm/interpreter-decode.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AluOp, Class, JmpOp, Mode, Size, Source, exit, insn, lddw, mov, rawVm, run } from './util.js';

const callLocal = (rel: number) => insn(Opcode.CALL, 0, CallKind.LOCAL, 0, rel);
const call = (id: number) => insn(Opcode.CALL, 0, 0, 0, id);
const movx = (d: number, s: number) => insn(Class.ALU64 | AluOp.MOV | Source.X, d, s);
const add = (d: number, k: number) => insn(Class.ALU64 | AluOp.ADD | Source.K, d, 0, 0, k);

function caught(fn: () => unknown): EbpfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EbpfError) return e;
    throw e;
  }
  throw new Error('expected an EbpfError');
}

describe('local calls', () => {
  it('restore r6-r9 and r10 for the caller and give the callee its own frame', () => {
    const prog = [
      mov(6, 6), mov(7, 7), mov(8, 8), mov(9, 9), callLocal(6),
      // caller: r0 = r6 + r7 + r8 + r9 + (r10 - r0_from_callee) ; callee returns its r10
      insn(Class.ALU64 | AluOp.SUB | Source.X, 0, 10), add(0, 0),
      insn(Class.ALU64 | AluOp.ADD | Source.X, 0, 6), insn(Class.ALU64 | AluOp.ADD | Source.X, 0, 7), exit(), mov(0, 0),
      // callee at slot 11 (5 + 6): clobber r6-r9, return r10
      mov(6, 0), mov(7, 0), mov(8, 0), mov(9, 0), movx(0, 10), exit(),
    ];
    // r0 = r10_callee - r10_caller = -512, then + 6 + 7
    expect(run(prog)).toBe(BigInt.asUintN(64, -512n + 13n));
  });

  it('r10 of frame k is stackTop - k * stackSize', () => {
    const vm = rawVm([callLocal(1), exit(), movx(0, 10), exit()], { limits: { stackSize: 256, maxCallDepth: 4 } });
    expect(vm.executeProgram()).toBe(BigInt(STACK_START + 256 * 4 - 256));
  });

  it('recursion past maxCallDepth is E_CALL_DEPTH at the call', () => {
    const e = caught(() => run([mov(0, 0), callLocal(-2), exit()]));
    expect(e).toBeInstanceOf(ExecutionError);
    expect(e.code).toBe(ErrorCode.CALL_DEPTH);
    expect(e.pc).toBe(1);
    // depth 3 allows 2 nested calls
    const ok = rawVm([callLocal(1), exit(), callLocal(1), exit(), mov(0, 3), exit()], { limits: { maxCallDepth: 3 } });
    expect(ok.executeProgram()).toBe(3n);
    const deep = rawVm([callLocal(1), exit(), callLocal(1), exit(), callLocal(1), exit(), mov(0, 3), exit()], { limits: { maxCallDepth: 3 } });
    expect(caught(() => deep.executeProgram()).pc).toBe(4);
  });
});

describe('instruction budget', () => {
  it('a runaway loop stops with E_BUDGET_EXCEEDED', () => {
    const vm = rawVm([mov(0, 0), add(0, 1), insn(Class.JMP | JmpOp.JA, 0, 0, -2, 0)], { limits: { instructionBudget: 10_000 } });
    const e = caught(() => vm.executeProgram());
    expect(e.code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(e.pc).toBe(1); // the loop block's first pc
  });

  it('is charged per block on entry: exactly the block lengths, lddw counted once', () => {
    // block 0: lddw + mov + jeq = 3 instructions; block 1: mov + exit = 2; block 2: exit = 1
    const prog = [...lddw(1, 1n), mov(0, 0), insn(Class.JMP | JmpOp.JEQ | Source.K, 1, 0, 2, 0), mov(0, 1), exit(), exit()];
    expect(rawVm(prog, { limits: { instructionBudget: 5 } }).executeProgram()).toBe(1n);
    const e = caught(() => rawVm(prog, { limits: { instructionBudget: 4 } }).executeProgram());
    expect([e.code, e.pc]).toEqual([ErrorCode.BUDGET_EXCEEDED, 4]);
    expect(caught(() => rawVm(prog, { limits: { instructionBudget: 2 } }).executeProgram()).pc).toBe(0);
  });
});

describe('instruction budget of very long blocks', () => {
  it('charges a block longer than the packed cost field exactly', () => {
    const n = 20_000;
    const prog = [...Array.from({ length: n }, () => add(0, 1)), exit()];
    expect(rawVm(prog, { limits: { instructionBudget: n + 1 } }).executeProgram()).toBe(BigInt(n));
    const e = caught(() => rawVm(prog, { limits: { instructionBudget: n } }).executeProgram());
    expect([e.code, e.pc]).toEqual([ErrorCode.BUDGET_EXCEEDED, 0]);
  });

  it('the run loop literals match the decoder constants', () => {
    expect([SLOT_WORDS, COST_SHIFT, COST_IN_SLOT, OP_MASK, DST_SHIFT, SRC_SHIFT]).toEqual([4, 19, 0x1fff, 0x1ff, 9, 14]);
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'vm', 'interpreter-loop.ts'), 'utf8');
    for (const literal of ['w >>> 19', 'cost === 0x1fff', 'w & 0x1ff', '(w >> 9) & 31', '(w >> 14) & 31', 'pc = (pc + 4) | 0;']) {
      expect(text).toContain(literal);
    }
  });
});

describe('helpers', () => {
  it('get r1-r5 as unsigned bigints and return r0; number and void results are accepted', () => {
    const seen: bigint[] = [];
    const vm = rawVm([mov(1, -1), mov(2, 2), mov(3, 3), mov(4, 4), mov(5, 5), call(7), exit()]);
    vm.registerHelper(7, (a, b, c, d, e) => {
      seen.push(a, b, c, d, e);
      return 41;
    });
    expect(vm.executeProgram()).toBe(41n);
    expect(seen).toEqual([0xffffffffffffffffn, 2n, 3n, 4n, 5n]);
    vm.registerHelper(7, () => -1);
    expect(vm.executeProgram()).toBe(0xffffffffffffffffn);
    vm.registerHelper(7, () => undefined);
    expect(vm.executeProgram()).toBe(0n);
  });

  it('an unknown helper is E_UNKNOWN_HELPER; a throwing helper is E_HELPER; an EbpfError passes through', () => {
    const vm = rawVm([mov(0, 1), call(9), exit()]);
    expect([caught(() => vm.executeProgram()).code, caught(() => vm.executeProgram()).pc]).toEqual([ErrorCode.UNKNOWN_HELPER, 1]);
    vm.registerHelper(9, () => {
      throw new TypeError('boom');
    });
    const e = caught(() => vm.executeProgram());
    expect([e.code, e.pc]).toEqual([ErrorCode.HELPER, 1]);
    expect(e.message).toContain('boom');
    vm.registerHelper(9, () => {
      throw new ExecutionError(ErrorCode.MAP, 'custom');
    });
    expect(caught(() => vm.executeProgram()).code).toBe(ErrorCode.MAP);
    vm.registerHelper(9, () => 'x' as unknown as bigint);
    expect(caught(() => vm.executeProgram()).code).toBe(ErrorCode.HELPER);
  });

  it('unwindOnZero stops the program with r0 = 0 at any depth', () => {
    const vm = rawVm([callLocal(2), mov(0, 9), exit(), mov(1, 0), call(5), mov(0, 7), exit()]);
    vm.registerHelper(5, (r1) => r1, { unwindOnZero: true });
    expect(vm.executeProgram()).toBe(0n);
  });

  it('callx takes the helper id from dst', () => {
    const vm = rawVm([mov(1, 20), mov(3, 11), insn(Opcode.CALLX, 3, 0, 0, 0), exit()]);
    vm.registerHelper(11, (r1) => r1 + 1n);
    expect(vm.executeProgram()).toBe(21n);
  });

  it('tail calls switch programs, keep r1 and the frame, and are limited by maxTailCalls', () => {
    // target: r0 = r1 + 100
    const target = new Program(encodeProgram([movx(0, 1), add(0, 100), exit()]));
    const vm = rawVm([mov(1, 5), call(12), mov(0, 1), exit()], { limits: { maxTailCalls: 1 } });
    vm.registerHelper(12, (_r1, _r2, _r3, _r4, _r5, ctx) => (ctx.tailCall(target) ? 0 : -1));
    expect(vm.executeProgram()).toBe(105n);
    // a chain longer than the limit: the second tail call fails and the caller continues
    const loop = rawVm([add(6, 1), call(12), movx(0, 6), exit()], { limits: { maxTailCalls: 3 } });
    loop.registerHelper(12, (_r1, _r2, _r3, _r4, _r5, ctx) => (ctx.tailCall(loop.program!) ? 0 : -1));
    expect(loop.executeProgram()).toBe(4n);
  });
});

describe('slots that cannot run', () => {
  it('fail when reached, not before, with the pc', () => {
    expect(run([mov(0, 1), exit(), insn(0xff)])).toBe(1n);
    const bad = caught(() => run([mov(0, 1), insn(0xff), exit()]));
    expect([bad.code, bad.pc]).toEqual([ErrorCode.BAD_PROGRAM, 1]);
    const pseudo = caught(() => run([insn(Opcode.LDDW, 0, 1, 0, 3), insn(0), exit()]));
    expect([pseudo.code, pseudo.pc]).toEqual([ErrorCode.UNSUPPORTED, 0]);
    const kfunc = caught(() => run([insn(Opcode.CALL, 0, CallKind.KFUNC, 0, 1), exit()]));
    expect(kfunc.code).toBe(ErrorCode.UNSUPPORTED);
    const far = caught(() => run([insn(Class.JMP | JmpOp.JA, 0, 0, 5, 0), exit()]));
    expect([far.code, far.pc]).toEqual([ErrorCode.BAD_PROGRAM, 0]);
    const reg = caught(() => run([insn(Class.ALU64 | AluOp.MOV | Source.K, 11, 0, 0, 1), exit()]));
    expect(reg.message).toMatch(/r11/);
    const fp = caught(() => run([insn(Class.STX | Size.DW | Mode.ATOMIC, 10, 10, -8, 0xe1), exit()]));
    expect([fp.code, fp.pc]).toEqual([ErrorCode.BAD_PROGRAM, 0]);
    expect(fp.message).toMatch(/r10/);
    const off = caught(() => run([mov(0, 1)]));
    expect([off.code, off.pc]).toEqual([ErrorCode.BAD_PROGRAM, 0]);
    expect(off.message).toMatch(/past the last instruction/);
  });

  it('a VM without a program says so', () => {
    expect(caught(() => new EbpfVmNoData().executeProgram()).code).toBe(ErrorCode.NO_PROGRAM);
  });

  it('random bytes never throw anything but an EbpfError', () => {
    const vm = new EbpfVmRaw(undefined, { verifier: () => {}, limits: { instructionBudget: 2000 } });
    vm.registerHelper(1, (r1) => r1);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 160 }), fc.uint8Array({ maxLength: 32 }), (bytes, mem) => {
        const prog = bytes.subarray(0, bytes.length - (bytes.length % 8));
        try {
          vm.setProgram(prog);
          vm.executeProgram(mem);
        } catch (e) {
          if (!(e instanceof EbpfError)) throw e;
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('random well-formed instructions never throw anything but an EbpfError', () => {
    const vm = new EbpfVmRaw(undefined, { verifier: () => {}, limits: { instructionBudget: 2000 } });
    const classes = [Class.ALU, Class.ALU64, Class.JMP, Class.JMP32, Class.LDX | Mode.MEM, Class.STX | Mode.MEM, Class.ST | Mode.MEM, Class.STX | Mode.ATOMIC];
    const slot = fc.record({
      opcode: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...classes).chain((c) => fc.integer({ min: 0, max: 0xf8 }).map((x) => (x & 0xf8) | c))),
      dst: fc.integer({ min: 0, max: 10 }),
      src: fc.integer({ min: 0, max: 10 }),
      offset: fc.integer({ min: -8, max: 8 }),
      imm: fc.oneof(fc.integer({ min: -16, max: 16 }), fc.integer()),
    });
    fc.assert(
      fc.property(fc.array(slot, { minLength: 1, maxLength: 24 }), (insns) => {
        try {
          vm.setProgram(encodeProgram([...insns, exit()]));
          vm.executeProgram(new Uint8Array(16));
        } catch (e) {
          if (!(e instanceof EbpfError)) throw e;
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('the run loop source', () => {
  it('labels every case with the internal operation it handles', () => {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'vm', 'interpreter-loop.ts'), 'utf8');
    const labels = [...text.matchAll(/case (\d+): (?:\/\/|\{ \/\/) (\w+)/g)];
    expect(labels.length).toBeGreaterThan(100);
    for (const [, num, name] of labels) expect(`${num}:${OP_NAMES[Number(num)]}`).toBe(`${num}:${name}`);
    const covered = new Set(labels.map(([, num]) => Number(num)));
    OP_NAMES.forEach((name, num) => {
      if (name !== undefined) expect(covered.has(num), `${num} ${name}`).toBe(true);
    });
  });
});
