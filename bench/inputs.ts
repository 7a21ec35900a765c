/**
 * The benchmark inputs, generated deterministically: the same bytes on every run, so that the
 * committed bench/programs/*.mem files and expected.json stay valid (gen-inputs.ts writes them; the
 * unit test checks the committed files still equal what this module makes).
 * @module
 */
import type { InputSize } from './suite.js';
import { Bytes, Rng, Writer, lengthPrefixed } from './input-tools.js';
import { eshapeInput } from './inputs-eshapes.js';

/** Header of 8 bytes (count, reserved) followed by `len` random bytes. */
function countedBytes(count: number, len: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + len);
  w.u32(0, count);
  for (let i = 0; i < len; i++) w.bytes[8 + i] = rng.u32() & 0xff;
  return w.bytes;
}

/** Header of 8 bytes then `count` u64 values, each with a random bit width so every log2 occurs. */
function log2Input(count: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + count * 8);
  w.u32(0, count);
  for (let i = 0; i < count; i++) {
    const v = (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
    w.u64(8 + i * 8, v >> BigInt(rng.u32() % 64));
  }
  return w.bytes;
}

/**
 * memcpy: `len` source bytes then `len` zero destination bytes. The source is a cheap pattern rather
 * than random bytes so that the committed 2 MiB file compresses in git; a copy does not care.
 */
function memcpyInput(len: number): Uint8Array {
  const w = new Writer(8 + 2 * len);
  w.u32(0, len);
  for (let i = 0; i < len; i++) w.bytes[8 + i] = (i ^ (i >>> 8) ^ (i >>> 16)) & 0xff;
  return w.bytes;
}

/** strcmp: two strings of `len` bytes (then NUL), equal up to `differAt` (or equal when it is -1). */
function strcmpInput(len: number, differAt: number, rng: Rng): Uint8Array {
  const a = 8;
  const b = a + len + 8; // a gap after a's NUL, to keep b 8-byte aligned
  const w = new Writer(b + len + 8);
  w.u32(0, a);
  w.u32(4, b);
  for (let i = 0; i < len; i++) {
    const c = 0x21 + (rng.u32() % 94); // printable, never NUL
    w.bytes[a + i] = c;
    w.bytes[b + i] = i === differAt ? (c === 0x7e ? 0x21 : c + 1) : c;
  }
  return w.bytes;
}

/** sort: `count` random u32, then `count` scratch slots. */
function sortInput(count: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + count * 8);
  w.u32(0, count);
  for (let i = 0; i < count; i++) w.u32(8 + i * 4, rng.u32());
  return w.bytes;
}

/** arith64: iterations and a 64-bit seed. */
function arith64Input(iterations: number): Uint8Array {
  const w = new Writer(16);
  w.u32(0, iterations);
  w.u64(8, 0x0123_4567_89ab_cdefn);
  return w.bytes;
}

/** div32: iterations and a 32-bit seed. */
function div32Input(iterations: number): Uint8Array {
  const w = new Writer(8);
  w.u32(0, iterations);
  w.u32(4, 0x9e37_79b9);
  return w.bytes;
}

/** prime: the limit. */
function primeInput(limit: number): Uint8Array {
  const w = new Writer(8);
  w.u32(0, limit);
  return w.bytes;
}

/**
 * pkt_parse: `count` length-prefixed frames: IPv4 TCP/UDP (some with options or a VLAN tag), IPv6
 * TCP/UDP, ARP, an IPv4 fragment, and truncated frames (a header cut short).
 */
