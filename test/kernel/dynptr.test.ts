/**
 * The dynptr helpers (fixture dynptr.c): from_mem on a map value and reserve_dynptr on a ring buffer,
 * then read, write and data at in-range, edge and out-of-range offsets, bad flags and sizes, submit
 * and discard. The return codes, the bytes read, the map value written and the ring buffer's producer
 * position tsbpf gives on every engine are the kernel's, recorded below from BPF_PROG_TEST_RUN on Linux
 * 6.18 and compared live where bpf() is allowed.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../src/elf/index.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import { fixture } from '../elf/fixtures.js';
import { ENGINES } from './differential.js';
import { hex, kernelOracle, skipNote } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/dynptr.o', import.meta.url));
const FIELDS = ['size', 'fflags', 'roff', 'rlen', 'rflags', 'woff', 'wlen', 'wflags', 'doff', 'discard'] as const;
type Req = Partial<Record<(typeof FIELDS)[number], number>>;

/** The packet: struct req, the map value's first contents at 64, the bytes to write at 192. */
function packet(q: Req): Uint8Array {
  const p = new Uint8Array(256);
  const dv = new DataView(p.buffer);
  FIELDS.forEach((f, i) => dv.setUint32(i * 4, q[f] ?? 0, true));
  for (let i = 64; i < 128; i++) p[i] = i;
  for (let i = 192; i < 208; i++) p[i] = 0xc0 + i - 192;
  return p;
}

/** What a run left in the packet: from / read / write return codes, data (0: null, else 1 + its first byte), the producer position, the bytes read, the map value. */
function outcome(data: Uint8Array): string {
  const dv = new DataView(data.buffer, data.byteOffset);
  return `from ${dv.getInt32(200, true)} read ${dv.getInt32(204, true)} write ${dv.getInt32(208, true)} data ${dv.getInt32(212, true)} prod ${dv.getBigUint64(216, true)} buf ${hex(data.subarray(48, 64))} val ${hex(data.subarray(128, 160))}`;
}

const V = '404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f';
const Z = '0'.repeat(64);
const NONE = 'aa'.repeat(16);

