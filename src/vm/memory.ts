/**
 * The memory model every engine shares.
 *
 * Programs see a 32-bit virtual address space made of *regions* (the stack, the input memory, the
 * metadata buffer or context, map values, global data). Each region is backed by a range of one
 * `WebAssembly.Memory` (the "linear memory"), so the interpreter, the JIT, helpers and maps all read
 * and write the same bytes. Every access is checked against the regions: an access that is not wholly
 * inside one region — or that writes a read-only one — fails with a {@link MemoryAccessError} naming
 * the pc, address, size and the regions there are. Nothing outside a region is ever reachable.
 *
 * Virtual addresses of the fixed regions are documented constants, so that hosts can put pointers
 * into buffers (rbpf's metadata-buffer example stores `MEM_START` into the mbuff).
 *
 * Linear memory only grows between runs (allocation is the host's job); engines may therefore cache
 * views of it for the duration of one run.
 * @module
 */
import { EbpfError, ErrorCode, MemoryAccessError, ArgumentError } from '../errors.js';
import { argumentError, checkBigInteger, checkBytes, checkInteger } from '../validate.js';
import { memoryCopy, type MemoryCopy } from './memory-copy.js';

/** Virtual address of the metadata buffer (mbuff) or program context (`xdp_md`, `__sk_buff`). */
export const MBUFF_START = 0x0100_0000;
/** Virtual address of the lowest byte of the stack region (frames grow down from its top). */
export const STACK_START = 0x0200_0000;
/** Virtual address at which the input memory (`mem`, the packet) is mapped. */
export const MEM_START = 0x1000_0000;
/** Virtual addresses from here up are handed to maps, global data and other host regions. */
export const HEAP_START = 0x8000_0000;
/** Largest input memory a VM maps at `MEM_START` (the gap up to `HEAP_START`). */
export const MAX_MEM_SIZE = HEAP_START - MEM_START;

/**
 * Linear offset of the stack mark (u32): the lowest virtual address of the run's stack region that a
 * store of the current run may have written through an address not known when the run started (see
 * vm/stack). It lies in the bytes the allocator never hands out, so no region reaches it.
 * @internal
 */
export const STACK_MARK = 8;

/**
 * Linear offset of a helper call's result (i64) in JIT code: the runtime writes r0 there and the
 * generated code loads it, so that no `bigint` crosses the WebAssembly-JS boundary (see jit/layout).
 * In the bytes the allocator never hands out.
 * @internal
 */
export const HELPER_RESULT = 16;

/**
 * Linear offset (8 bytes, after `scratch`) where a faulting load of a run with
 * {@link VmMemory.faultingLoads} set finds its value: the engines load from here instead of failing.
 * In the bytes the allocator never hands out.
 * @internal
 */
export const FAULT_LOAD = 24;

/**
 * Linear offset (after `scratch`) of the interpreter's WebAssembly core's area (its registers, budget,
 * region caches and frame records: vm/interpreter-core.ts), {@link CORE_AREA_BYTES} long, reserved in
 * every memory right after the 64 reserved bytes. At a fixed offset, the area is a constant of the core's
 * module (one per `scratch`, as the stack mark already is), so a register's address needs no add.
 * @internal
 */
export const CORE_AREA = 64;

/** Bytes reserved for the interpreter core's area at `scratch + CORE_AREA`. @internal */
export const CORE_AREA_BYTES = 1088;

/** Bytes at the start of a memory (or a worker's private area) that the allocator never hands out. */
const RESERVED = CORE_AREA + CORE_AREA_BYTES;

/**
 * What a faulting load reads in a run that has BTF-typed pointers (see {@link VmMemory.faultingLoads}):
 * the host-described bytes at a 64-bit address, or undefined when the host describes none there.
 */
export type FaultingLoadSource = (address: bigint, size: number) => Uint8Array | undefined;

const PAGE = 65536;
/** Gap left unmapped between consecutive heap regions, so off-by-a-little accesses fault. */
const GUARD = 4096;

