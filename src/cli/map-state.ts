/**
 * Map state saved between runs, as a pinned map outlives a program in the kernel: `run --save-maps
 * FILE.json` writes every map's entries, `run --map FILE.json` (or `--map NAME=FILE.json`) and the
 * `map` command read them back. Keys and values are the JSON the reports print (BTF-typed where the
 * object has BTF, integers or hex strings otherwise), so a saved file can be read and edited.
 * @module
 */
import { existsSync } from 'node:fs';
import type { BpfObject } from '../elf/loader.js';
import { MapType } from '../maps/types.js';
import type { JsonValue } from './btf-values.js';
import { InputError, readInputFile, writeOutputFile } from './input.js';
import { dumpMap, preloadEntries } from './object-maps.js';

/** What `--save-maps` writes. */
export interface MapStateFile {
  /** Marks the file's kind: `tsbpf-map-state`. */
  readonly format: 'tsbpf-map-state';
  readonly version: 1;
  /** Entries by map name. */
  readonly maps: Readonly<Record<string, readonly { readonly key: JsonValue; readonly value: JsonValue }[]>>;
  /** Maps whose contents are not saved, with the reason. */
  readonly skipped?: Readonly<Record<string, string>>;
}

/** Map types whose entries are plain key/value pairs a file can hold and give back. */
const SAVABLE: ReadonlySet<number> = new Set([
  MapType.HASH,
  MapType.ARRAY,
  MapType.LRU_HASH,
  MapType.LPM_TRIE,
  // each entry an attachment's value, which restoring attaches (object-maps.ts)
  MapType.CGROUP_STORAGE,
  // each value a socket's index in --sockets: restore with the same sockets file
  MapType.SOCKMAP,
  MapType.SOCKHASH,
]);

/** The state of every map worth saving (read-only data and event maps are left out, with the reason). */
export function mapState(obj: BpfObject): MapStateFile {
  const maps: Record<string, { key: JsonValue; value: JsonValue }[]> = {};
  const skipped: Record<string, string> = {};
  for (const m of obj.maps.values()) {
    if (m.name.startsWith('.rodata')) continue;
    if (!SAVABLE.has(m.spec.type)) {
      skipped[m.name] = `a ${dumpMap(obj, m).type} map's contents are not saved`;
      continue;
    }
    const d = dumpMap(obj, m);
    if (d.note !== undefined) skipped[m.name] = d.note;
    else maps[m.name] = d.entries.map((e) => ({ key: e.key, value: e.value }));
  }
  return { format: 'tsbpf-map-state', version: 1, maps, ...(Object.keys(skipped).length === 0 ? {} : { skipped }) };
}

/** Write {@link mapState} to `path`. */
export function saveMapState(obj: BpfObject, path: string): void {
  writeOutputFile(path, `${JSON.stringify(mapState(obj), null, 2)}\n`);
}

/** True when a parsed JSON document is a saved map state rather than one map's entries. */
export function isMapState(doc: unknown): doc is MapStateFile {
  return typeof doc === 'object' && doc !== null && (doc as { format?: unknown }).format === 'tsbpf-map-state';
}

/** Parse a JSON file, as a one-line {@link InputError} when it is not JSON. */
export function readJsonFile(path: string): JsonValue {
  const text = new TextDecoder().decode(readInputFile(path));
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ')})`);
  }
}

function stateMaps(doc: MapStateFile, path: string): Record<string, JsonValue> {
  const maps = (doc as { maps?: unknown }).maps;
  if (typeof maps !== 'object' || maps === null || Array.isArray(maps)) throw new InputError(`${path}: a map state file needs a "maps" object`);
  return maps as Record<string, JsonValue>;
}

/**
 * Restore maps from a file: a saved state (every map in it, or only `name`) or, with a name, one map's
 * entries (`[{"key", "value"}]` or `{"KEY": VALUE}`). Returns the number of entries written.
 */
export function restoreMaps(obj: BpfObject, name: string | undefined, path: string): number {
  const doc = readJsonFile(path);
  if (isMapState(doc)) {
    const maps = stateMaps(doc, path);
    if (name !== undefined) {
      if (!(name in maps)) throw new InputError(`${path}: holds no map named ${name}; maps: ${Object.keys(maps).join(', ') || 'none'}`);
      return preloadEntries(obj, name, maps[name]!, `${path}: map ${name}`);
    }
    let n = 0;
    for (const [map, entries] of Object.entries(maps)) n += preloadEntries(obj, map, entries, `${path}: map ${map}`);
    return n;
  }
  if (name === undefined) {
    throw new InputError(`${path}: not a map state file (written by --save-maps); for one map's entries, give --map NAME=${path}`);
  }
  return preloadEntries(obj, name, doc, path);
}

/** Apply `--map` arguments: `NAME=FILE.json` or a state file `FILE.json`. */
export function applyMapArgs(obj: BpfObject | undefined, specs: readonly string[]): void {
  for (const spec of specs) {
    if (obj === undefined) throw new InputError('--map needs an ELF object (raw bytecode has no maps)');
    const eq = spec.indexOf('=');
    if (eq === 0 || eq === spec.length - 1) throw new InputError(`--map ${spec}: expected NAME=FILE.json or a map state FILE.json`);
    if (eq < 0) {
      if (!existsSync(spec)) throw new InputError(`--map ${spec}: expected NAME=FILE.json, or a map state FILE.json (no such file)`);
      restoreMaps(obj, undefined, spec);
      continue;
    }
    const name = spec.slice(0, eq);
    if (!obj.maps.has(name)) throw new InputError(`--map ${name}: the object has no map named ${name}; maps: ${[...obj.maps.keys()].join(', ') || 'none'}`);
    restoreMaps(obj, name, spec.slice(eq + 1));
  }
}
