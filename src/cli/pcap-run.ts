/**
 * `tsbpf run PROG --pcap FILE`: run a program once per packet of a capture and report verdict counts,
 * time per packet, the maps' final contents and the trace_printk lines; optionally write the packets
 * the program let through to a new capture.
 *
 * The capture is streamed (capture-io.ts reads it in chunks, pcap/stream.ts parses them) and the
 * program runs in a {@link PacketSession}, so memory stays bounded by the maps and one chunk whatever
 * the capture's size, and a packet costs no allocation on its way from the capture record to its
 * verdict. A packet whose run fails is counted under an error verdict and the run goes on; a damaged
 * capture is reported with the packets read before the damage.
 * @module
 */
import type { BpfObject, ProgramInfo } from '../elf/loader.js';
import { EbpfError } from '../errors.js';
import { CaptureReader, LinkType, PcapStreamWriter, iteratePackets, type CapturedPacket } from '../pcap/index.js';
import { TcAction } from '../context/layout.js';
import type { PacketSession } from '../context/session.js';
import { EbpfVmRaw } from '../vm/vm.js';
import type { HelperEntry, RunLimits } from '../vm/environment.js';
import { feedCapture, openSink, type CaptureSink } from './capture-io.js';
import { LatencyHistogram, VerdictCounts, formatNs } from './capture-stats.js';
import { InputError, readInputFile } from './input.js';
import type { CliIo } from './io.js';
import { dumpMaps, formatMapDump, type MapDump } from './object-maps.js';
import { applyMapArgs, saveMapState } from './map-state.js';
import { XDP_ACTIONS } from './commands/run-object.js';
import { EventDrain, formatEvents, traceDroppedNote, type EventCount } from './object-output.js';

/** How a program's r0 becomes a verdict and whether the packet is let through. */
export type VerdictKind = 'xdp' | 'socket' | 'tc' | 'raw';

/** Runs the program on one packet, in place: the packet as left is `outBytes[outStart, outEnd)` after. */
export interface PacketEngine {
  readonly kind: VerdictKind;
  /** Run on `buf[start, start + length)`; returns r0. */
  run(buf: Uint8Array, start: number, length: number): bigint;
  /** The bytes holding the packet as the program left it (after a run). */
  outBytes(): Uint8Array;
  readonly outStart: number;
  readonly outEnd: number;
}

const TC_NAMES = new Map<number, string>(Object.entries(TcAction).map(([k, v]) => [v, `TC_ACT_${k}`]));

/** The packet engine for a program of a loaded object, by program type. */
export function objectPacketEngine(obj: BpfObject, info: ProgramInfo, jit: boolean, limits: Partial<RunLimits>): PacketEngine {
  const runner = obj.program(info.name);
  const kind: VerdictKind = info.type === 'xdp' ? 'xdp' : info.type === 'socket' ? 'socket' : info.type === 'tc' ? 'tc' : 'raw';
  const session: PacketSession = runner.session(kind === 'xdp' ? 'xdp' : kind === 'raw' ? 'raw' : 'skb', { jit, limits });
  const memory = obj.memory;
  return {
    kind,
    run: (buf, start, length) => session.run(buf, start, length),
    outBytes: () => memory.bytes,
    get outStart() {
      return session.outStart;
    },
    get outEnd() {
      return session.outEnd;
    },
  };
}

/** The packet engine for raw bytecode (rbpf's EbpfVmRaw: r1 = the packet, r2 = its length). */
export function rawPacketEngine(bytes: Uint8Array, jit: boolean, limits: Partial<RunLimits>, helpers?: ReadonlyMap<number, HelperEntry>): PacketEngine {
  const vm = new EbpfVmRaw(bytes, { limits });
  for (const [id, stub] of helpers ?? []) vm.registerHelper(id, stub.fn, { name: stub.name });
  if (jit) vm.jitCompile();
  let view: Uint8Array = new Uint8Array(0);
  return {
    kind: 'raw',
    run(buf, start, length) {
      // A zero-copy view inside the VM memory: filled in place, run without copies.
      view = vm.memBuffer(length);
      view.set(buf.subarray(start, start + length));
      return jit ? vm.executeProgramJit(view) : vm.executeProgram(view);
    },
    outBytes: () => view,
    outStart: 0,
    get outEnd() {
      return view.length;
    },
  };
}

