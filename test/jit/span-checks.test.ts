/**
 * Region checks hoisted to a dominating access (src/jit/span-checks.ts). The planner's tests pin which
 * accesses one head covers: the same value through other registers and blocks, a base forwarded
 * through a stack slot, but not across a call, not after the base changed, not for stack addresses.
 * The differential tests run the interpreter and the JIT on struct-shaped programs over inputs of every
 * length, so that each field in turn is the first out of bounds (a covered access then fails at its own
 * pc), at every budget; on a store through a forged pointer that rewrites the slot a base is reloaded
 * from between a head and the accesses it covers; and on random programs of accesses at constant
 * offsets from bases that change, across branches.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { planSpans, type SpanPlan } from '../../src/jit/span-checks.js';
import { branchTarget, decodeOperation } from '../../src/isa/operation.js';
import { basicBlocks } from '../../src/verifier/cfg.js';
import { lastPc, type Terminator } from '../../src/jit/graph.js';
import { AluOp, CallKind, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { Program } from './harness.js';
import { everyBudget, sameAtBudget } from './budget-harness.js';

const SIZE = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW } as const;
type Width = keyof typeof SIZE;
const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const ldx = (size: Width, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | SIZE[size], dst, src, off);
const stx = (size: Width, dst: number, off: number, src: number): Insn => insn(Class.STX | Mode.MEM | SIZE[size], dst, src, off);
const jeq = (dst: number, imm: number, off: number): Insn => insn(Class.JMP | JmpOp.JEQ | Source.K, dst, 0, off, imm);
const helper = (imm: number): Insn => insn(Opcode.CALL, 0, CallKind.HELPER, 0, imm);
const exit = insn(Opcode.EXIT);
const program = (insns: readonly Insn[]): Program => new Program(encodeProgram(insns));

/** The plan of a program of one function, each basic block a node (no switches, no if-conversion). */
function planOf(insns: readonly Insn[]): SpanPlan {
  const ops = insns.map(decodeOperation);
  const blocks = basicBlocks(insns);
  const blockAt = new Map(blocks.map((b, k) => [b.start, k]));
  const at = (pc: number): number => blockAt.get(pc) ?? -1;
  const term = blocks.map((b): Terminator => {
    const pc = lastPc(insns, b);
    const op = ops[pc]!;
    if (op.kind === 'exit') return { kind: 'exit' };
    if (op.kind === 'ja') return { kind: 'goto', to: at(branchTarget(op, insns[pc]!, pc)!) };
    if (op.kind === 'jcond') return { kind: 'cond', taken: at(branchTarget(op, insns[pc]!, pc)!), fall: at(b.end) };
    return { kind: 'goto', to: at(b.end) };
  });
  return planSpans({
    insns,
    ops,
    blocks,
    badSlots: new Uint8Array(insns.length + 1),
    graph: { count: blocks.length, entry: 0, term },
    nodes: blocks.map((_, k) => k),
    convertedWrites: () => undefined,
    excluded: (pc) => !['ldx', 'st', 'stx'].includes(ops[pc]!.kind),
    canLeave: () => true,
    forwardSlots: true,
    mayBeStack: () => false,
    firstLocal: 20,
  });
}

/** Covered pcs by head pc. */
const coverage = (p: SpanPlan): Record<number, number[]> => {
  const out: Record<number, number[]> = {};
  for (const [pc, { head }] of p.covered) (out[head.pc] ??= []).push(pc);
  return out;
};