/** Per program, the runs in order (the ring buffer's state carries over) with the kernel's outcome (6.18, 2026-12-06). */
const CASES: Record<'dyn_local' | 'dyn_ring', readonly (readonly [Req, string])[]> = {
  dyn_local: [
    [{ size: 64, rlen: 8, roff: 4, wlen: 8, woff: 8 }, `from 0 read 0 write 0 data 65 prod 0 buf 4445464748494a4b${'aa'.repeat(8)} val 40414243444546eec0c1c2c3c4c5c6c7505152535455565758595a5b5c5d5e5f`],
    [{ size: 16, rlen: 8, roff: 8, wlen: 8, woff: 8, doff: 8 }, `from 0 read 0 write 0 data 193 prod 0 buf 48494a4b4c4d4e4f${'aa'.repeat(8)} val 4041424344454647c0c1c2c3c4c5c6ee505152535455565758595a5b5c5d5e5f`],
    [{ size: 16, rlen: 8, roff: 9, wlen: 8, woff: 9, doff: 9 }, `from 0 read -7 write -7 data 0 prod 0 buf ${NONE} val ${V}`],
    [{ size: 16, roff: 16, woff: 16, doff: 16 }, `from 0 read 0 write 0 data 0 prod 0 buf ${NONE} val ${V}`],
    [{ size: 16, roff: 17, woff: 17, doff: 17 }, `from 0 read -7 write -7 data 0 prod 0 buf ${NONE} val ${V}`],
    [{ size: 16, rlen: 4, roff: 0xffffffff, wlen: 4, woff: 0xfffffffe, doff: 0xfffffffc }, `from 0 read -7 write -7 data 0 prod 0 buf ${NONE} val ${V}`],
    [{ size: 64, fflags: 1, rlen: 8 }, `from -22 read -22 write -22 data 0 prod 0 buf ${NONE} val ${V}`],
    [{ size: 0 }, `from 0 read 0 write 0 data 0 prod 0 buf ${NONE} val ${V}`],
    [{ size: 0, rlen: 1, wlen: 1 }, `from 0 read -7 write -7 data 0 prod 0 buf ${NONE} val ${V}`],
    [{ size: 64, rlen: 8, rflags: 1, wlen: 8, wflags: 1 }, `from 0 read -22 write -22 data 65 prod 0 buf ${NONE} val 40414243444546ee48494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f`],
  ],
  dyn_ring: [
    [{ size: 16, rlen: 8, wlen: 8, woff: 4, doff: 8 }, `from 0 read 0 write 0 data 197 prod 24 buf 00000000c0c1c2c3${'aa'.repeat(8)} val ${Z}`],
    [{ size: 16, rlen: 8, wlen: 8, woff: 4, doff: 8, discard: 1 }, `from 0 read 0 write 0 data 197 prod 48 buf 00000000c0c1c2c3${'aa'.repeat(8)} val ${Z}`],
    [{ size: 0 }, `from 0 read 0 write 0 data 0 prod 56 buf ${NONE} val ${Z}`],
    [{ size: 1, rlen: 1, wlen: 1 }, `from 0 read 0 write 0 data 0 prod 72 buf c0${'aa'.repeat(15)} val ${Z}`],
    [{ size: 16, fflags: 1, rlen: 8, wlen: 8 }, `from -22 read -22 write -22 data 0 prod 72 buf ${NONE} val ${Z}`],
    [{ size: 5000, rlen: 8, wlen: 8 }, `from -22 read -22 write -22 data 0 prod 72 buf ${NONE} val ${Z}`],
    [{ size: 0x1000000, rlen: 8, wlen: 8 }, `from -7 read -22 write -22 data 0 prod 72 buf ${NONE} val ${Z}`],
    [{ size: 4080, rlen: 8, wlen: 8 }, `from -22 read -22 write -22 data 0 prod 72 buf ${NONE} val ${Z}`],
    [{ size: 2000, rlen: 8, wlen: 8 }, `from 0 read 0 write 0 data 193 prod 2080 buf c0c1c2c3c4c5c6c7${'aa'.repeat(8)} val ${Z}`],
    [{ size: 8, rlen: 8, wlen: 8, rflags: 1, wflags: 2 }, `from 0 read -22 write -22 data 1 prod 2096 buf ${NONE} val ${Z}`],
  ],
};

describe('dynptr helpers', () => {
  for (const { name, engine } of ENGINES) {
    it(`give the kernel's results on the ${name}`, () => {
      const obj = loadObject(fixture('dynptr'), { jitEngine: engine });
      for (const [program, cases] of Object.entries(CASES)) {
        for (const [q, want] of cases) {
          const r = obj.program(program).runXdp(packet(q), { jit: name === 'jit' });
          expect({ program, q, got: outcome(r.packet) }).toEqual({ program, q, got: want });
        }
      }
      // the submitted records reach the host, the discarded ones do not
      expect(obj.map('rb', RingBufMap).drain().map((b) => b.length)).toEqual([16, 0, 1, 2000, 8]);
    });
  }

  const k = kernelOracle();
  if (typeof k === 'string') skipNote(k);
  it.skipIf(typeof k === 'string')('match the kernel live (BPF_PROG_TEST_RUN)', () => {
    if (typeof k === 'string') return;
    for (const [program, cases] of Object.entries(CASES)) {
      const out = k.exec([{ op: 'obj', path: O, program }, ...cases.map(([q]) => ({ op: 'run' as const, prog: { ref: 0 }, data: packet(q) }))]);
      expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
      cases.forEach(([q, want], i) => {
        const r = out[i + 1]!;
        if (r.kind !== 'run') throw new Error(JSON.stringify(r));
        expect({ program, q, got: outcome(r.data) }).toEqual({ program, q, got: want });
      });
    }
  });
});
