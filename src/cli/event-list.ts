/**
 * An `--event FILE` that lists runs (sock_ops events, sk_msg / sk_skb messages): JSON holding one run
 * object, or `{ "events": [...] }` beside other top-level fields. Reading, size limits and the list's
 * shape are checked here, each problem a usage error naming the file; what a run holds is the caller's.
 * @module
 */
import type { BpfObject, ProgramInfo } from '../elf/loader.js';
import { ArgumentError } from '../errors.js';
import { UsageError } from './args.js';
import { readInputFile } from './input.js';
import type { CliIo } from './io.js';
import { saveMapState } from './map-state.js';
import { dumpMaps } from './object-maps.js';
import { EventDrain, formatRunOutputs, runOutputsJson } from './object-output.js';

/** Most runs one file may hold. */
export const MAX_EVENTS = 100_000;
/** Largest file read. */
const MAX_FILE = 16 << 20;

/** A run list read: the document (its other top-level fields), the runs, and a failure naming the file. */
export interface EventList {
  readonly doc: Record<string, unknown>;
  /** The runs, unchecked (1 to {@link MAX_EVENTS}). */
  readonly list: readonly unknown[];
  /** True when the file is a single run (no `events` list). */
  readonly single: boolean;
  /** Throw a usage error naming `--event FILE`. */
  readonly fail: (message: string) => never;
}

/** Read `path` as a run list; `what` names one run in messages ("event", "run"). */
export function readEventList(path: string, what: string): EventList {
  const fail = (message: string): never => {
    throw new UsageError(`--event ${path}: ${message}`);
  };
  const bytes = readInputFile(path);
  if (bytes.length > MAX_FILE) fail(`${bytes.length} bytes; at most ${MAX_FILE}`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    fail(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(`must be ${what === 'event' ? 'an' : 'a'} ${what} object or { "events": [...] }`);
  const d = doc as Record<string, unknown>;
  const list = d.events === undefined ? [d] : d.events;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_EVENTS) fail(`events must be an array of 1 to ${MAX_EVENTS} ${what}s`);
  return { doc: d, list: list as unknown[], single: d.events === undefined, fail };
}

/**
 * Run `run` on each of `events` in order (runs of `obj`'s program, from the file `path`): a run's
 * ArgumentError (a bad event) becomes a usage error naming the file and the event; each run's trace
 * lines are kept, prefixed `[event N]`, and the event maps drained after it.
 */
export function runEventList<E, R>(obj: BpfObject, path: string, events: readonly E[], run: (event: E) => R): { results: R[]; trace: string[]; drain: EventDrain } {
  const drain = new EventDrain(obj);
  const results: R[] = [];
  const trace: string[] = [];
  events.forEach((event, i) => {
    try {
      results.push(run(event));
    } catch (err) {
      if (err instanceof ArgumentError) throw new UsageError(`--event ${path}: events[${i}]: ${err.message}`);
      throw err;
    }
    for (const line of obj.drainTrace()) trace.push(`[event ${i + 1}] ${line}`);
    drain.drain();
  });
  return { results, trace, drain };
}

/** Bytes as lower-case hex. */
export function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** What one kind of --event run reports of its runs, for {@link writeEventListReport}. */
export interface EventListReport {
  /** The program type as the report names it. */
  readonly type: string;
  /** What the header counts: runs or events. */
  readonly noun: 'run' | 'event';
  readonly count: number;
  /** The JSON fields after program, type and engine (the runs, and what else the type reports). */
  json(): Record<string, unknown>;
  /** The text lines after the header. */
  text(): string;
}

/**
 * Save the maps where asked (`--save-maps`), then write the report of an --event list's runs: as JSON
 * (program, type, engine, the type's fields, the run outputs) or as text (a header, the type's lines,
 * the run outputs, where the maps were saved). Returns the exit status.
 */
export function writeEventListReport(
  io: CliIo,
  obj: BpfObject,
  info: ProgramInfo,
  req: { readonly eventPath: string; readonly jit: boolean; readonly json: boolean; readonly saveMaps: string | undefined },
  outputs: { readonly trace: readonly string[]; readonly drain: EventDrain },
  report: EventListReport,
): number {
  if (req.saveMaps !== undefined) saveMapState(obj, req.saveMaps);
  const maps = dumpMaps(obj);
  const label = `${info.name} (${info.section})`;
  if (req.json) {
    const doc = {
      program: label,
      type: report.type,
      engine: req.jit ? 'jit' : 'interpreter',
      ...report.json(),
      ...runOutputsJson(obj, maps, outputs.trace, outputs.drain.counts),
    };
    io.out(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  let text = `program ${label} (${report.type}) on ${req.eventPath}: ${report.count} ${report.noun}${report.count === 1 ? '' : 's'}\n`;
  text += report.text();
  text += formatRunOutputs(obj, maps, outputs.trace, outputs.drain.counts);
  if (req.saveMaps !== undefined) text += `saved the maps to ${req.saveMaps}\n`;
  io.out(text);
  return 0;
}
