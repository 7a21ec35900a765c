/**
 * The maps of a loaded object as the CLI shows them (entries decoded through BTF) and fills them
 * (`--map NAME=FILE.json`).
 * @module
 */
import { btfMapDefs, datasecVariables, type Btf } from '../elf/btf.js';
import type { BpfObject } from '../elf/loader.js';
import type { BpfMap } from '../maps/map.js';
import { BloomFilterMap } from '../maps/bloom.js';
import { CgroupArrayMap } from '../maps/cgroup-array.js';
import { CgroupStorageMap } from '../maps/cgroup-storage.js';
import { UserRingBufMap } from '../maps/user-ringbuf.js';
import { MapType, mapTypeName } from '../maps/types.js';
import { EbpfError } from '../errors.js';
import { decodeValue, encodeValue, formatValue, typeName, type JsonValue, type ValueType } from './btf-values.js';
import { InputError } from './input-error.js';

/** Key and value types of one map. */
export interface MapTypes {
  /** Key type (size only when the object has no BTF type for it). */
  readonly key: ValueType;
  /** Value type. */
  readonly value: ValueType;
  /** Readable names of the key and value types (`__u32`, `struct counter`, or `8 bytes`). */
  readonly keyName: string;
  /** See {@link MapTypes.keyName}. */
  readonly valueName: string;
}

/** One map's contents, decoded. */
export interface MapDump {
  /** Map name. */
  readonly name: string;
  /** Map type, short (`hash`, `array`, `percpu_array`…). */
  readonly type: string;
  /** Key type name. */
  readonly keyType: string;
  /** Value type name. */
  readonly valueType: string;
  /** Entries, sorted by key bytes; per-CPU values are arrays with one element per CPU. */
  readonly entries: readonly { readonly key: JsonValue; readonly value: JsonValue }[];
  /** Set when the map's contents cannot be listed (ring buffers, program arrays…). */
  readonly note?: string;
}

/** `hash` from `BPF_MAP_TYPE_HASH`. */
export function shortMapType(type: number): string {
  const name = mapTypeName(type);
  return name.startsWith('BPF_MAP_TYPE_') ? name.slice('BPF_MAP_TYPE_'.length).toLowerCase() : name;
}

/** True for the maps clang makes of global data (`.bss`, `.data`, `.rodata…`). */
export function isGlobalData(name: string): boolean {
  return /^\.(data|rodata|bss)(\..*)?$/.test(name);
}

const PER_CPU: ReadonlySet<number> = new Set([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE]);

/** Key and value types of a map, from the object's BTF when it has them. */
export function mapTypes(obj: BpfObject, map: BpfMap): MapTypes {
  const btf = obj.btf;
  const sized = (size: number): ValueType => ({ size });
  let key: ValueType = sized(map.keySize);
  let value: ValueType = sized(map.valueSize);
  if (btf !== undefined) {
    try {
      const def = btfMapDefs(btf).find((d) => d.name === map.name);
      if (def?.keyType !== undefined) key = { btf, id: def.keyType, size: map.keySize };
      if (def?.valueType !== undefined) value = { btf, id: def.valueType, size: map.valueSize };
    } catch {
      // Malformed map BTF was already reported by the loader if it mattered; show sizes only.
    }
  }
  const nameOf = (t: ValueType): string =>
    t.btf !== undefined && t.id !== undefined ? typeName(t.btf, t.id) : `${t.size} bytes`;
  return { key, value, keyName: nameOf(key), valueName: isGlobalData(map.name) ? 'global variables' : nameOf(value) };
}

/**
 * A global-data section's variables from its DATASEC, at the offsets of their ELF symbols: clang 14
 * writes 0 for every variable's DATASEC offset, which libbpf fills in from the symbol table too.
 */
function sectionVariables(obj: BpfObject, btf: Btf, section: string): ReturnType<typeof datasecVariables> {
  const at = new Map(obj.variables().filter((g) => g.section === section).map((g) => [g.name, g.offset]));
  return datasecVariables(btf, section).map((v) => ({ ...v, offset: at.get(v.name) ?? v.offset }));
}

