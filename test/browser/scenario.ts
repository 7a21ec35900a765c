/**
 * What the browser test runs: a few library uses whose results are plain JSON, so that the same code
 * can run in headless Chromium (window and Web Worker) and in Node, and the vitest test can compare
 * them. Only the public library index is used; nothing here may touch Node or the DOM.
 * @module
 */
import { DEFAULT_LIMITS, EbpfError, EbpfVmRaw, XdpAction, assemble, loadObject, readPackets, type BpfMap, type EbpfVmBase } from '../../src/index.js';
import { JitEngine } from '../../src/jit/engine.js';
import { parseConformanceManifest, conformanceVm } from '../../src/vm/conformance.js';

/** The files the scenario works on (embedded in the bundle for the browser, read from disk in Node). */
export interface ScenarioAssets {
  /** test/fixtures/conformance/manifest.jsonl */
  readonly manifest: string;
  /** examples/xdp_firewall.o (clang-built) */
  readonly firewall: Uint8Array;
  /** examples/traffic.pcap */
  readonly capture: Uint8Array;
}

/**
 * How the JIT gets its WebAssembly module. `'sync'`: `new WebAssembly.Module` inside `jitCompile()`
 * (allowed in Node and in Web Workers). `'async'`: `JitEngine.compileAsync` awaited before the run,
 * which is what a browser's main thread needs.
 */
export type CompileMode = 'sync' | 'async';

/** An error as JSON, or the result. */
export type Outcome = { readonly value: string } | { readonly error: ErrorFacts };

/** What an error looked like where it was thrown. */
export interface ErrorFacts {
  /** Class name (`ExecutionError`…); `TypeError` etc. would mean a raw JS error escaped. */
  readonly name: string;
  /** True when it is an {@link EbpfError}. */
  readonly ebpf: boolean;
  readonly code: string | undefined;
  readonly pc: number | undefined;
  readonly message: string;
}

/** Every result of one run of the scenario, JSON-safe (64-bit values as hex strings). */
export interface ScenarioReport {
  /** Where it ran: `window`, `worker` or `node`. */
  readonly where: string;
  /** The user agent (or the Node version), to show in failures. */
  readonly agent: string;
  readonly compileMode: CompileMode;
  /** assemble('ldxb r0, [r1+2]; exit'), the rbpf README program. */
  readonly ldx: {
    readonly bytes: string;
    readonly interpreter: Outcome;
    readonly jit: Outcome;
    /** ldxh at the same place (little-endian 0xcc11). */
    readonly ldxhInterpreter: Outcome;
    readonly ldxhJit: Outcome;
  };
  /** The whole bpf_conformance manifest. */
  readonly conformance: {
    readonly total: number;
    readonly interpreterFailures: readonly string[];
    readonly jitFailures: readonly string[];
  };
  /** examples/xdp_firewall.o over examples/traffic.pcap, with the interpreter and the JIT. */
  readonly firewall: {
    readonly programs: readonly string[];
    readonly packets: number;
    /** Verdict name per packet, interpreter. */
    readonly interpreter: readonly string[];
    /** Verdict name per packet, JIT. */
    readonly jit: readonly string[];
    /** WebAssembly modules the JIT built (1: the run used the module compiled before it). */
    readonly jitModules: number;
    /** `proto_stats` after both passes: protocol -> [packets, bytes]. */
    readonly protoStats: Readonly<Record<string, readonly [string, string]>>;
    /** `drops_by_saddr` after both passes: source address (hex, network order) -> drops. */
    readonly drops: Readonly<Record<string, string>>;
    /** `bpf_printk` lines. */
    readonly trace: readonly string[];
  };
  /** ldxw 100 bytes past a 4-byte input. */
  readonly outOfBounds: { readonly interpreter: Outcome; readonly jit: Outcome };
}

const hex = (x: bigint): string => `0x${x.toString(16)}`;

function errorFacts(e: unknown): ErrorFacts {
  if (e instanceof EbpfError) return { name: e.name, ebpf: true, code: e.code, pc: e.pc, message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, ebpf: false, code: undefined, pc: undefined, message: err.message };
}

async function outcome(run: () => bigint | Promise<bigint>): Promise<Outcome> {
  try {
    return { value: hex(await run()) };
  } catch (e) {
    return { error: errorFacts(e) };
  }
}

/** Compile the VM's program for the JIT: synchronously, or with `jitCompileAsync` (a browser's main thread). */
async function jitCompile(vm: EbpfVmBase, mode: CompileMode): Promise<void> {
  if (mode === 'sync') vm.jitCompile();
  else await vm.jitCompileAsync();
}

function verdictName(action: number): string {
  return Object.keys(XdpAction).find((k) => XdpAction[k as keyof typeof XdpAction] === action) ?? String(action);
}

