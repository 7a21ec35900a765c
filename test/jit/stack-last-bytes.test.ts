/**
 * Accesses to the stack's last bytes through a computed address (lower-memory.ts `pushInStack`). The
 * stack region's `limit` global is the window of an 8-byte access (size - 7), so a test of an address
 * against it alone refuses a smaller access to the stack's last 7 bytes: the top of the entry frame,
 * where clang puts a function's first local. Where the JIT took
 * such an access for "not the stack", a store there wrote a frame slot kept in a local without
 * reading the slot again (a stale value), and in a loop an access there left for the checked copy on
 * every run. Checked against the interpreter at every budget (result, instructions charged, error
 * class, code and pc), for loads and stores of 1, 2, 4 and 8 bytes ending at the stack's last byte,
 * before it and past it, in straight code and in loops, through a constant address, one loaded from
 * the input, and a copy of r10 plus an index the JIT cannot bound. The accesses that get the exact
 * test before leaving are those whose base may point into the stack (stack-bases.ts), pinned by a table.
 */
import { describe, it, expect } from 'vitest';
import { AluOp, CallKind, Class, JmpOp, Mode, Opcode, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { basicBlocks } from '../../src/verifier/cfg.js';
import { functionEntries } from '../../src/jit/graph.js';
import { stackBasedAccesses } from '../../src/jit/stack-bases.js';
import { STACK_START } from '../../src/vm/memory.js';
import { Program } from './harness.js';
import { everyBudget } from './budget-harness.js';

const SIZE = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW } as const;
type Width = keyof typeof SIZE;
const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);
const ldx = (size: Width, dst: number, src: number, off: number): Insn => insn(Class.LDX | Mode.MEM | SIZE[size], dst, src, off);
const st = (size: Width, dst: number, off: number, imm: number): Insn => insn(Class.ST | Mode.MEM | SIZE[size], dst, 0, off, imm);
const stx = (size: Width, dst: number, off: number, src: number): Insn => insn(Class.STX | Mode.MEM | SIZE[size], dst, src, off);
const jne = (dst: number, imm: number, off: number): Insn => insn(Class.JMP | JmpOp.JNE | Source.K, dst, 0, off, imm);
const exit = insn(Class.JMP | JmpOp.EXIT);
const program = (insns: readonly Insn[]): Program => new Program(encodeProgram(insns));
const call = (kind: number, imm: number): Insn => insn(Opcode.CALL, 0, kind, 0, imm);

/** stackBasedAccesses on `insns` (no bad slots), as sorted pcs. */
function stackBased(insns: readonly Insn[]): number[] {
  const ops = insns.map(decodeOperation);
  const blocks = basicBlocks(insns);
  const blockAt = new Int32Array(insns.length + 1).fill(-1);
  blocks.forEach((b, k) => (blockAt[b.start] = k));
  const bad = new Uint8Array(insns.length + 1);
  return [...stackBasedAccesses(insns, ops, blocks, blockAt, functionEntries(insns, ops, bad), bad)].sort((a, b) => a - b);
}

describe('stackBasedAccesses: the accesses whose base may point into the stack', () => {
  const cases: [string, Insn[], number[]][] = [
    ['a copy of r10 plus an index', [alu64x(AluOp.MOV, 3, 10), alu64(AluOp.ADD, 3, -16), alu64x(AluOp.ADD, 3, 2), ldx(4, 0, 3, 0), exit], [3]],
    ['the input pointer (the program\'s r1) and r10 itself', [ldx(4, 0, 1, 0), ldx(4, 2, 10, -4), st(4, 1, 0, 1), exit], []],
    ['a stack pointer spilled to an 8-byte slot and filled back', [alu64x(AluOp.MOV, 3, 10), stx(8, 10, -8, 3), ldx(8, 4, 10, -8), ldx(4, 0, 4, -16), exit], [3]],
    ['the slot overwritten (by a number, or in part) before the fill', [alu64x(AluOp.MOV, 3, 10), stx(8, 10, -8, 3), st(4, 10, -4, 0), ldx(8, 4, 10, -8), ldx(4, 0, 4, -16), exit], []],
    ['a stack pointer on one path, the input on the other (a join)', [alu64x(AluOp.MOV, 3, 1), jne(2, 0, 1), alu64x(AluOp.MOV, 3, 10), st(4, 3, -4, 1), exit], [3]],
    ['32-bit arithmetic, other ALU operations and constants', [alu64x(AluOp.MOV, 3, 10), insn(Class.ALU | AluOp.ADD | Source.K, 3, 0, 0, 0), ldx(1, 0, 3, 0), alu64x(AluOp.MOV, 4, 10), alu64(AluOp.AND, 4, -8), ldx(1, 0, 4, 0), insn(Opcode.LDDW, 5, 0, 0, STACK_END - 4), insn(0, 0, 0, 0, 0), ldx(4, 0, 5, 0), exit], []],
    ['r1-r5 after a helper call', [alu64x(AluOp.MOV, 1, 10), call(CallKind.HELPER, 1), ldx(4, 0, 1, 0), ldx(4, 0, 0, 0), exit], []],
    ['a callee\'s arguments and a local call\'s result', [alu64x(AluOp.MOV, 1, 10), call(CallKind.LOCAL, 2), ldx(4, 3, 0, 0), exit, ldx(4, 0, 1, -4), alu64x(AluOp.MOV, 0, 1), exit], [2, 4]],
  ];
  for (const [name, insns, want] of cases) it(name, () => expect(stackBased(insns)).toEqual(want));
});