describe('planSpans', () => {
  it('covers the accesses of one value through other registers, slots and blocks, and spans their bytes', () => {
    const p = planOf([
      stx(8, 10, -8, 1), // 0: the base spilled
      alu64x(AluOp.MOV, 6, 1), // 1
      alu64(AluOp.ADD, 6, 8), // 2: r6 = base + 8
      ldx(4, 0, 6, 0), // 3: head, base + 8
      jeq(0, 0, 2), // 4
      ldx(8, 2, 10, -8), // 5: reloaded
      ldx(2, 3, 2, 20), // 6: base + 20
      ldx(8, 4, 10, -8), // 7
      stx(1, 4, 30, 0), // 8: base + 30
      exit,
    ]);
    // pc 6 runs only on one arm of the jump, which tests a loaded value: the head does not anticipate
    // it but covers it (no jump compares the base: a struct's fields, within MAX_LOOSE_SPAN); so is the
    // join's pc 8.
    expect(coverage(p)).toEqual({ 3: [3, 6, 8] });
    const head = p.heads.get(3)!;
    expect([head.lo, head.hi, head.c]).toEqual([8, 31, 8]);
    expect(p.covered.get(8)!.delta).toBe(22);
    expect(p.covered.get(6)!.delta).toBe(12);
  });

  it('covers an access the head does not anticipate only when no jump compares its base and the span stays narrow', () => {
    // The same, with the base compared with r2 (a pointer tested against an end, as a packet's is):
    // pc 7 runs only past that test, so a span over it would fail where the test keeps it from running.
    const tested = planOf([
      alu64x(AluOp.MOV, 6, 1), // 0
      alu64(AluOp.ADD, 6, 8), // 1: r6 = base + 8
      ldx(4, 0, 6, 0), // 2: head
      alu64x(AluOp.MOV, 7, 1), // 3
      alu64(AluOp.ADD, 7, 24), // 4
      insn(Class.JMP | JmpOp.JGT | Source.X, 7, 2, 3), // 5: if base + 24 > r2 goto 9
      ldx(4, 3, 6, 4), // 6
      ldx(2, 4, 6, 12), // 7: base + 20
      ldx(4, 5, 6, 8), // 8
      exit,
    ]);
    expect(coverage(tested)).toEqual({});
    // Not compared, but pc 3 is 80 bytes past the head: wider than MAX_LOOSE_SPAN (64); pc 4 (same arm)
    // and pc 5 (the join) are covered.
    const wide = planOf([alu64x(AluOp.MOV, 6, 1), ldx(4, 0, 6, 0), jeq(0, 0, 2), ldx(4, 2, 6, 76), ldx(4, 3, 6, 4), ldx(4, 4, 6, 8), exit]);
    expect(coverage(wide)).toEqual({ 1: [1, 4, 5] });
  });

  it('covers nothing across a call, after the base changed, or through r10', () => {
    const call = planOf([ldx(4, 0, 1, 0), alu64x(AluOp.MOV, 6, 1), jeq(0, 0, 0), helper(5), ldx(4, 2, 6, 4), ldx(4, 3, 6, 8), exit]);
    expect(coverage(call)).toEqual({});
    const changed = planOf([ldx(4, 0, 1, 0), jeq(0, 0, 0), alu64x(AluOp.ADD, 1, 0), ldx(4, 2, 1, 4), exit]);
    expect(coverage(changed)).toEqual({});
    const frame = planOf([alu64x(AluOp.MOV, 6, 10), alu64(AluOp.ADD, 6, -16), ldx(4, 0, 6, 0), jeq(0, 0, 0), ldx(4, 2, 6, 4), exit]);
    expect(coverage(frame)).toEqual({});
  });

  it('does not forward a slot a store through r10 wrote in between, nor join different values', () => {
    const rewritten = planOf([stx(8, 10, -8, 1), ldx(8, 2, 10, -8), ldx(4, 0, 2, 0), jeq(0, 0, 0), stx(8, 10, -8, 0), ldx(8, 3, 10, -8), ldx(4, 4, 3, 4), exit]);
    expect(coverage(rewritten)).toEqual({});
    // Two paths give r6 different values; the join's access is not covered by either path's head.
    const joined = planOf([alu64x(AluOp.MOV, 6, 1), ldx(4, 0, 6, 0), jeq(0, 0, 1), alu64(AluOp.ADD, 6, 4), ldx(4, 2, 6, 0), exit]);
    expect(coverage(joined)).toEqual({});
  });
});

/**
 * A struct at input + 8: fields at +0 (u8), +4 (u32), +10 (u16, stored then loaded), +16 (u64), in
 * three blocks of a loop run twice (heads are accesses that may leave for the checked copy: in loops),
 * after a load that fills the region cache.
 */
