/**
 * A pool of workers that run one program of an object on packets over one shared memory, so that its
 * maps are shared as in the kernel (issue 17's "every core"): platform-neutral, the host passes a
 * factory of workers (Node's `worker_threads` in the CLI, Web Workers in a browser) each running
 * {@link servePoolWorker}.
 *
 * Start-up: the object is loaded once into a plain memory to learn how many bytes its maps and global
 * data take; a shared memory of that size plus each worker's own area (and the host's) is made at its
 * final size; the host loads the object into it (the copy whose maps it reads), then every worker loads
 * the same object with the same options into the same memory and must get the same layout (a
 * fingerprint of every region's address, size and offset), takes its own bytes after it, and runs as CPU
 * `index` (per-CPU maps have one value per worker, `bpf_get_smp_processor_id` is the index).
 *
 * Maps whose state lives wholly in the shared memory are shared: arrays, per-CPU arrays, global data,
 * hash and LRU maps (their key index in the shared memory under a lock, maps/shared-key-index.ts) and
 * their per-CPU forms. Program arrays are filled by each worker's own load. Other map types keep state
 * in JavaScript (LPM tries, queues, ring buffers' positions...): an object with one is refused with an
 * EbpfError naming the map (run it in one thread).
 * @module
 */
import { ArgumentError, EbpfError, ErrorCode, type ErrorCodeValue } from '../errors.js';
import { loadObject, type BpfObject, type ProgramInfo } from '../elf/loader.js';
import { MapType, mapTypeName } from '../maps/types.js';
import { SharedKeyIndex } from '../maps/shared-key-index.js';
import type { RunLimits } from '../vm/environment.js';
import { VmMemory } from '../vm/memory.js';
import { checkBytes, checkInteger, checkObject, checkOptionalBoolean, checkString, argumentError } from '../validate.js';
import { POOL_LOAD_KEYS, checkPort, type BatchBuffers, layoutFingerprint, type PoolLoadOptions, type PoolPort, type ResultMessage, type WorkerReply } from './protocol.js';

/** Options of {@link PacketPool.start}. */
export interface PacketPoolOptions {
  /** The ELF object's bytes. */
  readonly object: Uint8Array;
  /** The program to run: function or section name. */
  readonly program: string;
  /** Number of workers (1 to 64). */
  readonly workers: number;
  /** Makes worker `index`, already running {@link servePoolWorker} on its end of the returned port. */
  readonly createWorker: (index: number) => PoolPort;
  /** Load options (data only), the same for the host and every worker. */
  readonly load?: PoolLoadOptions;
  /** Compile to WebAssembly (default: interpret). */
  readonly jit?: boolean;
  readonly limits?: Partial<RunLimits>;
  /** Bytes of the shared memory each worker has for its stack, context, packet and engine state (default 8 MiB). */
  readonly bytesPerWorker?: number;
  /**
   * Called with the host's copy of the object before any worker loads it: set maps and global data
   * here. Read-only data (`.rodata`, `.kconfig`) can only be set here, because each worker's load
   * verifies the program, which freezes it (the verifier reads it as constants, as libbpf freezes it
   * before loading). Workers find these values in the shared memory. An error it throws fails the start.
   */
  readonly setup?: (object: BpfObject) => void;
}

/**
 * Packets for one {@link PacketPool.run}: packet i is `data[starts[i], starts[i] + lengths[i])`.
 * Buffers on a `SharedArrayBuffer` (see {@link PacketPool.sharedBatch}) are shared with the worker and
 * can be filled again once the result is back; others are transferred (unusable here after the call).
 */
export interface PacketBatch {
  readonly data: Uint8Array;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
  readonly count: number;
  /** Arrays to write the results into (at least `count` long each; see {@link BatchBuffers}). */
  readonly results?: BatchBuffers;
}

/** What a batch's packets gave, by index in the batch. */
export type BatchResult = Omit<ResultMessage, 'type' | 'id'>;

const PAGE = 65536;
const DEFAULT_WORKER_BYTES = 8 << 20;

/** Map types whose whole state is in linear memory, so workers can share them. */
const SHARED_TYPES: ReadonlySet<number> = new Set([
  MapType.ARRAY,
  MapType.PERCPU_ARRAY,
  MapType.PROG_ARRAY,
  MapType.HASH,
  MapType.PERCPU_HASH,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
]);

const HASH_TYPES: ReadonlySet<number> = new Set([MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]);

/** Refuse an object with a map workers cannot share yet. */
function checkShareable(obj: BpfObject): void {
  for (const [name, map] of obj.maps) {
    if (!SHARED_TYPES.has(map.spec.type)) {
      throw new EbpfError(
        ErrorCode.UNSUPPORTED,
        `map ${name} (${mapTypeName(map.spec.type)}) is not shared between workers yet (arrays, hash and LRU maps, their per-CPU forms and program arrays are): run it in one thread (--workers 1)`,
      );
    }
  }
}

