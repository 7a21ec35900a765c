/**
 * The per-program-type helper table (src/verifier/analysis/helper-types.ts) against the live kernel:
 * `call N` with no arguments set is refused with "program of this type cannot use helper" (or "unknown
 * func", or for a sleeping helper in a program that may not sleep "helper call might sleep in a
 * non-sleepable prog", or "helper call is not allowed in probe" for bpf_d_path) exactly when the table says the type (loaded with each of its expected attach types) may not call N. Skips with a visible note where bpf() is
 * refused; the table then stands as recorded (kernel 6.18, root).
 *
 * A few helpers depend on how the host's kernel was built, not on the program type's rules: the table
 * follows the kernels programs are written for, and where this host's kernel differs on one of those the
 * test says so in a note instead of failing.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { HELPER_PROTOS } from '../../src/verifier/analysis/helpers.js';
import { helperAllowed, HELPERS_BY_TYPE } from '../../src/verifier/analysis/helper-types.js';
import { ATTACH_TYPES, ATTACH_TYPES_OF, PROGRAM_TYPES, type AttachType, type ProgramType } from '../../src/verifier/analysis/program-types.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';

/** `type id` -> what differs between kernel builds (seen on this project's hosts). */
const HOST_DEPENDENT: ReadonlyMap<string, string> = new Map([
  ['xdp 54', 'bpf_xdp_adjust_meta: kernel 6.18.44-fc-v1272 allowed it for xdp, 6.18.44-fc-v1300 refuses it (2026-12-06)'],
]);

/** Each attach type of a type (undefined: none, or a plain XDP program). */
const attachesOf = (type: ProgramType): (AttachType | undefined)[] => (type === 'xdp' ? [undefined, 'xdp_devmap'] : [...(ATTACH_TYPES_OF[type] ?? [undefined])]);

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
    // BTF tracing programs load only with an attach target (BPF_PROG_LOAD's attach_btf_id), which these bare
    // loads have not: their table is a superset, not measured (kernel-btf-ptr.test.ts loads real ones)
    const cases = PROGRAM_TYPES.filter((t) => t !== 'tracing').flatMap((type) => attachesOf(type).flatMap((attach) => ids.map((id) => ({ type, attach, id }))));
    const verdicts = k.verdicts(cases.map((c) => ({ type: c.type, attachType: c.attach === undefined ? 0 : ATTACH_TYPES[c.attach], insns: assemble(`call ${c.id}\nr0 = 0\nexit`), logLevel: 1 })));
    // A sleeping helper in a program not loaded sleepable (all but syscall) and bpf_d_path outside its
    // attach points are refused at the same call: the type cannot use them either.
    const refused = /cannot use helper|unknown func|might sleep in a non-sleepable prog|bpf_d_path#147\nhelper call is not allowed in probe/;
    const mismatches = cases.filter((c, i) => refused.test(verdicts[i]!.log) === helperAllowed(c.type, c.id, c.attach));
    for (const c of mismatches) {
      const why = HOST_DEPENDENT.get(`${c.type} ${c.id}`);
      if (why !== undefined) console.warn(`[kernel oracle] this kernel differs from the helper table on ${c.type} helper ${c.id}, which depends on the kernel build: ${why}`);
    }
    expect(mismatches.filter((c) => !HOST_DEPENDENT.has(`${c.type} ${c.id}`))).toEqual([]);
  });
});
