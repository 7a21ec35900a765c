/**
 * The maps a loaded object defines, created in its memory: BTF `.maps` and legacy `maps` definitions
 * (with the host's `mapSizes`, `mapValueSizes` and `innerMaps` applied before creation), then global
 * data sections as one-element arrays (`.rodata` read-only to programs). A map that cannot be created
 * is recorded as unavailable (only the programs that use it are refused); two maps of one name refuse
 * the object.
 * @module
 */
import { EbpfError, ErrorCode, ObjectFileError, MapError } from '../errors.js';
import type { VmMemory } from '../vm/memory.js';
import { ArrayMap } from '../maps/array.js';
import { createMap } from '../maps/create.js';
import type { BpfMap } from '../maps/map.js';
import { MapType, type MapOptions, type MapSpec } from '../maps/types.js';
import type { Btf } from './btf.js';
import { SectionType, SHF_EXECINSTR, type ElfFile } from './reader.js';
import { checkInnerMaps, checkMapSizes, type LoadOptions } from './load-options.js';
import { btfMapSpecs, GLOBAL_DATA, legacyMapSpecs } from './map-defs.js';

/** Where an object keeps its maps: by name, by handle, by the symbol that defines them (or why one is unavailable). */
export interface MapTables {
  readonly maps: Map<string, BpfMap>;
  readonly handles: Map<number, BpfMap>;
  /** By the definition's key: the map, or the name of a map that could not be created. */
  readonly bySymbol: Map<string, BpfMap | string>;
  /** Maps that could not be created, by name, and why. */
  readonly unavailable: Map<string, EbpfError>;
}

function fail(message: string): never {
  throw new ObjectFileError(ErrorCode.ELF, message);
}

/** Record a created map by its name and handle; a second map of one name refuses the object. */
export function registerMap(t: MapTables, map: BpfMap): void {
  if (t.maps.has(map.name) || t.unavailable.has(map.name)) fail(`two maps are named ${map.name}`);
  t.maps.set(map.name, map);
  t.handles.set(map.handle, map);
}

/** Create the object's maps and global data maps (see the module comment). */
export function createObjectMaps(t: MapTables, elf: ElfFile, btf: Btf | undefined, memory: VmMemory, options: LoadOptions, mapOptions: MapOptions): void {
const { maps, unavailable } = t;
  const defs = [...btfMapSpecs(elf, btf), ...legacyMapSpecs(elf)];
  const sizes = checkMapSizes(options.mapSizes, defs.map((d) => d.name));
  const valueSizes = checkMapSizes(options.mapValueSizes, defs.map((d) => d.name), 'mapValueSizes');
  const ofMaps = defs.filter((d) => typeof d.spec !== 'string' && (d.spec.type === MapType.ARRAY_OF_MAPS || d.spec.type === MapType.HASH_OF_MAPS)).map((d) => d.name);
  const inners = checkInnerMaps(options.innerMaps, defs.map((d) => d.name), ofMaps);
  for (const def of defs) {
    let map: BpfMap;
    try {
      if (typeof def.spec === 'string') throw new MapError(def.spec);
      const size = sizes?.[def.name];
      const valueSize = valueSizes?.[def.name];
      const inner = inners?.[def.name];
      const spec = { ...def.spec, ...(size === undefined ? {} : { maxEntries: size }), ...(valueSize === undefined ? {} : { valueSize }), ...(inner === undefined ? {} : { inner }) };
      map = createMap(memory, spec, mapOptions);
    } catch (e) {
      if (!(e instanceof EbpfError)) {
        throw new ObjectFileError(ErrorCode.ELF, `cannot create map ${def.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (maps.has(def.name) || unavailable.has(def.name)) fail(`two maps are named ${def.name}`);
      unavailable.set(def.name, e);
      t.bySymbol.set(def.key, def.name);
      continue;
    }
    registerMap(t, map);
    t.bySymbol.set(def.key, map);
  }
  // Global data: one-element arrays holding the section, .rodata read-only to programs.
  for (const s of elf.sections) {
    if (!GLOBAL_DATA.test(s.name) || s.size === 0 || (s.flags & SHF_EXECINSTR) !== 0) continue;
    if (s.type !== SectionType.PROGBITS && s.type !== SectionType.NOBITS) continue;
    const spec: MapSpec = { name: s.name, type: MapType.ARRAY, keySize: 4, valueSize: s.size, maxEntries: 1, flags: 0 };
    let map: ArrayMap;
    try {
      map = new ArrayMap(memory, spec, 1, !s.name.startsWith('.rodata'));
    } catch (e) {
      if (e instanceof EbpfError) throw e;
      throw new ObjectFileError(ErrorCode.ELF, `cannot create map ${s.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    // An attached memory already holds the owner's values (see LoadOptions.memory).
    if (s.type === SectionType.PROGBITS && !memory.attached) map.view().set(s.data);
    registerMap(t, map);
  }
}
