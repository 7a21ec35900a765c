/**
 * The object-loading flags `run` and `inspect` share: `--type TYPE` (the program type, for sections
 * whose name says nothing), `--map-size NAME=N` (a map's max_entries before load), `--map-value-size
 * NAME=N` (its value_size), `--max-map-bytes N` (the largest map arena), `--inner-map
 * NAME=TYPE:KEY:VALUE:ENTRIES` (the inner maps of a map of maps), `--kallsyms FILE` (untyped ksym addresses), `--fib FILE`
 * (the host's interfaces, routes and neighbours for `bpf_fib_lookup`, as JSON), `--sockets FILE`
 * (the host's sockets for the socket lookups, as JSON), `--kconfig
 * NAME=VALUE` (a Kconfig extern's value), `--helper ID=VALUE` (a helper that returns VALUE and
 * does nothing else, in place of tsbpf's or of one tsbpf lacks) and `--btf FILE` (the BTF to apply
 * CO-RE relocations against).
 * @module
 */
import { ArgumentError } from '../errors.js';
import { PROGRAM_TYPES, type LoadOptions, type ProgramType } from '../elf/loader.js';
import { checkKallsyms } from '../elf/externs.js';
import { Fib, type FibDescription } from '../helpers/fib-table.js';
import { SocketTable, type SocketDescription } from '../helpers/socket-table.js';
import { MAX_MAP_BYTES_LIMIT } from '../maps/map.js';
import { MapType } from '../maps/types.js';
import type { InnerMapShape } from '../elf/load-options.js';
import { UsageError, intOption, listOption, stringOption, type OptionSpec, type ParsedArgs } from './args.js';
import { readInputFile } from './input.js';
import { KERNEL_HELPER_NAMES } from '../helpers/kernel-names.js';
import type { HelperEntry, HelperFunction } from '../vm/environment.js';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The option specs of the map sizing flags (every command that loads an object). */
export const MAP_SIZE_FLAG_SPECS: Readonly<Record<string, OptionSpec>> = {
  'map-size': { type: 'list' },
  'map-value-size': { type: 'list' },
  'max-map-bytes': { type: 'string' },
  'inner-map': { type: 'list' },
};

/** The help lines of the map sizing flags. */
export const MAP_SIZE_FLAG_HELP = `  --map-size NAME=N
                  set map NAME's max_entries to N before load (repeatable)
  --map-value-size NAME=N
                  set map NAME's value_size to N bytes before load (repeatable; a stack
                  trace map's frame count times 8)
  --max-map-bytes N
                  largest value arena one map may have (default 134217728, 128 MiB;
                  at most 1073741824): raise it for objects with huge maps. Hash and
                  LRU maps reserve values as elements come, so any max_entries loads;
                  this bounds what their values may come to take
  --inner-map NAME=TYPE:KEY:VALUE:ENTRIES[:FLAGS]
                  the inner maps of map of maps NAME, as its loader gives them
                  (libbpf's bpf_map__set_inner_map_fd): TYPE a map type (hash, array,
                  ringbuf... or its number), KEY and VALUE sizes in bytes, ENTRIES its
                  max_entries (repeatable; e.g. --inner-map rules=hash:400:8:256)
`;

/** The option specs to add to a command. */
export const LOAD_FLAG_SPECS: Readonly<Record<string, OptionSpec>> = {
  type: { type: 'string' },
  ...MAP_SIZE_FLAG_SPECS,
  fib: { type: 'string' },
  sockets: { type: 'string' },
  kconfig: { type: 'list' },
  ksym: { type: 'list' },
  kallsyms: { type: 'string' },
  link: { type: 'list' },
  kfunc: { type: 'list' },
  helper: { type: 'list' },
  btf: { type: 'string' },
  verify: { type: 'string' },
};

