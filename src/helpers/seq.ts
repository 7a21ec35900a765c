/**
 * The `seq_file` of BPF iterator programs (`iter/…` sections) and the helpers that write to it
 * (bpf-helpers(7)):
 * - `bpf_seq_write` (127): appends `len` bytes;
 * - `bpf_seq_printf` (126): appends what `bpf_snprintf` would format (the same format rules and
 *   errors, bprintf.ts), without a NUL;
 * - both return -EOVERFLOW when the output does not fit, and write nothing. As with the kernel's
 *   `seq_file`, once a run has overflowed every later write of that run fails too, and what the run had
 *   written is taken back when it ends (the kernel shows that object again in the next `read()`): the
 *   run's result says so, and the host drains the output and runs the program on the same object again.
 * - `bpf_seq_printf_btf` (150) appends what `bpf_snprintf_btf` gives (helpers/btf-print.ts).
 *
 * The host reads the output as a {@link SeqOutput}: bounded ({@link DEFAULT_SEQ_BYTES}, at most
 * {@link MAX_SEQ_BYTES}), kept across runs until drained, as one `read()` of an iterator's file
 * collects what the program printed for several objects.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import { Errno, negErrno } from '../maps/types.js';
import { checkBytes, checkInteger } from '../validate.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { bprintf, bprintfArgs } from './bprintf.js';
import type { TaskRunHost } from './task.js';

/** Seq helper ids (uapi `linux/bpf.h`). */
export const SeqHelper = { SEQ_PRINTF: 126, SEQ_WRITE: 127 } as const;

/** Bytes a {@link SeqOutput} holds by default: the kernel's iterator buffer (8 pages of 4 KiB). */
export const DEFAULT_SEQ_BYTES = 32 * 1024;

/** Most bytes a {@link SeqOutput} may hold. */
export const MAX_SEQ_BYTES = 64 * 1024 * 1024;

/**
 * Where the `struct seq_file` of an iterator run is, as `ctx->meta->seq` gives it to the program (an
 * address in x86-64's direct map that nothing maps: the seq helpers take it as a handle).
 */
export const SEQ_FILE_ADDRESS = 0xffff_8880_0500_0000n;

const DECODER = new TextDecoder();

/**
 * What iterator programs print, as the reader of the iterator's file would read it: bytes appended
 * run after run, at most `capacity` of them; a write that does not fit is refused whole.
 */
export class SeqOutput {
  /** Most bytes the output holds. */
  readonly capacity: number;
  private buffer: Uint8Array;
  private used = 0;

  /** @param capacity most bytes held, from 1 to {@link MAX_SEQ_BYTES} (default {@link DEFAULT_SEQ_BYTES}). */
  constructor(capacity: number = DEFAULT_SEQ_BYTES) {
    this.capacity = checkInteger(capacity, 'capacity', 1, MAX_SEQ_BYTES);
    // Grown on demand: a large capacity costs nothing until it is used.
    this.buffer = new Uint8Array(Math.min(this.capacity, 4096));
  }

  /** Bytes held. */
  get length(): number {
    return this.used;
  }

  /** A copy of the bytes held, from offset `from` (default 0). */
  bytes(from = 0): Uint8Array {
    checkInteger(from, 'from', 0, MAX_SEQ_BYTES);
    return this.buffer.slice(Math.min(from, this.used), this.used);
  }

  /** The bytes held as UTF-8 text (invalid sequences become U+FFFD). */
  text(): string {
    return DECODER.decode(this.buffer.subarray(0, this.used));
  }

  /** A copy of the bytes held, which are then dropped. */
  drain(): Uint8Array {
    const out = this.bytes();
    this.used = 0;
    return out;
  }

  /** Drop every byte held. */
  clear(): void {
    this.used = 0;
  }

  /** Append `bytes` if they all fit (true), else append nothing (false). */
  append(bytes: Uint8Array): boolean {
    checkBytes(bytes, 'bytes');
    if (bytes.length > this.capacity - this.used) return false;
    const need = this.used + bytes.length;
    if (need > this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.capacity, Math.max(need, 2 * this.buffer.length)));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.used);
    this.used = need;
    return true;
  }

  /** Drop the bytes after the first `length` (a length at or past {@link length} changes nothing). */
  truncate(length: number): void {
    checkInteger(length, 'length', 0, MAX_SEQ_BYTES);
    if (length < this.used) this.used = length;
  }
}

/** One iterator run's writes to its output: the kernel's overflow rule (see the module comment). */
export class SeqRun {
  private readonly start: number;
  /** Whether a write of this run did not fit. */
  overflow = false;

  /** @param output where the run's bytes go */
  constructor(readonly output: SeqOutput) {
    this.start = output.length;
  }

  /** Append `bytes`: 0, or -EOVERFLOW (nothing written) when they do not fit or the run overflowed before. */
  write(bytes: Uint8Array): number {
    if (!this.overflow && this.output.append(bytes)) return 0;
    this.overflow = true;
    return -Errno.EOVERFLOW;
  }

  /** What the run wrote (a copy), once it ended: nothing after an overflow or a failed run. */
  written: Uint8Array = new Uint8Array(0);

  /**
   * End the run: `completed` false for a run that failed. The output of a run that overflowed or
   * failed is taken back, so that the output holds whole objects only.
   */
  end(completed: boolean): void {
    if (this.overflow || !completed) this.output.truncate(this.start);
    else this.written = this.output.bytes(this.start);
  }
}

const size32 = (r: bigint): number => Number(r & 0xffff_ffffn);

/** The run's seq writer, when `m` is its `seq_file`; an E_HELPER error otherwise. */
export function seqOf(m: bigint, ctx: HelperContext, name: string): SeqRun {
  const run = (ctx.host as TaskRunHost | undefined)?.tracing?.seq;
  if (run === undefined) {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: only iterator programs (iter/… sections, run with runEvent) have a seq_file`, { pc: ctx.pc, helper: name });
  }
  if (m !== SEQ_FILE_ADDRESS) {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: 0x${m.toString(16)} is not the run's seq_file (ctx->meta->seq, 0x${SEQ_FILE_ADDRESS.toString(16)})`, { pc: ctx.pc, helper: name });
  }
  return run;
}

/** The seq helpers, bound to the object's memory. */
export function seqHelpers(memory: VmMemory): Map<number, HelperEntry> {
  const write: HelperFunction = (r1, r2, r3, _4, _5, ctx) => {
    const run = seqOf(r1, ctx, 'bpf_seq_write');
    const len = size32(r3);
    return negErrno(-run.write(len === 0 ? new Uint8Array(0) : memory.slice(r2, len, false, ctx.pc)));
  };
  const printf: HelperFunction = (r1, r2, r3, r4, r5, ctx) => {
    const run = seqOf(r1, ctx, 'bpf_seq_printf');
    const a = bprintfArgs(memory, r2, size32(r3), r4, size32(r5), ctx.pc);
    if (typeof a === 'number') return negErrno(-a);
    const out = bprintf(a.fmt, a.args, memory, ctx.host);
    if (typeof out === 'number') return negErrno(-out);
    return negErrno(-run.write(Uint8Array.from(out)));
  };
  return new Map([
    [SeqHelper.SEQ_PRINTF, { fn: printf, name: 'bpf_seq_printf', unwindOnZero: false }],
    [SeqHelper.SEQ_WRITE, { fn: write, name: 'bpf_seq_write', unwindOnZero: false }],
  ]);
}
