/**
 * The differential of one corpus packet program: the same object, loaded by libbpf into the kernel
 * (as its verdict says, kernel-verdicts.ts) and by tsbpf (the survey's load options), run over the
 * same packets with BPF_PROG_TEST_RUN and with each tsbpf engine; return value, output packet, the
 * writable `__sk_buff` fields and the maps after all runs are compared. The conventions are those of
 * test/kernel/objects.test.ts (docs/testing.md): socket filters run in the kernel as sched_cls.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import { MapType } from '../../src/maps/index.js';
import type { Engine } from '../../src/vm/environment.js';
import { kernelOutcome, skbCtxIn, tsbpfRun, xdpCtxIn, type Outcome, type SkbFields } from '../kernel/differential.js';
import type { KernelOracle, KernelObjMap, KernelRequest, KernelResponse } from '../kernel/runner.js';
import { rng, type TestPacket } from '../kernel/packets.js';
import { loadRequest, type KernelVerdict, type PacketProgram } from './kernel-verdicts.js';
import { deterministic } from './survey.js';

/** Map types whose contents are not compared: records, fds, queues, redirect targets the host fills. */
const UNLISTED = new Set<number>([
  MapType.RINGBUF, MapType.PERF_EVENT_ARRAY, MapType.PROG_ARRAY, MapType.QUEUE, MapType.STACK, MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS, MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP, MapType.SOCKMAP,
  MapType.SOCKHASH, MapType.STACK_TRACE, MapType.CGROUP_ARRAY,
]);
/** Arrays list every slot: bigger ones (katran's 33.5 M-entry ring) are not dumped. */
const MAX_LISTED_SLOTS = 65536;

/**
 * Helpers whose results depend on the clock, a random source or a per-boot secret (the kernel's flow
 * hash): a program calling one is compared on return values and packets, not on maps (the values stored
 * would differ by design).
 */
export const NONDETERMINISTIC_HELPERS: ReadonlyMap<number, string> = new Map([
  [5, 'bpf_ktime_get_ns'], [7, 'bpf_get_prandom_u32'], [34, 'bpf_get_hash_recalc'], [118, 'bpf_jiffies64'],
  [125, 'bpf_ktime_get_boot_ns'], [160, 'bpf_ktime_get_coarse_ns'], [208, 'bpf_ktime_get_tai_ns'],
  [204, 'bpf_tcp_raw_gen_syncookie_ipv4'], [205, 'bpf_tcp_raw_gen_syncookie_ipv6'],
]);

/** A tsbpf engine under test. */
export interface NamedEngine {
  readonly name: string;
  readonly engine: Engine;
}

/** What a comparison found. */
export interface DiffResult {
  /** Packets compared (those the kernel did not refuse as input). */
  readonly compared: number;
  /** One line per difference (empty: the two agree). */
  readonly differences: string[];
  /** Why parts were not compared (maps skipped and the reason), or why nothing was. */
  readonly notes: string[];
  /** How many of the kernel's runs returned each value (which paths the packets reached). */
  readonly returns: Record<number, number>;
}

let vmlinuxBtf: Uint8Array | undefined;
/** The running kernel's BTF (what libbpf resolves CO-RE relocations against). */
function vmlinux(): Uint8Array {
  vmlinuxBtf ??= new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
  return vmlinuxBtf;
}

/** The kernel names global-data maps "<object prefix>.rodata"; tsbpf ".rodata". */
const tsName = (kname: string): string => kname.replace(/^.*(\.(rodata|data|bss|kconfig).*)$/, '$1');
const entryText = ([k, v]: readonly [Uint8Array, Uint8Array]): string => `${Buffer.from(k).toString('hex')}:${Buffer.from(v).toString('hex')}`;

/**
 * A value as user space sees it through the kernel: a `struct bpf_spin_lock` (4 bytes) or `struct
 * bpf_timer` (16 bytes) in it is never copied in by an update nor out by a lookup (the kernel leaves the
 * field as it was, zero for the seeded entries, and reads it back as zero), so the seeded bytes there
 * stay in tsbpf's map alone. Programs cannot read those bytes; the comparison reads them as the kernel's
 * dump shows them.
 */
