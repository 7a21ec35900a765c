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

const IDENT_START = /[A-Za-z_.$]/;
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
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)/.exec(text.slice(i))!;
      let j = i + m[0].length;
      if (j < text.length && IDENT_CHAR.test(text[j]!)) {
        while (j < text.length && IDENT_CHAR.test(text[j]!)) j++;
        throw new AssemblyError(`malformed number '${text.slice(i, j)}'`, line, col);
      }
      out.push({ kind: 'num', text: m[0], col, value: BigInt(m[0]) });
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
        throw new AssemblyError(`unknown register '${word}' (expected %r0 to %r10)`, line, col);
      } else {
        out.push({ kind: 'ident', text: word, col });
      }
      i = j;
      continue;
    }
    const p = PUNCTS.find((s) => text.startsWith(s, i));
    if (p === undefined) throw new AssemblyError(`unexpected character '${c}'`, line, col);
    out.push({ kind: 'punct', text: p, col });
    i += p.length;
  }
  return out;
}
