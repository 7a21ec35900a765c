/**
 * Copies of VM memory handed to callers (an XDP run's packet and metadata), carved from shared slabs.
 *
 * V8 keeps a typed array of more than 64 bytes in a backing store of its own, and allocating one costs
 * about half a microsecond — more than running a typical packet program. A view of an existing
 * `ArrayBuffer` costs a few tens of nanoseconds, so copies are views of 64 KiB slabs, each filled once
 * (Node's `Buffer` pool does the same for small buffers). A copy therefore shares its `buffer` with
 * others: use it through its own view (`byteOffset`, `length`), and note that one live copy keeps its
 * whole slab alive.
 * @module
 */

const SLAB_SIZE = 64 * 1024;
/** Larger copies get their own buffer: they are rare, and would waste most of a slab. */
const LARGEST_SHARED = SLAB_SIZE / 8;

let slab = new ArrayBuffer(0);
let used = 0;

/** A copy of `bytes[start, end)` that the caller owns (its contents never change behind its back). */
export function copyOut(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const length = end - start;
  if (length > LARGEST_SHARED) return bytes.slice(start, end);
  if (used + length > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const out = new Uint8Array(slab, used, length);
  out.set(bytes.subarray(start, end));
  used += (length + 7) & ~7; // keep copies 8-byte aligned, for callers' DataViews and wider views
  return out;
}