function userView(fields: { readonly spinLock?: number | undefined; readonly timer?: number | undefined } | undefined): (e: readonly [Uint8Array, Uint8Array]) => [Uint8Array, Uint8Array] {
  return ([k, v]) => {
    if (fields === undefined || (fields.spinLock === undefined && fields.timer === undefined)) return [k, v];
    const out = v.slice();
    if (fields.spinLock !== undefined) out.fill(0, fields.spinLock, fields.spinLock + 4);
    if (fields.timer !== undefined) out.fill(0, fields.timer, fields.timer + 16);
    return [k, out];
  };
}

function listed(m: KernelObjMap): string | undefined {
  if (UNLISTED.has(m.type)) return `${m.name}: type ${m.type} not listed`;
  if ((m.type === MapType.ARRAY || m.type === MapType.PERCPU_ARRAY) && m.maxEntries > MAX_LISTED_SLOTS) return `${m.name}: ${m.maxEntries} slots, not dumped`;
  return undefined;
}

/** Whether the object declares `name` but tsbpf refused to create it (a per-program refusal). */
function refusedMap(obj: BpfObject, name: string): boolean {
  try {
    obj.map(name);
    return false;
  } catch (e) {
    return e instanceof Error && /could not be created/.test(e.message);
  }
}

/** The helper ids a program calls (including its subprograms, as linked by tsbpf). */
function helpersOf(obj: BpfObject, name: string): Set<number> {
  const out = new Set<number>();
  for (const i of obj.program(name).program.insns) if (i.opcode === 0x85 && i.src === 0) out.add(i.imm);
  return out;
}

/** At most this many entries are seeded per map ({@link seedMaps}). */
const MAX_SEEDED = 256;
const SEEDED_TYPES = new Set<number>([MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH]);

