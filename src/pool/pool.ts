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
 * `index` (per-CPU maps have one value per worker, `bpf_get_smp_processor_id` is the index). With `jit`,
 * the host compiles the program once while the workers load and posts them the module, which every
 * thread runs (jit/reserved.ts), instead of each compiling its own.
 *
 * Maps whose state lives wholly in the shared memory are shared: arrays, per-CPU arrays, global data,
 * hash and LRU maps (their key index in the shared memory under a lock, maps/shared-key-index.ts) and
 * their per-CPU forms. Program arrays are filled by each worker's own load. Other map types keep state
 * in JavaScript (LPM tries, queues, ring buffers' positions...): an object with one is refused with an
 * EbpfError naming the map (run it in one thread).
 *
 * A batch may ask to be counted by the thread that runs it (PacketBatch.counts, pool/batch-counts.ts):
 * distinct r0 values, instruction counts and the timed packets instead of per-packet arrays to walk.
 * @module
 */
import { ArgumentError, EbpfError, ErrorCode, type ErrorCodeValue } from '../errors.js';
import { loadObject, type BpfObject, type ProgramInfo } from '../elf/loader.js';
import { MapType, mapTypeName } from '../maps/types.js';
import { SharedKeyIndex } from '../maps/shared-key-index.js';
import { HashMap } from '../maps/hash.js';
import { SHARED_SLACK_PER_MAP } from '../maps/line-alloc.js';
import { DEFAULT_LIMITS, type RunLimits } from '../vm/environment.js';
import type { Program } from '../vm/program.js';
import { VmMemory } from '../vm/memory.js';
import { checkBytes, checkInteger, checkObject, checkOptionalBoolean, checkString, argumentError } from '../validate.js';
import { POOL_LOAD_KEYS, checkPort, type BatchBuffers, type BatchExtras, layoutFingerprint, type PoolLoadOptions, type PoolPort, type WorkerReply } from './protocol.js';
import { BatchRing, SlotStatus } from './ring.js';
import { InputArea } from './input-area.js';
import { JitEngine, type JitModule } from '../jit/engine.js';
import { SampleClock, batchExtras, beginBatch, noExtras, runBatchPart, sessionKind, type BatchInProgress, type BatchRunner } from './run-batch.js';
import { CountsRing, ThreadCounts, type BatchCounts } from './batch-counts.js';

/** Options of {@link PacketPool.start}. */
export interface PacketPoolOptions {
  /** The ELF object's bytes. */
  readonly object: Uint8Array;
  /** The program to run: function or section name. */
  readonly program: string;
  /** Number of workers (1 to 64). */
  readonly workers: number;
  /**
   * The host runs batches too, as one more CPU (the last index), whenever its caller lends it the
   * thread with {@link PacketPool.help} (default false). On a machine with as many cores as threads
   * that run packets, a host that only reads and counts would leave a core shared by two threads.
   */
  readonly hostRuns?: boolean;
  /**
   * Whether {@link PacketPool.start} waits until every worker has loaded the object (default true).
   * False: start returns once the host has loaded it, and batches wait in the ring (or the host runs
   * them, with `hostRuns`) while the workers load; a worker that then fails to load fails the pool
   * (every batch out or later is rejected with its error), as one that dies does.
   */
  readonly waitForWorkers?: boolean;
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
  /** Packets a batch may hold at most (default 4096). */
  readonly batchPackets?: number;
  /**
   * Bytes of the shared memory the host puts packets in for the workers (default 32 MiB): batches
   * whose bytes are not there already are copied there, waiting for earlier batches when it is full.
   */
  readonly inputBytes?: number;
  /**
   * Milliseconds the batches out may go without a packet finishing before the pool fails with an
   * EbpfError (a worker that hangs or died without a word; default 30,000). A packet's run is bounded
   * by its instruction budget, so only a broken worker gets here.
   */
  readonly stallMs?: number;
}

/**
 * Packets for one {@link PacketPool.run}: packet i is `data[starts[i], starts[i] + lengths[i])`.
 * Bytes in the pool's shared memory ({@link PacketPool.reserveInput}) are run where they are; others
 * are copied into it when the batch is sent. Every buffer stays the caller's.
 */
export interface PacketBatch {
  readonly data: Uint8Array;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
  readonly count: number;
  /** Arrays to write the results into (at least `count` long each; see {@link BatchBuffers}). */
  readonly results?: BatchBuffers;
  /**
   * Count the results in the thread that runs the batch ({@link BatchResult.counts}): `'also'` besides
   * the per-packet arrays; `'only'` instead of them, which are then written only when the counts cannot
   * stand for them (more distinct r0 values than the counts hold) or the batch has failures, redirects
   * or clones (see {@link BatchResult.perPacket}). Default: no counts.
   */
  readonly counts?: 'also' | 'only';
}

/**
 * What a batch's packets gave, by index in the batch: r0 as 32-bit halves (0 for a failed packet),
 * instructions each run was charged (NaN for a failed one), run time in nanoseconds (the batch's
 * `results` arrays when it had them), and the batch's `data` handed back.
 */
export interface BatchResult extends BatchBuffers, BatchExtras {
  readonly data: Uint8Array;
  /** The counts, when the batch asked for them (PacketBatch.counts). */
  readonly counts?: BatchCounts;
  /** Whether the per-packet arrays hold this batch's results (false only with `counts: 'only'`; they are then left as they were, or empty). */
  readonly perPacket: boolean;
}

const PAGE = 65536;
const DEFAULT_WORKER_BYTES = 8 << 20;
const DEFAULT_BATCH_PACKETS = 4096;
const DEFAULT_INPUT_BYTES = 32 << 20;
const DEFAULT_STALL_MS = 30_000;
/** Workers a pool may have. */
const MAX_WORKERS = 64;
/** Ring slots per worker: one running, the next ones ready, so a worker never waits for the host. */
const SLOTS_PER_WORKER = 3;
/** Bytes of each slot's extras (JSON of failures, trace lines, redirects); more goes by message. */
const EXTRAS_BYTES = 256 << 10;

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

/** {@link PacketPoolOptions} checked (JavaScript callers have no type checker), with their defaults. */
interface StartConfig {
  readonly bytes: Uint8Array;
  readonly programName: string;
  readonly workers: number;
  readonly jit: boolean;
  /** Bytes of each worker's (and the host's) private area. */
  readonly perWorker: number;
  readonly batchPackets: number;
  readonly inputBytes: number;
  readonly stallMs: number;
  readonly load: PoolLoadOptions;
  readonly limits: NonNullable<PacketPoolOptions['limits']>;
  readonly hostRuns: boolean;
  readonly waitForWorkers: boolean;
  /** CPUs: one per worker, and the host's when it runs batches (per-CPU maps have a value for each). */
  readonly cpus: number;
}

function startConfig(options: PacketPoolOptions): StartConfig {
  checkObject(options, 'options');
  const bytes = checkBytes(options.object, 'options.object');
  const programName = checkString(options.program, 'options.program');
  const workers = checkInteger(options.workers, 'options.workers', 1, MAX_WORKERS);
  if (typeof options.createWorker !== 'function') throw argumentError('options.createWorker', 'a function', options.createWorker);
  const jit = checkOptionalBoolean(options.jit, 'options.jit') ?? false;
  const perWorker = options.bytesPerWorker === undefined ? DEFAULT_WORKER_BYTES : checkInteger(options.bytesPerWorker, 'options.bytesPerWorker', PAGE, 1 << 30);
  const batchPackets = options.batchPackets === undefined ? DEFAULT_BATCH_PACKETS : checkInteger(options.batchPackets, 'options.batchPackets', 1, 1 << 20);
  const inputBytes = options.inputBytes === undefined ? DEFAULT_INPUT_BYTES : checkInteger(options.inputBytes, 'options.inputBytes', PAGE, 1 << 30);
  const stallMs = options.stallMs === undefined ? DEFAULT_STALL_MS : checkInteger(options.stallMs, 'options.stallMs', 1, 24 * 3600_000);
  const load: PoolLoadOptions = options.load ?? {};
  for (const k of Object.keys(load)) if (!POOL_LOAD_KEYS.includes(k)) throw new ArgumentError(`options.load.${k} cannot be given to workers (data only: ${POOL_LOAD_KEYS.join(', ')})`);
  const limits = options.limits ?? {};
  const hostRuns = checkOptionalBoolean(options.hostRuns, 'options.hostRuns') ?? false;
  const waitForWorkers = checkOptionalBoolean(options.waitForWorkers, 'options.waitForWorkers') ?? true;
  if (options.setup !== undefined && typeof options.setup !== 'function') throw argumentError('options.setup', 'a function', options.setup);
  return { bytes, programName, workers, jit, perWorker, batchPackets, inputBytes, stallMs, load, limits, hostRuns, waitForWorkers, cpus: workers + (hostRuns ? 1 : 0) };
}

/**
 * The shared memory's layout (byte offsets and sizes; its size in pages): the object's maps and data and the hash maps' key indexes (as a
 * load into a plain memory, not verified, places them) from 0 to `base`, then one private `area` per
 * worker and the host's, then the `input` area.
 */
function sharedLayout(c: StartConfig): { base: number; area: number; input: number; pages: number } {
  const probe = loadObject(c.bytes, { ...c.load, verify: false, cpus: c.cpus });
  checkShareable(probe);
  const area = Math.ceil(c.perWorker / PAGE) * PAGE;
  const input = Math.ceil(c.inputBytes / PAGE) * PAGE;
  // Hash maps keep their key index in a shared memory too, and every map's state there is on cache lines of its own (maps/line-alloc.ts).
  let extra = 0;
  for (const map of probe.maps.values()) {
    extra += SHARED_SLACK_PER_MAP;
    // A hash map's values, reserved in a plain memory as elements come, are reserved at once in a shared one (maps/slot-arena.ts).
    if (map instanceof HashMap) extra += SharedKeyIndex.bytes(map.spec.keySize, map.capacity) + map.deferredBytes;
  }
  const base = Math.ceil((probe.memory.allocated + extra + PAGE) / PAGE) * PAGE;
  const pages = (base + (c.workers + 1) * area + input) / PAGE;
  if (pages > 65536) throw new EbpfError(ErrorCode.UNSUPPORTED, `a shared memory for ${c.workers} workers would need ${pages} pages (over 4 GiB)`);
  return { base, area, input, pages };
}

/**
 * The program compiled for the shared memory, as modules to post to the workers (pool/worker.ts), or
 * none when it cannot be compiled: each thread then compiles it itself and fails with the JIT's error.
 */
function hostModules(engine: JitEngine, program: Program, limits: Partial<RunLimits>): JitModule[] {
  try {
    engine.compile(program, { stackSize: limits.stackSize ?? DEFAULT_LIMITS.stackSize }, { shared: true });
  } catch (e) {
    if (e instanceof EbpfError) return [];
    throw e;
  }
  return engine.modules(program);
}

/** A batch sent and not yet collected. */
interface Pending {
  readonly batch: PacketBatch;
  /** Where its bytes were copied in the input area (-1: run where they were). */
  readonly span: number;
  readonly resolve: (r: BatchResult) => void;
  readonly reject: (e: unknown) => void;
}

// The two per-packet loops of PacketPool.send, apart from it: an async function with a hot loop is
// compiled on stack replacement, and that code was thrown away again at each call's first await.

/** The bytes of `data` (`dataLength` long) the batch's packets take, from `lo` to `hi` (hi <= lo: none). */
function packetSpan(dataLength: number, starts: Int32Array, lengths: Int32Array, count: number): { lo: number; hi: number } {
  let lo = dataLength;
  let hi = 0;
  for (let i = 0; i < count; i++) {
    const s = starts[i]!;
    const n = lengths[i]!;
    if (s >= 0 && n > 0 && s + n <= dataLength) {
      lo = Math.min(lo, s);
      hi = Math.max(hi, s + n);
    }
  }
  return { lo, hi };
}

/** Each packet's linear address (`data[0]` is at `base`) and length into a ring slot's arrays `s` and `l`. */
function placePackets(s: Int32Array, l: Int32Array, base: number, dataLength: number, starts: Int32Array, lengths: Int32Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const start = starts[i]!;
    const length = lengths[i]!;
    const ok = start >= 0 && length >= 0 && start + length <= dataLength;
    // A packet outside the batch's bytes: a start no packet has, which fails that packet alone.
    s[i] = ok ? base + start : -1;
    l[i] = ok ? length : 0;
  }
}

