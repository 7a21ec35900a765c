/**
 * The report of a capture run (`tsbpf run PROG --pcap FILE`), as text or as the `--json` document:
 * verdict counts, redirect and clone targets (and the files `--out-redirect` wrote), time per packet (the steady state, the warm-up apart, a histogram), CPU time,
 * instructions per packet, the failed packets, where a damaged capture stopped, the maps, events and trace lines.
 * @module
 */
import { basename } from 'node:path';
import type { BpfObject } from '../elf/loader.js';
import type { TargetFile } from './capture-targets-out.js';
import { InstructionCounts, LatencyHistogram, formatNs } from './capture-stats.js';
import { dumpMaps, formatMapDump, type MapDump } from './object-maps.js';
import { formatEvents, traceDroppedNote, type EventCount } from './object-output.js';

/** Most trace_printk lines kept for the report (the count is always exact). */
export const MAX_TRACE_LINES = 1000;
/** Most trace_printk lines printed in the text report. */
const MAX_TRACE_PRINTED = 50;

/** A failed packet in the report. */
export interface PacketFailure {
  readonly packet: number;
  readonly code: string;
  readonly pc: number | undefined;
  readonly message: string;
}

/** The report of a capture run, as `--json` prints it. */
export interface CaptureReport {
  readonly program: string;
  readonly capture: string;
  readonly engine: 'interpreter' | 'jit';
  /** Packets run (including the failed ones). */
  readonly packets: number;
  readonly verdicts: Record<string, number>;
  /**
   * Redirect verdicts by target (`ifindex 3`, `map ports key 2: ifindex 7`, `map cpus key 1: cpu 1`),
   * most first; past the first 64 targets, the packets are summed in `other`. Absent without redirects.
   */
  readonly redirects?: { readonly targets: Record<string, number>; readonly other: number };
  /** `bpf_clone_redirect` copies by target interface, as `redirects`; `notKept`: copies past a run's 64, target unknown. */
  readonly clones?: { readonly targets: Record<string, number>; readonly other: number; readonly notKept: number };
  /** Mean time per packet after the warm-up (ns): the steady state (every packet, also when the times are sampled). */
  readonly nsPerPacket: number;
  /** Median time per packet after the warm-up (ns; within 1/8, from the histogram: estimated when `time.timedPackets` are fewer than the steady state's). */
  readonly medianNsPerPacket: number;
  readonly time: {
    readonly warmupPackets: number;
    readonly warmupNsPerPacket: number;
    readonly p99NsPerPacket: number;
    /**
     * Steady-state packets timed: the median, p99 and histogram are estimated from them when they are
     * fewer than the steady state's packets (a long capture: packets timed at random intervals, each
     * standing for the packets of its interval; the mean covers every packet).
     */
    readonly timedPackets: number;
    /** CPU time of the whole run loop (reading, running, writing), seconds. */
    readonly cpuSeconds: number;
    readonly packetsPerCpuSecond: number;
    /**
     * Wall time from the process's start to the run loop's (Node's boot, loading the command line,
     * reading, verifying and compiling the object; with `--workers N`, starting the pool), seconds.
     */
    readonly startupSeconds: number;
    /** Wall time of the run loop (the capture's first read to the last packet's result, and the writes), seconds. */
    readonly loopSeconds: number;
    /** Packets per wall second of the run loop alone (start-up apart: {@link startupSeconds}). */
    readonly packetsPerLoopSecond: number;
    /** Steady-state packets by time, one bucket per power of two: packets that took less than `upToNs` (estimated when sampled, see `timedPackets`). */
    readonly histogram: readonly { readonly upToNs: number; readonly packets: number }[];
  };
  /**
   * Instructions per packet (what each run was charged against `--budget`), over the packets whose run
   * returned: mean, fewest, median, p99, most, one bucket per power of two (packets of fewer than
   * `upTo`), and each distinct count when there are at most 16. Absent when no run returned or the
   * engine cannot count them (raw bytecode).
   */
  readonly instructions?: {
    readonly perPacket: number;
    readonly min: number;
    readonly median: number;
    readonly p99: number;
    readonly max: number;
    readonly histogram: readonly { readonly upTo: number; readonly packets: number }[];
    readonly counts?: readonly { readonly instructions: number; readonly packets: number }[];
  };
  /** Whether every byte of the capture was read; otherwise where and why it stopped. */
  readonly complete: boolean;
  readonly stopped?: { readonly reason: string; readonly atByte?: number };
  readonly errors: { readonly packets: number; readonly first: readonly PacketFailure[] };
  readonly maps: readonly MapDump[];
  readonly traceLines: number;
  /** Trace lines lost because the object's trace buffer was full. */
  readonly traceDropped: number;
  /** Ring buffer and perf event records drained after each packet, per map, with what was dropped. */
  readonly events: readonly EventCount[];
  readonly trace: readonly { readonly packet: number; readonly line: string }[];
  readonly out?: { readonly file: string; readonly packets: number };
  /** `--out-redirect DIR`: the file written per redirect or clone target (`target` is `other` past the first 64). */
  readonly outRedirect?: { readonly dir: string; readonly files: readonly TargetFile[] };
  readonly perPacket?: readonly { readonly packet: number; readonly verdict: string; readonly length: number }[];
}

