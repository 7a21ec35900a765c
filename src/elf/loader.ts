/**
 * `loadObject`: turn a clang-compiled BPF ELF object into a {@link BpfObject} — its programs (linked,
 * relocated, verified on first use), its maps (BTF `.maps`, legacy `maps`, and global-data sections as
 * internal array maps), all living in one VM memory.
 * @module
 */
import { ArgumentError, EbpfError, ErrorCode, ObjectFileError, MapError, VerifierError } from '../errors.js';
import { VmMemory } from '../vm/memory.js';
import { Program } from '../vm/program.js';
import { decodeProgram } from '../isa/instruction.js';
import type { HelperEntry } from '../vm/environment.js';
import { checkProgramFacts, verifyProgram } from '../verifier/verifier.js';
import { stackReadsWritten } from '../verifier/stack-seal.js';
import { contextExtent } from '../verifier/ctx-extent.js';
import type { VerifierIssue } from '../verifier/issues.js';
import { tracingSection, tracingTarget, type KfuncTable, type ProgramType as KernelProgramType, type ProgramFacts } from '../verifier/analysis/index.js';
import { isFrozenData, kernelAttachType, kernelProgramType, objectMapTable, type MapValueFields, type ObjectMapTable } from './kernel-check.js';
import { ArrayMap } from '../maps/array.js';
import { createMap } from '../maps/create.js';
import { BpfMap } from '../maps/map.js';
import { MapOfMaps, ProgramArrayMap, type MapRef, type ProgramRef } from '../maps/special.js';
import { MapType, type MapOptions, type MapSpec } from '../maps/types.js';
import { kernelHelperName } from '../helpers/kernel.js';
import { UNMODELLED_HELPERS } from '../helpers/kernel-names.js';
import { netfilterKfuncs } from '../helpers/netfilter.js';
import type { IterMetaLayout } from '../context/iter.js';
import { DEFAULT_MAX_TIMER_CALLBACKS, TRAMPOLINE_SLOTS, TimerTable, timerCallbackProgram, type TimerCallback } from '../helpers/timers.js';
import { Fib } from '../helpers/fib-table.js';
import { SocketTable } from '../helpers/socket-table.js';
import type { SocketMemory } from '../helpers/sockets.js';
import { cgroupAttachTypeOf, ROOT_CGROUP_ID, type CgroupAttachment } from '../helpers/cgroup-storage.js';
import type { SockOpsSockets } from '../helpers/sockopt.js';
import { TraceLog } from '../helpers/trace-log.js';
import { ProgramRunner, type RunOptions } from '../context/runner.js';
import { TRACING_TYPES, type TracingType } from '../context/tracing.js';
import { RunSpace } from '../context/space.js';
import { type Btf } from './btf.js';
import type { LineInfo, SourceLine } from './btf-ext.js';
import { linkObjectFiles, prepareObject } from './static-link.js';
import { functionsOf, linkProgram, type ElfFunction } from './link.js';
import { checkKconfig, layoutKconfig, type KconfigLayout } from './kconfig.js';
import { checkKallsyms, checkKfuncs, checkKsyms, ExternTable, symbolText, type KfuncEntry, type MissingExtern } from './externs.js';
import { describeValue } from '../validate.js';
import { checkBytes, checkOptionalBoolean, checkOptionalFunction, checkOptionalInteger, checkOptions, checkString } from '../validate.js';
import { SymbolType, type ElfFile, type ElfSection, type ElfSymbol } from './reader.js';
import { checkLink, checkLoadOptions, checkVerifyMode, targetBtfOf, type LoadOptions } from './load-options.js';
import { btfMaps, GLOBAL_DATA, globalVariables, isMapSection, mapValueFields, type GlobalVariable } from './map-defs.js';
import { objectHelpers } from './object-helpers.js';
import { createObjectMaps, registerMap } from './object-maps.js';
import { listPrograms, programTypeOf, type ProgramInfo, type ProgramType } from './program-type.js';

export { PROGRAM_TYPES, programTypeOf, type ProgramInfo, type ProgramType } from './program-type.js';
export type { LoadOptions, VerifyMode } from './load-options.js';
export type { GlobalVariable } from './map-defs.js';

/** What the kernel-level analysis found in one program (see {@link BpfObject.verification}). */
export interface ProgramVerification {
  /** The kernel program type it was checked as, or undefined when none could be chosen (shape checks only). */
  readonly programType: KernelProgramType | undefined;
  /** Every problem found; empty when the program is accepted. */
  readonly issues: readonly VerifierIssue[];
}

