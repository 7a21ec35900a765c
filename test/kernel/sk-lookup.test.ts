/**
 * sk_lookup runs against the kernel (6.18, as root) through BPF_PROG_TEST_RUN, whose ctx_in is the
 * `struct bpf_sk_lookup` (72 bytes) and whose ctx_out holds the selected socket's cookie (0 for none).
 * test/fixtures/elf/sk_lookup_run.c's tuple_filter on v4 / v6, TCP / UDP lookups (verdict, ctx_out, the
 * fold of every field it reads), select_by_port with an empty SOCKMAP and with six real loopback sockets
 * the kernel runner opens into it (listening TCP on 127.0.0.1, [::1], [::1] v6only, [::]; UDP bound and
 * connected: bpf_sk_assign's result, the verdict and which socket ctx_out's cookie names), and
 * bpf_sk_assign(ctx, NULL, flags) probes.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { skLookupContext, type SkLookupDescription } from '../../src/context/sk-lookup.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { loadObject } from '../../src/elf/index.js';
import { kernelHelpers } from '../../src/helpers/kernel.js';
import { SocketTable, type SocketDescription } from '../../src/helpers/socket-table.js';
import { SocketMemory, socketHelpers } from '../../src/helpers/sockets.js';
import { VmMemory } from '../../src/vm/memory.js';
import { Program } from '../../src/vm/program.js';
import { fixture } from '../elf/fixtures.js';
import { hex, kernelOracle, kernelSkipReason, type KernelResponse } from './runner.js';

const reason = kernelSkipReason();
const O = fileURLToPath(new URL('../fixtures/elf/sk_lookup_run.o', import.meta.url));

const LOOKUPS: SkLookupDescription[] = [
  { protocol: 'tcp', remote: '10.1.2.3:40000', local: '10.0.0.2:80' },
  { protocol: 'tcp', remote: '10.1.2.3:40000', local: '10.0.0.2:8080' },
  { protocol: 'tcp', remote: '192.0.2.1:1', local: '198.51.100.1:443' },
  { protocol: 'udp', remote: '192.0.2.1:53', local: '198.51.100.1:5353' },
  { protocol: 'udp', remote: '192.0.2.1:54', local: '198.51.100.1:7' },
  { protocol: 'tcp', remote: '[2001:db8::1]:1234', local: '[2001:db8::2]:80' },
  { protocol: 'tcp', remote: '[fd00::1:2:3]:65535', local: '[::1]:65535' },
  { protocol: 'udp', remote: '[fe80::1]:53', local: '[fe80::2]:0' },
  { protocol: 'tcp', remote: '0.0.0.0:0', local: '255.255.255.255:65535' },
];

/** A runner for assembled instructions with the kernel helpers and the socket helpers (no sockets). */
function runnerOf(insns: Uint8Array): ProgramRunner {
  const memory = new VmMemory();
  const helpers = kernelHelpers({ memory, mapByHandle: () => undefined, ringBuffers: () => [], cpu: 0, trace: () => {}, now: () => 0n, random: () => 0 });
  for (const [id, e] of socketHelpers(memory, new SocketMemory(memory, new SocketTable([])))) helpers.set(id, e);
  return new ProgramRunner(new Program(insns), { space: RunSpace.of(memory), helpers, jitEngine: undefined });
}

/** r0 = (bpf_sk_assign(ctx, NULL, flags) == 0), so the verdict is in [0, 1] as the kernel requires. */
const assignNull = (flags: number): string => `r2 = 0\nr3 = ${flags}\ncall 124\nr1 = r0\nr0 = 0\nif r1 != 0 goto +1\nr0 = 1\nexit`;
/** r0 = (the u32 at `off` == `value`). */
const fieldIs = (off: number, value: number, size = 'u32'): string => `r2 = *(${size} *)(r1 + ${off})\nr0 = 0\nif r2 != ${value} goto +1\nr0 = 1\nexit`;