/** Decode a global-data section's single value as `{ variable: value }` through its DATASEC. */
function globalVariables(obj: BpfObject, map: BpfMap, bytes: Uint8Array): JsonValue {
  const btf = obj.btf;
  const vars = btf === undefined ? [] : sectionVariables(obj, btf, map.name);
  if (btf === undefined || vars.length === 0) return decodeValue({ size: bytes.length }, bytes);
  const out: { [name: string]: JsonValue } = {};
  for (const v of vars) {
    out[v.name] = decodeValue({ btf, id: v.type, size: v.size }, bytes.subarray(v.offset, v.offset + v.size), v.name);
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  // Little-endian numeric order for integer-sized keys, so array indexes and counters sort naturally.
  for (let i = Math.max(a.length, b.length) - 1; i >= 0; i--) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Most entries an array map may have for its contents to be listed in a report or saved: every index
 * of an array is an entry, so a huge one (katran's 134 million-entry `ch_rings`) would not fit in memory
 * as JSON. Larger arrays are reported with a note; the API reads them entry by entry.
 */
export const MAX_LISTED_ARRAY_ENTRIES = 1 << 16;

/** Decode every entry of a map (arrays of more than {@link MAX_LISTED_ARRAY_ENTRIES} get a note instead). */
export function dumpMap(obj: BpfObject, map: BpfMap): MapDump {
  const types = mapTypes(obj, map);
  const base = { name: map.name, type: shortMapType(map.spec.type), keyType: types.keyName, valueType: types.valueName };
  if ((map.spec.type === MapType.ARRAY || map.spec.type === MapType.PERCPU_ARRAY) && map.spec.maxEntries > MAX_LISTED_ARRAY_ENTRIES) {
    return { ...base, entries: [], note: `${map.spec.maxEntries} entries (not listed: more than ${MAX_LISTED_ARRAY_ENTRIES}; read them with the API, obj.map('${map.name}'))` };
  }
  if (map instanceof BloomFilterMap) {
    return { ...base, entries: [], note: `bloom filter, ${map.bitsSet()} of ${map.bitCount} bits set by ${map.hashes} hash functions (values are not kept: test one with the API, obj.map('${map.name}').has(value))` };
  }
  if (map instanceof UserRingBufMap) {
    return { ...base, entries: [], note: `user ring buffer, ${map.pending} samples waiting (${map.freeBytes} of ${map.spec.maxEntries} bytes free; the host submits samples with the API, obj.map('${map.name}').submit(bytes))` };
  }
  if (map instanceof CgroupArrayMap) {
    const slots = map.cgroups();
    return { ...base, entries: slots.map(([i, id]) => ({ key: i, value: id.toString() })), note: `${slots.length} of ${map.spec.maxEntries} slots hold a cgroup (values: cgroup ids)` };
  }
  let entries: [Uint8Array, Uint8Array][];
  try {
    entries = map.entries();
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { ...base, entries: [], note: `contents not listed (${e.message})` };
  }
  if (map.spec.type === MapType.PROG_ARRAY || map.spec.type === MapType.RINGBUF || map.spec.type === MapType.PERF_EVENT_ARRAY) {
    return { ...base, entries: [], note: `${entries.length} entries (not decoded for this map type)` };
  }
  entries.sort((x, y) => compareBytes(x[0], y[0]));
  const decoded = entries.map(([k, v]) => {
    const key = decodeValue(types.key, k);
    if (isGlobalData(map.name)) return { key, value: globalVariables(obj, map, v) };
    if (PER_CPU.has(map.spec.type)) {
      const stride = Math.ceil(map.valueSize / 8) * 8;
      const cpus = Math.max(1, Math.floor(v.length / stride));
      const values = Array.from({ length: cpus }, (_, c) => decodeValue(types.value, v.subarray(c * stride, c * stride + map.valueSize)));
      return { key, value: values };
    }
    return { key, value: decodeValue(types.value, v) };
  });
  return { ...base, entries: decoded };
}

/** The maps worth showing after a run: every map except read-only data (`.rodata`: format strings, constants). */
export function dumpMaps(obj: BpfObject): MapDump[] {
  return [...obj.maps.values()].filter((m) => !m.name.startsWith('.rodata')).map((m) => dumpMap(obj, m));
}

/** Text lines of a map dump, indented by two spaces. */
export function formatMapDump(d: MapDump): string {
  const count = d.note ?? `${d.entries.length} ${d.entries.length === 1 ? 'entry' : 'entries'}`;
  let out = `  ${d.name} (${d.type}, key ${d.keyType}, value ${d.valueType}): ${count}\n`;
  for (const e of d.entries) out += `    ${formatValue(e.key)}: ${formatValue(e.value)}\n`;
  return out;
}

/**
 * Fill map `name` from JSON text: an array of `{ "key": K, "value": V }` objects, or an object whose
 * property names are keys. Returns the number of entries written.
 */
export function preloadMap(obj: BpfObject, name: string, jsonText: string, file: string): number {
  let doc: JsonValue;
  try {
    doc = JSON.parse(jsonText) as JsonValue;
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ')})`);
  }
  return preloadEntries(obj, name, doc, file);
}

/** Fill map `name` from parsed JSON (see {@link preloadMap}); `file` names the source in messages. */
export function preloadEntries(obj: BpfObject, name: string, doc: JsonValue, file: string): number {
  const map = obj.maps.get(name);
  if (map === undefined) {
    throw new InputError(`--map ${name}: the object has no map named ${name}; maps: ${[...obj.maps.keys()].join(', ') || 'none'}`);
  }
  let pairs: [JsonValue, JsonValue][];
  if (Array.isArray(doc)) {
    pairs = doc.map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item) || !('key' in item) || !('value' in item)) {
        throw new InputError(`${file}: entry ${i} must be an object with "key" and "value"`);
      }
      return [item.key!, item.value!];
    });
  } else if (doc !== null && typeof doc === 'object') {
    pairs = Object.entries(doc);
  } else {
    throw new InputError(`${file}: expected an array of {"key", "value"} objects or an object of key: value`);
  }
  const types = mapTypes(obj, map);
  pairs.forEach(([k, v], i) => {
    const where = `${file}: entry ${i}`;
    const key = encodeValue(types.key, k, `${where} key`);
    const value = isGlobalData(map.name) ? encodeGlobals(obj, map, v, where) : encodeValue(types.value, v, `${where} value`);
    try {
      // A cgroup storage value exists once a program is attached: an entry of the file is an attachment.
      if (map instanceof CgroupStorageMap) {
        const v = new DataView(key.buffer, key.byteOffset, key.length);
        map.attach(v.getBigUint64(0, true), key.length === 16 ? v.getUint32(8, true) : 0);
      }
      map.update(key, value);
    } catch (e) {
      if (e instanceof EbpfError) throw new InputError(`${where}: ${e.message}`);
      throw e;
    }
  });
  return pairs.length;
}

function encodeGlobals(obj: BpfObject, map: BpfMap, v: JsonValue, where: string): Uint8Array {
  const current = map.lookup(new Uint8Array(4)) ?? new Uint8Array(map.valueSize);
  const btf = obj.btf;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || btf === undefined) {
    return encodeValue({ size: map.valueSize }, v, `${where} value`);
  }
  const vars = sectionVariables(obj, btf, map.name);
  for (const [name, x] of Object.entries(v)) {
    const found = vars.find((g) => g.name === name);
    if (found === undefined) throw new InputError(`${where}: ${map.name} has no variable '${name}'; variables: ${vars.map((g) => g.name).join(', ')}`);
    current.set(encodeValue({ btf, id: found.type, size: found.size }, x, `${where} ${name}`), found.offset);
  }
  return current;
}
