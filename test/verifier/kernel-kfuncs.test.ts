/**
 * The kernel-level verifier on kfunc calls (src/verifier/analysis/kfuncs.ts): the conntrack lookup
 * (KF_ACQUIRE | KF_RET_NULL) and bpf_ct_release (KF_RELEASE) in raw XDP programs, `call kfunc` with the
 * kernel's BTF ids. A reference leaked (on every path or on one), released twice, used after its release,
 * not NULL-checked, released at an offset; reads inside and outside the members of struct nf_conn; a write;
 * wrong arguments — each with the kernel's verdict (6.18, root), asked again live where bpf() works.
 * The kfuncs' BTF (ids and struct nf_conn's layout) is the running kernel's (/sys/kernel/btf/vmlinux);
 * without it the suite is skipped with a note.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { BtfKind, parseBtf, type Btf } from '../../src/elf/btf.js';
import { checkProgram } from '../../src/verifier/index.js';
import { skipNote } from '../kernel/runner.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const btf: Btf | undefined = existsSync(VMLINUX) ? parseBtf(new Uint8Array(readFileSync(VMLINUX))) : undefined;
if (btf === undefined) skipNote(`${VMLINUX} is missing: the kfunc verdicts need the kernel's BTF`);
const idOf = (name: string): number => btf?.types.find((t) => t !== undefined && t.kind === BtfKind.FUNC && t.name === name)?.id ?? 0;
const LOOKUP = idOf('bpf_xdp_ct_lookup');
const RELEASE = idOf('bpf_ct_release');

const lines = (...l: string[]): string => l.join('\n');
/** r0 = bpf_xdp_ct_lookup(ctx, a zeroed IPv4 tuple at fp-16, 12, zeroed opts at fp-32, 16); r6 = ctx. */
const LOOK = ['r6 = r1', 'r2 = 0', '*(u64 *)(r10 - 16) = r2', '*(u64 *)(r10 - 8) = r2', '*(u64 *)(r10 - 32) = r2', '*(u64 *)(r10 - 24) = r2', 'r1 = r6', 'r2 = r10', 'r2 += -16', 'r3 = 12', 'r4 = r10', 'r4 += -32', 'r5 = 16', `call kfunc ${LOOKUP}`];
const REL = (r = 'r0'): string[] => [`r1 = ${r}`, `call kfunc ${RELEASE}`];
const END = ['out:', 'r0 = 2', 'exit'];
/** The lookup with argument registers replaced (`at`: index in LOOK, from the end). */
const lookWith = (...set: string[]): string[] => [...LOOK.slice(0, -1), ...set, `call kfunc ${LOOKUP}`];