/** A mapped range of the virtual address space. */
export interface Region {
  /** What the region is, for error messages: `stack`, `mem`, `mbuff`, `map:NAME`… */
  readonly name: string;
  /** First virtual address. */
  readonly vaddr: number;
  /** Size in bytes (may change between runs: {@link VmMemory.resize}). */
  readonly size: number;
  /** Offset of the first byte in linear memory (may change between runs: {@link VmMemory.relocate}). */
  readonly offset: number;
  /** False for read-only regions (frozen `.rodata`, for instance). */
  readonly writable: boolean;
  /**
   * 0 for a region that is one range. Otherwise the region holds equal elements (a map's values) this
   * many bytes apart, and an access must lie inside one element's first {@link elementSize} bytes.
   */
  readonly stride: number;
  /** Bytes accessible at the start of each element (when {@link stride} is not 0). */
  readonly elementSize: number;
  /**
   * Linear offset of one byte per element, non-zero once the element is live (a hash map's slot that
   * has held an element); an access to an element whose byte is 0 fails. 0: every element is live.
   */
  readonly liveness: number;
  /**
   * For a frame with a link-layer header mapped at `MEM_START` (socket filter and tc runs): the offset
   * of its network header. LD_ABS / LD_IND then also take offsets based at `SKF_NET_OFF` (this header)
   * and `SKF_LL_OFF` (the frame's start), as the kernel does; without it those offsets fail.
   */
  readonly networkHeader?: number;
}

/** How a region of equal elements is laid out (see {@link Region.stride}). */
export interface RegionElements {
  /** Bytes from one element's start to the next (> 0). */
  readonly stride: number;
  /** Bytes accessible at each element's start (1 to `stride`). */
  readonly size: number;
  /** Linear offset of the liveness bytes, one per element (0 or absent: every element is live). */
  readonly liveness?: number;
}

/**
 * A copy of the regions' sizes kept in linear memory (vm/region-table's table), which
 * {@link VmMemory.resize} keeps current itself: a resize writes the one size instead of leaving the
 * whole table to be rewritten.
 * @internal
 */
export interface SizeMirror {
  /** The {@link VmMemory.version} the copy describes. */
  version: number;
  /** Entries the copy holds (the first regions, in order). */
  readonly count: number;
  /** Write region `index`'s new size into the copy. */
  setSize(view: DataView, index: number, size: number): void;
}

/** Options for {@link VmMemory}. */
export interface VmMemoryOptions {
  /** Initial linear memory size in 64 KiB pages (default 4). */
  initialPages?: number;
  /** Maximum linear memory size in pages (default 65536, i.e. 4 GiB). */
  maximumPages?: number;
  /**
   * A shared memory (`SharedArrayBuffer`-backed, for worker threads) of exactly `initialPages` pages: it
   * never grows (a growing shared memory would leave every thread's cached views short), so an allocation
   * that does not fit fails with an EbpfError. Engines then lower eBPF atomics to WebAssembly atomics.
   */
  shared?: boolean;
  /**
   * Use this shared `WebAssembly.Memory` (another {@link VmMemory}'s `wasm`, sent to a worker) instead of
   * making one; `initialPages`, `maximumPages` and `shared` are then ignored.
   */
  attach?: WebAssembly.Memory;
}

/** A virtual address argument: a bigint (or a safe integer number), taken modulo 2^64. */
function addressArg(address: unknown): bigint {
  return typeof address === 'bigint' ? address : checkBigInteger(address, 'address', -(2n ** 63n), 2n ** 64n - 1n);
}

/** An access size argument: 1, 2, 4 or 8. */
function sizeArg(size: unknown): 1 | 2 | 4 | 8 {
  if (size === 1 || size === 2 || size === 4 || size === 8) return size;
  throw argumentError('size', '1, 2, 4 or 8', size);
}

/** An optional pc argument (for error messages): an instruction slot index. */
function pcArg(pc: unknown): number | undefined {
  return pc === undefined ? undefined : checkInteger(pc, 'pc', 0, 0xffff_ffff);
}

