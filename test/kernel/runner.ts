/**
 * The Linux kernel as a live oracle: a TypeScript wrapper around tools/kernel-runner (a small C
 * program against libbpf that loads programs with BPF_PROG_LOAD and runs them with
 * BPF_PROG_TEST_RUN). Importable by any test:
 *
 *   const k = kernelOracle();
 *   if (typeof k === 'string') { skipNote(k); ... } // k says why the kernel cannot be used
 *   const [v] = k.verdicts([{ type: 'xdp', insns }]);  // accept/reject + verifier log
 *   const [m, p, r, d] = k.exec([{ op: 'map', ... }, { op: 'load', ..., maps: { 1: { ref: 0 } } },
 *                                { op: 'run', prog: { ref: 1 }, data }, { op: 'dump', map: { ref: 0 } }]);
 *
 * The runner is compiled on first use with gcc (cached under node_modules/.cache by source hash) when
 * this is Linux, we are root, gcc and libbpf's headers exist, and a trivial program loads and runs.
 * Otherwise {@link kernelOracle} returns the reason as a string, and tests skip with that note.
 * TSBPF_KERNEL=0 in the environment skips on purpose.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapBtf, programBtf, type ValueFields } from './btf-writer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE = join(ROOT, 'tools/kernel-runner/kernel-runner.c');

/** Program types by the kernel's names (BPF_PROG_TYPE_*), or a number. */
export type KernelProgType =
  | 'socket_filter' | 'kprobe' | 'sched_cls' | 'sched_act' | 'tracepoint' | 'xdp' | 'perf_event' | 'cgroup_skb'
  | 'cgroup_sock' | 'lwt_in' | 'lwt_out' | 'lwt_xmit' | 'sock_ops' | 'sk_skb' | 'cgroup_device' | 'sk_msg'
  | 'raw_tracepoint' | 'cgroup_sock_addr' | 'lwt_seg6local' | 'lirc_mode2' | 'sk_reuseport' | 'flow_dissector'
  | 'cgroup_sysctl' | 'raw_tracepoint_writable' | 'cgroup_sockopt' | 'tracing' | 'struct_ops' | 'ext' | 'lsm'
  | 'sk_lookup' | 'syscall' | 'netfilter' | number;

/** A map to create: `type` is a BPF_MAP_TYPE_* number (tsbpf's `MapType`). */
export interface KernelMapDef {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  /** `map_extra` (a bloom filter's number of hash functions in its low 4 bits). */
  readonly extra?: number;
  /** Value of key 0 written before loading (for {@link KernelMapDef.freeze}). */
  readonly initial?: Uint8Array;
  /** Freeze the map (BPF_MAP_FREEZE) before loading, as libbpf freezes `.rodata` and `.kconfig`. */
  readonly freeze?: boolean;
  /**
   * Create the map with BTF (an integer key, a struct value) holding these fields, as a clang-built
   * object's map has it: what bpf_spin_lock and bpf_timer need ({@link VerdictRequest} builds the BTF).
   */
  readonly btf?: ValueFields;
  /** An array or hash of maps: the inner map's shape (created first, as the template the kernel requires). */
  readonly inner?: KernelMapDef;
}

/** The fd that request number `ref` of the same {@link KernelOracle.exec} call returned. */
export interface Ref {
  readonly ref: number;
}

