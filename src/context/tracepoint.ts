/**
 * Classic tracepoint records: the layout a tracefs `format` file describes
 * (`/sys/kernel/tracing/events/syscalls/sys_enter_openat/format`), and a record built from field
 * values given by name. Integer fields take numbers or bigints (signed or unsigned), `char x[N]`
 * fields strings, any field raw bytes; a `__data_loc` field's string or bytes go after the fixed
 * fields, its 32-bit slot holding `length << 16 | offset` as the kernel's dynamic arrays do.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkObject, checkString, describeValue } from '../validate.js';

/** One field of a trace event record. */
export interface TracepointField {
  /** The C name (`filename`, `common_pid`). */
  readonly name: string;
  /** The declaration as the format file gives it (`const char * filename`). */
  readonly declaration: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
  /** A `__data_loc` (dynamic array) field: the slot holds `length << 16 | offset` of data after the fixed fields. */
  readonly dataLoc: boolean;
}

/** A trace event's record layout. */
export interface TracepointFormat {
  /** The event's name (`sys_enter_openat`; '' when the text has no `name:` line). */
  readonly name: string;
  /** The event id (`common_type` of its records; 0 when the text has no `ID:` line). */
  readonly id: number;
  readonly fields: readonly TracepointField[];
  /** Bytes of the fixed part: the end of the last field. */
  readonly size: number;
}

/** A field value: an integer, a string (char arrays, `__data_loc` strings) or raw bytes. */
export type TracepointFieldValue = number | bigint | string | Uint8Array;

/** Largest format text, fields and record accepted (the kernel's records are at most 8 KiB). */
const MAX_FORMAT_TEXT = 1 << 20;
const MAX_FIELDS = 1024;
const MAX_RECORD = 8192;

const FIELD_LINE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;

/**
 * Parse the text of a tracefs `format` file. Throws an ArgumentError naming the line when a field
 * line is malformed or lies outside the 8 KiB a record may have, or when there is no field.
 */
export function parseTracepointFormat(text: string): TracepointFormat {
  checkString(text, 'text');
  if (text.length > MAX_FORMAT_TEXT) throw new ArgumentError(`a tracepoint format of ${text.length} characters is larger than the ${MAX_FORMAT_TEXT} accepted`);
  let name = '';
  let id = 0;
  const fields: TracepointField[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const n = /^name:\s*(\S+)/.exec(line);
    if (n !== null) name = n[1]!;
    const d = /^ID:\s*(\d+)/.exec(line);
    if (d !== null) id = Number(d[1]) >>> 0;
    if (!/^\s*field:/.test(line)) continue;
    const m = FIELD_LINE.exec(line);
    if (m === null) throw new ArgumentError(`tracepoint format line ${i + 1}: not 'field:DECL; offset:N; size:N; signed:N;': ${line.trim().slice(0, 100)}`);
    const declaration = m[1]!.trim();
    const offset = Number(m[2]);
    const size = Number(m[3]);
    if (size === 0 || offset + size > MAX_RECORD) throw new ArgumentError(`tracepoint format line ${i + 1}: field at offset ${offset} of ${size} bytes lies outside the ${MAX_RECORD}-byte record`);
    const ident = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])*\s*$/.exec(declaration.replace(/\[\s*\]\s*$/, ''));
    const fieldName = ident?.[1];
    if (fieldName === undefined) throw new ArgumentError(`tracepoint format line ${i + 1}: no field name in '${declaration}'`);
    if (fields.length >= MAX_FIELDS) throw new ArgumentError(`a tracepoint format may have at most ${MAX_FIELDS} fields`);
    fields.push({ name: fieldName, declaration, offset, size, signed: m[4] !== '0', dataLoc: /^__(data|rel)_loc\b/.test(declaration) });
  }
  if (fields.length === 0) throw new ArgumentError('the tracepoint format has no field lines (the text of a tracefs events/.../format file is expected)');
  return { name, id, fields, size: Math.max(...fields.map((f) => f.offset + f.size)) };
}

/** Bytes of a value for a field that takes a string or raw bytes. */
function bytesOf(value: TracepointFieldValue, name: string): Uint8Array | undefined {
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return undefined;
  throw new ArgumentError(`event.fields.${name} must be a number, bigint, string or Uint8Array, not ${describeValue(value)}`);
}

