/**
 * Kernel differential test (a): every XDP, socket filter and tc program of examples/ and
 * test/fixtures/elf that the kernel loads, run over the generated packet set in the kernel
 * (BPF_PROG_TEST_RUN) and in tsbpf (each engine, each with a fresh copy of the object): return values,
 * output packets, the writable `__sk_buff` fields and every map's contents must match.
 *
 * Socket filters run in the kernel as sched_cls: a socket filter's test run starts the packet at the
 * network header, while tsbpf (like a packet socket) gives socket filters the frame from the Ethernet
 * header, which is what a tc test run gives. See docs/testing.md.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadObject, type BpfObject, type ProgramInfo } from '../../src/elf/index.js';
import { MapType } from '../../src/maps/index.js';
import { kernelOracle, skipNote, type KernelRequest, type KernelResponse } from './runner.js';
import { testPackets, rng } from './packets.js';
import { ENGINES, kernelOutcome, skbCtxIn, tsbpfRun, xdpCtxIn, type Outcome, type SkbFields } from './differential.js';

const ROOT = resolve(import.meta.dirname, '../..');
const OBJECTS = [
  'examples/xdp_firewall.o', 'examples/socket_dns.o', 'examples/tc_mark.o',
  ...['block_port', 'context', 'externs_kernel', 'globals', 'helpers', 'legacy', 'lpm', 'map_in_map', 'percpu', 'rewrite', 'ringbuf', 'tailcall', 'xdp_counter'].map(
    (n) => `test/fixtures/elf/${n}.o`,
  ),
];
/** Map types whose contents the kernel cannot list with lookups (records, fds, queues): not compared. */
const UNLISTED = new Set<number>([MapType.RINGBUF, MapType.PERF_EVENT_ARRAY, MapType.PROG_ARRAY, MapType.QUEUE, MapType.STACK, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]);

const oracle = kernelOracle();
if (typeof oracle === 'string') skipNote(oracle);

/** Host set-up both sides get before the runs (the LPM routes the lpm fixture looks up). */
function setupRequests(obj: BpfObject, mapFd: (name: string) => number): KernelRequest[] {
  const out: KernelRequest[] = [];
  if (obj.maps.has('routes')) {
    for (const [k, v] of [[[8, 0, 0, 0, 10, 0, 0, 0], [1, 0, 0, 0]], [[32, 0, 0, 0, 10, 0, 0, 2], [3, 0, 0, 0]]]) {
      out.push({ op: 'update', map: mapFd('routes'), key: new Uint8Array(k!), value: new Uint8Array(v!) });
    }
  }
  return out;
}

function runType(info: ProgramInfo): 'xdp' | 'skb' {
  return info.type === 'xdp' ? 'xdp' : 'skb';
}

/** Every listed map's entries as sorted "key:value" strings, by map name ('.rodata' etc. for global data). */
function tsbpfMaps(obj: BpfObject): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, m] of obj.maps) {
    if (UNLISTED.has(m.spec.type)) continue;
    out[name] = m.entries().map(([k, v]) => `${Buffer.from(k).toString('hex')}:${Buffer.from(v).toString('hex')}`).sort();
  }
  return out;
}

