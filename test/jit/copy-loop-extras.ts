/**
 * Loop-body instructions shared by the copy-loop property tests of both engines (test/jit/counted-loop
 * and test/vm/copy-loop): some keep a counted copy loop one (a register recomputed every iteration),
 * others break it (a register read before it is written that does not move by a constant, a second
 * load). `scratch` is the register the recomputed value goes to.
 */
import fc from 'fast-check';
import { AluOp, Class, Mode, Size, Source } from '../../src/isa/opcodes.js';
import { insn, type Insn } from '../../src/isa/instruction.js';

const alu64 = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const alu64x = (op: number, dst: number, src: number): Insn => insn(Class.ALU64 | op | Source.X, dst, src);

/** One extra piece of a copy loop's body (r1 the source pointer, r3/r5 loop-invariant or not, r8 free). */
export function copyLoopExtras(scratch: number): fc.Arbitrary<Insn[]> {
  return fc.constantFrom(
    [alu64(AluOp.MUL, 8, 3)],
    [alu64(AluOp.ADD, 8, 1)],
    [alu64x(AluOp.MOV, scratch, 1), alu64(AluOp.XOR, scratch, 5)],
    [alu64x(AluOp.MOV, 8, 0)],
    [insn(Class.LDX | Mode.MEM | Size.B, 4, 1, 1)],
    [alu64(AluOp.ADD, 4, -3)],
  );
}

/** Instructions that fold `regs` into r0 (multiply by an odd constant, xor), so that any register a loop left differently changes the result. */
export function foldIntoR0(regs: readonly number[]): Insn[] {
  return regs.flatMap((r) => [alu64(AluOp.MUL, 0, 31), alu64x(AluOp.XOR, 0, r)]);
}