const NO_EXTRAS: BatchExtras = { errors: [], trace: [], traceDropped: 0, redirects: [], clones: [] };
const decoder = new TextDecoder();

/** A started pool; see the module comment. */
export class PacketPool {
  private readonly pending = new Map<number, Pending>();
  /** Extras and errors workers sent by message, by batch. */
  private readonly messages = new Map<number, WorkerReply>();
  private nextSeq = 0;
  /** Batches given to {@link run} and not yet published (they go out in order). */
  private queued = 0;
  private sending: Promise<void> = Promise.resolve();
  private watching = false;
  /** Resolved (and replaced) whenever a batch is collected or the pool fails: what a sender waiting for room waits on. */
  private changed!: Promise<void>;
  private signal!: () => void;
  private failure: EbpfError | undefined;
  private closed = false;
  private readonly modulesTaken: (number | undefined)[] = [];
  /** The batch the host runs in parts ({@link help}'s `most`) while it is not done. */
  private hostBatch: { readonly seq: number; readonly slot: number; readonly run: BatchInProgress } | undefined;
  /** The host's counter of the batches it runs (PacketPoolOptions.hostRuns). */
  private hostCounts: ThreadCounts | undefined;

  private constructor(
    /** The host's copy of the object: its maps are the workers' maps (read them between batches or after). */
    readonly object: BpfObject,
    /** The program that runs. */
    readonly program: ProgramInfo,
    private readonly ports: readonly PoolPort[],
    private readonly ring: BatchRing,
    private readonly memory: VmMemory,
    private readonly area: InputArea,
    private readonly stallMs: number,
    /** The host's runner of batches (PacketPoolOptions.hostRuns). */
    private readonly host: BatchRunner | undefined,
    /** Batch counts beside the ring (pool/batch-counts.ts). */
    private readonly counts: CountsRing,
  ) {
    // Bounded before it is walked: a sparse array of 2^32 - 1 slots would take minutes to visit.
    if (!Array.isArray(ports) || ports.length === 0 || ports.length > MAX_WORKERS) {
      throw argumentError('ports', `an array of 1 to ${MAX_WORKERS} ports`, ports);
    }
    for (let i = 0; i < ports.length; i++) checkPort(ports[i], `ports[${i}]`);
    this.renew();
  }

