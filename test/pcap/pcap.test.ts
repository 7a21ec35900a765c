import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EbpfError, ErrorCode } from '../../src/errors.js';
import {
  LinkType,
  PcapError,
  captureFormat,
  readPackets,
  writePcap,
  type CapturedPacket,
} from '../../src/pcap/index.js';

/** Builds byte strings field by field in a chosen byte order, for hand-made captures. */
class Out {
  private parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v).u8(v >> 8) : this.u8(v >> 8).u8(v);
  }
  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    (this.le ? b : b.reverse()).forEach((x) => this.u8(x));
    return this;
  }
  u64(v: bigint): this {
    const lo = Number(v & 0xffffffffn);
    const hi = Number((v >> 32n) & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.u8(b[i]!);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4 !== 0) this.u8(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function classic(le: boolean, nanos: boolean, link: number, records: [number, number, number[], number][]): Uint8Array {
  const o = new Out(le).u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(link);
  for (const [sec, frac, data, orig] of records) o.u32(sec).u32(frac).u32(data.length).u32(orig).bytes(data);
  return o.done();
}

/** One pcapng block: type, body, lengths at both ends. */
function block(le: boolean, type: number, body: (o: Out) => void): number[] {
  const inner = new Out(le);
  body(inner);
  inner.pad4();
  const len = inner.length + 12;
  return [...new Out(le).u32(type).u32(len).bytes(inner.done()).u32(len).done()];
}
const shb = (le: boolean): number[] =>
  block(le, 0x0a0d0d0a, (o) => o.u32(0x1a2b3c4d).u16(1).u16(0).u64(0xffffffffffffffffn));
const idb = (le: boolean, link: number, snap: number, opts: (o: Out) => void = () => {}): number[] =>
  block(le, 1, (o) => {
    o.u16(link).u16(0).u32(snap);
    opts(o);
  });
const epb = (le: boolean, iface: number, ticks: bigint, data: number[], orig = data.length): number[] =>
  block(le, 6, (o) =>
    o
      .u32(iface)
      .u32(Number(ticks >> 32n))
      .u32(Number(ticks & 0xffffffffn))
      .u32(data.length)
      .u32(orig)
      .bytes(data)
      .pad4()
      // an option (comment) and opt_endofopt, which the reader must skip
      .u16(1)
      .u16(3)
      .bytes([0x68, 0x69, 0x21])
      .pad4()
      .u16(0)
      .u16(0),
  );
const spb = (le: boolean, data: number[], orig: number): number[] => block(le, 3, (o) => o.u32(orig).bytes(data));
const nrb = (le: boolean): number[] => block(le, 4, (o) => o.u16(0).u16(0));

const strip = (p: CapturedPacket): object => ({ ...p, data: [...p.data] });

function pcapError(f: () => unknown): PcapError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PcapError);
    expect((e as EbpfError).code).toBe(ErrorCode.PCAP);
    return e as PcapError;
  }
  throw new Error('expected a PcapError');
}

