/**
 * The per-program-type helper table (src/verifier/analysis/helper-types.ts) against the live kernel:
 * `call N` with no arguments set is refused with "program of this type cannot use helper" (or "unknown
 * func") exactly when the table says the type may not call N. Skips with a visible note where bpf() is
 * refused; the table then stands as recorded (kernel 6.18, root).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { HELPER_PROTOS } from '../../src/verifier/analysis/helpers.js';
import { HELPERS_BY_TYPE } from '../../src/verifier/analysis/helper-types.js';
import { PROGRAM_TYPES } from '../../src/verifier/analysis/program-types.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';

describe('helpers per program type', () => {
  it('cover every helper prototype for every program type the analysis knows', () => {
    for (const t of PROGRAM_TYPES) for (const id of HELPERS_BY_TYPE[t]) expect(HELPER_PROTOS.has(id), `${t}: ${id}`).toBe(true);
    // the helpers every type has
    for (const t of PROGRAM_TYPES) for (const id of [1, 2, 3, 5, 7, 8, 12]) expect(HELPERS_BY_TYPE[t].has(id), `${t}: ${id}`).toBe(true);
  });

  it('match the live kernel', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const ids = [...HELPER_PROTOS.keys()];
    const cases = PROGRAM_TYPES.flatMap((type) => ids.map((id) => ({ type, id })));
    const verdicts = k.verdicts(cases.map((c) => ({ type: c.type, insns: assemble(`call ${c.id}\nr0 = 0\nexit`), logLevel: 1 })));
    const mismatches = cases.filter((c, i) => /cannot use helper|unknown func/.test(verdicts[i]!.log) === HELPERS_BY_TYPE[c.type].has(c.id));
    expect(mismatches).toEqual([]);
  });
});
