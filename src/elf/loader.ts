/**
 * `loadObject`: turn a clang-compiled BPF ELF object into a {@link BpfObject} — its programs (linked,
 * relocated, verified on first use), its maps (BTF `.maps`, legacy `maps`, and global-data sections as
 * internal array maps), all living in one VM memory.
 * @module
 */
import { EbpfError, ErrorCode, ObjectFileError, MapError } from '../errors.js';
import { VmMemory } from '../vm/memory.js';
import { Program } from '../vm/program.js';
import type { Engine, HelperEntry } from '../vm/environment.js';
import { verifyProgram } from '../verifier/verifier.js';
import { ArrayMap } from '../maps/array.js';
import { createMap } from '../maps/create.js';
import type { BpfMap } from '../maps/map.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { MapOfMaps, ProgramArrayMap, type MapRef, type ProgramRef } from '../maps/special.js';
import { MapType, type MapOptions, type MapSpec } from '../maps/types.js';
import { kernelHelperName, kernelHelpers } from '../helpers/kernel.js';
import { ProgramRunner } from '../context/runner.js';
import { RunSpace } from '../context/space.js';
import { btfMapDefs, datasecVariables, parseBtf, type Btf, type BtfMapDef } from './btf.js';
import { parseLineInfo, type LineInfo, type SourceLine } from './btf-ext.js';
import { functionsOf, linkProgram, type ElfFunction } from './link.js';
import { parseElf, SectionType, SHF_EXECINSTR, SymbolType, type ElfFile, type ElfSection, type ElfSymbol } from './reader.js';

/** Program types tsbpf distinguishes, inferred from the section name. */
export type ProgramType = 'xdp' | 'socket' | 'tc' | 'raw';

/** A program of an object, before loading. */
export interface ProgramInfo {
  /** Function name (or the section name for a section without function symbols). */
  readonly name: string;
  /** Section name (`xdp`, `tc`, `kprobe/do_sys_open`…). */
  readonly section: string;
  /** Program type inferred from the section name. */
  readonly type: ProgramType;
}

/** A global variable of `.data`, `.rodata*` or `.bss`, located with BTF and the symbol table. */
export interface GlobalVariable {
  /** C name. */
  readonly name: string;
  /** Section (the internal map's name). */
  readonly section: string;
  /** Byte offset in the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** BTF type id of the variable's type (0 when the object has no BTF for it). */
  readonly type: number;
}

/** Options for {@link loadObject}. */
export interface LoadOptions extends MapOptions {
  /** The VM memory to place maps in (default: a fresh one). */
  readonly memory?: VmMemory;
  /** Where `bpf_trace_printk` lines go (default: dropped; they are also kept in `obj.traceLog`). */
  readonly trace?: (line: string) => void;
  /** CPU index programs run on (default 0). */
  readonly cpu?: number;
  /** Clock for `bpf_ktime_get_ns` (default: `performance.now()` in ns). */
  readonly now?: () => bigint;
  /** Random source for `bpf_get_prandom_u32` (default: `Math.random`). */
  readonly random?: () => number;
  /** Extra or replacement helpers by id. */
  readonly helpers?: ReadonlyMap<number, HelperEntry>;
  /** The JIT engine `jit: true` runs use (default: a shared `JitEngine`). */
  readonly jitEngine?: Engine;
  /** Run the default verifier on each program when first loaded (default true). */
  readonly verify?: boolean;
}

/** Program type from a section name, following libbpf's section-name conventions. */
export function programTypeOf(section: string): ProgramType {
  const s = section.replace(/^\./, '');
  if (/^xdp([./]|$)/.test(s) || s.startsWith('xdp_')) return 'xdp';
  if (/^socket([./]|$)/.test(s) || s === 'socket_filter') return 'socket';
  if (/^(tc|tcx|classifier|action)([./_]|$)/.test(s)) return 'tc';
  return 'raw';
}