describe('classic pcap reader', () => {
  for (const le of [true, false]) {
    for (const nanos of [false, true]) {
      it(`reads ${le ? 'little' : 'big'}-endian ${nanos ? 'nanosecond' : 'microsecond'} files`, () => {
        const bytes = classic(le, nanos, LinkType.ETHERNET, [
          [1_700_000_000, 123, [1, 2, 3], 60],
          [1_700_000_001, 999, [], 0],
        ]);
        expect(captureFormat(bytes)).toBe('pcap');
        const unit = nanos ? 1n : 1000n;
        expect(readPackets(bytes).map(strip)).toEqual([
          { timestamp: 1_700_000_000_000_000_000n + 123n * unit, data: [1, 2, 3], originalLength: 60, linkType: 1, interfaceId: 0 },
          { timestamp: 1_700_000_001_000_000_000n + 999n * unit, data: [], originalLength: 0, linkType: 1, interfaceId: 0 },
        ]);
      });
    }
  }

  it('masks the FCS bits out of the link type', () => {
    const bytes = classic(true, false, 0x1000_0000 | LinkType.RAW, [[0, 0, [0x45], 1]]);
    expect(readPackets(bytes)[0]!.linkType).toBe(LinkType.RAW);
  });

  it('rejects truncated and malformed files with E_PCAP', () => {
    const good = classic(true, false, 1, [[1, 2, [9, 9, 9, 9], 4]]);
    expect(pcapError(() => readPackets(good.subarray(0, 20))).message).toMatch(/global header/);
    expect(pcapError(() => readPackets(good.subarray(0, 30))).message).toMatch(/record header/);
    expect(pcapError(() => readPackets(good.subarray(0, good.length - 1))).message).toMatch(/4 captured bytes.*only 3 remain/);
    const v3 = good.slice();
    v3[4] = 3;
    expect(pcapError(() => readPackets(v3)).message).toMatch(/version 3/);
    expect(pcapError(() => readPackets(new Uint8Array([1, 2, 3, 4, 5]))).message).toMatch(/unknown magic/);
    expect(pcapError(() => readPackets(new Uint8Array(0))).message).toMatch(/only 0 bytes/);
  });
});

