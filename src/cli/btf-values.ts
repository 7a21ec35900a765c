/**
 * Map keys and values as people read and write them: bytes decoded through BTF (integers, structs,
 * arrays, IPv4 addresses) into JSON-able values and one-line text, and JSON values encoded back into
 * bytes for `--map` preloading.
 *
 * Byte-order conventions: the kernel's `__be16` / `__be32` / `__be64` typedefs are shown and read in host
 * order (as `bpf_ntohs` would give); a 4-byte big-endian value, or any 4-byte integer whose field or
 * typedef name says it is an address (`saddr`, `daddr`, `addr`, `ip`…), is shown as a dotted IPv4 address.
 * @module
 */
import { BtfKind, type Btf, type BtfType } from '../elf/btf.js';
import { InputError } from './input-error.js';

/** A decoded value: what `--json` prints and `--map` files hold. */
export type JsonValue = number | string | boolean | null | JsonValue[] | { [field: string]: JsonValue };

/** How to decode or encode bytes: a BTF type, or just a size when the map has no BTF type. */
export interface ValueType {
  /** The BTF of the object, when the type is known. */
  readonly btf?: Btf | undefined;
  /** BTF type id (0 or absent: untyped). */
  readonly id?: number | undefined;
  /** Size in bytes. */
  readonly size: number;
}

/** Names that make a 4-byte integer an IPv4 address. */
const ADDRESS_NAME = /(^|_)(s|d|src|dst|local|remote|peer|client|server)?(addr|ip|ip4|ipv4|address)(_|$)|^(saddr|daddr|src_ip|dst_ip)$/i;

/** What following typedefs and modifiers says about an integer. */
interface IntTraits {
  readonly bigEndian: boolean;
  readonly address: boolean;
}

/** Walk modifiers and typedefs of `id`, noting `__beNN` and address-like typedef names. */
function traitsOf(btf: Btf, id: number, fieldName: string): { type: BtfType; traits: IntTraits } {
  let bigEndian = false;
  let address = ADDRESS_NAME.test(fieldName);
  let t = btf.type(id);
  for (let depth = 0; depth < 64; depth++) {
    if (t.kind === BtfKind.TYPEDEF) {
      if (/^__be(16|32|64)$/.test(t.name)) bigEndian = true;
      if (ADDRESS_NAME.test(t.name) || /^in_addr_t$/.test(t.name)) address = true;
    }
    if (t.kind === BtfKind.TYPEDEF || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.CONST ||
        t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG || t.kind === BtfKind.VAR) {
      t = btf.type(t.sizeOrType);
      continue;
    }
    break;
  }
  return { type: t, traits: { bigEndian, address } };
}

/** A C-like name of a BTF type, for headings (`struct counter`, `__be32`, `__u64[4]`). */
export function typeName(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void';
  const t = btf.type(id);
  if (depth > 16) return '...';
  switch (t.kind) {
    case BtfKind.STRUCT: return `struct ${t.name || '(anon)'}`;
    case BtfKind.UNION: return `union ${t.name || '(anon)'}`;
    case BtfKind.ENUM: case BtfKind.ENUM64: return `enum ${t.name || '(anon)'}`;
    case BtfKind.ARRAY: return `${typeName(btf, t.array!.type, depth + 1)}[${t.array!.nelems}]`;
    case BtfKind.PTR: return `${typeName(btf, t.sizeOrType, depth + 1)} *`;
    case BtfKind.CONST: return `const ${typeName(btf, t.sizeOrType, depth + 1)}`;
    case BtfKind.VOLATILE: return `volatile ${typeName(btf, t.sizeOrType, depth + 1)}`;
    default: return t.name || `type ${id}`;
  }
}

function isSignedInt(t: BtfType): boolean {
  return !/unsigned|_Bool|^char$/.test(t.name) && /char|short|int|long/.test(t.name);
}

function readUint(bytes: Uint8Array, at: number, size: number, bigEndian: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) {
    const b = bytes[bigEndian ? at + i : at + size - 1 - i] ?? 0;
    v = (v << 8n) | BigInt(b);
  }
  return v;
}

