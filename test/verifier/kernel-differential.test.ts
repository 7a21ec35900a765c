/**
 * The kernel-level verifier against the kernel's own (BPF_PROG_LOAD through test/kernel/runner.ts, as
 * root): the same programs, program types and maps, accept/reject compared. Generated programs
 * (test/verifier/generate.ts, fixed seed) plus a table of hand-written cases whose verdicts were checked
 * against the kernel (kernel 6.18) and stay as tests where the system call is refused. Skips the live
 * comparison with a visible note when bpf() is not available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram, type KernelProgramType } from '../../src/verifier/index.js';
import { kernelOracle } from '../kernel/runner.js';
import { GEN_MAPS, generatePrograms } from './generate.js';

/** Hand-written cases and the kernel's verdict on them (as root). */
const AGREED: readonly { name: string; type: KernelProgramType; source: string; kernelAccepts: boolean }[] = [
  { name: 'uninitialised stack read', type: 'socket_filter', source: 'r0 = *(u64 *)(r10 - 8)\nr0 = 0\nexit', kernelAccepts: true },
  { name: 'uninitialised stack as a helper key', type: 'socket_filter', source: 'r1 = map_fd 1 ll\nr2 = r10\nr2 += -4\ncall 1\nr0 = 0\nexit', kernelAccepts: true },
  { name: 'pointer stored into a map value', type: 'socket_filter', source: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map_fd 1 ll\ncall 1\nif r0 == 0 goto out\n*(u64 *)(r0 + 0) = r10\nout:\nr0 = 0\nexit', kernelAccepts: true },
  { name: 'pointer returned', type: 'xdp', source: 'r0 = r10\nexit', kernelAccepts: true },
  { name: 'pointer stored into skb->cb', type: 'sched_cls', source: '*(u32 *)(r1 + 48) = r10\nr0 = 0\nexit', kernelAccepts: true },
  { name: '32-bit copy of a pointer', type: 'xdp', source: 'w0 = w1\nexit', kernelAccepts: true },
  { name: 'R0 unset at a subprogram exit', type: 'xdp', source: 'r0 = 1\ncall local f\nexit\nf:\nr0 += 1\nexit', kernelAccepts: false },
  { name: 'subprogram returning without R0, unread', type: 'xdp', source: 'r6 = 0\ncall local f\nr0 = 0\nexit\nf:\nr6 = 1\nexit', kernelAccepts: true },
  { name: 'subprogram returning without R0, read by the caller', type: 'xdp', source: 'call local f\nexit\nf:\nr6 = 1\nexit', kernelAccepts: false },
  { name: 'context pointer compared with 0: both paths walked', type: 'xdp', source: 'if r1 == 0 goto e\nr0 = 1\ne:\nexit', kernelAccepts: false },
  { name: 'stack pointer compared with 0: both paths walked', type: 'xdp', source: 'r2 = r10\nif r2 == 0 goto e\nr0 = 1\ne:\nexit', kernelAccepts: false },
  { name: 'map pointer compared with 0: never equal', type: 'xdp', source: 'r2 = map_fd 1 ll\nif r2 == 0 goto e\nr0 = 1\ne:\nexit', kernelAccepts: true },
  { name: 'division by the immediate 0', type: 'xdp', source: 'r0 = 1\nr0 /= 0\nexit', kernelAccepts: false },
  { name: 'division by a register holding 0', type: 'xdp', source: 'r0 = 1\nr1 = 0\nr0 /= r1\nexit', kernelAccepts: true },
  { name: 'pointer minus pointer of other types', type: 'xdp', source: 'r2 = *(u32 *)(r1 + 0)\nr0 = r10\nr0 -= r2\nr0 = 0\nexit', kernelAccepts: true },
  { name: 'pointer spilled with 4 bytes', type: 'xdp', source: '*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit', kernelAccepts: false },
  { name: 'spilled pointer filled with 4 bytes', type: 'xdp', source: '*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nr0 = 0\nexit', kernelAccepts: false },
  { name: 'unreachable instruction', type: 'xdp', source: 'r0 = 0\nexit\nr0 = 1\nexit', kernelAccepts: false },
  { name: 'cgroup_skb returning 2', type: 'cgroup_skb', source: 'r0 = 2\nexit', kernelAccepts: false },
  { name: 'shift by 64', type: 'xdp', source: 'r0 = 1\nr0 <<= 64\nexit', kernelAccepts: false },
  { name: 'modified ctx pointer dereferenced', type: 'xdp', source: 'r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit', kernelAccepts: false },
  { name: 'arithmetic on data_end', type: 'xdp', source: 'r3 = *(u32 *)(r1 + 4)\nr3 += 1\nr0 = 0\nexit', kernelAccepts: false },
  { name: 'pointer multiplied', type: 'xdp', source: 'r1 *= 2\nr0 = 0\nexit', kernelAccepts: false },
  { name: 'bounded loop', type: 'xdp', source: 'r1 = 0\nl:\nr1 += 1\nif r1 < 100 goto l\nr0 = 0\nexit', kernelAccepts: true },
  { name: 'array lookup with a constant key in range is not null', type: 'sched_cls', source: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map_fd 1 ll\ncall 1\nr0 = *(u32 *)(r0 + 0)\nr0 = 0\nexit', kernelAccepts: true },
  { name: 'narrow read of an xdp_md field', type: 'xdp', source: 'r0 = *(u16 *)(r1 + 16)\nr0 = 0\nexit', kernelAccepts: false },
  { name: 'narrow write of an __sk_buff field', type: 'sched_cls', source: 'r2 = 1\n*(u8 *)(r1 + 8) = r2\nr0 = 0\nexit', kernelAccepts: false },
  { name: 'misaligned stack access', type: 'xdp', source: 'r1 = 0\n*(u32 *)(r10 - 6) = r1\nr0 = 0\nexit', kernelAccepts: false },
  { name: 'subtraction from the stack pointer', type: 'xdp', source: 'r1 = r10\nr1 -= 8\nr0 = 0\nexit', kernelAccepts: false },
  { name: 'loop that never advances', type: 'xdp', source: 'r1 = 0\nl:\nr1 += 0\nif r1 < 100 goto l\nr0 = 0\nexit', kernelAccepts: false },
  // Reserved fields are checked where the walk reaches an instruction (`hex:` is raw bytecode): r0 = 0; if r0 == 1 goto +1; exit; BAD; exit
  { name: 'mov with a src field, reached', type: 'xdp', source: 'hex:b7100000010000009500000000000000', kernelAccepts: false },
  { name: 'add with a src field, reached', type: 'xdp', source: 'hex:b7000000010000000710000001000000' + '9500000000000000', kernelAccepts: false },
  { name: 'jeq with a src field, reached', type: 'xdp', source: 'hex:b700000001000000151001000100000095000000000000009500000000000000', kernelAccepts: false },
  ...['b710000001000000', '0710000001000000', '1510000001000000', 'dc10000010000000', '8700000001000000', '6210000000000000', '7b10000001000000', '0500000001000000', '3710000001000000', '18000100000000000000000000000000'].map((bad) => ({
    name: `reserved field set in dead code (${bad.slice(0, 16)})`,
    type: 'xdp' as const,
    source: `hex:b7000000000000001500010001000000${'9500000000000000'}${bad}9500000000000000`,
    kernelAccepts: true,
  })),
  // An array lookup is not null when the kernel knows the key: a 4-byte constant spilled at an 8-byte aligned
  // offset, or a key whose bytes were all stored as zero; else the result may be null (`key -N`: the key's offset).
  ...(
    [
      ['r1 = 1\n*(u32 *)(r10 - 4) = r1', 4, false],
      ['*(u32 *)(r10 - 4) = 1', 4, false],
      ['r1 = 1\n*(u32 *)(r10 - 12) = r1', 12, false],
      ['r1 = 1\n*(u32 *)(r10 - 8) = r1', 8, true],
      ['*(u32 *)(r10 - 8) = 1', 8, true],
      ['r1 = 1\n*(u32 *)(r10 - 16) = r1', 16, true],
      ['r1 = 1\n*(u64 *)(r10 - 8) = r1', 8, false],
      ['r1 = 0\n*(u64 *)(r10 - 8) = r1', 8, false],
      ['r1 = 0\n*(u64 *)(r10 - 8) = r1', 4, true],
      ['r1 = 0\n*(u32 *)(r10 - 4) = r1', 4, true],
      ['r1 = 0\n*(u16 *)(r10 - 4) = r1\n*(u16 *)(r10 - 2) = r1', 4, true],
      ['r1 = 0\n*(u16 *)(r10 - 8) = r1\n*(u16 *)(r10 - 6) = r1', 8, false],
      ['r1 = 0\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 8) = r1', 12, true],
      ['r1 = 1\n*(u64 *)(r10 - 8) = r1\nr1 = 0\n*(u32 *)(r10 - 4) = r1', 8, false],
    ] as const
  ).map(([store, key, accepts]) => ({
    name: `array lookup, key -${key} after ${store.replace(/\n/g, '; ')}: result ${accepts ? 'known' : 'maybe null'}`,
    type: 'xdp' as const,
    source: `${store}\nr2 = r10\nr2 += -${key}\nr1 = map_fd 1 ll\ncall 1\nr0 = *(u32 *)(r0 + 0)\nr0 = 0\nexit`,
    kernelAccepts: accepts,
  })),
  // Packet ranges come from orderings only: `==` and `!=` against data_end (or meta against data) prove none.
  ...(
    [
      ['r4 = r2\nr4 += 14\nif r4 != r3 goto out', 'r2 + 8', false],
      ['r4 = r2\nr4 += 14\nif r4 == r3 goto ok\ngoto out\nok:', 'r2 + 8', false],
      ['r4 = r2\nr4 += 14\nif r3 != r4 goto out', 'r2 + 8', false],
      ['r4 = r2\nr4 += 14\nif r3 < r4 goto out', 'r2 + 8', true],
      ['r4 = *(u32 *)(r1 + 8)\nr5 = r4\nr5 += 4\nif r5 != r2 goto out', 'r4 + 0', false],
      ['r4 = *(u32 *)(r1 + 8)\nr5 = r4\nr5 += 4\nif r2 < r5 goto out', 'r4 + 0', true],
    ] as const
  ).map(([test, at, accepts]) => ({
    name: `packet read at ${at} after ${test.replace(/\n/g, '; ')}`,
    type: 'xdp' as const,
    source: `r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\n${test}\nr0 = *(u8 *)(${at})\nout:\nr0 = 0\nexit`,
    kernelAccepts: accepts,
  })),
  // Root may turn a pointer into a number: neg, byte swap, sign-extending move, an atomic operand, a
  // helper's any-value argument (bpf_redirect's flags here; 52 such arguments of the helpers tested all took a stack pointer).
  ...(
    [
      ['r1 = r10\nr1 = -r1', true],
      ['r1 = r10\nr1 = be64 r1', true],
      ['r1 = r10\nr1 = le64 r1', true],
      ['r1 = r10\nr1 = be16 r1\nr0 = *(u8 *)(r1 + 0)', false],
      ['r1 = r10\nr1 = (s32)r1', true],
      ['r1 = r10\nlock *(u64 *)(r0 + 0) += r1', true],
      ['r1 = r10\nr1 = atomic_fetch_add((u64 *)(r0 + 0), r1)', true],
      ['r1 = r10\nr1 = xchg_64(r0 + 0, r1)', true],
      ['r1 = 1\nr2 = r10\ncall 23', true],
      // atomics are aligned to their size in map values
      ['r1 = 1\nlock *(u64 *)(r0 + 4) += r1', false],
      ['r1 = 1\nlock *(u32 *)(r0 + 2) += r1', false],
      ['r1 = 1\nlock *(u32 *)(r0 + 4) += r1', true],
      ['r1 = 1\nr0 += 4\nlock *(u64 *)(r0 + 0) += r1', false],
      ['r1 = 1\nr0 += 4\nlock *(u64 *)(r0 + 4) += r1', true],
      ['r1 = 1\nr1 = atomic_fetch_add((u64 *)(r0 + 4), r1)', false],
      ['r1 = *(u64 *)(r0 + 4)', true],
    ] as const
  ).map(([body, accepts]) => ({
    name: `on a map value: ${body.replace(/\n/g, '; ')}`,
    type: 'xdp' as const,
    source: `r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map_fd 1 ll\ncall 1\nif r0 == 0 goto out\n${body}\nout:\nr0 = 0\nexit`,
    kernelAccepts: accepts,
  })),
  // bpf_csum_diff(from, from_size, to, to_size, seed) with from NULL: from_size must be set, a number, and 0
  ...(
    [
      ['r1 = 0', false],
      ['r1 = 0\nr2 = 0', true],
      ['r1 = 0\nr2 = 4', false],
      ['r1 = 0\nr2 = r10', false],
      ['call 7\nr2 = r0\nr2 &= 4\nr1 = 0', false],
    ] as const
  ).map(([args, accepts]) => ({
    name: `bpf_csum_diff of NULL: ${args.replace(/\n/g, '; ')}`,
    type: 'sched_cls' as const,
    source: `${args}\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit`,
    kernelAccepts: accepts,
  })),
  // perf_event: the registers are read 8 bytes at a time; sample_period and addr (168, 176) narrower too
  ...(
    [
      ['r0 = *(u64 *)(r1 + 128)', true],
      ['r0 = *(u32 *)(r1 + 128)', false],
      ['r0 = *(u32 *)(r1 + 132)', false],
      ['r0 = *(u16 *)(r1 + 0)', false],
      ['r0 = *(u32 *)(r1 + 168)', true],
      ['r0 = *(u32 *)(r1 + 176)', true],
      ['r0 = *(u8 *)(r1 + 179)', true],
    ] as const
  ).map(([load, accepts]) => ({ name: `perf_event: ${load}`, type: 'perf_event' as const, source: `${load}\nr0 = 0\nexit`, kernelAccepts: accepts })),
];

/** The bytecode of a case: assembly, or `hex:` raw bytes. */
const bytesOf = (source: string): Uint8Array => (source.startsWith('hex:') ? new Uint8Array(Buffer.from(source.slice(4), 'hex')) : assemble(source));

const tsbpfAccepts = (type: KernelProgramType, source: string): boolean =>
  checkProgram(bytesOf(source), { level: 'kernel', programType: type, maps: GEN_MAPS }).every((i) => i.severity !== 'error');

describe('kernel-level verifier against the kernel', () => {
  it('agrees with the recorded kernel verdicts', () => {
    for (const c of AGREED) expect({ name: c.name, accepts: tsbpfAccepts(c.type, c.source) }).toEqual({ name: c.name, accepts: c.kernelAccepts });
  });

  it('agrees with the live kernel on generated programs', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      console.warn(`SKIPPED the live kernel comparison: ${k}`);
      return;
    }
    const programs = generatePrograms(14, 400);
    const verdicts = k.verdicts(programs.map((p) => ({ type: p.type, insns: assemble(p.source), maps: GEN_MAPS, logLevel: 1 })));
    const live = AGREED.map((c) => k.verdicts([{ type: c.type, insns: bytesOf(c.source), maps: GEN_MAPS }])[0]!);
    AGREED.forEach((c, i) => expect({ name: c.name, kernel: live[i]!.accepted }).toEqual({ name: c.name, kernel: c.kernelAccepts }));
    let accepted = 0;
    let rejected = 0;
    let falseReject = 0;
    let falseAccept = 0;
    programs.forEach((p, i) => {
      const kernel = verdicts[i]!;
      const mine = tsbpfAccepts(p.type, p.source);
      if (kernel.accepted) {
        accepted++;
        if (!mine) {
          falseReject++;
          console.log(`kernel accepts, tsbpf rejects (${p.type}):\n${p.source}\n  tsbpf: ${checkProgram(assemble(p.source), { level: 'kernel', programType: p.type, maps: GEN_MAPS })[0]?.message}`);
        }
      } else {
        rejected++;
        if (mine) {
          falseAccept++;
          console.log(`kernel rejects, tsbpf accepts (${p.type}):\n${p.source}\n  kernel: ${kernel.log.trim().split('\n').slice(-2, -1)[0]}`);
        }
      }
    });
    console.log(
      `kernel differential: ${programs.length} generated programs; kernel rejects ${rejected}, tsbpf rejects ${rejected - falseAccept} of them ` +
        `(${((100 * (rejected - falseAccept)) / rejected).toFixed(1)}%); kernel accepts ${accepted}, tsbpf wrongly rejects ${falseReject} (${((100 * falseReject) / accepted).toFixed(1)}%)`,
    );
    expect(rejected).toBeGreaterThan(50);
    expect(accepted).toBeGreaterThan(50);
    expect((rejected - falseAccept) / rejected).toBeGreaterThanOrEqual(0.9);
    expect(falseReject / accepted).toBeLessThanOrEqual(0.02);
  });
});
