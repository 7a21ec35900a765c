/**
 * The one-thread capture runner's packet loop (pcap-run.ts drives it): every packet the reader holds
 * is run, judged and counted by {@link CapturePass.drain}, a plain method called once per chunk read.
 * The loop is not in the async function that reads the capture because an async function keeps its
 * locals in a heap context across awaits: each timestamp stored there was a new heap number (garbage
 * per packet), and each read of a counter a context load.
 * @module
 */
import { EbpfError } from '../errors.js';
import type { CaptureReader, PcapStreamWriter } from '../pcap/index.js';
import type { BpfObject } from '../elf/loader.js';
import type { CaptureScan } from './capture-scan.js';
import type { LinearReadBuffers } from './capture-memory.js';
import { InstructionCounts, VerdictCounts } from './capture-stats.js';
import { PacketTimer } from './capture-timing.js';
import { isRedirect, judge, verdictName, type Judgement, type PacketEngine } from './packet-engine.js';
import { TargetCounts, cloneTarget, redirectTarget } from './capture-redirects.js';
import type { TargetCaptures } from './capture-targets-out.js';
import type { EventDrain } from './object-output.js';
import { MAX_TRACE_LINES, type PacketFailure } from './capture-report.js';

/** Failing packets described in the report (all are counted). */
const MAX_ERRORS_KEPT = 10;
/** Packets listed in --json --verbose's perPacket (all are counted; text mode prints every one as it goes). */
export const MAX_PER_PACKET = 1_000_000;

/** What a pass writes and reports besides its counts. */
export interface PassOutputs {
  /** Passed packets go here (`--out`). */
  readonly writer: PcapStreamWriter | undefined;
  /** Redirected packets and clones go here (`--out-redirect`). */
  readonly byTarget: TargetCaptures | undefined;
  /** Ring buffer and perf event records, drained after each packet. */
  readonly events: EventDrain | undefined;
  /** One line per packet (`--verbose` without `--json`). */
  readonly report: (text: string) => void;
  /** Draws progress (at most ten times a second). */
  readonly progress: { update(now: number, packets: number): void };
}

/**
 * A written packet's length on the wire: its length as left by the program, plus what the capture cut
 * off the record it came from (`captured` bytes of it were run).
 */
