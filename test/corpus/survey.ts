/**
 * The corpus survey: load every object of test/corpus, link every program, run the XDP, socket
 * filter and tc programs on a few generated packets, the tracing programs (kprobe, tracepoint,
 * raw_tracepoint, perf_event, fentry/fexit/tp_btf...) on two host-described events and the sock_ops
 * programs on every operation on three sockets, with the interpreter and the JIT. The result is a
 * per-program status table (test/corpus/expected.json) and totals; `corpus.test.ts` compares it with
 * the committed table, `UPDATE_CORPUS=1` rewrites the table.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EbpfError } from '../../src/errors.js';
import { loadObject, programTypeOf, type BpfObject, type LoadOptions } from '../../src/elf/index.js';
import { functionsOf } from '../../src/elf/link.js';
import { parseElf } from '../../src/elf/reader.js';
import type { ProgramRunner } from '../../src/context/runner.js';
import { PT_REGS_FIELDS } from '../../src/context/pt-regs.js';
import { TRACING_TYPES, tracingTypeOf, type TracingEvent, type TracingType } from '../../src/context/tracing.js';
import type { SockOpsEvent } from '../../src/context/sock-ops.js';
import type { SocketDescription } from '../../src/helpers/socket-table.js';

/** The corpus root. */
export const CORPUS_DIR = fileURLToPath(new URL('.', import.meta.url));

/**
 * Every object file of the corpus under `root` (relative paths, sorted): `*.o`, cilium/ebpf's `*-el.elf`
 * and the extension-less invalid samples. Dangling symbolic links (a tree with files left out) are skipped.
 */
export function corpusObjects(root: string = CORPUS_DIR): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      let isDir: boolean;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        continue;
      }
      if (isDir) walk(path);
      else if (name.endsWith('.o') || name.endsWith('-el.elf') || (dir.endsWith('invalid') && !name.includes('.'))) out.push(relative(root, path));
    }
  };
  walk(root);
  return out;
}

/**
 * The second held-out set (test/corpus/README.md): objects built outside the repository from bcc's
 * libbpf-tools, xdp-project/bpf-examples and l3af's eBPF-Package-Repository, in the directory this
 * environment variable names (undefined: the set is skipped).
 */
export const HELDOUT2_DIR: string | undefined = process.env['TSBPF_HELDOUT2_DIR'] || undefined;

/**
 * The third held-out set (test/corpus/README.md): objects built outside the repository from
 * eunomia-bpf's bpf-developer-tutorial, inspektor-gadget, loxilb-ebpf, netobserv's ebpf-agent and
 * merbridge, in the directory this environment variable names (undefined: the set is skipped).
 */
export const HELDOUT3_DIR: string | undefined = process.env['TSBPF_HELDOUT3_DIR'] || undefined;

/**
 * The fourth held-out set (test/corpus/README.md): objects built outside the repository from Calico's
 * BPF dataplane, retina, kmesh, ptcpdump, pwru, OpenTelemetry's eBPF instrumentation, TripleCross,
 * ebpf_exporter, ecapture, tracee, Falco's modern probe, KubeArmor, learning-ebpf, XDP-Firewall and
 * smaller XDP / tc projects, in the directory this environment variable names (undefined: skipped).
 */
export const HELDOUT4_DIR: string | undefined = process.env['TSBPF_HELDOUT4_DIR'] || undefined;

/**
 * Every corpus object the loader reads (not verified; objects it refuses are skipped), with its path,
 * its programs typed as the survey runs them ({@link programTypesFor}).
 */
export function* loadedCorpusObjects(): Generator<{ readonly path: string; readonly obj: BpfObject }> {
  for (const path of corpusObjects()) {
    let obj: BpfObject;
    try {
      const programTypes = programTypesFor(path);
      obj = loadObject(new Uint8Array(readFileSync(join(CORPUS_DIR, path))), { verify: false, ...(programTypes === undefined ? {} : { programTypes }) });
    } catch {
      continue;
    }
    yield { path, obj };
  }
}