function packetsInput(count: number, rng: Rng): Uint8Array {
  const out = new Bytes();
  for (let i = 0; i < count; i++) {
    const f = new Bytes();
    f.random(12, rng); // MAC addresses
    const kind = rng.u32() % 20;
    if (kind === 0) {
      f.be16(0x0806); // ARP
      f.random(28, rng);
    } else {
      if (kind === 1 || kind === 2) {
        f.be16(0x8100);
        f.be16(rng.u32() & 0xfff);
      }
      const v6 = kind >= 15;
      const tcp = rng.u32() % 4 !== 0;
      if (v6) {
        f.be16(0x86dd);
        f.push(0x60, 0, 0, 0);
        f.be16(40);
        f.push(tcp ? 6 : 17, 64);
        f.random(32, rng);
      } else {
        const opts = kind === 3 ? 2 : 0;
        f.be16(0x0800);
        f.push(0x45 + opts, 0);
        f.be16(40);
        f.random(2, rng);
        f.be16(kind === 4 ? 0x2000 : 0x4000); // a fragment, or don't-fragment
        f.push(64, tcp ? 6 : 17);
        f.random(10 + opts * 4, rng);
      }
      const ports = [80, 443, 53, 22, 8080, 1024 + (rng.u32() % 60000)];
      f.be16(1024 + (rng.u32() % 60000));
      f.be16(ports[rng.u32() % ports.length]!);
      if (tcp) {
        f.random(8, rng);
        const doff = 5 + (rng.u32() % 3);
        f.push(doff << 4, rng.u32());
        f.random(6 + (doff - 5) * 4, rng);
      } else {
        f.random(4, rng);
      }
      f.random(rng.u32() % 64, rng); // payload
    }
    let frame = f.done();
    if (kind === 5) frame = frame.subarray(0, 14 + (rng.u32() % 30)); // truncated
    out.le16(frame.length);
    out.push(...frame);
  }
  return lengthPrefixed(out.done());
}

/** csum: `count` 64-byte packets: an IPv4 header (protocol TCP) and 44 bytes of TCP segment. */
function csumInput(count: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + count * 64);
  w.u32(0, count);
  for (let i = 0; i < count * 64; i++) w.bytes[8 + i] = rng.u32() & 0xff;
  for (let i = 0; i < count; i++) {
    w.bytes[8 + i * 64] = 0x45;
    w.bytes[8 + i * 64 + 9] = 6;
  }
  return w.bytes;
}

/** lpm_trie: a binary trie of `prefixes` random prefixes (8-32 bits), then `keys` addresses, half under a prefix. */
function trieInput(prefixes: number, keys: number, rng: Rng): Uint8Array {
  const nodes: number[][] = [[0, 0, 0, 0]]; // child0, child1, value, has_value
  const stored: [number, number][] = [];
  for (let p = 0; p < prefixes; p++) {
    const len = 8 + (rng.u32() % 25);
    const addr = rng.u32();
    let n = 0;
    for (let bit = 31; bit > 31 - len; bit--) {
      const b = (addr >>> bit) & 1;
      if (nodes[n]![b] === 0) {
        nodes[n]![b] = nodes.length;
        nodes.push([0, 0, 0, 0]);
      }
      n = nodes[n]![b]!;
    }
    nodes[n]![2] = (rng.u32() % 1_000_000) + 1;
    nodes[n]![3] = 1;
    stored.push([addr, len]);
  }
  const keysOff = 16 + nodes.length * 16;
  const w = new Writer(keysOff + keys * 4);
  w.u32(0, nodes.length);
  w.u32(4, keys);
  w.u32(8, keysOff);
  nodes.forEach((nd, i) => nd.forEach((v, j) => w.u32(16 + i * 16 + j * 4, v)));
  for (let k = 0; k < keys; k++) {
    let key = rng.u32();
    if (k % 2 === 0) {
      const [addr, len] = stored[rng.u32() % stored.length]!;
      const mask = len === 32 ? 0xffffffff : ~(0xffffffff >>> len);
      key = ((addr & mask) | (key & ~mask)) >>> 0;
    }
    w.u32(keysOff + k * 4, key);
  }
  return w.bytes;
}

/** hashtab: `nkeys` nonzero keys (some repeated), `nlook` lookups (half inserted keys), a table of 2^bits slots. */
function hashtabInput(nkeys: number, nlook: number, bits: number, rng: Rng): Uint8Array {
  const cap = 1 << bits;
  const w = new Writer(16 + (nkeys + nlook) * 4 + cap * 8);
  w.u32(0, nkeys);
  w.u32(4, nlook);
  w.u32(8, 32 - bits);
  const keys: number[] = [];
  for (let i = 0; i < nkeys; i++) keys.push(i > 0 && i % 10 === 0 ? keys[rng.u32() % i]! : rng.u32() | 1);
  keys.forEach((k, i) => w.u32(16 + i * 4, k));
  for (let i = 0; i < nlook; i++) w.u32(16 + (nkeys + i) * 4, i % 2 === 0 ? keys[rng.u32() % nkeys]! : rng.u32() | 1);
  return w.bytes;
}

