/**
 * The program types beyond packet filters and tracing (sk_skb, sk_msg, cgroup_sock_addr and its hooks)
 * against the live kernel: every load and store of each context (ctx-probes.ts), the return values,
 * the pointer fields (`data` / `data_end`, `sk`) used as the kernel lets them be, each accepted or
 * refused by tsbpf exactly when BPF_PROG_LOAD (as root, with the expected attach type) accepts or refuses
 * it. Skips where bpf() is refused; the table test below names the kernel verdicts the layouts encode.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';
import { attachNumber, ctxProbes, okReturn, returnProbes, type Probe, type ProbeConfig } from './ctx-probes.js';

/** A packet read and write after `data + 8 <= data_end`, the pointers loaded from `data` / `end` as `t`. */
const packet = (c: ProbeConfig, data: number, end: number, t: string): Probe[] => {
  const head = `r2 = *(${t} *)(r1 + ${data})\nr3 = *(${t} *)(r1 + ${end})\nr4 = r2\nr4 += 8\nif r4 > r3 goto +1`;
  return [
    { name: 'packet read after the check', src: `${head}\nr0 = *(u8 *)(r2 + 7)\nr0 = ${okReturn(c)}\nexit` },
    { name: 'packet write after the check', src: `${head}\n*(u8 *)(r2 + 7) = 1\nr0 = ${okReturn(c)}\nexit` },
    { name: 'packet read past the check', src: `${head}\nr0 = *(u8 *)(r2 + 8)\nr0 = ${okReturn(c)}\nexit` },
    { name: 'packet read without the check', src: `r2 = *(${t} *)(r1 + ${data})\nr0 = *(u8 *)(r2 + 0)\nr0 = ${okReturn(c)}\nexit` },
  ];
};

/** The socket at `off`: read without and with a null check, past its end, written, released. */
const sk = (c: ProbeConfig, off: number): Probe[] => {
  const ret = `r0 = ${okReturn(c)}\nexit`;
  return [
    { name: 'sk field without a null check', src: `r2 = *(u64 *)(r1 + ${off})\nr0 = *(u32 *)(r2 + 4)\n${ret}` },
    { name: 'sk field after a null check', src: `r2 = *(u64 *)(r1 + ${off})\nif r2 == 0 goto +1\nr0 = *(u32 *)(r2 + 4)\n${ret}` },
    { name: 'sk past its end', src: `r2 = *(u64 *)(r1 + ${off})\nif r2 == 0 goto +1\nr0 = *(u32 *)(r2 + 80)\n${ret}` },
    { name: 'sk written', src: `r2 = *(u64 *)(r1 + ${off})\nif r2 == 0 goto +2\nr3 = 1\n*(u32 *)(r2 + 16) = r3\n${ret}` },
    { name: 'sk released', src: `r2 = *(u64 *)(r1 + ${off})\nif r2 == 0 goto +2\nr1 = r2\ncall 86\n${ret}` },
    { name: 'bpf_tcp_sock of sk', src: `r2 = *(u64 *)(r1 + ${off})\nif r2 == 0 goto +4\nr1 = r2\ncall 96\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 + 0)\n${ret}` },
  ];
};

const SOCK_ADDR_HOOKS = [
  'cgroup_inet4_bind', 'cgroup_inet6_bind', 'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg',
  'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_inet4_getsockname',
  'cgroup_inet6_getsockname', 'cgroup_unix_connect', 'cgroup_unix_sendmsg', 'cgroup_unix_recvmsg', 'cgroup_unix_getpeername', 'cgroup_unix_getsockname',
] as const;
/** The hooks whose layouts differ (the others share one of these with another return range). */
const SOCK_ADDR_LAYOUTS = new Set(['cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'cgroup_unix_connect']);

/** Every config with its probes. */
const CONFIGS: { config: ProbeConfig; probes: Probe[] }[] = [
  (() => {
    const config: ProbeConfig = { type: 'sk_skb', size: 192, misaligned: true };
    return { config, probes: [...ctxProbes(config), ...returnProbes(), ...packet(config, 76, 80, 'u32'), ...sk(config, 168)] };
  })(),
  (() => {
    const config: ProbeConfig = { type: 'sk_msg', size: 80, misaligned: true };
    return { config, probes: [...ctxProbes(config), ...returnProbes(), ...packet(config, 0, 8, 'u64'), ...sk(config, 72)] };
  })(),
  ...SOCK_ADDR_HOOKS.map((attach) => {
    const config: ProbeConfig = { type: 'cgroup_sock_addr', attach, size: 72, misaligned: attach === 'cgroup_inet6_connect' };
    return { config, probes: [...(SOCK_ADDR_LAYOUTS.has(attach) ? [...ctxProbes(config), ...sk(config, 64)] : []), ...returnProbes()] };
  }),
];

const label = (c: ProbeConfig): string => `${c.type}${c.attach === undefined ? '' : `/${c.attach}`}`;

describe('context, return values and pointer fields of sk_skb, sk_msg and cgroup_sock_addr', () => {
  it('are accepted and refused as the live kernel does', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const all = CONFIGS.flatMap(({ config, probes }) => probes.map((p) => ({ config, p })));
    const verdicts = k.verdicts(all.map(({ config, p }) => ({ type: config.type, attachType: attachNumber(config), insns: assemble(p.src), logLevel: 1 })));
    const mismatches: string[] = [];
    const accepted = new Map<string, number>();
    all.forEach(({ config, p }, i) => {
      const v = verdicts[i]!;
      if (v.accepted) accepted.set(label(config), (accepted.get(label(config)) ?? 0) + 1);
      const issues = checkProgram(assemble(p.src), { level: 'kernel', programType: config.type, ...(config.attach === undefined ? {} : { attachType: config.attach }) }).filter((x) => x.severity === 'error');
      if ((issues.length === 0) !== v.accepted) {
        mismatches.push(`${label(config)} ${p.name}: kernel ${v.accepted ? 'accepts' : `refuses (${v.log.trim().split('\n').slice(-2, -1)[0]})`}, tsbpf ${issues.length === 0 ? 'accepts' : `refuses (${issues[0]!.message})`}`);
      }
    });
    expect(mismatches).toEqual([]);
    // both answers occur for every config
    for (const { config, probes } of CONFIGS) {
      expect(accepted.get(label(config)) ?? 0, label(config)).toBeGreaterThan(0);
      expect(accepted.get(label(config)) ?? 0, label(config)).toBeLessThan(probes.length);
    }
  });
});
