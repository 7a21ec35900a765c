/**
 * `tsbpf run OBJ.o --event FILE.json`: the host-described event of a tracing run, as JSON. Integers
 * are JSON numbers or strings (`"0x7ffd00001000"`, `"-100"`); the task, memory blocks and perf counters
 * feed the helpers; a tracepoint's `format` is the path of a tracefs format file (relative to the
 * event file). Every problem is a usage error naming `--event FILE` and the field.
 * @module
 */
import { MAX_CGROUP_LEVELS } from '../helpers/skb-info.js';
import { dirname, resolve } from 'node:path';
import { ArgumentError } from '../errors.js';
import { MAX_STACK_FRAMES, type CgroupDescription, type PerfCounterSlot, type PidNamespace, type ProbeMemoryBlock, type TaskDescription } from '../helpers/task.js';
import type { TracingEvent } from '../context/tracing.js';
import type { FileDescription, ImaHash, SkbDescription } from '../helpers/event-objects.js';
import { parseTracepointFormat, type TracepointFieldValue, type TracepointFormat } from '../context/tracepoint.js';
import { UsageError } from './args.js';
import { parseHex, readInputFile } from './input.js';

/** An event file read: the event (the context) and the options of the run (task, memory, counters). */
export interface EventFile {
  readonly event: TracingEvent;
  readonly task?: TaskDescription;
  /** Other tasks (iterators' objects), by address. */
  readonly tasks?: readonly TaskDescription[];
  /** Iterators: the objects to show one after the other, each its fields (`args`), as one read() of the iterator. */
  readonly objects?: readonly (readonly bigint[])[];
  readonly probeMemory?: readonly ProbeMemoryBlock[];
  readonly perfCounters?: readonly PerfCounterSlot[];
  /** Cgroups (`struct cgroup` pointers a program is given), by address. */
  readonly cgroups?: readonly CgroupDescription[];
  /** Socket buffers (`bpf_skb_output`), by address. */
  readonly skbs?: readonly SkbDescription[];
  /** Open files (`bpf_d_path`, `bpf_ima_file_hash`). */
  readonly files?: readonly FileDescription[];
}

/** Largest event file, format file and total of memory blocks read. */
const MAX_EVENT_FILE = 16 << 20;
const MAX_MEMORY_BYTES = 64 << 20;
const MAX_BLOCKS = 4096;

const KEYS = ['regs', 'args', 'buffer', 'ret', 'funcIp', 'cookie', 'record', 'format', 'fields', 'samplePeriod', 'addr', 'counter', 'seqNum', 'sessionId', 'objects', 'task', 'tasks', 'cgroups', 'memory', 'perfCounters', 'skbs', 'files'];
const INTEGER = /^-?(0x[0-9a-f]+|[0-9]+)$/i;

/** The event file's reader, naming the file in every error. */
class Reader {
  constructor(readonly path: string) {}

  fail(message: string): never {
    throw new UsageError(`--event ${this.path}: ${message}`);
  }

  object(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`${where} must be an object`);
    return v as Record<string, unknown>;
  }

  array(v: unknown, where: string, max: number): unknown[] {
    if (!Array.isArray(v)) this.fail(`${where} must be an array`);
    if (v.length > max) this.fail(`${where} has ${v.length} entries; at most ${max}`);
    return v;
  }

  /** Bytes of memory blocks read so far (all of an event's count against {@link MAX_MEMORY_BYTES}). */
  private memoryBytes = 0;

  /** Memory blocks `[{"address", "hex" | "string"}]`. */
  blocks(v: unknown, where: string): ProbeMemoryBlock[] {
    return this.array(v, where, MAX_BLOCKS).map((x, i) => {
      const o = this.object(x, `${where}[${i}]`);
      for (const k of Object.keys(o)) if (!['address', 'hex', 'string'].includes(k)) this.fail(`${where}[${i}]: unknown key "${k}" (a block has address and hex or string)`);
      const address = this.integer(o.address, `${where}[${i}].address`, 0n);
      const bytes = this.bytes(o, `${where}[${i}]`);
      this.memoryBytes += bytes.length;
      if (this.memoryBytes > MAX_MEMORY_BYTES) this.fail(`memory blocks of more than ${MAX_MEMORY_BYTES} bytes in all`);
      if (address + BigInt(bytes.length) > 1n << 64n) this.fail(`${where}[${i}]: ${bytes.length} bytes at 0x${address.toString(16)} run past the end of the 64-bit address space`);
      return { address, bytes };
    });
  }

  /** An integer from a JSON number (a safe integer) or a decimal / 0x string, as a bigint. */
  integer(v: unknown, where: string, min = -(1n << 63n), max = (1n << 64n) - 1n): bigint {
    let n: bigint | undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
    else if (typeof v === 'string' && INTEGER.test(v.trim())) n = v.trim().startsWith('-') ? -BigInt(v.trim().slice(1)) : BigInt(v.trim());
    if (n === undefined) this.fail(`${where} must be an integer (a JSON number, or a string such as "0x7ffd00001000" or "-1"), not ${JSON.stringify(v)?.slice(0, 40)}`);
    if (n < min || n > max) this.fail(`${where} must be from ${min} to ${max}, not ${n}`);
    return n;
  }

  number(v: unknown, where: string, max: number): number {
    return Number(this.integer(v, where, 0n, BigInt(max)));
  }

  /** Bytes from `{ "hex": "..." }` or `{ "string": "..." }` (UTF-8, with a NUL). */
  bytes(v: unknown, where: string): Uint8Array {
    const o = this.object(v, where);
    if (typeof o.hex === 'string') {
      try {
        return parseHex(o.hex, `--event ${this.path}: ${where}.hex`);
      } catch (e) {
        this.fail(e instanceof Error ? e.message.replace(/^--event [^:]*: /, '') : String(e));
      }
    }
    if (typeof o.string === 'string') return new TextEncoder().encode(`${o.string}\0`);
    this.fail(`${where} must give its bytes as "hex" or "string"`);
  }
}