/** The linear memory, its bump allocator and its region table. */
export class VmMemory {
  /** The linear memory; the JIT imports it. */
  readonly wasm: WebAssembly.Memory;
  private readonly regionList: Region[] = [];
  private layoutVersion = 0;
  private shapeVersion = 0;
  private top = RESERVED; // the reserved bytes and the core's area are never handed out
  private nextHeapVaddr = HEAP_START;
  private cachedBuffer: ArrayBuffer | undefined;
  private cachedBytes = new Uint8Array(0);
  private cachedView = new DataView(new ArrayBuffer(0));
  /**
   * The stack region of the run under way (or of the last run), set by vm/stack when a run starts:
   * stores into it through this class (helpers) lower the stack mark ({@link STACK_MARK}).
   * @internal
   */
  runStack: Region | undefined;
  /** True for a shared memory (see {@link VmMemoryOptions.shared}). */
  readonly shared: boolean;
  /**
   * True for a memory made with {@link VmMemoryOptions.attach}: another thread made it and owns its
   * contents, so an object loaded into it at the same layout finds its maps and global data already
   * set and must not write their initial values over them (see `LoadOptions.memory`).
   */
  readonly attached: boolean;
  /**
   * Linear offset of this memory's 64 reserved bytes (the stack mark at `scratch + STACK_MARK`, a helper
   * result at `scratch + HELPER_RESULT`): 0, or a worker's own bytes after {@link privateArea}.
   * @internal
   */
  scratch = 0;
  /**
   * Set for the run of a program that dereferences BTF-typed kernel pointers (`fentry`, `fexit`,
   * `tp_btf`...): a load that no region holds then reads what this source gives (host-described kernel
   * memory), else 0, instead of failing: the kernel's faulting-load semantics for such pointers (its
   * `BPF_PROBE_MEM` loads zero the destination on a fault). Stores still fail. Unset otherwise.
   * @internal
   */
  faultingLoads: FaultingLoadSource | undefined;
  /** Allocations end below this linear offset (a worker's private area; otherwise no limit). */
  private limit = Infinity;
  /** {@link copy}'s WebAssembly function, made on first use. */
  private copier: MemoryCopy | undefined;
  /**
   * The region table made for this memory (vm/region-table), kept current by {@link resize}.
   * @internal
   */
  sizeMirror: SizeMirror | undefined;
  /** Where {@link resize} last found its region in the list (a packet session resizes the same one every packet). */
  private resizedAt = 0;

  constructor(options: VmMemoryOptions = {}) {
    const o = options as unknown;
    if (typeof o !== 'object' || o === null) throw argumentError('options', 'an object', o);
    const attach = options.attach;
    if (attach !== undefined) {
      if (!(attach instanceof WebAssembly.Memory) || typeof SharedArrayBuffer === 'undefined' || !(attach.buffer instanceof SharedArrayBuffer)) {
        throw argumentError('options.attach', 'a shared WebAssembly.Memory', attach);
      }
      this.wasm = attach;
      this.shared = true;
      this.attached = true;
      return;
    }
    const initial = options.initialPages === undefined ? 4 : checkInteger(options.initialPages, 'options.initialPages', 0, 65536);
    this.shared = options.shared === true;
    this.attached = false;
    this.wasm = new WebAssembly.Memory({
      initial,
      maximum: this.shared ? initial : options.maximumPages ?? 65536,
      ...(this.shared ? { shared: true } : {}),
    });
  }

  /** Byte view of the whole linear memory (re-fetch after any allocation: growth replaces the buffer). */
  get bytes(): Uint8Array {
    // Growing a (non-shared) WebAssembly.Memory detaches its old buffer, so an empty cached view means
    // "grown since": cheaper than reading `wasm.buffer` on every call, which engines and helpers do a lot.
    // (`length`, not `byteLength`: the same number, and V8 reads it without a call.)
    if (this.cachedBytes.length === 0) this.refresh();
    return this.cachedBytes;
  }

