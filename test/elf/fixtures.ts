/** Shared helpers for the ELF tests: the committed fixture objects and a sample packet. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadObject, type BpfObject, type LoadOptions } from '../../src/elf/index.js';

/** Bytes of a committed fixture object (test/fixtures/elf/NAME.o). */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/elf/${name}.o`, import.meta.url))));
}

/** Bytes of an example object (examples/NAME.o). */
export function example(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`../../examples/${name}.o`, import.meta.url))));
}

/** Load a fixture object. */
export function load(name: string, options: LoadOptions = {}): BpfObject {
  return loadObject(fixture(name), options);
}

/** The rbpf README's packet: Ethernet, IPv4 127.0.0.1 → 127.0.0.1, TCP 0x9999 → 0xc6cc, 73 bytes. */
export const RBPF_PACKET = new Uint8Array([
  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x08, 0x00,
  0x45, 0x00, 0x00, 0x3b, 0xa6, 0xab, 0x40, 0x00, 0x40, 0x06, 0x96, 0x0f, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
  0x99, 0x99, 0xc6, 0xcc, 0xd1, 0xe5, 0xc4, 0x9d, 0xd4, 0x30, 0xb5, 0xd2, 0x80, 0x18, 0x01, 0x56, 0xfe, 0x2f, 0x00, 0x00,
  0x01, 0x01, 0x08, 0x0a, 0x00, 0x23, 0x75, 0x89, 0x00, 0x23, 0x63, 0x2d, 0x71, 0x64, 0x66, 0x73, 0x64, 0x66, 0x0a,
]);

/** An Ethernet + IPv4 packet with a protocol, destination address and total length. */
export function ipv4Packet(protocol: number, daddr: readonly number[] = [10, 0, 0, 1], length = 60): Uint8Array {
  const p = new Uint8Array(length);
  p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0);
  p[14] = 0x45;
  p[23] = protocol;
  p.set([192, 168, 0, 1], 26);
  p.set(daddr, 30);
  return p;
}

/** Little-endian u32 key. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** Read a little-endian u64 at an offset. */
export function readU64(b: Uint8Array, at = 0): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true);
}

/** Read a little-endian u32 at an offset. */
export function readU32(b: Uint8Array, at = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
}
