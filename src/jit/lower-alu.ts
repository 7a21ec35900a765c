/**
 * Lowering of the eBPF instructions that only compute on registers: ALU operations (64- and 32-bit,
 * division and modulo with eBPF's results for a zero divisor and signed overflow), `neg`, `movsx`,
 * byte order, the compare of a conditional jump, and clang's rotate idiom fused into one `rotl`. Each
 * emits onto a CodeWriter over the registers' i64 locals (see locals.ts) and touches nothing else,
 * so both copies of a function (function-compiler.ts) share them.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import type { AluName, JumpCond, Operation } from '../isa/operation.js';
import type { CodeWriter } from '../wasm/module.js';
import { Op, ValType } from '../wasm/opcodes.js';
import { L_A, L_T } from './locals.js';

const ALU64: Partial<Record<AluName, number>> = {
  add: Op.i64_add,
  sub: Op.i64_sub,
  mul: Op.i64_mul,
  or: Op.i64_or,
  and: Op.i64_and,
  xor: Op.i64_xor,
  lsh: Op.i64_shl,
  rsh: Op.i64_shr_u,
  arsh: Op.i64_shr_s,
};
const ALU32: Partial<Record<AluName, number>> = {
  add: Op.i32_add,
  sub: Op.i32_sub,
  mul: Op.i32_mul,
  or: Op.i32_or,
  and: Op.i32_and,
  xor: Op.i32_xor,
  lsh: Op.i32_shl,
  rsh: Op.i32_shr_u,
  arsh: Op.i32_shr_s,
};
/** Division and remainder, the operations ALU64 / ALU32 and `mov` leave, by width (see {@link divOp}). */
type DivOps = Readonly<Record<'div' | 'mod' | 'sdiv' | 'smod', number>>;
const DIV64: DivOps = { div: Op.i64_div_u, mod: Op.i64_rem_u, sdiv: Op.i64_div_s, smod: Op.i64_rem_s };
const DIV32: DivOps = { div: Op.i32_div_u, mod: Op.i32_rem_u, sdiv: Op.i32_div_s, smod: Op.i32_rem_s };

/** The opcode in `ops` (DIV64 or DIV32) of division or remainder `name`: div, mod, sdiv, else smod. */
function divOp(ops: DivOps, name: AluName): number {
  return name === 'div' || name === 'mod' || name === 'sdiv' ? ops[name] : ops.smod;
}
const CMP64: Record<Exclude<JumpCond, 'jset'>, number> = {
  jeq: Op.i64_eq,
  jne: Op.i64_ne,
  jgt: Op.i64_gt_u,
  jge: Op.i64_ge_u,
  jlt: Op.i64_lt_u,
  jle: Op.i64_le_u,
  jsgt: Op.i64_gt_s,
  jsge: Op.i64_ge_s,
  jslt: Op.i64_lt_s,
  jsle: Op.i64_le_s,
};
const CMP32: Record<Exclude<JumpCond, 'jset'>, number> = {
  jeq: Op.i32_eq,
  jne: Op.i32_ne,
  jgt: Op.i32_gt_u,
  jge: Op.i32_ge_u,
  jlt: Op.i32_lt_u,
  jle: Op.i32_le_u,
  jsgt: Op.i32_gt_s,
  jsge: Op.i32_ge_s,
  jslt: Op.i32_lt_s,
  jsle: Op.i32_le_s,
};

/** Push an i32, non-zero when the conditional jump `op` (`i`) is taken. */
export function emitCompare(c: CodeWriter, op: Extract<Operation, { kind: 'jcond' }>, i: Insn): void {
  if (op.width === 64) {
    c.get(i.dst);
    if (op.source === 'reg') c.get(i.src);
    else c.i64(i.imm);
    if (op.cond === 'jset') c.op(Op.i64_and).i64(0).op(Op.i64_ne);
    else c.op(CMP64[op.cond]);
  } else {
    c.get(i.dst).op(Op.i32_wrap_i64);
    if (op.source === 'reg') c.get(i.src).op(Op.i32_wrap_i64);
    else c.i32(i.imm);
    c.op(op.cond === 'jset' ? Op.i32_and : CMP32[op.cond]);
  }
}

/**
 * Emit an ALU instruction on the registers' i64 locals: 64-bit operations directly, 32-bit ones on the
 * low halves with the result zero-extended; division and modulo by zero (and signed overflow) as eBPF
 * defines them, without WebAssembly's traps.
 */
