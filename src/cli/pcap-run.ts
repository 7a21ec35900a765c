/**
 * `tsbpf run PROG --pcap FILE`: run a program once per packet of a capture and report verdict counts,
 * time per packet, the maps' final contents and the trace_printk lines; optionally write the packets
 * the program let through to a new capture.
 * @module
 */
import { writeFileSync } from 'node:fs';
import type { BpfObject, ProgramInfo } from '../elf/loader.js';
import { EbpfError } from '../errors.js';
import { LinkType, iteratePackets, writePcap, type CapturedPacket, type PacketToWrite } from '../pcap/index.js';
import { TcAction } from '../context/layout.js';
import { EbpfVmRaw } from '../vm/vm.js';
import type { RunLimits } from '../vm/environment.js';
import { InputError, readInputFile } from './input.js';
import type { CliIo } from './io.js';
import { dumpMaps, formatMapDump, preloadMap, type MapDump } from './object-maps.js';
import { XDP_ACTIONS } from './commands/run-object.js';

/** What one run of the program on one packet gave. */
export interface PacketOutcome {
  /** Verdict name (`XDP_PASS`, `TC_ACT_SHOT`, `kept`, `r0 = 7`…). */
  readonly verdict: string;
  /** Sort key of the verdict, so reports list verdicts in their numeric order. */
  readonly order: number;
  /** The packet to write to `--out` (as the program left it), or undefined when it was not let through. */
  readonly passed: Uint8Array | undefined;
}

/** Runs the program on one packet. */
export type PacketRunner = (packet: Uint8Array) => PacketOutcome;

const TC_NAMES = new Map<number, string>(Object.entries(TcAction).map(([k, v]) => [v, `TC_ACT_${k}`]));

/** The per-packet runner for a program of a loaded object, by program type. */
export function objectPacketRunner(obj: BpfObject, info: ProgramInfo, jit: boolean, limits: Partial<RunLimits>): PacketRunner {
  const runner = obj.program(info.name);
  const options = { jit, limits };
  switch (info.type) {
    case 'xdp':
      return (packet) => {
        const r = runner.runXdp(packet, options);
        const verdict = XDP_ACTIONS[r.action] ?? `XDP action ${r.action}`;
        return { verdict, order: r.action, passed: r.action === 2 || r.action === 3 ? r.packet : undefined };
      };
    case 'socket':
    case 'tc': {
      const socket = info.type === 'socket';
      return (packet) => {
        let after = packet;
        const run = socket ? runner.runSocketFilter.bind(runner) : runner.runTc.bind(runner);
        const r0 = run(packet, { ...options, inspect: (_skb, p) => void (after = p) });
        if (socket) {
          // A socket filter returns how many bytes of the packet to keep; 0 drops it.
          const keep = Number(r0 & 0xffffffffn);
          return keep === 0
            ? { verdict: 'dropped (0)', order: 0, passed: undefined }
            : { verdict: 'kept (non-zero)', order: 1, passed: after.subarray(0, Math.min(keep, after.length)) };
        }
        const code = Number(BigInt.asIntN(32, r0));
        return { verdict: TC_NAMES.get(code) ?? `TC_ACT ${code}`, order: code, passed: code === TcAction.OK ? after : undefined };
      };
    }
    default:
      return (packet) => {
        const mem = packet.slice();
        const r0 = runner.run(undefined, { ...options, mem });
        return rawOutcome(r0, mem);
      };
  }
}

function rawOutcome(r0: bigint, mem: Uint8Array): PacketOutcome {
  const order = r0 > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(r0);
  return { verdict: `r0 = ${r0}`, order, passed: r0 !== 0n ? mem : undefined };
}

/** The per-packet runner for raw bytecode (rbpf's EbpfVmRaw: r1 = the packet, r2 = its length). */
export function rawPacketRunner(bytes: Uint8Array, jit: boolean, limits: Partial<RunLimits>): PacketRunner {
  const vm = new EbpfVmRaw(bytes, { limits });
  if (jit) vm.jitCompile();
  return (packet) => {
    const mem = packet.slice();
    const r0 = jit ? vm.executeProgramJit(mem) : vm.executeProgram(mem);
    return rawOutcome(r0, mem);
  };
}