export type KernelRequest =
  /** `innerFd`: the template map of a map of maps (BPF_MAP_CREATE's inner_map_fd). */
  | ({ readonly op: 'map'; readonly innerFd?: Ref | number } & Omit<KernelMapDef, 'btf' | 'inner'> & { readonly btfObject?: { readonly fd: Ref | number; readonly keyType: number; readonly valueType: number } })
  /** Load raw BTF (BPF_BTF_LOAD); answers like `load` (fd, or errno with the log). */
  | { readonly op: 'btf'; readonly blob: Uint8Array }
  | {
      readonly op: 'load';
      readonly type: KernelProgType;
      /** Raw 8-byte instructions. */
      readonly insns: Uint8Array;
      /** Verifier log level (default 1; 0 = no log, cheapest). */
      readonly logLevel?: number;
      readonly attachType?: number;
      /** BPF_PROG_LOAD's prog_flags (default 0; BPF_F_SLEEPABLE for syscall programs, which the kernel loads only so). */
      readonly progFlags?: number;
      /** lddw src 1/2 immediates to replace by the fd of a map (a request ref or a real fd). */
      readonly maps?: Readonly<Record<number, Ref | number>>;
      /** A BTF object for the program and its func_info records `[insn_off, type_id]`. */
      readonly btf?: { readonly fd: Ref | number; readonly funcInfo: readonly (readonly [number, number])[] };
    }
  /** Load an ELF object with libbpf: `program` alone, or every program with `+name` (answering for `name`). */
  | {
      readonly op: 'obj';
      readonly path: string;
      readonly program: string;
      readonly type?: KernelProgType;
      /** `max_entries` to set before load, by map name (libbpf's bpf_map__set_max_entries); absent names are ignored. */
      readonly sizes?: Readonly<Record<string, number>>;
      /** The named program's expected_attach_type instead of its section's (0: a plain XDP program). */
      readonly attachType?: number;
    }
  | {
      readonly op: 'run';
      readonly prog: Ref | number;
      readonly data?: Uint8Array;
      readonly ctx?: Uint8Array;
      /** Capacity for data_out (default: data length + 512). */
      readonly dataOut?: number;
      /** Capacity for ctx_out (default: ctx length, 0 without ctx). */
      readonly ctxOut?: number;
      /**
       * BPF_PROG_TEST_RUN's `repeat` (default: 1 when any data, data_out or ctx_out is given, else 0).
       * The syscall type refuses any but 0 (EINVAL).
       */
      readonly repeat?: 0 | 1;
    }
  | { readonly op: 'update'; readonly map: Ref | number; readonly key: Uint8Array; readonly value: Uint8Array; readonly flags?: number }
  /** Store the cgroup v2 directory at `path` (no spaces) at `index` of a cgroup array (the runner opens it). */
  | { readonly op: 'cgroup'; readonly map: Ref | number; readonly index: number; readonly path: string }
  /** Open a loopback socket (listening TCP on 127.0.0.1, [::1], [::1] IPv6-only, [::]; bound or connected UDP) and store it at `index` of a SOCKMAP. */
  | { readonly op: 'sock'; readonly map: Ref | number; readonly index: number; readonly sock: 'tcp4' | 'tcp6' | 'tcp6only' | 'tcp6any' | 'udp4' | 'udp4conn' }
  /** Write one sample into a user ring buffer, as its user-space producer (libbpf's user_ring_buffer) does. */
  | { readonly op: 'usample'; readonly map: Ref | number; readonly bytes: Uint8Array }
  | { readonly op: 'freeze'; readonly map: Ref | number }
  | { readonly op: 'dump'; readonly map: Ref | number }
  | { readonly op: 'close'; readonly fd: Ref | number }
  /** Pin the runner to a CPU (test runs then happen there; per-CPU map values land in that slot). */
  | { readonly op: 'cpu'; readonly cpu: number }
  /** Sleep (at most 10 s): timers a test run started fire meanwhile. */
  | { readonly op: 'sleep'; readonly us: number }
  /** The runner's own task, which test runs happen in (what the task helpers see). */
  | { readonly op: 'self' }
  /** Attach an iterator program an `obj` request loaded (BPF_TRACE_ITER) and read its output, at most `maxBytes`. */
  | { readonly op: 'iter'; readonly prog: Ref | number; readonly maxBytes?: number };

