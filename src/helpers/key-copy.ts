/**
 * The read-only copy of a map key that a callback receives as an argument (`bpf_for_each_map_elem`'s
 * callbacks, a timer's callback): the kernel's callback may read its key but not write it, and the key
 * must not be the map's own bytes, so the copy sits in a read-only region of the VM memory, mapped on
 * first use and replaced by a larger one for a longer key.
 * @module
 */
import type { Region, VmMemory } from '../vm/memory.js';

/** One reusable read-only key slot (one per callback that may be running at a time). */
export class KeyCopy {
  private region: Region | undefined;

  /** `name`: the region's name, for messages. */
  constructor(
    private readonly memory: VmMemory,
    private readonly name: string,
  ) {}

  /** The virtual address of a read-only copy of `key`, valid until the next call. */
  address(key: Uint8Array): number {
    const mem = this.memory;
    let r = this.region;
    if (r === undefined || r.size < key.length) {
      if (r !== undefined) mem.unmap(r);
      r = mem.map({ name: this.name, size: Math.max(64, key.length), writable: false });
      this.region = r;
    }
    mem.bytes.set(key, r.offset);
    return r.vaddr;
  }
}