export function emitAlu(c: CodeWriter, name: AluName, width: 32 | 64, source: 'imm' | 'reg', i: Insn): void {
  const dst = i.dst;
  if (width === 64) {
    const operand = (): void => {
      if (source === 'reg') c.get(i.src);
      else c.i64(i.imm);
    };
    if (name === 'mov') {
      operand();
      c.set(dst);
      return;
    }
    const simple = ALU64[name];
    if (simple !== undefined) {
      c.get(dst);
      operand();
      c.op(simple).set(dst);
      return;
    }
    if (source === 'imm') {
      const k = i.imm;
      if (k === 0) {
        // Division by zero gives 0; modulo by zero leaves dst unchanged.
        if (name === 'div' || name === 'sdiv') c.i64(0).set(dst);
        return;
      }
      if (name === 'sdiv' && k === -1) {
        c.i64(0).get(dst).op(Op.i64_sub).set(dst);
        return;
      }
      c.get(dst).i64(k).op(divOp(DIV64, name)).set(dst);
      return;
    }
    const s = i.src;
    c.get(s).op(Op.i64_eqz).if(ValType.i64);
    if (name === 'div' || name === 'sdiv') c.i64(0);
    else c.get(dst);
    c.else();
    if (name === 'sdiv') {
      // INT64_MIN / -1 traps in WebAssembly; x / -1 is -x (wrapping) in eBPF.
      c.get(s).i64(-1).op(Op.i64_eq).if(ValType.i64).i64(0).get(dst).op(Op.i64_sub).else();
      c.get(dst).get(s).op(Op.i64_div_s).end();
    } else {
      c.get(dst).get(s).op(divOp(DIV64, name));
    }
    c.end().set(dst);
    return;
  }
  // 32-bit: operate on the low halves, zero-extend the result.
  const operand = (): void => {
    if (source === 'reg') c.get(i.src).op(Op.i32_wrap_i64);
    else c.i32(i.imm);
  };
  if (name === 'mov') {
    if (source === 'reg') c.get(i.src).i64(0xffffffff).op(Op.i64_and).set(dst);
    else c.i64(i.imm >>> 0).set(dst);
    return;
  }
  const simple = ALU32[name];
  if (simple !== undefined) {
    c.get(dst).op(Op.i32_wrap_i64);
    operand();
    c.op(simple).op(Op.i64_extend_i32_u).set(dst);
    return;
  }
  if (source === 'imm') {
    const k = i.imm;
    if (k === 0) {
      if (name === 'div' || name === 'sdiv') c.i64(0).set(dst);
      else c.get(dst).i64(0xffffffff).op(Op.i64_and).set(dst);
      return;
    }
    if (name === 'sdiv' && k === -1) {
      c.i32(0).get(dst).op(Op.i32_wrap_i64).op(Op.i32_sub).op(Op.i64_extend_i32_u).set(dst);
      return;
    }
    c.get(dst).op(Op.i32_wrap_i64).i32(k).op(divOp(DIV32, name)).op(Op.i64_extend_i32_u).set(dst);
    return;
  }
  c.get(i.src).op(Op.i32_wrap_i64).tee(L_A).op(Op.i32_eqz).if(ValType.i32);
  if (name === 'div' || name === 'sdiv') c.i32(0);
  else c.get(dst).op(Op.i32_wrap_i64);
  c.else();
  if (name === 'sdiv') {
    c.get(L_A).i32(-1).op(Op.i32_eq).if(ValType.i32).i32(0).get(dst).op(Op.i32_wrap_i64).op(Op.i32_sub).else();
    c.get(dst).op(Op.i32_wrap_i64).get(L_A).op(Op.i32_div_s).end();
  } else {
    c.get(dst).op(Op.i32_wrap_i64).get(L_A).op(divOp(DIV32, name));
  }
  c.end().op(Op.i64_extend_i32_u).set(dst);
}