  /**
   * Copy `length` bytes of linear memory from offset `source` to `target` (the ranges may overlap) with
   * WebAssembly's `memory.copy`: several times faster than `bytes.copyWithin` or `set` for a packet,
   * and much faster on a shared memory (see vm/memory-copy.ts).
   * @internal
   */
  copy(target: number, source: number, length: number): void {
    (this.copier ??= memoryCopy(this.wasm, this.shared))(target, source, length);
  }

  /** DataView of the whole linear memory (same caveat as {@link bytes}). */
  get view(): DataView {
    if (this.cachedBytes.length === 0) this.refresh();
    return this.cachedView;
  }

  /** The mapped regions, in mapping order. */
  get regions(): readonly Region[] {
    return this.regionList;
  }

  /**
   * A number that changes whenever a region is mapped, unmapped, resized or relocated, so that an
   * engine can tell in one comparison whether the region table it derived is still current.
   */
  get version(): number {
    return this.layoutVersion;
  }

  /**
   * Like {@link version}, but unchanged by {@link resize}: while it stays the same, the regions are the
   * same objects in the same order at the same addresses, only their sizes may differ (a region table
   * then needs only its sizes rewritten: a packet session resizes the packet region on every packet).
   * @internal
   */
  get shape(): number {
    return this.shapeVersion;
  }

