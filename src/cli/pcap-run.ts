/**
 * `tsbpf run PROG --pcap FILE`: run a program once per packet of a capture and report verdict counts,
 * redirect and clone targets, time per packet, the maps' final contents and the trace_printk lines;
 * optionally write the packets the program let through to a new capture.
 *
 * The capture is streamed (capture-io.ts reads it in chunks, pcap/stream.ts parses them) and the
 * program runs in a {@link PacketSession}, so memory stays bounded by the maps and one chunk whatever
 * the capture's size, and a packet costs no allocation on its way from the capture record to its
 * verdict. A packet whose run fails is counted under an error verdict and the run goes on; a damaged
 * capture is reported with the packets read before the damage. What runs a packet and names its
 * verdict is packet-engine.ts; the report, text or JSON, is capture-report.ts.
 * @module
 */
import type { BpfObject } from '../elf/loader.js';
import { EbpfError } from '../errors.js';
import { CaptureReader, LinkType, PcapStreamWriter } from '../pcap/index.js';
import { feedCapture, openSink, type CaptureSink } from './capture-io.js';
import { CaptureScan, notEthernet } from './capture-scan.js';
import { LinearReadBuffers } from './capture-memory.js';
import { InstructionCounts, LatencyHistogram, VerdictCounts } from './capture-stats.js';
import { InputError } from './input.js';
import { UsageError } from './args.js';
import type { CliIo } from './io.js';
import { applyMapArgs, saveMapState } from './map-state.js';
import { isRedirect, judge, verdictName, type Judgement, type PacketEngine } from './packet-engine.js';
import { TargetCounts, cloneTarget, redirectTarget } from './capture-redirects.js';
import { TargetCaptures, type TargetFile } from './capture-targets-out.js';
import { EventDrain } from './object-output.js';
import { MAX_TRACE_LINES, captureJson, captureText, type CaptureTally, type PacketFailure } from './capture-report.js';

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
  /** Directory for the redirected packets and clones, one capture per target (`--out-redirect`). */
  readonly outRedirect?: string | undefined;
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

/** Failing packets described in the report (all are counted). */
const MAX_ERRORS_KEPT = 10;
/** Packets listed in --json --verbose's perPacket (all are counted; text mode prints every one as it goes). */
export const MAX_PER_PACKET = 1_000_000;
/** Packets timed as warm-up (V8 and the engine settling), reported apart: at most this many, and 10% of the capture. */
const WARMUP = 1000;

/**
 * A written packet's length on the wire: its length as left by the program, plus what the capture cut
 * off the record it came from (`captured` bytes of it were run).
 */
function originalLength(reader: CaptureReader, length: number, captured: number): number {
  return Math.max(length, reader.originalLength + length - captured);
}

/** Fill maps from `--map NAME=FILE.json` / `--map STATE.json` arguments. */
export function preloadMaps(obj: BpfObject | undefined, mapFiles: readonly string[]): void {
  applyMapArgs(obj, mapFiles);
}

/**
 * Packet `n` (from 1) of a capture of Ethernet frames (`tsbpf trace --packet N`), read as a stream
 * up to that packet only (a file or - for stdin), as a copy; problems become one-line
 * {@link InputError}s, and a capture with fewer packets says how many it has.
 */