function writeUint(out: Uint8Array, at: number, size: number, value: bigint, bigEndian: boolean): void {
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[bigEndian ? at + size - 1 - i : at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** A bigint as a JSON number when it is exact, else as a decimal string. */
function jsonInt(v: bigint): JsonValue {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function hexBytes(bytes: Uint8Array): string {
  return '0x' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function dotted(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** Decode `size` bytes at `at` as type `id`; `field` is the member or map-side name (for address hints). */
function decodeAt(btf: Btf, id: number, bytes: Uint8Array, at: number, field: string, depth: number): JsonValue {
  if (depth > 32) return hexBytes(bytes.subarray(at, at + btf.sizeOf(id)));
  const { type: t, traits } = traitsOf(btf, id, field);
  switch (t.kind) {
    case BtfKind.INT: case BtfKind.ENUM: case BtfKind.ENUM64: {
      const size = t.sizeOrType;
      if (size === 4 && (traits.address || traits.bigEndian)) return dotted(bytes, at);
      const raw = readUint(bytes, at, size, traits.bigEndian);
      if (t.name === '_Bool') return raw !== 0n;
      return jsonInt(t.kind === BtfKind.INT && isSignedInt(t) ? BigInt.asIntN(size * 8, raw) : raw);
    }
    case BtfKind.PTR:
      return `0x${readUint(bytes, at, 8, false).toString(16)}`;
    case BtfKind.ARRAY: {
      const elem = t.array!.type;
      const n = t.array!.nelems;
      const step = btf.sizeOf(elem);
      const et = btf.resolve(elem);
      if (et.kind === BtfKind.INT && step === 1 && /char/.test(et.name)) {
        const raw = bytes.subarray(at, at + n);
        const end = raw.indexOf(0);
        const text = raw.subarray(0, end < 0 ? n : end);
        if (text.every((b) => b >= 0x20 && b < 0x7f) && raw.subarray(text.length).every((b) => b === 0)) {
          return new TextDecoder().decode(text);
        }
      }
      return Array.from({ length: n }, (_, i) => decodeAt(btf, elem, bytes, at + i * step, field, depth + 1));
    }
    case BtfKind.STRUCT: case BtfKind.UNION: {
      const out: { [field: string]: JsonValue } = {};
      (t.members ?? []).forEach((m, i) => {
        if (m.bitOffset % 8 !== 0) return;
        out[m.name || `#${i}`] = decodeAt(btf, m.type, bytes, at + m.bitOffset / 8, m.name, depth + 1);
      });
      return out;
    }
    default:
      return hexBytes(bytes.subarray(at, at + Math.max(0, btf.sizeOf(id))));
  }
}

/**
 * Decode bytes as a JSON value. Untyped 1-, 2-, 4- and 8-byte values are little-endian unsigned
 * integers; other untyped values are hex strings of their bytes.
 */
export function decodeValue(type: ValueType, bytes: Uint8Array, name = ''): JsonValue {
  if (type.btf !== undefined && type.id !== undefined && type.id !== 0) {
    try {
      return decodeAt(type.btf, type.id, bytes, 0, name, 0);
    } catch {
      // Inconsistent BTF: fall back to the raw bytes rather than fail a whole report.
    }
  }
  if (bytes.length === 1 || bytes.length === 2 || bytes.length === 4 || bytes.length === 8) {
    return jsonInt(readUint(bytes, 0, bytes.length, false));
  }
  return hexBytes(bytes);
}

/** One-line text of a decoded value: `{ packets: 1, bytes: 54 }`, `[1, 2]`, `10.0.0.1`. */
export function formatValue(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (typeof v === 'object') {
    const fields = Object.entries(v).map(([k, x]) => `${k}: ${formatValue(x)}`);
    return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
  }
  return String(v);
}

function encodeError(where: string, message: string): InputError {
  return new InputError(`${where}: ${message}`);
}

/** Parse a JSON integer: a number, a decimal string, or a `0x` hex string; negative values wrap. */
function parseInteger(v: JsonValue, where: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw encodeError(where, `${v} is not an integer (use a string for values beyond 2^53)`);
    return BigInt(v);
  }
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string' && /^-?(0x[0-9a-f]+|\d+)$/i.test(v.trim())) {
    const s = v.trim();
    return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
  }
  throw encodeError(where, `expected an integer (number, "123" or "0x7b"), got ${JSON.stringify(v)}`);
}

function parseHexBytes(v: JsonValue, size: number, where: string): Uint8Array | undefined {
  if (typeof v !== 'string') return undefined;
  const compact = v.replace(/^0x/i, '').replace(/[\s:]+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(compact)) return undefined;
  if (compact.length !== size * 2) {
    throw encodeError(where, `hex string ${JSON.stringify(v)} has ${compact.length / 2} bytes; this type has ${size}`);
  }
  return Uint8Array.from({ length: size }, (_, i) => parseInt(compact.slice(2 * i, 2 * i + 2), 16));
}

function parseDotted(v: JsonValue): number[] | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v.trim());
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function encodeAt(btf: Btf, id: number, v: JsonValue, out: Uint8Array, at: number, field: string, where: string, depth: number): void {
  if (depth > 32) throw encodeError(where, 'type nesting too deep');
  const { type: t, traits } = traitsOf(btf, id, field);
  const size = btf.sizeOf(id);
  const raw = t.kind === BtfKind.INT || t.kind === BtfKind.ENUM || t.kind === BtfKind.PTR ? undefined : parseHexBytes(v, size, where);
  switch (t.kind) {
    case BtfKind.INT: case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.PTR: {
      const quad = size === 4 ? parseDotted(v) : undefined;
      if (quad !== undefined) {
        out.set(quad, at);
        return;
      }
      writeUint(out, at, size, parseInteger(v, where), traits.bigEndian);
      return;
    }
    case BtfKind.ARRAY: {
      if (raw !== undefined) return void out.set(raw, at);
      const elem = t.array!.type;
      const step = btf.sizeOf(elem);
      if (typeof v === 'string' && step === 1) {
        const text = new TextEncoder().encode(v);
        if (text.length > t.array!.nelems) throw encodeError(where, `string of ${text.length} bytes does not fit ${t.array!.nelems}`);
        return void out.set(text, at);
      }
      if (!Array.isArray(v)) throw encodeError(where, `expected an array of ${t.array!.nelems} elements or a hex string, got ${JSON.stringify(v)}`);
      if (v.length > t.array!.nelems) throw encodeError(where, `${v.length} elements, but the array has ${t.array!.nelems}`);
      v.forEach((x, i) => encodeAt(btf, elem, x, out, at + i * step, field, `${where}[${i}]`, depth + 1));
      return;
    }
    case BtfKind.STRUCT: case BtfKind.UNION: {
      if (raw !== undefined) return void out.set(raw, at);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        throw encodeError(where, `expected an object with fields ${(t.members ?? []).map((m) => m.name).join(', ')} or a hex string, got ${JSON.stringify(v)}`);
      }
      for (const [name, x] of Object.entries(v)) {
        const m = (t.members ?? []).find((mm) => mm.name === name);
        if (m === undefined) {
          throw encodeError(where, `${typeName(btf, t.id)} has no field '${name}'; fields: ${(t.members ?? []).map((mm) => mm.name).join(', ')}`);
        }
        if (m.bitOffset % 8 !== 0) throw encodeError(where, `field '${name}' is a bitfield; give the value as a hex string`);
        encodeAt(btf, m.type, x, out, at + m.bitOffset / 8, name, `${where}.${name}`, depth + 1);
      }
      return;
    }
    default:
      if (raw !== undefined) return void out.set(raw, at);
      throw encodeError(where, `cannot encode a value of ${typeName(btf, id)}; give it as a hex string of ${size} bytes`);
  }
}

/**
 * Encode a JSON value as bytes of `type` (see the module comment and `tsbpf run --help` for the forms
 * accepted). Throws {@link InputError} naming `where` on values that do not fit.
 */
export function encodeValue(type: ValueType, v: JsonValue, where: string): Uint8Array {
  const out = new Uint8Array(type.size);
  if (type.btf !== undefined && type.id !== undefined && type.id !== 0) {
    encodeAt(type.btf, type.id, v, out, 0, '', where, 0);
    return out;
  }
  if (type.size > 8 || ![1, 2, 4, 8].includes(type.size)) {
    const raw = parseHexBytes(v, type.size, where);
    if (raw === undefined) throw encodeError(where, `give this untyped ${type.size}-byte value as a hex string of its bytes`);
    return raw;
  }
  const quad = type.size === 4 ? parseDotted(v) : undefined;
  if (quad !== undefined) return Uint8Array.from(quad);
  writeUint(out, 0, type.size, parseInteger(v, where), false);
  return out;
}