function readJson(path: string, r: Reader): unknown {
  const bytes = readInputFile(path);
  if (bytes.length > MAX_EVENT_FILE) r.fail(`${bytes.length} bytes; an event file may have at most ${MAX_EVENT_FILE}`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    r.fail(`not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** `task.pidNamespace`: `{"dev", "ino", "pid"?, "tgid"?}` (bpf_get_ns_current_pid_tgid's namespace). */
function pidNamespaceOf(r: Reader, v: unknown): PidNamespace {
  const o = r.object(v, 'task.pidNamespace');
  const known = ['dev', 'ino', 'pid', 'tgid'];
  for (const k of Object.keys(o)) if (!known.includes(k)) r.fail(`task.pidNamespace: unknown key "${k}" (it has ${known.join(', ')})`);
  return {
    dev: r.integer(o.dev, 'task.pidNamespace.dev', 0n),
    ino: r.integer(o.ino, 'task.pidNamespace.ino', 0n),
    ...(o.pid === undefined ? {} : { pid: r.number(o.pid, 'task.pidNamespace.pid', 0xffff_ffff) }),
    ...(o.tgid === undefined ? {} : { tgid: r.number(o.tgid, 'task.pidNamespace.tgid', 0xffff_ffff) }),
  };
}

/** A task: `{"pid", "tgid"?, "uid"?, "gid"?, "comm"?, "cgroup"?, "cgroups"? (its cgroup and ancestors, root first), "address"?, "pidNamespace"?, "kernelStack"?, "userStack"?, "kernelThread"?}`. */
function taskOf(r: Reader, v: unknown, where: string): TaskDescription {
  const t = r.object(v, where);
  const known = ['pid', 'tgid', 'uid', 'gid', 'comm', 'cgroup', 'cgroups', 'address', 'pidNamespace', 'kernelStack', 'userStack', 'kernelThread', 'userMemory'];
  for (const k of Object.keys(t)) if (!known.includes(k)) r.fail(`${where}: unknown key "${k}" (a task has ${known.join(', ')})`);
  if (t.comm !== undefined && typeof t.comm !== 'string') r.fail(`${where}.comm must be a string`);
  if (t.kernelThread !== undefined && typeof t.kernelThread !== 'boolean') r.fail(`${where}.kernelThread must be true or false`);
  const u32 = (k: string): number | undefined => (t[k] === undefined ? undefined : r.number(t[k], `${where}.${k}`, 0xffff_ffff));
  const frames = (k: string): bigint[] => r.array(t[k], `${where}.${k}`, MAX_STACK_FRAMES).map((x, i) => r.integer(x, `${where}.${k}[${i}]`, 0n));
  return {
    pid: u32('pid') ?? 0,
    ...(t.tgid === undefined ? {} : { tgid: u32('tgid') }),
    ...(t.uid === undefined ? {} : { uid: u32('uid') }),
    ...(t.gid === undefined ? {} : { gid: u32('gid') }),
    ...(typeof t.comm === 'string' ? { comm: t.comm } : {}),
    ...(t.cgroup === undefined ? {} : { cgroupId: r.integer(t.cgroup, `${where}.cgroup`, 0n) }),
    ...(t.cgroups === undefined ? {} : { cgroupIds: r.array(t.cgroups, `${where}.cgroups`, MAX_CGROUP_LEVELS).map((x, i) => r.integer(x, `${where}.cgroups[${i}]`, 0n)) }),
    ...(t.address === undefined ? {} : { address: r.integer(t.address, `${where}.address`, 0n) }),
    ...(t.pidNamespace === undefined ? {} : { pidNamespace: pidNamespaceOf(r, t.pidNamespace) }),
    ...(t.kernelStack === undefined ? {} : { kernelStack: frames('kernelStack') }),
    ...(t.userStack === undefined ? {} : { userStack: frames('userStack') }),
    ...(typeof t.kernelThread === 'boolean' ? { kernelThread: t.kernelThread } : {}),
    ...(t.userMemory === undefined ? {} : { userMemory: r.blocks(t.userMemory, `${where}.userMemory`) }),
  };
}

/** A tracepoint field's value: an integer for integer fields, else a string or `{ "hex": ... }` bytes. */
function fieldValue(r: Reader, format: TracepointFormat | undefined, name: string, v: unknown): TracepointFieldValue {
  const where = `fields.${name}`;
  const field = format?.fields.find((f) => f.name === name);
  const scalar = field !== undefined && !field.dataLoc && !field.declaration.includes('[') && [1, 2, 4, 8].includes(field.size);
  if (typeof v === 'number' || (scalar && typeof v === 'string' && INTEGER.test(v.trim()))) return r.integer(v, where);
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return r.bytes(v, where);
  r.fail(`${where} must be an integer, a string or { "hex": ... }`);
}

/** Read and check an event file. */
export function readEventFile(path: string): EventFile {
  const r: Reader = new Reader(path);
  const doc = r.object(readJson(path, r), 'the file');
  for (const key of Object.keys(doc)) if (!KEYS.includes(key)) r.fail(`unknown key "${key}" (an event has ${KEYS.join(', ')})`);
  const event: Record<string, unknown> = {};
  if (doc.regs !== undefined) {
    const regs = r.object(doc.regs, 'regs');
    event.regs = Object.fromEntries(Object.entries(regs).map(([k, v]) => [k, BigInt.asUintN(64, r.integer(v, `regs.${k}`))]));
  }
  if (doc.args !== undefined) event.args = r.array(doc.args, 'args', 12).map((v, i) => BigInt.asUintN(64, r.integer(v, `args[${i}]`)));
  if (doc.record !== undefined) event.record = r.bytes(doc.record, 'record');
  if (doc.buffer !== undefined) event.buffer = r.bytes(doc.buffer, 'buffer');
  let format: TracepointFormat | undefined;
  if (doc.format !== undefined) {
    const formatPath = doc.format;
    if (typeof formatPath !== 'string') r.fail('format must be the path of a tracefs format file (e.g. /sys/kernel/tracing/events/syscalls/sys_enter_openat/format)');
    const file = resolve(dirname(path), formatPath);
    let bytes: Uint8Array;
    try {
      bytes = readInputFile(file);
    } catch (e) {
      r.fail(`format ${formatPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (bytes.length > MAX_EVENT_FILE) r.fail(`format ${formatPath}: ${bytes.length} bytes is too large for a format file`);
    try {
      format = parseTracepointFormat(new TextDecoder().decode(bytes));
    } catch (e) {
      if (e instanceof ArgumentError) r.fail(`format ${formatPath}: ${e.message}`);
      throw e;
    }
    event.format = format;
  }
  if (doc.fields !== undefined) {
    event.fields = Object.fromEntries(Object.entries(r.object(doc.fields, 'fields')).map(([k, v]) => [k, fieldValue(r, format, k, v)]));
  }
  if (doc.samplePeriod !== undefined) event.samplePeriod = r.integer(doc.samplePeriod, 'samplePeriod', 0n);
  if (doc.addr !== undefined) event.addr = BigInt.asUintN(64, r.integer(doc.addr, 'addr'));
  for (const k of ['ret', 'funcIp', 'cookie', 'seqNum', 'sessionId'] as const) if (doc[k] !== undefined) event[k] = BigInt.asUintN(64, r.integer(doc[k], k));
  const counter = (v: unknown, where: string): { counter: bigint; enabled: bigint; running: bigint } => {
    const o = r.object(v, where);
    for (const k of Object.keys(o)) if (!['counter', 'enabled', 'running', 'map', 'index'].includes(k)) r.fail(`${where}: unknown key "${k}"`);
    return {
      counter: r.integer(o.counter, `${where}.counter`, 0n),
      enabled: o.enabled === undefined ? 0n : r.integer(o.enabled, `${where}.enabled`, 0n),
      running: o.running === undefined ? 0n : r.integer(o.running, `${where}.running`, 0n),
    };
  };
  if (doc.counter !== undefined) event.counter = counter(doc.counter, 'counter');
  const task = doc.task === undefined ? undefined : taskOf(r, doc.task, 'task');
  const tasks = doc.tasks === undefined ? undefined : r.array(doc.tasks, 'tasks', MAX_BLOCKS).map((v, i) => taskOf(r, v, `tasks[${i}]`));
  let objects: bigint[][] | undefined;
  if (doc.objects !== undefined) {
    if (doc.args !== undefined || doc.seqNum !== undefined) r.fail('objects lists the objects an iterator shows, numbered in order: leave out args and seqNum');
    objects = r.array(doc.objects, 'objects', MAX_BLOCKS).map((v, i) => r.array(v, `objects[${i}]`, 11).map((x, j) => BigInt.asUintN(64, r.integer(x, `objects[${i}][${j}]`))));
  }
  const probeMemory = doc.memory === undefined ? undefined : r.blocks(doc.memory, 'memory');
  const skbs = doc.skbs === undefined ? undefined : r.array(doc.skbs, 'skbs', MAX_BLOCKS).map((v, i): SkbDescription => {
    const [block] = r.blocks([v], `skbs[${i}]`);
    return { address: block!.address, packet: block!.bytes };
  });
  const files = doc.files === undefined ? undefined : r.array(doc.files, 'files', MAX_BLOCKS).map((v, i) => fileOf(r, v, `files[${i}]`));
  let perfCounters: PerfCounterSlot[] | undefined;
  if (doc.perfCounters !== undefined) {
    perfCounters = r.array(doc.perfCounters, 'perfCounters', MAX_BLOCKS).map((v, i) => {
      const o = r.object(v, `perfCounters[${i}]`);
      const map = o.map;
      if (typeof map !== 'string') r.fail(`perfCounters[${i}].map must be the name of a perf event array`);
      return { map, index: r.number(o.index, `perfCounters[${i}].index`, 0xffff_fffe), ...counter(o, `perfCounters[${i}]`) };
    });
  }
  const cgroups = doc.cgroups === undefined ? undefined : r.array(doc.cgroups, 'cgroups', MAX_BLOCKS).map((v, i): CgroupDescription => {
    const o = r.object(v, `cgroups[${i}]`);
    for (const k of Object.keys(o)) if (!['id', 'address'].includes(k)) r.fail(`cgroups[${i}]: unknown key "${k}" (a cgroup has id and address)`);
    return { id: r.integer(o.id, `cgroups[${i}].id`, 0n, 0xffff_ffffn), address: r.integer(o.address, `cgroups[${i}].address`, 0n) };
  });
  return {
    event: event as TracingEvent,
    ...(cgroups === undefined ? {} : { cgroups }),
    ...(task === undefined ? {} : { task }),
    ...(tasks === undefined ? {} : { tasks }),
    ...(objects === undefined ? {} : { objects }),
    ...(probeMemory === undefined ? {} : { probeMemory }),
    ...(perfCounters === undefined ? {} : { perfCounters }),
    ...(skbs === undefined ? {} : { skbs }),
    ...(files === undefined ? {} : { files }),
  };
}

/** A file: `{"path", "address"?, "pathAddress"?, "imaHash"? {"algo", "hex"}}`. */
function fileOf(r: Reader, v: unknown, where: string): FileDescription {
  const o = r.object(v, where);
  for (const k of Object.keys(o)) if (!['path', 'address', 'pathAddress', 'imaHash'].includes(k)) r.fail(`${where}: unknown key "${k}" (a file has path, address, pathAddress, imaHash)`);
  if (typeof o.path !== 'string') r.fail(`${where}.path must be a string (the file's full path)`);
  let imaHash: ImaHash | undefined;
  if (o.imaHash !== undefined) {
    const h = r.object(o.imaHash, `${where}.imaHash`);
    for (const k of Object.keys(h)) if (!['algo', 'hex'].includes(k)) r.fail(`${where}.imaHash: unknown key "${k}" (a hash has algo and hex)`);
    imaHash = { algo: r.number(h.algo, `${where}.imaHash.algo`, 0xffff), digest: r.bytes({ hex: h.hex }, `${where}.imaHash`) };
  }
  return {
    path: o.path,
    ...(o.address === undefined ? {} : { address: r.integer(o.address, `${where}.address`, 0n) }),
    ...(o.pathAddress === undefined ? {} : { pathAddress: r.integer(o.pathAddress, `${where}.pathAddress`, 0n) }),
    ...(imaHash === undefined ? {} : { imaHash }),
  };
}
