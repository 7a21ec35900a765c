/**
 * Tracing program types and the contexts they run on, built from a host-described event: x86-64
 * `struct pt_regs` for kprobes and uprobes, `struct bpf_perf_event_data` for perf events, the `u64`
 * argument array of raw tracepoints and BTF programs (`fentry`, `fexit`, `tp_btf`, `lsm`), and the record of
 * a classic tracepoint (raw bytes, or fields set by name in the layout of a tracefs `format` file; see
 * tracepoint.ts), and the meta and target of an iterator (iter.ts).
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkBigInteger, checkObject, checkString, describeValue } from '../validate.js';
import { PT_REGS_SIZE, ptRegs, type PtReg } from './pt-regs.js';
import type { PerfCounter } from '../helpers/task.js';
import { tracepointRecord, type TracepointFieldValue, type TracepointFormat } from './tracepoint.js';
import { DEFAULT_ITER_META, iterContext, type IterMetaLayout } from './iter.js';

/**
 * Tracing program types, as the kernel's: `kprobe` (kprobes, kretprobes, uprobes, uretprobes,
 * ksyscall, usdt: `pt_regs`), `tracepoint` (a trace event record), `raw_tracepoint` (`u64 args[]`),
 * `perf_event` (`bpf_perf_event_data`), `tracing` (BTF programs `fentry` / `fexit` / `fmod_ret` /
 * `tp_btf`, and LSM programs `lsm` / `lsm.s` / `lsm_cgroup`, which run on the same `u64 args[]`: the
 * hook's arguments, then the return value of the programs before), `iter` (the kernel's `tracing` type attached as an iterator, `iter/…`: a
 * pointer to `struct bpf_iter_meta`, then the iterated object's fields).
 */
export const TRACING_TYPES = ['kprobe', 'tracepoint', 'raw_tracepoint', 'perf_event', 'tracing', 'iter'] as const;

/** One of {@link TRACING_TYPES}. */
export type TracingType = (typeof TRACING_TYPES)[number];

/** Most arguments a raw tracepoint or BTF program gets (the kernel's `MAX_BPF_FUNC_ARGS`). */
export const MAX_TRACING_ARGS = 12;

/** Largest trace event record (the kernel's `PERF_MAX_TRACE_SIZE`). */
export const MAX_TRACEPOINT_RECORD = 8192;

/** Bytes of `struct bpf_perf_event_data` (x86-64): `pt_regs`, `sample_period`, `addr`. */
export const PERF_EVENT_DATA_SIZE = PT_REGS_SIZE + 16;

/** Largest writable raw tracepoint buffer an event may give (the kernel's are one struct each). */
export const MAX_TP_BUFFER = 0x10000;

/** A writable raw tracepoint's buffer checked: undefined when the event gives none. */
export function tpBufferOf(event: TracingEvent | undefined): Uint8Array | undefined {
  const b: unknown = event?.buffer;
  if (b === undefined) return undefined;
  if (!(b instanceof Uint8Array) || b.length > MAX_TP_BUFFER) throw new ArgumentError(`event.buffer must be a Uint8Array of at most ${MAX_TP_BUFFER} bytes, not ${describeValue(b)}`);
  const first: unknown = Array.isArray(event?.args) ? event.args[0] : undefined;
  if (first !== undefined && first !== 0n) throw new ArgumentError(`event.args[0] becomes the address of event.buffer: give 0 there (or no arguments), not ${describeValue(first)}`);
  return b;
}

/** Bytes of the default tracepoint record when the event gives none: what the kernel lets a tracepoint program read. */
const DEFAULT_RECORD_SIZE = 2048;

/**
 * The tracing program type a section name declares (libbpf's names and the kernel's old samples/bpf
 * loader's), or undefined.
 */
export function tracingTypeOf(section: string): TracingType | undefined {
  const first = checkString(section, 'section').replace(/^\./, '').split('/')[0]!;
  if (/^(kprobe|kretprobe|ksyscall|kretsyscall|uprobe|uretprobe|usdt)(\.(multi|s|session))*$/.test(first)) return 'kprobe';
  if (first === 'tracepoint' || first === 'tp') return 'tracepoint';
  if (/^(raw_tracepoint|raw_tp)(\.w)?$/.test(first)) return 'raw_tracepoint';
  if (first === 'perf_event') return 'perf_event';
  if (/^(fentry|fexit|fmod_ret|tp_btf|lsm)(\.s)?$/.test(first) || first === 'lsm_cgroup') return 'tracing';
  if (/^iter(\.s)?$/.test(first)) return 'iter';
  return undefined;
}

