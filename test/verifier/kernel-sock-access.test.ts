/**
 * Sockets in the kernel-level analysis against the live kernel: every load through a `sock` and a
 * `sock_common` (each offset of `struct bpf_sock` and past it, at 1, 2, 4 and 8 bytes), stores, and the
 * reference rules (a lookup must be null-checked, released once, not used after its release, not
 * leaked), each accepted or refused by tsbpf exactly when BPF_PROG_LOAD accepts or refuses it as
 * sched_cls. Without bpf() the cases still run against the verdicts recorded from Linux 6.18, which the
 * table in src/verifier/analysis/sockets.ts was taken from.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';

/** Look a socket up (helper 84 or 99) with a zeroed IPv4 tuple on the stack; `body` runs with r0 the non-null socket. */
function lookup(helper: number, body: string, tail = 'r1 = r0\ncall 86'): string {
  return `r6 = r1
*(u64 *)(r10 - 40) = 0
*(u64 *)(r10 - 32) = 0
*(u64 *)(r10 - 24) = 0
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 8) = 0
r1 = r6
r2 = r10
r2 += -40
r3 = 12
r4 = -1
r5 = 0
call ${helper}
if r0 == 0 goto out
${body}
${tail}
out:
r0 = 0
exit`;
}

const SIZES = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
const CASES: { name: string; src: string }[] = [];
for (const helper of [84, 99]) {
  for (let off = 0; off < 84; off++) {
    for (const [n, t] of Object.entries(SIZES)) CASES.push({ name: `${helper} load ${off}/${n}`, src: lookup(helper, `r7 = *(${t} *)(r0 + ${off})`) });
  }
  CASES.push({ name: `${helper} store`, src: lookup(helper, 'r1 = 1\n*(u32 *)(r0 + 16) = r1') });
  CASES.push({ name: `${helper} leak`, src: lookup(helper, 'r7 = *(u32 *)(r0 + 4)', '') });
}
CASES.push(
  { name: 'no null check', src: lookup(84, '', '').replace('if r0 == 0 goto out', 'r7 = *(u32 *)(r0 + 4)\nr1 = r0\ncall 86') },
  { name: 'release twice', src: lookup(84, 'r7 = r0\nr1 = r0\ncall 86', 'r1 = r7\ncall 86') },
  { name: 'use after release', src: lookup(84, 'r7 = r0\nr1 = r0\ncall 86', 'r0 = *(u32 *)(r7 + 4)') },
  { name: 'release an offset pointer', src: lookup(84, 'r0 += 4', 'r1 = r0\ncall 86') },
  { name: 'release the context', src: lookup(84, 'r7 = r0\nr1 = r6\ncall 86', 'r1 = r7\ncall 86') },
  { name: 'arithmetic on sock', src: lookup(84, 'r0 += 4\nr7 = *(u32 *)(r0 + 0)\nr0 -= 4') },
  { name: 'sock_common released', src: lookup(99, 'r7 = *(u32 *)(r0 + 72)') },
  { name: 'assign then release', src: lookup(84, 'r7 = r0\nr1 = r6\nr2 = r0\nr3 = 0\ncall 124', 'r1 = r7\ncall 86') },
  { name: 'assign a sock_common', src: lookup(99, 'r7 = r0\nr1 = r6\nr2 = r0\nr3 = 0\ncall 124', 'r1 = r7\ncall 86') },
  { name: 'assign after release', src: lookup(84, 'r7 = r0\nr1 = r0\ncall 86', 'r1 = r6\nr2 = r7\nr3 = 0\ncall 124') },
  { name: 'copy released too', src: lookup(84, 'r8 = r0\nr1 = r0\ncall 86', 'r0 = *(u32 *)(r8 + 4)') },
  { name: 'release a null socket', src: lookup(84, '', '').replace('if r0 == 0 goto out', 'if r0 != 0 goto +2\nr1 = r0\ncall 86\nif r0 == 0 goto out\nr1 = r0\ncall 86') },
);

describe('sockets in the kernel-level analysis', () => {
  it('accept and refuse loads, stores and references as the live kernel does', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const verdicts = k.verdicts(CASES.map((c) => ({ type: 'sched_cls' as const, insns: assemble(c.src), logLevel: 1 })));
    const mismatches: string[] = [];
    let accepted = 0;
    CASES.forEach((c, i) => {
      const v = verdicts[i]!;
      if (v.accepted) accepted++;
      const issues = checkProgram(assemble(c.src), { level: 'kernel', programType: 'sched_cls' }).filter((x) => x.severity === 'error');
      if ((issues.length === 0) !== v.accepted) {
        mismatches.push(`${c.name}: kernel ${v.accepted ? 'accepts' : `refuses (${v.log.trim().split('\n').slice(-2, -1)[0]})`}, tsbpf ${issues.length === 0 ? 'accepts' : `refuses (${issues[0]!.message})`}`);
      }
    });
    expect(mismatches).toEqual([]);
    // Both answers occur: 2 x (96 loads + the fixtures that load).
    expect(accepted).toBeGreaterThan(150);
    expect(accepted).toBeLessThan(CASES.length - 300);
  });
});
