/**
 * The program types beyond packet filters and tracing (sk_skb, sk_msg, the cgroup types and their hooks,
 * sk_lookup, sk_reuseport, the lightweight tunnels, the flow dissector, syscall, writable raw tracepoints) against the live kernel: every load and store of each context (ctx-probes.ts), the return values,
 * the pointer fields (`data` / `data_end`, `sk`) used as the kernel lets them be, each accepted or
 * refused by tsbpf exactly when BPF_PROG_LOAD (as root, with the expected attach type) accepts or refuses
 * it. Skips where bpf() is refused; the table test below names the kernel verdicts the layouts encode.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
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

/** A flow dissector's `flow_keys`: every load and store around `struct bpf_flow_keys`, moved, atomic, passed, spilled. */
const flowKeys = (): Probe[] => {
  const L = 'r2 = *(u64 *)(r1 + 144)';
  const out: Probe[] = [];
  for (let off = -2; off < 60; off++) {
    for (const t of ['u8', 'u16', 'u32', 'u64']) {
      out.push({ name: `flow_keys load ${off}/${t}`, src: `${L}\nr0 = *(${t} *)(r2 ${off < 0 ? '-' : '+'} ${Math.abs(off)})\nr0 = 0\nexit` });
      out.push({ name: `flow_keys store ${off}/${t}`, src: `${L}\nr3 = 1\n*(${t} *)(r2 ${off < 0 ? '-' : '+'} ${Math.abs(off)}) = r3\nr0 = 0\nexit` });
    }
  }
  const cases: [string, string][] = [
    ['moved then read', 'r2 += 8\nr0 = *(u32 *)(r2 + 0)'],
    ['moved then read past', 'r2 += 8\nr0 = *(u64 *)(r2 + 48)'],
    ['moved back', 'r2 -= 4\nr0 = *(u8 *)(r2 + 4)'],
    ['variable offset', 'r6 = r2\ncall 7\nr0 &= 7\nr6 += r0\nr0 = *(u8 *)(r6 + 0)'],
    ['atomic add', 'r3 = 1\nlock *(u32 *)(r2 + 4) += r3'],
    ['pointer stored', '*(u64 *)(r2 + 8) = r2'],
    ['to a helper as memory', 'r1 = r2\nr2 = 8\ncall 6'],
    ['spilled and filled', '*(u64 *)(r10 - 8) = r2\nr3 = *(u64 *)(r10 - 8)\nr0 = *(u8 *)(r3 + 0)'],
    ['masked', 'r2 &= 0'],
  ];
  for (const [name, body] of cases) out.push({ name: `flow_keys ${name}`, src: `${L}\n${body}\nr0 = 0\nexit` });
  return out;
};

