/**
 * The known-bits domain (src/verifier/analysis/tnum.ts): a table of hand-checked cases per operation, then
 * every operation checked for soundness and exactness where it must be exact, exhaustively over all
 * tnums of the low 4 bits (81 of them; higher bits known 0) against the concrete operation on every member.
 */
import { describe, expect, it } from 'vitest';
import {
  describeTnum, tnumAdd, tnumAnd, tnumArsh, tnumConst, tnumContains, tnumHas, tnumIntersect, tnumLow32, tnumLsh, tnumMaxAtMost,
  tnumMinAtLeast, tnumMul, tnumOr, tnumRange, tnumRsh, tnumSignedBounds, tnumSignExtend, tnumSub, tnumTrailingZeros, tnumUnion,
  tnumWithLow32, tnumXor, TNUM_UNKNOWN, type Tnum,
} from '../../src/verifier/analysis/tnum.js';

const M64 = (1n << 64n) - 1n;
/** `'1x0'` -> tnum (bits left to right, high first). */
const t = (s: string): Tnum => {
  let value = 0n;
  let mask = 0n;
  for (const c of s) {
    value <<= 1n;
    mask <<= 1n;
    if (c === '1') value |= 1n;
    else if (c === 'x') mask |= 1n;
  }
  return { value, mask };
};

describe('tnum operations, by hand', () => {
  const cases: [string, Tnum, string][] = [
    ['add 1x + 1 ({2, 3} + 1 = {3, 4})', tnumAdd(t('1x'), t('1')), 'xxx'],
    ['add 10 + 01', tnumAdd(t('10'), t('01')), '11'],
    ['add x0 + x0 (carries out of the top unknown bit)', tnumAdd(t('x0'), t('x0')), 'xx0'],
    ['add 1100 + 0100 exact', tnumAdd(t('1100'), t('0100')), '10000'],
    ['sub 100 - 1', tnumSub(t('100'), t('1')), '11'],
    ['sub 1x0 - 10', tnumSub(t('1x0'), t('10')), 'xx0'],
    ['and 1x1 & 11x', tnumAnd(t('1x1'), t('11x')), '1xx'],
    ['and x0x & 010', tnumAnd(t('x0x'), t('010')), '0'],
    ['or x00 | 001', tnumOr(t('x00'), t('001')), 'x01'],
    ['or xxxx | 1000000 (|= keeps the known one)', tnumOr(t('xxxx'), t('1000000')), '100xxxx'],
    ['xor 1x | 11', tnumXor(t('1x'), t('11')), 'x'],
    ['mul 10 * x1', tnumMul(t('10'), t('x1')), 'x10'],
    ['mul 3 * 5', tnumMul(tnumConst(3n), tnumConst(5n)), '1111'],
    ['lsh x1 << 3', tnumLsh(t('x1'), 3), 'x1000'],
    ['rsh 1x10 >> 2', tnumRsh(t('1x10'), 2), '1x'],
    ['union 101 | 111', tnumUnion(t('101'), t('111')), '1x1'],
    ['range [8, 11]', tnumRange(8n, 11n), '10xx'],
    ['range [0, 255]', tnumRange(0n, 255n), 'xxxxxxxx'],
    ['low32 of unknown', tnumLow32(TNUM_UNKNOWN), 'x'.repeat(32)],
    ['with low32 0xffffffff', tnumWithLow32(t('x'.repeat(64)), tnumConst(0xffffffffn)), 'x'.repeat(32) + '1'.repeat(32)],
  ];
  it.each(cases)('%s', (_name, got, want) => {
    expect(describeTnum(got)).toBe(describeTnum(t(want)));
  });

  it('arsh, sign extension and signed bounds keep an unknown sign as unknown', () => {
    expect(tnumArsh({ value: 1n << 63n, mask: 0n }, 4, 64)).toEqual({ value: 0xf8n << 56n, mask: 0n });
    expect(tnumArsh({ value: 0n, mask: 1n << 31n }, 1, 32)).toEqual({ value: 0n, mask: 3n << 30n });
    expect(tnumSignExtend(t('x0000000'), 8)).toEqual({ value: 0n, mask: M64 ^ 0x7fn });
    expect(tnumSignedBounds({ value: 1n, mask: 1n << 63n })).toEqual([-(1n << 63n) + 1n, 1n]);
    expect(tnumTrailingZeros(t('x1000'))).toBe(3);
    expect(tnumTrailingZeros(tnumConst(0n))).toBe(64);
  });

  it('intersect finds conflicts; contains is set inclusion', () => {
    expect(tnumIntersect(t('1x'), t('x0'))).toEqual(t('10'));
    expect(tnumIntersect(t('1x'), t('0x'))).toBeUndefined();
    expect(tnumContains(t('1x'), t('10'))).toBe(true);
    expect(tnumContains(t('10'), t('1x'))).toBe(false);
  });

  it('least and greatest members within bounds', () => {
    // multiples of 8: the least at least 9 is 16, the greatest at most 143 is 136
    expect(tnumMinAtLeast(t('x'.repeat(61) + '000'), 9n)).toBe(16n);
    expect(tnumMaxAtMost(t('x'.repeat(61) + '000'), 143n)).toBe(136n);
    // bit 6 known one: nothing in [0, 63]
    expect(tnumMaxAtMost(t('x'.repeat(57) + '1xxxxxx'), 63n)).toBeUndefined();
    expect(tnumMinAtLeast(t('1xxxxxx'), 200n)).toBeUndefined();
  });
});