/** The help lines of the flags. */
export const LOAD_FLAG_HELP = `  --type TYPE     program type: xdp, socket, tc, cgroup_skb, flow_dissector, sockops,
                  sk_msg, sk_skb, sk_lookup, syscall, a tracing type or raw (default:
                  from the section name)
  --verify MODE   kernel (default: refuse a program the kernel-level verifier cannot
                  prove safe), warn (keep its findings as warnings and run the program
                  anyway), shape (instruction shape only) or off
${MAP_SIZE_FLAG_HELP}  --fib FILE.json the host's network for bpf_fib_lookup: {"interfaces": [{"ifindex",
                  "mac", "mtu", "addresses", "forwarding"}], "routes": [{"prefix", "type",
                  "ifindex", "gateway", "metric", "table"}], "neighbours": [{"ifindex",
                  "address", "mac"}]} (default: only loopback, no routes; see README)
  --sockets FILE.json
                  the host's sockets for bpf_sk_lookup_tcp / _udp, bpf_skc_lookup_tcp,
                  bpf_sk_assign, socket-local storage, sock_ops, sk_msg and sk_skb events and
                  SOCKMAP / SOCKHASH values (by index): [{"protocol": "tcp", "local": "10.0.0.1:80"}, {"protocol":
                  "tcp", "local": "10.0.0.1:80", "remote": "10.0.0.9:4321"}, {"protocol": "udp",
                  "local": "[::]:53"}, ...] with optional "state", "v6only", "netns", "mark",
                  "priority", "boundDevIf", "rxQueue", "tcp" (default: no sockets)
  --kconfig NAME=VALUE
                  a Kconfig extern's value (y, n, m, a number or a string), e.g.
                  LINUX_KERNEL_VERSION=0x050f00 or CONFIG_HZ=1000 (repeatable; default:
                  tsbpf's modelled 6.18 kernel, unknown weak externs 0)
  --link FILE.o   link FILE.o statically with the object before loading, as bpftool gen
                  object does (repeatable): externs bind to definitions, strong beats weak
  --ksym NAME=ADDRESS
                  kernel symbol NAME (an extern __ksym, or an undefined symbol such as an
                  inline-assembly constant) is ADDRESS (an integer; repeatable; default: weak
                  ones 0, a program using a strong one is refused)
  --ksym NAME=@FILE
                  kernel symbol NAME's contents are FILE's bytes, mapped read-only (typed
                  ksyms need this: extern const struct x NAME __ksym)
  --kallsyms FILE the addresses of untyped kernel symbols (extern void NAME __ksym) that
                  --ksym does not give, from FILE in /proc/kallsyms' format (ADDRESS TYPE
                  NAME a line), as libbpf resolves them (tsbpf never reads /proc itself)
  --kfunc NAME=VALUE
                  kfunc NAME (an extern __ksym function, or any function the object calls
                  but does not define) returns VALUE and does nothing else (repeatable)
  --kfunc NAME=FILE.mjs
                  kfunc NAME is the default export of that JavaScript module, shaped like a
                  helper: (r1, r2, r3, r4, r5, ctx) => r0 (built in: bpf_rcu_read_lock /
                  _unlock, bpf_preempt_disable / _enable, and the conntrack and flowtable
                  lookups of a host with no connections: bpf_skb_ct_lookup, bpf_xdp_ct_lookup,
                  bpf_ct_release, bpf_xdp_flow_lookup)
  --helper ID=VALUE
                  helper ID (a number, or a kernel name: bpf_ktime_get_ns or ktime_get_ns)
                  returns VALUE (an integer; negative ones as the kernel's -errno) and does
                  nothing else, in place of tsbpf's helper or one tsbpf lacks (repeatable)
  --helper ID=FILE.mjs
                  helper ID is the default export of that JavaScript module: a function
                  (r1, r2, r3, r4, r5, ctx) => r0 with r1-r5 as bigints
  --btf FILE      apply the object's CO-RE relocations against this BTF: a kernel's
                  /sys/kernel/btf/vmlinux, or an object with a .BTF section (default:
                  the object's own BTF)`;

/** A JSON file given to `--FLAG`, checked by `check`; a usage error names the flag, the file and the field. */
function jsonFile<T>(flag: string, path: string, check: (value: T) => unknown): T {
  const text = new TextDecoder().decode(readInputFile(path));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--${flag} ${path}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    check(value as T);
  } catch (e) {
    if (e instanceof ArgumentError) throw new UsageError(`--${flag} ${path}: ${e.message}`);
    throw e;
  }
  return value as T;
}