  private renew(): void {
    this.changed = new Promise((resolve) => (this.signal = resolve));
  }

  private wake(): void {
    const signal = this.signal;
    this.renew();
    signal();
  }

  /** Number of workers. */
  get workers(): number {
    return this.ports.length;
  }

  /** Threads that run packets: the workers, and the host when it runs batches too. */
  get cpus(): number {
    return this.ports.length + (this.host === undefined ? 0 : 1);
  }

  /**
   * How many of the host's compiled modules each worker took instead of compiling the program itself
   * (with `jit`: the host compiles it once while the workers load), by worker index: undefined until
   * the worker said so, and for a pool without `jit`.
   */
  get workerModules(): readonly (number | undefined)[] {
    return this.modulesTaken;
  }

  /** Packets a batch may hold at most. */
  get batchPackets(): number {
    return this.ring.packets;
  }

  /** Start the workers and wait until every one has loaded the object at the host's layout (see {@link PacketPoolOptions.waitForWorkers}). */
  static async start(options: PacketPoolOptions): Promise<PacketPool> {
    const c = startConfig(options);
    // Workers start first: their threads boot while this one loads the object; each is sent the object once it is laid out.
    const ports: PoolPort[] = [];
    const ready: Promise<void>[] = [];
    let made: PacketPool | undefined;
    let ring: BatchRing | undefined;
    try {
      for (let index = 0; index < c.workers; index++) {
        const port = checkPort(options.createWorker(index), `options.createWorker(${index})`);
        ports.push(port);
        ready.push(PacketPool.workerStarted(port, index, () => made));
      }
      const layout = sharedLayout(c);
      const memory = new VmMemory({ shared: true, initialPages: layout.pages });
      const jitEngine = c.jit ? new JitEngine() : undefined;
      const object = loadObject(c.bytes, { ...c.load, memory, cpus: c.cpus, cpu: c.hostRuns ? c.workers : 0, ...(jitEngine !== undefined ? { jitEngine } : {}) });
      if (object.memory.allocated > layout.base) throw new EbpfError(ErrorCode.INTERNAL, 'the object took more memory in the shared memory than in the probe');
      const fingerprint = layoutFingerprint(object);
      // Before any worker loads (and so freezes read-only data): see PacketPoolOptions.setup.
      options.setup?.(object);
      // The host's own bytes come after the workers' (a host may run the object's programs too), then the input area.
      memory.privateArea(layout.base + c.workers * layout.area, layout.area);
      const inputArea = new InputArea(layout.base + (c.workers + 1) * layout.area, layout.input);
      const shape = { slots: SLOTS_PER_WORKER * c.cpus, packets: c.batchPackets, extrasBytes: EXTRAS_BYTES };
      ring = new BatchRing(shape);
      const counts = new CountsRing(shape.slots, shape.packets);
      const info = object.programs.find((p) => p.name === c.programName) ?? object.programs.find((p) => p.section === c.programName);
      if (info === undefined) throw new EbpfError(ErrorCode.NO_PROGRAM, `no program named ${c.programName}; programs: ${object.programs.map((p) => p.name).join(', ') || 'none'}`);
      const { jit, limits, load, cpus } = c;
      for (let index = 0; index < c.workers; index++) {
        ports[index]!.postMessage({ type: 'init', memory: memory.wasm, index, cpus, base: layout.base + index * layout.area, size: layout.area, object: c.bytes.slice(), load, program: info.name, jit, limits, fingerprint, ring: ring.buffer, shape, counts: counts.buffer, jitFollows: jitEngine !== undefined });
      }
      // While the workers load and verify: compile the program once, here, and give them the module (one for every thread: jit/reserved.ts).
      if (jitEngine !== undefined) {
        const modules = hostModules(jitEngine, object.program(info.name).program, limits);
        for (const port of ports) port.postMessage({ type: 'jit', modules });
      }
      const host: BatchRunner | undefined = c.hostRuns
        ? { obj: object, session: object.program(info.name).session(sessionKind(info.type), { jit, limits }), memory, ring, index: c.workers, clock: new SampleClock() }
        : undefined;
      const pool = new PacketPool(object, info, ports, ring, memory, inputArea, c.stallMs, host, counts);
      made = pool;
      if (c.waitForWorkers) await Promise.all(ready);
      else ready.forEach((started, index) => started.catch((e: unknown) => pool.fail(index, e)));
    } catch (e) {
      ring?.close();
      for (const p of ports) p.terminate();
      throw e;
    }
    return made;
  }