describe.skipIf(reason !== undefined)('sk_lookup runs: tsbpf and BPF_PROG_TEST_RUN', () => {
  it('tuple_filter and select_by_port (empty SOCKMAP) give the kernel\'s verdicts, ctx_out and map values, in both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    for (const program of ['tuple_filter', 'select_by_port']) {
      const differ: string[] = [];
      // Map fds are the same in every runner process that makes the same requests: learn them first.
      const [o] = k.exec([{ op: 'obj', path: O, program }]);
      if (o?.kind !== 'obj' || !o.accepted) throw new Error(`kernel runner: ${JSON.stringify(o).slice(-1500)}`);
      const seenFd = o.maps.find((m) => m.name === 'seen')!.fd;
      LOOKUPS.forEach((l) => {
        const ctx = skLookupContext(l).bytes;
        const out = k.exec([{ op: 'obj', path: O, program }, { op: 'run', prog: { ref: 0 }, ctx, dataOut: 0 }, { op: 'dump', map: seenFd }]);
        const [, r, dump] = out as [unknown, KernelResponse, KernelResponse];
        const kernel = r.kind === 'run' && dump.kind === 'dump' ? `${r.retval} ${hex(r.ctx)} ${dump.entries.map(([, v]) => hex(v)).join(',')}` : JSON.stringify([r, dump]);
        for (const jit of [false, true]) {
          const obj = loadObject(fixture('sk_lookup_run'));
          const res = obj.program(program).runSkLookup(l, { jit });
          const seen = [0, 1, 2, 3].map((i) => hex(obj.map('seen').lookup(new Uint8Array([i, 0, 0, 0]))!)).join(',');
          const ours = `${res.verdict} ${hex(ctx)} ${seen}`;
          if (ours !== kernel) differ.push(`${program} ${JSON.stringify(l)} (${jit ? 'JIT' : 'interpreter'}): kernel ${kernel}, tsbpf ${ours}`);
        }
      });
      expect(differ).toEqual([]);
    }
  });

  it('the context\'s fields and bpf_sk_assign(ctx, NULL, flags) are the kernel\'s', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const probes: string[] = [
      ...[0, 1, 2, 3, 4, 7, 8, 0x10].map(assignNull),
      fieldIs(8, 2), fieldIs(8, 10), fieldIs(12, 6), fieldIs(12, 17), fieldIs(36, 0x409c), fieldIs(36, 0x409c, 'u16'), fieldIs(60, 80), fieldIs(60, 80, 'u16'),
      fieldIs(16, 0x0302010a), fieldIs(40, 0x0200000a), fieldIs(64, 0), fieldIs(64, 1), fieldIs(41, 0, 'u8'), fieldIs(38, 0, 'u16'),
    ];
    const lookups = [LOOKUPS[0]!, LOOKUPS[3]!, LOOKUPS[5]!];
    const differ: string[] = [];
    for (const src of probes) {
      const insns = assemble(src);
      const out = k.exec([{ op: 'load', type: 'sk_lookup', attachType: 36, insns, logLevel: 0 }, ...lookups.map((l) => ({ op: 'run' as const, prog: { ref: 0 }, ctx: skLookupContext(l).bytes, dataOut: 0 }))]);
      expect(out[0], src).toMatchObject({ kind: 'load', accepted: true });
      for (const jit of [false, true]) {
        lookups.forEach((l, i) => {
          const r = out[i + 1]!;
          const kernel = r.kind === 'run' ? `${r.retval} ${hex(r.ctx)}` : JSON.stringify(r);
          const ours = `${runnerOf(insns).runSkLookup(l, { jit }).verdict} ${hex(skLookupContext(l).bytes)}`;
          if (ours !== kernel) differ.push(`${JSON.stringify(src)} lookup ${i} (${jit ? 'JIT' : 'interpreter'}): kernel ${kernel}, tsbpf ${ours}`);
        });
      }
    }
    expect(differ).toEqual([]);
  });

  it('with real sockets in the SOCKMAP, select_by_port gives the kernel\'s bpf_sk_assign results, verdicts and selected socket', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    // The kernel runner opens the sockets (loopback, ports of its choosing) at SOCKMAP keys 1-6; tsbpf is
    // given a socket table describing the same kinds at the same keys.
    const KINDS = ['tcp4', 'tcp6', 'tcp6only', 'udp4', 'udp4conn', 'tcp6any'] as const;
    const described: SocketDescription[] = [
      { protocol: 'tcp', local: '127.0.0.1:30001' }, { protocol: 'tcp', local: '[::1]:30002' }, { protocol: 'tcp', local: '[::1]:30003', v6only: true },
      { protocol: 'udp', local: '127.0.0.1:30004' }, { protocol: 'udp', local: '127.0.0.1:30005', remote: '127.0.0.1:9' }, { protocol: 'tcp', local: '[::]:30006' },
    ];
    const [o] = k.exec([{ op: 'obj', path: O, program: 'select_by_port' }]);
    if (o?.kind !== 'obj' || !o.accepted) throw new Error(`kernel runner: ${JSON.stringify(o).slice(-1500)}`);
    const fd = (name: string): number => o.maps.find((m) => m.name === name)!.fd;
    const lookups: SkLookupDescription[] = [];
    for (const key of [1, 2, 3, 4, 5, 6, 7]) {
      for (const protocol of ['tcp', 'udp'] as const) {
        lookups.push({ protocol, remote: '127.0.0.9:40000', local: `127.0.0.1:${8 + key}` }, { protocol, remote: '[::9]:40000', local: `[::1]:${8 + key}` });
      }
    }
    const differ: string[] = [];
    for (const l of lookups) {
      const out = k.exec([
        { op: 'obj', path: O, program: 'select_by_port' },
        ...KINDS.map((sock, i) => ({ op: 'sock' as const, map: fd('redir'), index: i + 1, sock })),
        { op: 'run', prog: { ref: 0 }, ctx: skLookupContext(l).bytes, dataOut: 0 },
        { op: 'dump', map: fd('seen') },
      ]);
      const socks = out.slice(1, 1 + KINDS.length);
      const [r, dump] = out.slice(1 + KINDS.length) as [KernelResponse, KernelResponse];
      if (r.kind !== 'run' || dump.kind !== 'dump' || socks.some((x) => x.kind !== 'sock')) throw new Error(`kernel runner: ${JSON.stringify(out.slice(1)).slice(0, 1500)}`);
      const cookie = new DataView(r.ctx.buffer, r.ctx.byteOffset).getBigUint64(0, true);
      const selected = socks.findIndex((x) => x.kind === 'sock' && x.cookie === cookie);
      const v = dump.entries.map(([, value]) => new DataView(value.buffer, value.byteOffset).getBigInt64(0, true));
      const kernel = `verdict ${r.retval} selected ${selected} err ${v[0]} port read ${v[1] !== 0n}`;
      for (const jit of [false, true]) {
        const obj = loadObject(fixture('sk_lookup_run'), { sockets: described });
        described.forEach((_, i) => obj.map('redir').update(new Uint8Array([i + 1, 0, 0, 0]), new Uint8Array([i, 0, 0, 0, 0, 0, 0, 0])));
        const res = obj.program('select_by_port').runSkLookup(l, { jit });
        const w = [0, 1].map((i) => new DataView(obj.map('seen').lookup(new Uint8Array([i, 0, 0, 0]))!.buffer).getBigInt64(0, true));
        const ours = `verdict ${res.verdict} selected ${res.socket ?? -1} err ${w[0]} port read ${w[1] !== 0n}`;
        if (ours !== kernel) differ.push(`${JSON.stringify(l)} (${jit ? 'JIT' : 'interpreter'}): kernel ${kernel}, tsbpf ${ours}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it('the kernel\'s test run refuses an ingress ifindex (EINVAL); tsbpf runs a described one', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const l = { ...LOOKUPS[0]!, ingressIfindex: 1 };
    const out = k.exec([{ op: 'load', type: 'sk_lookup', attachType: 36, insns: assemble(fieldIs(64, 1)), logLevel: 0 }, { op: 'run', prog: { ref: 0 }, ctx: skLookupContext(l).bytes, dataOut: 0 }]);
    expect(out[1]).toMatchObject({ kind: 'err', errno: 22 });
    expect(runnerOf(assemble(fieldIs(64, 1))).runSkLookup(l).verdict).toBe(1);
  });
});