/** switch_vm: `rounds`, `len` two-byte instructions. */
function vmInput(rounds: number, len: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + len * 2);
  w.u32(0, rounds);
  w.u32(4, len);
  for (let i = 0; i < len * 2; i++) w.bytes[8 + i] = rng.u32() & 0xff;
  return w.bytes;
}

/** switch_sparse: `count` (port, length) records, 60% on one of the switch's ports. */
function sparseInput(count: number, rng: Rng): Uint8Array {
  const known = [80, 443, 8080, 8443, 25, 110, 143, 465, 587, 993, 22, 23, 53, 67, 123, 161, 179, 389, 514, 1194,
    3306, 5432, 6379, 9042, 11211, 27017, 2049, 3389, 5060, 51820];
  const w = new Writer(8 + count * 4);
  w.u32(0, count);
  for (let i = 0; i < count; i++) {
    const port = rng.u32() % 10 < 6 ? known[rng.u32() % known.length]! : rng.u32() & 0xffff;
    w.u32(8 + i * 4, port | ((rng.u32() % 1500) << 16));
  }
  return w.bytes;
}

/** bsearch: `n` sorted u32 (strictly increasing), then `nlook` keys, half of them present. */
function bsearchInput(n: number, nlook: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + (n + nlook) * 4);
  w.u32(0, n);
  w.u32(4, nlook);
  const values: number[] = [];
  let v = 0;
  for (let i = 0; i < n; i++) {
    v += 1 + (rng.u32() % 1000);
    values.push(v);
    w.u32(8 + i * 4, v);
  }
  for (let i = 0; i < nlook; i++) w.u32(8 + (n + i) * 4, i % 2 === 0 ? values[rng.u32() % n]! : rng.u32() % (v + 1000));
  return w.bytes;
}

/** base64: `len` random bytes (a multiple of 24) then the output area. */
function base64Input(len: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + len + (len / 3) * 4);
  w.u32(0, len);
  for (let i = 0; i < len; i++) w.bytes[8 + i] = rng.u32() & 0xff;
  return w.bytes;
}

/** murmur3: a seed, `count` (offset, length) keys of 1-64 bytes, then the key bytes. */
function murmurInput(count: number, rng: Rng): Uint8Array {
  const lens = Array.from({ length: count }, () => 1 + (rng.u32() % 64));
  const dataOff = 8 + count * 8;
  const w = new Writer(dataOff + lens.reduce((a, b) => a + b, 0));
  w.u32(0, count);
  w.u32(4, rng.u32());
  let off = dataOff;
  lens.forEach((len, k) => {
    w.u32(8 + k * 8, off);
    w.u32(12 + k * 8, len);
    off += len;
  });
  for (let i = dataOff; i < off; i++) w.bytes[i] = rng.u32() & 0xff;
  return w.bytes;
}

/** matmul: n, then A and B (random small values) and room for C. */
function matmulInput(n: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + 3 * n * n * 4);
  w.u32(0, n);
  for (let i = 0; i < 2 * n * n; i++) w.u32(8 + i * 4, rng.u32() % 100_000);
  return w.bytes;
}

/** tlv: `groups` option lists (u16 length each): MSS, window scale, timestamps, SACK, padding, unknown and malformed options. */
function tlvInput(groups: number, rng: Rng): Uint8Array {
  const out = new Bytes();
  for (let g = 0; g < groups; g++) {
    const o = new Bytes();
    const n = 1 + (rng.u32() % 8);
    for (let i = 0; i < n; i++) {
      const kind = rng.u32() % 12;
      if (kind === 0) o.push(1);
      else if (kind <= 2) o.push(2, 4, rng.u32(), rng.u32());
      else if (kind === 3) o.push(3, 3, rng.u32() % 15);
      else if (kind <= 5) {
        o.push(8, 10);
        o.random(8, rng);
      } else if (kind === 6) {
        const blocks = 1 + (rng.u32() % 4);
        o.push(5, 2 + blocks * 8);
        o.random(blocks * 8, rng);
      } else if (kind <= 9) {
        const len = 2 + (rng.u32() % 12);
        o.push(9 + (rng.u32() % 200), len);
        o.random(len - 2, rng);
      } else if (kind === 10) o.push(0);
      else o.push(30, 1); // malformed: a length below 2
    }
    if (rng.u32() % 16 === 0) o.push(4, 40); // runs past its group
    out.le16(o.length);
    out.push(...o.done());
  }
  return lengthPrefixed(out.done());
}

