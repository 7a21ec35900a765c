/**
 * Inlining of small leaf functions (src/jit/inline.ts): which calls are inlined, and that a program
 * whose calls are inlined gives the interpreter's result, instructions charged and error (class, code,
 * pc) at every budget and call depth: a callee's own frame, r6-r9 kept for the caller, r1-r5 as the
 * callee left them, a fault inside the callee at the callee's pc, the budget running out inside it.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/index.js';
import { compileToWasm } from '../../src/jit/compiler.js';
import { inlineCalls } from '../../src/jit/inline.js';
import { DEFAULT_LIMITS, type Engine, type HelperEntry, type HelperTable, type RunLimits } from '../../src/vm/environment.js';
import { Program } from '../../src/vm/program.js';
import { agreeAtEveryBudget, type Charged, jit, jsLoop, runCharged } from './three-engines.js';

const helpers: HelperTable = new Map<number, HelperEntry>([[7, { name: 'mix', unwindOnZero: false, fn: (a: bigint, b: bigint) => (a * 3n + b) & 0xffff_ffff_ffff_ffffn }]]);

type Outcome = Charged;

function runOn(engine: Engine, program: Program, input: Uint8Array, limits: RunLimits): Outcome {
  return runCharged(engine, program, input, limits, helpers);
}

/** The calls the JIT inlines in `program` (frames of 64 bytes). */
function inlined(program: Program): readonly number[] {
  return compileToWasm(program.insns, { stackSize: 64, frameFastPath: true, badSlots: new Uint8Array(program.insns.length + 1) }).inlinedCalls;
}

/** The engines agree at every budget up to a little past the run's need, at call depths 1, 2 and 8; returns the unlimited outcome at depth 8. */
function agree(program: Program, input: Uint8Array, max = 600): Outcome {
  let full: Outcome | undefined;
  for (const maxCallDepth of [8, 2, 1]) {
    const out = agreeAtEveryBudget(program, input, { ...DEFAULT_LIMITS, stackSize: 64, maxCallDepth }, { max, helpers, label: `, depth ${maxCallDepth}` });
    full ??= out;
  }
  return full!;
}

/** Leaf callees the JIT inlines, called from a loop over the input, with the caller's r6-r9 and frame live across the calls. */
const INLINED: Record<string, { source: string; sites: number }> = {
  'a callee that clobbers r6-r9 and spills to its own frame': {
    sites: 1,
    source: `
      mov r6, r1
      mov r7, r2
      mov r8, 0
      mov r9, 1000
      stxdw [r10-8], r9
    loop:
      jge r8, r7, done
      mov r1, r6
      add r1, r8
      ldxb r1, [r1+0]
      mov r2, r8
      call local f
      ldxdw r3, [r10-8]
      add r3, r0
      stxdw [r10-8], r3
      add r8, 1
      ja loop
    done:
      ldxdw r0, [r10-8]
      add r0, r6
      sub r0, r9
      exit
    f:
      mov r6, r1
      mov r7, r2
      mov r8, 3
      mov r9, 5
      stxdw [r10-8], r6
      stxdw [r10-64], r7
      mul r6, r8
      add r6, r9
      ldxdw r0, [r10-8]
      ldxdw r1, [r10-64]
      add r0, r6
      add r0, r1
      exit`,
  },
  'two call sites, r1-r5 read after the call as the callee left them': {
    sites: 2,
    source: `
      mov r6, r1
      ldxb r1, [r6+0]
      call local g
      mov r7, r0
      add r7, r1
      add r7, r3
      ldxb r1, [r6+1]
      call local g
      add r0, r7
      add r0, r2
      exit
    g:
      mov r3, r1
      lsh r3, 4
      mov r2, r3
      xor r2, 255
      mov r0, r1
      add r0, 9
      exit`,
  },
  'a callee with a loop and two exits, reading the packet through its argument': {
    sites: 1,
    source: `
      mov r6, r1
      mov r7, r2
      mov r1, r6
      mov r2, r7
      call local sum
      add r0, r6
      sub r0, r7
      exit
    sum:
      mov r0, 0
      mov r6, r1
      add r6, r2
      jeq r2, 0, empty
    more:
      ldxb r3, [r1+0]
      add r0, r3
      add r1, 1
      jlt r1, r6, more
      exit
    empty:
      mov r0, 77
      exit`,
  },
  'a callee reading past the input (the fault at the callee pc)': {
    sites: 1,
    source: `
      mov r6, r1
      mov r1, r6
      call local h
      add r0, r6
      exit
    h:
      ldxdw r0, [r1+0]
      ldxdw r2, [r1+100]
      add r0, r2
      exit`,
  },
  'a callee reading below its frame (out of the stack at depth 2)': {
    sites: 1,
    source: `
      mov r1, 5
      call local low
      exit
    low:
      stxdw [r10-64], r1
      ldxdw r0, [r10-64]
      ldxdw r2, [r10-72]
      add r0, r2
      exit`,
  },
};

