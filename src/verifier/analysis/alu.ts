/**
 * Arithmetic: scalar ranges through ALU operations, and the pointer arithmetic rules (which pointers
 * may move, by what, and what pointer differences yield).
 * @module
 */
import { derivedParts, derivedRelation, forgetWhere, linkedCopy, movedLink, movedLink32, shiftedLink } from './links.js';
import type { Insn } from '../../isa/instruction.js';
import type { Operation } from '../../isa/operation.js';
import type { Env } from './env.js';
import type { Work } from './memory.js';
import { binary, constant, constValue, join, low32, negate, signExtend, trailingZeros, valuesOf, zeroExtend32, TOP, unsignedRange, S64_MAX, S64_MIN, type Scalar, type ScalarOp } from './scalar.js';
import { ANY_SCALAR, isPointer, scalarValue, typeName, type Value } from './value.js';

/** Largest variable offset the kernel lets a pointer move by (BPF_MAX_VAR_OFF). */
const MAX_VAR_OFF = 1n << 29n;

/** Pointers the kernel lets move by a number with a large maximum (an access through them is then refused as unbounded). */
const UNBOUNDED_MAX = new Set(['map_value', 'stack', 'packet']);

/** Types a pointer may move within (others are fixed handles). */
const MOVABLE = new Set(['stack', 'packet', 'packet_meta', 'map_value', 'mem', 'ctx', 'flow_keys', 'tp_buffer', 'btf_id']);

/** Read a register as an operand: reports `!read_ok` for an uninitialised one (and continues with an unknown scalar). */
export function readReg(env: Env, w: Work, pc: number, r: number): Value {
  const v = w.regs[r]!;
  if (v.type === 'uninit') {
    env.report(pc, 'uninit-register', `R${r} !read_ok`);
    return ANY_SCALAR;
  }
  return v;
}

/** Apply an `alu`, `neg`, `movsx` or `end` instruction to `w`. */
export function aluStep(env: Env, w: Work, pc: number, i: Insn, op: Extract<Operation, { kind: 'alu' | 'neg' | 'movsx' | 'end' }>): void {
  const R = `R${i.dst}`;
  if (op.kind === 'alu' && op.op === 'mov') {
    const src = op.source === 'imm' ? scalarValue(constant(BigInt(i.imm))) : readReg(env, w, pc, i.src);
    if (op.width === 64) {
      w.regs[i.dst] = op.source === 'reg' && w.regs[i.src]!.type === 'scalar' ? linkedCopy(w, pc, i.src) : src;
    } else if (op.source === 'reg' && src.type === 'scalar' && src.scalar.umax <= 0xffff_ffffn) {
      // a 32-bit move of a number that fits in 32 bits copies it whole: linked, as a 64-bit move is
      // (the kernel gives both the same scalar id), so a later test of either narrows both
      w.regs[i.dst] = linkedCopy(w, pc, i.src);
    } else {
      // a 32-bit move of a pointer keeps only its low half: an unknown number
      w.regs[i.dst] = isPointer(src) ? scalarValue(unsignedRange(0n, 0xffff_ffffn)) : scalarValue(zeroExtend32(low32(src.scalar)));
    }
    return;
  }
  if (op.kind === 'movsx') {
    const src = readReg(env, w, pc, i.src);
    if (isPointer(src)) {
      // privileged: the pointer's bits become a number (a leak the kernel allows root)
      if (!env.privileged) env.report(pc, 'pointer-arithmetic', `R${i.src} sign-extension of a pointer (${typeName(src.type)}) prohibited`);
      w.regs[i.dst] = ANY_SCALAR;
      return;
    }
    const s = signExtend(src.scalar, op.bits);
    w.regs[i.dst] = scalarValue(op.width === 64 ? s : zeroExtend32(low32(s)));
    return;
  }
  const dst = readReg(env, w, pc, i.dst);
  if (op.kind === 'neg' || op.kind === 'end') {
    if (isPointer(dst)) {
      if (!env.privileged) env.report(pc, 'pointer-arithmetic', `${R} pointer arithmetic with ${op.kind === 'neg' ? 'neg' : 'byte swap'} prohibited`);
      w.regs[i.dst] = ANY_SCALAR;
      return;
    }
    if (op.kind === 'neg') {
      w.regs[i.dst] = scalarValue(op.width === 64 ? negate(dst.scalar, 64) : zeroExtend32(negate(low32(dst.scalar), 32)));
    } else {
      const bits = BigInt(op.bits);
      const keepsValue = op.order === 'le';
      const s = dst.scalar;
      const c = constValue(s);
      // a known value is swapped (or truncated) exactly; a little-endian conversion of a value that fits keeps it
      if (c !== undefined) w.regs[i.dst] = scalarValue(constant(keepsValue ? BigInt.asUintN(op.bits, c) : swapBytes(c, op.bits)));
      else w.regs[i.dst] = keepsValue && s.umax < 1n << bits ? dst : scalarValue(op.bits === 64 ? TOP : unsignedRange(0n, (1n << bits) - 1n));
    }
    return;
  }
  const src = op.source === 'imm' ? scalarValue(constant(BigInt(i.imm))) : readReg(env, w, pc, i.src);
  const name = op.op as ScalarOp;
  if (!isPointer(dst) && !isPointer(src)) {
    const result = scalarOp(name, dst.scalar, src.scalar, op.width);
    const step = op.source === 'imm' && (name === 'add' || name === 'sub') ? (name === 'add' ? i.imm : -i.imm) : undefined;
    const moved = step === undefined ? undefined : op.width === 64 ? movedLink(dst, step, result) : movedLink32(dst, step, result);
    const shifted = op.width === 64 && op.source === 'imm' ? shiftedLink(dst, name, BigInt(i.imm), result) : undefined;
    w.regs[i.dst] = moved ?? shifted ?? scalarValue(result);
    return;
  }
  if (op.width === 32) {
    // a privileged loader may subtract in 32 bits with a pointer operand: the result is a number
    // (checked against the kernel: test/verifier/path-cases.ts); every other 32-bit operation is refused
    if (name === 'sub' && env.privileged) {
      w.regs[i.dst] = scalarValue(unsignedRange(0n, 0xffff_ffffn));
      return;
    }
    env.report(pc, 'pointer-arithmetic', `${R} 32-bit pointer arithmetic prohibited`);
    w.regs[i.dst] = ANY_SCALAR;
    return;
  }
  w.regs[i.dst] = pointerOp(env, w, pc, i, name, dst, src);
}

