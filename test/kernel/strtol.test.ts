/**
 * bpf_strtol / bpf_strtoul (fixture strtol.c): the return value and result tsbpf gives on every engine
 * are the kernel's, recorded below from BPF_PROG_TEST_RUN on Linux 6.18 and compared live where bpf()
 * is allowed: bases 0 / 8 / 10 / 16 and their prefixes, whitespace and signs, the 63-character limit,
 * overflow at both ends, bad bases and flag bits, NUL bytes and buffer lengths.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { ENGINES } from './differential.js';
import { kernelOracle, skipNote } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/strtol.o', import.meta.url));

/** helper (0 strtol, 1 strtoul), string, flags, buf_len (default: the string's length) → [return value, result]. */
type Case = readonly [number, string, bigint, number | undefined, bigint, bigint];

/** The kernel's answers (6.18, 2026-12-06). */
const CASES: readonly Case[] = [
  [0, '123', 10n, undefined, 3n, 123n],
  [0, '  -123x', 10n, undefined, 6n, -123n],
  [0, '0x1f', 0n, undefined, 4n, 31n],
  [0, '0x1f', 16n, undefined, 4n, 31n],
  [0, '0x', 0n, undefined, 1n, 0n],
  [0, '0x', 16n, undefined, -22n, 0n],
  [0, '0xg', 0n, undefined, 1n, 0n],
  [0, '017', 0n, undefined, 3n, 15n],
  [0, '09', 0n, undefined, 1n, 0n],
  [0, '08', 8n, undefined, 1n, 0n],
  [0, '-', 10n, undefined, -22n, 0n],
  [0, '   ', 10n, undefined, -22n, 0n],
  [0, '', 10n, 1, -22n, 0n],
  [0, '+5', 10n, undefined, -22n, 0n],
  [0, '12', 2n, undefined, -22n, 0n],
  [0, '12', 10n | 32n, undefined, -22n, 0n],
  [0, '12', 10n | (1n << 40n), undefined, -22n, 0n],
  [0, '9223372036854775807', 10n, undefined, 19n, 9223372036854775807n],
  [0, '9223372036854775808', 10n, undefined, -34n, 0n],
  [0, '-9223372036854775808', 10n, undefined, 20n, -9223372036854775808n],
  [0, '-9223372036854775809', 10n, undefined, -34n, 0n],
  [1, '18446744073709551615', 10n, undefined, 20n, -1n],
  [1, '18446744073709551616', 10n, undefined, -34n, 0n],
  [1, '-1', 10n, undefined, -22n, 0n],
  [1, ' 42', 10n, undefined, 3n, 42n],
  [1, '\t\n\v\f\r 7', 10n, undefined, 7n, 7n],
  [0, '1234', 10n, 2, 2n, 12n],
  [0, '1'.repeat(70), 10n, undefined, -34n, 0n],
  [0, `${'0'.repeat(70)}5`, 10n, 100, 63n, 0n],
  [0, `${' '.repeat(70)}5`, 10n, 100, 71n, 5n],
  [0, `-${'0'.repeat(62)}5`, 10n, 100, 64n, -5n],
  [0, '12ab', 16n, undefined, 4n, 0x12abn],
  [0, 'FF', 16n, undefined, 2n, 255n],
  [0, '0X10', 0n, undefined, 4n, 16n],
  [0, '0x10', 8n, undefined, 1n, 0n],
  [0, '0x10', 10n, undefined, 1n, 0n],
  [1, '-0', 10n, undefined, -22n, 0n],
  [0, '\0', 10n, 5, -22n, 0n],
  [0, '5', 10n, 128, 1n, 5n],
  [0, '-x', 10n, undefined, -22n, 0n],
  [0, '\xa05', 10n, undefined, 2n, 5n],
  [0, '\x1c5', 10n, undefined, -22n, 0n],
  [0, '\x855', 10n, undefined, -22n, 0n],
  [1, '0xFFFFFFFFFFFFFFFF', 0n, undefined, 18n, -1n],
  [1, '0x10000000000000000', 16n, undefined, -34n, 0n],
  [0, `0x${'0'.repeat(61)}1`, 0n, 100, 63n, 0n],
  [0, '-0x10', 0n, undefined, 5n, -16n],
  [0, '- 1', 10n, undefined, -22n, 0n],
  [0, '7', 8n | 0x20n, undefined, -22n, 0n],
  [0, '7', 31n, undefined, -22n, 0n],
];


/** The packet strtol.c reads: helper, buf_len - 1, flags at 8, the string at 16. */
function packet(c: Case): Uint8Array {
  const p = new Uint8Array(16 + 128);
  const s = Uint8Array.from(c[1], (ch) => ch.charCodeAt(0)); // Latin-1: one byte a character
  p.set(s.subarray(0, 128), 16);
  p[0] = c[0];
  p[1] = (c[3] ?? Math.max(1, s.length)) - 1;
  new DataView(p.buffer).setBigUint64(8, c[2], true);
  return p;
}

const result = (data: Uint8Array): [bigint, bigint] => {
  const v = new DataView(data.buffer, data.byteOffset, 16);
  return [v.getBigInt64(0, true), v.getBigInt64(8, true)];
};

describe('bpf_strtol and bpf_strtoul', () => {
  for (const { name, engine } of ENGINES) {
    it(`give the kernel's results on the ${name}`, () => {
      const prog = loadObject(fixture('strtol'), { jitEngine: engine }).program('strtox');
      for (const c of CASES) {
        const r = prog.runXdp(packet(c), { jit: name === 'jit' });
        expect({ c: c.slice(0, 4), r: result(r.packet) }).toEqual({ c: c.slice(0, 4), r: [c[4], c[5]] });
      }
    });
  }

  const k = kernelOracle();
  if (typeof k === 'string') skipNote(k);
  it.skipIf(typeof k === 'string')('match the kernel live (BPF_PROG_TEST_RUN)', () => {
    if (typeof k === 'string') return;
    const out = k.exec([{ op: 'obj', path: O, program: 'strtox' }, ...CASES.map((c) => ({ op: 'run' as const, prog: { ref: 0 }, data: packet(c) }))]);
    expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
    CASES.forEach((c, i) => {
      const r = out[i + 1]!;
      if (r.kind !== 'run') throw new Error(JSON.stringify(r));
      expect({ c: c.slice(0, 4), r: result(r.data) }).toEqual({ c: c.slice(0, 4), r: [c[4], c[5]] });
    });
  });
});
