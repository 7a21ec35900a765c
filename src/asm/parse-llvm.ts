/**
 * The LLVM dialect, as printed by `llvm-objdump -d`, accepted by `llvm-mc` and shown in the kernel
 * verifier log: `r0 = 1`, `w1 += w2`, `r1 = *(u32 *)(r10 - 4)`, `if r1 s> -5 goto +3`,
 * `lock *(u64 *)(r0 + 0) += r1`, `r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)`, v4 forms
 * (`r1 = (s8)r2`, `w1 s/= w2`, `gotol +5`, `r1 = bswap16 r1`, `r1 = *(s16 *)(r2 + 4)`).
 * @module
 */
import { Opcode } from '../isa/opcodes.js';
import type { AccessSize, AluName, AtomicName, JumpCond } from '../isa/operation.js';
import type { Cursor, RegOperand } from './cursor.js';
import {
  aluEncoding,
  atomicEncoding,
  endOpcode,
  jaOpcode,
  jumpOpcode,
  ldxOpcode,
  movsxOpcode,
  negOpcode,
  packetLoadOpcode,
  type Pending,
  pseudoFromName,
  sizeFromSuffix,
  stOpcode,
  stxOpcode,
} from './encoding.js';
import { target } from './parse-mnemonic.js';
import { quote } from './lexer.js';

const COMPOUND: ReadonlyMap<string, AluName> = new Map([
  ['+=', 'add'],
  ['-=', 'sub'],
  ['*=', 'mul'],
  ['/=', 'div'],
  ['|=', 'or'],
  ['&=', 'and'],
  ['<<=', 'lsh'],
  ['>>=', 'rsh'],
  ['%=', 'mod'],
  ['^=', 'xor'],
]);
const SIGNED_COMPOUND: ReadonlyMap<string, AluName> = new Map([
  ['>>=', 'arsh'],
  ['/=', 'sdiv'],
  ['%=', 'smod'],
]);
const CONDITIONS: ReadonlyMap<string, JumpCond> = new Map([
  ['==', 'jeq'],
  ['!=', 'jne'],
  ['>', 'jgt'],
  ['>=', 'jge'],
  ['<', 'jlt'],
  ['<=', 'jle'],
  ['&', 'jset'],
]);
const SIGNED_CONDITIONS: ReadonlyMap<string, JumpCond> = new Map([
  ['>', 'jsgt'],
  ['>=', 'jsge'],
  ['<', 'jslt'],
  ['<=', 'jsle'],
]);
const LOCK_OPS: ReadonlyMap<string, AtomicName> = new Map([
  ['+=', 'add'],
  ['|=', 'or'],
  ['&=', 'and'],
  ['^=', 'xor'],
]);

/** True when the statement starting at the cursor is in LLVM syntax rather than a mnemonic dialect. */
export function looksLikeLlvm(c: Cursor): boolean {
  const t = c.peek();
  if (t === undefined) return false;
  if (t.kind === 'reg') return true;
  if (t.kind === 'punct') return t.text === '*';
  if (t.kind !== 'ident') return false;
  const w = t.text.toLowerCase();
  if (w === 'if' || w === 'goto' || w === 'gotol') return true;
  if (w === 'lock') return c.peek(1)?.kind === 'punct' && c.peek(1)?.text === '*';
  return false;
}

function width(r: RegOperand): 32 | 64 {
  return r.w ? 32 : 64;
}

function sameWidth(c: Cursor, dst: RegOperand, src: RegOperand): void {
  if (dst.w !== src.w) {
    throw c.error(`registers of different widths: write both as ${dst.w ? 'wN' : 'rN'}`, src.col);
  }
}

/** `(uN *)` or `(sN *)` after a `*` (or inside an atomic call): the access size and signedness. */
function typeCast(c: Cursor): { size: AccessSize; signed: boolean; col: number } {
  c.punct('(');
  const t = c.ident('a type like u32 or s16');
  const m = /^([us])(8|16|32|64)$/.exec(t.text);
  if (m === null) throw c.error(`expected a type like u8, u16, u32, u64 (or s8, s16, s32), found ${quote(t.text)}`, t.col);
  c.punct('*');
  c.punct(')');
  return { size: sizeFromSuffix(m[2]!)!, signed: m[1] === 's', col: t.col };
}

/** `(rN + off)` or `(rN - off)`; also `rN + off` without parentheses inside atomic calls. */
function address(c: Cursor, parens: boolean): { reg: number; offset: number } {
  if (parens) c.punct('(');
  const reg = c.reg('a base register').index;
  let offset = 0;
  if (c.isNumber()) offset = c.offset('an offset like + 8');
  if (parens) c.punct(')');
  return { reg, offset };
}

function pending(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): Pending {
  return { opcode, dst, src, offset, imm };
}

/**
 * Parse one LLVM-syntax statement. `hintOpcode` is the opcode from an objdump raw-bytes column or
 * a kernel log `(18)` prefix: the text alone cannot tell a kernel log's `r1 = 0x…` lddw from a mov.
 */
