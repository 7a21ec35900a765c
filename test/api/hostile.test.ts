/**
 * Hostile arguments at every public entry point (issue 16, item 10). JavaScript callers get no type
 * checking, so every function, constructor and public method the package exposes must answer a wrong
 * argument with an `EbpfError` (an `ArgumentError`), never a `TypeError` / `RangeError` from inside, a
 * crash or a hang.
 *
 * What is public is found, not listed: every export of every entry of package.json `exports` (the root
 * and the subpaths), and every public method of the classes they expose (as values or as types), read
 * with the TypeScript compiler API from the sources; private, protected and `@internal` members are
 * skipped. Each callable is called with valid sample arguments (derived from the parameter types, or
 * given below) in which one argument, or one field of an options argument, is replaced by a hostile
 * value. The only outcomes allowed are success and an `EbpfError` (or the hostile proxy's own error
 * passing through unchanged).
 *
 * `npm test` runs a fixed-seed subset of the hostile values per argument; `TSBPF_HOSTILE=full` runs
 * every value for every argument and field, and `TSBPF_HOSTILE_LOG=FILE` writes each call and its time
 * to FILE (to find a hang or a crash) (docs/testing.md).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { loadObject, type BpfObject } from '../../src/elf/loader.js';
import { EbpfError } from '../../src/errors.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import { MEM_START, VmMemory } from '../../src/vm/memory.js';
import { writePcap } from '../../src/pcap/writer.js';
import { EbpfVmFixedMbuff, EbpfVmMbuff, EbpfVmNoData, EbpfVmRaw } from '../../src/vm/vm.js';
import { TracingVmRaw } from '../../src/vm/trace.js';
import { setTraceSink } from '../../src/helpers/rbpf.js';
import { BpfCode } from '../../src/asm/builder.js';
import { CaptureReader } from '../../src/pcap/stream.js';
import { PcapStreamWriter } from '../../src/pcap/writer.js';
import { SeqOutput } from '../../src/helpers/seq.js';
import { parseBtf } from '../../src/elf/btf.js';
import { parseElf } from '../../src/elf/reader.js';
import { rngUnit } from '../kernel/packets.js';
import { PacketPool } from '../../src/pool/pool.js';
import { inProcessWorker } from '../workers/in-process.js';

const root = join(import.meta.dirname, '../..');
const FULL = process.env.TSBPF_HOSTILE === 'full';
const bytesOf = (p: string): Uint8Array => new Uint8Array(readFileSync(join(root, p)));

// ---------------------------------------------------------------------------------------------------
// The hostile values.

/** The error the hostile proxy throws: it may pass through (it is the caller's own). */
class ProxyTrap extends Error {}
const trap = new ProxyTrap('hostile proxy');
const throwing = (): never => {
  throw trap;
};
const hostileProxy = new Proxy({}, { get: throwing, has: throwing, ownKeys: throwing, getPrototypeOf: throwing, getOwnPropertyDescriptor: throwing, apply: throwing });
const HOSTILE: readonly (readonly [string, unknown])[] = [
  ['undefined', undefined],
  ['null', null],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-1', -1],
  ['-0', -0],
  ['1.5', 1.5],
  ['2**32', 2 ** 32],
  ['2**53', 2 ** 53],
  ['1n', 1n],
  ['-1n', -1n],
  ['2n**64n', 2n ** 64n],
  ["''", ''],
  ["'x'", 'x'],
  ['true', true],
  ['{}', {}],
  ['[]', []],
  ['Symbol', Symbol('hostile')],
  ['function', () => 1],
  ['throwing Proxy', hostileProxy],
  ['huge sparse array', new Array(2 ** 32 - 1)],
  ['frozen object', Object.freeze({ length: 3 })],
  ['empty Uint8Array', new Uint8Array(0)],
  ['Int32Array', new Int32Array(4)],
];

// ---------------------------------------------------------------------------------------------------
// What the package exposes, from the sources.

