/**
 * The one-thread capture runner's read buffers in the VM's linear memory: two areas used in turn
 * (`CaptureReaderOptions.buffers`), so that a packet runs from where the capture was read
 * (`PacketSession.runAt`: one `memory.copy` into the packet region) instead of being copied out of a
 * JS buffer. A record too large for an area is read into a plain buffer (the session copies it from
 * there). Growing the memory (a longer packet makes the session allocate) detaches every view of it,
 * the reader's buffer too: {@link LinearReadBuffers.check} then hands the reader the same bytes again.
 * @module
 */
import type { CaptureReader } from '../pcap/index.js';
import type { VmMemory } from '../vm/memory.js';

/** Bytes of each area: four of capture-io's 1 MiB reads, or a record of up to 3 MiB with the next read. */
const AREA_BYTES = 4 << 20;

/** See the module comment. */
export class LinearReadBuffers {
  /** Linear offset of the reader's current buffer, or -1 when it is a plain one (or none yet). */
  base = -1;
  private readonly areas: readonly [number, number];
  private turn = 0;
  /** The memory's view when the reader's buffer was last taken or rebound. */
  private bytes: Uint8Array;

  constructor(
    private readonly memory: VmMemory,
    private readonly size = AREA_BYTES,
  ) {
    this.areas = [memory.allocate(size), memory.allocate(size)];
    this.bytes = memory.bytes;
  }

  /**
   * The reader's next buffer (of at least `bytes` bytes): the area it is not reading from, so that
   * the unread part of a record it copies over stays intact; a plain buffer when they are too small.
   */
  readonly take = (bytes: number): Uint8Array => {
    if (bytes > this.size) {
      this.base = -1;
      return new Uint8Array(bytes);
    }
    const at = this.areas[this.turn]!;
    this.turn ^= 1;
    this.base = at;
    this.bytes = this.memory.bytes;
    return this.bytes.subarray(at, at + this.size);
  };

  /** After anything that may allocate (a run): when the memory grew, point the reader at its bytes' new view. */
  check(reader: CaptureReader): void {
    const bytes = this.memory.bytes;
    if (bytes === this.bytes) return;
    this.bytes = bytes;
    if (this.base >= 0) reader.rebind(bytes.subarray(this.base, this.base + this.size));
  }
}