/** Helper ids by kernel name, with and without the `bpf_` prefix. */
function helperIdOf(name: string): number | undefined {
  for (const [id, n] of KERNEL_HELPER_NAMES) if (n === name || n === `bpf_${name}`) return id;
  return undefined;
}

/** A JSON-free integer: decimal or 0x hex, optionally negative. */
function integerOf(text: string): bigint | undefined {
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined;
  const negative = text.startsWith('-');
  const v = BigInt(negative ? text.slice(1) : text);
  return negative ? -v : v;
}

/** {@link integerOf} from -2^63 to 2^64-1, as the unsigned 64-bit value a register holds. */
function u64Of(text: string): bigint | undefined {
  const v = integerOf(text);
  return v === undefined || v < -(1n << 63n) || v > (1n << 64n) - 1n ? undefined : BigInt.asUintN(64, v);
}

/** A `--helper` VALUE naming a JavaScript module rather than a number. */
const MODULE_FILE = /\.(m?js|cjs)$/i;

/**
 * The function a `--helper` / `--kfunc` VALUE names: the default export of a module (FILE.mjs), or a
 * stub returning the integer VALUE and doing nothing else; `kind` says which it is, for its name.
 */
async function stubOrModule(flag: string, spec: string, valueText: string): Promise<{ fn: HelperFunction; kind: string }> {
  if (MODULE_FILE.test(valueText)) return { fn: await helperModule(spec, valueText, flag), kind: `${flag} ${valueText}` };
  const r0 = u64Of(valueText);
  if (r0 === undefined) throw new UsageError(`${flag} ${spec}: VALUE must be an integer from -2^63 to 2^64-1 (decimal or 0x hex) or a JavaScript module (FILE.mjs)`);
  return { fn: () => r0, kind: `${flag} stub` };
}

/** `NAME=TEXT` of `--ksym` and `--kfunc`: a C symbol name (with `.` and `$`, as assemblers allow). */
const SYMBOL_SPEC = /^([A-Za-z_.$][A-Za-z0-9_.$]*)=(.*)$/s;

/**
 * `--helper ID=VALUE` stubs: each returns its value (as an unsigned 64-bit r0) and does nothing else;
 * `--helper ID=FILE.mjs` (or .js, .cjs) takes the helper from the default export of that module, a
 * function `(r1, r2, r3, r4, r5, ctx) => r0` with r1-r5 as unsigned 64-bit bigints (the library's
 * HelperFunction; what it throws fails the packet with E_HELPER).
 */
export async function helperStubs(specs: readonly string[]): Promise<Map<number, HelperEntry>> {
  const stubs = new Map<number, HelperEntry>();
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const idText = eq < 0 ? '' : spec.slice(0, eq).trim();
    const valueText = eq < 0 ? '' : spec.slice(eq + 1).trim();
    const numeric = integerOf(idText);
    const id = numeric !== undefined ? numeric : helperIdOf(idText);
    if (id === undefined || (typeof id === 'bigint' && (id < 0n || id > 0xffffffffn))) {
      throw new UsageError(`--helper ${spec}: expected ID=VALUE with ID a helper number (0 to 4294967295) or a kernel helper name such as bpf_ktime_get_ns`);
    }
    const n = Number(id);
    if (stubs.has(n)) throw new UsageError(`--helper: helper ${n} is given twice`);
    const name = KERNEL_HELPER_NAMES.get(n) ?? `helper_${n}`;
    const { fn, kind } = await stubOrModule('--helper', spec, valueText);
    stubs.set(n, { fn, name: `${name} (${kind})`, unwindOnZero: false });
  }
  return stubs;
}

