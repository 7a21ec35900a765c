/**
 * `tsbpf run OBJ.o --event FILE.json` (or a tracing program with no input: the default event): one
 * run, or `--repeat N`, of a tracing program on a host-described event, reported as packet runs are —
 * r0, what the tracing helpers did (override, signals), the maps, trace lines and event records. An
 * iterator prints what it wrote to its seq_file; given `objects`, it shows each object and then makes
 * the last (NULL) call, as one read() of the iterator's file (seq-run.ts).
 * @module
 */
import type { BpfObject, ProgramInfo } from '../elf/loader.js';
import { ArgumentError } from '../errors.js';
import type { TracingResult } from '../context/runner.js';
import type { RunLimits } from '../vm/environment.js';
import { UsageError } from './args.js';
import { formatNs } from './capture-stats.js';
import type { EventFile } from './event-file.js';
import type { CliIo } from './io.js';
import { saveMapState } from './map-state.js';
import { dumpMaps } from './object-maps.js';
import { EventDrain, formatRunOutputs, runOutputsJson } from './object-output.js';
import { formatSeq, iterate, seqJson, type Iteration } from './seq-run.js';

/** Bytes as hex. */
const hexBytes = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** What one event run needs. */
export interface EventRunRequest {
  readonly object: BpfObject;
  readonly info: ProgramInfo;
  /** The event file read (undefined: the default event, all zero, of the idle task). */
  readonly event: EventFile | undefined;
  /** The `--event` path, for messages. */
  readonly eventPath: string | undefined;
  readonly jit: boolean;
  readonly limits: Partial<RunLimits>;
  readonly repeat: number | undefined;
  readonly json: boolean;
  readonly saveMaps: string | undefined;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** Run and print the report; returns the exit code. */
export function eventRun(req: EventRunRequest, io: CliIo): number {
  const { object: obj, info } = req;
  const runner = obj.program(info.name);
  if (runner.tracingType === undefined) {
    throw new UsageError(`--event applies to tracing programs (kprobe, tracepoint, raw_tracepoint, perf_event, tracing, iter); ${info.name} (${info.section}) is ${info.type}: give --type if its section name says nothing`);
  }
  const e = req.event;
  const options = {
    jit: req.jit,
    limits: req.limits,
    ...(e?.task === undefined ? {} : { task: e.task }),
    ...(e?.tasks === undefined ? {} : { tasks: e.tasks }),
    ...(e?.cgroups === undefined ? {} : { cgroups: e.cgroups }),
    ...(e?.probeMemory === undefined ? {} : { probeMemory: e.probeMemory }),
    ...(e?.perfCounters === undefined ? {} : { perfCounters: e.perfCounters }),
    ...(e?.skbs === undefined ? {} : { skbs: e.skbs }),
    ...(e?.files === undefined ? {} : { files: e.files }),
  };
  if (e?.objects !== undefined) {
    if (runner.tracingType !== 'iter') throw new UsageError(`--event ${req.eventPath ?? ''}: objects applies to iterator programs (iter/...); ${info.name} (${info.section}) is ${runner.tracingType}`);
    if (req.repeat !== undefined) throw new UsageError('--repeat does not apply to an iterator shown over objects');
  }
  const events = new EventDrain(obj);
  let iteration: Iteration | undefined;
  const run = (): TracingResult => {
    try {
      if (e?.objects !== undefined) {
        iteration = iterate(runner, e.event, e.objects, options);
        return iteration.last;
      }
      return runner.runEvent(e?.event, options);
    } catch (err) {
      // The event was checked by the reader; what the runner refuses is still the event's fault.
      if (err instanceof ArgumentError) throw new UsageError(`--event ${req.eventPath ?? '(default)'}: ${err.message}`);
      throw err;
    }
  };
  const repeat = req.repeat ?? 1;
  const t0 = performance.now();
  const first = run();
  const t1 = performance.now();
  const trace = obj.drainTrace();
  events.drain();
  let last = first;
  for (let i = 1; i < repeat; i++) {
    last = run();
    obj.drainTrace();
    events.drain();
  }
  const t2 = performance.now();
  if (req.saveMaps !== undefined) saveMapState(obj, req.saveMaps);
  const maps = dumpMaps(obj);
  const perRun = repeat > 1 ? ((t2 - t1) * 1e6) / (repeat - 1) : (t1 - t0) * 1e6;
  const label = `${info.name} (${info.section})`;
  const written = (last.probeMemory ?? []).map((b, i) => ({ block: i, address: hex(b.address), hex: hexBytes(b.bytes) }));
  if (req.json) {
    const doc = {
      program: label,
      type: runner.tracingType,
      engine: req.jit ? 'jit' : 'interpreter',
      r0: hex(last.r0),
      r0Decimal: last.r0.toString(),
      ...(last.overrideReturn === undefined ? {} : { overrideReturn: hex(last.overrideReturn), overrideReturnDecimal: BigInt.asIntN(64, last.overrideReturn).toString() }),
      signals: last.signals,
      ...(written.length === 0 ? {} : { memory: written }),
      ...(last.buffer === undefined ? {} : { buffer: { hex: hexBytes(last.buffer) } }),
      ...seqJson(last, iteration),
      ...runOutputsJson(obj, maps, trace, events.counts),
      ...(req.repeat === undefined ? {} : { runs: repeat, nsPerRun: Math.round(perRun), firstRunNs: Math.round((t1 - t0) * 1e6) }),
    };
    io.out(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  const signed = BigInt.asIntN(64, last.r0);
  let text = `program ${label} (${runner.tracingType}) on ${req.eventPath ?? 'the default event (all zero, the idle task)'}\n`;
  text += `r0 = ${hex(last.r0)} (${last.r0}${signed < 0n ? `, signed ${signed}` : ''})\n`;
  if (last.overrideReturn !== undefined) text += `override return = ${BigInt.asIntN(64, last.overrideReturn)}\n`;
  for (const s of last.signals) text += `signal ${s.signal} sent to the ${s.thread ? 'thread' : 'process'}\n`;
  text += formatSeq(last, iteration);
  if (req.repeat !== undefined) {
    text += `runs: ${repeat}, ${formatNs(perRun)} per run${repeat > 1 ? ` after the first (${formatNs((t1 - t0) * 1e6)})` : ''} (each run builds the context again)\n`;
  }
  text += formatRunOutputs(obj, maps, trace, events.counts);
  const changed = written.filter((w, i) => {
    const before = e?.probeMemory?.[i]?.bytes;
    const after = last.probeMemory![i]!.bytes;
    return before === undefined || before.length !== after.length || before.some((b, j) => b !== after[j]);
  });
  for (const w of changed) text += `memory at ${w.address} as the program left it (bpf_probe_write_user): ${w.hex.slice(0, 256)}${w.hex.length > 256 ? '...' : ''}\n`;
  if (last.buffer !== undefined) text += `buffer as the program left it: ${hexBytes(last.buffer).slice(0, 256)}${last.buffer.length > 128 ? '...' : ''}\n`;
  if (req.saveMaps !== undefined) text += `saved the maps to ${req.saveMaps}\n`;
  io.out(text);
  return 0;
}
