/**
 * The disassembler: bytecode to text in rbpf syntax (default) or LLVM syntax, and a structured
 * per-instruction form for tools (the CLI's `disasm` and `trace`). Whatever it prints reassembles
 * with {@link assemble} to the same bytes; slots that cannot be decoded, or that carry data in
 * reserved fields, are shown as `.byte` lines with the reason in a comment, never thrown.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkBytes, checkOptionalBoolean, checkOptionalOneOf, checkOptions, describeValue } from '../validate.js';
import { decodeInsn, slotCount, wideImm, type Insn } from '../isa/instruction.js';
import { INSN_SIZE } from '../isa/opcodes.js';
import { branchTarget, decodeOperation, type Operation } from '../isa/operation.js';
import { isCleanSecondSlot, nonCanonicalReason } from './canonical.js';
import { decDistance, formatLlvm, formatRbpf, hexDistance } from './format.js';

/** Options of {@link disassemble} and {@link disassembleInsns}. */
export interface DisassembleOptions {
  /** `rbpf` (default): `add64 r1, 0x605`; `llvm`: `r1 += 1541` as printed by llvm-objdump. */
  syntax?: 'rbpf' | 'llvm';
  /** Prefix each line with the slot number, like llvm-objdump (`   3:`). */
  showPc?: boolean;
  /** Show the raw bytes of each instruction, like llvm-objdump. */
  showBytes?: boolean;
  /** Write jump and local-call targets as labels (`L7`, or the name from `names`) and print label lines. */
  labels?: boolean;
  /** Names for slots (e.g. function names from an ELF object), used as labels when `labels` is set. */
  names?: ReadonlyMap<number, string>;
}

/** One disassembled instruction. */
export interface DisassembledInsn {
  /** Slot index of the instruction. */
  readonly pc: number;
  /** Number of slots it occupies (2 for `lddw`). */
  readonly slots: 1 | 2;
  /** The instruction's text (without pc, bytes or label lines). */
  readonly text: string;
  /** Its bytes (8 or 16). */
  readonly bytes: Uint8Array;
  /** Absolute slot index of a jump or local-call target. */
  readonly target?: number;
  /** What the instruction does; `invalid` for slots shown as `.byte`. */
  readonly op: Operation;
  /** The decoded first slot. */
  readonly insn: Insn;
}

function byteLine(bytes: Uint8Array, at: number, end: number, reason: string): string {
  const parts: string[] = [];
  for (let i = at; i < end; i++) parts.push(`0x${HEX[bytes[i]!]!}`);
  return `.byte ${parts.join(', ')} ; ${reason}`;
}

/** Two hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function labelName(pc: number, names: ReadonlyMap<number, string> | undefined): string {
  return names?.get(pc) ?? `L${pc}`;
}

function checkDisassembleOptions(options: DisassembleOptions | undefined): DisassembleOptions {
  const o = checkOptions(options, 'options');
  checkOptionalOneOf(o.syntax, 'options.syntax', ['rbpf', 'llvm']);
  checkOptionalBoolean(o.showPc, 'options.showPc');
  checkOptionalBoolean(o.showBytes, 'options.showBytes');
  checkOptionalBoolean(o.labels, 'options.labels');
  if (o.names !== undefined && !(o.names instanceof Map)) {
    throw new ArgumentError(`options.names must be a Map from slot numbers to names, not ${describeValue(o.names)}`);
  }
  return o;
}

/** One instruction as decoded, before it is printed. */
interface Decoded {
  readonly pc: number;
  readonly slots: 1 | 2;
  readonly insn: Insn;
  readonly op: Operation;
  readonly wide: bigint | undefined;
  readonly problem: string | undefined;
}

function checkProgram(bytes: Uint8Array): number {
  checkBytes(bytes, 'the program');
  if (bytes.length % INSN_SIZE !== 0) {
    throw new ArgumentError(`program length ${bytes.length} is not a multiple of ${INSN_SIZE} bytes`);
  }
  return slotCount(bytes);
}

/** Decode the instruction at slot `pc` of a program of `n` slots. */
function decodeAt(bytes: Uint8Array, pc: number, n: number): Decoded {
  const insn = decodeInsn(bytes, pc);
  const op = decodeOperation(insn);
  let slots: 1 | 2 = 1;
  let wide: bigint | undefined;
  let problem = nonCanonicalReason(op, insn);
  if (problem === undefined && op.kind === 'lddw') {
    if (pc + 1 >= n) problem = 'lddw without its second slot';
    else {
      const second = decodeInsn(bytes, pc + 1);
      slots = 2;
      if (!isCleanSecondSlot(second)) problem = 'second slot of lddw must hold only the upper 32 bits';
      else wide = wideImm(insn, second);
    }
  }
  return { pc, slots, insn, op, wide, problem };
}

/**
 * A first pass for labels: which slots start an instruction (only those can be labels; other targets
 * stay numeric so the text reassembles) and which of them a jump or local call targets. Nothing is
 * kept per instruction, so a large program does not fill the heap with records.
 */
function labelPass(bytes: Uint8Array, n: number): { starts: Uint8Array; targeted: Uint8Array } {
  const starts = new Uint8Array(n);
  const targets: number[] = [];
  for (let pc = 0; pc < n; ) {
    const d = decodeAt(bytes, pc, n);
    starts[pc] = 1;
    if (d.problem === undefined && d.op.kind !== 'invalid') {
      const target = branchTarget(d.op, d.insn, pc);
      if (target !== undefined) targets.push(target);
    }
    pc += d.slots;
  }
  const targeted = new Uint8Array(n);
  for (const t of targets) if (t >= 0 && t < n && starts[t] === 1) targeted[t] = 1;
  return { starts, targeted };
}

