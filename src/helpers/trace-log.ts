/**
 * The `bpf_trace_printk` output a loaded object keeps for its host: a bounded buffer of lines, like the
 * kernel's trace buffer. Lines that do not fit until the host drains it are dropped and counted (the
 * kernel's trace output is lossy too: by default it overwrites the oldest lines; this keeps the oldest,
 * which usually explain what follows).
 * @module
 */

/** Bytes of trace output kept until drained by default: the kernel's default per-CPU trace buffer (`buffer_size_kb` 1408). */
export const DEFAULT_TRACE_BUFFER_BYTES = 1408 * 1024;

/** Characters of one line at most: the kernel formats `bpf_trace_printk` into a 1024-byte buffer (with its NUL). */
export const TRACE_LINE_MAX = 1023;

/** Bytes each line costs besides its text, about what a kernel trace entry's header takes. */
const LINE_OVERHEAD = 16;

/** A bounded buffer of trace lines. */
export class TraceLog {
  /** The lines kept, oldest first. */
  readonly lines: string[] = [];
  /** Lines dropped because the buffer was full. */
  dropped = 0;
  private bytes = 0;

  /** @param capacity bytes of lines kept (each line costs its length plus a small header) */
  constructor(readonly capacity: number = DEFAULT_TRACE_BUFFER_BYTES) {}

  /** Keep a line if it fits; false (and counted) when it does not. */
  push(line: string): boolean {
    // A host that emptied `lines` itself freed the space.
    if (this.lines.length === 0) this.bytes = 0;
    const cost = line.length + LINE_OVERHEAD;
    if (this.bytes + cost > this.capacity) {
      this.dropped++;
      return false;
    }
    this.lines.push(line);
    this.bytes += cost;
    return true;
  }

  /** Take every line kept so far, oldest first, freeing the buffer. */
  drain(): string[] {
    this.bytes = 0;
    return this.lines.splice(0, this.lines.length);
  }
}