interface Param {
  readonly name: string;
  readonly optional: boolean;
  readonly sample: () => unknown;
  /** Fields of an options-object parameter. */
  readonly fields: readonly string[];
}
interface Callable {
  /** `name`, `Class.method` or `new Class`. */
  readonly key: string;
  /** The class whose instance a method is called on. */
  readonly owner?: string;
  readonly params: readonly Param[];
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { import?: string } | string> };
const entryFiles = Object.values(pkg.exports)
  .flatMap((e) => (typeof e === 'string' ? [] : [e.import!]))
  .map((dist) => join(root, dist.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')));

const program = ts.createProgram(entryFiles, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, types: [], lib: ['lib.es2022.d.ts'] });
const checker = program.getTypeChecker();

const isOurs = (d: ts.Declaration | undefined): boolean => d !== undefined && d.getSourceFile().fileName.startsWith(join(root, 'src'));
const isInternal = (d: ts.Node): boolean => ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal');

/** A valid value for a parameter of this type. */
function sampleOf(type: ts.Type): () => unknown {
  const t = checker.getNonNullableType(type);
  const members = t.isUnion() ? t.types : [t];
  const text = checker.typeToString(t);
  if (/Uint8Array/.test(text)) return () => new Uint8Array(64);
  for (const m of members) {
    if (m.isNumberLiteral()) return () => m.value;
    if (m.isStringLiteral()) return () => m.value;
  }
  if (members.some((m) => m.flags & ts.TypeFlags.NumberLike)) return () => 0;
  if (members.some((m) => m.flags & ts.TypeFlags.BigIntLike)) return () => 0n;
  if (members.some((m) => m.flags & ts.TypeFlags.StringLike)) return () => 'x';
  if (members.some((m) => m.flags & ts.TypeFlags.BooleanLike)) return () => false;
  if (members.some((m) => m.getCallSignatures().length > 0)) return () => () => 0n;
  if (members.some((m) => checker.isArrayType(m) || checker.isTupleType(m)) || /Iterable/.test(text)) return () => [];
  return () => ({});
}

/** The fields of an options-object parameter (data fields and callbacks; not methods of a class instance). */
function fieldsOf(type: ts.Type): string[] {
  const t = checker.getNonNullableType(type);
  const text = checker.typeToString(t);
  if (t.flags & (ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.StringLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.Any | ts.TypeFlags.Unknown) || /Uint8Array|Map<|\[\]|Iterable/.test(text)) return [];
  if (t.getCallSignatures().length > 0) return [];
  const props = checker.getPropertiesOfType(t);
  if (props.some((p) => p.declarations?.some((d) => ts.isMethodDeclaration(d) || ts.isMethodSignature(d)))) return [];
  return props.filter((p) => p.declarations?.some((d) => isOurs(d))).map((p) => p.name);
}

function paramsOf(sig: ts.Signature, at: ts.Node): Param[] {
  return sig.parameters.map((p) => {
    const decl = p.valueDeclaration as ts.ParameterDeclaration | undefined;
    const type = checker.getTypeOfSymbolAtLocation(p, decl ?? at);
    return {
      name: p.name,
      optional: decl !== undefined && (decl.questionToken !== undefined || decl.initializer !== undefined || decl.dotDotDotToken !== undefined),
      sample: sampleOf(type),
      fields: fieldsOf(type),
    };
  });
}

/** Every value export (functions, classes, namespaces) and every class exposed as a value or a type. */
function exposed(): { callables: Callable[]; classes: Map<string, ts.ClassDeclaration> } {
  const callables = new Map<string, Callable>();
  const classes = new Map<string, ts.ClassDeclaration>();
  const visit = (moduleSymbol: ts.Symbol, prefix: string): void => {
    for (const exp of checker.getExportsOfModule(moduleSymbol)) {
      const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
      const decl = sym.declarations?.[0];
      if (decl === undefined) continue;
      if (sym.flags & ts.SymbolFlags.ValueModule && ts.isSourceFile(decl)) {
        visit(sym, `${prefix}${exp.name}.`);
      } else if (sym.flags & ts.SymbolFlags.Class && ts.isClassDeclaration(decl)) {
        classes.set(sym.name, decl);
      } else if (sym.flags & ts.SymbolFlags.Function) {
        const sig = checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(sym, decl), ts.SignatureKind.Call)[0]!;
        callables.set(`${prefix}${exp.name}`, { key: `${prefix}${exp.name}`, params: paramsOf(sig, decl) });
      }
    }
  };
  for (const f of entryFiles) visit(checker.getSymbolAtLocation(program.getSourceFile(f)!)!, '');
  // Classes reached through exposed classes' bases (EbpfVmRaw → EbpfVmBase) need no entry of their own:
  // their methods are listed on each subclass.
  for (const [name, decl] of classes) {
    const classSym = checker.getSymbolAtLocation(decl.name!)!;
    const abstract = ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Abstract;
    const ctor = checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(classSym, decl), ts.SignatureKind.Construct)[0];
    const ctorDecl = decl.members.find((m) => ts.isConstructorDeclaration(m));
    if (!abstract && ctor !== undefined && !(ctorDecl !== undefined && isInternal(ctorDecl))) callables.set(`new ${name}`, { key: `new ${name}`, params: paramsOf(ctor, decl) });
    const instance = checker.getDeclaredTypeOfSymbol(classSym);
    const internalInBase = (member: string, t: ts.Type): boolean =>
      (t.isClassOrInterface() ? checker.getBaseTypes(t) : []).some((b) => {
        const d = b.getProperty(member)?.declarations?.[0];
        return (d !== undefined && isInternal(d)) || internalInBase(member, b);
      });
    for (const prop of checker.getPropertiesOfType(instance)) {
      const d = prop.declarations?.[0];
      if (d === undefined || !ts.isMethodDeclaration(d) || !isOurs(d) || abstract) continue;
      if (ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || prop.name.startsWith('#')) continue;
      if (isInternal(d) || internalInBase(prop.name, instance)) continue;
      const sig = checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(prop, d), ts.SignatureKind.Call)[0]!;
      callables.set(`${name}.${prop.name}`, { key: `${name}.${prop.name}`, owner: name, params: paramsOf(sig, d) });
    }
  }
  return { callables: [...callables.values()], classes };
}