/** The default export of a `--helper` module, checked to be a function. */
async function helperModule(spec: string, path: string, flag = '--helper'): Promise<HelperFunction> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (e) {
    throw new UsageError(`${flag} ${spec}: cannot load ${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (typeof mod.default !== 'function') {
    throw new UsageError(`${flag} ${spec}: ${path} must export a function as its default export: (r1, r2, r3, r4, r5, ctx) => r0`);
  }
  return mod.default as HelperFunction;
}

/** `--ksym NAME=ADDRESS` / `NAME=@FILE` values. */
function ksymFlags(specs: readonly string[]): Record<string, bigint | Uint8Array> {
  const out: Record<string, bigint | Uint8Array> = {};
  for (const spec of specs) {
    const m = SYMBOL_SPEC.exec(spec);
    if (m === null) throw new UsageError(`--ksym ${spec}: expected NAME=ADDRESS or NAME=@FILE`);
    const [, name, text] = m as unknown as [string, string, string];
    if (text.startsWith('@')) {
      out[name] = readInputFile(text.slice(1));
      continue;
    }
    const address = u64Of(text.trim());
    if (address === undefined) throw new UsageError(`--ksym ${spec}: ADDRESS must be an integer from -2^63 to 2^64-1 (decimal or 0x hex), or @FILE for the symbol's bytes`);
    out[name] = address;
  }
  return out;
}

/** `--kfunc NAME=VALUE` stubs and `NAME=FILE.mjs` modules. */
async function kfuncFlags(specs: readonly string[]): Promise<Record<string, HelperFunction>> {
  const out: Record<string, HelperFunction> = {};
  for (const spec of specs) {
    const m = SYMBOL_SPEC.exec(spec);
    if (m === null) throw new UsageError(`--kfunc ${spec}: expected NAME=VALUE or NAME=FILE.mjs`);
    const [, name, text] = m as unknown as [string, string, string];
    out[name] = (await stubOrModule('--kfunc', spec, text.trim())).fn;
  }
  return out;
}

/** `--inner-map NAME=TYPE:KEY:VALUE:ENTRIES[:FLAGS]` specs as {@link LoadOptions.innerMaps}; a usage error for a bad one. */
export function innerMapFlags(specs: readonly string[]): Record<string, InnerMapShape> {
  const out: Record<string, InnerMapShape> = {};
  const number = /^(0x[0-9a-f]+|\d+)$/i;
  for (const spec of specs) {
    const m = /^(.+)=([A-Za-z_0-9]+):([^:]+):([^:]+):([^:]+)(?::([^:]+))?$/.exec(spec);
    const bad = (why: string): never => {
      throw new UsageError(`--inner-map ${spec}: ${why}`);
    };
    if (m === null) bad('expected NAME=TYPE:KEY:VALUE:ENTRIES[:FLAGS], e.g. rules=hash:400:8:256');
    const [, name, typeText, ...rest] = m as unknown as [string, string, string, string, string, string, string | undefined];
    const key = typeText.toUpperCase().replace(/^BPF_MAP_TYPE_/, '');
    const type = number.test(typeText) ? Number(typeText) : (MapType as Record<string, number>)[key];
    if (type === undefined || type > 0xffffffff) bad(`unknown map type ${typeText}; one of ${Object.keys(MapType).map((k) => k.toLowerCase()).join(', ')}, or a number`);
    const [keySize, valueSize, maxEntries, flags] = rest.map((t, i) => {
      if (t === undefined) return 0;
      const n = number.test(t) ? Number(t) : NaN;
      if (!Number.isSafeInteger(n) || n > 0xffffffff) bad(`${['KEY', 'VALUE', 'ENTRIES', 'FLAGS'][i]} must be an integer from 0 to 4294967295, not ${t}`);
      return n;
    }) as [number, number, number, number];
    if (name in out) bad(`map ${name} is given twice`);
    out[name] = { type: type!, keySize, valueSize, maxEntries, flags };
  }
  return out;
}

/** The map sizing flags of every command that loads an object: `--map-size`, `--map-value-size`, `--max-map-bytes`, `--inner-map` (see {@link MAP_SIZE_FLAG_SPECS}). */
export function mapSizeFlags(args: ParsedArgs): Pick<LoadOptions, 'mapSizes' | 'mapValueSizes' | 'maxMapBytes' | 'innerMaps'> {
  const sizesOf = (flag: 'map-size' | 'map-value-size'): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const spec of listOption(args, flag)) {
      const m = /^(.+)=(0x[0-9a-f]+|\d+)$/i.exec(spec);
      const n = m === null ? NaN : Number(m[2]);
      if (m === null || !Number.isSafeInteger(n) || n < 1 || n > 0xffffffff) {
        throw new UsageError(`--${flag} ${spec}: expected NAME=N with N from 1 to 4294967295`);
      }
      out[m[1]!] = n;
    }
    return out;
  };
  const sizes = sizesOf('map-size');
  const valueSizes = sizesOf('map-value-size');
  const maxMapBytes = intOption(args, 'max-map-bytes', 1, MAX_MAP_BYTES_LIMIT);
  const innerMaps = innerMapFlags(listOption(args, 'inner-map'));
  return {
    ...(Object.keys(innerMaps).length === 0 ? {} : { innerMaps }),
    ...(Object.keys(sizes).length === 0 ? {} : { mapSizes: sizes }),
    ...(Object.keys(valueSizes).length === 0 ? {} : { mapValueSizes: valueSizes }),
    ...(maxMapBytes === undefined ? {} : { maxMapBytes }),
  };
}