/** Every tnum of the low 4 bits, and its members. */
const ALL: Tnum[] = [];
for (let v = 0n; v < 16n; v++) for (let m = 0n; m < 16n; m++) if ((v & m) === 0n) ALL.push({ value: v, mask: m });
const members = (a: Tnum): bigint[] => [...Array(16).keys()].map(BigInt).filter((x) => tnumHas(a, x));
/** The smallest tnum holding every value of a list (what an exact operation would give). */
const best = (xs: bigint[]): Tnum => xs.map(tnumConst).reduce((p, q) => tnumUnion(p, q));

describe('tnum operations, exhaustively over 4 bits', () => {
  const ops: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint, boolean][] = [
    ['add', tnumAdd, (x, y) => x + y, false],
    ['sub', tnumSub, (x, y) => (x - y) & M64, false],
    ['mul', tnumMul, (x, y) => x * y, false],
    ['and', tnumAnd, (x, y) => x & y, true],
    ['or', tnumOr, (x, y) => x | y, true],
    ['xor', tnumXor, (x, y) => x ^ y, true],
    ['union', tnumUnion, (x) => x, false],
  ];
  it.each(ops)('%s is sound (and exact where bits are independent)', (name, f, g, exact) => {
    for (const a of ALL) {
      for (const b of ALL) {
        const r = f(a, b);
        const got = name === 'union' ? [...members(a), ...members(b)] : members(a).flatMap((x) => members(b).map((y) => g(x, y)));
        for (const v of got) expect(tnumHas(r, v), `${name} ${describeTnum(a)} ${describeTnum(b)} misses ${v}`).toBe(true);
        if (exact || name === 'union') expect(r).toEqual(best(got));
      }
    }
  });

  it('shifts are exact', () => {
    for (const a of ALL) {
      for (let k = 0; k < 6; k++) {
        expect(tnumLsh(a, k)).toEqual(best(members(a).map((x) => x << BigInt(k))));
        expect(tnumRsh(a, k)).toEqual(best(members(a).map((x) => x >> BigInt(k))));
      }
    }
  });

  it('min / max within bounds are the brute-force ones', () => {
    for (const a of ALL) {
      for (let lo = 0n; lo < 16n; lo++) {
        const xs = members(a);
        const ge = xs.filter((x) => x >= lo);
        const le = xs.filter((x) => x <= lo);
        expect(tnumMinAtLeast(a, lo)).toBe(ge.length === 0 ? undefined : ge[0]);
        expect(tnumMaxAtMost(a, lo)).toBe(le.length === 0 ? undefined : le[le.length - 1]);
      }
    }
  });

  it('range is the smallest tnum of an interval prefix', () => {
    for (let lo = 0n; lo < 16n; lo++) for (let hi = lo; hi < 16n; hi++) {
      const r = tnumRange(lo, hi);
      for (let x = lo; x <= hi; x++) expect(tnumHas(r, x)).toBe(true);
    }
  });
});