/** The internal map holding the Kconfig externs' values (libbpf's name). */
const KCONFIG_MAP = '.kconfig';
/** The internal map holding the contents the host gave for kernel symbols (read-only). */
const KSYMS_MAP = '.ksyms';

/** The source line of the nearest slot at or before `pc` that starts one (clang's line 0 says none). */
function nearestLine(lines: ReadonlyMap<number, SourceLine>, pc: number): SourceLine | undefined {
  let best: number | undefined;
  for (const [slot, l] of lines) if (slot <= pc && l.line > 0 && (best === undefined || slot > best)) best = slot;
  return best === undefined ? undefined : lines.get(best);
}

/** Options of {@link BpfObject.runTimers} (and the runs of its callbacks: `jit`, `limits`). */
export interface RunTimersOptions extends RunOptions {
  /** Run the timers expired at this time (ns on the object's clock); default: the clock's time now. */
  readonly now?: bigint;
  /**
   * Most callbacks this call runs (default 10,000, at most 10^7): a callback that re-arms its own timer
   * to expire by `now` runs again, until this bound.
   */
  readonly maxCallbacks?: number;
}

/**
 * Sections of kernel program types tsbpf does not run, and why: their context is made of kernel objects
 * no host could describe. Without a type the host gives, loading one is refused rather than run on
 * whatever memory a raw run is given.
 */
const KERNEL_ONLY: readonly (readonly [RegExp, string])[] = [
  [/^netfilter$/, 'netfilter program, whose context points to the kernel\'s hook state and sk_buff, which tsbpf does not model'],
  [/^struct_ops(\.s)?(\/|$)/, 'struct_ops program, called by a kernel subsystem (TCP congestion control, sched_ext...) that tsbpf does not have'],
];

function fail(message: string): never {
  throw new ObjectFileError(ErrorCode.ELF, message);
}

/** A loaded BPF object. */
export class BpfObject {
  /** The VM memory all of this object's maps and runs share. */
  readonly memory: VmMemory;
  /** The programs, in section and symbol order. */
  readonly programs: readonly ProgramInfo[];
  /** Contents of the `license` section ('' when absent). */
  readonly license: string;
  /** Parsed `.BTF`, when present and well-formed. */
  readonly btf: Btf | undefined;
  /** Where iterator programs find the fields of `struct bpf_iter_meta` (see context/iter.ts). */
  private readonly iterMeta: IterMetaLayout;
  /** Every map by name (BTF, legacy and internal global-data maps). */
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** `.BTF.ext` line info by section name (empty without `-g`). */
  readonly lineInfo: ReadonlyMap<string, readonly LineInfo[]>;
  /**
   * Maps the object declares but tsbpf could not create (an unsupported type, a bad definition), with
   * the reason. The object still loads: only the programs that use one of them are refused.
   */
  readonly unavailableMaps: ReadonlyMap<string, EbpfError>;
  /** Problems that did not stop the load, e.g. a program array slot whose program cannot be loaded. */
  readonly warnings: string[] = [];
  /**
   * The kernel-level verifier's findings for each program loaded so far, by function name (filled when
   * {@link LoadOptions.verify} is `'kernel'`, the default, or `'warn'`).
   */
  readonly verification = new Map<string, ProgramVerification>();
  /**
   * Lines `bpf_trace_printk` wrote that are still kept, oldest first: at most `traceBufferBytes` of
   * them; take them with {@link drainTrace}, which frees the space.
   */
  get traceLog(): string[] {
    return this.traceBuffer.lines;
  }

  /** Trace lines dropped so far because the trace buffer was full. */
  get traceDropped(): number {
    return this.traceBuffer.dropped;
  }

  /** Take the trace lines kept so far, oldest first, freeing the trace buffer. */
  drainTrace(): string[] {
    return this.traceBuffer.drain();
  }

  private readonly traceBuffer: TraceLog;

  private readonly elf: ElfFile;
  private readonly functions: Map<number, ElfFunction[]>;
  private readonly handles = new Map<number, BpfMap>();
  private readonly mapsBySymbol = new Map<string, BpfMap | string>();
  private readonly unavailable = new Map<string, EbpfError>();
  private readonly loaded = new Map<string, ProgramRunner>();
  private readonly options: LoadOptions;
  private readonly space: RunSpace;
  /** The cgroup and attach type of the program running (bpf_get_local_storage); each run sets it. */
  private readonly cgroupAttachment: CgroupAttachment = { cgroupId: ROOT_CGROUP_ID, attachType: 0 };
  private readonly helperTable: Map<number, HelperEntry>;
  private readonly timers: TimerTable;
  /** How many sockets the host described (socket-local storage maps hold a value for each). */
  private readonly socketCount: number;
  /** The host's sockets as mapped, and what sock_ops programs set on them. */
  private readonly sockOps: { readonly sockets: SocketMemory; readonly states: SockOpsSockets };
  /** The programs that run timer callbacks, by program and callback slot, and the options of the current runTimers. */
  private readonly timerRunners = new Map<Program, Map<number, ProgramRunner>>();
  private timerRunOptions: RunOptions = {};