const STRUCT = [
  alu64(AluOp.MOV, 9, 2),
  ldx(1, 5, 1, 0), // 1: fills the cache
  alu64x(AluOp.MOV, 6, 1), // 2: loop
  alu64(AluOp.ADD, 6, 8),
  ldx(1, 0, 6, 0), // 4: head
  jeq(0, 0, 3), // 5
  ldx(4, 2, 6, 4), // 6
  alu64x(AluOp.ADD, 0, 2),
  stx(2, 6, 10, 0), // 8
  ldx(2, 3, 6, 10), // 9: join
  alu64x(AluOp.ADD, 0, 3),
  ldx(8, 4, 6, 16), // 11: the region's last bytes at length 32
  alu64x(AluOp.XOR, 0, 4),
  alu64(AluOp.ADD, 9, -1),
  insn(Class.JMP | JmpOp.JNE | Source.K, 9, 0, -13, 0), // 14
  exit,
];

describe('hoisted span checks, against the interpreter', () => {
  it('fails at each field in turn as the input shortens, at every budget', () => {
    // (compiled: head 4, the first that may leave; 6 and 8, on one arm only, are covered too: no jump
    // compares the base; each field still fails at its own pc, in the checked copy)
    expect(coverage(planOf(STRUCT))).toEqual({ 1: [1, 4, 6, 8, 9, 11] });
    const prog = program(STRUCT);
    for (let len = 0; len <= 36; len++) {
      for (const first of [0, 7]) {
        const input = new Uint8Array(len).map((_, k) => (k * 29 + 3) & 0xff);
        if (len > 8) input[8] = first;
        everyBudget(prog, input, 40);
      }
    }
  });

  it('a head in one arm of a loop does not cover the join, which the other arm reaches with a new base', () => {
    const prog = program([
      alu64x(AluOp.MOV, 6, 1), // 0
      alu64(AluOp.MOV, 9, 5), // 1
      ldx(1, 0, 1, 0), // 2: fills the region cache (a miss in the loop would leave for the checked copy)
      insn(Class.JMP | JmpOp.JSET | Source.K, 9, 0, 2, 2), // 3: loop; iterations with bit 1 of r9 skip the arm
      ldx(1, 3, 6, 0), // 4: the arm's access
      alu64x(AluOp.ADD, 0, 3), // 5
      ldx(1, 4, 6, 1), // 6: join
      alu64(AluOp.LSH, 0, 3),
      alu64x(AluOp.ADD, 0, 4),

      alu64(AluOp.AND, 4, 3), // 9: the next base, data-dependent (no check-free chunks of iterations)
      alu64x(AluOp.ADD, 6, 4),
      alu64(AluOp.ADD, 6, 6),
      alu64(AluOp.ADD, 9, -1),
      insn(Class.JMP | JmpOp.JNE | Source.K, 9, 0, -11, 0), // 13
      exit,
    ]);
    for (const len of [40, 33, 26]) everyBudget(prog, new Uint8Array(len).map((_, k) => k * 7 + 1), 80);
  });

  it('a store through a forged pointer that rewrites the slot a base is reloaded from is seen by the covered accesses', () => {
    // stackTop in the harness: STACK_START + 64 × 8 frames; the slot is [r10 - 8] of the entry frame.
    const forged = 0x0200_0000 + 64 * 8 - 8;
    const input = new Uint8Array(48).map((_, k) => (k * 13 + 1) & 0xff);
    new DataView(input.buffer).setUint32(8, forged, true);
    const inInput = input.slice();
    new DataView(inInput.buffer).setUint32(8, 0, true);
    const straight = [
      stx(8, 10, -8, 1), // 0: slot = input
      ldx(8, 2, 10, -8), // 1
      ldx(8, 0, 2, 0), // 2: head, input + 0
      ldx(4, 7, 2, 8), // 3: the forged address (covered)
      alu64x(AluOp.MOV, 8, 1),
      alu64(AluOp.ADD, 8, 24), // 5: another base, input + 24
      jeq(0, 0, 0), // 6: a block boundary
      stx(8, 7, 0, 8), // 7: slot = input + 24 when r7 is the slot's address
      jeq(0, 0, 0), // 8
      ldx(8, 3, 10, -8), // 9: reloaded
      ldx(8, 4, 3, 16), // 10: input + 16, or input + 40 after the forged store
      alu64x(AluOp.XOR, 0, 4),
      exit,
    ];
    expect(coverage(planOf(straight))[2]).toEqual(expect.arrayContaining([2, 3, 10]));
    // With r7 = 0 (an address no region holds), the store fails at its own pc.
    for (const data of [input, inInput]) everyBudget(program(straight), data, 16);
    // The same in a loop (its second iteration reads through the rewritten slot), which leaves for
    // the checked copy on a miss.
    const loop = [
      stx(8, 10, -8, 1), // 0
      alu64(AluOp.MOV, 9, 3), // 1
      ldx(1, 5, 1, 0), // 2: fills the region cache
      ldx(8, 2, 10, -8), // 3: loop
      stx(8, 10, -8, 2), // 4: stored back (a slot the loop stores to stays in the frame, see stack-slots.ts)
      ldx(8, 5, 2, 0), // 5: head
      alu64x(AluOp.XOR, 0, 5),
      ldx(4, 7, 1, 8), // 7: the forged address (the same value through r1: covered)
      alu64x(AluOp.MOV, 8, 2),
      alu64(AluOp.ADD, 8, 8), // 9
      jeq(5, 1, 1), // 10
      stx(8, 7, 0, 8), // 11: slot += 8 through the forged pointer: leaves for the checked copy
      ldx(8, 3, 10, -8), // 12
      ldx(8, 4, 3, 16), // 13: covered (the store above cannot have written the slot here)
      alu64x(AluOp.ADD, 0, 4),
      alu64(AluOp.ADD, 9, -1),
      insn(Class.JMP | JmpOp.JNE | Source.K, 9, 0, -14, 0), // 16
      exit,
    ];
    expect(coverage(planOf(loop))[2]).toEqual(expect.arrayContaining([5, 7, 13]));
    for (const data of [input, inInput]) everyBudget(program(loop), data, 60);
  });

  it('agrees on random programs of accesses at constant offsets from bases that change, across branches', () => {
    const access = fc.record({
      kind: fc.constantFrom('load', 'store', 'reload', 'move', 'branch', 'copy'),
      size: fc.constantFrom<Width>(1, 2, 4, 8),
      off: fc.integer({ min: -8, max: 40 }),
      reg: fc.constantFrom(6, 7),
    });
    fc.assert(
      fc.property(fc.array(access, { minLength: 2, maxLength: 24 }), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 255 }), (steps, len, seed) => {
        // A loop run twice (heads are accesses that may leave for the checked copy: in loops).
        const insns: Insn[] = [alu64(AluOp.MOV, 9, 2), stx(8, 10, -8, 1), alu64x(AluOp.MOV, 6, 1), alu64x(AluOp.MOV, 7, 1), alu64(AluOp.MOV, 0, 0)];
        for (const s of steps) {
          if (s.kind === 'load') insns.push(ldx(s.size, 3, s.reg, s.off), alu64x(AluOp.ADD, 0, 3));
          else if (s.kind === 'store') insns.push(stx(s.size, s.reg, s.off, 0));
          else if (s.kind === 'reload') insns.push(ldx(8, s.reg, 10, -8));
          else if (s.kind === 'move') insns.push(alu64(AluOp.AND, 3, 3), alu64x(AluOp.ADD, s.reg, 3));
          else if (s.kind === 'copy') insns.push(alu64x(AluOp.MOV, s.reg, 13 - s.reg), alu64(AluOp.ADD, s.reg, s.off & 7));
          // Skip the next two instructions on an odd r0.
          else insns.push(insn(Class.JMP | JmpOp.JSET | Source.K, 0, 0, 2, 1), alu64(AluOp.ADD, 0, 1), stx(8, 10, -8, s.reg));
        }
        insns.push(alu64(AluOp.ADD, 9, -1), insn(Class.JMP | JmpOp.JNE | Source.K, 9, 0, 1 - insns.length, 0), exit);
        const input = new Uint8Array(len).map((_, k) => (k * 31 + seed) & 0xff);
        const prog = program(insns);
        for (const budget of [1e6, insns.length >> 1, insns.length - 3]) sameAtBudget(prog, input, budget);
      }),
      { numRuns: 300 },
    );
  });
});