/** What the report names besides the tally (a capture run's request has these). */
export interface ReportContext {
  readonly programLabel: string;
  readonly programArg: string;
  readonly pcapPath: string;
  readonly engineName: 'interpreter' | 'jit';
  readonly object: BpfObject | undefined;
  readonly verbose: boolean;
  readonly saveMaps?: string | undefined;
}

/** Packets by target name (see capture-redirects.ts), and those summed as other. */
export interface TargetTally {
  readonly targets: readonly (readonly [string, number])[];
  readonly other: number;
}

const anyTargets = (t: TargetTally): boolean => t.targets.length > 0 || t.other > 0;

/** The text lines of a target tally under its heading, or nothing when empty. */
function targetText(heading: string, t: TargetTally, notKept = 0): string {
  if (!anyTargets(t) && notKept === 0) return '';
  const rows: (readonly [string, number])[] = [...t.targets];
  if (t.other > 0) rows.push(['other targets', t.other]);
  if (notKept > 0) rows.push(['not kept (over 64 in a run)', notKept]);
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  let text = `${heading}:\n`;
  for (const [k, n] of rows) text += `  ${k.padEnd(width)}  ${n}\n`;
  return text;
}

/** The `--out-redirect` lines: each file with its packets and target. */
function targetFilesText(dir: string, files: readonly TargetFile[]): string {
  if (files.length === 0) return `wrote no redirected packets or clones to ${dir}\n`;
  let text = `wrote the redirected packets and clones to ${dir}:\n`;
  for (const f of files) {
    const what = f.kind === 'clone' ? `clones to ${f.target === 'other' ? 'other targets' : f.target}` : f.target === 'other' ? 'other targets' : f.target;
    text += `  ${basename(f.file)}  ${f.packets} ${f.packets === 1 ? 'packet' : 'packets'} (${what})\n`;
  }
  return text;
}

/** What a capture run gathered. */
export interface CaptureTally {
  readonly packets: number;
  /** Verdicts by name, with their counts, in the order to print. */
  readonly verdicts: readonly (readonly [string, number])[];
  /** Redirect verdicts by target, most first, and those past the targets counted by name. */
  readonly redirects: TargetTally;
  /** Clones by target, as `redirects`, and those a run made past the ones kept (target unknown). */
  readonly clones: TargetTally & { readonly notKept: number };
  /** Times of the warm-up packets and of the rest (the steady state). */
  readonly warm: LatencyHistogram;
  readonly steady: LatencyHistogram;
  /** CPU time of the read-run-write loop. */
  readonly cpuSeconds: number;
  /** Wall time of that loop, and from the process's start to the loop's (seconds). */
  readonly loopSeconds: number;
  readonly startupSeconds: number;
  /** Instructions per packet of the runs that returned (empty when the engine cannot count them). */
  readonly instructions: InstructionCounts;
  readonly complete: boolean;
  readonly stopped: { readonly reason: string; readonly atByte?: number } | undefined;
  readonly failed: number;
  readonly failures: readonly PacketFailure[];
  readonly traceLines: number;
  readonly trace: readonly { readonly packet: number; readonly line: string }[];
  readonly events: readonly EventCount[];
  readonly out: { readonly file: string; readonly packets: number } | undefined;
  readonly outRedirect: { readonly dir: string; readonly files: readonly TargetFile[] } | undefined;
  readonly perPacket: readonly { readonly packet: number; readonly verdict: string; readonly length: number }[];
}

