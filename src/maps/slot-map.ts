/**
 * The layout array and hash maps share: `max_entries` slots of values in one arena (maps/values), a
 * per-CPU map keeping one value per CPU for each slot. Here is the arithmetic from a slot and a CPU to
 * its value, and the host-side forms of a slot's values (one value, or the kernel's per-CPU format:
 * each CPU's value padded to 8 bytes, one after the other).
 *
 * A per-CPU map's arena is CPU-major: each CPU has a section of `max_entries` values of its own, and
 * sections lie at least a cache line ({@link CACHE_LINE}) apart, so two threads running as two CPUs
 * (a worker pool over a shared memory) never write the same cache line through their own values (no
 * false sharing: slot-major, the CPUs' values of one slot would sit side by side).
 * @module
 */
import type { VmMemory } from '../vm/memory.js';
import { BpfMap, round8 } from './map.js';
import { type Liveness, valueStride } from './values.js';
import type { MapSpec } from './types.js';
import { CACHE_LINE } from './line-alloc.js';

export { CACHE_LINE };

/**
 * Values of a CPU's section in a per-CPU arena of `maxEntries` values `stride` bytes apart: the values
 * and enough unused ones after them that the next CPU's first value starts a cache line or more
 * after this CPU's last value ends (1 CPU: no padding).
 */
export function cpuSection(maxEntries: number, stride: number, cpus: number): number {
  return cpus <= 1 ? maxEntries : maxEntries + Math.ceil(CACHE_LINE / stride);
}

/** A map whose values sit in numbered slots of an arena, one value per CPU for per-CPU maps. */
export abstract class SlotMap extends BpfMap {
  /** CPUs a value is kept for (1 unless per-CPU). */
  readonly cpus: number;
  /** True for a per-CPU map type. */
  protected readonly percpu: boolean;
  /** Arena bytes from one value to the next (see maps/values). */
  protected readonly stride: number;
  /** A value in the host's per-CPU format: padded to 8 bytes. */
  protected readonly pad: number;
  /** Elements (values) from one CPU's value of a slot to the next CPU's: see the module comment. */
  protected readonly section: number;
  /** Slots the arena has room for: `max_entries`, or fewer for a hash map larger than its byte limit (maps/hash). */
  protected readonly slots: number;

  /**
   * `live`: one liveness byte per value (maps whose elements come and go), so a pointer to a removed
   * value faults. `reserved`: the arena's addresses are only reserved, for `slots` slots; the map
   * backs them itself (maps/slot-arena).
   */
  constructor(memory: VmMemory, spec: MapSpec, percpu: boolean, cpus: number, writable: boolean, live?: Liveness, reserved?: { slots: number }) {
    const n = percpu ? cpus : 1;
    const stride = valueStride(spec.valueSize);
    const slots = reserved?.slots ?? spec.maxEntries;
    const section = cpuSection(slots, stride, n);
    // Each value (each CPU's, per-CPU) is an element: a program's access stays inside one.
    super(memory, spec, section * n * stride, writable, { stride, size: Math.max(spec.valueSize, 1), liveness: live?.offset }, reserved === undefined);
    this.slots = slots;
    this.cpus = n;
    this.percpu = percpu;
    this.stride = stride;
    this.pad = round8(spec.valueSize);
    this.section = section;
  }

  /** Element number of `slot`'s value for `cpu`. */
  protected element(slot: number, cpu: number): number {
    return (cpu % this.cpus) * this.section + slot;
  }

  /** Offset in the arena of `slot`'s value for `cpu`. */
  protected slotOffset(slot: number, cpu: number): number {
    return this.element(slot, cpu) * this.stride;
  }

  /** Virtual address of `slot`'s value for `cpu` (no bounds check on the slot). */
  protected slotAddress(slot: number, cpu: number): number {
    return this.arenaAddress + this.slotOffset(slot, cpu);
  }

  /** The slot and value address of the value holding `[address, address + size)`, or undefined. */
  protected slotAt(address: number, size: number): { slot: number; value: number } | undefined {
    const d = address - this.arenaAddress;
    const i = Math.floor(d / this.stride);
    const value = this.arenaAddress + i * this.stride;
    // The unused values between CPUs' sections hold no slot.
    const slot = i % this.section;
    if (d < 0 || i >= this.section * this.cpus || slot >= this.slots || address + size > value + this.spec.valueSize) return undefined;
    return { slot, value };
  }

  /** `slot`'s value as the host reads it: the value, or every CPU's in the per-CPU format. */
  protected readSlot(slot: number): Uint8Array {
    if (!this.percpu) return this.readArena(slot * this.stride, this.spec.valueSize);
    const out = new Uint8Array(this.cpus * this.pad);
    for (let c = 0; c < this.cpus; c++) out.set(this.readArena(this.slotOffset(slot, c), this.spec.valueSize), c * this.pad);
    return out;
  }

  /** The value sizes a host update may pass: one value, or (per-CPU) every CPU's in the per-CPU format. */
  protected hostValueSizes(): readonly number[] {
    return this.percpu ? [this.spec.valueSize, this.cpus * this.pad] : [this.spec.valueSize];
  }

  /** CPU `cpu`'s value out of a host update's `value` (one value for all CPUs, or the per-CPU format). */
  protected cpuValue(value: Uint8Array, cpu: number): Uint8Array {
    return value.length === this.spec.valueSize ? value : value.subarray(cpu * this.pad, cpu * this.pad + this.spec.valueSize);
  }

  /** Per-CPU maps: one value per CPU. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    const all = this.lookup(key);
    if (all === undefined) return undefined;
    if (!this.percpu) return [all];
    return Array.from({ length: this.cpus }, (_, c) => all.slice(c * this.pad, c * this.pad + this.spec.valueSize));
  }
}
