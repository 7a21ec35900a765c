/**
 * The mnemonic dialects: rbpf (`add64 r1, 0x605`, `ldxw r0, [r1+2]`) and bpf_conformance/uBPF
 * (`%r0`, unsuffixed = 64-bit, `lock fetch add`, `call local f`, `movsx832`). They differ only in
 * details, so one parser accepts both, even mixed.
 * @module
 */
import { CallKind, Opcode } from '../isa/opcodes.js';
import type { AccessSize } from '../isa/operation.js';
import type { Cursor } from './cursor.js';
import { quote } from './lexer.js';
import {
  aluEncoding,
  atomicEncoding,
  endOpcode,
  isAluName,
  isAtomicName,
  isJumpCond,
  jaOpcode,
  jumpOpcode,
  ldxOpcode,
  movsxOpcode,
  negOpcode,
  packetLoadOpcode,
  type JumpRef,
  type Pending,
  pseudoFromName,
  sizeFromSuffix,
  stOpcode,
  stxOpcode,
} from './encoding.js';

/** A memory operand `[rN]`, `[rN+off]` or `[rN-off]`. */
interface Mem {
  reg: number;
  offset: number;
}

function mem(c: Cursor): Mem {
  c.punct('[');
  const reg = c.reg('a base register').index;
  let offset = 0;
  if (c.isNumber()) offset = c.offset('an offset like +8 or -4');
  c.punct(']');
  return { reg, offset };
}

/** A jump target: a label, or a signed distance in slots. */
export function target(c: Cursor, field: 'offset' | 'imm'): JumpRef {
  const col = c.col();
  // The kernel verifier log writes relative targets as `pc+3`.
  const t0 = c.peek();
  if (t0?.kind === 'ident' && t0.text === 'pc' && c.peek(1)?.kind === 'punct' && c.peek(2)?.kind === 'num') {
    c.next();
  }
  if (c.isNumber()) {
    const relative = field === 'offset' ? c.offset('a jump offset') : c.imm32('a jump offset');
    return { field, relative, line: c.line, col };
  }
  const t = c.peek();
  if (t?.kind === 'ident') {
    c.next();
    return { field, label: t.text, line: c.line, col };
  }
  throw c.expected('a label or a signed offset like +3');
}

function width(suffix: string | undefined): 32 | 64 {
  return suffix === '32' ? 32 : 64;
}

function base(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): Pending {
  return { opcode, dst, src, offset, imm };
}

function comma(c: Cursor): void {
  c.punct(',');
}