  /** @internal Use {@link loadObject}. */
  constructor(bytes: Uint8Array, options: LoadOptions = {}) {
    checkBytes(bytes, 'bytes');
    this.traceBuffer = new TraceLog(checkLoadOptions(options));
    this.options = options;
    const fib = new Fib(options.fib);
    const sockets = new SocketTable(options.sockets);
    this.socketCount = sockets.sockets.length;
    const link = checkLink(options.link);
    const parts = link.length === 0 ? prepareObject(bytes, options.targetBtf, targetBtfOf) : linkObjectFiles([bytes, ...link], options.targetBtf, targetBtfOf);
    this.elf = parts.elf;
    this.memory = options.memory ?? new VmMemory();
    this.space = RunSpace.of(this.memory);
    this.functions = functionsOf(this.elf);
    const lic = this.elf.section('license');
    this.license = lic === undefined ? '' : new TextDecoder().decode(lic.data).replace(/\0.*$/s, '');
    this.btf = parts.btf;
    this.iterMeta = parts.iterMeta;
    this.lineInfo = parts.lineInfo;
    for (const message of parts.warnings) this.warnings.push(message);
    this.programs = listPrograms(this.elf, this.functions, options.programTypes);
    const maps = new Map<string, BpfMap>();
    this.maps = maps;
    this.unavailableMaps = this.unavailable;
    createObjectMaps({ maps, handles: this.handles, bySymbol: this.mapsBySymbol, unavailable: this.unavailable }, this.elf, this.btf, this.memory, options, this.mapOptions());
    this.kconfig = layoutKconfig(this.elf, this.btf, checkKconfig(options.kconfig));
    if (this.kconfig !== undefined) {
      // Read-only to programs, like libbpf's frozen .kconfig map.
      const map = new ArrayMap(this.memory, { name: KCONFIG_MAP, type: MapType.ARRAY, keySize: 4, valueSize: this.kconfig.bytes.length, maxEntries: 1, flags: 0 }, 1, false);
      if (!this.memory.attached) map.view().set(this.kconfig.bytes);
      this.register(map, maps);
    }
    // Built-in kfuncs bound to this object's memory; the host's own of the same name win.
    const kfuncs = new Map<string, KfuncEntry>(netfilterKfuncs(this.memory));
    for (const [name, entry] of checkKfuncs(options.kfuncs) ?? []) kfuncs.set(name, entry);
    this.externs = new ExternTable(this.elf, this.btf, checkKsyms(options.ksyms), kfuncs, checkKallsyms(options.kallsyms));
    if (this.externs.bytes !== undefined) {
      const map = new ArrayMap(this.memory, { name: KSYMS_MAP, type: MapType.ARRAY, keySize: 4, valueSize: this.externs.bytes.length, maxEntries: 1, flags: 0 }, 1, false);
      if (!this.memory.attached) map.view().set(this.externs.bytes);
      this.register(map, maps);
    }
    const helpers = objectHelpers({
      memory: this.memory,
      options,
      maps,
      mapByHandle: (h) => this.handles.get(h),
      record: (line) => this.traceBuffer.push(line),
      fib,
      sockets,
      cgroupAttachment: this.cgroupAttachment,
      runTimerCallback: (cb, map, key, value) => this.runTimerCallback(cb, map, key, value),
      printBtf: () => {
        // bpf_snprintf_btf's type ids are the target BTF's (a kernel's, parsed on first use), else the object's.
        if (options.targetBtf !== undefined) this.kernelBtf ??= targetBtfOf(options.targetBtf);
        return options.targetBtf === undefined ? this.btf : (this.kernelBtf ?? undefined);
      },
      coreHelpers: parts.coreHelpers,
      externHelpers: this.externs.helpers,
    });
    this.helperTable = helpers.table;
    this.timers = helpers.timers;
    this.sockOps = helpers.sockOps;
    this.initProgramArrays();
  }

  private register(map: BpfMap, maps: Map<string, BpfMap>): void {
    registerMap({ maps, handles: this.handles, bySymbol: this.mapsBySymbol, unavailable: this.unavailable }, map);
  }

  private mapOptions(): MapOptions {
    const { cpus, onPerfEvent, perfBufferBytes, maxMapBytes } = this.options;
    return { cpus, onPerfEvent, perfBufferBytes, maxMapBytes, socketCount: this.socketCount };
  }

