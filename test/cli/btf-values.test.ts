import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/loader.js';
import { decodeValue, encodeValue, formatValue } from '../../src/cli/btf-values.js';
import { mapTypes } from '../../src/cli/object-maps.js';

const root = new URL('../../', import.meta.url).pathname;
const obj = loadObject(new Uint8Array(readFileSync(`${root}examples/xdp_firewall.o`)));

describe('map values through BTF', () => {
  const cases = [
    ['proto_stats', 'key'],
    ['proto_stats', 'value'],
    ['drops_by_saddr', 'key'],
    ['drops_by_saddr', 'value'],
  ] as const;
  for (const [map, side] of cases) {
    it(`${map} ${side}: encode(decode(bytes)) gives the bytes back, through JSON text`, () => {
      const t = mapTypes(obj, obj.map(map))[side];
      fc.assert(
        fc.property(fc.uint8Array({ minLength: t.size, maxLength: t.size }), (bytes) => {
          const json = JSON.parse(JSON.stringify(decodeValue(t, bytes)));
          expect([...encodeValue(t, json, 'x')]).toEqual([...bytes]);
        }),
        { numRuns: 200 },
      );
    });
  }
  it('decodes structs by field, __be32 as dotted addresses, and u64 beyond 2^53 as decimal strings', () => {
    const t = mapTypes(obj, obj.map('proto_stats'));
    const v = new Uint8Array(16);
    new DataView(v.buffer).setBigUint64(0, 7n, true);
    new DataView(v.buffer).setBigUint64(8, (1n << 64n) - 1n, true);
    expect(decodeValue(t.value, v)).toEqual({ packets: 7, bytes: '18446744073709551615' });
    expect(formatValue(decodeValue(t.value, v))).toBe('{ packets: 7, bytes: 18446744073709551615 }');
    const k = mapTypes(obj, obj.map('drops_by_saddr')).key;
    expect(decodeValue(k, Uint8Array.from([10, 0, 0, 1]))).toBe('10.0.0.1');
    expect([...encodeValue(k, 0x0a000001, 'k')]).toEqual([10, 0, 0, 1]);
    expect([...encodeValue(k, '10.0.0.1', 'k')]).toEqual([10, 0, 0, 1]);
  });
  it('untyped values: little-endian integers up to 8 bytes, hex strings beyond', () => {
    expect(decodeValue({ size: 4 }, Uint8Array.from([1, 2, 0, 0]))).toBe(0x201);
    expect(decodeValue({ size: 3 }, Uint8Array.from([1, 2, 3]))).toBe('0x010203');
    expect([...encodeValue({ size: 2 }, '0x102', 'v')]).toEqual([2, 1]);
    expect([...encodeValue({ size: 2 }, -1, 'v')]).toEqual([255, 255]);
    expect([...encodeValue({ size: 3 }, '01 02 03', 'v')]).toEqual([1, 2, 3]);
    expect(() => encodeValue({ size: 3 }, 5, 'v')).toThrow(/v: give this untyped 3-byte value as a hex string/);
    expect(() => encodeValue({ size: 4 }, 1.5, 'v')).toThrow(/v: 1.5 is not an integer/);
  });
});