/** Load options from `--type`, `--verify`, `--map-size`, `--map-value-size`, `--max-map-bytes`, `--inner-map`, `--fib`, `--sockets`, `--kconfig`, `--ksym`, `--kallsyms`, `--kfunc`, `--link`, `--helper` and `--btf`; a usage error for bad values. */
export async function loadFlags(args: ParsedArgs): Promise<Pick<LoadOptions, 'programTypes' | 'mapSizes' | 'mapValueSizes' | 'maxMapBytes' | 'innerMaps' | 'fib' | 'sockets' | 'kconfig' | 'ksyms' | 'kallsyms' | 'kfuncs' | 'link' | 'helpers' | 'targetBtf' | 'verify'>> {
  const verify = stringOption(args, 'verify');
  if (verify !== undefined && !['kernel', 'warn', 'shape', 'off'].includes(verify)) {
    throw new UsageError(`--verify must be kernel, warn, shape or off, not '${verify}'`);
  }
  const type = stringOption(args, 'type');
  if (type !== undefined && !PROGRAM_TYPES.includes(type as ProgramType)) {
    throw new UsageError(`--type must be one of ${PROGRAM_TYPES.join(', ')}, not '${type}'`);
  }
  const fib = stringOption(args, 'fib');
  const sockets = stringOption(args, 'sockets');
  const kconfig: Record<string, string> = {};
  for (const spec of listOption(args, 'kconfig')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(spec);
    if (m === null) throw new UsageError(`--kconfig ${spec}: expected NAME=VALUE, e.g. CONFIG_HZ=1000`);
    kconfig[m[1]!] = m[2]!;
  }
  const stubs = await helperStubs(listOption(args, 'helper'));
  const ksyms = ksymFlags(listOption(args, 'ksym'));
  const kallsymsPath = stringOption(args, 'kallsyms');
  let kallsyms: string | undefined;
  if (kallsymsPath !== undefined) {
    kallsyms = new TextDecoder().decode(readInputFile(kallsymsPath));
    try {
      checkKallsyms(kallsyms);
    } catch (e) {
      if (e instanceof ArgumentError) throw new UsageError(`--kallsyms ${kallsymsPath}: ${e.message}`);
      throw e;
    }
  }
  const link = listOption(args, 'link').map((path) => readInputFile(path));
  const kfuncs = await kfuncFlags(listOption(args, 'kfunc'));
  const btf = stringOption(args, 'btf');
  return {
    ...(btf === undefined ? {} : { targetBtf: readInputFile(btf) }),
    ...(type === undefined ? {} : { programTypes: { '*': type as ProgramType } }),
    ...(verify === undefined ? {} : { verify: verify === 'off' ? false : (verify as 'kernel' | 'warn' | 'shape') }),
    ...(Object.keys(kconfig).length === 0 ? {} : { kconfig }),
    ...(Object.keys(ksyms).length === 0 ? {} : { ksyms }),
    ...(kallsyms === undefined ? {} : { kallsyms }),
    ...(link.length === 0 ? {} : { link }),
    ...(Object.keys(kfuncs).length === 0 ? {} : { kfuncs }),
    ...mapSizeFlags(args),
    ...(fib === undefined ? {} : { fib: jsonFile<FibDescription>('fib', fib, (f) => new Fib(f)) }),
    ...(sockets === undefined ? {} : { sockets: jsonFile<SocketDescription[]>('sockets', sockets, (d) => new SocketTable(d)) }),
    ...(stubs.size === 0 ? {} : { helpers: stubs }),
  };
}
