/** The packets of test/fixtures/elf/big_hash.c and operation sequences for them (see its comment). */

/** One run: [operation, map (0 `big`, 1 `big_lru`), key, word]. */
export type BigOp = readonly [number, number, number, bigint];

/** The packet of one operation. */
export function bigPacket(op: number, which: number, key: number, word: bigint): Uint8Array {
  const d = new Uint8Array(32);
  d[0] = op;
  d[1] = which;
  const v = new DataView(d.buffer);
  v.setUint32(4, key, true);
  v.setBigUint64(8, word, true);
  return d;
}

/** The result an operation left in its packet. */
export function bigResult(d: Uint8Array): bigint {
  return new DataView(d.buffer, d.byteOffset, d.length).getBigInt64(16, true);
}

/**
 * Inserts, lookups (each adding 1 through the pointer), deletes, the flags' errors, on both maps; then
 * 128 keys in two runs, and a lookup whose pointer is written after 64 more inserts, which cross from
 * the map's first chunk of memory into its second (maps/slot-arena.ts: 163 values of 1608 bytes).
 */
export const BIG_OPS: readonly BigOp[] = [
  [1, 0, 5, 0n], [0, 0, 5, 42n], [1, 0, 5, 0n], [1, 0, 5, 0n], [3, 0, 5, 1n], [2, 0, 5, 0n], [2, 0, 5, 0n], [1, 0, 5, 0n],
  [0, 0, 0xffff_ffff, 7n], [1, 0, 0xffff_ffff, 0n], [0, 0, 0xffff_ffff, 9n], [1, 0, 0xffff_ffff, 0n],
  [4, 0, 1000, 3n], [4, 0, 1064, 3n], [1, 0, 1000, 0n], [1, 0, 1127, 0n], [1, 0, 1128, 0n], [4, 0, 1100, 0n],
  [5, 0, 1000, 500n], [1, 0, 1000, 0n], [1, 0, 1564, 0n], [1, 0, 1565, 0n], [4, 0, 2000, 8n], [1, 0, 2063, 0n],
  [2, 0, 1000, 0n], [1, 0, 1000, 0n], [0, 0, 1000, 11n], [1, 0, 1000, 0n], [1, 0, 1501, 0n],
  [0, 1, 1, 1n], [1, 1, 1, 0n], [4, 1, 100, 5n], [4, 1, 200, 5n], [1, 1, 163, 0n], [5, 1, 100, 1000n], [1, 1, 100, 0n],
  [1, 1, 1164, 0n], [2, 1, 1, 0n], [1, 1, 1, 0n],
];

/** Fill `big` resized to 100: the 101st insert fails (-E2BIG); a delete makes room for one more. */
export const FULL_OPS: readonly BigOp[] = [
  [4, 0, 0, 1n], [4, 0, 64, 1n], [1, 0, 99, 0n], [1, 0, 100, 0n], [0, 0, 500, 1n], [0, 0, 5, 2n], [3, 0, 5, 2n],
  [2, 0, 7, 0n], [0, 0, 500, 1n], [0, 0, 501, 1n], [1, 0, 500, 0n],
];
