/**
 * Tokenizer for one line of eBPF assembly, shared by every dialect the assembler accepts
 * (rbpf, bpf_conformance/uBPF and LLVM/kernel). Columns are kept so errors can point at the text.
 * @module
 */
import { AssemblyError } from '../errors.js';

/** A lexical token with its 1-based column in the source line. */
export type Token =
  | { readonly kind: 'ident'; readonly text: string; readonly col: number }
  | { readonly kind: 'num'; readonly text: string; readonly col: number; readonly value: bigint }
  | { readonly kind: 'reg'; readonly text: string; readonly col: number; readonly index: number; readonly w: boolean }
  | { readonly kind: 'punct'; readonly text: string; readonly col: number };

// Longest first, so `<<=` wins over `<<` and `<`.
const PUNCTS = [
  '<<=', '>>=',
  '==', '!=', '>=', '<=', '+=', '-=', '*=', '/=', '|=', '&=', '%=', '^=', '<<', '>>',
  '=', '<', '>', '+', '-', '*', '/', ',', '[', ']', '(', ')', ':', '&', '|', '^', '%',
];

/** The punctuation that can start with each character, longest first. */
const PUNCTS_BY_FIRST = new Map<string, readonly string[]>();
for (const p of PUNCTS) PUNCTS_BY_FIRST.set(p[0]!, [...(PUNCTS_BY_FIRST.get(p[0]!) ?? []), p]);

const IDENT_START = /[A-Za-z_.$]/;
/** A number literal, matched in place (sticky) rather than on a copy of the rest of the line. */
const NUMBER = /0[xX][0-9a-fA-F]+|0[bB][01]+|\d+/y;
/** More significant digits than any 64-bit value has (64 binary digits): the literal is rejected unread. */
const MAX_DIGITS = 64;
/** Source text longer than this is shortened in messages, which stay readable whatever the input. */
const MAX_QUOTE = 40;

/** `text` in quotes for an error message, shortened (with its length) when it is long. */
export function quote(text: string): string {
  if (text.length <= MAX_QUOTE) return `'${text}'`;
  return `'${text.slice(0, MAX_QUOTE)}…' (${text.length} characters)`;
}

/** Count of digits after the radix prefix and leading zeros. */
function significantDigits(literal: string): number {
  let i = /^0[xXbB]/.test(literal) ? 2 : 0;
  while (i < literal.length - 1 && literal[i] === '0') i++;
  return literal.length - i;
}
const IDENT_CHAR = /[\w.$]/;
const REGISTER = /^([rw])(\d+)$/;

/**
 * Split `text` (a line with comments already removed) into tokens. `line` is used for errors only;
 * `colBase` is the 1-based column of `text[0]` in the original line.
 */
export function tokenize(text: string, line: number, colBase = 1): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const col = colBase + i;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c >= '0' && c <= '9') {
      NUMBER.lastIndex = i;
      const literal = NUMBER.exec(text)![0];
      let j = i + literal.length;
      if (j < text.length && IDENT_CHAR.test(text[j]!)) {
        while (j < text.length && IDENT_CHAR.test(text[j]!)) j++;
        throw new AssemblyError(`malformed number ${quote(text.slice(i, j))}`, line, col);
      }
      if (significantDigits(literal) > MAX_DIGITS) {
        throw new AssemblyError(`number ${quote(literal)} is too large for 64 bits`, line, col);
      }
      out.push({ kind: 'num', text: literal, col, value: BigInt(literal) });
      i = j;
      continue;
    }
    const percentReg = c === '%' && i + 1 < text.length && IDENT_START.test(text[i + 1]!) && text[i + 1] !== '=';
    if (IDENT_START.test(c) || percentReg) {
      let j = percentReg ? i + 1 : i;
      while (j < text.length && IDENT_CHAR.test(text[j]!)) j++;
      const word = text.slice(i, j);
      const bare = percentReg ? word.slice(1) : word;
      const reg = REGISTER.exec(bare);
      if (reg !== null) {
        out.push({ kind: 'reg', text: word, col, index: Number(reg[2]), w: reg[1] === 'w' });
      } else if (percentReg) {
        throw new AssemblyError(`unknown register ${quote(word)} (expected %r0 to %r10)`, line, col);
      } else {
        out.push({ kind: 'ident', text: word, col });
      }
      i = j;
      continue;
    }
    const p = PUNCTS_BY_FIRST.get(c)?.find((s) => text.startsWith(s, i));
    if (p === undefined) throw new AssemblyError(`unexpected character '${c}'`, line, col);
    out.push({ kind: 'punct', text: p, col });
    i += p.length;
  }
  return out;
}