/** The steady-state and warm-up histograms: with fewer packets than the warm-up, all of them are the steady state. */
function phases(t: CaptureTally): { steady: LatencyHistogram; warm: LatencyHistogram } {
  return t.steady.count === 0 ? { steady: t.warm, warm: new LatencyHistogram() } : { steady: t.steady, warm: t.warm };
}

function timeOf(t: CaptureTally): CaptureReport['time'] {
  const { steady, warm } = phases(t);
  return {
    warmupPackets: warm.count,
    warmupNsPerPacket: Math.round(warm.meanNs),
    p99NsPerPacket: Math.round(steady.quantileNs(0.99)),
    timedPackets: steady.timed,
    cpuSeconds: Math.round(t.cpuSeconds * 1000) / 1000,
    packetsPerCpuSecond: t.cpuSeconds > 0 ? Math.round(t.packets / t.cpuSeconds) : 0,
    startupSeconds: Math.round(t.startupSeconds * 1000) / 1000,
    loopSeconds: Math.round(t.loopSeconds * 1000) / 1000,
    packetsPerLoopSecond: t.loopSeconds > 0 ? Math.round(t.packets / t.loopSeconds) : 0,
    histogram: steady.coarse().map(([upToNs, n]) => ({ upToNs, packets: n })),
  };
}

function instructionsOf(t: CaptureTally): CaptureReport['instructions'] {
  const c = t.instructions;
  if (c.count === 0) return undefined;
  const values = c.values();
  return {
    perPacket: Math.round(c.mean * 100) / 100,
    min: c.min,
    median: c.quantile(0.5),
    p99: c.quantile(0.99),
    max: c.max,
    histogram: c.coarse().map(([upTo, packets]) => ({ upTo, packets })),
    ...(values === undefined ? {} : { counts: values.map(([instructions, packets]) => ({ instructions, packets })) }),
  };
}

/** The instructions lines of the text report (nothing when none were counted). */
function instructionsText(t: CaptureTally): string {
  const i = instructionsOf(t);
  if (i === undefined) return '';
  const share = (n: number): string => `${((100 * n) / t.instructions.count).toFixed(1)}%`;
  let text = `instructions: ${i.perPacket.toFixed(1)} per packet (min ${i.min}, median ${i.median}, p99 ${i.p99}, max ${i.max})
`;
  if (i.counts !== undefined) text += `  by count: ${i.counts.map((c) => `${c.instructions} ${share(c.packets)}`).join(', ')}
`;
  else text += `  histogram: ${i.histogram.map((b) => `<${b.upTo} ${share(b.packets)}`).join(', ')}
`;
  return text;
}

