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

describe('CaptureReader buffers option', () => {
  it('never writes over bytes it read: every packet stays valid where it was read, fed in small pieces', () => {
    for (const file of [examplePcap(), examplePcapng()]) {
      const want = readPackets(file).map((p) => [...p.data]);
      const given: Uint8Array[] = [];
      const reader = new CaptureReader({ buffers: (n) => {
        const b = new Uint8Array(Math.max(n, 300));
        given.push(b);
        return b;
      } });
      const seen: { buffer: Uint8Array; at: number; length: number }[] = [];
      for (let i = 0; i < file.length; i += 97) {
        reader.push(file.subarray(i, i + 97));
        while (reader.next()) seen.push({ buffer: reader.buffer, at: reader.dataOffset, length: reader.dataLength });
      }
      reader.end();
      expect(reader.next()).toBe(false);
      expect(given.length).toBeGreaterThan(1);
      // Read back after the whole input went in: nothing was overwritten.
      expect(seen.map((s) => [...s.buffer.subarray(s.at, s.at + s.length)])).toEqual(want);
    }
    expect(() => new CaptureReader({ buffers: 5 as unknown as () => Uint8Array })).toThrow(/options.buffers/);
    const short = new CaptureReader({ buffers: () => new Uint8Array(2) });
    expect(() => short.push(new Uint8Array(10))).toThrow(/at least 10 bytes/);
  });
});

describe('CaptureReader.rebind', () => {
  it('reads on from the same bytes in a WebAssembly memory that grew (which detaches every view), in two areas used in turn', () => {
    for (const file of [examplePcap(), examplePcapng()]) {
      const want = readPackets(file).map((p) => [...p.data]);
      const memory = new WebAssembly.Memory({ initial: 1 });
      const areas = [1024, 8192];
      const size = 4096;
      let turn = 0;
      let base = 0;
      const reader = new CaptureReader({ buffers: (n) => {
        expect(n).toBeLessThanOrEqual(size);
        base = areas[turn]!;
        turn ^= 1;
        return new Uint8Array(memory.buffer, base, size);
      } });
      const seen: number[][] = [];
      // Pieces that cut records (and their headers) anywhere; the memory grows after every packet.
      for (let i = 0; i < file.length; i += 61) {
        reader.push(file.subarray(i, i + 61));
        while (reader.next()) {
          seen.push([...reader.buffer.subarray(reader.dataOffset, reader.dataOffset + reader.dataLength)]);
          memory.grow(1);
          expect(reader.buffer.length).toBe(0);
          reader.rebind(new Uint8Array(memory.buffer, base, size));
        }
      }
      reader.end();
      expect(reader.next()).toBe(false);
      expect(seen).toEqual(want);
    }
  });

  it('refuses a buffer shorter than what was written into the reader, or not a Uint8Array', () => {
    const reader = new CaptureReader();
    reader.push(examplePcap().subarray(0, 100));
    expect(() => reader.rebind(new Uint8Array(99))).toThrow(/at least the 100 bytes written/);
    expect(() => reader.rebind([1, 2] as unknown as Uint8Array)).toThrow(/buffer/);
  });
});