/** The low `bits` bits of `v` in the opposite byte order. */
function swapBytes(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let b = 0; b < bits; b += 8) out = (out << 8n) | ((v >> BigInt(b)) & 0xffn);
  return out;
}

/** A scalar operation in 32 or 64 bits. */
export function scalarOp(op: ScalarOp, a: Scalar, b: Scalar, width: 32 | 64): Scalar {
  // The kernel does not track division or modulo: the result is any 64-bit number, even from constants
  // and in 32 bits (checked against the kernel: test/verifier/families.ts, family sdiv / alu32_bounds)
  if (op === 'div' || op === 'mod' || op === 'sdiv' || op === 'smod') return TOP;
  if (op === 'lsh' || op === 'rsh' || op === 'arsh') {
    // a shift by a register the kernel tracks only for a constant amount (else any 64-bit number, even in
    // 32 bits: checked against the kernel); amounts joined from constants are taken one by one, as the
    // kernel walks their paths
    const amounts = valuesOf(b);
    if (amounts === undefined) return TOP;
    if (amounts.length > 1) return amounts.map((c) => scalarOp(op, a, constant(c), width)).reduce((x, y) => join(x, y));
  }
  if (width === 64) return binary(op, a, b, 64);
  return zeroExtend32(binary(op, low32(a), low32(b), 32));
}