/** A map of a loaded object, as libbpf created it. */
export interface KernelObjMap {
  readonly name: string;
  readonly fd: number;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

export type KernelResponse =
  /** map, update, close, cpu; `fd` for map. */
  | { readonly kind: 'ok'; readonly fd?: number }
  | { readonly kind: 'sock'; readonly fd: number; readonly cookie: bigint }
  /** load: accepted (`fd`) or rejected (`errno`), with the verifier log. */
  | { readonly kind: 'load'; readonly accepted: boolean; readonly fd: number; readonly errno: number; readonly log: string }
  /** obj: the chosen program's fd and type, and every map; or rejected with libbpf's log. */
  | {
      readonly kind: 'obj';
      readonly accepted: boolean;
      readonly fd: number;
      readonly progType: number;
      readonly maps: readonly KernelObjMap[];
      readonly errno: number;
      readonly log: string;
    }
  | { readonly kind: 'run'; readonly retval: number; readonly data: Uint8Array; readonly ctx: Uint8Array }
  /** self: thread id (the kernel's pid), process id (tgid), uid, gid, comm and cgroup v2 id (0: unknown). */
  | { readonly kind: 'self'; readonly pid: number; readonly tgid: number; readonly uid: number; readonly gid: number; readonly comm: string; readonly cgroupId: bigint }
  /** iter: the bytes read from the iterator. */
  | { readonly kind: 'iter'; readonly output: Uint8Array }
  | { readonly kind: 'dump'; readonly type: number; readonly keySize: number; readonly valueSize: number; readonly entries: [Uint8Array, Uint8Array][] }
  | { readonly kind: 'err'; readonly errno: number; readonly message: string };

/** A program for {@link KernelOracle.verdicts}. */
export interface VerdictRequest {
  readonly type: KernelProgType;
  readonly insns: Uint8Array;
  /** Maps by the lddw src 1 immediate the program uses for them. */
  readonly maps?: Readonly<Record<number, KernelMapDef>>;
  /** Default 1. At 0 the log is empty (and loading is fastest). */
  readonly logLevel?: number;
  readonly attachType?: number;
  /**
   * Load with BTF func_info naming a function at each of these instruction offsets (and at 0), as
   * clang's objects carry it: the kernel verifies callbacks only then ("missing btf func_info").
   */
  readonly funcInfo?: readonly number[];
  /** BPF_PROG_LOAD's prog_flags (e.g. BPF_F_STRICT_ALIGNMENT, 1); default 0. */
  readonly progFlags?: number;
}

/** The kernel's verdict on one program. */
export interface Verdict {
  readonly accepted: boolean;
  /** 0 when accepted; else the errno of BPF_PROG_LOAD (EACCES 13: the verifier refused; EINVAL 22: malformed...). */
  readonly errno: number;
  /** The verifier log ('' at log level 0). */
  readonly log: string;
}

/** A working kernel runner. */
export interface KernelOracle {
  /** The runner binary. */
  readonly binary: string;
  /** Possible CPUs (per-CPU map values hold one value per possible CPU). */
  readonly cpus: number;
  /**
   * Run requests in one runner process; one response per request, in order. With `options.netns`, the
   * runner runs in a new network namespace (`unshare -n`) set up first by those commands (each an
   * argument list, e.g. `['ip', 'link', 'add', ...]`): programs that look at the network (bpf_fib_lookup)
   * then see exactly that state. A failing command fails the call.
   */
  exec(requests: readonly KernelRequest[], options?: { readonly netns?: readonly (readonly string[])[] }): KernelResponse[];
  /** Load each program (with fresh maps) and report the verdict; one process, fds closed after each. */
  verdicts(programs: readonly VerdictRequest[]): Verdict[];
}

export const hex = (b: Uint8Array): string => (b.length === 0 ? '-' : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
export const unhex = (s: string): Uint8Array => (s === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(s, 'hex')));
/** prog_flags: the program may sleep (syscall programs must). */
const BPF_F_SLEEPABLE = 1 << 4;
const fdToken = (fd: Ref | number): string => (typeof fd === 'number' ? String(fd) : `$${fd.ref}`);

function requestLine(r: KernelRequest): string {
  switch (r.op) {
    case 'map': {
      const b = r.btfObject;
      const withBtf = b === undefined && r.innerFd === undefined ? '' : ` ${b === undefined ? 0 : fdToken(b.fd)} ${b?.keyType ?? 0} ${b?.valueType ?? 0}`;
      const tail = withBtf === '' ? (r.extra === undefined ? '' : ` ${r.extra}`) : ` ${r.extra ?? 0}${withBtf}${r.innerFd === undefined ? '' : ` ${fdToken(r.innerFd)}`}`;
      return `map ${r.type} ${r.keySize} ${r.valueSize} ${r.maxEntries} ${r.flags ?? 0}${tail}`;
    }
    case 'btf':
      return `btf ${hex(r.blob)}`;
    case 'load': {
      const maps = Object.entries(r.maps ?? {}).map(([imm, fd]) => `${imm}=${fdToken(fd)}`);
      const info = r.btf === undefined ? '' : ` ${fdToken(r.btf.fd)} ${hex(new Uint8Array(new Uint32Array(r.btf.funcInfo.flat()).buffer))}`;
      return `load ${r.type} ${r.attachType ?? 0} ${r.logLevel ?? 1} ${r.progFlags ?? (r.type === 'syscall' ? BPF_F_SLEEPABLE : 0)} ${hex(r.insns)} ${maps.join(',') || '-'}${info}`;
    }
    case 'obj': {
      if (/\s/.test(r.path) || /\s/.test(r.program)) throw new Error(`kernel runner: no spaces in paths or names (${r.path})`);
      const sizes = Object.entries(r.sizes ?? {}).map(([name, n]) => `${name}=${n}`).join(',');
      if (sizes === '' && r.attachType === undefined) return `obj ${r.path} ${r.program}${r.type !== undefined ? ` ${r.type}` : ''}`;
      return `obj ${r.path} ${r.program} ${r.type ?? '-'} ${sizes || '-'}${r.attachType !== undefined ? ` ${r.attachType}` : ''}`;
    }
    case 'run': {
      const data = r.data ?? new Uint8Array(0);
      const ctx = r.ctx ?? new Uint8Array(0);
      return `run ${fdToken(r.prog)} ${hex(data)} ${hex(ctx)} ${r.dataOut ?? data.length + 512} ${r.ctxOut ?? ctx.length}${r.repeat === undefined ? '' : ` ${r.repeat}`}`;
    }
    case 'update':
      return `update ${fdToken(r.map)} ${hex(r.key)} ${hex(r.value)} ${r.flags ?? 0}`;
    case 'cgroup':
      if (/\s/.test(r.path)) throw new Error(`kernel runner: no spaces in paths (${r.path})`);
      return `cgroup ${fdToken(r.map)} ${r.index} ${r.path}`;
    case 'sock':
      return `sock ${fdToken(r.map)} ${r.index} ${r.sock}`;
    case 'usample':
      return `usample ${fdToken(r.map)} ${hex(r.bytes)}`;
    case 'freeze':
      return `freeze ${fdToken(r.map)}`;
    case 'dump':
      return `dump ${fdToken(r.map)}`;
    case 'close':
      return `close ${fdToken(r.fd)}`;
    case 'cpu':
      return `cpu ${r.cpu}`;
    case 'sleep':
      return `sleep ${r.us}`;
    case 'self':
      return 'self';
    case 'iter':
      return `iter ${fdToken(r.prog)} ${r.maxBytes ?? 1 << 20}`;
  }
}

const text = (h: string): string => new TextDecoder().decode(unhex(h));

function parseResponse(r: KernelRequest, line: string): KernelResponse {
  const t = line.split(' ');
  if (t[0] === 'err') return { kind: 'err', errno: Number(t[1]), message: (t[2] ?? '').replace(/_/g, ' ') };
  switch (r.op) {
    case 'btf':
    case 'load':
      if (t[0] !== 'ok' && t[0] !== 'reject') break;
      return t[0] === 'ok'
        ? { kind: 'load', accepted: true, fd: Number(t[1]), errno: 0, log: text(t[2] ?? '-') }
        : { kind: 'load', accepted: false, fd: -1, errno: Number(t[1]), log: text(t[2] ?? '-') };
    case 'obj': {
      if (t[0] === 'reject') return { kind: 'obj', accepted: false, fd: -1, progType: 0, maps: [], errno: Number(t[1]), log: text(t[2] ?? '-') };
      if (t[0] !== 'ok') break;
      const maps = (t[3] ?? '-') === '-' ? [] : t[3]!.split(',').map((m) => {
        const f = m.split(':');
        return { name: f[0]!, fd: Number(f[1]), type: Number(f[2]), keySize: Number(f[3]), valueSize: Number(f[4]), maxEntries: Number(f[5]) };
      });
      return { kind: 'obj', accepted: true, fd: Number(t[1]), progType: Number(t[2]), maps, errno: 0, log: '' };
    }
    case 'sock':
      if (t[0] !== 'ok') break;
      return { kind: 'sock', fd: Number(t[1]), cookie: BigInt(t[2] ?? '0') };
    case 'self':
      if (t[0] !== 'ok') break;
      return { kind: 'self', pid: Number(t[1]), tgid: Number(t[2]), uid: Number(t[3]), gid: Number(t[4]), comm: text(t[5] ?? '-'), cgroupId: BigInt(t[6] ?? '0') };
    case 'iter':
      if (t[0] !== 'ok') break;
      return { kind: 'iter', output: unhex(t[1] ?? '-') };
    case 'run':
      if (t[0] !== 'ok') break;
      return { kind: 'run', retval: Number(t[1]), data: unhex(t[2] ?? '-'), ctx: unhex(t[3] ?? '-') };
    case 'dump': {
      if (t[0] !== 'ok') break;
      const entries: [Uint8Array, Uint8Array][] = (t[4] ?? '-') === '-' ? [] : t[4]!.split(',').map((e) => {
        const [k, v] = e.split(':');
        return [unhex(k!), unhex(v!)];
      });
      return { kind: 'dump', type: Number(t[1]), keySize: Number(t[2]), valueSize: Number(t[3]), entries };
    }
    default:
      if (t[0] !== 'ok') break;
      return t[1] === undefined ? { kind: 'ok' } : { kind: 'ok', fd: Number(t[1]) };
  }
  throw new Error(`kernel runner: unexpected response to ${r.op}: ${line.slice(0, 200)}`);
}

class Oracle implements KernelOracle {
  constructor(readonly binary: string, readonly cpus: number) {}

