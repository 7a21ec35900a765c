/**
 * The assembler: text in any of the three dialects (rbpf, bpf_conformance/uBPF, LLVM/kernel), even
 * mixed line by line, to bytecode. Output of `llvm-objdump -d` and of the kernel verifier log can be
 * pasted as is: addresses, raw-byte columns, `<label>` annotations, section and function headers and
 * relocation lines are understood or skipped.
 * @module
 */
import { AssemblyError } from '../errors.js';
import { encodeInsnInto, splitWideImm } from '../isa/instruction.js';
import { CallKind, INSN_SIZE, Opcode } from '../isa/opcodes.js';
import { Cursor } from './cursor.js';
import type { Pending } from './encoding.js';
import { quote, tokenize } from './lexer.js';
import { looksLikeLlvm, parseLlvm } from './parse-llvm.js';
import { parseMnemonic } from './parse-mnemonic.js';
import { checkString } from '../validate.js';

/** One assembled statement with where it came from. */
interface Placed {
  readonly pending: Pending;
  readonly pc: number;
  /** Bytes copied verbatim (objdump's `<unknown>` lines), instead of `pending`. */
  readonly raw?: Uint8Array;
}

/** What the leftovers of a disassembler listing said about a line. */
interface LineHints {
  /** Bytes from an objdump raw-bytes column. */
  raw?: Uint8Array;
  /** Opcode from the raw bytes or a kernel log `(xx)` prefix. */
  opcode?: number;
}

const SKIP_LINE = [
  /^\S+:\s+file format\b/, // llvm-objdump header
  /^Disassembly of section\b/,
  /^[0-9a-f]+:\s+R_[A-Z0-9_]+\s/i, // relocation lines of `llvm-objdump -r`
];

/** Assembler directives (`.text`, `.globl f`) are skipped; `.Lfoo:` is a label, not a directive. */
const DIRECTIVE = /^\.[A-Za-z_][\w.]*(\s|$)(?!.*:\s*$)/;

/** Remove a trailing comment (`#`, `;` or `//`); `#` only when it starts a word, so `call f#5` stays. */
function stripComment(line: string): string {
  let cut = line.length;
  const semi = line.indexOf(';');
  if (semi >= 0) cut = semi;
  const slashes = line.indexOf('//');
  if (slashes >= 0 && slashes < cut) cut = slashes;
  for (let i = 0; i < cut; i++) {
    if (line[i] === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) {
      cut = i;
      break;
    }
  }
  return line.slice(0, cut);
}

/**
 * Strip listing leftovers from the front of `text`. Returns the remaining text, the number of
 * characters removed from the front (to keep error columns right) and the hints found.
 */
