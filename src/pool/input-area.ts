/**
 * The part of a pool's shared linear memory the host puts packets in for workers to run in place (a
 * capture read straight into it, or a batch copied there): a first-in, first-out allocator over
 * `[base, base + size)`. Spans are handed out in order after the newest, wrapping to the start when
 * the end has no room; a span is free once released and every span before it is too, which is how
 * batches finish (a capture's buffers are read and counted in order). It never grows: when there is no
 * room, {@link reserve} says so and the caller waits for batches to finish (or copies elsewhere).
 * @module
 */

interface Span {
  readonly start: number;
  readonly end: number;
  released: boolean;
}

/** See the module comment. */
export class InputArea {
  private readonly spans: Span[] = [];
  private head = 0;

  constructor(
    /** Linear-memory offset of the area. */
    readonly base: number,
    /** Its bytes. */
    readonly size: number,
  ) {}

  /** Offset (from {@link base}) where `bytes` would go now, or -1 when they do not fit. */
  private place(bytes: number): number {
    if (bytes > this.size) return -1;
    if (this.head === this.spans.length) return 0;
    const first = this.spans[this.head]!.start;
    const last = this.spans[this.spans.length - 1]!;
    if (last.start >= first) {
      // Not wrapped: after the newest, else from the start up to the oldest.
      if (last.end + bytes <= this.size) return last.end;
      return bytes <= first ? 0 : -1;
    }
    return last.end + bytes <= first ? last.end : -1;
  }

  /** Whether `bytes` fit now. */
  fits(bytes: number): boolean {
    return this.place(bytes) >= 0;
  }

  /** Reserve `bytes` (8-byte aligned start): their linear-memory offset, or -1 when they do not fit now. */
  reserve(bytes: number): number {
    const n = Math.ceil(bytes / 8) * 8;
    const at = this.place(n);
    if (at < 0) return -1;
    if (this.head === this.spans.length) {
      this.spans.length = 0;
      this.head = 0;
    }
    this.spans.push({ start: at, end: at + n, released: false });
    return this.base + at;
  }

  /** Release the span that starts at linear-memory offset `at` (from {@link reserve}). */
  release(at: number): void {
    const start = at - this.base;
    for (let i = this.head; i < this.spans.length; i++) {
      const s = this.spans[i]!;
      if (s.start === start && !s.released) {
        s.released = true;
        while (this.head < this.spans.length && this.spans[this.head]!.released) this.head++;
        if (this.head > 1024) {
          this.spans.splice(0, this.head);
          this.head = 0;
        }
        return;
      }
    }
  }

  /** Spans reserved and not yet free. */
  get live(): number {
    return this.spans.length - this.head;
  }
}
