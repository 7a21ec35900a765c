/**
 * Compare trees of any size become one `br_table` (src/jit/switch-table.ts): trees far above the old
 * cap of 64 compares, dense or with gaps, signed or unsigned, 32- or 64-bit, must give the
 * interpreter's result for every value around and between their constants and run out of budget at
 * the same pc; a sparse tree stays branches.
 */
import { describe, it, expect } from 'vitest';
import { EbpfError } from '../../src/errors.js';
import { JitEngine } from '../../src/jit/engine.js';
import { dumpJitModule } from '../../src/jit/dump.js';
import { planSwitch, type Compare, type SwitchSource } from '../../src/jit/switch-table.js';
import { DEFAULT_LIMITS, type Engine, type RunLimits } from '../../src/vm/environment.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { MEM_START } from '../../src/vm/memory.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { AluOp, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { Program, setup } from './harness.js';

type Outcome = { r0: bigint } | { code: string; pc: number | undefined; message: string };

function outcome(engine: Engine, program: Program, value: bigint, limits: RunLimits): Outcome {
  const mem = new Uint8Array(8);
  new DataView(mem.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  const s = setup(mem, limits);
  try {
    return { r0: engine.run({ program, memory: s.memory, stackTop: s.stackTop, r1: BigInt(MEM_START), r2: 8n, helpers: new Map(), limits }) };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { code: e.code, pc: e.pc, message: e.message };
  }
}

/**
 * `r1 = *(u64 *)mem; r0 = 0`, then clang's binary search over the sorted constants `ks`
 * (`if r1 > k goto right`), each leaf `r0 += leaf; goto end`; end: exit.
 */
function tree(ks: readonly number[], wide: boolean, signed: boolean): Uint8Array {
  const sorted = [...ks].sort((a, b) => a - b);
  const cls = wide ? Class.JMP : Class.JMP32;
  const out: Insn[] = [insn(Class.LDX | Mode.MEM | Size.DW, 1, 1, 0), insn(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 0)];
  const ends: number[] = [];
  const emit = (lo: number, hi: number): void => {
    if (lo === hi) {
      out.push(insn(Class.ALU64 | AluOp.ADD | Source.K, 0, 0, 0, 1000 + lo));
      ends.push(out.length);
      out.push(insn(Opcode.JA));
      return;
    }
    const mid = (lo + hi) >> 1;
    const at = out.length;
    out.push(insn(0, 0));
    emit(lo, mid);
    out[at] = insn(cls | (signed ? JmpOp.JSGT : JmpOp.JGT) | Source.K, 1, 0, out.length - at - 1, sorted[mid]!);
    emit(mid + 1, hi);
  };
  emit(0, sorted.length);
  for (const e of ends) out[e] = insn(Opcode.JA, 0, 0, out.length - e - 1);
  out.push(insn(Opcode.EXIT));
  return encodeProgram(out);
}

/** Number of `br_table`s in the JIT's module for the program. */
const tables = (bytes: Uint8Array): number => (dumpJitModule(new Program(bytes)).wat.match(/br_table/g) ?? []).length;

const interp = new Interpreter();
const jit = new JitEngine();

/** Both engines on the values from below the smallest constant to above the largest, plus extremes. */
function agree(bytes: Uint8Array, ks: readonly number[], budgets: readonly number[] = []): void {
  const program = new Program(bytes);
  const lo = Math.min(...ks) - 3;
  const hi = Math.max(...ks) + 3;
  const values: bigint[] = [0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n, 2n ** 32n + BigInt(ks[0]!)];
  // Every value of a range of a few thousand; around each constant otherwise.
  if (hi - lo <= 3000) for (let v = lo; v <= hi; v++) values.push(BigInt(v));
  else for (const k of ks) for (let v = k - 2; v <= k + 2; v++) values.push(BigInt(v));
  const leaves = new Set<bigint>();
  for (const v of values) {
    const want = outcome(interp, program, v, DEFAULT_LIMITS);
    expect(outcome(jit, program, v, DEFAULT_LIMITS)).toEqual(want);
    if ('r0' in want) leaves.add(want.r0);
  }
  // Every leaf was reached.
  expect(leaves.size).toBe(ks.length + 1);
  for (const budget of budgets) {
    for (const v of [BigInt(lo), BigInt(ks[ks.length >> 1]!), BigInt(hi)]) {
      const limits = { ...DEFAULT_LIMITS, instructionBudget: budget };
      expect(outcome(jit, program, v, limits)).toEqual(outcome(interp, program, v, limits));
    }
  }
}

describe('compare trees as br_table, any size', () => {
  it('a dense tree of 200 compares becomes a br_table, with the same results and budget errors', () => {
    const ks = Array.from({ length: 200 }, (_, k) => k);
    for (const wide of [false, true]) {
      for (const signed of [false, true]) {
        const bytes = tree(ks, wide, signed);
        // One table for the whole tree (a cap on its size would leave a tree of branches over smaller tables).
        expect(tables(bytes), `wide ${wide} signed ${signed}`).toBe(1);
        agree(bytes, ks, [1, 2, 3, 5, 8, 10, 11]);
      }
    }
  });

  it('a tree of 120 constants with gaps (density within the limit) becomes a br_table', () => {
    const ks = Array.from({ length: 120 }, (_, k) => k * 7 + (k % 3) - 400);
    const bytes = tree(ks, false, true);
    expect(tables(bytes)).toBe(1);
    agree(bytes, ks);
  });

  it('a sparse tree (constants 1009 apart: any subtree spans more than its table allowance) stays branches', () => {
    const ks = Array.from({ length: 30 }, (_, k) => 100 + k * 1009);
    const bytes = tree(ks, false, false);
    expect(tables(bytes)).toBe(0);
    agree(bytes, ks, [3, 6]);
  });
});

describe('planSwitch', () => {
  // Blocks 0..n-1 each end in one compare; the planner's table must send every value where walking
  // the compares sends it (checked against a direct walk, value by value).
  it('maps every value in its range to the edge a walk of the tree takes', () => {
    // A hand-made tree: block 0 `x > 50` → 2 else 1; block 1 `x == 7` → 10 else 3; block 3 `x > 20` → 11 else 12;
    // block 2 `x >= 90` → 13 else 4; block 4 `x != 60` → 14 else 15. Blocks 10-15 are leaves.
    const cmps = new Map<number, Compare>([
      [0, { reg: 1, width: 32, cond: 'jgt', imm: 50, taken: 2, fall: 1 }],
      [1, { reg: 1, width: 32, cond: 'jeq', imm: 7, taken: 10, fall: 3 }],
      [3, { reg: 1, width: 32, cond: 'jgt', imm: 20, taken: 11, fall: 12 }],
      [2, { reg: 1, width: 32, cond: 'jge', imm: 90, taken: 13, fall: 4 }],
      [4, { reg: 1, width: 32, cond: 'jne', imm: 60, taken: 14, fall: 15 }],
    ]);
    const src: SwitchSource = {
      compareOf: (b, reg, width) => {
        const c = cmps.get(b);
        return c !== undefined && (reg < 0 || c.reg === reg) && (width === 0 || c.width === width) ? c : undefined;
      },
      blockLength: () => 1,
      maskBound: () => undefined,
    };
    const plan = planSwitch(src, 0)!;
    expect(plan).toBeDefined();
    const walk = (v: number): number => {
      let at = 0;
      for (;;) {
        const c = cmps.get(at);
        if (c === undefined) return at;
        const k = c.imm;
        const holds = { jgt: v > k, jeq: v === k, jge: v >= k, jne: v !== k }[c.cond as 'jgt' | 'jeq' | 'jge' | 'jne'];
        at = holds ? c.taken : c.fall;
      }
    };
    expect(plan.index.length).toBe(plan.hi - plan.lo + 1);
    for (let v = plan.lo; v <= plan.hi; v++) expect(plan.edges[plan.index[v - plan.lo]!]!.target, `value ${v}`).toBe(walk(v));
  });
});