  /**
   * Change a mapped region's size (a VM's input memory between runs, for instance).
   * @internal
   */
  resize(region: Region, size: number): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new ArgumentError(`bad region size ${size}`);
    if (region.size === size) return;
    (region as { size: number }).size = size;
    const mirror = this.sizeMirror;
    const current = mirror !== undefined && mirror.version === this.layoutVersion;
    this.layoutVersion++;
    if (!current) return;
    // The table described the layout before this resize: it stays current with the one size written.
    const list = this.regionList;
    let at = this.resizedAt;
    if (list[at] !== region) {
      at = list.indexOf(region);
      if (at < 0) return;
      this.resizedAt = at;
    }
    if (at < mirror.count) {
      mirror.setSize(this.view, at, size);
      mirror.version = this.layoutVersion;
    }
  }

  /**
   * Back a mapped region with other linear memory (from {@link allocate}) from now on.
   * @internal
   */
  relocate(region: Region, offset: number): void {
    if (region.offset === offset) return;
    (region as { offset: number }).offset = offset;
    this.layoutVersion++;
    this.shapeVersion++;
  }

  private refresh(): void {
    const buffer = this.wasm.buffer;
    if (buffer !== this.cachedBuffer) {
      this.cachedBuffer = buffer;
      this.cachedBytes = new Uint8Array(buffer);
      this.cachedView = new DataView(buffer);
    }
  }

  /**
   * Reserve `size` zeroed bytes of linear memory; returns their offset. Grows the memory if needed.
   * @internal
   */
  allocate(size: number, align = 8): number {
    if (!Number.isSafeInteger(size) || size < 0) throw new ArgumentError(`cannot allocate ${size} bytes`);
    const start = Math.ceil(this.top / align) * align;
    const end = start + size;
    const have = this.wasm.buffer.byteLength;
    if (this.shared && (end > have || end > this.limit)) {
      const room = Math.min(have, this.limit);
      throw new EbpfError(
        ErrorCode.UNSUPPORTED,
        `shared VM memory is full: ${size} more bytes do not fit below ${room} (a shared memory does not grow; give the worker pool more memory per worker, or run with --workers 1)`,
      );
    }
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.wasm.grow(pages);
      } catch {
        throw new ArgumentError(`cannot grow VM memory to ${end} bytes`);
      }
    }
    this.top = end;
    return start;
  }

  /**
   * Make the rest of this (shared) memory's allocations come from `[base, base + size)`: a worker's own
   * bytes, after it has laid out the maps every worker shares at the same offsets. The first 64 bytes
   * become its reserved words ({@link scratch}), the next ones the interpreter core's area ({@link CORE_AREA}).
   * `base` must be at or above what is allocated so far.
   * @internal
   */
  privateArea(base: number, size: number): void {
    if (!this.shared) throw new ArgumentError('a private area is only for a shared memory');
    if (!Number.isSafeInteger(base) || base % 8 !== 0 || base < this.top || !Number.isSafeInteger(size) || size < RESERVED || base + size > this.wasm.buffer.byteLength) {
      throw new ArgumentError(`bad private area [${base}, ${base + size}) after ${this.top} bytes of ${this.wasm.buffer.byteLength}`);
    }
    this.scratch = base;
    this.top = base + RESERVED;
    this.limit = base + size;
    this.view.setUint32(base + STACK_MARK, 0, true);
  }

  /**
   * Linear bytes handed out so far (the end of the last allocation).
   * @internal
   */
  get allocated(): number {
    return this.top;
  }

  /**
   * Map a region. Without `vaddr` it gets the next free heap address (above {@link HEAP_START});
   * without `offset`, fresh zeroed linear memory is allocated for it.
   * @internal
   */
  map(spec: { name: string; size: number; vaddr?: number; offset?: number; writable?: boolean; elements?: RegionElements; networkHeader?: number }): Region {
    const size = spec.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new ArgumentError(`bad region size ${size}`);
    const el = spec.elements;
    if (el !== undefined && !(Number.isSafeInteger(el.stride) && Number.isSafeInteger(el.size) && el.size >= 1 && el.size <= el.stride)) {
      throw new ArgumentError(`bad region elements: ${el.size} bytes every ${el.stride}`);
    }
    let vaddr = spec.vaddr;
    vaddr ??= this.reserve(size);
    const region: Region = {
      name: spec.name,
      vaddr,
      size,
      offset: spec.offset ?? this.allocate(size),
      writable: spec.writable ?? true,
      stride: el?.stride ?? 0,
      elementSize: el?.size ?? 0,
      liveness: el?.liveness ?? 0,
      ...(spec.networkHeader !== undefined ? { networkHeader: spec.networkHeader } : {}),
    };
    this.regionList.push(region);
    this.layoutVersion++;
    this.shapeVersion++;
    return region;
  }

  /**
   * Reserve `size` bytes of heap virtual addresses (the next free ones, as {@link map} would take) for
   * regions mapped there later, each with its own `vaddr` inside them; returns the first address. No
   * linear memory is allocated and no region is mapped (a map's values reserved as they are first used).
   * @internal
   */
  reserve(size: number): number {
    if (!Number.isSafeInteger(size) || size < 0) throw new ArgumentError(`bad reservation size ${size}`);
    const vaddr = this.nextHeapVaddr;
    const next = vaddr + Math.ceil(Math.max(size, 1) / GUARD) * GUARD + GUARD;
    if (next > 0x1_0000_0000) throw new ArgumentError('virtual address space exhausted');
    this.nextHeapVaddr = next;
    return vaddr;
  }

  /**
   * Remove a region from the table (its linear memory is not reused).
   * @internal
   */
  unmap(region: Region): void {
    const at = this.regionList.indexOf(region);
    if (at >= 0) this.regionList.splice(at, 1);
    this.layoutVersion++;
    this.shapeVersion++;
  }

  /**
   * Tell engines that what they cached of the regions may be stale although none was mapped or moved
   * (an element of an element region stopped being live): changes {@link version}.
   * @internal
   */
  invalidate(): void {
    this.layoutVersion++;
    this.shapeVersion++;
  }

  /**
   * The region that wholly contains `[vaddr, vaddr + size)` — inside one live element, for an element
   * region — or `undefined`.
   * @internal
   */
  find(vaddr: number, size: number): Region | undefined {
    const r = this.container(vaddr, size);
    return r === undefined || r.stride === 0 || this.elementReason(r, vaddr, size) === undefined ? r : undefined;
  }

  /** The first region wholly containing `[vaddr, vaddr + size)`, ignoring elements. */
  private container(vaddr: number, size: number): Region | undefined {
    const list = this.regionList;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (vaddr >= r.vaddr && vaddr + size <= r.vaddr + r.size) return r;
    }
    return undefined;
  }

  /** Why an access inside element region `r` is refused, or undefined when it is allowed. */
  private elementReason(r: Region, vaddr: number, size: number): string | undefined {
    const d = vaddr - r.vaddr;
    const index = Math.floor(d / r.stride);
    const within = d - index * r.stride;
    if (within + size > r.elementSize) {
      return `it is not inside one value of ${r.name} (${r.elementSize}-byte values every ${r.stride} bytes from 0x${r.vaddr.toString(16)}; this one starts at 0x${(vaddr - within).toString(16)})`;
    }
    if (r.liveness !== 0 && this.bytes[r.liveness + index] === 0) {
      return `the value slot of ${r.name} at 0x${(vaddr - within).toString(16)} has never held an element`;
    }
    return undefined;
  }

  /**
   * Translate a 64-bit virtual address (as `lo`/`hi` 32-bit halves) to a linear-memory offset,
   * or throw the error a program gets for a bad access.
   * @internal
   */
  translate(lo: number, hi: number, size: number, store: boolean, pc?: number): number {
    const vaddr = lo >>> 0;
    const region = hi === 0 ? this.find(vaddr, size) : undefined;
    if (region === undefined || (store && !region.writable)) {
      throw this.accessError(lo, hi, size, store, pc, region);
    }
    if (store && region === this.runStack) this.markStackStore(vaddr);
    return region.offset + (vaddr - region.vaddr);
  }

  /**
   * Record that the run under way wrote its stack at `vaddr` (and maybe above): the next run zeroes
   * from there (see vm/stack). Engines that write linear memory directly call it for stack stores.
   * @internal
   * @internal
   */
  markStackStore(vaddr: number): void {
    const view = this.view;
    const at = this.scratch + STACK_MARK;
    if (vaddr >>> 0 < view.getUint32(at, true)) view.setUint32(at, vaddr >>> 0, true);
  }

  /**
   * Translate a `bigint` virtual address; see {@link translate}.
   * @internal
   */
  translateBig(address: bigint, size: number, store: boolean, pc?: number): number {
    // Helpers' pointer arguments are mostly 32-bit addresses: no bigint arithmetic for those.
    if (address >= 0n && address <= 0xffffffffn) return this.translate(Number(address) | 0, 0, size, store, pc);
    const a = BigInt.asUintN(64, address);
    return this.translate(Number(a & 0xffffffffn) | 0, Number(a >> 32n) | 0, size, store, pc);
  }

  /**
   * For a load of `size` bytes at `(hi:lo)` that no region holds, in a run with {@link faultingLoads}:
   * the linear offset of 8 bytes holding what the source gives there (0 when nothing), which the engine
   * loads instead; undefined otherwise (the access fails).
   * @internal
   */
  faultingLoad(lo: number, hi: number, size: number): number | undefined {
    const source = this.faultingLoads;
    if (source === undefined) return undefined;
    const address = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const at = this.scratch + FAULT_LOAD;
    const bytes = this.bytes;
    bytes.fill(0, at, at + 8);
    const found = source(address, size);
    if (found !== undefined) bytes.set(found.subarray(0, Math.min(size, 8)), at);
    return at;
  }

  /**
   * The error for a faulting access; engines that check accesses themselves use it too.
   * @internal
   */
  accessError(lo: number, hi: number, size: number, store: boolean, pc?: number, readOnly?: Region): MemoryAccessError {
    const address = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const access = store ? 'store' : 'load';
    const where = `0x${address.toString(16)}`;
    if (readOnly !== undefined) {
      return new MemoryAccessError(
        ErrorCode.READ_ONLY,
        `${size}-byte store to read-only region ${readOnly.name} at ${where}`,
        { pc, address, size, access },
      );
    }
    const inside = hi === 0 ? this.container(lo >>> 0, size) : undefined;
    const why = inside !== undefined && inside.stride !== 0 ? this.elementReason(inside, lo >>> 0, size) : undefined;
    if (why !== undefined) {
      return new MemoryAccessError(ErrorCode.OUT_OF_BOUNDS, `out-of-bounds ${size}-byte ${access} at ${where}: ${why}`, { pc, address, size, access });
    }
    const regions = this.regionList
      .filter((r) => r.size > 0)
      .map((r) => `${r.name} [0x${r.vaddr.toString(16)}, 0x${(r.vaddr + r.size).toString(16)})`)
      .join(', ');
    return new MemoryAccessError(
      ErrorCode.OUT_OF_BOUNDS,
      `out-of-bounds ${size}-byte ${access} at ${where}; mapped regions: ${regions || 'none'}`,
      { pc, address, size, access },
    );
  }

  /**
   * A live view of `len` bytes at a virtual address, bounds-checked (valid until memory grows).
   * @internal
   */
  slice(address: bigint, len: number, store = false, pc?: number): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    const at = this.translateBig(address, len, store, pc);
    return this.bytes.subarray(at, at + len);
  }

  /** Copy bytes out of VM memory. */
  read(address: bigint, len: number, pc?: number): Uint8Array {
    return this.slice(addressArg(address), checkInteger(len, 'len', 0, 0xffff_ffff), false, pcArg(pc)).slice();
  }

  /** Copy bytes into VM memory. */
  write(address: bigint, data: Uint8Array, pc?: number): void {
    this.slice(addressArg(address), checkBytes(data, 'data').length, true, pcArg(pc)).set(data);
  }

  /** Read a NUL-terminated string of at most `max` bytes (stops at a region's end). */
  readCString(address: bigint, max: number, pc?: number): string {
    checkInteger(max, 'max', 0, Number.MAX_SAFE_INTEGER);
    pcArg(pc);
    const a = BigInt.asUintN(64, addressArg(address));
    const region = a >> 32n === 0n ? this.find(Number(a), 1) : undefined;
    if (region === undefined) throw this.accessError(Number(a & 0xffffffffn) | 0, Number(a >> 32n) | 0, 1, false, pc);
    const d = Number(a) - region.vaddr;
    const start = region.offset + d;
    // A string in an element region ends with its element.
    const limit = region.stride === 0 ? region.size : d - (d % region.stride) + region.elementSize;
    const end = Math.min(region.offset + limit, start + max);
    const bytes = this.bytes;
    let stop = start;
    while (stop < end && bytes[stop] !== 0) stop++;
    return new TextDecoder().decode(bytes.subarray(start, stop));
  }

  /** Load an unsigned little-endian integer of 1, 2, 4 or 8 bytes. */
  load(address: bigint, size: 1 | 2 | 4 | 8, pc?: number): bigint {
    const at = this.translateBig(addressArg(address), sizeArg(size), false, pcArg(pc));
    const v = this.view;
    switch (size) {
      case 1:
        return BigInt(v.getUint8(at));
      case 2:
        return BigInt(v.getUint16(at, true));
      case 4:
        return BigInt(v.getUint32(at, true));
      default:
        return v.getBigUint64(at, true);
    }
  }

  /** Store a little-endian integer of 1, 2, 4 or 8 bytes (the value is truncated to the size). */
  store(address: bigint, size: 1 | 2 | 4 | 8, value: bigint, pc?: number): void {
    const u = BigInt.asUintN(64, typeof value === 'bigint' ? value : checkBigInteger(value, 'value', -(2n ** 63n), 2n ** 64n - 1n));
    const at = this.translateBig(addressArg(address), sizeArg(size), true, pcArg(pc));
    const v = this.view;
    switch (size) {
      case 1:
        v.setUint8(at, Number(u & 0xffn));
        break;
      case 2:
        v.setUint16(at, Number(u & 0xffffn), true);
        break;
      case 4:
        v.setUint32(at, Number(u & 0xffffffffn), true);
        break;
      default:
        v.setBigUint64(at, u, true);
    }
  }
}