describe.skipIf(typeof oracle === 'string')('kernel differential: example and fixture objects', () => {
  const k = typeof oracle === 'string' ? undefined : oracle;
  // The kernel's skb test run needs more than an Ethernet header (EINVAL at 14 bytes); XDP takes 14.
  const all = testPackets(1);
  const r = rng(7);
  const fields: SkbFields[] = all.map(() => ({ mark: r() % 4 === 0 ? r() : 0, priority: r() & 7, cb: [r(), 0, r() & 0xff, 0, r()] }));

  for (const path of OBJECTS) {
    const bytes = readFileSync(join(ROOT, path));
    const probe = loadObject(bytes);
    for (const info of probe.programs) {
      if (info.type !== 'xdp' && info.type !== 'tc' && info.type !== 'socket') continue;
      it(`${path} ${info.name} (${info.type})`, () => {
        const type = runType(info);
        const packets = type === 'xdp' ? all : all.filter((p) => p.bytes.length > 14);
        // Objects with a prog array load whole (libbpf fills the array from the other programs).
        const whole = [...probe.maps.values()].some((m) => m.spec.type === MapType.PROG_ARRAY);
        const requests: KernelRequest[] = [
          { op: 'cpu', cpu: 0 },
          { op: 'obj', path: join(ROOT, path), program: `${whole ? '+' : ''}${info.name}`, type: type === 'xdp' ? 'xdp' : 'sched_cls' },
        ];
        const [, loaded] = k!.exec(requests) as [KernelResponse, KernelResponse];
        if (loaded.kind !== 'obj' || !loaded.accepted) {
          console.warn(`[kernel oracle] ${path} ${info.name}: the kernel refuses it, not compared: ${loaded.kind === 'obj' ? loaded.log.split('\n').slice(-3).join(' | ') : JSON.stringify(loaded)}`);
          return;
        }
        // The kernel names global-data maps "<object prefix>.rodata"; tsbpf ".rodata".
        const tsName = (kname: string): string => kname.replace(/^.*(\.(rodata|data|bss).*)$/, '$1');
        const fdOf = (name: string): number => loaded.maps.find((m) => tsName(m.name) === name)!.fd;
        const runs: KernelRequest[] = [...requests, ...setupRequests(probe, fdOf)];
        const firstRun = runs.length;
        packets.forEach((p, i) => {
          runs.push({ op: 'run', prog: { ref: 1 }, data: p.bytes, ctx: type === 'xdp' ? xdpCtxIn(p.bytes) : skbCtxIn(p.bytes, fields[i]!), ctxOut: type === 'xdp' ? 24 : 192 });
        });
        const dumped = loaded.maps.filter((m) => !UNLISTED.has(m.type));
        for (const m of dumped) runs.push({ op: 'dump', map: m.fd });
        // One process: the object is loaded again in it (fds are per process), then run and dumped.
        const out = k!.exec(runs);
        const reloaded = out[1]!;
        // Map fds were written into the requests before this process existed: fd numbers are allocated the same way each time.
        if (reloaded.kind !== 'obj' || JSON.stringify(reloaded.maps) !== JSON.stringify(loaded.maps)) throw new Error(`second load differs: ${JSON.stringify(reloaded)}`);
        // The kernel refuses some inputs outright (an skb whose IPv4 / IPv6 header is cut short: EINVAL):
        // those are not compared.
        const kernel: (Outcome | undefined)[] = packets.map((p, i) => {
          const res = out[firstRun + i]!;
          if (res.kind === 'err' && res.errno === 22) return undefined;
          return res.kind === 'run' ? kernelOutcome(type, res) : { error: `kernel: ${JSON.stringify(res)}` };
        });
        expect(kernel.filter((o) => o !== undefined).length).toBeGreaterThan(packets.length * 0.75);
        const kernelMaps: Record<string, string[]> = {};
        dumped.forEach((m, i) => {
          const d = out[firstRun + packets.length + i]!;
          if (d.kind !== 'dump') throw new Error(`dump of ${m.name} failed: ${JSON.stringify(d)}`);
          kernelMaps[tsName(m.name)] = d.entries.map(([key, v]) => `${Buffer.from(key).toString('hex')}:${Buffer.from(v).toString('hex')}`).sort();
        });

        for (const { name, engine } of ENGINES) {
          // The kernel ran every skb program as sched_cls; tsbpf's loader types a socket-section program as a
          // socket filter, whose helper table (as the kernel's) refuses the tc-only helpers some of them call:
          // only warn, so the run is compared.
          const obj = loadObject(bytes, { cpus: k!.cpus, cpu: 0, verify: 'warn' });
          for (const s of setupRequests(obj, () => 0)) if (s.op === 'update') obj.map('routes').update(s.key, s.value);
          const runner = obj.program(info.name);
          packets.forEach((p, i) => {
            if (kernel[i] === undefined) return;
            const got = tsbpfRun(runner, type, p.bytes, engine, fields[i]);
            expect(got, `${name}: ${info.name} on ${p.name} (${p.bytes.length} bytes)`).toEqual(kernel[i]);
          });
          expect(tsbpfMaps(obj), `${name}: maps after the runs`).toEqual(kernelMaps);
        }
      });
    }
  }
});