/** Calls the JIT does not inline (see inline.ts), which still agree; the number of calls inlined in each. */
const KEPT: Record<string, [string, number]> = {
  'a callee calling a helper': [
    `
    mov r1, 3
    call local k
    exit
  k:
    mov r2, 4
    call 7
    exit`,
    0,
  ],
  'a callee passing a pointer to its frame': [
    `
    mov r1, 3
    call local k
    exit
  k:
    stxdw [r10-8], r1
    mov r1, r10
    add r1, -8
    ldxdw r0, [r1+0]
    exit`,
    0,
  ],
  "a callee reading the caller's r6 before writing it (only on one path)": [
    `
    mov r6, 40
    mov r1, 3
    call local k
    add r0, r6
    exit
  k:
    jeq r1, 3, read
    mov r6, 1
  read:
    mov r0, r6
    mov r6, 2
    exit`,
    0,
  ],
  'a callee calling another function (the leaf it calls is inlined into it)': [
    `
    mov r1, 3
    call local k
    exit
  k:
    mov r6, r1
    call local m
    add r0, r6
    exit
  m:
    mov r0, 9
    exit`,
    1,
  ],
};

const input = Uint8Array.from({ length: 24 }, (_, i) => (i * 37 + 11) & 0xff);

describe('inlining of small leaf functions', () => {
  for (const [name, { source, sites }] of Object.entries(INLINED)) {
    it(`${name}: inlined, the interpreter's outcome at every budget and call depth`, () => {
      const program = new Program(assemble(source));
      expect(inlined(program)).toHaveLength(sites);
      agree(program, input);
    });
  }

  it('reports a fault inside an inlined callee at the callee pc, and the call depth at the call', () => {
    const fault = new Program(assemble(INLINED['a callee reading past the input (the fault at the callee pc)']!.source));
    expect(agree(fault, input)).toMatchObject({ name: 'MemoryAccessError', pc: 6 });
    const deep = new Program(assemble(INLINED['a callee reading below its frame (out of the stack at depth 2)']!.source));
    const at = (maxCallDepth: number): Outcome => runOn(jit, deep, input, { ...DEFAULT_LIMITS, stackSize: 64, maxCallDepth });
    expect(at(1)).toMatchObject({ code: 'E_CALL_DEPTH', pc: 1 });
    expect(at(2)).toMatchObject({ name: 'MemoryAccessError', pc: 5 });
    expect(at(3)).toHaveProperty('r0');
  });

  it('runs out of budget inside an inlined callee at the interpreter pc and count', () => {
    const program = new Program(assemble(INLINED['a callee with a loop and two exits, reading the packet through its argument']!.source));
    const l = (budget: number): RunLimits => ({ ...DEFAULT_LIMITS, stackSize: 64, instructionBudget: budget });
    // 5 instructions before the call's block ends, 4 to the loop, 4 per byte.
    const out = runOn(jit, program, input, l(20));
    expect(out).toMatchObject({ code: 'E_BUDGET_EXCEEDED' });
    expect((out as { pc: number }).pc).toBeGreaterThanOrEqual(8);
    expect(out).toEqual(runOn(jsLoop, program, input, l(20)));
  });

  for (const [name, [source, count]] of Object.entries(KEPT)) {
    it(`keeps ${name} as a call, with the interpreter's outcome`, () => {
      const program = new Program(assemble(source));
      expect(inlined(program)).toHaveLength(count);
      agree(program, input, 100);
    });
  }

  it('maps the copies back to the callee and keeps the program before them', () => {
    const program = new Program(assemble(INLINED['two call sites, r1-r5 read after the call as the callee left them']!.source));
    const n = program.insns.length;
    const plan = inlineCalls(program.insns, new Uint8Array(n + 1), 64)!;
    expect([...plan.sites.keys()]).toEqual([2, 7]);
    expect(plan.insns.length).toBe(n + 2 * 7);
    for (let pc = 0; pc < n; pc++) if (!plan.sites.has(pc)) expect(plan.insns[pc]).toEqual(program.insns[pc]);
    expect(Array.from(plan.origin.subarray(n, n + 7))).toEqual([11, 12, 13, 14, 15, 16, 17]);
    expect(plan.origin[plan.insns.length]).toBe(n);
    // The copies' exits jump back after their calls.
    expect(plan.insns[n + 6]).toMatchObject({ opcode: 0x05, offset: 3 - (n + 7) });
  });
});