/** What `runCapture` needs. */
export interface CaptureRunRequest {
  /** Name of the program for the report (`xdp_firewall (xdp)`). */
  readonly programLabel: string;
  /** How to name the program in a suggested command (its path, or `-` for stdin). */
  readonly programArg: string;
  /** The loaded object, for maps and trace lines (undefined for raw bytecode). */
  readonly object: BpfObject | undefined;
  /** Runs one packet. */
  readonly engine: PacketEngine;
  /** Capture file path, or `-` for stdin. */
  readonly pcapPath: string;
  /** `NAME=FILE.json` map preloads. */
  readonly mapFiles: readonly string[];
  /** Where to write passed packets (`-`: stdout, and the report goes to stderr). */
  readonly outPath: string | undefined;
  /** Print one JSON document. */
  readonly json: boolean;
  /** Print one line per packet. */
  readonly verbose: boolean;
  /** Engine name for the report. */
  readonly engineName: 'interpreter' | 'jit';
  /** Stop after this many packets. */
  readonly count: number | undefined;
  /** Stop after this many failed packets. */
  readonly maxErrors: number | undefined;
  /** Write every map's final state here (`--save-maps`). */
  readonly saveMaps?: string | undefined;
}

/** Most trace_printk lines kept for the report (the count is always exact). */
const MAX_TRACE_LINES = 1000;
/** Most trace_printk lines printed in the text report. */
const MAX_TRACE_PRINTED = 50;
/** Failing packets described in the report (all are counted). */
const MAX_ERRORS_KEPT = 10;
/** Packets listed in --json --verbose's perPacket (all are counted; text mode prints every one as it goes). */
const MAX_PER_PACKET = 1_000_000;
/** Packets timed as warm-up (V8 and the engine settling), reported apart: at most this many, and 10% of the capture. */
const WARMUP = 1000;

/** Fill maps from `--map NAME=FILE.json` / `--map STATE.json` arguments. */
export function preloadMaps(obj: BpfObject | undefined, mapFiles: readonly string[]): void {
  applyMapArgs(obj, mapFiles);
}

function linkTypeName(lt: number): string {
  const entry = Object.entries(LinkType).find(([, v]) => v === lt);
  return entry === undefined ? `link type ${lt}` : `${entry[0]} (link type ${lt})`;
}

function notEthernet(path: string, packet: number, linkType: number): string {
  return `${path}: packet ${packet} is ${linkTypeName(linkType)}; tsbpf runs programs on Ethernet frames (link type 1) only`;
}

/** Read every packet of a capture of Ethernet frames into memory (`tsbpf trace`); problems become one-line {@link InputError}s. */
export function readCapture(path: string): CapturedPacket[] {
  const bytes = readInputFile(path);
  const packets: CapturedPacket[] = [];
  try {
    for (const p of iteratePackets(bytes)) {
      if (p.linkType !== LinkType.ETHERNET) throw new InputError(notEthernet(path, packets.length + 1, p.linkType));
      packets.push(p);
    }
  } catch (e) {
    if (e instanceof EbpfError) throw new InputError(`${path}: ${e.code}: ${e.message}${packets.length > 0 ? ` (after ${packets.length} good packets)` : ''}`);
    throw e;
  }
  return packets;
}

/** CLI wording for an error's hints: flags instead of API fields. */
export function cliHint(message: string): string {
  return message
    .replace(/RunLimits\.instructionBudget/g, '--budget')
    .replace(
      /; pass (it|them) in options\.helpers$/,
      ": tsbpf cannot run this program as it is ('tsbpf disasm', 'inspect' and 'verify' still read it); --helper ID=VALUE makes a helper return VALUE",
    );
}