/** Parse one instruction in the mnemonic dialects; `mnemonic` is already consumed and lower-cased. */
export function parseMnemonic(c: Cursor, mnemonic: string, mnemonicCol: number): Pending {
  let m: RegExpExecArray | null;
  if (mnemonic === 'exit') return base(Opcode.EXIT);

  if ((m = /^([a-z]+?)(32|64)?$/.exec(mnemonic)) !== null && isAluName(m[1]!)) {
    const w = width(m[2]);
    const dst = c.reg().index;
    comma(c);
    if (c.isReg()) {
      const src = c.reg().index;
      const e = aluEncoding(m[1]!, w, true);
      return base(e.opcode, dst, src, e.offset);
    }
    const e = aluEncoding(m[1]!, w, false);
    return base(e.opcode, dst, 0, e.offset, c.imm32('a register or an immediate'));
  }
  if ((m = /^neg(32|64)?$/.exec(mnemonic)) !== null) {
    return base(negOpcode(width(m[1])), c.reg().index);
  }
  if ((m = /^movsx(8|16|32)(32|64)$/.exec(mnemonic)) !== null) {
    const bits = Number(m[1]);
    const w = width(m[2]);
    if (bits === 32 && w === 32) throw c.error(`'movsx3232' does not exist: use mov32`, mnemonicCol);
    const dst = c.reg().index;
    comma(c);
    const src = c.reg('a source register').index;
    return base(movsxOpcode(w), dst, src, bits);
  }
  if ((m = /^(be|le|swap|bswap)(16|32|64)$/.exec(mnemonic)) !== null) {
    const order = m[1] === 'be' ? 'be' : m[1] === 'le' ? 'le' : 'swap';
    return base(endOpcode(order), c.reg().index, 0, 0, Number(m[2]));
  }
  if ((m = /^ldx(s)?(b|h|w|dw)$/.exec(mnemonic)) !== null) {
    const size = sizeFromSuffix(m[2]!)!;
    if (m[1] === 's' && size === 8) throw c.error(`'ldxsdw' does not exist: use ldxdw`, mnemonicCol);
    const dst = c.reg().index;
    comma(c);
    const a = mem(c);
    return base(ldxOpcode(size, m[1] === 's'), dst, a.reg, a.offset);
  }
  if ((m = /^st(b|h|w|dw)$/.exec(mnemonic)) !== null) {
    const a = mem(c);
    comma(c);
    return base(stOpcode(sizeFromSuffix(m[1]!)!), a.reg, 0, a.offset, c.imm32());
  }
  if ((m = /^stx(b|h|w|dw)$/.exec(mnemonic)) !== null) {
    const a = mem(c);
    comma(c);
    return base(stxOpcode(sizeFromSuffix(m[1]!)!), a.reg, c.reg().index, a.offset);
  }
  if ((m = /^stxxadd(w|dw)$/.exec(mnemonic)) !== null) {
    const a = mem(c);
    comma(c);
    const e = atomicEncoding('add', m[1] === 'w' ? 4 : 8, false);
    return base(e.opcode, a.reg, c.reg().index, a.offset, e.imm);
  }
  if ((m = /^ldabs(b|h|w|dw)$/.exec(mnemonic)) !== null) {
    return base(packetLoadOpcode('abs', sizeFromSuffix(m[1]!)!), 0, 0, 0, c.imm32());
  }
  if ((m = /^ldind(b|h|w|dw)$/.exec(mnemonic)) !== null) {
    const src = c.reg().index;
    comma(c);
    return base(packetLoadOpcode('ind', sizeFromSuffix(m[1]!)!), 0, src, 0, c.imm32());
  }
  if (mnemonic === 'lddw') {
    const dst = c.reg().index;
    comma(c);
    let src = 0;
    const t = c.peek();
    if (t?.kind === 'ident') {
      const p = pseudoFromName(t.text.toLowerCase());
      if (p === undefined) throw c.expected('a 64-bit immediate or a pseudo source (map_fd, map_value, btf_id, func, map_idx, map_idx_value)');
      c.next();
      src = p;
    }
    return { ...base(Opcode.LDDW, dst, src), wide: c.imm64() };
  }
  if ((m = /^(j[a-z]+?)(32)?$/.exec(mnemonic)) !== null && isJumpCond(m[1]!)) {
    const w = width(m[2]);
    const dst = c.reg().index;
    comma(c);
    let p: Pending;
    if (c.isReg()) p = base(jumpOpcode(m[1]!, w, true), dst, c.reg().index);
    else p = base(jumpOpcode(m[1]!, w, false), dst, 0, 0, c.imm32('a register or an immediate'));
    comma(c);
    p.jump = target(c, 'offset');
    return p;
  }
  if (mnemonic === 'ja') return { ...base(jaOpcode(false)), jump: target(c, 'offset') };
  if (mnemonic === 'ja32' || mnemonic === 'gotol' || mnemonic === 'jal') {
    return { ...base(jaOpcode(true)), jump: target(c, 'imm') };
  }
  if (mnemonic === 'call') {
    if (c.isReg()) return base(Opcode.CALLX, c.reg().index);
    const t = c.peek();
    if (t?.kind === 'ident' && t.text === 'pc') return { ...base(Opcode.CALL, 0, CallKind.LOCAL), jump: target(c, 'imm') };
    if (c.eatIdent('local')) return { ...base(Opcode.CALL, 0, CallKind.LOCAL), jump: target(c, 'imm') };
    if (c.eatIdent('kfunc')) return base(Opcode.CALL, 0, CallKind.KFUNC, 0, c.imm32('a kfunc BTF id'));
    return base(Opcode.CALL, 0, CallKind.HELPER, 0, c.imm32('a helper id, `local LABEL` or a register'));
  }
  if (mnemonic === 'callx') {
    // rbpf writes the register number bare (`callx 4`); either way it goes in dst, like bpf_conformance.
    if (c.isReg()) return base(Opcode.CALLX, c.reg().index);
    const n = c.number('a register');
    if (n.value < 0n || n.value > 10n) throw c.error(`register ${n.value} does not exist (r0 to r10)`, n.col);
    return base(Opcode.CALLX, Number(n.value));
  }
  if (mnemonic === 'lock') return parseLock(c);
  throw c.error(`unknown instruction ${quote(mnemonic)}`, mnemonicCol);
}

function parseLock(c: Cursor): Pending {
  const fetch = c.eatIdent('fetch');
  const op = c.ident('an atomic operation (add, and, or, xor, xchg, cmpxchg)');
  const m = /^([a-z]+?)(32|64)?$/.exec(op.text);
  if (m === null || !isAtomicName(m[1]!)) {
    throw c.error(`unknown atomic operation ${quote(op.text)} (add, and, or, xor, xchg, cmpxchg)`, op.col);
  }
  const size: AccessSize = m[2] === '32' ? 4 : 8;
  const a = mem(c);
  comma(c);
  const src = c.reg().index;
  const e = atomicEncoding(m[1]!, size as 4 | 8, fetch);
  return base(e.opcode, a.reg, src, a.offset, e.imm);
}