/** memmove: a buffer of `size` bytes and `nops` moves inside it (any alignment, any overlap). */
function memmoveInput(size: number, nops: number, maxLen: number, rng: Rng): Uint8Array {
  const bufOff = 8 + nops * 12;
  const w = new Writer(bufOff + 2 * size);
  w.u32(0, size);
  w.u32(4, nops);
  for (let k = 0; k < nops; k++) {
    const len = rng.u32() % maxLen;
    const src = rng.u32() % (size - len + 1);
    // a third of the moves overlap their source closely
    const dst = k % 3 === 0 ? Math.max(0, Math.min(size - len, src + (rng.u32() % 33) - 16)) : rng.u32() % (size - len + 1);
    w.u32(8 + k * 12, dst);
    w.u32(12 + k * 12, src);
    w.u32(16 + k * 12, len);
  }
  for (let i = 0; i < size; i++) w.bytes[bufOff + i] = rng.u32() & 0xff;
  return w.bytes;
}

/** A count then `count` u64 values with a random number of low bits cleared (so trailing zeros vary). */
function bitsInput(count: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + count * 8);
  w.u32(0, count);
  for (let i = 0; i < count; i++) {
    const v = (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
    w.u64(8 + i * 8, i % 61 === 0 ? 0n : (v >> BigInt(rng.u32() % 40)) << BigInt(rng.u32() % 40));
  }
  return w.bytes;
}

/** gcd: `count` pairs of nonzero u32 sharing a random factor. */
function gcdInput(count: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + count * 8);
  w.u32(0, count);
  for (let i = 0; i < count; i++) {
    const f = 1 + (rng.u32() % 1000);
    w.u32(8 + i * 8, f * (1 + (rng.u32() % 4_000_000)));
    w.u32(12 + i * 8, f * (1 + (rng.u32() % 4_000_000)));
  }
  return w.bytes;
}

/** prng: a count and a 64-bit seed. */
function prngInput(count: number): Uint8Array {
  const w = new Writer(16);
  w.u32(0, count);
  w.u64(8, 0x9e37_79b9_7f4a_7c15n);
  return w.bytes;
}

/** strsearch: a pattern of `plen` bytes taken from a text of `tlen` bytes over the alphabet ACGT. */
function searchInput(tlen: number, plen: number, rng: Rng): Uint8Array {
  const padded = (plen + 7) & ~7;
  const w = new Writer(8 + padded + tlen);
  w.u32(0, tlen);
  w.u32(4, plen);
  const text = 8 + padded;
  for (let i = 0; i < tlen; i++) w.bytes[text + i] = 'ACGT'.charCodeAt(rng.u32() % 4);
  const at = rng.u32() % (tlen - plen);
  for (let i = 0; i < plen; i++) w.bytes[8 + i] = w.bytes[text + at + i]!;
  return w.bytes;
}

/** stencil: a w x h random image and room for the output. */
function stencilInput(width: number, height: number, rng: Rng): Uint8Array {
  const w = new Writer(8 + 2 * width * height);
  w.u32(0, width);
  w.u32(4, height);
  for (let i = 0; i < width * height; i++) w.bytes[8 + i] = rng.u32() & 0xff;
  return w.bytes;
}

/** varint: `count` LEB128 varints of random widths (1-10 bytes). */
function varintInput(count: number, rng: Rng): Uint8Array {
  const out = new Bytes();
  for (let i = 0; i < count; i++) {
    let v = ((BigInt(rng.u32()) << 32n) | BigInt(rng.u32())) >> BigInt(rng.u32() % 64);
    do {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v === 0n ? b : b | 0x80);
    } while (v !== 0n);
  }
  return lengthPrefixed(out.done());
}