/** Draws the packet count (and the share of the file read, when its size is known) on stderr, at most ten times a second, only on a terminal. */
class Progress {
  private last = 0;
  private drawn = false;
  private readonly tty: boolean;
  constructor(private readonly io: CliIo) {
    this.tty = io.errIsTty === true;
  }
  update(now: number, packets: number): void {
    if (!this.tty || packets < 1000 || now - this.last < 100) return;
    this.last = now;
    this.io.err(`\r${packets} packets`);
    this.drawn = true;
  }
  finish(): void {
    if (this.drawn) this.io.err('\r\x1b[K');
  }
}

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
  /** Mean time per packet after the warm-up (ns): the steady state. */
  readonly nsPerPacket: number;
  /** Median time per packet after the warm-up (ns; within 1/8, from the histogram). */
  readonly medianNsPerPacket: number;
  readonly time: {
    readonly warmupPackets: number;
    readonly warmupNsPerPacket: number;
    readonly p99NsPerPacket: number;
    /** CPU time of the whole run loop (reading, running, writing), seconds. */
    readonly cpuSeconds: number;
    readonly packetsPerCpuSecond: number;
    /** Steady-state packets by time, one bucket per power of two: packets that took less than `upToNs`. */
    readonly histogram: readonly { readonly upToNs: number; readonly packets: number }[];
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
  readonly perPacket?: readonly { readonly packet: number; readonly verdict: string; readonly length: number }[];
}

/** Name of a verdict key for the report. */
export function verdictName(kind: VerdictKind, key: number | bigint | string): string {
  if (typeof key === 'string') return key;
  if (kind === 'xdp') return XDP_ACTIONS[Number(key)] ?? `XDP action ${key}`;
  if (kind === 'socket') return key === 0 ? 'dropped (0)' : 'kept (non-zero)';
  if (kind === 'tc') return TC_NAMES.get(Number(key)) ?? `TC_ACT ${key}`;
  return `r0 = ${key}`;
}

/** A run's verdict key, whether the packet is let through, and where the packet as left ends. */
export interface Judgement {
  verdict: number | bigint;
  passed: boolean;
  end: number;
}

/**
 * Judge a run by program type: XDP_PASS / XDP_TX, a socket filter's non-zero length (the packet cut
 * to it), TC_ACT_OK, or any other program's non-zero r0 let the packet through. Fills `into`.
 */
export function judge(kind: VerdictKind, r0: bigint, engine: PacketEngine, into: Judgement): Judgement {
  // Low 32 bits without bigint arithmetic for the usual small, non-negative results.
  const low = r0 <= 0xffffffffn ? Number(r0) : Number(r0 & 0xffffffffn);
  into.end = engine.outEnd;
  if (kind === 'xdp') {
    into.verdict = low;
    into.passed = low === 2 || low === 3;
  } else if (kind === 'socket') {
    into.verdict = low === 0 ? 0 : 1;
    into.passed = low !== 0;
    if (into.passed) into.end = Math.min(into.end, engine.outStart + low);
  } else if (kind === 'tc') {
    into.verdict = low | 0;
    into.passed = into.verdict === TcAction.OK;
  } else {
    into.verdict = r0;
    into.passed = r0 !== 0n;
  }
  return into;
}

