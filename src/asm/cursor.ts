/**
 * A cursor over one line's tokens with the checks every dialect parser needs: registers in range,
 * immediates and offsets that fit their fields, and errors that say what was expected and where.
 * @module
 */
import { AssemblyError } from '../errors.js';
import { REGISTER_COUNT } from '../isa/opcodes.js';
import type { Token } from './lexer.js';
import { quote } from './lexer.js';

const IMM_MIN = -(2n ** 31n);
const IMM_MAX = 2n ** 32n - 1n;
const OFF_MIN = -32768n;
const OFF_MAX = 32767n;
const WIDE_MIN = -(2n ** 63n);
const WIDE_MAX = 2n ** 64n - 1n;

/** A register operand as written (`r1`, `%r1` or `w1`). */
export interface RegOperand {
  readonly index: number;
  /** True when written as `wN` (the 32-bit view in LLVM syntax). */
  readonly w: boolean;
  readonly col: number;
}

/** A signed number as written, with the column of its sign or first digit. */
export interface NumOperand {
  readonly value: bigint;
  readonly col: number;
}

function describe(t: Token | undefined): string {
  return t === undefined ? 'end of line' : quote(t.text);
}

/** Sequential reader over the tokens of one statement. */
export class Cursor {
  private pos = 0;

  constructor(
    private readonly tokens: readonly Token[],
    /** 1-based source line, for errors. */
    readonly line: number,
    /** Column just past the end of the line, for "unexpected end of line" errors. */
    private readonly endCol: number,
  ) {}

  /** The token `ahead` positions from the current one, without consuming it. */
  peek(ahead = 0): Token | undefined {
    return this.tokens[this.pos + ahead];
  }

  /** Consume and return the current token (undefined at end of line). */
  next(): Token | undefined {
    const t = this.tokens[this.pos];
    if (t !== undefined) this.pos++;
    return t;
  }

  /** True when every token has been consumed. */
  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  /** Column of the current token, or the end of the line. */
  col(): number {
    return this.tokens[this.pos]?.col ?? this.endCol;
  }

  /** An {@link AssemblyError} at the current token (or at `col`). */
  error(message: string, col = this.col()): AssemblyError {
    return new AssemblyError(message, this.line, col);
  }

  /** An error saying what was expected and what was found instead. */
  expected(what: string): AssemblyError {
    return this.error(`expected ${what}, found ${describe(this.peek())}`);
  }

  /** True (and consumed) if the current token is the punctuation `p`. */
  eatPunct(p: string): boolean {
    const t = this.peek();
    if (t?.kind === 'punct' && t.text === p) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** True (and consumed) if the current token is the identifier `word` (case-insensitive). */
  eatIdent(word: string): boolean {
    const t = this.peek();
    if (t?.kind === 'ident' && t.text.toLowerCase() === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Consume the punctuation `p` or fail. */
  punct(p: string): void {
    if (!this.eatPunct(p)) throw this.expected(`'${p}'`);
  }

  /** Consume an identifier (lower-cased) or fail. */
  ident(what = 'a mnemonic'): { text: string; col: number } {
    const t = this.peek();
    if (t?.kind !== 'ident') throw this.expected(what);
    this.pos++;
    return { text: t.text.toLowerCase(), col: t.col };
  }

  /** True if the current token is a register. */
  isReg(): boolean {
    return this.peek()?.kind === 'reg';
  }

  /** Consume a register r0-r10 or fail. */
  reg(what = 'a register'): RegOperand {
    const t = this.peek();
    if (t?.kind !== 'reg') throw this.expected(what);
    if (t.index >= REGISTER_COUNT) throw this.error(`register ${quote(t.text)} does not exist (r0 to r10)`);
    this.pos++;
    return { index: t.index, w: t.w, col: t.col };
  }

  /** True if the current token starts a number (a digit, or a sign followed by a digit). */
  isNumber(): boolean {
    const t = this.peek();
    if (t?.kind === 'num') return true;
    return t?.kind === 'punct' && (t.text === '-' || t.text === '+') && this.peek(1)?.kind === 'num';
  }

  /** Consume an optionally signed number or fail. */
  number(what = 'a number'): NumOperand {
    const col = this.col();
    let neg = false;
    if (this.eatPunct('-')) neg = true;
    else this.eatPunct('+');
    const t = this.peek();
    if (t?.kind !== 'num') throw this.expected(what);
    this.pos++;
    return { value: neg ? -t.value : t.value, col };
  }

  /** Consume a 32-bit immediate: -2^31..2^32-1, returned as the signed field value. */
  imm32(what = 'an immediate'): number {
    const n = this.number(what);
    return checkImm32(n, this.line);
  }

  /** Consume a 16-bit signed offset. */
  offset(what = 'an offset'): number {
    const n = this.number(what);
    return checkOffset(n, this.line);
  }

  /** Consume a 64-bit immediate (for `lddw`): -2^63..2^64-1. */
  imm64(what = 'a 64-bit immediate'): bigint {
    const n = this.number(what);
    if (n.value < WIDE_MIN || n.value > WIDE_MAX) {
      throw new AssemblyError(`immediate ${n.value} does not fit in 64 bits`, this.line, n.col);
    }
    return BigInt.asUintN(64, n.value);
  }

  /** Fail unless every token was consumed. */
  end(): void {
    if (!this.atEnd()) throw this.error(`unexpected ${describe(this.peek())} after the instruction`);
  }
}

/** Check a number against the `imm` field range and return the signed 32-bit field value. */
export function checkImm32(n: NumOperand, line: number): number {
  if (n.value < IMM_MIN || n.value > IMM_MAX) {
    throw new AssemblyError(
      `immediate ${n.value} does not fit in 32 bits (allowed: -2147483648 to 4294967295)`,
      line,
      n.col,
    );
  }
  return Number(BigInt.asIntN(32, n.value));
}

/** Check a number against the signed 16-bit `offset` field range. */
export function checkOffset(n: NumOperand, line: number): number {
  if (n.value < OFF_MIN || n.value > OFF_MAX) {
    throw new AssemblyError(`offset ${n.value} does not fit in 16 bits (allowed: -32768 to 32767)`, line, n.col);
  }
  return Number(n.value);
}
