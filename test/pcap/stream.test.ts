import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CaptureReader, PcapError, PcapStreamWriter, readPackets, writePcap, type CapturedPacket } from '../../src/pcap/index.js';
import { examplePcap, examplePcapng } from '../../scripts/gen-example-captures.js';

interface Seen {
  data: number[];
  timestamp: bigint | undefined;
  originalLength: number;
  linkType: number;
  interfaceId: number;
}

const plain = (p: CapturedPacket): Seen => ({ ...p, data: [...p.data] });

/** Read `bytes` pushed in the chunks `cuts` makes; returns the packets and the error, if any. */
function streamed(bytes: Uint8Array, cuts: readonly number[]): { packets: Seen[]; error?: PcapError } {
  const reader = new CaptureReader();
  const packets: Seen[] = [];
  const drain = (): void => {
    while (reader.next()) {
      packets.push({
        data: [...reader.buffer.subarray(reader.dataOffset, reader.dataOffset + reader.dataLength)],
        timestamp: reader.timestamp(),
        originalLength: reader.originalLength,
        linkType: reader.linkType,
        interfaceId: reader.interfaceId,
      });
    }
  };
  try {
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      // A copy the reader does not own: the test overwrites it after the push, as a read loop reusing its buffer would.
      const chunk = bytes.slice(at, Math.max(at, cut));
      reader.push(chunk);
      chunk.fill(0xee);
      drain();
      at = Math.max(at, cut);
    }
    reader.end();
    drain();
    expect(reader.finished).toBe(true);
    return { packets };
  } catch (e) {
    if (!(e instanceof PcapError)) throw e;
    return { packets, error: e };
  }
}

const captures: [string, Uint8Array][] = [
  ['classic pcap', examplePcap()],
  ['pcapng', examplePcapng()],
];

describe('CaptureReader (incremental)', () => {
  for (const [name, bytes] of captures) {
    const whole = readPackets(bytes).map(plain);
    it(`${name}: the same packets whatever single split point the input has`, () => {
      expect(whole.length).toBeGreaterThan(5);
      for (let cut = 0; cut <= bytes.length; cut++) expect(streamed(bytes, [cut])).toEqual({ packets: whole });
    });
    it(`${name}: the same packets for any chunking (property)`, () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
          expect(streamed(bytes, [...cuts].sort((a, b) => a - b))).toEqual({ packets: whole });
        }),
        { seed: 17, numRuns: 200 },
      );
    });
    it(`${name}: one byte at a time`, () => {
      expect(streamed(bytes, Array.from({ length: bytes.length }, (_, i) => i))).toEqual({ packets: whole });
    });
    it(`${name}: a capture cut anywhere gives the packets before the cut, then says where it stopped`, () => {
      for (let len = 0; len < bytes.length; len++) {
        const cut = bytes.subarray(0, len);
        const r = streamed(cut, [Math.floor(len / 2)]);
        expect(whole.slice(0, r.packets.length)).toEqual(r.packets);
        if (r.error === undefined) {
          // Only a cut on a record boundary reads cleanly, and then it has every packet before the cut.
          expect(len).toBeGreaterThan(0);
          continue;
        }
        expect(r.error.offset).toBeLessThanOrEqual(len);
        if (len >= 28) expect(r.error.message).toMatch(/truncated capture/);
      }
    });
  }

  it('refuses a record longer than its limit instead of buffering it', () => {
    const big = writePcap([{ data: new Uint8Array(5000) }]);
    const reader = new CaptureReader({ maxRecordBytes: 4096 });
    reader.push(big.subarray(0, 100));
    expect(() => reader.next()).toThrow(/5000 captured bytes, more than the 4096-byte limit/);
    expect(() => reader.next()).toThrow(PcapError);
    // A hostile length field: 4 GiB claimed, nothing buffered.
    const hostile = writePcap([{ data: new Uint8Array(4) }]);
    new DataView(hostile.buffer).setUint32(24 + 8, 0xffffffff, true);
    const r = new CaptureReader();
    r.push(hostile);
    expect(() => r.next()).toThrow(/4294967295 captured bytes/);
  });

  it('streamed output (PcapStreamWriter) is byte-identical to writePcap, across chunk sizes', () => {
    const packets = readPackets(examplePcap());
    const expected = writePcap(packets.map((p) => ({ ...p })), { snapLen: 262144 });
    for (const chunkSize of [64, 100, 4096]) {
      const parts: number[] = [];
      const w = new PcapStreamWriter((b) => parts.push(...b), { chunkSize });
      for (const p of packets) {
        const ts = p.timestamp!;
        w.write(p.data, 0, p.data.length, p.originalLength, Number(ts / 1_000_000_000n), Number(ts % 1_000_000_000n));
      }
      w.flush();
      expect(Uint8Array.from(parts)).toEqual(expected);
    }
  });
});