  /**
   * Settles when worker `index` on `port` says it loaded the object (rejects when it fails first); later
   * messages and failures go to the pool `pool()` gives once it is made. A rejection is handled at once
   * (the caller awaits it later): a worker failing while the host still loads is no unhandled rejection.
   */
  private static workerStarted(port: PoolPort, index: number, pool: () => PacketPool | undefined): Promise<void> {
    const started = new Promise<void>((resolve, reject) => {
      let ready = false;
      port.onError((e) => (ready ? pool()?.fail(index, e) : reject(e instanceof Error ? e : new EbpfError(ErrorCode.INTERNAL, String(e)))));
      port.onMessage((message) => {
        const m = message as WorkerReply;
        if (!ready) {
          ready = true;
          if (m.type === 'ready') resolve();
          else reject(m.type === 'error' ? new EbpfError(m.code as ErrorCodeValue, `worker ${index}: ${m.message}`) : new EbpfError(ErrorCode.INTERNAL, `worker ${index} did not start`));
          return;
        }
        pool()?.receive(index, m);
      });
    });
    started.catch(() => undefined);
    return started;
  }

  private receive(index: number, m: WorkerReply): void {
    if (m.type === 'ready') return;
    if (m.type === 'jit') {
      this.modulesTaken[index] = m.taken;
      return;
    }
    if (m.type === 'error' && m.seq === undefined) {
      this.fail(index, new EbpfError(m.code as ErrorCodeValue, `worker ${index}: ${m.message}`));
      return;
    }
    if (m.type === 'error' || m.type === 'extras') {
      this.messages.set(m.seq!, m.type === 'error' ? { ...m, message: `worker ${index}: ${m.message}` } : m);
      // The slot may be done already: let the watcher look again.
      this.ring.wakeHost();
    }
  }

