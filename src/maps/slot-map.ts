/**
 * The layout array and hash maps share: `max_entries` slots of values in one arena (maps/values), a
 * per-CPU map keeping one value per CPU in each slot. Here is the arithmetic from a slot and a CPU to
 * its value, and the host-side forms of a slot's values (one value, or the kernel's per-CPU format:
 * each CPU's value padded to 8 bytes, one after the other).
 * @module
 */
import type { VmMemory } from '../vm/memory.js';
import { BpfMap, round8 } from './map.js';
import { Liveness, packValues, valueStride } from './values.js';
import type { MapSpec } from './types.js';

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

  /**
   * `live`: one liveness byte per value (maps whose elements come and go), so a pointer to a removed
   * value faults.
   */
  constructor(memory: VmMemory, spec: MapSpec, percpu: boolean, cpus: number, writable: boolean, live?: Liveness) {
    const n = percpu ? cpus : 1;
    const stride = valueStride(spec.valueSize);
    // Each value (each CPU's, per-CPU) is an element: a program's access stays inside one.
    super(memory, spec, spec.maxEntries * n * stride, writable, { stride, size: Math.max(spec.valueSize, 1), liveness: live?.offset });
    this.cpus = n;
    this.percpu = percpu;
    this.stride = stride;
    this.pad = round8(spec.valueSize);
  }

  /** Offset in the arena of `slot`'s value for `cpu`. */
  protected slotOffset(slot: number, cpu: number): number {
    return (slot * this.cpus + (cpu % this.cpus)) * this.stride;
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
    if (d < 0 || i >= this.spec.maxEntries * this.cpus || address + size > value + this.spec.valueSize) return undefined;
    return { slot: Math.floor(i / this.cpus), value };
  }

  /** `slot`'s value as the host reads it: the value, or every CPU's in the per-CPU format. */
  protected readSlot(slot: number): Uint8Array {
    if (!this.percpu) return this.readArena(slot * this.stride, this.spec.valueSize);
    return packValues(this.memory, this.arenaOffset(0), this.stride, this.spec.valueSize, slot * this.cpus, this.cpus);
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
