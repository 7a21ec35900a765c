/**
 * The context of BPF iterator programs (`iter/…`, `iter.s/…`: the kernel's tracing programs attached
 * as iterators). `struct bpf_iter__<target>` is a pointer to the iterator's `struct bpf_iter_meta`
 * followed by the target's fields, one u64 slot each (`struct task_struct *task` for `iter/task`;
 * `map`, `key`, `value` for `iter/bpf_map_elem`...). tsbpf puts the meta after the slots, in the same
 * read-only context region: `seq` (the run's `seq_file`, which the seq helpers take), `session_id` and
 * `seq_num`, at the offsets the object's BTF gives `struct bpf_iter_meta` (the CO-RE target's when the
 * object's relocations were resolved against one), else the kernel's 0, 8 and 16.
 * @module
 */
import type { Btf } from '../elf/btf.js';
import { BtfKind } from '../elf/btf.js';
import { SEQ_FILE_ADDRESS } from '../helpers/seq.js';
import { MBUFF_START } from '../vm/memory.js';

/** Where the fields of `struct bpf_iter_meta` are (bytes), and its size. */
export interface IterMetaLayout {
  readonly seq: number;
  readonly sessionId: number;
  readonly seqNum: number;
  readonly size: number;
}

/** The kernel's `struct bpf_iter_meta`: `seq`, `session_id`, `seq_num`, 8 bytes each. */
export const DEFAULT_ITER_META: IterMetaLayout = { seq: 0, sessionId: 8, seqNum: 16, size: 24 };

/** Largest `struct bpf_iter_meta` taken from BTF (the kernel's is 24 bytes). */
const MAX_META_SIZE = 256;

/**
 * The layout of `struct bpf_iter_meta` in `btf`: each of `seq`, `session_id`, `seq_num` that BTF gives
 * as an aligned 8-byte member (directly, or in an anonymous union or struct, as the kernel declares
 * `seq`) inside a struct of at most 256 bytes, the kernel's offset for the others.
 */
export function iterMetaLayout(btf: Btf | undefined): IterMetaLayout {
  const t = btf?.find(BtfKind.STRUCT, 'bpf_iter_meta');
  if (btf === undefined || t === undefined || t.sizeOrType > MAX_META_SIZE) return DEFAULT_ITER_META;
  const offsetOf = (name: string, fallback: number): number => {
    // The member, or one of that name in an anonymous union or struct member (`__bpf_md_ptr`'s union).
    let m = t.members?.find((x) => x.name === name);
    for (const x of t.members ?? []) {
      if (m !== undefined) break;
      if (x.name !== '' || x.bitOffset % 8 !== 0) continue;
      let inner;
      try {
        inner = btf.resolve(x.type);
      } catch {
        continue;
      }
      const found = inner.kind === BtfKind.STRUCT || inner.kind === BtfKind.UNION ? inner.members?.find((y) => y.name === name) : undefined;
      if (found !== undefined) m = { ...found, bitOffset: x.bitOffset + found.bitOffset };
    }
    if (m === undefined || m.bitOffset % 64 !== 0 || (m.bitSize ?? 0) !== 0) return fallback;
    let size: number;
    try {
      size = btf.sizeOf(m.type);
    } catch {
      return fallback;
    }
    const at = m.bitOffset / 8;
    return size === 8 && at + 8 <= t.sizeOrType ? at : fallback;
  };
  const seq = offsetOf('seq', 0);
  const sessionId = offsetOf('session_id', 8);
  const seqNum = offsetOf('seq_num', 16);
  // Fields that fell back must not overlap the ones BTF placed.
  if (seq === sessionId || seq === seqNum || sessionId === seqNum) return DEFAULT_ITER_META;
  return { seq, sessionId, seqNum, size: Math.max(t.sizeOrType, seq + 8, sessionId + 8, seqNum + 8) };
}

/**
 * An iterator program's context: slot 0 points at the meta (after `slots` u64 slots, in the context
 * region at `MBUFF_START`), the target's fields `args` fill the next slots.
 */
export function iterContext(slots: number, args: readonly bigint[], layout: IterMetaLayout, sessionId: bigint, seqNum: bigint): Uint8Array {
  const metaAt = 8 * slots;
  const out = new Uint8Array(metaAt + layout.size);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(MBUFF_START + metaAt), true);
  args.forEach((a, i) => v.setBigUint64(8 * (i + 1), a, true));
  v.setBigUint64(metaAt + layout.seq, SEQ_FILE_ADDRESS, true);
  v.setBigUint64(metaAt + layout.sessionId, sessionId, true);
  v.setBigUint64(metaAt + layout.seqNum, seqNum, true);
  return out;
}