/** One seeded entry, for both sides. */
interface SeededEntry {
  readonly map: string;
  readonly fd: number;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/**
 * Candidate keys of `size` bytes for a map, most frequent first: byte windows of the packets' first 80
 * bytes (addresses, ports, MACs, protocol fields wherever they sit), and for 4-byte keys also every
 * 2-byte and 1-byte window as a number in either byte order (ports and protocols as array indexes).
 * A window found in many packets (a header field) ranks before one found in a single packet (payload).
 */
function candidateKeys(packets: readonly TestPacket[], size: number): Uint8Array[] {
  const count = new Map<string, { key: Uint8Array; packets: number }>();
  for (const p of packets) {
    const mine = new Map<string, Uint8Array>();
    const head = p.bytes.subarray(0, Math.min(p.bytes.length, 80));
    for (let at = 0; at + size <= head.length; at++) {
      const k = head.slice(at, at + size);
      mine.set(Buffer.from(k).toString('hex'), k);
    }
    if (size === 4) {
      for (let at = 0; at < head.length; at++) {
        const n = at + 1 < head.length ? (head[at]! << 8) | head[at + 1]! : head[at]!;
        for (const v of [n, ((n & 0xff) << 8) | (n >>> 8), head[at]!]) {
          const k = new Uint8Array(new Uint32Array([v]).buffer);
          mine.set(Buffer.from(k).toString('hex'), k);
        }
      }
    }
    for (const [h, k] of mine) {
      const c = count.get(h);
      if (c === undefined) count.set(h, { key: k, packets: 1 });
      else c.packets++;
    }
  }
  // Stable: ties keep first-seen order (the same on every run).
  return [...count.values()].sort((a, b) => b.packets - a.packets).map((c) => c.key);
}

/**
 * The same seeded contents for both sides' maps (configuration tables, filters keyed by addresses,
 * ports or MACs, counters), so that programs take the paths their user space would enable: plain and
 * per-CPU arrays and hashes get up to {@link MAX_SEEDED} entries whose keys come from the packets
 * ({@link candidateKeys}; arrays of at most that many slots get every slot), each value all zero, all
 * ones, a small number or random bytes (the same on every CPU). Not seeded: global data, LRU maps (the
 * kernel's LRU may evict before it is full), LPM tries and the types that are not compared.
 */
function seedMaps(maps: readonly KernelObjMap[], packets: readonly TestPacket[], cpus: number, seed: number): SeededEntry[] {
  const r = rng(seed);
  const out: SeededEntry[] = [];
  for (const m of maps) {
    if (!SEEDED_TYPES.has(m.type) || m.name.includes('.')) continue;
    const array = m.type === MapType.ARRAY || m.type === MapType.PERCPU_ARRAY;
    const percpu = m.type === MapType.PERCPU_ARRAY || m.type === MapType.PERCPU_HASH;
    let keys: Uint8Array[];
    if (array && m.maxEntries <= MAX_SEEDED) keys = Array.from({ length: m.maxEntries }, (_, i) => new Uint8Array(new Uint32Array([i]).buffer));
    else {
      keys = candidateKeys(packets, m.keySize).filter((k) => !array || new DataView(k.buffer, k.byteOffset).getUint32(0, true) < m.maxEntries);
      // The most frequent (a hash map keeps room for the program's own entries).
      keys = keys.slice(0, Math.min(MAX_SEEDED, array ? m.maxEntries : Math.floor(m.maxEntries / 2)));
    }
    const pad = Math.ceil(m.valueSize / 8) * 8;
    for (const key of keys) {
      const one = new Uint8Array(m.valueSize);
      const kind = r() % 4;
      if (kind === 1) one.fill(0xff);
      else if (kind === 2) one[0] = r() % 8;
      else if (kind === 3) for (let j = 0; j < one.length; j++) one[j] = r() & 0xff;
      let value = one;
      if (percpu) {
        value = new Uint8Array(pad * cpus);
        for (let c = 0; c < cpus; c++) value.set(one, c * pad);
      }
      out.push({ map: m.name, fd: m.fd, key, value });
    }
  }
  return out;
}

/**
 * Compare one program over `packets` on `engines`. With `seed`, maps start with the same seeded
 * contents on both sides ({@link seedMaps}); without it, as the object declares them.
 */
export function diffProgram(
  k: KernelOracle,
  p: PacketProgram,
  verdict: KernelVerdict,
  packets: readonly TestPacket[],
  engines: readonly NamedEngine[],
  fields: (i: number) => SkbFields,
  seed?: number,
): DiffResult {
  const notes: string[] = [];
  const base = loadRequest(p, verdict);
  if (base === undefined || base.op !== 'obj') return { compared: 0, differences: [], notes: [`the kernel refuses it: ${verdict}`], returns: {} };
  const type = p.type === 'xdp' ? 'xdp' : 'skb';
  // A socket filter's test run starts at the network header; as sched_cls it sees the frame (docs/testing.md).
  // BPF_PROG_TEST_RUN refuses XDP programs made for a device or CPU map (xdp/devmap, xdp/cpumap): they
  // run as plain XDP programs (expected attach type 0) on both sides.
  const mapProgram = p.type === 'xdp' && /\((xdp\/(devmap|cpumap)|xdp_devmap|xdp_cpumap)/.test(p.key);
  const load: KernelRequest = p.type === 'socket' ? { ...base, type: 'sched_cls' } : mapProgram ? { ...base, attachType: 0 } : base;
  if (mapProgram) notes.push('a device / CPU map program, run as a plain XDP program');
  const list = type === 'xdp' ? packets : packets.filter((x) => x.bytes.length > 14);
  const [, loaded] = k.exec([{ op: 'cpu', cpu: 0 }, load]) as [KernelResponse, KernelResponse];
  if (loaded.kind !== 'obj' || !loaded.accepted) {
    return { compared: 0, differences: [], returns: {}, notes: [`the kernel does not load it as ${load.op === 'obj' ? load.type ?? 'its section type' : ''}: ${loaded.kind === 'obj' ? loaded.log.split('\n').filter((l) => l !== '').slice(-2).join(' | ').slice(0, 200) : JSON.stringify(loaded).slice(0, 200)}`] };
  }
  const requests: KernelRequest[] = [{ op: 'cpu', cpu: 0 }, load];
  const seeded = seed === undefined ? [] : seedMaps(loaded.maps, list, k.cpus, seed);
  for (const u of seeded) requests.push({ op: 'update', map: u.fd, key: u.key, value: u.value });
  const first = requests.length;
  list.forEach((x, i) => {
    requests.push({ op: 'run', prog: { ref: 1 }, data: x.bytes, ctx: type === 'xdp' ? xdpCtxIn(x.bytes) : skbCtxIn(x.bytes, fields(i)), ctxOut: type === 'xdp' ? 24 : 192 });
  });
  const dumped = loaded.maps.filter((m) => {
    const why = listed(m);
    if (why !== undefined) notes.push(why);
    return why === undefined;
  });
  for (const m of dumped) requests.push({ op: 'dump', map: m.fd });
  // Map fds are allocated the same way in every process: those of the first load name the second's.
  const out = k.exec(requests);
  const again = out[1]!;
  if (again.kind !== 'obj' || JSON.stringify(again.maps) !== JSON.stringify(loaded.maps)) throw new Error(`${p.path} ${p.name}: second load differs`);
  const failed = out.slice(2, first).find((x) => x.kind !== 'ok');
  if (failed !== undefined) throw new Error(`${p.path} ${p.name}: seeding a map failed: ${JSON.stringify(failed)}`);
  const kernel: (Outcome | undefined)[] = list.map((_, i) => {
    const res = out[first + i]!;
    if (res.kind === 'err' && res.errno === 22) return undefined; // an input the kernel refuses (cut IP header)
    return res.kind === 'run' ? kernelOutcome(type, res) : { error: `kernel: ${JSON.stringify(res).slice(0, 200)}` };
  });
  const kernelMaps: Record<string, string[]> = {};
  dumped.forEach((m, i) => {
    const d = out[first + list.length + i]!;
    if (d.kind !== 'dump') throw new Error(`${p.path} ${p.name}: dump of ${m.name} failed: ${JSON.stringify(d)}`);
    kernelMaps[tsName(m.name)] = d.entries.map(entryText).sort();
  });

  const bytes = new Uint8Array(readFileSync(join(p.root, p.path)));
  const differences: string[] = [];
  let compared = 0;
  for (const { name, engine } of engines) {
    // CO-RE relocations resolve against the running kernel's BTF, as libbpf resolves them.
    const obj = loadObject(bytes, { ...deterministic(p.path, bytes), cpus: k.cpus, cpu: 0, targetBtf: vmlinux() });
    // A map tsbpf could not create (refused per program) is one this program does not use: its seed is skipped.
    for (const u of seeded) obj.maps.get(u.map)?.update(u.key, u.value);
    const runner = obj.program(p.name);
    const nondet = [...helpersOf(obj, p.name)].filter((h) => NONDETERMINISTIC_HELPERS.has(h)).map((h) => NONDETERMINISTIC_HELPERS.get(h)!);
    list.forEach((x, i) => {
      if (kernel[i] === undefined) return;
      compared++;
      const got = tsbpfRun(runner, type, x.bytes, engine, fields(i));
      // With a clock or random value in play, the packet's bytes may hold it: its length is compared.
      const shape = (o: Outcome): Outcome => (nondet.length > 0 && o.packet !== undefined ? { ...o, packet: `${o.packet.length / 2} bytes` } : o);
      if (JSON.stringify(shape(got)) !== JSON.stringify(shape(kernel[i]!))) {
        differences.push(`${name}: ${x.name} (${x.bytes.length} bytes): tsbpf ${JSON.stringify(got).slice(0, 400)} / kernel ${JSON.stringify(kernel[i]).slice(0, 400)}`);
      }
    });
    if (nondet.length > 0) {
      if (name === engines[0]!.name) notes.push(`maps and packet bytes not compared (lengths are): the program calls ${nondet.join(', ')}`);
      continue;
    }
    for (const [mname, entries] of Object.entries(kernelMaps)) {
      const m = obj.maps.get(mname);
      if (m === undefined && refusedMap(obj, mname)) {
        if (name === engines[0]!.name) notes.push(`map ${mname} not compared: tsbpf refused it (no program run here uses it)`);
        continue;
      }
      const mine = m === undefined ? ['(no such map in tsbpf)'] : m.entries().map(userView(obj.valueFields().get(mname))).map(entryText).sort();
      if (JSON.stringify(mine) !== JSON.stringify(entries)) {
        const only = (a: string[], b: string[]): string[] => a.filter((e) => !b.includes(e)).slice(0, 4);
        differences.push(`${name}: map ${mname}: tsbpf only ${JSON.stringify(only(mine, entries))} / kernel only ${JSON.stringify(only(entries, mine))}`);
      }
    }
  }
  if (compared === 0) notes.push(`the kernel refused every test run: ${JSON.stringify(out[first]).slice(0, 120)}`);
  const returns: Record<number, number> = {};
  for (const o of kernel) if (o?.retval !== undefined) returns[o.retval] = (returns[o.retval] ?? 0) + 1;
  return { compared, differences, notes, returns };
}
