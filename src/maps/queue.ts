/**
 * `BPF_MAP_TYPE_QUEUE` (FIFO) and `BPF_MAP_TYPE_STACK` (LIFO): keyless maps used with
 * push / pop / peek. Values are copied in and out, so they need no VM-memory arena.
 * @module
 */
import type { VmMemory } from '../vm/memory.js';
import { BpfMap } from './map.js';
import { Errno, MapType, UpdateFlag, type MapSpec } from './types.js';

/** Queue or stack. */
export class QueueMap extends BpfMap {
  private readonly items: Uint8Array[] = [];
  private readonly lifo: boolean;

  constructor(memory: VmMemory, spec: MapSpec) {
    super(memory, spec, 0);
    this.lifo = spec.type === MapType.STACK;
  }

  /** Number of values held. */
  get size(): number {
    return this.items.length;
  }

  override programPush(value: Uint8Array, flags: number): number {
    if (flags !== UpdateFlag.ANY && flags !== UpdateFlag.EXIST) return -Errno.EINVAL;
    if (this.items.length >= this.spec.maxEntries) {
      // BPF_EXIST makes room by dropping the oldest value, as the kernel does.
      if (flags !== UpdateFlag.EXIST || this.items.length === 0) return -Errno.E2BIG;
      this.items.shift();
    }
    this.items.push(value.slice(0, this.spec.valueSize));
    return 0;
  }

  override programPop(peek: boolean): Uint8Array | number {
    if (this.items.length === 0) return -Errno.ENOENT;
    if (peek) return this.lifo ? this.items[this.items.length - 1]! : this.items[0]!;
    return this.lifo ? this.items.pop()! : this.items.shift()!;
  }

  override programUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.programPush(value, flags);
  }

  /** Host push; throws MapError (E2BIG when full unless flags is BPF_EXIST). */
  push(value: Uint8Array, flags = 0): void {
    this.checkValue(value);
    const r = this.programPush(value, flags);
    if (r < 0) this.fail('push failed', -r);
  }

  /** Host pop: the next value, or undefined when empty. */
  pop(): Uint8Array | undefined {
    const r = this.programPop(false);
    return typeof r === 'number' ? undefined : r.slice();
  }

  /** Host peek: the next value without removing it, or undefined. */
  peek(): Uint8Array | undefined {
    const r = this.programPop(true);
    return typeof r === 'number' ? undefined : r.slice();
  }

  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkValue(value);
    return this.programUpdate(key, value, flags);
  }

  /** Queues and stacks have no keyed lookup: use {@link peek}. */
  override lookup(): Uint8Array | undefined {
    return this.peek();
  }

  override keys(): Uint8Array[] {
    return [];
  }

  /** The values in pop order (copies). */
  values(): Uint8Array[] {
    const list = this.items.map((v) => v.slice());
    return this.lifo ? list.reverse() : list;
  }
}
