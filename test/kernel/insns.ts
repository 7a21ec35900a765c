/**
 * A tiny instruction encoder for the kernel tests, independent of tsbpf's assembler so that the
 * programs compared are exactly the bytes written here.
 */

/** One 8-byte instruction. */
export function ins(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = code;
  b[1] = (dst & 15) | ((src & 15) << 4);
  v.setInt16(2, off, true);
  v.setInt32(4, imm | 0, true);
  return b;
}

/** Concatenate instructions. */
export function prog(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const mov64 = (dst: number, imm: number): Uint8Array => ins(0xb7, dst, 0, 0, imm);
export const mov64x = (dst: number, src: number): Uint8Array => ins(0xbf, dst, src, 0, 0);
export const exit = (): Uint8Array => ins(0x95, 0, 0, 0, 0);
/** `lddw dst, value` (two slots). */
export function lddw(dst: number, value: bigint): Uint8Array {
  const v = BigInt.asUintN(64, value);
  return prog(ins(0x18, dst, 0, 0, Number(v & 0xffffffffn)), ins(0, 0, 0, 0, Number(v >> 32n)));
}
/** LD_ABS (`ind` false) / LD_IND of 1, 2 or 4 bytes. */
export function ldPacket(ind: boolean, size: 1 | 2 | 4, src: number, imm: number): Uint8Array {
  const sz = size === 1 ? 0x10 : size === 2 ? 0x08 : 0x00;
  return ins((ind ? 0x40 : 0x20) | sz, 0, ind ? src : 0, 0, imm);
}