// ---------------------------------------------------------------------------------------------------
// Valid samples where the type says too little, and instances of the exposed classes.

const prog = assemble('mov r0, 0\nexit');
const firewallBytes = bytesOf('examples/xdp_firewall.o');
const globalsBytes = bytesOf('test/fixtures/elf/globals.o');
const pcapBytes = bytesOf('examples/traffic.pcap');
const btfBytes = parseElf(firewallBytes).section('.BTF')!.data;
const manifestLine = readFileSync(join(root, 'test/fixtures/conformance/manifest.jsonl'), 'utf8').split('\n')[0]!;
const firewall = (): BpfObject => loadObject(firewallBytes);
const globals = (): BpfObject => loadObject(globalsBytes);

/** Sample arguments by callable key (the rest come from the parameter types). */
const SAMPLES: Record<string, () => unknown[]> = {
  assemble: () => ['mov r0, 1\nexit'],
  decodeProgram: () => [prog],
  insn: () => [0x95, 0, 0, 0, 0],
  encodeProgram: () => [[{ opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 }]],
  decodeOperation: () => [{ opcode: 0x07, dst: 1, src: 0, offset: 0, imm: 5 }],
  loadObject: () => [firewallBytes, {}],
  'new BpfObject': () => [firewallBytes, {}],
  parseElf: () => [firewallBytes],
  parseBtf: () => [btfBytes],
  readPackets: () => [pcapBytes],
  iteratePackets: () => [pcapBytes],
  readClassicPcap: () => [pcapBytes],
  readPcapng: () => [bytesOf('examples/traffic.pcapng')],
  captureFormat: () => [pcapBytes],
  isPcapng: () => [pcapBytes],
  writePcap: () => [[{ data: new Uint8Array(60) }], {}],
  wasmToWat: () => [new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), {}],
  parseConformanceManifest: () => [manifestLine],
  conformanceVm: () => [{ name: 't', program: prog, mem: new Uint8Array(0), result: 0n, cpuVersion: 1, groups: [] }, {}],
  runConformanceCase: () => [{ name: 't', program: prog, mem: new Uint8Array(0), result: 0n, cpuVersion: 1, groups: [] }],
  checkProgram: () => [prog, {}],
  verifyProgram: () => [prog, {}],
  analyzeFacts: () => [prog, {}],
  createVerifier: () => [{}],
  programTypeOf: () => ['xdp'],
  programTypeOfSection: () => ['xdp'],
  'new EbpfVmNoData': () => [prog, {}],
  'new EbpfVmRaw': () => [prog, {}],
  'new EbpfVmMbuff': () => [prog, {}],
  'new EbpfVmFixedMbuff': () => [prog, 0, 8, {}],
  'new TracingVmRaw': () => [prog, {}],
  setTraceSink: () => [() => undefined],
  'BpfObject.map': () => ['proto_stats'],
  'BpfObject.program': () => ['xdp_firewall'],
  'BpfObject.readVariable': () => ['counter'],
  'BpfObject.writeVariable': () => ['counter', new Uint8Array(4)],
  'BpfObject.section': () => ['xdp'],
  'ProgramRunner.runXdp': () => [new Uint8Array(60), {}],
  'ProgramRunner.runTc': () => [new Uint8Array(60), {}],
  'ProgramRunner.runSocketFilter': () => [new Uint8Array(60), {}],
  'ProgramRunner.run': () => [new Uint8Array(24), {}],
  'ProgramRunner.session': () => ['xdp', {}],
  'PacketSession.run': () => [new Uint8Array(60), 0, 60],
  'PacketSession.runBatch': () => [new Int32Array([0, 64]), new Int32Array([60, 60]), 0, 2, { r0Low: new Int32Array(2), r0High: new Int32Array(2), instructions: new Float64Array(2) }],
  'VmMemory.read': () => [BigInt(MEM_START), 4],
  'VmMemory.write': () => [BigInt(MEM_START), new Uint8Array(4)],
  'VmMemory.readCString': () => [BigInt(MEM_START), 8],
  'VmMemory.load': () => [BigInt(MEM_START), 4],
  'VmMemory.store': () => [BigInt(MEM_START), 4, 1n],
  'new CaptureReader': () => [{}],
  'CaptureReader.push': () => [pcapBytes.subarray(0, 100)],
  'CaptureReader.whole': () => [pcapBytes],
  'CaptureReader.writable': () => [64],
  'CaptureReader.wrote': () => [0],
  'new PcapStreamWriter': () => [() => undefined, {}],
  'new SeqOutput': () => [64],
  'SeqOutput.append': () => [new Uint8Array(4)],
  'SeqOutput.bytes': () => [0],
  'SeqOutput.truncate': () => [2],
  'PcapStreamWriter.write': () => [new Uint8Array(60), 0, 60, 60, 0, 0],
  'Btf.type': () => [1],
  'Btf.resolve': () => [1],
  'Btf.sizeOf': () => [1],
  'Btf.string': () => [1],
  'Btf.find': () => [4, 'xdp_md'],
  'EbpfVmBase.registerHelper': () => [1, () => 0n, {}],
  'EbpfVmFixedMbuff.setProgram': () => [prog, 0, 8],
  'EbpfVmMbuff.executeProgram': () => [new Uint8Array(8), new Uint8Array(8)],
  'EbpfVmMbuff.executeProgramJit': () => [new Uint8Array(8), new Uint8Array(8)],
  'TracingVmRaw.executeProgramTraced': () => [new Uint8Array(8), () => undefined],
};
/** Keys for methods of subclasses that take their samples from the base class's entry. */
function samplesFor(c: Callable): unknown[] {
  const given = SAMPLES[c.key] ?? (c.owner !== undefined && /^EbpfVm|^TracingVmRaw/.test(c.owner) ? SAMPLES[`EbpfVmBase.${c.key.split('.')[1]}`] : undefined);
  if (given !== undefined) return given();
  return c.params.map((p) => p.sample());
}