const CASES: readonly { name: string; kernelAccepts: boolean; source: string }[] = [
  { name: 'looked up, NULL-checked, read, released', kernelAccepts: true, source: lines(...LOOK, 'if r0 == 0 goto out', 'r1 = *(u64 *)(r0 + 128)', ...REL(), ...END) },
  { name: 'looked up, NULL-checked, released', kernelAccepts: true, source: lines(...LOOK, 'if r0 == 0 goto out', ...REL(), ...END) },
  { name: 'released from a spilled copy', kernelAccepts: true, source: lines(...LOOK, 'if r0 == 0 goto out', '*(u64 *)(r10 - 40) = r0', 'r1 = *(u64 *)(r10 - 40)', `call kfunc ${RELEASE}`, ...END) },
  { name: 'the tuple in the packet', kernelAccepts: true, source: lines('r6 = r1', 'r7 = *(u32 *)(r1 + 0)', 'r8 = *(u32 *)(r1 + 4)', 'r2 = r7', 'r2 += 12', 'if r2 > r8 goto out', 'r2 = 0', '*(u64 *)(r10 - 32) = r2', '*(u64 *)(r10 - 24) = r2', 'r1 = r6', 'r2 = r7', 'r3 = 12', 'r4 = r10', 'r4 += -32', 'r5 = 16', `call kfunc ${LOOKUP}`, 'if r0 == 0 goto out', ...REL(), ...END) },
  { name: '12-byte (old) opts', kernelAccepts: true, source: lines(...lookWith('r5 = 12'), 'if r0 == 0 goto out', ...REL(), ...END) },
  { name: 'a leak: never released', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r1 = *(u64 *)(r0 + 128)', ...END) },
  { name: 'a leak: never NULL-checked nor released', kernelAccepts: false, source: lines(...LOOK, ...END) },
  { name: 'a leak on one path', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r7 = r0', 'call 7', 'if r0 == 1 goto out', ...REL('r7'), ...END) },
  { name: 'released twice', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r7 = r0', ...REL(), ...REL('r7'), ...END) },
  { name: 'read after its release', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r7 = r0', ...REL(), 'r1 = *(u32 *)(r7 + 0)', ...END) },
  { name: 'released before its NULL check', kernelAccepts: false, source: lines(...LOOK, ...REL(), ...END) },
  { name: 'read before its NULL check', kernelAccepts: false, source: lines(...LOOK, 'r1 = *(u32 *)(r0 + 0)', 'if r0 == 0 goto out', ...REL(), ...END) },
  { name: 'released at an offset', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r1 = r0', 'r1 += 8', `call kfunc ${RELEASE}`, ...END) },
  { name: 'written', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r1 = 0', '*(u32 *)(r0 + 0) = r1', ...REL(), ...END) },
  { name: 'read past the structure', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r1 = *(u8 *)(r0 + 248)', ...REL(), ...END) },
  { name: 'read in padding no member covers', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r1 = *(u8 *)(r0 + 247)', ...REL(), ...END) },
  { name: 'read before the structure', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r1 = *(u8 *)(r0 - 1)', ...REL(), ...END) },
  { name: 'read across the end of a member (through a moved copy)', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', 'r7 = r0', 'r7 += 8', 'r1 = *(u64 *)(r7 + 0)', ...REL(), ...END) },
  { name: 'the lookup given the stack for the context', kernelAccepts: false, source: lines(...lookWith('r1 = r10'), 'if r0 == 0 goto out', ...REL(), ...END) },
  { name: 'the lookup given NULL opts', kernelAccepts: false, source: lines(...lookWith('r4 = 0', 'r5 = 0'), 'if r0 == 0 goto out', ...REL(), ...END) },
  { name: 'release of NULL', kernelAccepts: false, source: lines('r1 = 0', `call kfunc ${RELEASE}`, ...END) },
  { name: 'release of a stack pointer', kernelAccepts: false, source: lines('r1 = r10', 'r1 += -8', `call kfunc ${RELEASE}`, ...END) },
  { name: 'r0 read after the void release', kernelAccepts: false, source: lines(...LOOK, 'if r0 == 0 goto out', ...REL(), 'exit', ...END) },
];

describe.skipIf(btf === undefined)('kfunc references against the kernel', () => {
  const kfuncs = { btf: btf!, calls: new Map([[LOOKUP, 'bpf_xdp_ct_lookup'], [RELEASE, 'bpf_ct_release']]) };
  for (const c of CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const issues = checkProgram(assemble(c.source), { level: 'kernel', programType: 'xdp', allowKfuncCalls: true, kfuncs });
      const errors = issues.filter((i) => i.severity === 'error');
      expect(errors.length === 0, JSON.stringify(errors)).toBe(c.kernelAccepts);
    });
  }

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: 'xdp', insns: assemble(c.source), logLevel: 1 }));

  it('without the kfunc table a raw kfunc call is refused, as before', () => {
    const issues = checkProgram(assemble(lines(...LOOK, ...END)), { level: 'kernel', programType: 'xdp', allowKfuncCalls: true });
    expect(issues.some((i) => i.severity === 'error' && /kfunc call .* is not modelled/.test(i.message))).toBe(true);
  });
});
