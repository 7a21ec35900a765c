/**
 * The disassembler: bytecode to text in rbpf syntax (default) or LLVM syntax, and a structured
 * per-instruction form for tools (the CLI's `disasm` and `trace`). Whatever it prints reassembles
 * with {@link assemble} to the same bytes; slots that cannot be decoded, or that carry data in
 * reserved fields, are shown as `.byte` lines with the reason in a comment, never thrown.
 * @module
 */
import { ArgumentError } from '../errors.js';
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

function byteLine(bytes: Uint8Array, reason: string): string {
  return `.byte ${Array.from(bytes, (b) => '0x' + b.toString(16).padStart(2, '0')).join(', ')} ; ${reason}`;
}

function labelName(pc: number, names: ReadonlyMap<number, string> | undefined): string {
  return names?.get(pc) ?? `L${pc}`;
}

/**
 * Decode a program into one record per instruction (an `lddw` is one record of two slots).
 * @throws ArgumentError if the length is not a multiple of 8.
 */
export function disassembleInsns(bytes: Uint8Array, options: DisassembleOptions = {}): DisassembledInsn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new ArgumentError(`program length ${bytes.length} is not a multiple of ${INSN_SIZE} bytes`);
  }
  const llvm = options.syntax === 'llvm';
  const n = slotCount(bytes);
  interface Decoded {
    pc: number;
    slots: 1 | 2;
    insn: Insn;
    op: Operation;
    wide?: bigint;
    problem?: string;
  }
  const decoded: Decoded[] = [];
  for (let pc = 0; pc < n; ) {
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
    decoded.push({ pc, slots, insn, op, wide, problem });
    pc += slots;
  }
  // Only targets that start an instruction can be labels; others stay numeric so the text reassembles.
  const starts = new Set(decoded.map((d) => d.pc));
  return decoded.map(({ pc, slots, insn, op, wide, problem }): DisassembledInsn => {
    const raw = bytes.slice(pc * INSN_SIZE, (pc + slots) * INSN_SIZE);
    if (problem !== undefined || op.kind === 'invalid') {
      const reason = problem ?? 'invalid';
      return { pc, slots, text: byteLine(raw, reason), bytes: raw, op: { kind: 'invalid', reason }, insn };
    }
    const target = branchTarget(op, insn, pc);
    let targetText: string | undefined;
    const useLabel = options.labels === true && target !== undefined && starts.has(target);
    if (target !== undefined) {
      const distance = target - pc - 1;
      targetText = useLabel ? labelName(target, options.names) : llvm ? decDistance(distance) : hexDistance(distance);
    }
    const input = { op, insn, wide, target: targetText, targetIsLabel: useLabel };
    const text = llvm ? formatLlvm(input) : formatRbpf(input);
    return target === undefined ? { pc, slots, text, bytes: raw, op, insn } : { pc, slots, text, bytes: raw, target, op, insn };
  });
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Disassemble a program to text, one instruction per line (rbpf syntax unless `syntax: 'llvm'`).
 * The result reassembles with `assemble` to the same bytes, with or without pc, bytes and labels.
 * @throws ArgumentError if the length is not a multiple of 8.
 */
export function disassemble(bytes: Uint8Array, options: DisassembleOptions = {}): string {
  const insns = disassembleInsns(bytes, options);
  const labelled = new Set<number>();
  if (options.labels === true) {
    const starts = new Set(insns.map((i) => i.pc));
    for (const i of insns) if (i.target !== undefined && starts.has(i.target)) labelled.add(i.target);
    if (options.names !== undefined) for (const pc of options.names.keys()) if (starts.has(pc)) labelled.add(pc);
  }
  const lines: string[] = [];
  const width = String(slotCount(bytes)).length;
  for (const i of insns) {
    if (labelled.has(i.pc)) lines.push(`${labelName(i.pc, options.names)}:`);
    let prefix = '';
    if (options.showPc === true) prefix += `${String(i.pc).padStart(Math.max(width, 4))}:\t`;
    if (options.showBytes === true) prefix += `${hexBytes(i.bytes).padEnd(47)}\t`;
    lines.push(prefix + i.text);
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