/** Status of one object. */
export interface ObjectStatus {
  /** `loads`, or `refused: CODE: message`. */
  readonly load: string;
  /** Per program (`name (section) type`): `runs`, `links` (neither a packet, a tracing nor a sock_ops program), `refused: …`, `fails: …`. */
  readonly programs: Record<string, string>;
}

/** Small, deterministic packets that reach the interesting paths of packet programs. */
export function corpusPackets(): Uint8Array[] {
  const eth = (type: number, payload: number[]): Uint8Array =>
    new Uint8Array([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, type >> 8, type & 0xff, ...payload]);
  const ipv4 = (proto: number, l4: number[]): number[] => {
    const total = 20 + l4.length;
    return [0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...l4];
  };
  const ipv6 = (next: number, l4: number[]): number[] => [
    0x60, 0, 0, 0, l4.length >> 8, l4.length & 0xff, next, 64,
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, ...l4,
  ];
  const tcp = [0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3, 4];
  const udp = [0x30, 0x39, 0, 53, 0, 12, 0, 0, 0xde, 0xad, 0xbe, 0xef];
  const icmp = [8, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0];
  return [
    eth(0x0800, ipv4(6, tcp)),
    eth(0x0800, ipv4(17, udp)),
    eth(0x0800, ipv4(1, icmp)),
    eth(0x86dd, ipv6(6, tcp)),
    eth(0x8100, [0, 10, 0x08, 0x00, ...ipv4(17, udp)]),
    eth(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]),
    new Uint8Array(10),
  ];
}

const BUDGET = { instructionBudget: 1_000_000 };

function describeError(e: unknown): string {
  if (e instanceof EbpfError) return `${e.code}: ${e.message.split('\n')[0]!.slice(0, 300)}`;
  throw e;
}

/** The programs of an object the loader refused, from its ELF alone ([] when that fails too). */
function listPrograms(bytes: Uint8Array): string[] {
  try {
    const elf = parseElf(bytes);
    const out: string[] = [];
    for (const [index, fns] of functionsOf(elf)) {
      const section = elf.sections[index]!.name;
      for (const f of fns) if (section !== '.text' || f.global) out.push(`${f.name} (${section}) ${programTypeOf(section)}`);
    }
    return out;
  } catch {
    return [];
  }
}

/** One run's observable outcome, as text (so engines can be compared). */
function outcome(runner: ProgramRunner, type: string, packet: Uint8Array, jit: boolean): string {
  try {
    if (type === 'xdp') {
      const r = runner.runXdp(packet, { jit, limits: BUDGET });
      return `r0=${r.r0} packet=${Buffer.from(r.packet).toString('hex')} meta=${r.meta.length}`;
    }
    let seen = '';
    const r0 = runner.runTc(packet, {
      jit,
      limits: BUDGET,
      inspect: (skb, pkt) => {
        seen = `${Buffer.from(skb).toString('hex')} ${Buffer.from(pkt).toString('hex')}`;
      },
    });
    return `r0=${r0} ${seen}`;
  } catch (e) {
    return `error ${describeError(e)}`;
  }
}

/** The task of the survey's tracing events. */
const EVENT_TASK = { pid: 4242, tgid: 4240, uid: 1000, gid: 1000, comm: 'corpus-survey' };

/**
 * The host-described events every tracing program runs on: all zero, then small distinct values in
 * every register, argument and record byte (so both sides of null checks are reached).
 */
function tracingEvents(type: TracingType): (TracingEvent | undefined)[] {
  const small = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1));
  const regs = Object.fromEntries(PT_REGS_FIELDS.map((r, i) => [r, BigInt(i + 1)]));
  switch (type) {
    case 'kprobe':
      return [undefined, { regs }];
    case 'perf_event':
      return [undefined, { regs, samplePeriod: 10_000n, addr: 0x1000n, counter: { counter: 5n, enabled: 7n, running: 6n } }];
    case 'raw_tracepoint':
    case 'tracing':
      return [undefined, { args: small(12) }];
    case 'iter':
      return [undefined, { args: small(11), seqNum: 1n }];
    case 'tracepoint':
      return [undefined, { record: Uint8Array.from({ length: 2048 }, (_, i) => (i % 7) + 1) }];
  }
}