describe('pcapng reader', () => {
  for (const le of [true, false]) {
    it(`reads ${le ? 'little' : 'big'}-endian sections with several interfaces and block kinds`, () => {
      const bytes = Uint8Array.from([
        ...shb(le),
        ...idb(le, LinkType.ETHERNET, 0),
        // interface 1: nanosecond resolution, 10 s offset
        ...idb(le, LinkType.RAW, 0, (o) => o.u16(9).u16(1).u8(9).pad4().u16(14).u16(8).u64(10n).u16(0).u16(0)),
        ...nrb(le),
        ...epb(le, 0, 1_500_000n, [0xaa, 0xbb, 0xcc], 100),
        ...epb(le, 1, 2_000_000_007n, [1, 2, 3, 4, 5]),
        ...spb(le, [7, 7, 7], 3),
      ]);
      expect(captureFormat(bytes)).toBe('pcapng');
      expect(readPackets(bytes).map(strip)).toEqual([
        { timestamp: 1_500_000_000n, data: [0xaa, 0xbb, 0xcc], originalLength: 100, linkType: LinkType.ETHERNET, interfaceId: 0 },
        { timestamp: 12_000_000_007n, data: [1, 2, 3, 4, 5], originalLength: 5, linkType: LinkType.RAW, interfaceId: 1 },
        { timestamp: undefined, data: [7, 7, 7], originalLength: 3, linkType: LinkType.ETHERNET, interfaceId: 0 },
      ]);
    });
  }

  it('honours binary timestamp resolutions and a second section in the other byte order', () => {
    const bytes = Uint8Array.from([
      ...shb(true),
      ...idb(true, 1, 0, (o) => o.u16(9).u16(1).u8(0x80 | 10).pad4().u16(0).u16(0)),
      ...epb(true, 0, 2048n, [1]),
      ...shb(false),
      ...idb(false, 113, 0),
      ...epb(false, 0, 7n, [2]),
    ]);
    const got = readPackets(bytes);
    expect(got.map((p) => [p.timestamp, p.linkType, p.data[0]])).toEqual([
      [2_000_000_000n, 1, 1],
      [7000n, 113, 2],
    ]);
  });

  it('cuts simple packets to the snap length', () => {
    const bytes = Uint8Array.from([...shb(true), ...idb(true, 1, 2), ...spb(true, [1, 2, 3, 4], 4)]);
    expect(readPackets(bytes).map(strip)).toEqual([
      { timestamp: undefined, data: [1, 2], originalLength: 4, linkType: 1, interfaceId: 0 },
    ]);
  });

  it('rejects malformed files with E_PCAP', () => {
    const good = Uint8Array.from([...shb(true), ...idb(true, 1, 0), ...epb(true, 0, 1n, [1, 2, 3, 4])]);
    expect(readPackets(good)).toHaveLength(1);
    expect(pcapError(() => readPackets(good.subarray(0, good.length - 2))).message).toMatch(/truncated/);
    const noIface = Uint8Array.from([...shb(true), ...epb(true, 0, 1n, [1])]);
    expect(pcapError(() => readPackets(noIface)).message).toMatch(/interface 0 .* 0 interface/);
    const badMagic = good.slice();
    badMagic[8] = 0;
    expect(pcapError(() => readPackets(badMagic)).message).toMatch(/byte-order magic/);
    const badTrailer = good.slice();
    badTrailer[good.length - 4] ^= 4;
    expect(pcapError(() => readPackets(badTrailer)).message).toMatch(/differ/);
    const badLen = good.slice();
    badLen[shb(true).length + 4] = 13;
    expect(pcapError(() => readPackets(badLen)).message).toMatch(/multiple of 4/);
    // a captured length larger than the block
    const e = epb(true, 0, 1n, [1, 2, 3, 4]);
    e[20] = 200;
    expect(pcapError(() => readPackets(Uint8Array.from([...shb(true), ...idb(true, 1, 0), ...e]))).message).toMatch(/200 captured/);
  });

  it('never throws anything but PcapError on corrupted input', () => {
    const good = Uint8Array.from([...shb(true), ...idb(true, 1, 0), ...epb(true, 0, 1n, [1, 2, 3, 4]), ...spb(true, [5], 1)]);
    const goodClassic = classic(false, true, 1, [[1, 2, [3, 4], 2]]);
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (ng, edits, cut) => {
        const base = (ng ? good : goodClassic).slice();
        for (const [at, v] of edits) base[at % base.length] = v;
        const input = base.subarray(0, base.length - (cut % 8));
        try {
          readPackets(input);
        } catch (e) {
          if (!(e instanceof PcapError)) throw e;
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('pcap writer', () => {
  it('round-trips packets through write then read', () => {
    const arb = fc.array(
      fc.record({
        data: fc.uint8Array({ maxLength: 64 }),
        extra: fc.nat(100),
        timestamp: fc.bigInt({ min: 0n, max: 0xffff_ffffn * 1_000_000_000n }),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(arb, fc.boolean(), (packets, nano) => {
        const input = packets.map((p) => ({ data: p.data, timestamp: p.timestamp, originalLength: p.data.length + p.extra }));
        const bytes = writePcap(input, { linkType: LinkType.RAW, precision: nano ? 'nano' : 'micro' });
        const back = readPackets(bytes);
        expect(back).toHaveLength(input.length);
        back.forEach((p, i) => {
          const want = input[i]!;
          expect([...p.data]).toEqual([...want.data]);
          expect(p.originalLength).toBe(want.originalLength);
          expect(p.linkType).toBe(LinkType.RAW);
          expect(p.timestamp).toBe(nano ? want.timestamp : (want.timestamp / 1000n) * 1000n);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('writes the standard little-endian microsecond header', () => {
    const bytes = writePcap([{ data: new Uint8Array([0xde, 0xad]), timestamp: 1_000_002_000n }]);
    expect([...bytes.subarray(0, 8)]).toEqual([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    expect(new DataView(bytes.buffer).getUint32(20, true)).toBe(LinkType.ETHERNET);
    expect([...bytes.subarray(24)]).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0xde, 0xad]);
  });

  it('rejects packets a classic pcap cannot hold', () => {
    const d = new Uint8Array(4);
    expect(pcapError(() => writePcap([{ data: d, linkType: 1 }, { data: d, linkType: 101 }])).message).toMatch(/one link type/);
    expect(pcapError(() => writePcap([{ data: d, originalLength: 2 }])).message).toMatch(/original length 2/);
    expect(pcapError(() => writePcap([{ data: d, timestamp: -1n }])).message).toMatch(/timestamp/);
  });
});
