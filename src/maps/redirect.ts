/**
 * The maps `bpf_redirect_map` sends XDP packets through: `DEVMAP` and `DEVMAP_HASH` (network
 * devices by ifindex), `CPUMAP` (CPUs, by index) and `XSKMAP` (AF_XDP sockets). The host fills them;
 * programs only look entries up (the kernel's verifier refuses updates and deletes from programs, and
 * lookups of CPUMAP entries).
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { HashMap } from './hash.js';
import { Errno, MapType, UpdateFlag, mapTypeName, type MapSpec } from './types.js';

function u32(b: Uint8Array, at = 0): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** What an entry of a redirect map sends a packet to. */
export interface RedirectEntry {
  /** DEVMAP / DEVMAP_HASH: the interface index. */
  readonly ifindex?: number;
  /** CPUMAP: the CPU (the key). */
  readonly cpu?: number;
  /** XSKMAP: the queue (the key) and the socket "fd" the host stored. */
  readonly queue?: number;
  readonly socket?: number;
}

/** `BPF_MAP_TYPE_DEVMAP`, `DEVMAP_HASH`, `CPUMAP` and `XSKMAP`: 4-byte keys, host-filled entries. */
export class RedirectMap extends HashMap {
  constructor(memory: VmMemory, spec: MapSpec) {
    const type = mapTypeName(spec.type);
    if (spec.keySize !== 4) throw new MapError(`map ${spec.name}: ${type} keys must be 4 bytes, not ${spec.keySize}`);
    const values = spec.type === MapType.XSKMAP ? [4] : [4, 8];
    if (!values.includes(spec.valueSize)) throw new MapError(`map ${spec.name}: ${type} values must be ${values.join(' or ')} bytes, not ${spec.valueSize}`);
    super(memory, spec, 1);
  }

  /** Entries are indexed by position (all but DEVMAP_HASH). */
  private get isArray(): boolean {
    return this.spec.type !== MapType.DEVMAP_HASH;
  }

  /**
   * The entry at a key, or undefined when there is none.
   * @internal
   */
  target(key: number): RedirectEntry | undefined {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, key >>> 0, true);
    const v = super.lookup(k);
    if (v === undefined) return undefined;
    switch (this.spec.type) {
      case MapType.CPUMAP:
        return { cpu: key >>> 0 };
      case MapType.XSKMAP:
        return { queue: key >>> 0, socket: u32(v) };
      default:
        return { ifindex: u32(v) };
    }
  }

  /**
   * Every entry, by key order.
   * @internal
   */
  targets(): RedirectEntry[] {
    return this.keys()
      .map((k) => u32(k))
      .sort((a, b) => a - b)
      .map((k) => this.target(k)!);
  }

  override programLookup(key: Uint8Array, cpu: number): number {
    return this.programLookupAt(key, 0, cpu);
  }

  override programLookupAt(bytes: Uint8Array, at: number, cpu: number): number {
    if (this.spec.type === MapType.CPUMAP) throw new MapError(`map ${this.name}: programs cannot look up ${mapTypeName(this.spec.type)} entries (the kernel's verifier refuses the call)`);
    return super.programLookupAt(bytes, at, cpu);
  }

  override programUpdate(): number {
    throw new MapError(`map ${this.name}: programs cannot update a ${mapTypeName(this.spec.type)} (the kernel's verifier refuses the call); the host fills it`);
  }

  override programUpdateAt(): number {
    return this.programUpdate();
  }

  override programDelete(): number {
    throw new MapError(`map ${this.name}: programs cannot delete from a ${mapTypeName(this.spec.type)} (the kernel's verifier refuses the call)`);
  }

  override programDeleteAt(): number {
    return this.programDelete();
  }

  override delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return super.programDelete(key) === 0;
  }

  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkValue(value);
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    const index = u32(key);
    if (this.isArray) {
      if (index >= this.spec.maxEntries) return -Errno.E2BIG;
      // Array maps have every index: "create only" cannot succeed.
      if (flags === UpdateFlag.NOEXIST && this.spec.type !== MapType.XSKMAP) return -Errno.EEXIST;
    }
    // A device needs an interface index, a CPU a queue size (CPUMAP's qsize 0 removes the entry).
    if (this.spec.type !== MapType.XSKMAP && u32(value) === 0) {
      if (this.spec.type === MapType.CPUMAP) {
        super.programDelete(key);
        return 0;
      }
      return -Errno.EINVAL;
    }
    if (this.isArray && flags === UpdateFlag.EXIST && this.spec.type !== MapType.XSKMAP) flags = UpdateFlag.ANY;
    return super.hostUpdate(key, value, flags);
  }
}