function mapOf(type: number, keySize: number, valueSize: number, maxEntries: number, flags = 0): unknown {
  const memory = new VmMemory();
  return createMap(memory, { name: 'm', type, keySize, valueSize, maxEntries, flags, ...(type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS ? { inner: { name: 'i', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 } } : {}) });
}

/** A fresh instance of each exposed class. */
// A pool of one in-process worker (a thread would cost seconds from the sources).
const pool = await PacketPool.start({ object: bytesOf('examples/tc_mark.o'), program: 'tc_mark', workers: 1, createWorker: inProcessWorker });

const INSTANCES: Record<string, () => unknown> = {
  PacketPool: () => pool,
  EbpfVmNoData: () => new EbpfVmNoData(prog),
  EbpfVmRaw: () => new EbpfVmRaw(prog),
  EbpfVmMbuff: () => new EbpfVmMbuff(prog),
  EbpfVmFixedMbuff: () => new EbpfVmFixedMbuff(prog, 0, 8),
  TracingVmRaw: () => new TracingVmRaw(prog),
  BpfObject: globals,
  ProgramRunner: () => firewall().program('xdp_firewall'),
  PacketSession: () => firewall().program('xdp_firewall').session('xdp'),
  VmMemory: () => {
    const vm = new EbpfVmRaw(prog);
    vm.memBuffer(64);
    return vm.memory;
  },
  Btf: () => parseBtf(btfBytes),
  CaptureReader: () => new CaptureReader(),
  PcapStreamWriter: () => new PcapStreamWriter(() => undefined),
  SeqOutput: () => new SeqOutput(64),
  BpfCode: () => new BpfCode(),
  InsnBuilder: () => new BpfCode().add(0, 7),
  ArrayMap: () => mapOf(MapType.ARRAY, 4, 8, 4),
  HashMap: () => mapOf(MapType.HASH, 4, 8, 4),
  LpmTrieMap: () => mapOf(MapType.LPM_TRIE, 8, 8, 4, 1),
  QueueMap: () => mapOf(MapType.QUEUE, 0, 8, 4),
  RingBufMap: () => mapOf(MapType.RINGBUF, 0, 0, 4096),
  PerfEventArrayMap: () => mapOf(MapType.PERF_EVENT_ARRAY, 4, 4, 2),
  ProgramArrayMap: () => mapOf(MapType.PROG_ARRAY, 4, 4, 4),
  MapOfMaps: () => mapOf(MapType.ARRAY_OF_MAPS, 4, 4, 4),
  RedirectMap: () => mapOf(MapType.DEVMAP, 4, 4, 4),
  StackTraceMap: () => mapOf(MapType.STACK_TRACE, 4, 8 * 4, 4),
  SockMap: () => createMap(new VmMemory(), { name: 'h', type: MapType.SOCKHASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }, { socketCount: 2 }),
  SkStorageMap: () => createMap(new VmMemory(), { name: 's', type: MapType.SK_STORAGE, keySize: 4, valueSize: 8, maxEntries: 0, flags: 1 }, { socketCount: 2 }),
  BloomFilterMap: () => mapOf(MapType.BLOOM_FILTER, 0, 8, 16),
  CgroupArrayMap: () => mapOf(MapType.CGROUP_ARRAY, 4, 4, 4),
  TaskStorageMap: () => mapOf(MapType.TASK_STORAGE, 4, 8, 0, 1),
  CgroupStorageMap: () => mapOf(MapType.CGROUP_STORAGE, 16, 8, 0),
  CgrpStorageMap: () => mapOf(MapType.CGRP_STORAGE, 4, 8, 0, 1),
  UserRingBufMap: () => mapOf(MapType.USER_RINGBUF, 0, 0, 4096),
};

