/**
 * Engine.runInto's instruction count: the budget a run was charged (blocks entered, across local and
 * tail calls). Every engine must report the same count, and it must be exactly the smallest budget the
 * run succeeds with (one less stops it with E_BUDGET_EXCEEDED). Covers the JIT's ways of charging ahead
 * (counted loops checked once per entry, left early), halts (an unwinding helper, a packet load out of
 * range) and tail calls. The random programs of test/jit/differential.test.ts compare the counts too.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { EbpfError, ErrorCode } from '../../src/errors.js';
import { JitEngine } from '../../src/jit/engine.js';
import { DEFAULT_LIMITS, type Engine, type HelperEntry, type RunLimits, type RunOutcome } from '../../src/vm/environment.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { Program } from '../../src/vm/program.js';
import { TraceEngine } from '../../src/vm/trace.js';
import { setup } from '../jit/harness.js';

const ENGINES: [string, Engine][] = [
  ['interpreter', new Interpreter()],
  ['interpreter (JS loop)', new Interpreter({ wasmCore: false })],
  ['jit', new JitEngine()],
  ['trace', new TraceEngine(() => {})],
];

const tail: { target?: Program } = {};
const helpers = new Map<number, HelperEntry>([
  [5, { name: 'unwind', unwindOnZero: true, fn: (r1) => r1 }],
  [6, { name: 'add', unwindOnZero: false, fn: (r1, r2) => r1 + r2 }],
  [12, { name: 'tail_call', unwindOnZero: false, fn: (_a, _b, _c, _d, _e, ctx) => (ctx.tailCall(tail.target!) ? 0 : 1) }],
]);

type Result = { r0: bigint; instructions: number } | { code: string; pc: number | undefined };

function runOn(engine: Engine, program: Program, input: Uint8Array, budget: number): Result {
  const limits: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: budget };
  const s = setup(input, limits);
  const out: RunOutcome = { r0Low: 0, r0High: 0, instructions: -1 };
  try {
    engine.runInto!({ program, memory: s.memory, stackTop: s.stackTop, r1: BigInt(s.memVaddr), r2: BigInt(input.length), helpers, limits }, out);
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { code: e.code, pc: e.pc };
  }
  return { r0: (BigInt(out.r0High >>> 0) << 32n) | BigInt(out.r0Low >>> 0), instructions: out.instructions };
}

const input = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);

/** [name, program source, tail-call target source or undefined, expected count (undefined: just agree)] */
const CASES: [string, string, string | undefined, number | undefined][] = [
  ['two instructions', 'mov r0, 1\nexit', undefined, 2],
  ['a counted loop', 'mov r0, 0\nmov r2, 0\nloop:\nadd r0, r2\nadd r2, 1\njlt r2, 50, loop\nexit', undefined, 2 + 50 * 3 + 1],
  // A loop over the input that leaves early at a byte: the JIT may check such a loop once per entry.
  [
    'a loop over the input, left early',
    'mov r0, 0\nmov r3, 0\nloop:\nmov r4, r1\nadd r4, r3\nldxb r5, [r4+0]\njeq r5, 0x6d, out\nadd r0, r5\nadd r3, 1\njlt r3, 64, loop\nout:\nexit',
    undefined,
    undefined,
  ],
  ['a loop over the input, to the end', 'mov r0, 0\nmov r3, 0\nloop:\nmov r4, r1\nadd r4, r3\nldxb r5, [r4+0]\nadd r0, r5\nadd r3, 1\njlt r3, 64, loop\nexit', undefined, 2 + 64 * 6 + 1],
  ['local calls', 'mov r6, 3\nmov r0, 0\nagain:\ncall local f\nsub r6, 1\njne r6, 0, again\nexit\nf:\nadd r0, 7\nexit', undefined, 2 + 3 * (1 + 2 + 2) + 1],
  ['a helper call', 'mov r1, 2\nmov r2, 3\ncall 6\nexit', undefined, 4],
  ['an unwinding helper', 'mov r1, 0\ncall 5\nmov r0, 9\nexit', undefined, 2],
  ['a packet load out of range', 'mov r6, r1\nldabsb 1000\nmov r0, 9\nexit', undefined, undefined],
  ['a tail call', 'mov r6, 5\ncall 12\nmov r0, 77\nexit', 'mov r0, r6\nadd r0, 1000\nexit', 2 + 3],
  ['a tail call from a subprogram', 'mov r6, 1\ncall local f\nadd r0, r6\nexit\nf:\nmov r6, 20\ncall 12\nmov r0, 77\nexit', 'mov r0, r6\nadd r0, 1000\nexit', 2 + 2 + 3 + 2],
  ['a tail call whose target unwinds', 'mov r6, 5\ncall 12\nmov r0, 77\nexit', 'mov r1, 0\nmov r2, 1\ncall 5\nmov r0, 1\nexit', 2 + 3],
];

describe('Engine.runInto: instructions charged', () => {
  it.each(CASES)('%s: every engine reports the same count, the smallest budget that runs', (_name, source, target, expected) => {
    const program = new Program(assemble(source));
    tail.target = target === undefined ? undefined : new Program(assemble(target));
    const results = ENGINES.map(([name, engine]) => [name, runOn(engine, program, input, 100_000)] as const);
    const [, first] = results[0]!;
    expect('instructions' in first).toBe(true);
    for (const [, r] of results) expect(r).toEqual(first);
    const n = (first as { instructions: number }).instructions;
    if (expected !== undefined) expect(n).toBe(expected);
    for (const [name, engine] of ENGINES) {
      expect([name, runOn(engine, program, input, n)]).toEqual([name, first]);
      expect([name, (runOn(engine, program, input, n - 1) as { code: string }).code]).toEqual([name, ErrorCode.BUDGET_EXCEEDED]);
    }
  });

  it('r0 comes back in halves as run returns it, for values that need all 64 bits', () => {
    for (const v of ['0', '-1', '0x80000000', '0x7fffffff', '0x123456789abcdef0', '0xffffffff00000000']) {
      const program = new Program(assemble(`lddw r0, ${v}\nexit`));
      for (const [name, engine] of ENGINES) {
        const s = setup(input);
        const request = { program, memory: s.memory, stackTop: s.stackTop, r1: BigInt(s.memVaddr), r2: 64n, helpers, limits: DEFAULT_LIMITS };
        const want = engine.run(request);
        const got = runOn(engine, program, input, 100) as { r0: bigint };
        expect([name, got.r0]).toEqual([name, want]);
      }
    }
  });
});