/** Run the program over the capture and print the report; returns the exit code (1 when a packet failed or the capture was damaged). */
export async function runCapture(req: CaptureRunRequest, io: CliIo): Promise<number> {
  preloadMaps(req.object, req.mapFiles);
  const engine = req.engine;
  const kind = engine.kind;
  const verdicts = new VerdictCounts();
  const trace: { packet: number; line: string }[] = [];
  let traceLines = 0;
  const perPacket: { packet: number; verdict: string; length: number }[] = [];
  const failures: PacketFailure[] = [];
  let failed = 0;
  const progress = new Progress(io);
  const obj = req.object;
  const events = obj === undefined ? undefined : new EventDrain(obj);
  const report = req.outPath === '-' ? io.err.bind(io) : io.out.bind(io);
  let sink: CaptureSink | undefined;
  let writer: PcapStreamWriter | undefined;
  if (req.outPath !== undefined) {
    const s = openSink(req.outPath, io);
    sink = s;
    writer = new PcapStreamWriter((b) => s.write(b), { linkType: LinkType.ETHERNET });
  }
  const reader = new CaptureReader();
  const warm = new LatencyHistogram();
  const steady = new LatencyHistogram();
  let warmup = WARMUP;
  let stopped: { reason: string; atByte?: number } | undefined;
  let packets = 0;
  let countReached = false;
  const limit = req.count ?? Number.POSITIVE_INFINITY;
  const maxErrors = req.maxErrors ?? Number.POSITIVE_INFINITY;
  const judged: Judgement = { verdict: 0, passed: false, end: 0 };
  const cpu0 = process.cpuUsage();
  let prev = performance.now();
  try {
    loop: for await (const _ of feedCapture(req.pcapPath, io, reader)) {
      for (;;) {
        if (packets >= limit) {
          countReached = true;
          break loop;
        }
        try {
          if (!reader.next()) break;
        } catch (e) {
          if (!(e instanceof EbpfError)) throw e;
          stopped = { reason: `${e.code}: ${e.message}`, atByte: (e as { offset?: number }).offset ?? reader.consumed };
          break loop;
        }
        const number = packets + 1;
        if (reader.linkType !== LinkType.ETHERNET) {
          if (packets === 0) throw new InputError(notEthernet(req.pcapPath, number, reader.linkType));
          stopped = { reason: `${notEthernet(req.pcapPath, number, reader.linkType)} (at byte ${reader.recordOffset})`, atByte: reader.recordOffset };
          break loop;
        }
        packets = number;
        const buf = reader.buffer;
        const length = reader.dataLength;
        let verdict: number | bigint | string;
        let passed = false;
        let end = 0;
        try {
          const r0 = engine.run(buf, reader.dataOffset, length);
          judge(kind, r0, engine, judged);
          ({ verdict, passed, end } = judged);
        } catch (e) {
          if (!(e instanceof EbpfError)) throw e;
          failed++;
          verdict = `error ${e.code}`;
          if (failures.length < MAX_ERRORS_KEPT) failures.push({ packet: number, code: e.code, pc: e.pc, message: cliHint(e.message) });
        }
        if (typeof verdict === 'number') verdicts.add(verdict);
        else verdicts.addKey(verdict);
        if (obj !== undefined) {
          // Drained after each packet, as a reader would: the bounded buffers hold one packet's output.
          if (obj.traceLog.length > 0) {
            const lines = obj.drainTrace();
            traceLines += lines.length;
            for (const line of lines) if (trace.length < MAX_TRACE_LINES) trace.push({ packet: number, line });
          }
          events!.drain();
        }
        if (passed && writer !== undefined) {
          const start = engine.outStart;
          const original = Math.max(end - start, reader.originalLength + (end - start) - length);
          writer.write(engine.outBytes(), start, end, original, reader.seconds, reader.nanos);
        }
        if (req.verbose) {
          const name = verdictName(kind, verdict);
          if (req.json) {
            if (perPacket.length < MAX_PER_PACKET) perPacket.push({ packet: number, verdict: name, length });
          } else report(`  #${number} ${name} (${length} bytes)\n`);
        }
        const now = performance.now();
        const ns = (now - prev) * 1e6;
        prev = now;
        if (warmup > 0) {
          warmup--;
          warm.add(ns);
        } else steady.add(ns);
        progress.update(now, number);
        if (failed >= maxErrors) {
          stopped = { reason: `stopped after ${failed} failed ${failed === 1 ? 'packet' : 'packets'} (--max-errors ${maxErrors})` };
          break loop;
        }
      }
    }
    if (stopped === undefined && !countReached) {
      reader.end();
      try {
        // Whatever is left is an incomplete record (every complete one was read above).
        reader.next();
      } catch (e) {
        if (!(e instanceof EbpfError)) throw e;
        stopped = { reason: `${e.code}: ${e.message}`, atByte: (e as { offset?: number }).offset ?? reader.consumed };
      }
    }
  } finally {
    progress.finish();
    if (writer !== undefined) writer.flush();
    sink?.close();
  }
  const usage = process.cpuUsage(cpu0);
  if (req.saveMaps !== undefined && obj !== undefined) saveMapState(obj, req.saveMaps);
  const cpuSeconds = (usage.user + usage.system) / 1e6;
  // A capture that is not one at all is an input error, as before: nothing was run.
  if (packets === 0 && stopped !== undefined && stopped.atByte === 0) throw new InputError(`${req.pcapPath}: ${stopped.reason}`);
  // With fewer packets than the warm-up, the later half is the steady state.
  let steadyStats = steady;
  let warmStats = warm;
  if (steady.count === 0) {
    steadyStats = warm;
    warmStats = new LatencyHistogram();
  }
  const entries = verdicts.entries().map(([k, n]) => [verdictName(kind, k), n] as const);
  const maps = req.object === undefined ? [] : dumpMaps(req.object);
  const out = req.outPath === undefined || writer === undefined ? undefined : { file: req.outPath, packets: writer.packets };
  const time = {
    warmupPackets: warmStats.count,
    warmupNsPerPacket: Math.round(warmStats.meanNs),
    p99NsPerPacket: Math.round(steadyStats.quantileNs(0.99)),
    cpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
    packetsPerCpuSecond: cpuSeconds > 0 ? Math.round(packets / cpuSeconds) : 0,
    histogram: steadyStats.coarse().map(([upToNs, n]) => ({ upToNs, packets: n })),
  };
  const status = failed > 0 || stopped !== undefined ? 1 : 0;
  if (req.json) {
    const doc: CaptureReport = {
      program: req.programLabel,
      capture: req.pcapPath,
      engine: req.engineName,
      packets,
      verdicts: Object.fromEntries(entries),
      nsPerPacket: Math.round(steadyStats.meanNs),
      medianNsPerPacket: Math.round(steadyStats.quantileNs(0.5)),
      time,
      complete: stopped === undefined && !countReached,
      ...(stopped === undefined ? {} : { stopped }),
      errors: { packets: failed, first: failures },
      maps,
      traceLines,
      traceDropped: obj?.traceDropped ?? 0,
      trace,
      events: events?.counts ?? [],
      ...(out === undefined ? {} : { out }),
      ...(req.verbose ? { perPacket } : {}),
    };
    report(`${JSON.stringify(doc, null, 2)}\n`);
    return status;
  }
  let text = `program ${req.programLabel} on ${req.pcapPath}\n`;
  text += `packets: ${packets}\n`;
  text += 'verdicts:\n';
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  for (const [k, n] of entries) text += `  ${k.padEnd(width)}  ${n}\n`;
  if (warmStats.count > 0) {
    text += `time: ${formatNs(steadyStats.meanNs)} per packet, median ${formatNs(steadyStats.quantileNs(0.5))}, p99 ${formatNs(steadyStats.quantileNs(0.99))} (${req.engineName}; `;
    text += `the first ${warmStats.count} packets, warming up, ${formatNs(warmStats.meanNs)} each)\n`;
  } else {
    // Too few packets to tell the warm-up apart: the mean includes it, the median mostly not.
    text += `time: ${formatNs(steadyStats.meanNs)} per packet on average, median ${formatNs(steadyStats.quantileNs(0.5))} (${req.engineName})\n`;
  }
  if (packets >= 1000) {
    text += `cpu: ${cpuSeconds.toFixed(2)} s, ${Math.round(packets / cpuSeconds).toLocaleString('en-US')} packets per CPU second\n`;
    text += `latency: ${time.histogram.map((b) => `<${formatNs(b.upToNs)} ${((100 * b.packets) / steadyStats.count).toFixed(1)}%`).join(', ')}\n`;
  }
  if (failed > 0) {
    text += `errors: ${failed} ${failed === 1 ? 'packet' : 'packets'} failed (counted as error verdicts)\n`;
    for (const f of failures) text += `  packet ${f.packet}: ${f.code}: ${f.message}\n`;
    if (failed > failures.length) text += `  ... and ${failed - failures.length} more\n`;
    if (req.object !== undefined && req.pcapPath !== '-') {
      text += `  see a run instruction by instruction: tsbpf trace ${req.programArg} --pcap ${req.pcapPath} --packet ${failures[0]!.packet}\n`;
    }
  }
  if (stopped !== undefined) {
    text += `stopped: ${stopped.reason}; the report covers the ${packets} ${packets === 1 ? 'packet' : 'packets'} before\n`;
  }
  if (maps.length > 0) {
    text += 'maps:\n';
    for (const m of maps) text += formatMapDump(m);
  }
  if (req.object !== undefined) {
    text += formatEvents(events?.counts ?? []);
    text += `trace_printk: ${traceLines} ${traceLines === 1 ? 'line' : 'lines'}${traceDroppedNote(req.object)}\n`;
    for (const t of trace.slice(0, MAX_TRACE_PRINTED)) text += `  [packet ${t.packet}] ${t.line}\n`;
    if (traceLines > MAX_TRACE_PRINTED) text += `  ... and ${traceLines - MAX_TRACE_PRINTED} more (all of the first ${MAX_TRACE_LINES} with --json)\n`;
  }
  if (out !== undefined) text += `wrote ${out.packets} ${out.packets === 1 ? 'packet' : 'packets'} to ${out.file === '-' ? 'stdout' : out.file}\n`;
  if (req.saveMaps !== undefined && obj !== undefined) text += `saved the maps to ${req.saveMaps}\n`;
  report(text);
  return status;
}
