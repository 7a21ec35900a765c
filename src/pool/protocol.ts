/**
 * What a packet pool's host and its workers say to each other (structured-clone messages over a
 * {@link PoolPort}), the options a worker loads the object with, and the layout fingerprint that proves
 * a worker laid the object out at the host's offsets in the shared memory. Batches themselves go
 * through the shared ring (pool/ring.ts), not messages.
 * @module
 */
import type { BpfObject, LoadOptions } from '../elf/loader.js';
import type { RunLimits } from '../vm/environment.js';
import type { Redirect } from '../helpers/packet.js';
import type { SkbClone } from '../helpers/clone.js';
import { argumentError } from '../validate.js';
import type { RingShape } from './ring.js';
import type { JitModule } from '../jit/engine.js';

/**
 * One end of a message channel to a worker (a Web Worker, a Node `worker_threads` Worker, or a test
 * double): what a {@link PacketPool} needs of it.
 */
export interface PoolPort {
  /** Send a message (`transfer`: buffers whose ownership moves with it). */
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  /** Register the handler of every message from the other end. */
  onMessage(handler: (message: unknown) => void): void;
  /** Register the handler of the worker's failure (an uncaught error; the worker is gone). */
  onError(handler: (error: unknown) => void): void;
  /** Stop the worker. */
  terminate(): void;
}

/** Check that `port` has a {@link PoolPort}'s functions (an ArgumentError naming `name` otherwise). */
export function checkPort(port: unknown, name: string): PoolPort {
  const p = port as Record<string, unknown> | null;
  if (typeof p !== 'object' || p === null || !['postMessage', 'onMessage', 'onError', 'terminate'].every((k) => typeof p[k] === 'function')) {
    throw argumentError(name, 'a port (postMessage, onMessage, onError and terminate functions)', port);
  }
  return port as PoolPort;
}

/** Load options a worker can be given (data only: functions and engines cannot cross to a worker). */
export type PoolLoadOptions = Pick<LoadOptions, 'verify' | 'programTypes' | 'mapSizes' | 'mapValueSizes' | 'maxMapBytes' | 'fib' | 'kconfig' | 'ksyms' | 'kallsyms' | 'link' | 'targetBtf' | 'traceBufferBytes'>;

/** The load option names a pool accepts (see {@link PoolLoadOptions}). */
export const POOL_LOAD_KEYS: readonly string[] = ['verify', 'programTypes', 'mapSizes', 'mapValueSizes', 'maxMapBytes', 'fib', 'kconfig', 'ksyms', 'kallsyms', 'link', 'targetBtf', 'traceBufferBytes'];

/** Host to worker, first: attach to the memory and the batch ring, and load the object. */
export interface InitMessage {
  readonly type: 'init';
  readonly memory: WebAssembly.Memory;
  /** This worker's index: its CPU for per-CPU maps and `bpf_get_smp_processor_id`. */
  readonly index: number;
  /** CPUs of the pool: the workers, and the host when it runs batches. */
  readonly cpus: number;
  /** This worker's own bytes of the shared memory. */
  readonly base: number;
  readonly size: number;
  readonly object: Uint8Array;
  readonly load: PoolLoadOptions;
  readonly program: string;
  readonly jit: boolean;
  readonly limits: Partial<RunLimits>;
  /** The host's {@link layoutFingerprint}: the worker's must be the same. */
  readonly fingerprint: string;
  /** The batch ring (pool/ring.ts) and its shape. */
  readonly ring: SharedArrayBuffer;
  readonly shape: RingShape;
  /** The batches' counts beside the ring (pool/batch-counts.ts). */
  readonly counts: SharedArrayBuffer;
  /**
   * A {@link JitMessage} follows with the host's compiled program: the worker loads and verifies the
   * object meanwhile, and takes no batch before it has the message.
   */
  readonly jitFollows?: boolean;
}

/**
 * Host to worker, after an {@link InitMessage} with `jitFollows`: the program's modules as the host
 * compiled them for the shared memory (empty when it could not), which the worker runs instead of
 * compiling its own (its isolate then skips the JIT's work and V8's compile of the same bytes).
 */
export interface JitMessage {
  readonly type: 'jit';
  readonly modules: readonly JitModule[];
}

/**
 * Arrays a batch's per-packet results are written into (each at least the batch's count long): the
 * pool copies them out of its ring's slot when the batch is done.
 */
export interface BatchBuffers {
  readonly r0Low: Int32Array;
  readonly r0High: Int32Array;
  readonly instructions: Float64Array;
  /**
   * Each packet's run time in nanoseconds, or NaN where it was not timed: each thread times its first
   * 1000 packets, then about one in 16 at random gaps (a clock read costs about as much as a short
   * program's run); a timed packet stands for itself and the untimed ones before it.
   */
  readonly ns: Float64Array;
}

/** A packet of a batch whose run failed. */
export interface PacketError {
  /** Index in the batch. */
  readonly at: number;
  readonly code: string;
  readonly message: string;
  readonly pc: number | undefined;
}

/** What a batch gave besides numbers: in the ring slot's extras bytes as JSON, or an {@link ExtrasMessage}. */
export interface BatchExtras {
  readonly errors: readonly PacketError[];
  /** bpf_trace_printk lines, with the index in the batch of the packet that printed them. */
  readonly trace: readonly { readonly at: number; readonly line: string }[];
  /** Trace lines the object's buffer dropped during the batch. */
  readonly traceDropped: number;
  /** Where the packets a redirect helper chose a target for were sent (by index in the batch). */
  readonly redirects: readonly { readonly at: number; readonly redirect: Redirect }[];
  /** `bpf_clone_redirect` copies (by index in the batch), and copies past those that were not kept. */
  readonly clones: readonly { readonly at: number; readonly clones: readonly SkbClone[]; readonly dropped: number }[];
}

/** Worker to host: batch `seq`'s extras, when they did not fit its slot. */
export interface ExtrasMessage extends BatchExtras {
  readonly type: 'extras';
  readonly seq: number;
}

/** Worker to host: loaded, failed (at start, or on batch `seq`), or a batch's extras. */
export type WorkerReply =
  | { readonly type: 'ready'; readonly fingerprint: string }
  /** After a {@link JitMessage}: how many of the host's modules the worker took. */
  | { readonly type: 'jit'; readonly taken: number }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly seq?: number }
  | ExtrasMessage;

/**
 * Where a loaded object's maps and global data are: every region's name, address, size and linear
 * offset, and the linear bytes allocated. Two loads with the same fingerprint share the same bytes.
 */
export function layoutFingerprint(obj: BpfObject): string {
  const parts = obj.memory.regions.map((r) => `${r.name}@${r.vaddr.toString(16)}+${r.size}:${r.offset}/${r.stride}`);
  return `${parts.join(',')};${obj.memory.allocated}`;
}