export function parseLlvm(c: Cursor, hintOpcode?: number): Pending {
  const t = c.peek()!;
  if (t.kind === 'ident') {
    const w = t.text.toLowerCase();
    c.next();
    if (w === 'goto') return { ...pending(jaOpcode(false)), jump: target(c, 'offset') };
    if (w === 'gotol') return { ...pending(jaOpcode(true)), jump: target(c, 'imm') };
    if (w === 'if') return parseIf(c);
    return parseLock(c);
  }
  if (t.kind === 'punct') return parseStore(c);
  return parseAssign(c, hintOpcode);
}

function parseIf(c: Cursor): Pending {
  const dst = c.reg();
  const signed = c.eatIdent('s');
  const opTok = c.next();
  const cond = opTok?.kind === 'punct' ? (signed ? SIGNED_CONDITIONS : CONDITIONS).get(opTok.text) : undefined;
  if (cond === undefined) {
    throw c.error(
      `expected a comparison (==, !=, >, >=, <, <=, &, s>, s>=, s<, s<=), found ${opTok === undefined ? 'end of line' : quote(opTok.text)}`,
      opTok?.col ?? c.col(),
    );
  }
  let p: Pending;
  if (c.isReg()) {
    const src = c.reg();
    sameWidth(c, dst, src);
    p = pending(jumpOpcode(cond, width(dst), true), dst.index, src.index);
  } else {
    p = pending(jumpOpcode(cond, width(dst), false), dst.index, 0, 0, c.imm32('a register or an immediate'));
  }
  if (!c.eatIdent('goto')) throw c.expected("'goto'");
  p.jump = target(c, 'offset');
  return p;
}

function parseLock(c: Cursor): Pending {
  c.punct('*');
  const ty = typeCast(c);
  if (ty.signed || (ty.size !== 4 && ty.size !== 8)) throw c.error('atomic operations take u32 or u64', ty.col);
  const a = address(c, true);
  const opTok = c.next();
  const op = opTok?.kind === 'punct' ? LOCK_OPS.get(opTok.text) : undefined;
  if (op === undefined) throw c.error('expected +=, |=, &= or ^= after the address', opTok?.col ?? c.col());
  const src = c.reg();
  const e = atomicEncoding(op, ty.size, false);
  return pending(e.opcode, a.reg, src.index, a.offset, e.imm);
}

function parseStore(c: Cursor): Pending {
  c.punct('*');
  const ty = typeCast(c);
  if (ty.signed) throw c.error('stores take an unsigned type (u8, u16, u32, u64)', ty.col);
  const a = address(c, true);
  c.punct('=');
  if (c.isReg()) return pending(stxOpcode(ty.size), a.reg, c.reg().index, a.offset);
  return pending(stOpcode(ty.size), a.reg, 0, a.offset, c.imm32('a register or an immediate'));
}

function parseAssign(c: Cursor, hintOpcode: number | undefined): Pending {
  const dst = c.reg();
  const t = c.peek();
  if (t?.kind === 'ident' && t.text === 's') {
    c.next();
    const opTok = c.next();
    const op = opTok?.kind === 'punct' ? SIGNED_COMPOUND.get(opTok.text) : undefined;
    if (op === undefined) throw c.error("expected s>>=, s/= or s%=", opTok?.col ?? c.col());
    return aluRest(c, dst, op);
  }
  if (t?.kind === 'punct' && COMPOUND.has(t.text)) {
    c.next();
    return aluRest(c, dst, COMPOUND.get(t.text)!);
  }
  c.punct('=');
  return parseRhs(c, dst, hintOpcode);
}

function aluRest(c: Cursor, dst: RegOperand, op: AluName): Pending {
  if (c.isReg()) {
    const src = c.reg();
    sameWidth(c, dst, src);
    const e = aluEncoding(op, width(dst), true);
    return pending(e.opcode, dst.index, src.index, e.offset);
  }
  const e = aluEncoding(op, width(dst), false);
  const p = pending(e.opcode, dst.index, 0, e.offset, c.imm32('a register or an immediate'));
  c.end();
  return p;
}