/** `format` checked as a {@link TracepointFormat} a caller may have built by hand. */
function checkFormat(format: unknown): TracepointFormat {
  const f = checkObject(format, 'event.format') as Record<string, unknown>;
  if (!Array.isArray(f.fields) || f.fields.length === 0 || f.fields.length > MAX_FIELDS) throw new ArgumentError(`event.format.fields must be an array of 1 to ${MAX_FIELDS} fields (parseTracepointFormat gives one)`);
  for (const [i, x] of (f.fields as unknown[]).entries()) {
    const fd = checkObject(x, `event.format.fields[${i}]`) as Record<string, unknown>;
    const ok = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
    if (typeof fd.name !== 'string' || !ok(fd.offset, MAX_RECORD) || !ok(fd.size, MAX_RECORD) || (fd.offset as number) + (fd.size as number) > MAX_RECORD) {
      throw new ArgumentError(`event.format.fields[${i}] must have a name and an offset and size inside ${MAX_RECORD} bytes`);
    }
  }
  return format as TracepointFormat;
}

/**
 * A record in `format`'s layout with the given field values (the rest 0; `common_type` the format's
 * id and `common_pid` `pid` unless given). An unknown field name, a value that does not fit its field
 * or a record past 8 KiB is an ArgumentError naming the field.
 */
export function tracepointRecord(format: TracepointFormat, values: Readonly<Record<string, TracepointFieldValue>>, pid = 0): Uint8Array {
  const fmt = checkFormat(format);
  const vals = checkObject(values, 'event.fields') as Record<string, TracepointFieldValue>;
  const byName = new Map(fmt.fields.map((f) => [f.name, f]));
  const fixed = Math.max(...fmt.fields.map((f) => f.offset + f.size));
  const dynamic: [TracepointField, Uint8Array][] = [];
  const scalars: [TracepointField, TracepointFieldValue][] = [];
  const defaults: Record<string, number> = { common_type: fmt.id, common_pid: pid };
  for (const [n, v] of Object.entries(defaults)) if (byName.has(n) && !(n in vals)) scalars.push([byName.get(n)!, v]);
  let tail = fixed;
  for (const [name, value] of Object.entries(vals)) {
    const field = byName.get(name);
    if (field === undefined) throw new ArgumentError(`event.fields.${name}: the format${fmt.name === '' ? '' : ` of ${fmt.name}`} has no such field (${fmt.fields.map((f) => f.name).join(', ')})`);
    if (field.dataLoc) {
      const b = bytesOf(value, name);
      if (b === undefined) throw new ArgumentError(`event.fields.${name} is a __data_loc field: give a string or a Uint8Array`);
      // A string is stored with its NUL, as the kernel's __string() fields are.
      const data = typeof value === 'string' ? Uint8Array.from([...b, 0]) : b;
      if (tail + data.length > MAX_RECORD || data.length > 0xffff) throw new ArgumentError(`event.fields.${name}: the record would be larger than ${MAX_RECORD} bytes`);
      dynamic.push([field, data]);
      tail += data.length;
    } else scalars.push([field, value]);
  }
  const out = new Uint8Array(tail);
  const v = new DataView(out.buffer);
  for (const [field, value] of scalars) {
    const b = bytesOf(value, field.name);
    if (b !== undefined) {
      if (b.length > field.size) throw new ArgumentError(`event.fields.${field.name}: ${b.length} bytes do not fit the ${field.size}-byte field`);
      out.set(b, field.offset);
      continue;
    }
    if (![1, 2, 4, 8].includes(field.size)) throw new ArgumentError(`event.fields.${field.name}: a ${field.size}-byte field takes a string or a Uint8Array, not a number`);
    const bits = BigInt(field.size * 8);
    const n = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value as number) : undefined;
    if (n === undefined || n < -(1n << (bits - 1n)) || n >= 1n << bits) {
      throw new ArgumentError(`event.fields.${field.name} must be an integer that fits ${field.size} bytes, not ${describeValue(value)}`);
    }
    const u = BigInt.asUintN(Number(bits), n);
    for (let i = 0; i < field.size; i++) out[field.offset + i] = Number((u >> BigInt(8 * i)) & 0xffn);
  }
  let at = fixed;
  for (const [field, data] of dynamic) {
    out.set(data, at);
    if (field.size >= 4) v.setUint32(field.offset, ((data.length << 16) | (field.declaration.startsWith('__rel_loc') ? at - field.offset - field.size : at)) >>> 0, true);
    at += data.length;
  }
  return out;
}
