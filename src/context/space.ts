/**
 * The per-object run space: the stack, context and packet regions programs of one loaded object run
 * with, set up in the object's VM memory (where its maps live) at the documented virtual addresses.
 * Regions are allocated once and reused; they only grow (between runs) when a bigger input arrives.
 * @module
 */
import { ArgumentError, ErrorCode, ExecutionError } from '../errors.js';
import { MAX_MEM_SIZE, MBUFF_START, MEM_START, STACK_START, type Region, type VmMemory } from '../vm/memory.js';
import type { RunLimits } from '../vm/environment.js';
import type { PacketSession } from './session.js';

/** Bytes of headroom before an XDP packet (what `bpf_xdp_adjust_head` can grow into), as in the kernel. */
export const XDP_HEADROOM = 256;
/** Bytes of tailroom after an XDP packet (what `bpf_xdp_adjust_tail` can grow into). */
export const XDP_TAILROOM = 256;

/**
 * A run of a program of a loaded object started while another run on the same memory is under way
 * (a host helper calling back): the runs would share the stack, context and packet regions, and the
 * nested one would replace and then unmap the outer run's, so it is refused.
 */
export function nestedRunError(): ExecutionError {
  return new ExecutionError(
    ErrorCode.UNSUPPORTED,
    'a program of this object was run while another run on the same memory is under way (from a helper?): runs share the stack, context and packet regions, so they cannot nest; load the object a second time (its own memory) to run a program from a helper',
  );
}

const SPACES = new WeakMap<VmMemory, RunSpace>();

/** Stack, context and packet regions of a VM memory. */
export class RunSpace {
  private stack: Region | undefined;
  private stackFor = 0;
  private ctxOffset = -1;
  private ctxCapacity = 0;
  private ctxRegion: Region | undefined;
  private packetOffset = -1;
  private packetCapacity = 0;
  private packetRegion: Region | undefined;
  /**
   * Counts the context and packet regions' removals and replacements, so that a {@link PacketSession}
   * (which keeps them mapped from packet to packet) sees when another run has used the space since.
   */
  changes = 0;

  /**
   * Set while a program runs in this space (the runners set it around the engine's run and refuse to
   * start a run while it is set: a helper calling back would replace the outer run's regions).
   */
  running = false;

  /** @internal Use {@link RunSpace.of}: one run space per memory, since the regions' addresses are fixed. */
  constructor(readonly memory: VmMemory) {}

  /** The run space of a memory: objects loaded into one memory share it (and its stack, context and packet). */
  static of(memory: VmMemory): RunSpace {
    let space = SPACES.get(memory);
    if (space === undefined) {
      space = new RunSpace(memory);
      SPACES.set(memory, space);
    }
    return space;
  }

  /**
   * Make sure the stack, a context of `ctxSize` bytes and a packet buffer of `packetCapacity` bytes
   * exist, so that the set-up that follows allocates nothing and one view of the linear memory
   * (`memory.bytes`, whose getter reads `WebAssembly.Memory.buffer`) serves all of it; returns the
   * packet buffer's offset (see {@link packetBuffer}).
   */
  reserve(limits: RunLimits, ctxSize: number, packetCapacity: number): number {
    const size = limits.stackSize * limits.maxCallDepth;
    if (this.stack === undefined || this.stackFor < size) {
      if (this.stack !== undefined) this.memory.unmap(this.stack);
      this.stack = this.memory.map({ name: 'stack', size, vaddr: STACK_START });
      this.stackFor = size;
    }
    this.contextCapacity(ctxSize);
    return this.packetBuffer(packetCapacity);
  }

  /** Map the stack for these limits; returns the entry frame's r10 (engines zero the stack when a run starts). */
  stackTop(limits: RunLimits): number {
    const size = limits.stackSize * limits.maxCallDepth;
    if (this.stack === undefined || this.stackFor < size) {
      if (this.stack !== undefined) this.memory.unmap(this.stack);
      this.stack = this.memory.map({ name: 'stack', size, vaddr: STACK_START });
      this.stackFor = size;
    } else {
      this.memory.resize(this.stack, size);
    }
    return STACK_START + size;
  }