/** Emit `neg`, `movsx` or a byte-order operation (`end`) on its destination register. */
export function emitUnary(c: CodeWriter, op: Extract<Operation, { kind: 'neg' | 'movsx' | 'end' }>, i: Insn): void {
  switch (op.kind) {
    case 'neg':
      if (op.width === 64) c.i64(0).get(i.dst).op(Op.i64_sub).set(i.dst);
      else c.i32(0).get(i.dst).op(Op.i32_wrap_i64).op(Op.i32_sub).op(Op.i64_extend_i32_u).set(i.dst);
      return;
    case 'movsx':
      if (op.width === 64) {
        c.get(i.src).op(op.bits === 8 ? Op.i64_extend8_s : op.bits === 16 ? Op.i64_extend16_s : Op.i64_extend32_s).set(i.dst);
      } else {
        c.get(i.src).op(Op.i32_wrap_i64).op(op.bits === 8 ? Op.i32_extend8_s : Op.i32_extend16_s);
        c.op(Op.i64_extend_i32_u).set(i.dst);
      }
      return;
    case 'end':
      if (op.order === 'le') {
        if (op.bits === 16) c.get(i.dst).i64(0xffff).op(Op.i64_and).set(i.dst);
        else if (op.bits === 32) c.get(i.dst).i64(0xffffffff).op(Op.i64_and).set(i.dst);
        return;
      }
      if (op.bits === 16) {
        c.get(i.dst).op(Op.i32_wrap_i64).tee(L_A).i32(8).op(Op.i32_shl).i32(0xff00).op(Op.i32_and);
        c.get(L_A).i32(8).op(Op.i32_shr_u).i32(0xff).op(Op.i32_and).op(Op.i32_or);
        c.op(Op.i64_extend_i32_u).set(i.dst);
      } else if (op.bits === 32) {
        c.get(i.dst).op(Op.i32_wrap_i64);
        bswap32(c);
        c.op(Op.i64_extend_i32_u).set(i.dst);
      } else {
        c.get(i.dst).op(Op.i32_wrap_i64);
        bswap32(c);
        c.op(Op.i64_extend_i32_u).i64(32).op(Op.i64_shl);
        c.get(i.dst).i64(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
        bswap32(c);
        c.op(Op.i64_extend_i32_u).op(Op.i64_or).set(i.dst);
      }
      return;
  }
}

/** Byte-swap the i32 on top of the stack. */
function bswap32(c: CodeWriter): void {
  c.tee(L_A).i32(8).op(Op.i32_rotl).i32(0x00ff00ff).op(Op.i32_and);
  c.get(L_A).i32(8).op(Op.i32_rotr).i32(0xff00ff00 | 0).op(Op.i32_and).op(Op.i32_or);
}

/**
 * clang's rotate idiom (eBPF has no rotate): `t = x; t >>= a; x <<= b; x |= t` with a + b the
 * width, the two shifts in either order and on either register, the `or` into either, all four in
 * one width. V8 does not turn the shifts into a rotate, which lengthens a hash's dependency chain
 * (hash64's `rotl(h, 27)`); this emits one `rotl` and leaves both registers as the four slots would.
 * Returns the slots consumed: 4 when the slots from `pc` (before `end`) are the idiom, else 0.
 */
export function emitRotate(c: CodeWriter, ops: readonly Operation[], insns: readonly Insn[], badSlots: Uint8Array, pc: number, end: number): number {
  if (pc + 4 > end) return 0;
  for (let k = 0; k < 4; k++) if (badSlots[pc + k] === 1) return 0;
  const mov = ops[pc]!;
  if (mov.kind !== 'alu' || mov.op !== 'mov' || mov.source !== 'reg') return 0;
  const w = mov.width;
  const t = insns[pc]!.dst;
  const x = insns[pc]!.src;
  if (t === x) return 0;
  // The two shifts: which register each applies to and by how much.
  let lshReg = -1;
  let rshReg = -1;
  let b = 0;
  let a = 0;
  for (const k of [1, 2]) {
    const op = ops[pc + k]!;
    const i = insns[pc + k]!;
    if (op.kind !== 'alu' || op.width !== w || op.source !== 'imm' || (i.dst !== t && i.dst !== x) || i.imm <= 0 || i.imm >= w) return 0;
    if (op.op === 'lsh' && lshReg < 0) [lshReg, b] = [i.dst, i.imm];
    else if (op.op === 'rsh' && rshReg < 0) [rshReg, a] = [i.dst, i.imm];
    else return 0;
  }
  const or = ops[pc + 3]!;
  const oi = insns[pc + 3]!;
  if (lshReg === rshReg || a + b !== w || or.kind !== 'alu' || or.op !== 'or' || or.width !== w || or.source !== 'reg') return 0;
  if (!((oi.dst === t && oi.src === x) || (oi.dst === x && oi.src === t))) return 0;
  // The `or`'s destination gets x rotated; its source keeps its shifted x. x is read before either is written.
  const shifted = oi.src === lshReg ? { by: b, op: w === 64 ? Op.i64_shl : Op.i32_shl } : { by: a, op: w === 64 ? Op.i64_shr_u : Op.i32_shr_u };
  if (w === 64) {
    c.get(x).i64(b).op(Op.i64_rotl).set(L_T);
    c.get(x).i64(shifted.by).op(shifted.op).set(oi.src);
  } else {
    c.get(x).op(Op.i32_wrap_i64).i32(b).op(Op.i32_rotl).op(Op.i64_extend_i32_u).set(L_T);
    c.get(x).op(Op.i32_wrap_i64).i32(shifted.by).op(shifted.op).op(Op.i64_extend_i32_u).set(oi.src);
  }
  c.get(L_T).set(oi.dst);
  return 4;
}