/** Check a batch's result arrays: the right types, each at least `count` long. */
function checkResults(r: BatchBuffers, count: number): void {
  checkObject(r, 'batch.results');
  const ok = (a: unknown, type: typeof Int32Array | typeof Float64Array): boolean => a instanceof type && a.length >= count;
  if (!ok(r.r0Low, Int32Array) || !ok(r.r0High, Int32Array) || !ok(r.instructions, Float64Array) || !ok(r.ns, Float64Array)) {
    throw new ArgumentError(`batch.results must be r0Low and r0High Int32Arrays and instructions and ns Float64Arrays, each at least batch.count (${count}) long`);
  }
}

interface Pending {
  readonly worker: number;
  readonly resolve: (r: BatchResult) => void;
  readonly reject: (e: unknown) => void;
}

/** A started pool; see the module comment. */
export class PacketPool {
  private readonly pending = new Map<number, Pending>();
  private readonly inFlight: number[];
  private nextId = 0;
  private failure: EbpfError | undefined;
  private closed = false;

  private constructor(
    /** The host's copy of the object: its maps are the workers' maps (read them between batches or after). */
    readonly object: BpfObject,
    /** The program that runs. */
    readonly program: ProgramInfo,
    private readonly ports: readonly PoolPort[],
  ) {
    if (!Array.isArray(ports) || ports.length === 0) throw argumentError('ports', 'a non-empty array of ports', ports);
    ports.forEach((p, i) => checkPort(p, `ports[${i}]`));
    this.inFlight = ports.map(() => 0);
  }

  /** Number of workers. */
  get workers(): number {
    return this.ports.length;
  }

  /** Start the workers and wait until every one has loaded the object at the host's layout. */
  static async start(options: PacketPoolOptions): Promise<PacketPool> {
    checkObject(options, 'options');
    const bytes = checkBytes(options.object, 'options.object');
    const programName = checkString(options.program, 'options.program');
    const workers = checkInteger(options.workers, 'options.workers', 1, 64);
    if (typeof options.createWorker !== 'function') throw argumentError('options.createWorker', 'a function', options.createWorker);
    const jit = checkOptionalBoolean(options.jit, 'options.jit') ?? false;
    const per = options.bytesPerWorker === undefined ? DEFAULT_WORKER_BYTES : checkInteger(options.bytesPerWorker, 'options.bytesPerWorker', PAGE, 1 << 30);
    const load: PoolLoadOptions = options.load ?? {};
    for (const k of Object.keys(load)) if (!POOL_LOAD_KEYS.includes(k)) throw new ArgumentError(`options.load.${k} cannot be given to workers (data only: ${POOL_LOAD_KEYS.join(', ')})`);
    const limits = options.limits ?? {};
    if (options.setup !== undefined && typeof options.setup !== 'function') throw argumentError('options.setup', 'a function', options.setup);
    // How many bytes the object's maps and data take: a load into a plain memory, not verified.
    const probe = loadObject(bytes, { ...load, verify: false, cpus: workers });
    checkShareable(probe);
    const area = Math.ceil(per / PAGE) * PAGE;
    // Hash maps keep their key index in a shared memory too (8-byte aligned each).
    let indexes = 0;
    for (const map of probe.maps.values()) if (HASH_TYPES.has(map.spec.type)) indexes += SharedKeyIndex.bytes(map.spec.keySize, map.spec.maxEntries) + 8;
    const base0 = Math.ceil((probe.memory.allocated + indexes + PAGE) / PAGE) * PAGE;
    const pages = (base0 + (workers + 1) * area) / PAGE;
    if (pages > 65536) throw new EbpfError(ErrorCode.UNSUPPORTED, `a shared memory for ${workers} workers would need ${pages} pages (over 4 GiB)`);
    const memory = new VmMemory({ shared: true, initialPages: pages });
    const object = loadObject(bytes, { ...load, memory, cpus: workers, cpu: 0 });
    if (object.memory.allocated > base0) throw new EbpfError(ErrorCode.INTERNAL, 'the object took more memory in the shared memory than in the probe');
    const fingerprint = layoutFingerprint(object);
    // Before any worker loads (and so freezes read-only data): see PacketPoolOptions.setup.
    options.setup?.(object);
    // The host's own bytes come after the workers' (a host may run the object's programs too).
    memory.privateArea(base0 + workers * area, area);
    const info = object.programs.find((p) => p.name === programName) ?? object.programs.find((p) => p.section === programName);
    if (info === undefined) throw new EbpfError(ErrorCode.NO_PROGRAM, `no program named ${programName}; programs: ${object.programs.map((p) => p.name).join(', ') || 'none'}`);
    const ports: PoolPort[] = [];
    const ready: Promise<void>[] = [];
    let made: PacketPool | undefined;
    try {
      for (let index = 0; index < workers; index++) {
        const port = checkPort(options.createWorker(index), `options.createWorker(${index})`);
        ports.push(port);
        ready.push(
          new Promise<void>((resolve, reject) => {
            let started = false;
            port.onError((e) => (started ? made?.fail(index, e) : reject(e instanceof Error ? e : new EbpfError(ErrorCode.INTERNAL, String(e)))));
            port.onMessage((message) => {
              const m = message as WorkerReply;
              if (!started) {
                started = true;
                if (m.type === 'ready') resolve();
                else reject(m.type === 'error' ? new EbpfError(m.code as ErrorCodeValue, `worker ${index}: ${m.message}`) : new EbpfError(ErrorCode.INTERNAL, `worker ${index} did not start`));
                return;
              }
              made?.receive(index, m);
            });
          }),
        );
        port.postMessage({ type: 'init', memory: memory.wasm, index, workers, base: base0 + index * area, size: area, object: bytes.slice(), load, program: info.name, jit, limits, fingerprint });
      }
      made = new PacketPool(object, info, ports);
      await Promise.all(ready);
    } catch (e) {
      for (const p of ports) p.terminate();
      throw e;
    }
    return made;
  }