const SOCK_ADDR_HOOKS = [
  'cgroup_inet4_bind', 'cgroup_inet6_bind', 'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg',
  'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_inet4_getsockname',
  'cgroup_inet6_getsockname', 'cgroup_unix_connect', 'cgroup_unix_sendmsg', 'cgroup_unix_recvmsg', 'cgroup_unix_getpeername', 'cgroup_unix_getsockname',
] as const;
/** The hooks whose layouts differ (the others share one of these with another return range). */
const SOCK_ADDR_LAYOUTS = new Set(['cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'cgroup_unix_connect']);

/** A config probed in full: its context, return values, and the packet and socket fields it has. */
const full = (config: ProbeConfig, packetAt?: [number, number, string], sks: number[] = []): { config: ProbeConfig; probes: Probe[] } => ({
  config,
  probes: [...ctxProbes(config), ...returnProbes(), ...(packetAt === undefined ? [] : packet(config, ...packetAt)), ...sks.flatMap((off) => sk(config, off))],
});

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
  ...(['cgroup_inet_sock_create', 'cgroup_inet4_post_bind', 'cgroup_inet6_post_bind', 'cgroup_inet_sock_release'] as const).map((attach) =>
    full({ type: 'cgroup_sock', attach, size: 80, misaligned: attach === 'cgroup_inet_sock_create' }),
  ),
  full({ type: 'cgroup_sockopt', attach: 'cgroup_getsockopt', size: 40, misaligned: true }, [8, 16, 'u64'], [0]),
  full({ type: 'cgroup_sockopt', attach: 'cgroup_setsockopt', size: 40 }, [8, 16, 'u64'], [0]),
  full({ type: 'cgroup_device', size: 12, misaligned: true }),
  full({ type: 'cgroup_sysctl', size: 8, misaligned: true }),
  full({ type: 'sk_lookup', attach: 'sk_lookup', size: 68, misaligned: true }, undefined, [0]),
  full({ type: 'sk_reuseport', attach: 'sk_reuseport_select', size: 56, misaligned: true }, [0, 8, 'u64'], [40, 48]),
  full({ type: 'sk_reuseport', attach: 'sk_reuseport_select_or_migrate', size: 56 }, [0, 8, 'u64'], [40, 48]),
  (() => {
    const f = full({ type: 'flow_dissector', size: 192, misaligned: true }, [76, 80, 'u32']);
    return { ...f, probes: [...f.probes, ...flowKeys()] };
  })(),
  (() => {
    // The caller's own buffer: every aligned offset up to 65535 bytes, only through r1 unmoved.
    const f = full({ type: 'syscall', size: 24, misaligned: true });
    const far: Probe[] = [
      { name: 'load far', src: 'r0 = *(u64 *)(r1 + 32760)\nr0 = 0\nexit' },
      { name: 'store far', src: 'r2 = 1\n*(u8 *)(r1 + 32767) = r2\nr0 = 0\nexit' },
      { name: 'through a moved pointer', src: 'r1 += 8\nr0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit' },
      { name: 'negative offset', src: 'r0 = *(u8 *)(r1 - 1)\nr0 = 0\nexit' },
      { name: 'variable offset', src: 'r6 = r1\ncall 7\nr0 &= 7\nr6 += r0\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit' },
      { name: 'atomic add', src: 'r2 = 1\nlock *(u64 *)(r1 + 0) += r2\nr0 = 0\nexit' },
      { name: 'pointer stored', src: '*(u64 *)(r1 + 0) = r1\nr0 = 0\nexit' },
      { name: 'to a helper as memory', src: 'r3 = r1\nr1 = r10\nr1 += -8\nr2 = 8\ncall 4\nr0 = 0\nexit' },
    ];
    return { ...f, probes: [...f.probes, ...far] };
  })(),
  (() => {
    // args[0] is the writable buffer: constant offsets from 0 up, read, written, passed as memory.
    const f = full({ type: 'raw_tracepoint_writable', size: 96, misaligned: true });
    const B = 'r2 = *(u64 *)(r1 + 0)';
    const buffer: Probe[] = [
      { name: 'buffer read', src: `${B}\nr0 = *(u8 *)(r2 + 0)\nr0 = 0\nexit` },
      { name: 'buffer write', src: `${B}\nr3 = 1\n*(u32 *)(r2 + 4) = r3\nr0 = 0\nexit` },
      { name: 'buffer immediate write', src: `${B}\n*(u64 *)(r2 + 8) = 7\nr0 = 0\nexit` },
      { name: 'buffer read far', src: `${B}\nr0 = *(u64 *)(r2 + 1000)\nr0 = 0\nexit` },
      { name: 'buffer read moved', src: `${B}\nr2 += 16\nr0 = *(u64 *)(r2 + 8)\nr0 = 0\nexit` },
      { name: 'buffer read below', src: `${B}\nr0 = *(u8 *)(r2 - 1)\nr0 = 0\nexit` },
      { name: 'buffer moved below', src: `${B}\nr2 += -8\nr0 = *(u64 *)(r2 + 0)\nr0 = 0\nexit` },
      { name: 'buffer variable offset', src: `r6 = *(u64 *)(r1 + 0)\ncall 7\nr0 &= 7\nr6 += r0\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit` },
      { name: 'buffer atomic add', src: `${B}\nr3 = 1\nlock *(u64 *)(r2 + 0) += r3\nr0 = 0\nexit` },
      { name: 'buffer pointer stored', src: `${B}\n*(u64 *)(r2 + 0) = r2\nr0 = 0\nexit` },
      { name: 'buffer null check', src: `${B}\nif r2 == 0 goto +1\nr0 = *(u8 *)(r2 + 0)\nr0 = 0\nexit` },
      { name: 'buffer to a helper as memory', src: `${B}\nr1 = r2\nr2 = 16\nr3 = 0\ncall 113\nr0 = 0\nexit` },
      { name: 'buffer half loaded', src: 'r2 = *(u32 *)(r1 + 0)\nr0 = 0\nexit' },
      { name: 'argument 1 dereferenced', src: 'r2 = *(u64 *)(r1 + 8)\nr0 = *(u8 *)(r2 + 0)\nr0 = 0\nexit' },
    ];
    return { ...f, probes: [...f.probes, ...buffer] };
  })(),
  full({ type: 'lwt_in', size: 192, misaligned: true }, [76, 80, 'u32'], [168]),
  ...(['lwt_out', 'lwt_xmit', 'lwt_seg6local'] as const).map((type) => full({ type, size: 192 }, [76, 80, 'u32'], [168])),
];

/** test/fixtures/elf/prog_types.c: its programs and the type each section declares. */
const OBJECT_PROGRAMS: [string, string][] = [
  ['connect4', 'cgroup_sock_addr'], ['sendmsg6', 'cgroup_sock_addr'], ['recvmsg4', 'cgroup_sock_addr'], ['post_bind4', 'cgroup_sock'],
  ['sock_create', 'cgroup_sock'], ['msg_verdict', 'sk_msg'], ['skb_verdict', 'sk_skb'], ['skb_parser', 'sk_skb'], ['dissect', 'flow_dissector'],
  ['lookup', 'sk_lookup'], ['getsockopt_ip', 'cgroup_sockopt'], ['device', 'cgroup_device'], ['sysctl_read', 'cgroup_sysctl'],
  ['reuseport', 'sk_reuseport'], ['lwt_rewrite', 'lwt_xmit'],
];

const label = (c: ProbeConfig): string => `${c.type}${c.attach === undefined ? '' : `/${c.attach}`}`;

describe('context, return values and pointer fields of the socket, cgroup and tunnel program types', () => {
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

  it('accepts every program of test/fixtures/elf/prog_types.o (clang-built, one per type) with the type its section names', () => {
    const obj = loadObject(fixture('prog_types'));
    expect(obj.programs.map((p) => p.name).sort()).toEqual(OBJECT_PROGRAMS.map(([n]) => n).sort());
    for (const [name, type] of OBJECT_PROGRAMS) {
      obj.program(name);
      expect(obj.verification.get(name), name).toEqual({ programType: type, issues: [] });
    }
  });

  it('the kernel loads every program of prog_types.o too', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const path = fileURLToPath(new URL('../fixtures/elf/prog_types.o', import.meta.url));
    const verdicts = k.exec(OBJECT_PROGRAMS.map(([program]) => ({ op: 'obj', path, program })));
    OBJECT_PROGRAMS.forEach(([name], i) => expect(verdicts[i], name).toMatchObject({ kind: 'obj', accepted: true }));
  });
});