/** What `runCapture` needs. */
export interface CaptureRunRequest {
  /** Name of the program for the report (`xdp_firewall (xdp)`). */
  readonly programLabel: string;
  /** The loaded object, for maps and trace lines (undefined for raw bytecode). */
  readonly object: BpfObject | undefined;
  /** Runs one packet. */
  readonly run: PacketRunner;
  /** Capture file path. */
  readonly pcapPath: string;
  /** `NAME=FILE.json` map preloads. */
  readonly mapFiles: readonly string[];
  /** Where to write passed packets. */
  readonly outPath: string | undefined;
  /** Print one JSON document. */
  readonly json: boolean;
  /** Print one line per packet. */
  readonly verbose: boolean;
  /** Engine name for the report. */
  readonly engine: 'interpreter' | 'jit';
}

/** Most trace_printk lines kept for the report (the count is always exact). */
const MAX_TRACE_LINES = 1000;
/** Most trace_printk lines printed in the text report. */
const MAX_TRACE_PRINTED = 50;

/** Fill maps from `--map NAME=FILE.json` arguments. */
export function preloadMaps(obj: BpfObject | undefined, mapFiles: readonly string[]): void {
  for (const spec of mapFiles) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new InputError(`--map ${spec}: expected NAME=FILE.json`);
    if (obj === undefined) throw new InputError('--map needs an ELF object (raw bytecode has no maps)');
    const name = spec.slice(0, eq);
    const file = spec.slice(eq + 1);
    const text = new TextDecoder().decode(readInputFile(file));
    preloadMap(obj, name, text, file);
  }
}

function linkTypeName(lt: number): string {
  const entry = Object.entries(LinkType).find(([, v]) => v === lt);
  return entry === undefined ? `link type ${lt}` : `${entry[0]} (link type ${lt})`;
}

/** Read every packet of a capture of Ethernet frames; problems become one-line {@link InputError}s. */
export function readCapture(path: string): CapturedPacket[] {
  const bytes = readInputFile(path);
  const packets: CapturedPacket[] = [];
  try {
    for (const p of iteratePackets(bytes)) {
      if (p.linkType !== LinkType.ETHERNET) {
        throw new InputError(
          `${path}: packet ${packets.length + 1} is ${linkTypeName(p.linkType)}; tsbpf runs programs on Ethernet frames (link type 1) only`,
        );
      }
      packets.push(p);
    }
  } catch (e) {
    if (e instanceof EbpfError) throw new InputError(`${path}: ${e.code}: ${e.message}${packets.length > 0 ? ` (after ${packets.length} good packets)` : ''}`);
    throw e;
  }
  return packets;
}

