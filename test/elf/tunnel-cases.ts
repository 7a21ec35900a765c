/** Requests for tc_meta.c's tunnel_key program (a set, then a get), compared with the kernel. */

export interface TunnelCase {
  readonly name: string;
  /** Set first, with this size and flags (else only get). */
  readonly set?: { readonly size: number; readonly flags: number; readonly label?: number; readonly ext?: number };
  readonly getSize: number;
  readonly getFlags: number;
}

export const TUNNEL_CASES: readonly TunnelCase[] = [
  ...[1, 4, 24, 28, 43, 44, 48].map((getSize) => ({ name: `no metadata, get size ${getSize}`, getSize, getFlags: 0 })),
  ...[1, 2, 16].map((getFlags) => ({ name: `no metadata, get flags ${getFlags}`, getSize: 44, getFlags })),
  ...[
    [44, 0, 44, 0], [24, 0, 44, 0], [28, 0, 44, 0], [44, 0, 24, 0], [44, 0, 28, 0], [44, 1, 44, 0], [44, 1, 44, 1],
    [44, 0, 44, 1], [44, 2, 44, 16], [44, 4, 44, 16], [44, 8, 44, 16], [44, 16, 44, 16], [44, 14, 44, 0], [44, 32, 44, 0],
    [40, 0, 44, 0], [48, 0, 44, 0], [44, 0, 48, 0], [44, 0, 43, 0], [44, 0, 44, 2],
  ].map(([size, flags, getSize, getFlags]) => ({ name: `set ${size}/${flags}, get ${getSize}/${getFlags}`, set: { size: size!, flags: flags! }, getSize: getSize!, getFlags: getFlags! })),
  { name: 'IPv4 with a flow label', set: { size: 44, flags: 0, label: 5 }, getSize: 44, getFlags: 0 },
  { name: 'IPv6 with a flow label', set: { size: 44, flags: 1, label: 5 }, getSize: 44, getFlags: 1 },
  { name: 'IPv6 label over 20 bits', set: { size: 44, flags: 1, label: 0x1fffff }, getSize: 44, getFlags: 1 },
  { name: 'tunnel_ext set', set: { size: 44, flags: 0, ext: 1 }, getSize: 44, getFlags: 0 },
];

/** The packet of a case (see tc_meta.c tunnel_key). */
export function tunnelPacket(c: TunnelCase): Uint8Array {
  const b = new Uint8Array(144);
  const v = new DataView(b.buffer);
  if (c.set !== undefined) {
    v.setUint32(0, 0x12345678, true);
    b.set([192, 168, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 4);
    b[20] = 0x10;
    b[21] = 64;
    v.setUint16(22, c.set.ext ?? 0, true);
    v.setUint32(24, c.set.label ?? 0, true);
    b.set([10, 0, 0, 9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 1, 2, 3, 4, 5, 6], 28);
    v.setUint32(48, c.set.size, true);
    v.setBigUint64(52, BigInt(c.set.flags), true);
    b[60] = 1;
  }
  v.setUint32(64, c.getSize, true);
  v.setBigUint64(68, BigInt(c.getFlags), true);
  return b;
}

/** The result bytes: the key get wrote (80-127), set's and get's return values. */
export function tunnelResult(packet: Uint8Array): string {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return `set ${v.getBigInt64(128, true)} get ${v.getBigInt64(136, true)} key ${Buffer.from(packet.subarray(80, 128)).toString('hex')}`;
}