/** adler32, xxh64: `len` random bytes. */
function randomBytes(len: number, rng: Rng): Uint8Array {
  const b = new Bytes();
  b.random(len, rng);
  return lengthPrefixed(b.done());
}

/** sieve: the limit, then room for the array. */
function sieveInput(limit: number): Uint8Array {
  const w = new Writer(8 + limit);
  w.u32(0, limit);
  return w.bytes;
}

/** The input of a benchmark at a size. */
export function makeInput(name: string, size: InputSize): Uint8Array {
  const full = size === 'full';
  const rng = new Rng(0x5eed ^ name.length * 7919 ^ (full ? 1 : 2));
  switch (name) {
    case 'prime':
      return primeInput(full ? 10_000 : 100);
    case 'log2_int':
      return log2Input(full ? 16_384 : 37, rng);
    case 'memcpy':
      return memcpyInput(full ? 1 << 20 : 256);
    case 'strcmp_fail':
      return full ? strcmpInput(1024, 10, rng) : strcmpInput(16, 3, rng);
    case 'strcmp_full':
      return full ? strcmpInput(16_384, -1, rng) : strcmpInput(20, -1, rng);
    case 'switch':
      return countedBytes(full ? 16_384 : 200, full ? 16_384 : 200, rng);
    case 'fnv1a':
      return countedBytes(full ? 65_536 : 100, full ? 65_536 : 100, rng);
    case 'crc32':
      return countedBytes(full ? 8_192 : 50, full ? 8_192 : 50, rng);
    case 'hash64':
      return countedBytes(full ? 8_192 : 13, (full ? 8_192 : 13) * 8, rng);
    case 'sort':
      return sortInput(full ? 2_000 : 50, rng);
    case 'arith64':
      return arith64Input(full ? 20_000 : 100);
    case 'div32':
      return div32Input(full ? 50_000 : 100);
    case 'pkt_parse':
      return packetsInput(full ? 4_000 : 40, rng);
    case 'csum':
      return csumInput(full ? 4_096 : 10, rng);
    case 'lpm_trie':
      return trieInput(full ? 2_000 : 20, full ? 8_192 : 40, rng);
    case 'hashtab':
      return hashtabInput(full ? 8_000 : 30, full ? 16_000 : 60, full ? 14 : 6, rng);
    case 'switch_vm':
      return vmInput(full ? 2_000 : 3, full ? 64 : 20, rng);
    case 'switch_sparse':
      return sparseInput(full ? 32_768 : 100, rng);
    case 'switch_wide':
      return countedBytes(full ? 16_384 : 200, full ? 16_384 : 200, rng);
    case 'isort':
      return sortInput(full ? 1_000 : 40, rng);
    case 'bsearch':
      return bsearchInput(full ? 4_096 : 50, full ? 16_384 : 60, rng);
    case 'base64':
      return base64Input(full ? 49_152 : 96, rng);
    case 'murmur3':
      return murmurInput(full ? 4_096 : 20, rng);
    case 'xxh64':
      return randomBytes(full ? 65_549 : 77, rng);
    case 'matmul':
      return matmulInput(full ? 48 : 5, rng);
    case 'tlv':
      return tlvInput(full ? 4_000 : 20, rng);
    case 'memmove':
      return full ? memmoveInput(16_384, 400, 1_000, rng) : memmoveInput(256, 10, 40, rng);
    case 'bits':
      return bitsInput(full ? 16_384 : 30, rng);
    case 'gcd':
      return gcdInput(full ? 8_192 : 30, rng);
    case 'prng':
      return prngInput(full ? 100_000 : 100);
    case 'strsearch':
      return full ? searchInput(65_536, 12, rng) : searchInput(200, 4, rng);
    case 'stencil':
      return full ? stencilInput(192, 192, rng) : stencilInput(9, 7, rng);
    case 'varint':
      return varintInput(full ? 20_000 : 40, rng);
    case 'adler32':
      return randomBytes(full ? 65_636 : 6_000, rng);
    case 'sieve':
      return sieveInput(full ? 200_000 : 1_000);
    default: {
      const input = eshapeInput(name, full, rng);
      if (input === undefined) throw new Error(`no input generator for benchmark ${name}`);
      return input;
    }
  }
}

