/**
 * Which fields of an instruction slot each operation uses. The rest are reserved and must be zero:
 * a non-zero reserved field usually means the bytes were produced for another instruction set revision
 * or are corrupt, and future revisions may give those bits a meaning.
 * @module
 */
import type { Insn } from '../isa/instruction.js';
import { decodeOperation, type Operation } from '../isa/operation.js';
import { FRAME_POINTER } from '../isa/opcodes.js';

/** A field of an instruction slot. */
export type InsnField = 'dst' | 'src' | 'offset' | 'imm';

/** How an operation uses the fields of its slot. */
export interface FieldUse {
  /** The register fields that name registers (checked for r0-r10). */
  readonly registers: readonly ('dst' | 'src')[];
  /** Register fields the operation writes (r10 may not be written). */
  readonly writes: readonly ('dst' | 'src')[];
  /** Fields that must hold a fixed value (0 for reserved fields), with the value. */
  readonly fixed: readonly { readonly field: InsnField; readonly value: number }[];
}

const zero = (...fields: InsnField[]): { field: InsnField; value: number }[] =>
  fields.map((field) => ({ field, value: 0 }));

/** The field use of a valid operation (`op.kind !== 'invalid'`). */
export function fieldUse(op: Operation): FieldUse {
  switch (op.kind) {
    case 'alu': {
      // div/mod carry their signedness in `offset`; decodeOperation already rejected other values.
      const offset = op.op === 'sdiv' || op.op === 'smod' ? 1 : 0;
      if (op.source === 'imm') {
        return { registers: ['dst'], writes: ['dst'], fixed: [...zero('src'), { field: 'offset', value: offset }] };
      }
      return {
        registers: ['dst', 'src'],
        writes: ['dst'],
        fixed: [...zero('imm'), { field: 'offset', value: offset }],
      };
    }
    case 'neg':
      return { registers: ['dst'], writes: ['dst'], fixed: zero('src', 'offset', 'imm') };
    case 'movsx':
      return { registers: ['dst', 'src'], writes: ['dst'], fixed: zero('imm') };
    case 'end':
      return { registers: ['dst'], writes: ['dst'], fixed: zero('src', 'offset') };
    case 'ja':
      return { registers: [], writes: [], fixed: op.long ? zero('dst', 'src', 'offset') : zero('dst', 'src', 'imm') };
    case 'jcond':
      return op.source === 'imm'
        ? { registers: ['dst'], writes: [], fixed: zero('src') }
        : { registers: ['dst', 'src'], writes: [], fixed: zero('imm') };
    case 'call':
      // kfunc calls may carry a BTF module index in `offset`.
      return { registers: [], writes: [], fixed: op.target === 'kfunc' ? zero('dst') : zero('dst', 'offset') };
    case 'callx':
      // bpf_conformance (and the kernel's proposal) put the register holding the helper id in dst.
      return { registers: ['dst'], writes: [], fixed: zero('src', 'offset', 'imm') };
    case 'exit':
      return { registers: [], writes: [], fixed: zero('dst', 'src', 'offset', 'imm') };
    case 'lddw':
      return { registers: ['dst'], writes: ['dst'], fixed: zero('offset') };
    case 'ldx':
      return { registers: ['dst', 'src'], writes: ['dst'], fixed: zero('imm') };
    case 'st':
      return { registers: ['dst'], writes: [], fixed: zero('src') };
    case 'stx':
      return { registers: ['dst', 'src'], writes: [], fixed: zero('imm') };
    case 'atomic':
      // Fetching forms load the old value into src; cmpxchg puts it in r0 instead.
      return {
        registers: ['dst', 'src'],
        writes: op.fetch && op.op !== 'cmpxchg' ? ['src'] : [],
        fixed: [],
      };
    case 'ldabs':
      // The result goes to r0 implicitly; the packet comes from the input memory, not a register.
      return { registers: [], writes: [], fixed: zero('dst', 'src', 'offset') };
    case 'ldind':
      return { registers: ['src'], writes: [], fixed: zero('dst', 'offset') };
    case 'invalid':
      return { registers: [], writes: [], fixed: [] };
  }
}

/** The value of a field of a slot. */
export function fieldValue(i: Insn, field: InsnField): number {
  return field === 'offset' ? i.offset : i[field];
}

/**
 * True when some instruction may write r10. Then r10 is not the frame's fixed top, and neither engine
 * may address frame-relative accesses without their checks (the JIT's frame fast path, the
 * interpreter core's frame operations).
 */
export function writesFramePointer(insns: readonly Insn[]): boolean {
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc]!;
    const op = decodeOperation(i);
    if (op.kind === 'invalid') continue;
    for (const field of fieldUse(op).writes) if (i[field] === FRAME_POINTER) return true;
    if (op.kind === 'lddw') pc++;
  }
  return false;
}