  /** A worker died or the pool stopped: every batch still out fails, and so does every later one. */
  private fail(index: number, e: unknown): void {
    this.failure ??= e instanceof EbpfError ? e : new EbpfError(ErrorCode.INTERNAL, `worker ${index} failed: ${e instanceof Error ? e.message : String(e)}`);
    this.ring.close();
    for (const [seq, p] of this.pending) {
      this.pending.delete(seq);
      p.reject(this.failure);
    }
    this.ring.wakeHost();
    this.wake();
  }

  /**
   * Run the oldest published batch no worker has taken yet, here and now (PacketPoolOptions.hostRuns),
   * if more than `leave` are waiting (default 0): true when it ran packets. Its promise settles as a
   * worker's would. A host calls this instead of waiting for a batch's result, so that its thread runs
   * packets while the workers do; leaving one batch per worker keeps a worker that finishes from
   * finding nothing to take (the host, already awake, would otherwise take every batch it publishes).
   *
   * With `most`, at most that many packets run per call: the batch stays the host's, and the next calls
   * go on with it (whatever `leave`) until it is done. A host that also feeds the workers gets back to
   * feeding them between parts: a whole batch run by a host whose code is not yet optimised (tens of
   * milliseconds) would leave the workers without batches. Each call also settles the batches the
   * workers have finished (their promises resolve without waiting for the event loop).
   */
  help(leave = 0, most = Number.POSITIVE_INFINITY): boolean {
    checkInteger(leave, 'leave', 0, Number.MAX_SAFE_INTEGER);
    if (most !== Number.POSITIVE_INFINITY) checkInteger(most, 'most', 1, Number.MAX_SAFE_INTEGER);
    const host = this.host;
    if (host === undefined || this.closed || this.failure !== undefined) return false;
    const ring = this.ring;
    let part = this.hostBatch;
    if (part === undefined) {
      if (ring.unclaimed <= leave) return false;
      const seq = ring.claim(host.index);
      if (seq < 0) return false;
      part = this.hostBatch = { seq, slot: seq % ring.slots, run: beginBatch(host) };
    }
    const { seq, slot, run } = part;
    try {
      if (runBatchPart(host, slot, run, most)) {
        this.hostBatch = undefined;
        const extras = batchExtras(host, run);
        (this.hostCounts ??= new ThreadCounts(this.counts)).count(ring, slot, extras.errors);
        if (noExtras(extras)) ring.finish(slot, SlotStatus.DONE, 0);
        else {
          this.messages.set(seq, { type: 'extras', seq, ...extras });
          ring.finish(slot, SlotStatus.DONE_BY_MESSAGE);
        }
      }
    } catch (e) {
      this.hostBatch = undefined;
      const err = e instanceof EbpfError ? e : undefined;
      this.messages.set(seq, { type: 'error', code: err?.code ?? ErrorCode.INTERNAL, message: `host: ${err?.message ?? (e instanceof Error ? e.message : String(e))}`, seq });
      ring.finish(slot, SlotStatus.FAILED);
    }
    this.collectFinished();
    return true;
  }