/** Draws `[#####.....] n/total` on stderr, at most ten times a second, only on a terminal. */
class Progress {
  private last = 0;
  private drawn = false;
  constructor(private readonly io: CliIo, private readonly total: number) {}
  update(done: number): void {
    if (this.io.errIsTty !== true || this.total < 1000) return;
    const now = performance.now();
    if (now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const filled = Math.round((done / this.total) * width);
    this.io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} packets`);
    this.drawn = true;
  }
  finish(): void {
    if (this.drawn) this.io.err('\r\x1b[K');
  }
}

function formatTime(nsPerPacket: number): string {
  if (nsPerPacket >= 1e6) return `${(nsPerPacket / 1e6).toFixed(2)} ms`;
  if (nsPerPacket >= 1e3) return `${(nsPerPacket / 1e3).toFixed(2)} µs`;
  return `${nsPerPacket.toFixed(0)} ns`;
}

/** The report of a capture run, as `--json` prints it. */
export interface CaptureReport {
  readonly program: string;
  readonly capture: string;
  readonly engine: 'interpreter' | 'jit';
  readonly packets: number;
  readonly verdicts: Record<string, number>;
  readonly nsPerPacket: number;
  readonly medianNsPerPacket: number;
  readonly maps: readonly MapDump[];
  readonly traceLines: number;
  readonly trace: readonly { readonly packet: number; readonly line: string }[];
  readonly out?: { readonly file: string; readonly packets: number };
  readonly perPacket?: readonly { readonly packet: number; readonly verdict: string; readonly length: number }[];
}

/** Run the program over the capture and print the report; returns the exit code. */
export function runCapture(req: CaptureRunRequest, io: CliIo): number {
  preloadMaps(req.object, req.mapFiles);
  const packets = readCapture(req.pcapPath);
  const verdicts = new Map<string, { count: number; order: number }>();
  const trace: { packet: number; line: string }[] = [];
  let traceLines = 0;
  const passed: PacketToWrite[] = [];
  const perPacket: { packet: number; verdict: string; length: number }[] = [];
  const progress = new Progress(io, packets.length);
  let elapsed = 0;
  const times = new Float64Array(packets.length);
  const log = req.object?.traceLog;
  packets.forEach((p, index) => {
    const number = index + 1;
    let outcome: PacketOutcome;
    const t0 = performance.now();
    try {
      outcome = req.run(p.data);
    } catch (e) {
      if (e instanceof EbpfError) {
        throw new InputError(`packet ${number} of ${req.pcapPath}: ${e.code}: ${e.message}`);
      }
      throw e;
    } finally {
      times[index] = performance.now() - t0;
      elapsed += times[index]!;
    }
    if (log !== undefined && log.length > 0) {
      traceLines += log.length;
      for (const line of log) if (trace.length < MAX_TRACE_LINES) trace.push({ packet: number, line });
      log.length = 0;
    }
    const v = verdicts.get(outcome.verdict);
    if (v === undefined) verdicts.set(outcome.verdict, { count: 1, order: outcome.order });
    else v.count++;
    if (req.verbose) perPacket.push({ packet: number, verdict: outcome.verdict, length: p.data.length });
    if (outcome.passed !== undefined) {
      const data = outcome.passed.slice();
      const originalLength = Math.max(data.length, p.originalLength + data.length - p.data.length);
      passed.push({ data, timestamp: p.timestamp, originalLength, linkType: p.linkType });
    }
    progress.update(number);
  });
  progress.finish();
  const sorted = [...verdicts.entries()].sort((a, b) => a[1].order - b[1].order);
  const nsPerPacket = packets.length === 0 ? 0 : (elapsed * 1e6) / packets.length;
  // The median, because the first packets also pay for V8 warming up the engine.
  const medianNs = packets.length === 0 ? 0 : times.sort()[Math.floor(packets.length / 2)]! * 1e6;
  let out: CaptureReport['out'];
  if (req.outPath !== undefined) {
    const bytes = writePcap(passed, { linkType: LinkType.ETHERNET });
    try {
      writeFileSync(req.outPath, bytes);
    } catch (e) {
      throw new InputError(`${req.outPath}: cannot write (${(e as { code?: string }).code ?? String(e)})`);
    }
    out = { file: req.outPath, packets: passed.length };
  }
  const maps = req.object === undefined ? [] : dumpMaps(req.object);
  if (req.json) {
    const report: CaptureReport = {
      program: req.programLabel,
      capture: req.pcapPath,
      engine: req.engine,
      packets: packets.length,
      verdicts: Object.fromEntries(sorted.map(([k, v]) => [k, v.count])),
      nsPerPacket: Math.round(nsPerPacket),
      medianNsPerPacket: Math.round(medianNs),
      maps,
      traceLines,
      trace,
      ...(out === undefined ? {} : { out }),
      ...(req.verbose ? { perPacket } : {}),
    };
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  let text = `program ${req.programLabel} on ${req.pcapPath}\n`;
  text += `packets: ${packets.length}\n`;
  if (req.verbose) for (const pp of perPacket) text += `  #${pp.packet} ${pp.verdict} (${pp.length} bytes)\n`;
  text += 'verdicts:\n';
  const width = Math.max(0, ...sorted.map(([k]) => k.length));
  for (const [k, v] of sorted) text += `  ${k.padEnd(width)}  ${v.count}\n`;
  text += `time: ${formatTime(nsPerPacket)} per packet on average, median ${formatTime(medianNs)} (${req.engine})\n`;
  if (maps.length > 0) {
    text += 'maps:\n';
    for (const m of maps) text += formatMapDump(m);
  }
  if (req.object !== undefined) {
    text += `trace_printk: ${traceLines} ${traceLines === 1 ? 'line' : 'lines'}\n`;
    for (const t of trace.slice(0, MAX_TRACE_PRINTED)) text += `  [packet ${t.packet}] ${t.line}\n`;
    if (traceLines > MAX_TRACE_PRINTED) text += `  ... and ${traceLines - MAX_TRACE_PRINTED} more (all of the first ${MAX_TRACE_LINES} with --json)\n`;
  }
  if (out !== undefined) text += `wrote ${out.packets} ${out.packets === 1 ? 'packet' : 'packets'} to ${out.file}\n`;
  io.out(text);
  return 0;
}