function u32le(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
}

function u64le(bytes: Uint8Array, at: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at, true);
}

function mapEntries(map: BpfMap): [Uint8Array, Uint8Array][] {
  return [...map.entries()].map(([k, v]) => [k, v]);
}

async function ldxSection(mode: CompileMode): Promise<ScenarioReport['ldx']> {
  const mem = new Uint8Array([0xaa, 0xbb, 0x11, 0xcc, 0xdd]);
  const prog = assemble('ldxb r0, [r1+2]\nexit');
  const vm = new EbpfVmRaw(prog);
  const ldxh = new EbpfVmRaw(assemble('ldxh r0, [r1+2]\nexit'));
  return {
    bytes: [...prog].map((b) => b.toString(16).padStart(2, '0')).join(''),
    interpreter: await outcome(() => vm.executeProgram(mem)),
    jit: await outcome(async () => {
      await jitCompile(vm, mode);
      return vm.executeProgramJit(mem);
    }),
    ldxhInterpreter: await outcome(() => ldxh.executeProgram(mem)),
    ldxhJit: await outcome(async () => {
      await jitCompile(ldxh, mode);
      return ldxh.executeProgramJit(mem);
    }),
  };
}

async function conformanceSection(manifest: string, mode: CompileMode): Promise<ScenarioReport['conformance']> {
  const tests = parseConformanceManifest(manifest);
  const interpreterFailures: string[] = [];
  const jitFailures: string[] = [];
  const describe = (name: string, o: Outcome): string => `${name}: ${'value' in o ? `r0 = ${o.value}` : `${o.error.name} ${o.error.code ?? ''} ${o.error.message}`}`;
  for (const test of tests) {
    const expected = hex(test.result);
    const i = await outcome(() => conformanceVm(test).executeProgram(test.mem.slice()));
    if (!('value' in i) || i.value !== expected) interpreterFailures.push(describe(test.name, i));
    const j = await outcome(async () => {
      const vm = conformanceVm(test);
      await jitCompile(vm, mode);
      return vm.executeProgramJit(test.mem.slice());
    });
    if (!('value' in j) || j.value !== expected) jitFailures.push(describe(test.name, j));
  }
  return { total: tests.length, interpreterFailures, jitFailures };
}

async function firewallSection(assets: ScenarioAssets, mode: CompileMode): Promise<ScenarioReport['firewall']> {
  let modules = 0;
  const engine = new JitEngine({ onModule: () => void modules++ });
  const obj = loadObject(assets.firewall, { jitEngine: engine });
  const runner = obj.program('xdp_firewall');
  if (mode === 'async') await engine.compileAsync(runner.program, DEFAULT_LIMITS);
  else engine.compile(runner.program, DEFAULT_LIMITS);
  const packets = readPackets(assets.capture);
  const interpreter = packets.map(({ data }) => verdictName(runner.runXdp(data).action));
  const jit = packets.map(({ data }) => verdictName(runner.runXdp(data, { jit: true }).action));
  const protoStats: Record<string, [string, string]> = {};
  for (const [k, v] of mapEntries(obj.map('proto_stats'))) protoStats[String(u32le(k))] = [hex(u64le(v, 0)), hex(u64le(v, 8))];
  const drops: Record<string, string> = {};
  for (const [k, v] of mapEntries(obj.map('drops_by_saddr'))) {
    drops[[...k].map((b) => b.toString(16).padStart(2, '0')).join('')] = hex(u64le(v, 0));
  }
  return {
    programs: obj.programs.map((p) => `${p.section}/${p.name}`),
    packets: packets.length,
    interpreter,
    jit,
    jitModules: modules,
    protoStats,
    drops,
    trace: [...obj.traceLog],
  };
}

async function outOfBoundsSection(mode: CompileMode): Promise<ScenarioReport['outOfBounds']> {
  const vm = new EbpfVmRaw(assemble('ldxw r0, [r1+100]\nexit'));
  const mem = new Uint8Array([1, 2, 3, 4]);
  return {
    interpreter: await outcome(() => vm.executeProgram(mem)),
    jit: await outcome(async () => {
      await jitCompile(vm, mode);
      return vm.executeProgramJit(mem);
    }),
  };
}

/** Run every part of the scenario; errors of one part are reported in it, never thrown. */
export async function runScenario(assets: ScenarioAssets, where: string, agent: string, mode: CompileMode): Promise<ScenarioReport> {
  return {
    where,
    agent,
    compileMode: mode,
    ldx: await ldxSection(mode),
    conformance: await conformanceSection(assets.manifest, mode),
    firewall: await firewallSection(assets, mode),
    outOfBounds: await outOfBoundsSection(mode),
  };
}