  exec(requests: readonly KernelRequest[], options?: { readonly netns?: readonly (readonly string[])[] }): KernelResponse[] {
    const lines = runBinary(this.binary, requests.map(requestLine), options?.netns);
    return requests.map((r, i) => parseResponse(r, lines[i]!));
  }

  verdicts(programs: readonly VerdictRequest[]): Verdict[] {
    // One runner process per chunk, so that a long list stays within the process's time limit on a loaded machine.
    if (programs.length > VERDICTS_PER_PROCESS) {
      const out: Verdict[] = [];
      for (let i = 0; i < programs.length; i += VERDICTS_PER_PROCESS) out.push(...this.verdicts(programs.slice(i, i + VERDICTS_PER_PROCESS)));
      return out;
    }
    const requests: KernelRequest[] = [];
    const loads: number[] = [];
    const setups: number[][] = [];
    for (const p of programs) {
      const setup: number[] = [];
      setups.push(setup);
      const maps: Record<number, Ref> = {};
      const inners: Ref[] = [];
      for (const [imm, def] of Object.entries(p.maps ?? {})) {
        let btfObject: { fd: Ref; keyType: number; valueType: number } | undefined;
        if (def.btf !== undefined) {
          const b = mapBtf(def.keySize, def.valueSize, def.btf);
          setup.push(requests.length);
          btfObject = { fd: { ref: requests.length }, keyType: b.keyType, valueType: b.valueType };
          requests.push({ op: 'btf', blob: b.blob });
        }
        let innerFd: Ref | undefined;
        if (def.inner !== undefined) {
          const i = def.inner;
          innerFd = { ref: requests.length };
          inners.push(innerFd);
          setup.push(requests.length);
          requests.push({ op: 'map', type: i.type, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries, flags: i.flags });
        }
        const ref = { ref: requests.length };
        maps[Number(imm)] = ref;
        setup.push(requests.length);
        requests.push({ op: 'map', type: def.type, keySize: def.keySize, valueSize: def.valueSize, maxEntries: def.maxEntries, flags: def.flags, btfObject, ...(innerFd === undefined ? {} : { innerFd }) });
        if (def.initial !== undefined) setup.push(requests.push({ op: 'update', map: ref, key: new Uint8Array(def.keySize), value: def.initial }) - 1);
        if (def.freeze === true) setup.push(requests.push({ op: 'freeze', map: ref }) - 1);
      }
      let btf: { fd: Ref; funcInfo: readonly (readonly [number, number])[] } | undefined;
      const objects: Ref[] = setup.filter((j) => requests[j]!.op === 'btf').map((j) => ({ ref: j }));
      if (p.funcInfo !== undefined) {
        const b = programBtf(p.funcInfo);
        setup.push(requests.length);
        btf = { fd: { ref: requests.length }, funcInfo: b.funcInfo };
        objects.push(btf.fd);
        requests.push({ op: 'btf', blob: b.blob });
      }
      loads.push(requests.length);
      requests.push({ op: 'load', type: p.type, insns: p.insns, logLevel: p.logLevel ?? 1, attachType: p.attachType, maps, btf, ...(p.progFlags === undefined ? {} : { progFlags: p.progFlags }) });
      for (const m of [...inners, ...Object.values(maps), ...objects, { ref: loads[loads.length - 1]! }]) requests.push({ op: 'close', fd: m });
    }
    const out = this.exec(requests);
    return loads.map((at, i) => {
      const r = out[at]!;
      if (r.kind === 'load') return { accepted: r.accepted, errno: r.errno, log: r.log };
      // A map or BTF the kernel would not create (or fill, or freeze): the program cannot load either.
      const failed = setups[i]!.map((j) => out[j]!).find((m) => m.kind === 'err' || (m.kind === 'load' && !m.accepted));
      if (failed?.kind === 'load') return { accepted: false, errno: failed.errno, log: `BTF load failed: ${failed.log}` };
      return { accepted: false, errno: failed?.kind === 'err' ? failed.errno : 22, log: `map creation failed: ${failed?.kind === 'err' ? failed.message : '?'}` };
    });
  }
}

/** Programs judged by one runner process (each a load and its maps, closed after it). */
const VERDICTS_PER_PROCESS = 500;

const shellQuote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

function runBinary(binary: string, lines: readonly string[], netns?: readonly (readonly string[])[]): string[] {
  const options = { input: lines.join('\n') + '\n', maxBuffer: 1 << 30, timeout: 300_000, encoding: 'utf8' } as const;
  // In a namespace: the set-up commands' output goes to stderr, so stdout holds only the runner's answers.
  const script = netns === undefined ? '' : `set -e; ${netns.map((c) => `${c.map(shellQuote).join(' ')} </dev/null >&2`).join('; ')}; exec ${shellQuote(binary)}`;
  const res = netns === undefined ? spawnSync(binary, [], options) : spawnSync('unshare', ['-n', 'sh', '-c', script], options);
  if (res.error !== undefined) throw new Error(`kernel runner failed: ${res.error.message}`);
  const out = res.stdout.split('\n');
  if (out.length < lines.length + 1) {
    throw new Error(`kernel runner ended after ${out.length - 1} of ${lines.length} requests (status ${res.status}, signal ${res.signal}): ${res.stderr.slice(0, 500)}`);
  }
  return out.slice(0, lines.length);
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Compile the runner (cached by source hash); returns its path or why it could not be built. */
function build(): string {
  const source = readFileSync(SOURCE);
  const key = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(ROOT, 'node_modules/.cache/tsbpf-kernel-runner');
  const binary = join(dir, `kernel-runner-${key}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  const cc = spawnSync('gcc', ['-O2', '-o', tmp, SOURCE, '-lbpf'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    rmSync(tmp, { force: true });
    return `ERROR gcc could not build tools/kernel-runner (is libbpf-dev >= 1.1 installed?): ${(cc.stderr || cc.error?.message || '').slice(0, 300)}`;
  }
  renameSync(tmp, binary);
  return binary;
}

let cached: KernelOracle | string | undefined;

/**
 * The kernel oracle, or a string saying why it cannot be used here (then tests skip with that note).
 * Memoised per process.
 */
export function kernelOracle(): KernelOracle | string {
  if (cached !== undefined) return cached;
  cached = probe();
  return cached;
}

function probe(): KernelOracle | string {
  if (process.env['TSBPF_KERNEL'] === '0') return 'TSBPF_KERNEL=0';
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (BPF_PROG_LOAD / BPF_PROG_TEST_RUN need root)';
  if (!has('gcc')) return 'no gcc to build tools/kernel-runner';
  if (!existsSync('/usr/include/bpf/libbpf.h')) return 'no libbpf headers (/usr/include/bpf/libbpf.h; apt-get install libbpf-dev)';
  const binary = build();
  if (binary.startsWith('ERROR ')) return binary.slice(6);
  try {
    const lines = runBinary(binary, ['probe', 'load xdp 0 0 0 b7000000020000009500000000000000 -', `run $1 ${'00'.repeat(64)} - 1024 0`]);
    const cpus = Number(lines[0]!.split(' ')[2]);
    if (!lines[1]!.startsWith('ok ')) return `the kernel refused BPF_PROG_LOAD of a trivial XDP program: ${lines[1]}`;
    if (!lines[2]!.startsWith('ok 2 ')) return `BPF_PROG_TEST_RUN did not work: ${lines[2]!.slice(0, 100)}`;
    return new Oracle(binary, cpus);
  } catch (e) {
    return `kernel runner did not run: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** The note a skipped kernel test prints (once per file). */
export function skipNote(reason: string): void {
  console.warn(`[kernel oracle] kernel differential tests SKIPPED: ${reason}`);
}

/** Why the oracle cannot run here (printed with {@link skipNote}), or undefined when it can. */
export function kernelSkipReason(): string | undefined {
  const k = kernelOracle();
  if (typeof k !== 'string') return undefined;
  skipNote(k);
  return k;
}

/**
 * Why the tests that run the oracle in a fresh network namespace (`exec`'s `netns` option) cannot
 * run here: no oracle, or no `unshare` / `ip` command; undefined when they can.
 */
export function namespaceSkipReason(): string | undefined {
  const k = kernelOracle();
  if (typeof k === 'string') return k;
  for (const cmd of ['unshare', 'ip']) if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return `no ${cmd} command`;
  return undefined;
}