  /** Batches given to {@link run} whose results are not back yet. */
  get outstanding(): number {
    return this.pending.size + this.queued;
  }

  /**
   * Run the program on each packet of `batch` (at most {@link batchPackets}), in order, in whichever
   * worker takes it first. Batches go out in the order they are given; their results may come back in
   * another. A packet outside `data` fails alone.
   */
  run(batch: PacketBatch): Promise<BatchResult> {
    if (this.closed) return Promise.reject(new EbpfError(ErrorCode.UNSUPPORTED, 'the pool is closed'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    checkObject(batch, 'batch');
    const { data, starts, lengths, count, results, counts } = batch;
    checkBytes(data, 'batch.data');
    if (counts !== undefined && counts !== 'also' && counts !== 'only') throw argumentError('batch.counts', "'also', 'only' or undefined", counts);
    if (!(starts instanceof Int32Array) || !(lengths instanceof Int32Array)) throw new ArgumentError('batch.starts and batch.lengths must be Int32Arrays');
    checkInteger(count, 'batch.count', 0, Math.min(starts.length, lengths.length, this.ring.packets));
    if (results !== undefined) checkResults(results, count);
    const seq = this.nextSeq++;
    this.queued++;
    return new Promise<BatchResult>((resolve, reject) => {
      this.sending = this.sending.then(() =>
        this.send(seq, { data, starts, lengths, count, ...(results === undefined ? {} : { results }), ...(counts === undefined ? {} : { counts }) }, resolve, reject).catch(reject).finally(() => this.queued--),
      );
    });
  }

  /** Put batch `seq` in its slot once that slot is free, its bytes in the shared memory, and publish it. */
  private async send(seq: number, batch: PacketBatch, resolve: (r: BatchResult) => void, reject: (e: unknown) => void): Promise<void> {
    const ring = this.ring;
    const slot = seq % ring.slots;
    while (this.failure === undefined && (this.pending.has(seq - ring.slots) || ring.status(slot) !== SlotStatus.IDLE)) await this.changed;
    const { data, starts, lengths, count } = batch;
    // Where data[0] is in linear memory: data already there is run in place, other bytes are copied in.
    let base = -1;
    let span = -1;
    if (data.buffer === this.memory.bytes.buffer) base = data.byteOffset;
    else {
      const { lo, hi } = packetSpan(data.length, starts, lengths, count);
      if (hi > lo) {
        if (hi - lo > this.area.size) throw new ArgumentError(`a batch of ${hi - lo} bytes does not fit the pool's input area of ${this.area.size} bytes (options.inputBytes)`);
        while (this.failure === undefined && !this.area.fits(hi - lo)) await this.changed;
        if (this.failure === undefined) {
          span = this.area.reserve(hi - lo);
          this.memory.bytes.set(data.subarray(lo, hi), span);
          base = span - lo;
        }
      }
    }
    if (this.failure !== undefined) {
      if (span >= 0) this.area.release(span);
      throw this.failure;
    }
    placePackets(ring.starts[slot]!, ring.lengths[slot]!, base, data.length, starts, lengths, count);
    this.pending.set(seq, { batch, span, resolve, reject });
    this.counts.request(slot, batch.counts !== undefined);
    ring.publish(seq, count);
    if (!this.watching) void this.watch();
  }

  /**
   * Collect finished batches until none is out: results copied out of their slots, extras decoded,
   * promises settled; fails the pool when nothing moves for `stallMs`.
   */
  private async watch(): Promise<void> {
    this.watching = true;
    const ring = this.ring;
    let mark = -1;
    let since = Date.now();
    try {
      while (this.pending.size > 0 && this.failure === undefined) {
        const seen = ring.completed;
        let moved = seen;
        for (const [seq, p] of this.pending) {
          const slot = seq % ring.slots;
          const status = ring.status(slot);
          moved += status * 7 + ring.progress(slot) * 31;
          if (status >= SlotStatus.DONE) this.collect(seq, slot, status, p);
        }
        if (moved !== mark) {
          mark = moved;
          since = Date.now();
        } else if (Date.now() - since >= this.stallMs) {
          this.stalled();
          break;
        }
        if (this.pending.size === 0) break;
        await ring.waitCompleted(seen, Math.min(this.stallMs, 250));
      }
    } finally {
      this.watching = false;
    }
  }

  /** Collect every batch out that is finished, now (see {@link watch}). */
  private collectFinished(): void {
    const ring = this.ring;
    for (const [seq, p] of this.pending) {
      const slot = seq % ring.slots;
      const status = ring.status(slot);
      if (status >= SlotStatus.DONE) this.collect(seq, slot, status, p);
    }
  }

  private stalled(): void {
    let what = 'no worker took the next batch';
    for (const [seq, p] of this.pending) {
      const slot = seq % this.ring.slots;
      if (this.ring.status(slot) === SlotStatus.RUNNING) {
        const done = this.ring.progress(slot);
        what = `worker ${this.ring.owner(slot)} is on packet ${done + 1} of ${p.batch.count} of a batch`;
        break;
      }
    }
    this.fail(-1, new EbpfError(ErrorCode.INTERNAL, `the worker pool stopped: no packet finished for ${this.stallMs} ms (${what}); a worker hangs or died without an error`));
  }

  private collect(seq: number, slot: number, status: number, p: Pending): void {
    const ring = this.ring;
    let extras = NO_EXTRAS;
    if (status === SlotStatus.DONE) {
      const n = ring.extrasLength(slot);
      // A copy first: a TextDecoder may refuse a view of shared memory.
      if (n > 0) extras = JSON.parse(decoder.decode(ring.extras[slot]!.slice(0, n))) as BatchExtras;
    } else {
      const m = this.messages.get(seq);
      // The message is on its way: the next look collects it.
      if (m === undefined) return;
      this.messages.delete(seq);
      if (m.type === 'extras') {
        const { type: _t, seq: _s, ...rest } = m;
        extras = rest;
      } else if (m.type === 'error') extras = { ...NO_EXTRAS, errors: [{ at: -1, code: m.code, message: m.message, pc: undefined }] };
    }
    const { batch } = p;
    const counts = batch.counts !== undefined && status !== SlotStatus.FAILED ? this.counts.read(slot) : undefined;
    // With counts only, the per-packet arrays are needed where the counts cannot stand for them (PacketBatch.counts).
    const perPacket = counts === undefined || batch.counts === 'also' || counts.r0 === undefined || extras.errors.length > 0 || extras.redirects.length > 0 || extras.clones.length > 0;
    const count = perPacket ? batch.count : 0;
    const out = batch.results;
    const r0Low = out?.r0Low ?? new Int32Array(count);
    const r0High = out?.r0High ?? new Int32Array(count);
    const instructions = out?.instructions ?? new Float64Array(count);
    const ns = out?.ns ?? new Float64Array(count);
    if (perPacket) {
      r0Low.set(ring.r0Low[slot]!.subarray(0, count));
      r0High.set(ring.r0High[slot]!.subarray(0, count));
      instructions.set(ring.instructions[slot]!.subarray(0, count));
      ns.set(ring.ns[slot]!.subarray(0, count));
    }
    if (p.span >= 0) this.area.release(p.span);
    ring.collect(slot);
    this.pending.delete(seq);
    if (status === SlotStatus.FAILED) {
      const e = extras.errors[0]!;
      p.reject(new EbpfError(e.code as ErrorCodeValue, e.message));
    } else p.resolve({ r0Low, r0High, instructions, ns, data: batch.data, ...extras, ...(counts === undefined ? {} : { counts }), perPacket });
    this.wake();
  }

  /**
   * Reserve `bytes` of the pool's input area, the part of the shared memory workers run packets from
   * in place: a view of it (a batch whose `data` is in it is not copied), or undefined when it has no
   * room now (batches out must finish first). Give it back with {@link releaseInput}.
   */
  reserveInput(bytes: number): Uint8Array | undefined {
    checkInteger(bytes, 'bytes', 1, 1 << 30);
    const at = this.area.reserve(bytes);
    return at < 0 ? undefined : this.memory.bytes.subarray(at, at + bytes);
  }

  /** Whether {@link reserveInput} of `bytes` would succeed now. */
  inputFits(bytes: number): boolean {
    checkInteger(bytes, 'bytes', 0, 1 << 30);
    return this.area.fits(bytes);
  }

  /** Give back what {@link reserveInput} returned, once no batch still out reads it. */
  releaseInput(view: Uint8Array): void {
    checkBytes(view, 'view');
    if (view.buffer !== this.memory.bytes.buffer) throw new ArgumentError('releaseInput takes a view reserveInput returned');
    this.area.release(view.byteOffset);
  }

  /**
   * Buffers for a batch of up to `packets` packets and `bytes` bytes, and for its results, all on
   * `SharedArrayBuffer`s (kept for hosts that fill batches in place; {@link reserveInput} is the way
   * to put packets where workers run them without a copy).
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
