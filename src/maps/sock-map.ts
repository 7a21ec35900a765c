/**
 * `BPF_MAP_TYPE_SOCKMAP` (an array of sockets) and `BPF_MAP_TYPE_SOCKHASH` (sockets by key): their
 * entries are references to the host's sockets (helpers/socket-table.ts), which sock_ops programs add
 * with `bpf_sock_map_update` / `bpf_sock_hash_update` (helpers/sock-map.ts) and the host reads and sets
 * by socket index (a value of `value_size` bytes, where the kernel's user space passes an fd and reads a
 * cookie). Nothing of an entry lives in VM memory. A program's `bpf_map_delete_elem` removes an entry;
 * its `bpf_map_lookup_elem` gives the socket's read-only `struct bpf_sock` (a referenced socket in the
 * kernel, which the program releases with `bpf_sk_release`) or NULL; its `bpf_map_update_elem` is not
 * modelled and stops the run with an error naming the map.
 * @module
 */
import { MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { BpfMap } from './map.js';
import { Errno, MapType, UpdateFlag, mapTypeName, type MapSpec } from './types.js';

/** A SOCKMAP or SOCKHASH over the host's sockets. */
export class SockMap extends BpfMap {
  /** Socket index by key (hex), in insertion order. */
  private readonly entries_ = new Map<string, { key: Uint8Array; socket: number }>();

  /** @param sockets how many sockets the host describes (valid socket indexes are below it). */
  constructor(memory: VmMemory, spec: MapSpec, readonly sockets: number) {
    const type = mapTypeName(spec.type);
    if (spec.type === MapType.SOCKMAP && spec.keySize !== 4) throw new MapError(`map ${spec.name}: ${type} keys must be 4 bytes, not ${spec.keySize}`, { errno: Errno.EINVAL });
    if (spec.keySize === 0) throw new MapError(`map ${spec.name}: ${type} keys must be at least 1 byte`, { errno: Errno.EINVAL });
    if (spec.valueSize !== 4 && spec.valueSize !== 8) throw new MapError(`map ${spec.name}: ${type} values must be 4 or 8 bytes (a socket), not ${spec.valueSize}`, { errno: Errno.EINVAL });
    super(memory, spec, 0);
  }

  /** Entries present. */
  get size(): number {
    return this.entries_.size;
  }

  private static id(key: Uint8Array): string {
    let s = '';
    for (const b of key) s += b.toString(16).padStart(2, '0');
    return s;
  }

  /**
   * Put socket `socket` at `key` with the update `flags`: 0 or a negative errno (-E2BIG for a SOCKMAP
   * index past `max_entries` or a full SOCKHASH, -EEXIST / -ENOENT as the flags say, -EINVAL for others).
   * @internal
   */
  insert(key: Uint8Array, socket: number, flags: number): number {
    if (flags > UpdateFlag.EXIST) return -Errno.EINVAL;
    if (this.spec.type === MapType.SOCKMAP && new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true) >= this.spec.maxEntries) return -Errno.E2BIG;
    const id = SockMap.id(key);
    const present = this.entries_.has(id);
    if (present && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (!present && flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (!present && this.entries_.size >= this.spec.maxEntries) return -Errno.E2BIG;
    this.entries_.set(id, { key: key.slice(), socket });
    return 0;
  }

  /** The socket index at `key`, or undefined. */
  socketAt(key: Uint8Array): number | undefined {
    this.checkKey(key);
    return this.entries_.get(SockMap.id(key))?.socket;
  }

  /** Where a socket's `struct bpf_sock` is in VM memory, by socket index (the loader sets it when it maps the host's sockets). */
  socketAddress: ((socket: number) => number) | undefined;

  /** A program's lookup: the address of the socket's `struct bpf_sock`, or 0 (NULL). */
  override programLookup(key: Uint8Array): number {
    const socket = this.socketAt(key);
    if (socket === undefined) return 0;
    if (this.socketAddress === undefined) throw new MapError(`map ${this.name}: the host's sockets are not mapped, so a program's lookup in a ${mapTypeName(this.spec.type)} cannot give one`);
    return this.socketAddress(socket);
  }

  override programUpdate(): number {
    throw new MapError(`map ${this.name}: programs' updates of a ${mapTypeName(this.spec.type)} with bpf_map_update_elem are not modelled; use bpf_sock_map_update / bpf_sock_hash_update`);
  }

  override programDelete(key: Uint8Array): number {
    return this.entries_.delete(SockMap.id(key)) ? 0 : -Errno.ENOENT;
  }

  /** Host lookup: the socket index, in `value_size` bytes. */
  override lookup(key: Uint8Array): Uint8Array | undefined {
    const socket = this.socketAt(key);
    if (socket === undefined) return undefined;
    const out = new Uint8Array(this.valueSize);
    new DataView(out.buffer).setUint32(0, socket, true);
    return out;
  }

  protected override hostUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    this.checkValue(value);
    const socket = new DataView(value.buffer, value.byteOffset, value.length).getUint32(0, true);
    if (socket >= this.sockets || (value.length === 8 && value[4]! | value[5]! | value[6]! | value[7]!)) {
      throw new MapError(`map ${this.name}: value ${socket} is not a host socket (the sockets option describes ${this.sockets})`, { errno: Errno.EINVAL });
    }
    return this.insert(key, socket, flags);
  }

  override keys(): Uint8Array[] {
    return [...this.entries_.values()].map((e) => e.key.slice());
  }
}