/** The `--json` document, with its newline. */
export function captureJson(req: ReportContext, t: CaptureTally): string {
  const { steady } = phases(t);
  const doc: CaptureReport = {
    program: req.programLabel,
    capture: req.pcapPath,
    engine: req.engineName,
    packets: t.packets,
    verdicts: Object.fromEntries(t.verdicts),
    ...(anyTargets(t.redirects) ? { redirects: { targets: Object.fromEntries(t.redirects.targets), other: t.redirects.other } } : {}),
    ...(anyTargets(t.clones) || t.clones.notKept > 0
      ? { clones: { targets: Object.fromEntries(t.clones.targets), other: t.clones.other, notKept: t.clones.notKept } }
      : {}),
    nsPerPacket: Math.round(steady.meanNs),
    medianNsPerPacket: Math.round(steady.quantileNs(0.5)),
    time: timeOf(t),
    ...(t.instructions.count === 0 ? {} : { instructions: instructionsOf(t) }),
    complete: t.complete,
    ...(t.stopped === undefined ? {} : { stopped: t.stopped }),
    errors: { packets: t.failed, first: t.failures },
    maps: req.object === undefined ? [] : dumpMaps(req.object),
    traceLines: t.traceLines,
    traceDropped: req.object?.traceDropped ?? 0,
    trace: t.trace,
    events: t.events,
    ...(t.out === undefined ? {} : { out: t.out }),
    ...(t.outRedirect === undefined ? {} : { outRedirect: t.outRedirect }),
    ...(req.verbose ? { perPacket: t.perPacket } : {}),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The text report. */
export function captureText(req: ReportContext, t: CaptureTally): string {
  const { steady, warm } = phases(t);
  const { packets, failed, failures, stopped, traceLines, out } = t;
  const obj = req.object;
  let text = `program ${req.programLabel} on ${req.pcapPath}\n`;
  text += `packets: ${packets}\n`;
  text += 'verdicts:\n';
  const width = Math.max(0, ...t.verdicts.map(([k]) => k.length));
  for (const [k, n] of t.verdicts) text += `  ${k.padEnd(width)}  ${n}\n`;
  text += targetText('redirected to', t.redirects);
  text += targetText('clones (bpf_clone_redirect) to', t.clones, t.clones.notKept);
  if (warm.count > 0) {
    text += `time: ${formatNs(steady.meanNs)} per packet, median ${formatNs(steady.quantileNs(0.5))}, p99 ${formatNs(steady.quantileNs(0.99))} (${req.engineName}; `;
    text += `the first ${warm.count} packets, warming up, ${formatNs(warm.meanNs)} each)\n`;
  } else {
    // Too few packets to tell the warm-up apart: the mean includes it, the median mostly not.
    text += `time: ${formatNs(steady.meanNs)} per packet on average, median ${formatNs(steady.quantileNs(0.5))} (${req.engineName})\n`;
  }
  if (packets >= 1000) {
    text += `cpu: ${t.cpuSeconds.toFixed(2)} s, ${Math.round(packets / t.cpuSeconds).toLocaleString('en-US')} packets per CPU second\n`;
    text += `wall: ${t.startupSeconds.toFixed(2)} s of start-up, then ${t.loopSeconds.toFixed(2)} s reading and running, ${Math.round(packets / t.loopSeconds).toLocaleString('en-US')} packets per second\n`;
    text += `latency: ${timeOf(t).histogram.map((b) => `<${formatNs(b.upToNs)} ${((100 * b.packets) / steady.count).toFixed(1)}%`).join(', ')}\n`;
    if (steady.timed < steady.count) {
      text += `  (median, p99 and latency sampled: ${steady.timed.toLocaleString('en-US')} of the ${(packets - warm.count).toLocaleString('en-US')} steady-state packets timed, at random intervals; ${steady.exactMean ? 'the mean covers every packet' : 'so is the mean'})\n`;
    }
  }
  text += instructionsText(t);
  if (failed > 0) {
    text += `errors: ${failed} ${failed === 1 ? 'packet' : 'packets'} failed (counted as error verdicts)\n`;
    for (const f of failures) text += `  packet ${f.packet}: ${f.code}: ${f.message}\n`;
    if (failed > failures.length) text += `  ... and ${failed - failures.length} more\n`;
    if (obj !== undefined && req.pcapPath !== '-') {
      text += `  see a run instruction by instruction: tsbpf trace ${req.programArg} --pcap ${req.pcapPath} --packet ${failures[0]!.packet}\n`;
    }
  }
  if (stopped !== undefined) {
    text += `stopped: ${stopped.reason}; the report covers the ${packets} ${packets === 1 ? 'packet' : 'packets'} before\n`;
  }
  const maps: MapDump[] = obj === undefined ? [] : dumpMaps(obj);
  if (maps.length > 0) {
    text += 'maps:\n';
    for (const m of maps) text += formatMapDump(m);
  }
  if (obj !== undefined) {
    text += formatEvents(t.events);
    text += `trace_printk: ${traceLines} ${traceLines === 1 ? 'line' : 'lines'}${traceDroppedNote(obj)}\n`;
    for (const line of t.trace.slice(0, MAX_TRACE_PRINTED)) text += `  [packet ${line.packet}] ${line.line}\n`;
    if (traceLines > MAX_TRACE_PRINTED) text += `  ... and ${traceLines - MAX_TRACE_PRINTED} more (all of the first ${MAX_TRACE_LINES} with --json)\n`;
  }
  if (out !== undefined) text += `wrote ${out.packets} ${out.packets === 1 ? 'packet' : 'packets'} to ${out.file === '-' ? 'stdout' : out.file}\n`;
  if (t.outRedirect !== undefined) text += targetFilesText(t.outRedirect.dir, t.outRedirect.files);
  if (req.saveMaps !== undefined && obj !== undefined) text += `saved the maps to ${req.saveMaps}\n`;
  return text;
}