// ---------------------------------------------------------------------------------------------------
// The sweep.

const rng = rngUnit;
const random = rng(0x5eed);
/** Hostile values for one argument or field: all of them, or (the default) 6 picked with the fixed seed. */
function pick(): (readonly [string, unknown])[] {
  if (FULL) return [...HOSTILE];
  const out = new Set<number>();
  while (out.size < 6) out.add(Math.floor(random() * HOSTILE.length));
  return [...out].map((i) => HOSTILE[i]!);
}

async function settle(result: unknown): Promise<void> {
  if (result instanceof Promise) {
    await result;
    return;
  }
  if (result !== null && typeof result === 'object' && typeof (result as Iterator<unknown>).next === 'function' && Symbol.iterator in result) {
    let n = 0;
    for (const _ of result as Iterable<unknown>) if (++n > 10_000) break;
  }
}

/** '' when the outcome is allowed, else what went wrong. */
const LOG = process.env.TSBPF_HOSTILE_LOG;
async function outcome(call: () => unknown, what = ''): Promise<string> {
  if (LOG !== undefined) appendFileSync(LOG, `${what}`);
  const t0 = performance.now();
  try {
    await settle(call());
    if (LOG !== undefined) appendFileSync(LOG, ` ${(performance.now() - t0).toFixed(1)}\n`);
    return '';
  } catch (e) {
    if (LOG !== undefined) appendFileSync(LOG, ` ${(performance.now() - t0).toFixed(1)} !\n`);
    if (e instanceof EbpfError || e === trap) return '';
    return e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]!.slice(0, 120)}` : `threw ${String(e)}`;
  }
}

const modules = await Promise.all(entryFiles.map((f) => import(f) as Promise<Record<string, unknown>>));
const found = exposed();
const classes = found.classes;
// Constructors only of the classes exported as values (the others' instances come from tsbpf itself).
const callables = found.callables.filter((c) => !c.key.startsWith('new ') || typeof runtime(c.key.slice(4)) === 'function');
/** A runtime value by dotted export name, from whichever entry exports it. */
function runtime(name: string): unknown {
  for (const m of modules) {
    let v: unknown = m;
    for (const part of name.split('.')) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[part];
    if (v !== undefined) return v;
  }
  return undefined;
}

function invoker(c: Callable): (args: unknown[]) => unknown {
  if (c.owner !== undefined) {
    const method = c.key.split('.')[1]!;
    // One instance per method (made at its first call): a fresh one per call would cost more than the calls.
    let self: Record<string, (...a: unknown[]) => unknown> | undefined;
    return (args) => {
      self ??= INSTANCES[c.owner!]!() as Record<string, (...a: unknown[]) => unknown>;
      return self[method]!(...args);
    };
  }
  if (c.key.startsWith('new ')) {
    const name = c.key.slice(4);
    const ctor = runtime(name) as (new (...a: unknown[]) => unknown) | undefined;
    return (args) => new ctor!(...args);
  }
  const fn = runtime(c.key) as (...a: unknown[]) => unknown;
  return (args) => fn(...args);
}

describe('hostile arguments at every public entry point', () => {
  it('finds the entries, their callables and the exposed classes', () => {
    expect(entryFiles.length).toBe(12);
    expect(callables.length).toBeGreaterThan(120);
    for (const key of ['assemble', 'loadObject', 'new EbpfVmRaw', 'EbpfVmRaw.executeProgram', 'BpfObject.program', 'ProgramRunner.runXdp', 'VmMemory.read', 'wasmToWat', 'new BpfCode']) {
      expect(callables.map((c) => c.key), key).toContain(key);
    }
    // Internal members are not public entry points.
    for (const key of ['VmMemory.translate', 'RingBufMap.reserve', 'ArrayMap.programLookup', 'BpfObject.createMap']) {
      expect(callables.map((c) => c.key), key).not.toContain(key);
    }
  });

  it('every exposed class has an instance to call its methods on', () => {
    const missing = [...classes.keys()].filter((name) => callables.some((c) => c.owner === name) && INSTANCES[name] === undefined);
    expect(missing).toEqual([]);
  });

  it('only EbpfErrors are thrown, whatever the arguments', async () => {
    const sink = setTraceSink(() => undefined);
    const failures: string[] = [];
    try {
      for (const c of callables) {
        const call = invoker(c);
        const sample = samplesFor(c);
        // The valid call itself must not fail with a non-EbpfError either.
        const base = await outcome(() => call([...sample]), `${c.key}(samples)`);
        if (base !== '') failures.push(`${c.key}(samples): ${base}`);
        for (let i = 0; i < c.params.length; i++) {
          for (const [label, value] of pick()) {
            const args = [...sample];
            args[i] = value;
            const o = await outcome(() => call(args), `${c.key} ${c.params[i]!.name}=${label}`);
            if (o !== '') failures.push(`${c.key} ${c.params[i]!.name}=${label}: ${o}`);
          }
          for (const field of c.params[i]!.fields) {
            for (const [label, value] of pick()) {
              const args = [...sample];
              const given = args[i];
              args[i] = { ...(given !== null && typeof given === 'object' ? given : {}), [field]: value };
              const o = await outcome(() => call(args), `${c.key} ${c.params[i]!.name}.${field}=${label}`);
              if (o !== '') failures.push(`${c.key} ${c.params[i]!.name}.${field}=${label}: ${o}`);
            }
          }
        }
      }
    } finally {
      setTraceSink(sink);
    }
    const failing = new Set(failures.map((f) => f.split(' ')[0]!));
    expect({ failing: failing.size, failures }).toEqual({ failing: 0, failures: [] });
  }, FULL ? 1_800_000 : 120_000);
});