function pointerOp(env: Env, w: Work, pc: number, i: Insn, op: ScalarOp, dst: Value, src: Value): Value {
  const R = `R${i.dst}`;
  if (op !== 'add' && op !== 'sub') {
    const bitwise = op === 'and' || op === 'or' || op === 'xor';
    env.report(pc, 'pointer-arithmetic', `${R} ${bitwise ? 'bitwise operator' : 'pointer arithmetic with'} ${op} ${bitwise ? 'on pointer' : 'operator'} prohibited`);
    return ANY_SCALAR;
  }
  if (isPointer(dst) && isPointer(src)) {
    if (op === 'sub') {
      // the distance between two pointers is a number the kernel does not track (even between two packet
      // pointers with known offsets: checked, test/verifier/path-cases.ts), so an unknown one here
      return ANY_SCALAR;
    }
    env.report(pc, 'pointer-arithmetic', `${R} pointer += pointer prohibited`);
    return ANY_SCALAR;
  }
  const ptr = isPointer(dst) ? dst : src;
  const num = isPointer(dst) ? src : dst;
  const ptrReg = isPointer(dst) ? i.dst : i.src;
  if (!isPointer(dst) && op === 'sub') {
    env.report(pc, 'pointer-arithmetic', `${R} tried to subtract pointer from scalar`);
    return ANY_SCALAR;
  }
  // adding a known 0 to a map pointer leaves it one (the kernel allows it, for clang's output)
  if (op === 'add' && num.scalar.umin === 0n && num.scalar.umax === 0n && ptr.type === 'map_ptr') return ptr;
  if (!MOVABLE.has(ptr.type)) {
    env.report(pc, 'pointer-arithmetic', `R${ptrReg} pointer arithmetic on ${typeName(ptr.type)} prohibited${ptr.type.endsWith('_or_null') ? ', null-check it first' : ''}`);
    return ANY_SCALAR;
  }
  if (op === 'sub' && ptr.type === 'stack') {
    env.report(pc, 'pointer-arithmetic', `${R} subtraction from stack pointer prohibited (add a negative number instead)`);
    return ANY_SCALAR;
  }
  const s = num.scalar;
  let lo = op === 'add' ? s.smin : -s.smax;
  let hi = op === 'add' ? s.smax : -s.smin;
  if (UNBOUNDED_MAX.has(ptr.type)) {
    // a map value, stack or packet pointer may move by a number with a large maximum (checked against the
    // kernel): what is refused is a constant 2^29 or more from 0, a number whose least value is that far
    // from 0, and an offset past the signed 64-bit range; an access through the pointer is then an
    // unbounded one (a packet pointer's: no relation, so no comparison proves bytes past it)
    const c = constValue(s);
    const what = typeName(ptr.type);
    if (c !== undefined) {
      const v = BigInt.asIntN(64, c);
      if (v >= MAX_VAR_OFF || v <= -MAX_VAR_OFF) {
        env.report(pc, 'pointer-arithmetic', `math between ${what} pointer and ${v} is not allowed`);
        return UNINIT_POINTER_RESULT;
      }
    } else if (hi > MAX_VAR_OFF && s.smin !== S64_MIN) {
      if (s.smin >= MAX_VAR_OFF || s.smin <= -MAX_VAR_OFF) {
        env.report(pc, 'pointer-arithmetic', `value ${s.smin} makes ${what} pointer be out of bounds`);
        return UNINIT_POINTER_RESULT;
      }
      if (BigInt(ptr.hi) + hi > S64_MAX) {
        env.report(pc, 'pointer-arithmetic', `${what} pointer offset ${S64_MIN} is not allowed (its largest offset, ${BigInt(ptr.hi) + hi}, is past the signed 64-bit range)`);
        return UNINIT_POINTER_RESULT;
      }
    }
  } else if (hi > MAX_VAR_OFF) {
    env.report(pc, 'pointer-arithmetic', `math between ${typeName(ptr.type)} pointer and register with unbounded max value is not allowed`);
    return UNINIT_POINTER_RESULT;
  }
  if (lo < -MAX_VAR_OFF) {
    env.report(pc, 'pointer-arithmetic', `math between ${typeName(ptr.type)} pointer and register with unbounded min value is not allowed`);
    return UNINIT_POINTER_RESULT;
  }
  const exact = lo === hi;
  // a map value's variable offset that may be negative is, unsigned, past BPF_MAX_VAR_OFF: the kernel
  // refuses every access through the pointer (constants joined from paths are each a fixed offset)
  if (ptr.type === 'map_value' && !exact && lo < 0n && valuesOf(s) === undefined) {
    env.report(pc, 'pointer-arithmetic', `R${ptrReg} map value pointer plus a variable offset that may be negative ([${lo}, ${hi}]): any access through it is an unbounded memory access; bound the offset below by 0 first`);
    return UNINIT_POINTER_RESULT;
  }
  const nlo = ptr.lo + Number(lo);
  const nhi = ptr.hi + Number(hi);
  // the variable part moves in steps of the number's known alignment
  const va = exact ? ptr.va : Math.min(ptr.va, trailingZeros(s));
  if (ptr.type === 'packet') {
    if (exact) return { ...ptr, lo: nlo, hi: nhi, k: ptr.k + Number(lo) };
    // past BPF_MAX_VAR_OFF (a 32-bit length that may have wrapped): comparable, never readable
    if (hi > MAX_VAR_OFF) return { ...ptr, lo: nlo, hi: nhi, id: -1, k: 0, va };
    // a variable offset: a new relation named after this instruction, with no bytes proved past it (a
    // new data_end comparison must prove them); older holders of it lose theirs. A linked number: the
    // relation named by the pointer's and the link's (link-join.ts), whose bytes proved so far stay
    const derived = op === 'add' && num.type === 'scalar' ? derivedRelation(ptr.id, num.id) : undefined;
    const id = derived ?? pc * 16 + 1;
    const k = derived === undefined ? 0 : ptr.k + num.k;
    const proved = ptr.id >= 0 ? (w.pkt.get(ptr.id) ?? 0) - ptr.k : 0;
    if (derived === undefined) forget(w, id);
    // offsets joined from constants: each path (as the kernel walks them) keeps what was proved past it
    const each = valuesOf(s);
    if (each !== undefined && proved > 0) {
      const least = Math.min(...each.map((c) => proved - Number(BigInt.asIntN(64, op === 'add' ? c : -c))));
      if (least > 0) w.pkt.set(id, Math.max(w.pkt.get(id) ?? 0, k + least));
    }
    return { ...ptr, lo: nlo, hi: nhi, id, k, va };
  }
  return { ...ptr, lo: nlo, hi: nhi, va };
}

/** After a rejected pointer operation the register is unusable (any use reports again). */
const UNINIT_POINTER_RESULT: Value = ANY_SCALAR;

/** Every holder of packet relation `id` loses it (the id is about to name a new value), and its range goes. */
export function forget(w: Work, id: number): void {
  forgetWhere(w, (x) => x === id || derivedParts(x)?.p === id);
}