  /** Program arrays initialised with `.values = { [i] = &prog }`: relocations in `.maps` name the programs. */
  private initProgramArrays(): void {
    const dotMaps = this.elf.section('.maps');
    for (const map of this.maps.values()) {
      if (map instanceof ProgramArrayMap) map.resolver = (ref: ProgramRef) => this.resolveProgram(ref);
      if (map instanceof MapOfMaps) map.resolver = (ref: MapRef) => this.resolveMap(ref);
    }
    if (dotMaps === undefined || this.btf === undefined) return;
    const defs = btfMaps(this.elf, this.btf, dotMaps);
    for (const r of this.elf.relocations.get(dotMaps.index) ?? []) {
      const def = defs.find((d) => r.offset >= d.offset && r.offset < d.offset + d.size);
      const map = def === undefined ? undefined : this.maps.get(def.name);
      if (def === undefined || map === undefined || def.valuesOffset === undefined) continue;
      const rel = r.offset - def.offset - def.valuesOffset;
      if (rel < 0 || rel % 8 !== 0) fail(`map ${def.name}: relocation at offset ${r.offset} is not a values[] slot`);
      const sym = this.elf.symbols[r.symbol];
      if (sym === undefined) fail(`map ${def.name}: relocation names symbol ${r.symbol}, which does not exist`);
      if (!(map instanceof ProgramArrayMap) && !(map instanceof MapOfMaps)) {
        fail(`map ${def.name}: initial values are only supported for program arrays and maps of maps`);
      }
      try {
        if (map instanceof ProgramArrayMap) map.set(rel / 8, sym.name);
        else map.update(rel / 8, sym.name);
      } catch (e) {
        // One program that cannot be loaded leaves its slot empty rather than refusing the object.
        if (!(e instanceof EbpfError)) throw e;
        this.warnings.push(`map ${def.name}: slot ${rel / 8} left empty: ${e.message}`);
      }
    }
  }

  private resolveMap(ref: MapRef): BpfMap | undefined {
    if (typeof ref === 'string') return this.maps.get(ref);
    if (typeof ref === 'number') return this.handles.get(ref);
    if (ref instanceof Uint8Array) {
      return ref.length === 4 ? this.handles.get(new DataView(ref.buffer, ref.byteOffset, 4).getUint32(0, true)) : undefined;
    }
    return ref instanceof BpfMap ? ref : undefined;
  }

  /**
   * Run the callbacks of the `bpf_timer`s the programs started that have expired (by `options.now`,
   * default the object's clock: the `now` load option), earliest first; returns how many ran. A VM has
   * no timer interrupt: the host decides when timers fire (the CLI fires none: `tsbpf run` never calls this). A callback that
   * re-arms its timer to expire at once runs again in the same call, at most `maxCallbacks` callbacks in
   * all; one that fails stops the call with its error (later timers stay pending). Not from a helper.
   */
  runTimers(options: RunTimersOptions = {}): number {
    checkOptions(options, 'options');
    if (options.now !== undefined && (typeof options.now !== 'bigint' || options.now < 0n)) throw new ArgumentError(`options.now must be a bigint of nanoseconds (>= 0), not ${describeValue(options.now)}`);
    checkOptionalInteger(options.maxCallbacks, 'options.maxCallbacks', 0, 10_000_000);
    checkOptionalBoolean(options.jit, 'options.jit');
    this.timerRunOptions = { jit: options.jit, limits: options.limits };
    return this.timers.run(options.now === undefined ? undefined : BigInt.asUintN(64, options.now), options.maxCallbacks ?? DEFAULT_MAX_TIMER_CALLBACKS);
  }

  /** Run a timer's callback: the program's function called from a trampoline (one program per callback, kept). */
  private runTimerCallback(cb: TimerCallback, map: bigint, key: bigint, value: bigint): void {
    let bySlot = this.timerRunners.get(cb.program);
    if (bySlot === undefined) this.timerRunners.set(cb.program, (bySlot = new Map()));
    let runner = bySlot.get(cb.slot);
    if (runner === undefined) {
      const program = timerCallbackProgram(cb.program, cb.slot);
      this.timers.callbackProgram(program, cb.program, TRAMPOLINE_SLOTS);
      runner = new ProgramRunner(program, { space: this.space, helpers: this.helperTable, jitEngine: this.options.jitEngine, sockOps: this.sockOps });
      bySlot.set(cb.slot, runner);
    }
    const ctx = new Uint8Array(24);
    const view = new DataView(ctx.buffer);
    view.setBigUint64(0, map, true);
    view.setBigUint64(8, key, true);
    view.setBigUint64(16, value, true);
    runner.run(ctx, this.timerRunOptions);
  }