const GLOBAL_DATA = /^\.(data|rodata|bss)(\..*)?$/;

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
  /** Every map by name (BTF, legacy and internal global-data maps). */
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** `.BTF.ext` line info by section name (empty without `-g`). */
  readonly lineInfo: ReadonlyMap<string, readonly LineInfo[]>;
  /** Lines `bpf_trace_printk` wrote, oldest first (the host may clear it). */
  readonly traceLog: string[] = [];

  private readonly elf: ElfFile;
  private readonly functions: Map<number, ElfFunction[]>;
  private readonly handles = new Map<number, BpfMap>();
  private readonly mapsBySymbol = new Map<string, BpfMap>();
  private readonly loaded = new Map<string, ProgramRunner>();
  private readonly options: LoadOptions;
  private readonly space: RunSpace;
  private readonly helperTable: Map<number, HelperEntry>;

  /** @internal Use {@link loadObject}. */
  constructor(bytes: Uint8Array, options: LoadOptions = {}) {
    this.options = options;
    // A private plain copy: a Node Buffer's slice() is a view, so linking would otherwise write
    // relocated immediates back into the caller's buffer (and a second load of it would relocate twice).
    this.elf = parseElf(new Uint8Array(bytes));
    this.memory = options.memory ?? new VmMemory();
    this.space = RunSpace.of(this.memory);
    this.functions = functionsOf(this.elf);
    const lic = this.elf.section('license');
    this.license = lic === undefined ? '' : new TextDecoder().decode(lic.data).replace(/\0.*$/s, '');
    const btfSection = this.elf.section('.BTF');
    this.btf = btfSection === undefined ? undefined : parseBtf(btfSection.data);
    const ext = this.elf.section('.BTF.ext');
    this.lineInfo = ext === undefined || this.btf === undefined ? new Map() : parseLineInfo(ext.data, this.btf);
    this.programs = this.listPrograms();
    const maps = new Map<string, BpfMap>();
    this.maps = maps;
    this.createMaps(maps);
    const cpu = options.cpu ?? 0;
    const trace = options.trace;
    this.helperTable = kernelHelpers({
      memory: this.memory,
      mapByHandle: (h) => this.handles.get(h),
      ringBuffers: () => [...maps.values()].filter((m): m is RingBufMap => m instanceof RingBufMap),
      cpu,
      trace: (line) => {
        this.traceLog.push(line);
        trace?.(line);
      },
      now: options.now ?? (() => BigInt(Math.round(performance.now() * 1e6))),
      random: options.random ?? (() => Math.floor(Math.random() * 0x1_0000_0000)),
    });
    for (const [id, entry] of options.helpers ?? []) this.helperTable.set(id, entry);
    this.initProgramArrays();
  }

  private listPrograms(): ProgramInfo[] {
    const out: ProgramInfo[] = [];
    for (const [index, fns] of this.functions) {
      const section = this.elf.sections[index]!;
      for (const f of fns) {
        // .text holds subprograms; its global functions are also runnable as raw programs.
        if (section.name === '.text' && !f.global) continue;
        out.push({ name: f.name, section: section.name, type: programTypeOf(section.name) });
      }
    }
    return out;
  }

  private register(map: BpfMap, maps: Map<string, BpfMap>): void {
    if (maps.has(map.name)) fail(`two maps are named ${map.name}`);
    maps.set(map.name, map);
    this.handles.set(map.handle, map);
  }

  private createMaps(maps: Map<string, BpfMap>): void {
    const mapOptions: MapOptions = { cpus: this.options.cpus, onPerfEvent: this.options.onPerfEvent };
    const wrap = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        if (e instanceof EbpfError) throw e;
        throw new ObjectFileError(ErrorCode.ELF, `cannot create map: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    };
    // BTF-defined maps.
    const dotMaps = this.elf.section('.maps');
    if (dotMaps !== undefined) {
      if (this.btf === undefined) fail('section .maps needs BTF (.BTF section) to describe its maps; compile with -g');
      const btf = this.btf;
      for (const def of this.btfMaps(btf, dotMaps)) {
        const map = wrap(() => createMap(this.memory, this.specFromBtf(btf, def), mapOptions));
        this.register(map, maps);
        this.mapsBySymbol.set(`${dotMaps.index}:${def.offset}`, map);
      }
    }
    // Legacy `maps` section: struct bpf_map_def per symbol.
    const legacy = this.elf.section('maps');
    if (legacy !== undefined) {
      const syms = this.elf.symbols.filter((s) => s.shndx === legacy.index && s.type !== SymbolType.SECTION && s.name !== '');
      const view = new DataView(legacy.data.buffer, legacy.data.byteOffset, legacy.data.byteLength);
      for (const s of syms) {
        if (s.value + 20 > legacy.data.length) fail(`legacy map ${s.name}: definition at offset ${s.value} runs past the maps section`);
        const spec: MapSpec = {
          name: s.name,
          type: view.getUint32(s.value, true),
          keySize: view.getUint32(s.value + 4, true),
          valueSize: view.getUint32(s.value + 8, true),
          maxEntries: view.getUint32(s.value + 12, true),
          flags: view.getUint32(s.value + 16, true),
        };
        const map = wrap(() => createMap(this.memory, spec, mapOptions));
        this.register(map, maps);
        this.mapsBySymbol.set(`${legacy.index}:${s.value}`, map);
      }
    }
    // Global data: one-element arrays holding the section, .rodata read-only to programs.
    for (const s of this.elf.sections) {
      if (!GLOBAL_DATA.test(s.name) || s.size === 0 || (s.flags & SHF_EXECINSTR) !== 0) continue;
      if (s.type !== SectionType.PROGBITS && s.type !== SectionType.NOBITS) continue;
      const spec: MapSpec = { name: s.name, type: MapType.ARRAY, keySize: 4, valueSize: s.size, maxEntries: 1, flags: 0 };
      const map = wrap(() => new ArrayMap(this.memory, spec, 1, !s.name.startsWith('.rodata')));
      if (s.type === SectionType.PROGBITS) map.view().set(s.data);
      this.register(map, maps);
    }
  }

  /**
   * BTF map definitions with their offsets taken from the symbol table: clang leaves DATASEC variable
   * offsets for the loader to fix up (they are relocated in `.rel.BTF`), as libbpf does.
   */
  private btfMaps(btf: Btf, dotMaps: ElfSection): BtfMapDef[] {
    return btfMapDefs(btf).map((def) => {
      const sym = this.elf.symbols.find((y) => y.shndx === dotMaps.index && y.name === def.name && y.type !== SymbolType.SECTION);
      if (sym === undefined) fail(`BTF map ${def.name} has no symbol in section .maps`);
      return { ...def, offset: sym.value, size: sym.size || def.size };
    });
  }

  private specFromBtf(btf: Btf, def: BtfMapDef): MapSpec {
    const type = def.numbers.get('type');
    if (type === undefined) throw new ObjectFileError(ErrorCode.BTF, `BTF map ${def.name} has no type`);
    const size = (explicit: string, t: number | undefined): number =>
      def.numbers.get(explicit) ?? (t === undefined ? 0 : btf.sizeOf(t));
    let keySize = size('key_size', def.keyType);
    let valueSize = size('value_size', def.valueType);
    if (type === MapType.PROG_ARRAY || type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS) {
      keySize ||= 4;
      valueSize ||= 4;
    }
    if (type === MapType.PERF_EVENT_ARRAY) {
      keySize ||= 4;
      valueSize ||= 4;
    }
    const inner = def.inner === undefined ? undefined : this.specFromBtf(btf, def.inner);
    return { name: def.name, type, keySize, valueSize, maxEntries: def.numbers.get('max_entries') ?? 0, flags: def.numbers.get('map_flags') ?? 0, inner };
  }

  /** Program arrays initialised with `.values = { [i] = &prog }`: relocations in `.maps` name the programs. */
  private initProgramArrays(): void {
    const dotMaps = this.elf.section('.maps');
    for (const map of this.maps.values()) {
      if (map instanceof ProgramArrayMap) map.resolver = (ref: ProgramRef) => this.resolveProgram(ref);
      if (map instanceof MapOfMaps) map.resolver = (ref: MapRef) => this.resolveMap(ref);
    }
    if (dotMaps === undefined || this.btf === undefined) return;
    const defs = this.btfMaps(this.btf, dotMaps);
    for (const r of this.elf.relocations.get(dotMaps.index) ?? []) {
      const def = defs.find((d) => r.offset >= d.offset && r.offset < d.offset + d.size);
      const map = def === undefined ? undefined : this.maps.get(def.name);
      if (def === undefined || map === undefined || def.valuesOffset === undefined) continue;
      const rel = r.offset - def.offset - def.valuesOffset;
      if (rel < 0 || rel % 8 !== 0) fail(`map ${def.name}: relocation at offset ${r.offset} is not a values[] slot`);
      const sym = this.elf.symbols[r.symbol];
      if (sym === undefined) fail(`map ${def.name}: relocation names symbol ${r.symbol}, which does not exist`);
      if (map instanceof ProgramArrayMap) {
        map.set(rel / 8, sym.name);
      } else if (map instanceof MapOfMaps) {
        map.update(rel / 8, sym.name);
      } else {
        fail(`map ${def.name}: initial values are only supported for program arrays and maps of maps`);
      }
    }
  }

  private resolveMap(ref: MapRef): BpfMap | undefined {
    if (typeof ref === 'string') return this.maps.get(ref);
    if (typeof ref === 'number') return this.handles.get(ref);
    if (ref instanceof Uint8Array) {
      return ref.length === 4 ? this.handles.get(new DataView(ref.buffer, ref.byteOffset, 4).getUint32(0, true)) : undefined;
    }
    return ref;
  }

  /**
   * Create a map in this object's memory (e.g. an inner map for a map of maps), usable by its programs
   * through maps of maps and by name with {@link map}.
   */
  createMap(spec: MapSpec): BpfMap {
    if (this.maps.has(spec.name)) throw new MapError(`a map named ${spec.name} already exists`);
    const map = createMap(this.memory, spec, { cpus: this.options.cpus, onPerfEvent: this.options.onPerfEvent });
    (this.maps as Map<string, BpfMap>).set(spec.name, map);
    this.handles.set(map.handle, map);
    return map;
  }

  private resolveProgram(ref: ProgramRef): Program | undefined {
    if (typeof ref === 'string') return this.program(ref).program;
    if (typeof ref === 'number' || ref instanceof Uint8Array) {
      const fd = typeof ref === 'number' ? ref : new DataView(ref.buffer, ref.byteOffset, ref.byteLength).getUint32(0, true);
      const info = this.programs[fd];
      return info === undefined ? undefined : this.program(info.name).program;
    }
    return ref;
  }

  /**
   * A map by name (`.bss`, `.data`, `.rodata` for global data). Pass the class to get it typed
   * (`obj.map('events', RingBufMap).drain()`). Throws {@link MapError} when absent or of another class.
   */
  map(name: string): BpfMap;
  map<T extends BpfMap>(name: string, kind: abstract new (...args: never[]) => T): T;
  map<T extends BpfMap>(name: string, kind?: abstract new (...args: never[]) => T): BpfMap {
    const m = this.maps.get(name);
    if (m === undefined) throw new MapError(`no map named ${name}; maps: ${[...this.maps.keys()].join(', ') || 'none'}`);
    if (kind !== undefined && !(m instanceof kind)) throw new MapError(`map ${name} is a ${m.constructor.name}, not a ${kind.name}`);
    return m;
  }

  /** The global variables (`.data`, `.rodata*`, `.bss`) with their locations, from the symbol table and BTF. */
  variables(): GlobalVariable[] {
    const out: GlobalVariable[] = [];
    for (const sym of this.elf.symbols) {
      const section = this.elf.sections[sym.shndx];
      if (section === undefined || sym.type !== SymbolType.OBJECT || !GLOBAL_DATA.test(section.name) || sym.name === '') continue;
      let type = 0;
      if (this.btf !== undefined) {
        const v = datasecVariables(this.btf, section.name).find((x) => x.name === sym.name);
        type = v?.type ?? 0;
      }
      out.push({ name: sym.name, section: section.name, offset: sym.value, size: sym.size, type });
    }
    return out;
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
    const { v, map } = this.variable(name);
    return map.view().slice(v.offset, v.offset + v.size);
  }

  /** Set a global variable (also `.rodata`: the host may, programs may not). `bytes` must be its size. */
  writeVariable(name: string, bytes: Uint8Array): void {
    const { v, map } = this.variable(name);
    if (bytes.length !== v.size) throw new MapError(`global variable ${name} is ${v.size} bytes, got ${bytes.length}`);
    map.view().set(bytes, v.offset);
  }

  /** A copy of a section's bytes (e.g. `.classifier`), or undefined. */
  section(name: string): Uint8Array | undefined {
    return this.elf.section(name)?.data.slice();
  }

  /**
   * A program by function name or section name (the first program of the section), linked with its
   * subprograms, relocated and verified; cached.
   */
  program(name: string): ProgramRunner {
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
    const linked = linkProgram(this.elf, this.functions, entry, (sym, section, addend) => this.resolveData(sym, section, addend), (id, where) => {
      if (!this.helperTable.has(id)) {
        fail(`${where}: program calls helper ${id} (${kernelHelperName(id)}), which tsbpf does not implement; pass it in options.helpers`);
      }
    });
    if (this.options.verify !== false) verifyProgram(linked.bytes, { helpers: this.helperTable });
    const program = new Program(linked.bytes, entry.name, linked.functionNames);
    const lines = new Map<number, SourceLine>();
    for (const o of linked.origins) {
      for (const li of this.lineInfo.get(o.section) ?? []) {
        const slot = li.insnOffset / 8;
        if (slot >= o.start && slot < o.start + o.length) {
          lines.set(o.base + slot - o.start, { file: li.file, line: li.line, column: li.column, text: li.text });
        }
      }
    }
    const runner = new ProgramRunner(program, { space: this.space, helpers: this.helperTable, jitEngine: this.options.jitEngine }, lines);
    this.loaded.set(name, runner);
    this.loaded.set(entry.name, runner);
    return runner;
  }

  /** The map whose handle a program loaded (for tools that see a handle in a register). */
  mapByHandle(handle: number): BpfMap | undefined {
    return this.handles.get(handle);
  }

  private resolveData(sym: ElfSymbol, section: ElfSection, addend: bigint): bigint | string {
    if (section.name === '.maps' || section.name === 'maps') {
      const map = this.mapsBySymbol.get(`${section.index}:${sym.type === SymbolType.SECTION ? Number(addend) : sym.value}`);
      if (map === undefined) return `relocation to ${section.name} at offset ${sym.value} does not name a map`;
      return BigInt(map.handle);
    }
    const data = this.maps.get(section.name);
    if (data instanceof ArrayMap && GLOBAL_DATA.test(section.name)) {
      return BigInt(data.valueAddress(0)) + BigInt(sym.value) + addend;
    }
    if ((section.flags & SHF_EXECINSTR) !== 0) return `lddw of function ${sym.name} (callbacks / function pointers) is not supported`;
    return `relocation to symbol ${sym.name} in section ${section.name}, which is neither a map nor global data`;
  }
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

