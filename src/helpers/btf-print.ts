/**
 * `bpf_snprintf_btf` (149): an object as text through its BTF type (bpf-helpers(7)). The program
 * passes `struct btf_ptr { void *ptr; u32 type_id; u32 flags; }`: the type id is one of the BTF the
 * host loaded the object with (`LoadOptions.targetBtf`, a kernel's vmlinux, else the object's own), as
 * `bpf_core_type_id_kernel` relocates it. The object's bytes are read as a probe read reads them (the
 * run's host-described memory, else the VM's). It returns the text's length (without its NUL) and
 * writes as much as fits, NUL-terminated, as the kernel does; -EINVAL for flags other than `BTF_F_*`,
 * a `btf_ptr_size` other than 16, type id 0 or a type that cannot be shown, -ENOENT for a type id the
 * BTF lacks (or no BTF at all), -EFAULT when the object cannot be read. `bpf_seq_printf_btf` (150)
 * appends the same text to an iterator's seq_file (0, or -EOVERFLOW as `bpf_seq_write`). The text
 * itself is elf/btf-show.ts's.
 * @module
 */
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { Errno, negErrno } from '../maps/types.js';
import { probeView } from './task.js';
import { seqOf } from './seq.js';

/** BTF printing helper ids (uapi `linux/bpf.h`). */
export const BtfPrintHelper = { SNPRINTF_BTF: 149, SEQ_PRINTF_BTF: 150 } as const;

/** Bytes of `struct btf_ptr`. */
const BTF_PTR_SIZE = 16;
/** `BTF_F_COMPACT | BTF_F_NONAME | BTF_F_PTR_RAW | BTF_F_ZERO`. */
const KNOWN_FLAGS = 0xfn;

/** Shows objects through the host's BTF (the loader binds elf/btf-show.ts to it). */
export interface BtfPrinter {
  /** Bytes of the object type `typeId` shows, or a negative errno. */
  size(typeId: number): number;
  /** Its text as latin-1 bytes, or a negative errno. */
  show(typeId: number, data: Uint8Array, flags: number): Uint8Array | number;
}

/** The text of the object a program's `struct btf_ptr` (at `ptrAt`, `ptrSize` bytes) names, or a negative errno. */
function render(memory: VmMemory, printer: () => BtfPrinter | undefined, ptrAt: bigint, ptrSize: bigint, flags: bigint, ctx: HelperContext): Uint8Array | number {
  if ((flags & ~KNOWN_FLAGS) !== 0n || (ptrSize & 0xffff_ffffn) !== BigInt(BTF_PTR_SIZE)) return -Errno.EINVAL;
  const p = memory.read(ptrAt, BTF_PTR_SIZE, ctx.pc);
  const v = new DataView(p.buffer, p.byteOffset, BTF_PTR_SIZE);
  const ptr = v.getBigUint64(0, true);
  const typeId = v.getUint32(8, true);
  if (typeId === 0) return -Errno.EINVAL;
  const btf = printer();
  if (btf === undefined) return -Errno.ENOENT;
  const size = btf.size(typeId);
  if (size < 0) return size;
  const data = size === 0 ? new Uint8Array(0) : probeView(memory, ctx.host, ptr, size, ctx.pc);
  if (data === undefined) return -Errno.EFAULT;
  return btf.show(typeId, data, Number(flags));
}

/** The BTF printing helpers, bound to the object's memory and the host's BTF (undefined: none). */
export function btfPrintHelpers(memory: VmMemory, printer: () => BtfPrinter | undefined): Map<number, HelperEntry> {
  const snprintfBtf: HelperFunction = (r1, r2, r3, r4, r5, ctx) => {
    const text = render(memory, printer, r3, r4, r5, ctx);
    if (typeof text === 'number') return negErrno(-text);
    const strSize = Number(r2 & 0xffff_ffffn);
    if (strSize > 0) {
      const out = memory.slice(r1, strSize, true, ctx.pc);
      const n = Math.min(text.length, strSize - 1);
      out.set(text.subarray(0, n));
      out[n] = 0;
    }
    return text.length;
  };
  // bpf_seq_printf_btf(m, ptr, ptr_size, flags): the same text appended to an iterator's seq_file; 0 or -EOVERFLOW.
  const seqPrintfBtf: HelperFunction = (r1, r2, r3, r4, _5, ctx) => {
    const run = seqOf(r1, ctx, 'bpf_seq_printf_btf');
    const text = render(memory, printer, r2, r3, r4, ctx);
    if (typeof text === 'number') return negErrno(-text);
    return negErrno(-run.write(text));
  };
  return new Map([
    [BtfPrintHelper.SNPRINTF_BTF, { fn: snprintfBtf, name: 'bpf_snprintf_btf', unwindOnZero: false }],
    [BtfPrintHelper.SEQ_PRINTF_BTF, { fn: seqPrintfBtf, name: 'bpf_seq_printf_btf', unwindOnZero: false }],
  ]);
}