/** The text of one instruction, and the absolute target of a jump or local call. */
interface Rendered {
  readonly text: string;
  readonly target: number | undefined;
  /** Set for slots shown as `.byte`. */
  readonly reason: string | undefined;
}

function render(d: Decoded, bytes: Uint8Array, starts: Uint8Array | undefined, options: DisassembleOptions): Rendered {
  const { pc, slots, insn, op, wide, problem } = d;
  if (problem !== undefined || op.kind === 'invalid') {
    const reason = problem ?? 'invalid';
    return { text: byteLine(bytes, pc * INSN_SIZE, (pc + slots) * INSN_SIZE, reason), target: undefined, reason };
  }
  const llvm = options.syntax === 'llvm';
  const target = branchTarget(op, insn, pc);
  let targetText: string | undefined;
  const useLabel = starts !== undefined && target !== undefined && starts[target] === 1;
  if (target !== undefined) {
    const distance = target - pc - 1;
    targetText = useLabel ? labelName(target, options.names) : llvm ? decDistance(distance) : hexDistance(distance);
  }
  const input = { op, insn, wide, target: targetText, targetIsLabel: useLabel };
  return { text: llvm ? formatLlvm(input) : formatRbpf(input), target, reason: undefined };
}

/**
 * Decode a program into one record per instruction (an `lddw` is one record of two slots).
 * @throws ArgumentError if the length is not a multiple of 8.
 */
export function disassembleInsns(bytes: Uint8Array, options: DisassembleOptions = {}): DisassembledInsn[] {
  const opts = checkDisassembleOptions(options);
  const n = checkProgram(bytes);
  const starts = opts.labels === true ? labelPass(bytes, n).starts : undefined;
  const out: DisassembledInsn[] = [];
  for (let pc = 0; pc < n; ) {
    const d = decodeAt(bytes, pc, n);
    const { slots, insn, op } = d;
    const { text, target, reason } = render(d, bytes, starts, opts);
    const raw = bytes.slice(pc * INSN_SIZE, (pc + slots) * INSN_SIZE);
    if (reason !== undefined) out.push({ pc, slots, text, bytes: raw, op: { kind: 'invalid', reason }, insn });
    else out.push(target === undefined ? { pc, slots, text, bytes: raw, op, insn } : { pc, slots, text, bytes: raw, target, op, insn });
    pc += slots;
  }
  return out;
}

/**
 * Disassemble a program to text, one instruction per line (rbpf syntax unless `syntax: 'llvm'`).
 * The result reassembles with `assemble` to the same bytes, with or without pc, bytes and labels.
 * @throws ArgumentError if the length is not a multiple of 8.
 */
export function disassemble(bytes: Uint8Array, options: DisassembleOptions = {}): string {
  return disassembleListing(bytes, options);
}

/**
 * {@link disassemble}, with `above(pc)` asked for a line to put above each instruction (after its label):
 * the CLI's C source lines. Text is built in one pass, without the per-instruction records of
 * {@link disassembleInsns} (a copy of each instruction's bytes was most of the time on large programs).
 */
export function disassembleListing(bytes: Uint8Array, options: DisassembleOptions, above?: (pc: number) => string | undefined): string {
  const opts = checkDisassembleOptions(options);
  const n = checkProgram(bytes);
  let starts: Uint8Array | undefined;
  let labelled: Uint8Array | undefined;
  if (opts.labels === true) {
    // Labels go on the targets that start an instruction, and on named slots.
    ({ starts, targeted: labelled } = labelPass(bytes, n));
    if (opts.names !== undefined) for (const pc of opts.names.keys()) if (starts[pc] === 1) labelled[pc] = 1;
  }
  const width = Math.max(String(n).length, 4);
  // Lines are joined into a flat chunk every CHUNK_LINES lines, so that they die young: appending to one
  // string (a rope of millions of pieces), or keeping every line until the end, made the garbage
  // collector most of the time of a large disassembly.
  const chunks: string[] = [];
  let lines: string[] = [];
  for (let pc = 0; pc < n; ) {
    const d = decodeAt(bytes, pc, n);
    const end = (pc + d.slots) * INSN_SIZE;
    if (labelled?.[pc] === 1) lines.push(`${labelName(pc, opts.names)}:`);
    const extra = above?.(pc);
    if (extra !== undefined) lines.push(extra);
    let prefix = '';
    if (opts.showPc === true) prefix += `${String(pc).padStart(width)}:\t`;
    if (opts.showBytes === true) prefix += `${hexBytes(bytes, pc * INSN_SIZE, end).padEnd(47)}\t`;
    lines.push(prefix + render(d, bytes, starts, opts).text);
    pc += d.slots;
    if (lines.length >= CHUNK_LINES) {
      chunks.push(`${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(`${lines.join('\n')}\n`);
  return chunks.join('');
}

const CHUNK_LINES = 1024;

function hexBytes(bytes: Uint8Array, at: number, end: number): string {
  const parts: string[] = [];
  for (let i = at; i < end; i++) parts.push(HEX[bytes[i]!]!);
  return parts.join(' ');
}
