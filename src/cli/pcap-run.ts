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
import { InputError } from './input.js';
import { UsageError } from './args.js';
import type { CliIo } from './io.js';
import { applyMapArgs, saveMapState } from './map-state.js';
import { verdictName, type PacketEngine } from './packet-engine.js';
import { TargetCaptures, type TargetFile } from './capture-targets-out.js';
import { EventDrain } from './object-output.js';
import { captureJson, captureText, type CaptureTally } from './capture-report.js';
import { CapturePass } from './capture-pass.js';

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
  // The capture is read into the program's linear memory when the engine can run packets from there.
  const linear = engine.memory !== undefined && engine.runAt !== undefined ? new LinearReadBuffers(engine.memory) : undefined;
  const scan = new CaptureScan(req.pcapPath, req.count ?? Number.POSITIVE_INFINITY, linear === undefined ? {} : { buffers: linear.take });
  const outputs = { writer, byTarget, events, report, progress };
  const pass = new CapturePass(engine, scan, linear, obj, outputs, { verbose: req.verbose, json: req.json, maxErrors: req.maxErrors ?? Number.POSITIVE_INFINITY });
  const cpu0 = process.cpuUsage();
  // Milliseconds since the process started (Node's performance.timeOrigin): the start-up before the loop.
  const wall0 = performance.now();
  try {
    for await (const _ of feedCapture(req.pcapPath, io, scan.reader)) if (!pass.drain()) break;
    pass.timer.finish();
    scan.end();
  } finally {
    progress.finish();
    if (writer !== undefined) writer.flush();
    sink?.close();
    targetFiles = byTarget?.close();
  }
  const usage = process.cpuUsage(cpu0);
  const loopSeconds = (performance.now() - wall0) / 1000;
  if (req.saveMaps !== undefined && obj !== undefined) saveMapState(obj, req.saveMaps);
  // A capture that is not one at all is an input error, as before: nothing was run.
  scan.checkRead();
  const { packets, stopped } = scan;
  const { verdicts, redirects, clones, instructions, failed, failures, traceLines, trace, perPacket } = pass;
  const { warm, steady } = pass.timer;
  const tally: CaptureTally = {
    packets,
    verdicts: verdicts.entries().map(([k, n]) => [verdictName(kind, k), n] as const),
    redirects: { targets: redirects.entries(), other: redirects.other },
    clones: { targets: clones.entries(), other: clones.other, notKept: pass.clonesNotKept },
    warm,
    steady,
    cpuSeconds: (usage.user + usage.system) / 1e6,
    loopSeconds,
    startupSeconds: wall0 / 1000,
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