export async function capturePacket(path: string, n: number, io: CliIo): Promise<Uint8Array> {
  const reader = new CaptureReader();
  let seen = 0;
  const fail = (e: unknown): never => {
    if (e instanceof EbpfError) throw new InputError(`${path}: ${e.code}: ${e.message}${seen > 0 ? ` (after ${seen} good packets)` : ''}`);
    throw e;
  };
  const take = (): Uint8Array | undefined => {
    for (;;) {
      let more: boolean;
      try {
        more = reader.next();
      } catch (e) {
        return fail(e);
      }
      if (!more) return undefined;
      seen++;
      if (reader.linkType !== LinkType.ETHERNET) throw new InputError(notEthernet(path, seen, reader.linkType));
      if (seen === n) return reader.buffer.slice(reader.dataOffset, reader.dataOffset + reader.dataLength);
    }
  };
  for await (const _ of feedCapture(path, io, reader)) {
    const packet = take();
    if (packet !== undefined) return packet;
  }
  reader.end();
  const last = take();
  if (last !== undefined) return last;
  throw new UsageError(`--packet ${n}: ${path} has ${seen} ${seen === 1 ? 'packet' : 'packets'}`);
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

/** Run the program over the capture and print the report; returns the exit code (1 when a packet failed or the capture was damaged). */
export async function runCapture(req: CaptureRunRequest, io: CliIo): Promise<number> {
  preloadMaps(req.object, req.mapFiles);
  const engine = req.engine;
  const kind = engine.kind;
  const verdicts = new VerdictCounts();
  const redirects = new TargetCounts();
  const clones = new TargetCounts();
  let clonesNotKept = 0;
  // Only skb programs (tc) can clone.
  const cloning = kind === 'tc' || kind === 'socket';
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
  const byTarget = req.outRedirect === undefined ? undefined : new TargetCaptures(req.outRedirect);
  let targetFiles: TargetFile[] | undefined;
  const warm = new LatencyHistogram();
  const steady = new LatencyHistogram();
  const instructions = new InstructionCounts();
  let warmup = WARMUP;
  // The capture is read into the program's linear memory when the engine can run packets from there.
  const linear = engine.memory !== undefined && engine.runAt !== undefined ? new LinearReadBuffers(engine.memory) : undefined;
  const scan = new CaptureScan(req.pcapPath, req.count ?? Number.POSITIVE_INFINITY, linear === undefined ? {} : { buffers: linear.take });
  const reader = scan.reader;
  const maxErrors = req.maxErrors ?? Number.POSITIVE_INFINITY;
  const judged: Judgement = { verdict: 0, passed: false, end: 0 };
  const cpu0 = process.cpuUsage();
  let prev = performance.now();
  try {
    loop: for await (const _ of feedCapture(req.pcapPath, io, reader)) {
      for (;;) {
        const taken = scan.next();
        if (taken === 'more') break;
        if (taken === 'stop') break loop;
        const number = scan.packets;
        const buf = reader.buffer;
        const length = reader.dataLength;
        let verdict: number | bigint | string;
        let passed = false;
        let end = 0;
        try {
          const outcome = linear !== undefined && linear.base >= 0 ? engine.runAt!(linear.base + reader.dataOffset, length) : engine.run(buf, reader.dataOffset, length);
          judge(kind, outcome, engine, judged);
          // NaN when the engine cannot count (raw bytecode).
          const n = outcome.instructions;
          if (n === n) instructions.add(n);
          ({ verdict, passed, end } = judged);
          // Only a redirect verdict or a clone costs anything here: names are made for those alone.
          if (isRedirect(kind, verdict)) {
            const target = redirectTarget(engine.redirect());
            redirects.add(target);
            if (byTarget !== undefined) {
              const start = engine.outStart;
              byTarget.write('redirect', target, engine.outBytes(), start, end, originalLength(reader, end - start, length), reader.seconds, reader.nanos);
            }
          }
          if (cloning) {
            const copies = engine.clones();
            if (copies.length !== 0) {
              for (const c of copies) {
                const target = cloneTarget(c);
                clones.add(target);
                byTarget?.write('clone', target, c.packet, 0, c.packet.length, originalLength(reader, c.packet.length, length), reader.seconds, reader.nanos);
              }
            }
            clonesNotKept += engine.clonesDropped();
          }
        } catch (e) {
          if (!(e instanceof EbpfError)) throw e;
          failed++;
          verdict = `error ${e.code}`;
          if (failures.length < MAX_ERRORS_KEPT) failures.push({ packet: number, code: e.code, pc: e.pc, message: cliHint(e.message) });
        }
        // A run may have grown the memory the capture is read into.
        linear?.check(reader);
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
          writer.write(engine.outBytes(), start, end, originalLength(reader, end - start, length), reader.seconds, reader.nanos);
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
          scan.stop(`stopped after ${failed} failed ${failed === 1 ? 'packet' : 'packets'} (--max-errors ${maxErrors})`);
          break loop;
        }
      }
    }
    scan.end();
  } finally {
    progress.finish();
    if (writer !== undefined) writer.flush();
    sink?.close();
    targetFiles = byTarget?.close();
  }
  const usage = process.cpuUsage(cpu0);
  if (req.saveMaps !== undefined && obj !== undefined) saveMapState(obj, req.saveMaps);
  // A capture that is not one at all is an input error, as before: nothing was run.
  scan.checkRead();
  const { packets, stopped } = scan;
  const tally: CaptureTally = {
    packets,
    verdicts: verdicts.entries().map(([k, n]) => [verdictName(kind, k), n] as const),
    redirects: { targets: redirects.entries(), other: redirects.other },
    clones: { targets: clones.entries(), other: clones.other, notKept: clonesNotKept },
    warm,
    steady,
    cpuSeconds: (usage.user + usage.system) / 1e6,
    instructions,
    complete: scan.complete,
    stopped,
    failed,
    failures,
    traceLines,
    trace,
    events: events?.counts ?? [],
    out: req.outPath === undefined || writer === undefined ? undefined : { file: req.outPath, packets: writer.packets },
    outRedirect: req.outRedirect === undefined ? undefined : { dir: req.outRedirect, files: targetFiles ?? [] },
    perPacket,
  };
  report(req.json ? captureJson(req, tally) : captureText(req, tally));
  return failed > 0 || stopped !== undefined ? 1 : 0;
}