  private receive(index: number, m: WorkerReply): void {
    if (m.type === 'ready') return;
    const id = m.type === 'result' ? m.id : m.id;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (m.type === 'error') {
      const e = new EbpfError(m.code as ErrorCodeValue, `worker ${index}: ${m.message}`);
      if (p === undefined) this.fail(index, e);
      else {
        this.pending.delete(id!);
        this.inFlight[index]!--;
        p.reject(e);
      }
      return;
    }
    if (p === undefined) return;
    this.pending.delete(m.id);
    this.inFlight[index]!--;
    const { type: _t, id: _i, ...result } = m;
    p.resolve(result);
  }

  /** A worker died: every batch still out fails, and so does every later one. */
  private fail(index: number, e: unknown): void {
    this.failure ??= e instanceof EbpfError ? e : new EbpfError(ErrorCode.INTERNAL, `worker ${index} failed: ${e instanceof Error ? e.message : String(e)}`);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(this.failure);
    }
  }

  /** Batches sent to workers and not answered yet. */
  get outstanding(): number {
    return this.pending.size;
  }

  /**
   * Run the program on each packet of `batch` in one worker (the least busy), in order; the batch's
   * buffers move to the worker (they are unusable here after the call).
   */
  run(batch: PacketBatch): Promise<BatchResult> {
    if (this.closed) return Promise.reject(new EbpfError(ErrorCode.UNSUPPORTED, 'the pool is closed'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    checkObject(batch, 'batch');
    const { data, starts, lengths, count, results } = batch;
    checkBytes(data, 'batch.data');
    if (!(starts instanceof Int32Array) || !(lengths instanceof Int32Array)) throw new ArgumentError('batch.starts and batch.lengths must be Int32Arrays');
    checkInteger(count, 'batch.count', 0, Math.min(starts.length, lengths.length));
    if (results !== undefined) checkResults(results, count);
    let worker = 0;
    for (let i = 1; i < this.inFlight.length; i++) if (this.inFlight[i]! < this.inFlight[worker]!) worker = i;
    const id = this.nextId++;
    this.inFlight[worker]!++;
    return new Promise<BatchResult>((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      const buffers = [data.buffer, starts.buffer, lengths.buffer];
      if (results !== undefined) buffers.push(results.r0Low.buffer, results.r0High.buffer, results.instructions.buffer, results.ns.buffer);
      const transfer = buffers.filter((b, i, all): b is ArrayBuffer => b instanceof ArrayBuffer && all.indexOf(b) === i);
      this.ports[worker]!.postMessage({ type: 'batch', id, data, starts, lengths, count, ...(results === undefined ? {} : { results }) }, transfer);
    });
  }

  /**
   * Buffers for a batch of up to `packets` packets and `bytes` bytes, and for its results, all on
   * `SharedArrayBuffer`s: nothing is copied or transferred when the batch goes to a worker and comes
   * back, and the same buffers can be filled again once its result is read (the fast way to feed a pool).
   */
  static sharedBatch(packets: number, bytes: number): { data: Uint8Array; starts: Int32Array; lengths: Int32Array; results: BatchBuffers } {
    checkInteger(packets, 'packets', 1, 1 << 24);
    checkInteger(bytes, 'bytes', 1, 1 << 30);
    return {
      data: new Uint8Array(new SharedArrayBuffer(bytes)),
      starts: new Int32Array(new SharedArrayBuffer(4 * packets)),
      lengths: new Int32Array(new SharedArrayBuffer(4 * packets)),
      results: {
        r0Low: new Int32Array(new SharedArrayBuffer(4 * packets)),
        r0High: new Int32Array(new SharedArrayBuffer(4 * packets)),
        instructions: new Float64Array(new SharedArrayBuffer(8 * packets)),
        ns: new Float64Array(new SharedArrayBuffer(8 * packets)),
      },
    };
  }

  /** Stop every worker (batches still out are rejected). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(-1, new EbpfError(ErrorCode.UNSUPPORTED, 'the pool was closed'));
    for (const p of this.ports) p.terminate();
  }
}
