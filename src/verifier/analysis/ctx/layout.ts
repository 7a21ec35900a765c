/**
 * Context layouts: the fields of a program type's context (r1 on entry), who may read or write each,
 * at which sizes, and what a load yields; and the one function that judges an access against a layout.
 * The layouts themselves live beside this file, one module per family of program types.
 * @module
 */
import type { ValueType } from '../value.js';

/** One context field: where it is, how large, and who may read or write it. */
export interface Field {
  readonly off: number;
  readonly size: number;
  readonly write?: boolean;
  /** The loaded value is this pointer type (only a full-size load at the field's offset). */
  readonly pointer?: ValueType;
  /** Not accessible at all for this program type. */
  readonly deny?: boolean;
  /** Any aligned access inside the field is allowed (skb->cb[], a scratch area). */
  readonly scratch?: boolean;
  /** Only whole-field accesses (no narrower loads). */
  readonly whole?: boolean;
  /** Narrower reads at the field's start are allowed even where the layout wants fields read whole. */
  readonly narrow?: boolean;
  /**
   * The sizes a read may have, at any offset inside the field aligned to the size (overrides `whole`,
   * `narrow` and the layout's `wholeReads`): `[1, 2, 4, 8]` for an address of four u32 words that may be
   * read 8 bytes at a time.
   */
  readonly reads?: readonly number[];
  /** The sizes a write may have, at any aligned offset inside the field (implies `write`). */
  readonly writes?: readonly number[];
  /**
   * Narrower reads must lie in the field's first this many bytes: a 16-bit value padded to 32 bits
   * (`struct bpf_sock`'s `dst_port`), which may also be read as the whole word.
   */
  readonly narrowWithin?: number;
}

/** A context layout: its size and fields (bytes not in a field are refused). */
export interface Layout {
  readonly size: number;
  readonly fields?: readonly Field[];
  /** Every aligned read inside `size` is a scalar (tracing contexts: registers, arguments). */
  readonly readAll?: boolean;
  /** With `readAll`: every aligned write inside `size` is allowed too (syscall programs' own buffer). */
  readonly writeAll?: boolean;
  /** Fields may only be read whole (no narrower loads). */
  readonly wholeReads?: boolean;
  /** With `readAll`: reads below this offset must be 8 bytes (perf_event's registers; kprobe's may be narrower). */
  readonly wordReadsBelow?: number;
  /** With `readAll`: bytes below this offset are not readable (a tracepoint record's common fields). */
  readonly readFrom?: number;
}

/** The result of a context access the rules allow. */
export interface CtxAccess {
  /** What the load yields: a scalar, a packet pointer for `data`, `data_end`, `data_meta`, or `sk`'s socket (or null). */
  readonly yields: ValueType;
}

/** A u32 field at `off` (read at any narrower aligned size unless the layout reads fields whole). */
export const u32 = (off: number, extra: Omit<Field, 'off' | 'size'> = {}): Field => ({ off, size: 4, ...extra });

/** A pointer field of `size` bytes (8: `__bpf_md_ptr`; 4 in `__sk_buff` and `xdp_md`), loaded whole only. */
export const ptr = (off: number, pointer: ValueType, size = 8): Field => ({ off, size, pointer });

/** Judge an access of `size` bytes at `off` against `layout`; a string is the reason it is refused. */
export function layoutAccess(layout: Layout, name: string, off: number, size: number, write: boolean): CtxAccess | string {
  if (off < 0 || off + size > layout.size) return `outside the ${layout.size}-byte context`;
  if (off % size !== 0) return 'misaligned';
  if (layout.readAll === true) {
    if (write && layout.writeAll !== true) return `the ${name} context is read-only`;
    if (layout.readFrom !== undefined && off < layout.readFrom) return `the first ${layout.readFrom} bytes (the record's common fields) are not readable`;
    if (layout.wordReadsBelow !== undefined && off < layout.wordReadsBelow && size !== 8) return 'the registers are read 8 bytes at a time';
    return { yields: 'scalar' };
  }
  const field = layout.fields!.find((f) => off >= f.off && off < f.off + f.size);
  if (field === undefined || field.deny === true) return 'not a field this program type may access';
  if (off + size > field.off + field.size) return 'crosses a field boundary';
  if (field.pointer !== undefined) {
    if (write) return 'the field is read-only';
    if (off !== field.off || size !== field.size) return 'a pointer field must be loaded whole';
    return { yields: field.pointer };
  }
  if (write) {
    if (field.writes !== undefined) return field.writes.includes(size) ? { yields: 'scalar' } : `the field may be written ${sizes(field.writes)} at a time`;
    if (field.write !== true) return 'the field is read-only';
    if (field.scratch !== true && size !== field.size) return `a write must store the whole ${field.size}-byte field`;
    return { yields: 'scalar' };
  }
  if (field.narrowWithin !== undefined && size < field.size && off + size > field.off + field.narrowWithin) return `only the field's first ${field.narrowWithin} bytes may be read alone`;
  if (field.reads !== undefined) return field.reads.includes(size) ? { yields: 'scalar' } : `the field may be read ${sizes(field.reads)} at a time`;
  if ((layout.wholeReads === true || field.whole === true) && size !== field.size && (field.narrow !== true || off !== field.off)) return `the ${field.size}-byte field must be read whole`;
  return { yields: 'scalar' };
}

const sizes = (s: readonly number[]): string => `${s.join(', ')} bytes`;