function stripLeftovers(text: string): { rest: string; skipped: number; hints: LineHints } {
  const hints: LineHints = {};
  let skipped = 0;
  const drop = (n: number): void => {
    text = text.slice(n);
    skipped += n;
  };
  const lead = /^\s*/.exec(text)![0].length;
  drop(lead);
  let m = /^[0-9][0-9a-f]*:(\s+|$)/i.exec(text); // objdump / kernel log instruction address
  if (m !== null) drop(m[0].length);
  m = /^((?:[0-9a-f]{2} ){7}[0-9a-f]{2})((?: [0-9a-f]{2}){8})?(\s+|$)/i.exec(text);
  if (m !== null) {
    const hex = (m[1]! + (m[2] ?? '')).trim().split(/\s+/);
    hints.raw = Uint8Array.from(hex.map((h) => parseInt(h, 16)));
    hints.opcode = hints.raw[0];
    drop(m[0].length);
  }
  m = /^\(([0-9a-f]{2})\)\s*/i.exec(text); // kernel verifier log opcode, e.g. `(b7)`
  if (m !== null) {
    hints.opcode = parseInt(m[1]!, 16);
    drop(m[0].length);
  }
  // `<label>` annotations after jump targets, and kernel `call name#id` helper names.
  let rest = stripTrailingAnnotation(text);
  rest = rest.replace(/\bcall\s+[A-Za-z_][\w.]*#(\d+)/, (_s, id: string) => `call ${id}`.padEnd(_s.length));
  return { rest, skipped, hints };
}

const BLANK = /\s/;

/**
 * `text` without a trailing `<label>` annotation and the blanks before it (kept when the text starts
 * with `<`). A scan from the end, not a regex: an unanchored `\s*<…>$` retries at every blank of a run,
 * which made long lines quadratic.
 */
function stripTrailingAnnotation(text: string): string {
  const trimmed = text.trimEnd();
  const close = trimmed.length - 1;
  if (close < 0 || trimmed[close] !== '>') return text;
  const open = trimmed.lastIndexOf('<', close - 1);
  if (open < 0 || trimmed.indexOf('>', open + 1) !== close) return text;
  if (trimmed.trimStart().startsWith('<')) return text;
  let cut = open;
  while (cut > 0 && BLANK.test(trimmed[cut - 1]!)) cut--;
  return text.slice(0, cut);
}

/** Where a label is defined. */
interface LabelDef {
  readonly pc: number;
  readonly line: number;
}

/**
 * Assemble eBPF assembly text into bytecode (8 bytes per slot, `lddw` takes two).
 *
 * Accepted, mixed freely: rbpf syntax (`add64 r1, 0x605`, `ldxw r0, [r1+2]`, `jeq r1, 4, +8`),
 * bpf_conformance/uBPF syntax (`%r0`, `mov %r0, 1` = 64-bit, `lock fetch add [%r1+0], %r2`,
 * `call local f`, `call %r2`), and LLVM/kernel syntax (`r0 = 1`, `if w1 s> -5 goto +3`,
 * `r0 = 0x1122334455667788 ll`, `lock *(u64 *)(r1 + 0) += r2`). Labels (`name:`) work with every
 * jump and local call. Comments start with `#`, `;` or `//`.
 *
 * Extensions printed by the disassembler so that every instruction reassembles: `call local +N`,
 * `call kfunc N`, `lddw r1, map_fd 5` (also `map_value`, `btf_id`, `func`, `map_idx`,
 * `map_idx_value`, `pseudoN`), `callx rN`.
 *
 * @throws AssemblyError with 1-based line and column, and what was expected there.
 */
export function assemble(text: string): Uint8Array {
  checkString(text, 'text');
  const placed: Placed[] = [];
  const labels = new Map<string, LabelDef>();
  const exits: number[] = [];
  let pc = 0;
  const lines = text.split('\n');
  for (let li = 0; li < lines.length; li++) {
    const lineNo = li + 1;
    const body = stripComment(lines[li]!);
    const trimmed = body.trim();
    if (trimmed === '') continue;
    if (SKIP_LINE.some((re) => re.test(trimmed))) continue;
    // Function or block headers: `0000000000000000 <func>:` or `<func>:`.
    const header = /^(?:[0-9a-f]+\s+)?<([^<>]+)>:$/i.exec(trimmed);
    if (header !== null) {
      defineLabel(labels, header[1]!, pc, lineNo, body.indexOf('<') + 2);
      continue;
    }
    const { rest, skipped, hints } = stripLeftovers(body);
    const restTrimmed = rest.trim();
    if (/^\.byte\b/i.test(restTrimmed)) {
      const raw = parseByteDirective(restTrimmed, lineNo, skipped + 1);
      placed.push({ pending: { opcode: raw[0]!, dst: 0, src: 0, offset: 0, imm: 0 }, pc, raw });
      pc += raw.length / INSN_SIZE;
      continue;
    }
    if (DIRECTIVE.test(restTrimmed)) continue;
    if (restTrimmed === '<unknown>' && hints.raw !== undefined) {
      // llvm-objdump could not decode it (LLVM 14 does not know 32-bit atomics without +alu32): keep the bytes.
      placed.push({ pending: { opcode: hints.raw[0]!, dst: 0, src: 0, offset: 0, imm: 0 }, pc, raw: hints.raw });
      pc += hints.raw.length / INSN_SIZE;
      continue;
    }
    const tokens = tokenize(rest, lineNo, skipped + 1);
    let start = 0;
    while (tokens[start]?.kind === 'ident' && tokens[start + 1]?.kind === 'punct' && tokens[start + 1]!.text === ':') {
      defineLabel(labels, tokens[start]!.text, pc, lineNo, tokens[start]!.col);
      start += 2;
    }
    const stmt = tokens.slice(start);
    if (stmt.length === 0) {
      if (hints.raw !== undefined) throw new AssemblyError('raw bytes without an instruction', lineNo, skipped + 1);
      continue;
    }
    const c = new Cursor(stmt, lineNo, lines[li]!.length + 1);
    const pending = parseStatement(c, hints);
    c.end();
    if (hints.raw !== undefined && pending.opcode === Opcode.CALL && pending.src === CallKind.HELPER) {
      // LLVM 14 prints local calls as `call N` too; the raw bytes say which it is.
      pending.src = hints.raw[1]! >> 4;
    }
    if (pending.opcode === Opcode.EXIT) exits.push(pc);
    placed.push({ pending, pc });
    pc += pending.wide !== undefined ? 2 : 1;
  }
  return emit(placed, labels, exits, pc);
}

/** `.byte 0x18, 0x01, …`: verbatim slots (how the disassembler shows undecodable instructions). */
function parseByteDirective(text: string, line: number, col: number): Uint8Array {
  const items = text.replace(/^\.byte\s*/i, '').split(',').map((s) => s.trim());
  const bytes: number[] = [];
  for (const item of items) {
    if (!/^(0x[0-9a-f]{1,2}|\d{1,3})$/i.test(item) || Number(item) > 255) {
      throw new AssemblyError(`'.byte' takes bytes like 0x1f separated by commas, found ${quote(item)}`, line, col);
    }
    bytes.push(Number(item));
  }
  if (bytes.length === 0 || bytes.length % INSN_SIZE !== 0) {
    throw new AssemblyError(`'.byte' must give whole 8-byte instruction slots, found ${bytes.length} bytes`, line, col);
  }
  return Uint8Array.from(bytes);
}

function parseStatement(c: Cursor, hints: LineHints): Pending {
  if (looksLikeLlvm(c)) return parseLlvm(c, hints.opcode);
  const m = c.ident('an instruction or a label');
  return parseMnemonic(c, m.text, m.col);
}

function defineLabel(labels: Map<string, LabelDef>, name: string, pc: number, line: number, col: number): void {
  const prev = labels.get(name);
  if (prev !== undefined) {
    throw new AssemblyError(`label ${quote(name)} is already defined on line ${prev.line}`, line, col);
  }
  labels.set(name, { pc, line });
}

function resolve(p: Placed, labels: Map<string, LabelDef>, exits: readonly number[]): number {
  const j = p.pending.jump!;
  if (j.relative !== undefined) return j.relative;
  const def = labels.get(j.label!);
  let targetPc: number | undefined = def?.pc;
  if (targetPc === undefined && j.label === 'exit') {
    // bpf_conformance's assembler lets `exit` name the program's first exit instruction.
    targetPc = exits[0];
  }
  if (targetPc === undefined) throw new AssemblyError(`unknown label ${quote(j.label!)}`, j.line, j.col);
  const distance = targetPc - (p.pc + 1);
  if (j.field === 'offset' && (distance < -32768 || distance > 32767)) {
    throw new AssemblyError(
      `label ${quote(j.label!)} is ${distance} slots away, too far for a 16-bit jump offset (use gotol)`,
      j.line,
      j.col,
    );
  }
  return distance;
}

function emit(placed: readonly Placed[], labels: Map<string, LabelDef>, exits: readonly number[], slots: number): Uint8Array {
  const out = new Uint8Array(slots * INSN_SIZE);
  for (const p of placed) {
    const { opcode, dst, src, wide } = p.pending;
    let { offset, imm } = p.pending;
    if (p.pending.jump !== undefined) {
      const d = resolve(p, labels, exits);
      if (p.pending.jump.field === 'offset') offset = d;
      else imm = d;
    }
    if (p.raw !== undefined) {
      out.set(p.raw, p.pc * INSN_SIZE);
    } else if (wide !== undefined) {
      const { lo, hi } = splitWideImm(wide);
      encodeInsnInto(out, p.pc, { opcode, dst, src, offset, imm: lo });
      encodeInsnInto(out, p.pc + 1, { opcode: 0, dst: 0, src: 0, offset: 0, imm: hi });
    } else {
      encodeInsnInto(out, p.pc, { opcode, dst, src, offset, imm });
    }
  }
  return out;
}