  private contextCapacity(size: number): void {
    // An empty context still needs its buffer: the offset stays -1 (and set() throws a RangeError) until one exists.
    if (size > this.ctxCapacity || this.ctxOffset < 0) {
      this.ctxCapacity = Math.max(size, 256);
      this.ctxOffset = this.memory.allocate(this.ctxCapacity);
    }
  }

  /** Map `bytes` as the context at {@link MBUFF_START}; returns the linear-memory offset of the copy. */
  setContext(bytes: Uint8Array, writable = true): number {
    this.changes++;
    this.contextCapacity(bytes.length);
    if (this.ctxRegion !== undefined) this.memory.unmap(this.ctxRegion);
    this.memory.bytes.set(bytes, this.ctxOffset);
    this.ctxRegion = this.memory.map({ name: 'ctx', size: bytes.length, vaddr: MBUFF_START, offset: this.ctxOffset, writable });
    return this.ctxOffset;
  }

  /**
   * Map `size` zeroed bytes as the context at {@link MBUFF_START}, for the caller to fill in place
   * (no staging copy); returns their linear-memory offset.
   */
  zeroContext(size: number, bytes?: Uint8Array): number {
    this.changes++;
    this.contextCapacity(size);
    if (this.ctxRegion !== undefined) this.memory.unmap(this.ctxRegion);
    (bytes ?? this.memory.bytes).fill(0, this.ctxOffset, this.ctxOffset + size);
    this.ctxRegion = this.memory.map({ name: 'ctx', size, vaddr: MBUFF_START, offset: this.ctxOffset });
    return this.ctxOffset;
  }

  /** Remove the context region (programs without one). */
  clearContext(): void {
    this.changes++;
    if (this.ctxRegion !== undefined) this.memory.unmap(this.ctxRegion);
    this.ctxRegion = undefined;
  }

  /**
   * Make sure a packet buffer of `capacity` bytes exists; returns its linear-memory offset. Virtual
   * address `MEM_START + i` is buffer byte `i`; {@link mapPacket} decides which part is visible.
   */
  packetBuffer(capacity: number): number {
    if (capacity > MAX_MEM_SIZE) throw new ArgumentError(`input of ${capacity} bytes is larger than the ${MAX_MEM_SIZE}-byte limit`);
    if (capacity > this.packetCapacity || this.packetOffset < 0) {
      this.changes++;
      this.packetCapacity = Math.max(capacity, 2048);
      this.packetOffset = this.memory.allocate(this.packetCapacity);
    }
    return this.packetOffset;
  }

  /**
   * Show buffer bytes `[start, end)` to the program at `MEM_START + start`; `networkHeader` is the
   * offset of a frame's network header (socket filter and tc runs: LD_ABS / LD_IND bases).
   */
  mapPacket(start: number, end: number, name = 'packet', networkHeader?: number): void {
    const r = this.packetRegion;
    if (
      r !== undefined && r.name === name && r.vaddr === MEM_START + start && r.offset === this.packetOffset + start &&
      r.networkHeader === networkHeader
    ) {
      // The same region with another length (the next packet): a resize keeps the region table's order.
      this.memory.resize(r, end - start);
      return;
    }
    this.changes++;
    if (this.packetRegion !== undefined) this.memory.unmap(this.packetRegion);
    this.packetRegion = this.memory.map({ name, size: end - start, vaddr: MEM_START + start, offset: this.packetOffset + start, networkHeader });
  }

  /** The packet region mapped now, if any (a batch run writes its size into the region table itself). */
  get packet(): Region | undefined {
    return this.packetRegion;
  }

    /** Remove the packet region (programs without input). */
  clearPacket(): void {
    this.changes++;
    if (this.packetRegion !== undefined) this.memory.unmap(this.packetRegion);
    this.packetRegion = undefined;
  }
}