function originalLength(reader: CaptureReader, length: number, captured: number): number {
  return Math.max(length, reader.originalLength + length - captured);
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

/** The counts of a capture run and the loop that makes them; see the module comment. */
export class CapturePass {
  readonly verdicts = new VerdictCounts();
  readonly redirects = new TargetCounts();
  readonly clones = new TargetCounts();
  clonesNotKept = 0;
  readonly trace: { packet: number; line: string }[] = [];
  traceLines = 0;
  readonly perPacket: { packet: number; verdict: string; length: number }[] = [];
  readonly failures: PacketFailure[] = [];
  failed = 0;
  /** Time per packet: the warm-up apart, the steady state sampled (see capture-timing.ts). */
  readonly timer = new PacketTimer();
  readonly instructions = new InstructionCounts();
  private readonly judged: Judgement = { verdict: 0, passed: false, end: 0 };
  /** Where the packet the program let through ends (`outBytes()`), or -1 when it did not. */
  private passedEnd = -1;
  /** Only skb programs (tc) can clone. */
  private readonly cloning: boolean;

  constructor(
    private readonly engine: PacketEngine,
    private readonly scan: CaptureScan,
    /** The capture's buffers in the engine's linear memory, when it is read there. */
    private readonly linear: LinearReadBuffers | undefined,
    private readonly obj: BpfObject | undefined,
    private readonly out: PassOutputs,
    private readonly options: { readonly verbose: boolean; readonly json: boolean; readonly maxErrors: number },
  ) {
    this.cloning = engine.kind === 'tc' || engine.kind === 'socket';
  }

  /** Run every packet the reader holds: false when the run stops (the count, damage, `--max-errors`). */
  drain(): boolean {
    const scan = this.scan;
    const reader = scan.reader;
    const engine = this.engine;
    const linear = this.linear;
    for (;;) {
      const taken = scan.next();
      if (taken === 'more') return true;
      if (taken === 'stop') return false;
      const length = reader.dataLength;
      const verdict = linear !== undefined && linear.base >= 0 ? this.runAt(linear, reader, length) : this.run(engine, reader, length);
      if (!this.count(verdict, length)) return false;
    }
  }

  private runAt(linear: LinearReadBuffers, reader: CaptureReader, length: number): number | bigint | string {
    const engine = this.engine;
    let outcome;
    try {
      outcome = engine.runAt!(linear.base + reader.dataOffset, length);
    } catch (e) {
      // A run may have grown the memory the capture is read into.
      linear.check(reader);
      return this.failure(e);
    }
    linear.check(reader);
    return this.judge(outcome, reader, length);
  }

  private run(engine: PacketEngine, reader: CaptureReader, length: number): number | bigint | string {
    let outcome;
    try {
      outcome = engine.run(reader.buffer, reader.dataOffset, length);
    } catch (e) {
      return this.failure(e);
    }
    return this.judge(outcome, reader, length);
  }

  /** A failed run: counted, and described while fewer than MAX_ERRORS_KEPT are. */
  private failure(e: unknown): string {
    if (!(e instanceof EbpfError)) throw e;
    this.passedEnd = -1;
    this.failed++;
    if (this.failures.length < MAX_ERRORS_KEPT) this.failures.push({ packet: this.scan.packets, code: e.code, pc: e.pc, message: cliHint(e.message) });
    return `error ${e.code}`;
  }

  /** Judge a run that returned; write the packet where it goes. Returns the verdict key. */
  private judge(outcome: ReturnType<PacketEngine['run']>, reader: CaptureReader, length: number): number | bigint | string {
    const engine = this.engine;
    const kind = engine.kind;
    const judged = this.judged;
    try {
      judge(kind, outcome, engine, judged);
      // NaN when the engine cannot count (raw bytecode).
      const n = outcome.instructions;
      if (n === n) this.instructions.add(n);
      const { verdict, passed, end } = judged;
      // Only a redirect verdict or a clone costs anything here: names are made for those alone.
      if (isRedirect(kind, verdict)) {
        const target = redirectTarget(engine.redirect());
        this.redirects.add(target);
        const byTarget = this.out.byTarget;
        if (byTarget !== undefined) {
          const start = engine.outStart;
          byTarget.write('redirect', target, engine.outBytes(), start, end, originalLength(reader, end - start, length), reader.seconds, reader.nanos);
        }
      }
      if (this.cloning) {
        const copies = engine.clones();
        if (copies.length !== 0) {
          for (const c of copies) {
            const target = cloneTarget(c);
            this.clones.add(target);
            this.out.byTarget?.write('clone', target, c.packet, 0, c.packet.length, originalLength(reader, c.packet.length, length), reader.seconds, reader.nanos);
          }
        }
        this.clonesNotKept += engine.clonesDropped();
      }
      this.passedEnd = passed ? end : -1;
      return verdict;
    } catch (e) {
      return this.failure(e);
    }
  }

  /** Count packet {@link CaptureScan.packets}'s verdict, output and time: false when `--max-errors` stops the run. */
  private count(verdict: number | bigint | string, length: number): boolean {
    const number = this.scan.packets;
    this.verdicts.add(verdict);
    const obj = this.obj;
    if (obj !== undefined) {
      // Drained after each packet, as a reader would: the bounded buffers hold one packet's output.
      if (obj.traceLog.length > 0) {
        const lines = obj.drainTrace();
        this.traceLines += lines.length;
        for (const line of lines) if (this.trace.length < MAX_TRACE_LINES) this.trace.push({ packet: number, line });
      }
      this.out.events!.drain();
    }
    const writer = this.out.writer;
    const end = this.passedEnd;
    if (end >= 0 && writer !== undefined) {
      const engine = this.engine;
      const reader = this.scan.reader;
      const start = engine.outStart;
      writer.write(engine.outBytes(), start, end, originalLength(reader, end - start, length), reader.seconds, reader.nanos);
    }
    const options = this.options;
    if (options.verbose) {
      const name = verdictName(this.engine.kind, verdict);
      if (options.json) {
        if (this.perPacket.length < MAX_PER_PACKET) this.perPacket.push({ packet: number, verdict: name, length });
      } else this.out.report(`  #${number} ${name} (${length} bytes)\n`);
    }
    const now = this.timer.tick();
    if (now >= 0) this.out.progress.update(now, number);
    const failed = this.failed;
    if (failed >= options.maxErrors) {
      this.scan.stop(`stopped after ${failed} failed ${failed === 1 ? 'packet' : 'packets'} (--max-errors ${options.maxErrors})`);
      return false;
    }
    return true;
  }
}