/**
 * A simulated event for a tracing program: the context fields of its type (the rest 0). Which fields
 * apply depends on the program's type; giving one another type does not read is an ArgumentError.
 */
export interface TracingEvent {
  /** `kprobe`, `perf_event`: x86-64 registers by name (`di`, `si`, `ax`, `ip`, ...). */
  readonly regs?: Readonly<Partial<Record<PtReg, bigint>>>;
  /**
   * `raw_tracepoint`, `tracing`: the arguments, at most 12 (missing ones are 0). `iter`: the iterated
   * object's fields after the meta pointer, at most 11 (`[task]` for `iter/task`; missing ones are 0,
   * a NULL object: the kernel's last call, after the last object).
   */
  readonly args?: readonly bigint[];
  /**
   * `raw_tracepoint` (writable ones, `raw_tp.w/…`): the tracepoint's writable buffer, at most
   * {@link MAX_TP_BUFFER} bytes, mapped writable; the first argument points at it (`args[0]` 0 or absent)
   * and the run's result gives it back as the program left it.
   */
  readonly buffer?: Uint8Array;
  /** `tracepoint`: the record's bytes as they are (instead of `format` and `fields`). */
  readonly record?: Uint8Array;
  /** `tracepoint`: the record's layout, from a tracefs `format` file (`parseTracepointFormat`). */
  readonly format?: TracepointFormat;
  /** `tracepoint`: field values by name, in `format`'s layout. */
  readonly fields?: Readonly<Record<string, TracepointFieldValue>>;
  /** `perf_event`: `sample_period`. */
  readonly samplePeriod?: bigint;
  /** `perf_event`: `addr`. */
  readonly addr?: bigint;
  /** `perf_event`: the event's own counter, for `bpf_perf_prog_read_value` (default 0, as the sample period is not a count). */
  readonly counter?: PerfCounter;
  /**
   * `tracing` (`fexit`, `fmod_ret`): the traced function's return value, in the context slot after the
   * arguments and for `bpf_get_func_ret`; without it the program is an `fentry` one, for which
   * `bpf_get_func_ret` is -EOPNOTSUPP.
   */
  readonly ret?: bigint;
  /** `kprobe`, `tracing`: the traced function's address, what `bpf_get_func_ip` returns (default 0). */
  readonly funcIp?: bigint;
  /** Every type: the cookie the program was attached with, what `bpf_get_attach_cookie` returns (default 0). */
  readonly cookie?: bigint;
  /** `iter`: `meta->seq_num`, how many objects the iterator showed before this one (default 0). */
  readonly seqNum?: bigint;
  /** `iter`: `meta->session_id`, the iterator session (one per opened iterator file; default 0). */
  readonly sessionId?: bigint;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** A signed or unsigned 64-bit value as its two's-complement bits. */
function u64(value: unknown, name: string): bigint {
  return BigInt.asUintN(64, checkBigInteger(value, name, -(1n << 63n), U64_MAX));
}

/** The fields of `event` that `type` does not read. */
const FIELDS_OF: Record<TracingType, readonly string[]> = {
  kprobe: ['regs', 'funcIp', 'cookie'],
  perf_event: ['regs', 'samplePeriod', 'addr', 'counter', 'cookie'],
  raw_tracepoint: ['args', 'buffer', 'cookie'],
  tracing: ['args', 'ret', 'funcIp', 'cookie'],
  tracepoint: ['record', 'format', 'fields', 'cookie'],
  iter: ['args', 'seqNum', 'sessionId', 'cookie'],
};

/**
 * The context bytes of a tracing program of `type` for `event` (checked). `pid` fills a tracepoint
 * record's `common_pid` when the event does not set it; `iterMeta` is where an iterator's meta fields are.
 */
export function tracingContext(type: TracingType, event: TracingEvent | undefined, pid: number, iterMeta: IterMetaLayout = DEFAULT_ITER_META): Uint8Array {
  const e = (event === undefined ? {} : checkObject(event, 'event')) as Record<string, unknown>;
  const allowed = FIELDS_OF[type];
  for (const key of Object.keys(e)) {
    if (e[key] === undefined) continue;
    if (!allowed.includes(key)) {
      const known = Object.values(FIELDS_OF).some((f) => f.includes(key));
      throw new ArgumentError(
        known ? `event.${key} is not part of a ${type} program's context (it reads ${allowed.join(', ')})` : `event.${key}: unknown field (a ${type} event has ${allowed.join(', ')})`,
      );
    }
  }
  switch (type) {
    case 'kprobe':
      return e.regs === undefined ? new Uint8Array(PT_REGS_SIZE) : ptRegs(e.regs as Partial<Record<PtReg, bigint>>);
    case 'perf_event': {
      const out = new Uint8Array(PERF_EVENT_DATA_SIZE);
      if (e.regs !== undefined) out.set(ptRegs(e.regs as Partial<Record<PtReg, bigint>>));
      const v = new DataView(out.buffer);
      if (e.samplePeriod !== undefined) v.setBigUint64(PT_REGS_SIZE, u64(e.samplePeriod, 'event.samplePeriod'), true);
      if (e.addr !== undefined) v.setBigUint64(PT_REGS_SIZE + 8, u64(e.addr, 'event.addr'), true);
      if (e.counter !== undefined) perfCounterOf(e.counter, 'event.counter');
      return out;
    }
    case 'iter': {
      const args = e.args ?? [];
      if (!Array.isArray(args) || args.length > MAX_TRACING_ARGS - 1) {
        throw new ArgumentError(`event.args must be an array of at most ${MAX_TRACING_ARGS - 1} bigints (the fields after the meta pointer), not ${describeValue(args)}`);
      }
      const fields = args.map((a: unknown, i) => u64(a, `event.args[${i}]`));
      const sessionId = e.sessionId === undefined ? 0n : u64(e.sessionId, 'event.sessionId');
      const seqNum = e.seqNum === undefined ? 0n : u64(e.seqNum, 'event.seqNum');
      return iterContext(MAX_TRACING_ARGS, fields, iterMeta, sessionId, seqNum);
    }
    case 'raw_tracepoint':
    case 'tracing': {
      const args = e.args ?? [];
      if (!Array.isArray(args) || args.length > MAX_TRACING_ARGS) {
        throw new ArgumentError(`event.args must be an array of at most ${MAX_TRACING_ARGS} bigints, not ${describeValue(args)}`);
      }
      // BTF programs: the arguments, then (fexit) the return value: 13 slots at most.
      const out = new Uint8Array(8 * (MAX_TRACING_ARGS + (type === 'tracing' ? 1 : 0)));
      const v = new DataView(out.buffer);
      args.forEach((a: unknown, i) => v.setBigUint64(8 * i, u64(a, `event.args[${i}]`), true));
      if (e.ret !== undefined) v.setBigUint64(8 * args.length, u64(e.ret, 'event.ret'), true);
      return out;
    }
    case 'tracepoint': {
      if (e.record !== undefined) {
        if (e.format !== undefined || e.fields !== undefined) throw new ArgumentError('event.record gives the whole record: leave out event.format and event.fields');
        if (!(e.record instanceof Uint8Array) || e.record.length > MAX_TRACEPOINT_RECORD) {
          throw new ArgumentError(`event.record must be a Uint8Array of at most ${MAX_TRACEPOINT_RECORD} bytes, not ${describeValue(e.record)}`);
        }
        return e.record.slice();
      }
      if (e.format === undefined) {
        if (e.fields !== undefined) throw new ArgumentError('event.fields needs event.format (the layout, from a tracefs format file)');
        const out = new Uint8Array(DEFAULT_RECORD_SIZE);
        new DataView(out.buffer).setInt32(4, pid | 0, true); // common_pid
        return out;
      }
      return tracepointRecord(e.format as TracepointFormat, (e.fields ?? {}) as Record<string, TracepointFieldValue>, pid);
    }
  }
}

/**
 * What the function-tracing helpers read of an event (`bpf_get_func_arg_cnt`, `_ret`, `_ip`,
 * `bpf_get_attach_cookie`), checked.
 */
export function functionOf(type: TracingType, event: TracingEvent | undefined): { argCount: number; ret?: bigint; funcIp: bigint; cookie: bigint } {
  const e = (event ?? {}) as Record<string, unknown>;
  const args = type === 'tracing' || type === 'raw_tracepoint' ? ((e.args as readonly unknown[] | undefined) ?? []) : [];
  return {
    argCount: args.length,
    ...(e.ret === undefined ? {} : { ret: u64(e.ret, 'event.ret') }),
    funcIp: e.funcIp === undefined ? 0n : u64(e.funcIp, 'event.funcIp'),
    cookie: e.cookie === undefined ? 0n : u64(e.cookie, 'event.cookie'),
  };
}

/** A perf counter checked. */
export function perfCounterOf(c: unknown, name: string): Required<PerfCounter> {
  const o = checkObject(c, name) as Record<string, unknown>;
  return {
    counter: u64(o.counter, `${name}.counter`),
    enabled: o.enabled === undefined ? 0n : u64(o.enabled, `${name}.enabled`),
    running: o.running === undefined ? 0n : u64(o.running, `${name}.running`),
  };
}
