import { describe, expect, it } from 'vitest';
import { cli, manifest, memArgs } from './helpers.js';


describe('--jit on raw programs', () => {
  it('conformance-plugin --jit passes every manifest test', async () => {
    const failures: string[] = [];
    for (const t of manifest) {
      const r = await cli(['conformance-plugin', ...memArgs(t.mem), '--jit'], t.program);
      if (r.code !== 0 || BigInt(r.out.trim()) !== BigInt.asUintN(64, BigInt(t.result))) failures.push(`${t.name}: ${r.out}${r.err}`);
    }
    expect(failures).toEqual([]);
  });
  it('run --jit gives the interpreter result and the same errors', async () => {
    expect((await cli(['run', 'b7000000ffffffff9500000000000000', '--jit'])).out).toBe(
      'r0 = 0xffffffffffffffff (18446744073709551615, signed -1)\n',
    );
    const oob = ['run', '61100800000000009500000000000000', '--mem-hex', '00'];
    const [a, b] = [await cli(oob), await cli([...oob, '--jit'])];
    expect(b.err).toBe(a.err);
    expect(b.code).toBe(1);
  });
});