/** The stack's end in budget-harness.ts's runs: 64-byte frames, the default 8 of them; the entry frame is the top one. */
const STACK_END = STACK_START + 64 * 8;
const WIDTHS: readonly Width[] = [1, 2, 4, 8];
/** How far before the stack's end each access ends: at its last byte, before it, and 1-3 bytes past it (a fault). */
const ENDS = [0, 1, 3, -1, -3];

/** The input: 0x11.. bytes, with the forged address `at` as a u32 at offset 8 and four nonzero bytes first. */
function inputWith(at: number): Uint8Array {
  const input = Uint8Array.from({ length: 24 }, (_, k) => (k * 37 + 11) | 1);
  new DataView(input.buffer).setUint32(8, at, true);
  input[4] = 0;
  return input;
}

describe('JIT accesses to the stack\'s last bytes through a computed address, against the interpreter at every budget', () => {
  it('reads a frame slot kept in a local again after a narrow store through a forged address wrote it', () => {
    for (const w of WIDTHS) {
      for (const end of ENDS) {
        const at = STACK_END - w - end;
        const input = inputWith(at);
        for (const setAddress of [[alu64(AluOp.MOV, 7, at)], [ldx(4, 7, 1, 8)]]) {
          // The store before the loop that reads the slot [r10 - 8] (kept in a local there).
          const before = program([
            st(8, 10, -8, 5),
            ...setAddress,
            st(w, 7, 0, 100),
            alu64(AluOp.MOV, 0, 0),
            alu64(AluOp.MOV, 6, 4),
            ldx(8, 2, 10, -8), // loop
            alu64x(AluOp.ADD, 0, 2),
            alu64(AluOp.ADD, 6, -1),
            jne(6, 0, -4),
            exit,
          ]);
          everyBudget(before, input, 60);
          // The store inside the loop, which runs until a 0 byte of the input (no bound: a store that
          // would write the stack leaves for the checked copy).
          const inLoop = program([
            st(8, 10, -8, 5),
            alu64(AluOp.MOV, 0, 0),
            alu64(AluOp.MOV, 6, 0),
            ...setAddress,
            ldx(8, 2, 10, -8), // loop
            alu64x(AluOp.ADD, 0, 2),
            st(w, 7, 0, 100),
            alu64x(AluOp.MOV, 3, 1),
            alu64x(AluOp.ADD, 3, 6),
            ldx(1, 3, 3, 0),
            alu64(AluOp.ADD, 6, 1),
            jne(3, 0, -8),
            exit,
          ]);
          everyBudget(inLoop, input, 80);
        }
      }
    }
  });

  it('loads and stores at the top of the entry frame through r10 plus an index read from the input', () => {
    for (const w of WIDTHS) {
      for (const end of ENDS) {
        // r4 = the index (from the input, so no range is known), r3 = r10 - 16 + r4 addresses
        // [r10 - w - end, r10 - end): the entry frame's last bytes, or past the stack's end.
        const input = inputWith(0);
        new DataView(input.buffer).setUint32(12, 16 - w - end, true);
        const prog = program([
          st(8, 10, -8, 0x0102_0304),
          st(8, 10, -16, 7),
          ldx(4, 4, 1, 12),
          alu64(AluOp.MOV, 0, 0),
          alu64(AluOp.MOV, 6, 0),
          alu64x(AluOp.MOV, 3, 10), // loop
          alu64(AluOp.ADD, 3, -16),
          alu64x(AluOp.ADD, 3, 4),
          ldx(w, 2, 3, 0),
          alu64x(AluOp.ADD, 0, 2),
          alu64(AluOp.ADD, 2, 3),
          stx(w, 3, 0, 2),
          ldx(8, 5, 10, -8),
          alu64x(AluOp.ADD, 0, 5),
          alu64x(AluOp.MOV, 5, 1),
          alu64x(AluOp.ADD, 5, 6),
          ldx(1, 5, 5, 0),
          alu64(AluOp.ADD, 6, 1),
          jne(5, 0, -14),
          exit,
        ]);
        everyBudget(prog, input, 120);
      }
    }
  });
});