/** One tracing run's observable outcome, as text. */
function tracingOutcome(obj: BpfObject, runner: ProgramRunner, type: TracingType, event: TracingEvent | undefined, jit: boolean): string {
  try {
    const r = runner.runEvent(event, { jit, limits: BUDGET, task: EVENT_TASK });
    const signals = r.signals.map((s) => s.signal).join(',');
    const seq = r.seq === undefined ? '' : ` seq=${r.seq.length}${r.seqOverflow === true ? ' overflow' : ''}`;
    return `r0=${r.r0} override=${r.overrideReturn ?? '-'} signals=${signals} trace=${obj.drainTrace().length}${seq}`;
  } catch (e) {
    obj.drainTrace();
    return `error ${describeError(e)}`;
  }
}

/**
 * The sockets of the survey's sock_ops events: an IPv4 and an IPv6 connection (the second with TCP
 * fields set), and an IPv4 request socket (not a full socket).
 */
const SURVEY_SOCKETS: readonly SocketDescription[] = [
  { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:55601' },
  { protocol: 'tcp', local: '[fd00::2]:55601', remote: '[fd00::1]:4000', tcp: { srtt_us: 800, snd_cwnd: 20, data_segs_out: 3 } },
  { protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.3:1234', state: 'syn_recv' },
];

/** Every sock_ops operation (0 to 15) on each survey socket, with small distinct arguments. */
function sockOpsEvents(): SockOpsEvent[] {
  const out: SockOpsEvent[] = [];
  for (let socket = 0; socket < SURVEY_SOCKETS.length; socket++) for (let op = 0; op <= 15; op++) out.push({ op, socket, args: [op, 1, 2, 3] });
  return out;
}

/** One sock_ops run's observable outcome, as text. */
function sockOpsOutcome(obj: BpfObject, runner: ProgramRunner, event: SockOpsEvent, jit: boolean): string {
  try {
    const r = runner.runSockOps(event, { jit, limits: BUDGET });
    return `r0=${r.r0} reply=${r.replylong.join(',')} flags=${r.cbFlags} txhash=${r.txhash} options=${JSON.stringify(r.options)} trace=${obj.drainTrace().length}`;
  } catch (e) {
    obj.drainTrace();
    return `error ${describeError(e)}`;
  }
}

/**
 * Program types for objects whose section names say nothing, as their own loaders know them (what a
 * user passes as `programTypes` / `--type`): Cilium's older XDP objects use tc-style names, Suricata
 * attaches its filters to AF_PACKET sockets, the kernel's tc samples are loaded with `tc filter`, and
 * the OVS eBPF datapath is a tc datapath with two XDP programs.
 */
export function programTypesFor(path: string): LoadOptions['programTypes'] {
  if (/^ebpf-samples\/cilium\/bpf_xdp/.test(path)) return { '*': 'xdp' };
  if (path.startsWith('ebpf-samples/suricata/') && !path.endsWith('xdp_filter.o')) return { '*': 'socket' };
  if (/\/(tcbpf1_kern|tc_l2_redirect_kern|test_cgrp2_tc_kern|tc_bench01_redirect_kern)\.o$/.test(path)) return { '*': 'tc' };
  if (path === 'ebpf-samples/ovs/datapath.o') return { '*': 'tc', xdp: 'xdp', af_xdp: 'xdp' };
  // l3af's loader (l3afd) types each program from its package's configuration: these are tc programs.
  if (/^l3af\/(examples\/tc|tc-root)\//.test(path)) return { '*': 'tc' };
  return undefined;
}

/**
 * `max_entries` and `value_size` bcc's libbpf-tools set before load (`bpf_map__set_max_entries`,
 * `bpf_map__set_value_size`) for the maps they declare without, with the tools' defaults: stack maps of
 * `stack_storage_size` (1024; memleak's `stack_map_max_entries`, 10240) entries of
 * `perf_max_stack_depth` (127) 8-byte frames; cpudist's start times one per PID (`pid_max`, the
 * kernel's default 32768) and its histograms one (not per process).
 */
const BCC_SIZES: Readonly<Record<string, { entries?: number; value?: number }>> = {
  stackmap: { entries: 1024, value: 127 * 8 },
  stack_traces: { entries: 10240, value: 127 * 8 },
  start: { entries: 32768 },
  hists: { entries: 1 },
};

/**
 * `max_entries` xdp-tools' user space gives the maps its objects declare with 0 entries (xdp-bench's
 * and xdp-monitor's `sample_setup_maps`, xdp_redirect_cpumap's CPU list), for the survey's one CPU:
 * one slot per CPU, the redirect-error table one per errno class (7) per CPU, the exception table one
 * per XDP action plus "other" (6) per CPU, the cpumap enqueue table CPUs x CPUs, one RX queue,
 * xdp_redirect_cpumap's CPU map and CPU list one per CPU.
 */
const XDP_TOOLS_SIZES: Readonly<Record<string, number>> = {
  rx_cnt: 1,
  rxq_cnt: 1,
  redir_err_cnt: 7,
  cpumap_enqueue_cnt: 1,
  cpumap_kthread_cnt: 1,
  exception_cnt: 6,
  devmap_xmit_cnt: 1,
  cpus_available: 1,
  cpu_map: 1,
};

/** Names of the BTF-defined maps of an object (its `.maps` symbols); [] when its ELF does not parse. */
function mapNamesOf(bytes: Uint8Array): string[] {
  try {
    const elf = parseElf(bytes);
    const maps = elf.sections.findIndex((s) => s.name === '.maps');
    return maps < 0 ? [] : elf.symbols.filter((s) => s.shndx === maps && s.name !== '').map((s) => s.name);
  } catch {
    return [];
  }
}

/**
 * Sizes of maps declared with 0 entries, as the object's own loader sets them before load (what a
 * user passes as `mapSizes` / `--map-size`; libbpf itself sizes only perf event arrays, which tsbpf
 * does too): Falco's userspace (libscap) gives its per-CPU scratch arrays one entry per CPU, xdp-tools'
 * user space sizes its statistics tables by the CPU count ({@link XDP_TOOLS_SIZES}). The survey runs on
 * one CPU.
 */
export function mapSizesFor(path: string, bytes: Uint8Array): LoadOptions['mapSizes'] {
  if (path === 'ebpf-samples/falco/probe.o') return { frame_scratch_map: 1, tmp_scratch_map: 1, local_state_map: 1 };
  if (path.startsWith('xdp-tools/')) {
    const sizes = Object.fromEntries(mapNamesOf(bytes).filter((n) => n in XDP_TOOLS_SIZES).map((n) => [n, XDP_TOOLS_SIZES[n]!]));
    return Object.keys(sizes).length === 0 ? undefined : sizes;
  }
  if (path.startsWith('bcc/libbpf-tools/') || BCC_PORTS.test(path)) return bccSizes(path, bytes, 'entries');
  // inspektor-gadget's ebpf operator sizes a map `M` declared with 0 entries from its gadget parameter
  // `M_max_entries` (ig_build_id's default: 1024).
  if (path.startsWith('inspektor-gadget/') && mapNamesOf(bytes).includes('ig_build_id')) return { ig_build_id: 1024 };
  if (path.startsWith('netobserv-ebpf-agent/')) return NETOBSERV_SIZES;
  // Held-out set 4. Falco's libpman gives its per-CPU auxiliary maps and its array of ring buffers one
  // entry per CPU (the survey's one); OBI's flow fetchers size their flow tables from CacheMaxFlows (5000).
  if (path === 'falco-modern/bpf_probe.o') return { auxiliary_maps: 1, counter_maps: 1, ringbuf_maps: 1 };
  if (/^obi\/netolly_flows(_sock)?\.o$/.test(path)) return { aggregated_flows: 5000, flow_directions: 5000, conn_initiators: 5000 };
  return undefined;
}

/**
 * Inner map shapes the projects' loaders give their maps of maps (held-out set 4): KubeArmor's Go
 * loader (cilium/ebpf MapSpec.InnerMap: its enforcer's rule maps, hash 400-byte keys, 256 entries; its
 * monitor's visibility maps, hash of 4-byte keys, 6 entries), Falco's libpman the ring buffer its array
 * of ring buffers holds (bpf_map__set_inner_map_fd of a ring buffer of the default 8 MiB).
 */
export function innerMapsFor(path: string, bytes: Uint8Array): LoadOptions['innerMaps'] {
  const names = mapNamesOf(bytes);
  const out: Record<string, NonNullable<LoadOptions['innerMaps']>[string]> = {};
  if (path.startsWith('kubearmor/')) {
    if (names.includes('kubearmor_containers')) out['kubearmor_containers'] = { type: 1, keySize: 400, valueSize: 4, maxEntries: 256 };
    if (names.includes('kubearmor_visibility')) out['kubearmor_visibility'] = { type: 1, keySize: 4, valueSize: 4, maxEntries: 6 };
  }
  if (path === 'falco-modern/bpf_probe.o') out['ringbuf_maps'] = { type: 27, maxEntries: 8 << 20 };
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * bpf-developer-tutorial's tools that size their stack maps as bcc's do (memleak and the wall-clock
 * profiler are ports of bcc's memleak, offcputime and profile, with the same defaults).
 */
const BCC_PORTS = /^bpf-developer-tutorial\/(16-memleak|32-wallclock-profiler)\//;

/**
 * `max_entries` netobserv's agent sets before load (pkg/tracer: `CACHE_MAX_FLOWS`, 5000 by default, for
 * the flow tables of every feature, here all enabled; its ring buffers left unused at one page).
 */
const NETOBSERV_SIZES: Readonly<Record<string, number>> = {
  aggregated_flows: 5000,
  aggregated_flows_dns: 5000,
  aggregated_flows_network_events: 5000,
  aggregated_flows_pkt_drop: 5000,
  aggregated_flows_xlat: 5000,
  additional_flow_metrics: 5000,
  direct_flows: 4096,
  ssl_data_event_map: 4096,
  packet_record: 4096,
};

/** The maps of a bcc tool that its user space sizes ({@link BCC_SIZES}): max_entries or value_size. */
function bccSizes(path: string, bytes: Uint8Array, what: 'entries' | 'value'): Record<string, number> | undefined {
  // cpudist's `start` and `hists`; every tool's stack map (`start` is a sized map elsewhere).
  const names = mapNamesOf(bytes).filter((n) => BCC_SIZES[n]?.[what] !== undefined && (path.endsWith('/cpudist.bpf.o') || !['start', 'hists'].includes(n)));
  return names.length === 0 ? undefined : Object.fromEntries(names.map((n) => [n, BCC_SIZES[n]![what]!]));
}

/** Value sizes of maps declared without, as the object's own loader sets them ({@link BCC_SIZES}). */
export function mapValueSizesFor(path: string, bytes: Uint8Array): LoadOptions['mapValueSizes'] {
  return path.startsWith('bcc/libbpf-tools/') || BCC_PORTS.test(path) ? bccSizes(path, bytes, 'value') : undefined;
}

/**
 * Objects built to be linked with another (cilium/ebpf links linked1 and linked2 with bpftool into
 * linked-el.elf): the survey links each with its partner, and lists only the object's own programs.
 */
const LINKED_WITH: Readonly<Record<string, string>> = {
  'cilium-ebpf/testdata/linked1-el.elf': 'cilium-ebpf/testdata/linked2-el.elf',
  'cilium-ebpf/testdata/linked2-el.elf': 'cilium-ebpf/testdata/linked1-el.elf',
};

/**
 * Load options that make runs repeatable: a fixed clock and a seeded random source. The kernel-level
 * verifier runs as by default: a program it refuses is recorded as refused, like any other refusal (its
 * verdicts on the corpus are compared with the kernel's in test/verifier/kernel-corpus.test.ts).
 */
export function deterministic(path: string, bytes: Uint8Array): LoadOptions {
  let t = 1_000_000_000n;
  let x = 0x12345678;
  const sockOps = listPrograms(bytes).some((k) => k.endsWith(' sockops'));
  return {
    // Objects with sock_ops programs run them on the survey's sockets.
    ...(sockOps ? { sockets: SURVEY_SOCKETS } : {}),
    programTypes: programTypesFor(path),
    mapSizes: mapSizesFor(path, bytes),
    mapValueSizes: mapValueSizesFor(path, bytes),
    innerMaps: innerMapsFor(path, bytes),
    // katran's balancer declares a 33.5 million-entry consistent-hashing ring (ch_rings, 512 MiB of
    // tsbpf arena): its user space needs it whole, so the survey raises the per-map limit as its user would.
    // The same for loxilb's connection-tracking and fast-path tables (144-260 MiB each) and
    // inspektor-gadget's socket table (130 MiB), which their loaders create as declared.
    ...(/^(katran|loxilb-ebpf|inspektor-gadget)\//.test(path) ? { maxMapBytes: 1 << 30 } : {}),
    // cilium/ebpf's loader test objects load an inline-assembly constant (r0 = MY_CONST ll) that no
    // object defines: its test (TestInlineASMConstant) sets the value to -1 before loading, as here.
    ...(/^cilium-ebpf\/testdata\/loader[-_]/.test(path) ? { ksyms: { MY_CONST: -1n } } : {}),
    ...(LINKED_WITH[path] === undefined ? {} : { link: [new Uint8Array(readFileSync(join(CORPUS_DIR, LINKED_WITH[path])))] }),
    now: () => (t += 1000n),
    random: () => {
      // xorshift32
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    },
  };
}

/**
 * The survey of one object; throws only on a non-EbpfError (a defect). Each engine runs on its own
 * copy of the object (same clock and random sequence), so map state evolves identically in both.
 */
export function surveyObject(bytes: Uint8Array, packets: readonly Uint8Array[], mismatches: string[], where: string): ObjectStatus {
  let obj: BpfObject;
  let twin: BpfObject | undefined;
  try {
    obj = loadObject(bytes, deterministic(where, bytes));
  } catch (e) {
    const why = `refused: ${describeError(e)}`;
    return { load: why, programs: Object.fromEntries(listPrograms(bytes).map((k) => [k, 'object refused'])) };
  }
  const programs: Record<string, string> = {};
  const own = LINKED_WITH[where] === undefined ? undefined : new Set(listPrograms(bytes));
  for (const p of obj.programs) {
    if (own !== undefined && !own.has(`${p.name} (${p.section}) ${p.type}`)) continue;
    const key = `${p.name} (${p.section}) ${p.type}`;
    const name = p.name === p.section ? p.section : p.name;
    let runner: ProgramRunner;
    try {
      runner = obj.program(name);
    } catch (e) {
      programs[key] = `refused: ${describeError(e)}`;
      continue;
    }
    const tracing = (TRACING_TYPES as readonly string[]).includes(p.type) ? (p.type as TracingType) : undefined;
    if (tracing !== undefined) {
      twin ??= loadObject(bytes, deterministic(where, bytes));
      const jitRunner = twin.program(name);
      let status = 'runs';
      for (const event of tracingEvents(tracing)) {
        const a = tracingOutcome(obj, runner, tracing, event, false);
        const b = tracingOutcome(twin, jitRunner, tracing, event, true);
        if (a !== b) mismatches.push(`${where} ${key}: interpreter ${a.slice(0, 200)} / JIT ${b.slice(0, 200)}`);
        if (a.startsWith('error') && status === 'runs') status = `fails: ${a.slice(6)}`;
      }
      programs[key] = status;
      continue;
    }
    if (p.type === 'sockops') {
      twin ??= loadObject(bytes, deterministic(where, bytes));
      const jitRunner = twin.program(name);
      let status = 'runs';
      for (const event of sockOpsEvents()) {
        const a = sockOpsOutcome(obj, runner, event, false);
        const b = sockOpsOutcome(twin, jitRunner, event, true);
        if (a !== b) mismatches.push(`${where} ${key}: interpreter ${a.slice(0, 200)} / JIT ${b.slice(0, 200)}`);
        if (a.startsWith('error') && status === 'runs') status = `fails: ${a.slice(6)}`;
      }
      programs[key] = status;
      continue;
    }
    if (p.type !== 'xdp' && p.type !== 'socket' && p.type !== 'tc') {
      programs[key] = 'links';
      continue;
    }
    twin ??= loadObject(bytes, deterministic(where, bytes));
    const jitRunner = twin.program(name);
    let status = 'runs';
    for (const packet of packets) {
      const a = outcome(runner, p.type, packet, false);
      const b = outcome(jitRunner, p.type, packet, true);
      if (a !== b) mismatches.push(`${where} ${key}: interpreter ${a.slice(0, 200)} / JIT ${b.slice(0, 200)}`);
      if (a.startsWith('error') && status === 'runs') status = `fails: ${a.slice(6)}`;
    }
    programs[key] = status;
  }
  return { load: 'loads', programs };
}

/** Survey the corpus under `root`, or the objects whose relative path `include` accepts. */
export function surveyCorpus(
  include: (path: string) => boolean = () => true,
  root: string = CORPUS_DIR,
): { table: Record<string, ObjectStatus>; mismatches: string[] } {
  const packets = corpusPackets();
  const table: Record<string, ObjectStatus> = {};
  const mismatches: string[] = [];
  for (const path of corpusObjects(root).filter(include)) {
    table[path] = surveyObject(new Uint8Array(readFileSync(join(root, path))), packets, mismatches, path);
  }
  return { table, mismatches };
}

/** Totals of a survey table. */
export function totals(table: Record<string, ObjectStatus>): Record<string, number> {
  const t = { objects: 0, objectsLoad: 0, programs: 0, programsLink: 0, packetPrograms: 0, packetProgramsRun: 0, tracingPrograms: 0, tracingProgramsRun: 0, sockOpsPrograms: 0, sockOpsProgramsRun: 0 };
  for (const [path, s] of Object.entries(table)) {
    if (path.startsWith('ebpf-samples/invalid/')) continue;
    t.objects++;
    if (s.load === 'loads') t.objectsLoad++;
    for (const [key, status] of Object.entries(s.programs)) {
      t.programs++;
      if (status === 'runs' || status === 'links' || status.startsWith('fails')) t.programsLink++;
      if (/ (xdp|socket|tc)$/.test(key)) {
        t.packetPrograms++;
        if (status === 'runs') t.packetProgramsRun++;
      }
      // By section name, so that a program the loader cannot even list as tracing still counts.
      if (tracingTypeOf(/\((.*)\) \S+$/.exec(key)?.[1] ?? '') !== undefined) {
        t.tracingPrograms++;
        if (status === 'runs') t.tracingProgramsRun++;
      }
      if (/\(sockops\) \S+$/.test(key)) {
        t.sockOpsPrograms++;
        if (status === 'runs') t.sockOpsProgramsRun++;
      }
    }
  }
  return t;
}