  /**
   * Create a map in this object's memory (e.g. an inner map for a map of maps), usable by its programs
   * through maps of maps and by name with {@link map}.
   * @internal
   */
  createMap(spec: MapSpec): BpfMap {
    if (this.maps.has(spec.name)) throw new MapError(`a map named ${spec.name} already exists`);
    const map = createMap(this.memory, spec, this.mapOptions());
    (this.maps as Map<string, BpfMap>).set(spec.name, map);
    this.handles.set(map.handle, map);
    return map;
  }

  private resolveProgram(ref: ProgramRef): Program | undefined {
    if (typeof ref === 'string') return this.program(ref).program;
    if (typeof ref === 'number' || ref instanceof Uint8Array) {
      if (ref instanceof Uint8Array && ref.length !== 4) return undefined;
      const fd = typeof ref === 'number' ? ref : new DataView(ref.buffer, ref.byteOffset, 4).getUint32(0, true);
      const info = Number.isInteger(fd) ? this.programs[fd] : undefined;
      return info === undefined ? undefined : this.program(info.name).program;
    }
    return ref instanceof Program ? ref : undefined;
  }

  /**
   * A map by name (`.bss`, `.data`, `.rodata` for global data). Pass the class to get it typed
   * (`obj.map('events', RingBufMap).drain()`). Throws {@link MapError} when absent or of another class.
   */
  map(name: string): BpfMap;
  map<T extends BpfMap>(name: string, kind: abstract new (...args: never[]) => T): T;
  map<T extends BpfMap>(name: string, kind?: abstract new (...args: never[]) => T): BpfMap {
    checkString(name, 'name');
    checkOptionalFunction(kind, 'kind');
    const m = this.maps.get(name);
    const why = this.unavailable.get(name);
    if (why !== undefined) throw new MapError(`map ${name} could not be created: ${why.message}`);
    if (m === undefined) throw new MapError(`no map named ${name}; maps: ${[...this.maps.keys()].join(', ') || 'none'}`);
    if (kind !== undefined && !(m instanceof kind)) throw new MapError(`map ${name} is a ${m.constructor.name}, not a ${kind.name}`);
    return m;
  }

  /** The global variables (`.data`, `.rodata*`, `.bss`) with their locations, from the symbol table and BTF. */
  variables(): GlobalVariable[] {
    return globalVariables(this.elf, this.btf);
  }

  private variable(name: string): { v: GlobalVariable; map: ArrayMap } {
    const v = this.variables().find((x) => x.name === name);
    const map = v === undefined ? undefined : this.maps.get(v.section);
    if (v === undefined || !(map instanceof ArrayMap) || v.offset + v.size > map.valueSize) {
      throw new MapError(`no global variable named ${name}; variables: ${this.variables().map((x) => x.name).join(', ') || 'none'}`);
    }
    return { v, map };
  }

  /** A copy of a global variable's bytes. */
  readVariable(name: string): Uint8Array {
    checkString(name, 'name');
    const { v, map } = this.variable(name);
    return map.view().slice(v.offset, v.offset + v.size);
  }

  /**
   * Set a global variable. `bytes` must be its size. `.rodata` too (programs may not write it), but
   * only until the first program is loaded with the kernel-level check: read-only data is then frozen
   * (the verifier takes loads from it as constants, as the kernel does after libbpf's BPF_MAP_FREEZE).
   */
  writeVariable(name: string, bytes: Uint8Array): void {
    checkString(name, 'name');
    checkBytes(bytes, 'bytes');
    const { v, map } = this.variable(name);
    if (bytes.length !== v.size) throw new MapError(`global variable ${name} is ${v.size} bytes, got ${bytes.length}`);
    if (map.frozen) throw new MapError(`global variable ${name} is in ${v.section}, which is frozen once a program of the object is loaded (as libbpf does); set it before the first program()`);
    map.view().set(bytes, v.offset);
  }

  /** A copy of a section's bytes (e.g. `.classifier`), or undefined. */
  section(name: string): Uint8Array | undefined {
    checkString(name, 'name');
    return this.elf.section(name)?.data.slice();
  }

