/**
 * pcapng files: a sequence of sections, each a Section Header Block (which fixes the byte order) followed
 * by Interface Description Blocks and packet blocks. Reads Enhanced, Simple and obsolete Packet Blocks on
 * any number of interfaces, honouring each interface's timestamp resolution and offset; other blocks
 * (name resolution, statistics, custom) are skipped.
 * @module
 */
import { ByteReader } from './bytes.js';
import { PcapError, type CapturedPacket } from './types.js';

/** Block type of a Section Header Block (the same in both byte orders). */
export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const OBSOLETE_PB = 2;
const SPB = 3;
const EPB = 6;
const OPT_END = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

interface Interface {
  readonly linkType: number;
  readonly snapLen: number;
  /** Timestamp ticks per second. */
  readonly ticksPerSecond: bigint;
  /** Seconds added to every timestamp. */
  readonly offsetSeconds: bigint;
}

/** True when the input starts like a pcapng file. */
export function isPcapng(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Yield the packets of a pcapng file. Throws {@link PcapError} on malformed or truncated input. */
export function* readPcapng(bytes: Uint8Array): Generator<CapturedPacket> {
  if (!isPcapng(bytes)) throw new PcapError('not a pcapng file: it must start with a Section Header Block', 0);
  const r = new ByteReader(bytes);
  let interfaces: Interface[] = [];
  let at = 0;
  while (at < bytes.length) {
    r.need(at, 12, 'a block header');
    if (r.u32(at, 'block type') === PCAPNG_SHB) {
      // The byte-order magic decides how this section, including this block's length, is read.
      r.littleEndian = true;
      const magic = r.u32(at + 8, 'byte-order magic');
      if (magic === BYTE_ORDER_MAGIC) r.littleEndian = true;
      else if (magic === 0x4d3c2b1a) r.littleEndian = false;
      else throw new PcapError(`bad pcapng byte-order magic 0x${magic.toString(16)}`, at + 8);
      interfaces = [];
    }
    const type = r.u32(at, 'block type');
    const length = r.u32(at + 4, 'block length');
    if (length < 12 || length % 4 !== 0) {
      throw new PcapError(`bad pcapng block length ${length}: it must be a multiple of 4 and at least 12`, at + 4);
    }
    r.need(at, length, `a block of ${length} bytes`);
    if (r.u32(at + length - 4, 'trailing block length') !== length) {
      throw new PcapError('pcapng block lengths at the start and end of a block differ: the file is corrupt', at + length - 4);
    }
    const body = at + 8;
    const end = at + length - 4;
    switch (type) {
      case PCAPNG_SHB: {
        const major = r.u16(body + 4, 'section version');
        if (major !== 1) throw new PcapError(`unsupported pcapng version ${major}; only 1.x is known`, body + 4);
        break;
      }
      case IDB:
        interfaces.push(readInterface(r, body, end));
        break;
      case EPB:
      case OBSOLETE_PB: {
        // Same layout after the interface id, which the obsolete block keeps in 16 bits (then a drops count).
        const id = type === EPB ? r.u32(body, 'interface id') : r.u16(body, 'interface id');
        const iface = lookup(interfaces, id, body);
        const captured = r.u32(body + 12, 'captured length');
        if (body + 20 + captured > end) {
          const kind = type === EPB ? 'enhanced packet block' : 'packet block';
          throw new PcapError(`${kind} claims ${captured} captured bytes but the block is shorter`, body + 12);
        }
        yield {
          timestamp: toNanos(iface.ifc, r.u32(body + 4, 'timestamp'), r.u32(body + 8, 'timestamp')),
          data: r.slice(body + 20, captured, 'packet data'),
          originalLength: Math.max(r.u32(body + 16, 'original length'), captured),
          linkType: iface.ifc.linkType,
          interfaceId: iface.id,
        };
        break;
      }
      case SPB: {
        const iface = lookup(interfaces, 0, body);
        const original = r.u32(body, 'original length');
        // The captured length is implicit: the packet, cut to the snap length, padded to the block's end.
        let captured = Math.min(original, end - (body + 4));
        if (iface.ifc.snapLen !== 0) captured = Math.min(captured, iface.ifc.snapLen);
        yield {
          timestamp: undefined,
          data: r.slice(body + 4, captured, 'packet data'),
          originalLength: original,
          linkType: iface.ifc.linkType,
          interfaceId: 0,
        };
        break;
      }
      default:
        break; // name resolution, statistics, decryption secrets, custom blocks: not needed for packets
    }
    at += length;
  }
}

function lookup(interfaces: readonly Interface[], id: number, offset: number): { ifc: Interface; id: number } {
  const ifc = interfaces[id];
  if (ifc === undefined) {
    throw new PcapError(
      `packet refers to interface ${id} but the section describes ${interfaces.length} interface(s)`,
      offset,
    );
  }
  return { ifc, id };
}

function readInterface(r: ByteReader, body: number, end: number): Interface {
  const linkType = r.u16(body, 'link type');
  const snapLen = r.u32(body + 4, 'snap length');
  let ticksPerSecond = 1_000_000n;
  let offsetSeconds = 0n;
  let at = body + 8;
  while (at + 4 <= end) {
    const code = r.u16(at, 'option code');
    const len = r.u16(at + 2, 'option length');
    if (code === OPT_END) break;
    if (at + 4 + len > end) throw new PcapError(`interface option ${code} runs past the end of its block`, at);
    if (code === IF_TSRESOL && len >= 1) {
      const v = r.bytes[at + 4]!;
      const exp = BigInt(v & 0x7f);
      ticksPerSecond = (v & 0x80) !== 0 ? 1n << exp : 10n ** exp;
      if (ticksPerSecond === 0n || exp > 64n) {
        throw new PcapError(`unsupported timestamp resolution option value 0x${v.toString(16)}`, at + 4);
      }
    } else if (code === IF_TSOFFSET && len >= 8) {
      offsetSeconds = BigInt.asIntN(64, r.u64(at + 4, 'timestamp offset'));
    }
    at += 4 + pad4(len);
  }
  return { linkType, snapLen, ticksPerSecond, offsetSeconds };
}

function toNanos(ifc: Interface, high: number, low: number): bigint {
  const ticks = (BigInt(high) << 32n) | BigInt(low);
  return (ticks * 1_000_000_000n) / ifc.ticksPerSecond + ifc.offsetSeconds * 1_000_000_000n;
}