function parseRhs(c: Cursor, dst: RegOperand, hintOpcode: number | undefined): Pending {
  const t = c.peek();
  if (t === undefined) throw c.expected('a value after =');
  if (t.kind === 'punct' && t.text === '*') {
    c.next();
    return parseLoad(c, dst);
  }
  if (t.kind === 'punct' && t.text === '-' && c.peek(1)?.kind === 'reg') {
    c.next();
    const src = c.reg();
    if (src.index !== dst.index || src.w !== dst.w) throw c.error(`negation must be in place: ${dst.w ? 'w' : 'r'}${dst.index} = -${dst.w ? 'w' : 'r'}${dst.index}`, src.col);
    return pending(negOpcode(width(dst)), dst.index);
  }
  if (t.kind === 'punct' && t.text === '(') {
    // movsx: r1 = (s8)r2
    c.next();
    const ty = c.ident('a type like s8');
    const m = /^s(8|16|32)$/.exec(ty.text);
    if (m === null) throw c.error(`expected s8, s16 or s32, found ${quote(ty.text)}`, ty.col);
    c.punct(')');
    const src = c.reg();
    sameWidth(c, dst, src);
    const bits = Number(m[1]);
    if (bits === 32 && dst.w) throw c.error('w = (s32)w does not exist: use w1 = w2', ty.col);
    return pending(movsxOpcode(width(dst)), dst.index, src.index, bits);
  }
  if (t.kind === 'reg') {
    const src = c.reg();
    sameWidth(c, dst, src);
    const e = aluEncoding('mov', width(dst), true);
    return pending(e.opcode, dst.index, src.index, e.offset);
  }
  if (t.kind === 'ident') {
    const w = t.text.toLowerCase();
    let m: RegExpExecArray | null;
    if ((m = /^(be|le|bswap)(16|32|64)$/.exec(w)) !== null) {
      c.next();
      const src = c.reg();
      if (src.index !== dst.index) throw c.error(`byte swaps are in place: r${dst.index} = ${w} r${dst.index}`, src.col);
      const order = m[1] === 'bswap' ? 'swap' : (m[1] as 'be' | 'le');
      return pending(endOpcode(order), dst.index, 0, 0, Number(m[2]));
    }
    if ((m = /^atomic_fetch_(add|and|or|xor)$/.exec(w)) !== null) {
      c.next();
      c.punct('(');
      const ty = typeCast(c);
      if (ty.signed || (ty.size !== 4 && ty.size !== 8)) throw c.error('atomic operations take u32 or u64', ty.col);
      const a = address(c, true);
      c.punct(',');
      const src = c.reg();
      if (src.index !== dst.index) throw c.error(`the fetched value goes to the source register: write ${dst.w ? 'w' : 'r'}${src.index} = …`, dst.col);
      c.punct(')');
      const e = atomicEncoding(m[1] as AtomicName, ty.size, true);
      return pending(e.opcode, a.reg, src.index, a.offset, e.imm);
    }
    if ((m = /^(xchg|cmpxchg)(_64|32_32)$/.exec(w)) !== null) {
      c.next();
      const size = m[2] === '_64' ? 8 : 4;
      c.punct('(');
      const a = address(c, false);
      c.punct(',');
      let src = c.reg();
      if (m[1] === 'cmpxchg') {
        if (src.index !== 0 || dst.index !== 0) throw c.error('cmpxchg compares and returns r0: r0 = cmpxchg_64(rX + off, r0, rY)', src.col);
        c.punct(',');
        src = c.reg();
      } else if (src.index !== dst.index) {
        throw c.error(`xchg returns the old value in its source register: r${src.index} = xchg_64(…, r${src.index})`, dst.col);
      }
      c.punct(')');
      const e = atomicEncoding(m[1] as AtomicName, size, true);
      return pending(e.opcode, a.reg, src.index, a.offset, e.imm);
    }
    const pseudo = pseudoFromName(w);
    if (pseudo !== undefined) {
      c.next();
      const value = c.imm64();
      c.eatIdent('ll');
      return { ...pending(Opcode.LDDW, dst.index, pseudo), wide: value };
    }
    throw c.error(`unexpected ${quote(t.text)} after '='`, t.col);
  }
  // A number: mov, or lddw when followed by `ll` (or when the kernel log said opcode 0x18).
  const llAt = t.kind === 'punct' ? 2 : 1;
  const isWide = hintOpcode === Opcode.LDDW || c.peek(llAt)?.text === 'll';
  if (isWide) {
    const value = c.imm64();
    c.eatIdent('ll');
    return { ...pending(Opcode.LDDW, dst.index), wide: value };
  }
  const e = aluEncoding('mov', width(dst), false);
  return pending(e.opcode, dst.index, 0, e.offset, c.imm32('a register or an immediate'));
}

function parseLoad(c: Cursor, dst: RegOperand): Pending {
  const ty = typeCast(c);
  const t = c.peek();
  if (t?.kind === 'ident' && t.text === 'skb') {
    c.next();
    c.punct('[');
    let p: Pending;
    if (c.isReg()) {
      const src = c.reg().index;
      const imm = c.isNumber() ? c.imm32() : 0;
      p = pending(packetLoadOpcode('ind', ty.size), 0, src, 0, imm);
    } else {
      p = pending(packetLoadOpcode('abs', ty.size), 0, 0, 0, c.imm32('an offset into the packet'));
    }
    c.punct(']');
    if (dst.index !== 0) throw c.error('packet loads always write r0', dst.col);
    return p;
  }
  if (ty.signed && ty.size === 8) throw c.error('s64 loads do not exist: use u64', ty.col);
  const a = address(c, true);
  return pending(ldxOpcode(ty.size, ty.signed), dst.index, a.reg, a.offset);
}
