/**
 * Whether a slot is the canonical encoding of its operation: every field the operation does not
 * use is zero. Only canonical slots can be printed as mnemonics and reassembled to the same bytes;
 * the disassembler shows the others as `.byte` lines.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { REGISTER_COUNT } from '../isa/opcodes.js';
import type { Operation } from '../isa/operation.js';

/** Why `i` is not the canonical encoding of `op`, or `undefined` when it is. */
export function nonCanonicalReason(op: Operation, i: Insn): string | undefined {
  const fields = fieldReason(op, i);
  if (fields !== undefined) return fields;
  if (i.dst >= REGISTER_COUNT) return `register r${i.dst} does not exist`;
  if (i.src >= REGISTER_COUNT && !(op.kind === 'lddw' || op.kind === 'call')) return `register r${i.src} does not exist`;
  return undefined;
}

function fieldReason(op: Operation, i: Insn): string | undefined {
  const unused = (fields: Partial<Record<'dst' | 'src' | 'offset' | 'imm', true>>): string | undefined => {
    for (const f of ['dst', 'src', 'offset', 'imm'] as const) {
      if (fields[f] && i[f] !== 0) return `reserved field ${f} is ${i[f]}, must be 0`;
    }
    return undefined;
  };
  switch (op.kind) {
    case 'alu':
      // sdiv/smod carry 1 in offset; the decoder already rejected other offsets for div/mod.
      if (op.op !== 'sdiv' && op.op !== 'smod' && i.offset !== 0) return `reserved field offset is ${i.offset}, must be 0`;
      return op.source === 'imm' ? unused({ src: true }) : unused({ imm: true });
    case 'neg':
      return unused({ src: true, offset: true, imm: true });
    case 'movsx':
      return unused({ imm: true });
    case 'end':
      return unused({ src: true, offset: true });
    case 'ja':
      return op.long ? unused({ dst: true, src: true, offset: true }) : unused({ dst: true, src: true, imm: true });
    case 'jcond':
      return op.source === 'imm' ? unused({ src: true }) : unused({ imm: true });
    case 'call':
      return unused({ dst: true, offset: true });
    case 'callx':
      return unused({ src: true, offset: true, imm: true });
    case 'exit':
      return unused({ dst: true, src: true, offset: true, imm: true });
    case 'lddw':
      return unused({ offset: true });
    case 'ldx':
    case 'stx':
      return unused({ imm: true });
    case 'st':
      return unused({ src: true });
    case 'atomic':
      return undefined;
    case 'ldabs':
      return unused({ dst: true, src: true, offset: true });
    case 'ldind':
      return unused({ dst: true, offset: true });
    case 'invalid':
      return op.reason;
  }
}

/** True if the second slot of an `lddw` carries only the upper 32 bits. */
export function isCleanSecondSlot(i: Insn): boolean {
  return i.opcode === 0 && i.dst === 0 && i.src === 0 && i.offset === 0;
}