  /**
   * A program by function name or section name (the first program of the section), linked with its
   * subprograms, relocated and verified; cached.
   */
  program(name: string): ProgramRunner {
    checkString(name, 'name');
    const cached = this.loaded.get(name);
    if (cached !== undefined) return cached;
    try {
      return this.loadProgram(name);
    } catch (e) {
      if (e instanceof EbpfError) throw e;
      // A defect, not bad input (linking validates what it reads), but reported like loadObject's.
      throw new ObjectFileError(ErrorCode.ELF, `cannot load program ${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private loadProgram(name: string): ProgramRunner {
    const info = this.programs.find((p) => p.name === name) ?? this.programs.find((p) => p.section === name);
    let entry: ElfFunction | undefined;
    for (const fns of this.functions.values()) {
      entry ??= fns.find((f) => f.name === (info?.name ?? name) && (info === undefined || this.elf.sections[f.section]!.name === info.section));
    }
    if (entry === undefined) {
      throw new ObjectFileError(ErrorCode.ELF, `no program named ${name}; programs: ${this.programs.map((p) => `${p.name} (${p.section})`).join(', ') || 'none'}`);
    }
    const section = this.elf.sections[entry.section]!.name;
    const kernelOnly = KERNEL_ONLY.find(([pattern]) => pattern.test(section));
    if (kernelOnly !== undefined && (info?.type ?? 'raw') === 'raw' && !this.typeGiven(entry.name, section)) {
      throw new EbpfError(ErrorCode.UNSUPPORTED, `program ${entry.name} (section ${section}) is a ${kernelOnly[1]}; to run it on a context you build, give its type as raw (programTypes, tsbpf run --type raw)`);
    }
    const missing = new Map<number, string>();
    const externs = new Map<string, MissingExtern>();
    const note = (name: string, why: string, where: string): void => {
      if (!externs.has(name)) externs.set(name, { name, why, where });
    };
    const linked = linkProgram(
      this.elf,
      this.functions,
      entry,
      (sym, section, addend) => {
        if (section !== undefined || this.kconfig?.externs.has(sym.name) === true) return this.resolveData(sym, section, addend);
        const ksyms = this.maps.get(KSYMS_MAP);
        const v = this.externs.address(sym.name, addend, ksyms instanceof ArrayMap ? ksyms.valueAddress(0) : undefined);
        if (typeof v === 'string') note(sym.name, v, '');
        return typeof v === 'string' ? 0n : v;
      },
      (id, where) => {
        if (!this.helperTable.has(id) && !missing.has(id)) missing.set(id, where);
      },
      (sym, where) => {
        const id = this.externs.call(sym.name);
        if (typeof id === 'string') note(sym.name, id, where);
        return typeof id === 'string' ? 0 : id;
      },
    );
    if (externs.size > 0) {
      const list = [...externs.values()].map((m) => m.why).join('; ');
      throw new ObjectFileError(
        ErrorCode.ELF,
        `program ${entry.name} uses ${externs.size === 1 ? 'an extern' : `${externs.size} externs`} the host does not provide: ${list}`,
        { externs: [...externs.keys()] },
      );
    }
    if (missing.size > 0) {
      const why = (id: number): string => (UNMODELLED_HELPERS.has(id) ? `; ${UNMODELLED_HELPERS.get(id)!}` : '');
      const list = [...missing].map(([id, where]) => `${id} (${kernelHelperName(id)}, first at ${where}${why(id)})`).join(', ');
      throw new ObjectFileError(
        ErrorCode.ELF,
        `program ${entry.name} calls ${missing.size === 1 ? 'a helper' : `${missing.size} helpers`} tsbpf does not implement: ${list}; pass ${missing.size === 1 ? 'it' : 'them'} in options.helpers`,
        { helpers: [...missing.keys()] },
      );
    }
    const lines = new Map<number, SourceLine>();
    for (const o of linked.origins) {
      for (const li of this.lineInfo.get(o.section) ?? []) {
        const slot = li.insnOffset / 8;
        if (slot >= o.start && slot < o.start + o.length) {
          lines.set(o.base + slot - o.start, { file: li.file, line: li.line, column: li.column, text: li.text });
        }
      }
    }
    const facts = this.verify(entry.name, info?.type ?? programTypeOf(this.elf.sections[entry.section]!.name), this.elf.sections[entry.section]!.name, linked.bytes, lines, linked.relocated);
    // What the analysis proved of the program's stack reads: its runs may skip zeroing earlier runs' stack.
    // A helper the host passed (or an extern's) may read what it likes: only the built-in ones are known.
    const builtin = (id: number): boolean => this.options.helpers?.has(id) !== true && !this.externs.helpers.has(id);
    const insns = facts === undefined ? undefined : decodeProgram(linked.bytes);
    const sealed = facts !== undefined && this.mapTable !== undefined && stackReadsWritten(insns!, facts, this.mapTable.maps, builtin);
    const program = new Program(linked.bytes, entry.name, linked.functionNames, { stackReadsWritten: sealed, relocatedLoads: linked.relocated });
    const type = info?.type ?? programTypeOf(this.elf.sections[entry.section]!.name);
    const tracing = (TRACING_TYPES as readonly string[]).includes(type) ? (type as TracingType) : undefined;
    const cgroup = { attachment: this.cgroupAttachment, attachType: cgroupAttachTypeOf(this.elf.sections[entry.section]!.name) };
    const ctxExtent = facts === undefined ? undefined : contextExtent(insns!, facts);
    const runner = new ProgramRunner(program, { space: this.space, helpers: this.helperTable, jitEngine: this.options.jitEngine, iterMeta: this.iterMeta, sockOps: this.sockOps, cgroup }, lines, tracing, ctxExtent);
    this.loaded.set(name, runner);
    this.loaded.set(entry.name, runner);
    return runner;
  }

  /** Whether the host gave program `name` (or its section) a type (LoadOptions.programTypes). */
  private typeGiven(name: string, section: string): boolean {
    const types = this.options.programTypes;
    return types !== undefined && (types[name] !== undefined || types[section] !== undefined || types['*'] !== undefined);
  }

  /**
   * Verify a linked program as {@link LoadOptions.verify} says; throws when it is rejected. Returns the
   * kernel-level analysis's facts when it ran and found no error.
   */
  private verify(name: string, type: ProgramType, section: string, bytes: Uint8Array, lines: ReadonlyMap<number, SourceLine>, relocated: ReadonlySet<number>): ProgramFacts | undefined {
    const mode = checkVerifyMode(this.options.verify);
    if (mode === 'off') return undefined;
    // a BTF tracing program (fentry, tp_btf, iter...) is checked as the kernel checks it only with the
    // kernel's BTF of its attach target (LoadOptions.targetBtf); without it, shape checks alone
    const kernelBtf = mode === 'shape' ? undefined : this.tracingBtf(type, section);
    const programType = kernelBtf !== undefined ? 'tracing' : mode === 'shape' ? undefined : kernelProgramType(type, section);
    // The shape checks reject in every mode: the engines need well-formed bytecode.
    if (mode !== 'kernel' || programType === undefined) verifyProgram(bytes, { helpers: this.helperTable });
    if (programType === undefined) return undefined;
    if (this.mapTable === undefined) {
      // The analysis reads read-only global data as constants: freeze it, as libbpf does before loading.
      this.mapTable = objectMapTable(this.maps, this.valueFields());
      for (const [mapName, m] of this.maps) if (isFrozenData(mapName) && m instanceof ArrayMap) m.freeze();
    }
    const attachType = kernelAttachType(programType, section);
    const table = this.mapTable;
    const kfuncs = this.verifierKfuncs();
    const { issues, facts } = checkProgramFacts(bytes, { level: 'kernel', programType, helpers: this.helperTable, maps: this.mapTable.maps, resolve: (imm, pc) => (relocated.has(pc) ? table.resolve(imm) : undefined), ...(attachType === undefined ? {} : { attachType }), ...(kfuncs === undefined ? {} : { kfuncs }), ...(kernelBtf === undefined ? {} : { btf: kernelBtf, attachTo: section }) });
    this.verification.set(name, { programType, issues });
    const first = issues.find((i) => i.severity === 'error');
    if (first === undefined) return facts;
    const at = first.pc === undefined ? undefined : nearestLine(lines, first.pc);
    const where = at === undefined ? '' : ` (${at.file}:${at.line}: ${at.text.trim()})`;
    const text = `program ${name} (${programType}): [${first.rule}] ${first.message}${where}`;
    if (mode === 'kernel') throw new VerifierError(`${text}; to run it anyway, load with verify: 'warn' (tsbpf run --verify warn)`, first.pc);
    this.warnings.push(`kernel-level verifier would reject: ${first.pc === undefined ? '' : `pc ${first.pc}: `}${text}`);
    return undefined;
  }

  /** The kernel's BTF (LoadOptions.targetBtf), parsed on first use; null: none given. */
  private kernelBtf: Btf | null | undefined;

  /**
   * The kernel's BTF for a program of `type` from `section` when it is a BTF tracing program (fentry,
   * fexit, fmod_ret, tp_btf, iter) whose attach target that BTF describes; else undefined. The loader
   * never reads the host's /sys/kernel/btf/vmlinux by itself: the kernel a program is meant for is the
   * host's to name (`targetBtf`, `tsbpf --btf`).
   */
  private tracingBtf(type: ProgramType, section: string): Btf | undefined {
    if ((type !== 'tracing' && type !== 'iter') || tracingSection(section) === undefined) return undefined;
    if (this.kernelBtf === undefined) this.kernelBtf = this.options.targetBtf === undefined ? null : targetBtfOf(this.options.targetBtf);
    const btf = this.kernelBtf ?? undefined;
    return btf !== undefined && typeof tracingTarget(btf, section) !== 'string' ? btf : undefined;
  }

  private mapTable: ObjectMapTable | undefined;
  /** The object's kfuncs for the kernel-level verifier (null: the object has no BTF to type them). */
  private kfuncTable: KfuncTable | null | undefined;

  /**
   * The object's kfuncs as the kernel-level analysis checks their calls: the helper ids the loader gave
   * them, against the prototypes of the object's BTF (undefined without BTF).
   * @internal
   */
  verifierKfuncs(): KfuncTable | undefined {
    this.kfuncTable ??= this.btf === undefined ? null : { btf: this.btf, calls: this.externs.kfuncNames(), missing: this.externs.missingKfuncIds() };
    return this.kfuncTable ?? undefined;
  }

  /**
   * The BTF maps whose value (a struct) has a `struct bpf_timer` or `struct bpf_spin_lock` member: their
   * byte offsets, by map name (what the kernel-level analysis checks the timer and lock helpers against).
   * @internal
   */
  valueFields(): Map<string, MapValueFields> {
    return mapValueFields(this.elf, this.btf);
  }

  /** The object's Kconfig externs and their `.kconfig` slots (undefined: none). */
  private readonly kconfig: KconfigLayout | undefined;

  /** The object's other externs: kernel symbols, kfuncs, assembler constants. */
  private readonly externs: ExternTable;

  /**
   * The map whose handle a program loaded (for tools that see a handle in a register).
   * @internal
   */
  mapByHandle(handle: number): BpfMap | undefined {
    return this.handles.get(handle);
  }

  private resolveData(sym: ElfSymbol, section: ElfSection | undefined, addend: bigint): bigint | string {
    if (section === undefined) {
      const ext = this.kconfig?.externs.get(sym.name);
      const map = this.maps.get(KCONFIG_MAP);
      if (ext === undefined || !(map instanceof ArrayMap)) {
        return `symbol ${symbolText(sym.name)} is an extern tsbpf cannot resolve`;
      }
      if (ext.error !== undefined) return ext.error;
      return BigInt(map.valueAddress(0)) + BigInt(ext.offset) + addend;
    }
    if (isMapSection(section.name)) {
      const map = this.mapsBySymbol.get(`${section.index}:${sym.type === SymbolType.SECTION ? Number(addend) : sym.value}`);
      if (map === undefined) return `relocation to ${section.name} at offset ${sym.value} does not name a map`;
      if (typeof map === 'string') return `the program uses map ${map}, which tsbpf could not create: ${this.unavailable.get(map)?.message ?? 'unknown reason'}`;
      return BigInt(map.handle);
    }
    const data = this.maps.get(section.name);
    if (data instanceof ArrayMap && GLOBAL_DATA.test(section.name)) {
      return BigInt(data.valueAddress(0)) + BigInt(sym.value) + addend;
    }
    return `relocation to symbol ${sym.name} in section ${section.name}, which is neither a map nor global data`;
  }
}

/**
 * Link several objects statically and load the result (the first object's options apply to the whole):
 * `loadObjects([a, b], options)` is `loadObject(a, { ...options, link: [b] })`. See {@link LoadOptions.link}.
 */
export function loadObjects(objects: readonly Uint8Array[], options: LoadOptions = {}): BpfObject {
  const link = checkLink(checkOptions(options, 'options').link);
  // The length first: spreading a hostile array (2^32 - 1 empty slots) would exhaust the heap.
  if (!Array.isArray(objects) || objects.length === 0 || objects.length + link.length > 64) {
    throw new ArgumentError(`loadObjects needs an array of 1 to ${64 - link.length} object files, not ${describeValue(objects)}`);
  }
  const [first, ...rest] = objects as Uint8Array[];
  return loadObject(first!, { ...options, link: [...link, ...rest] });
}

/** Parse and prepare a BPF ELF object. Throws {@link ObjectFileError} (E_ELF / E_BTF) or {@link MapError} on bad input. */
export function loadObject(bytes: Uint8Array, options: LoadOptions = {}): BpfObject {
  if (!(bytes instanceof Uint8Array)) throw new ObjectFileError(ErrorCode.ELF, 'loadObject needs the object file as a Uint8Array');
  try {
    return new BpfObject(bytes, options);
  } catch (e) {
    if (e instanceof EbpfError) throw e;
    // A defect, not bad input, but still reported as an object error rather than a bare TypeError.
    throw new ObjectFileError(ErrorCode.ELF, `cannot load object: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

