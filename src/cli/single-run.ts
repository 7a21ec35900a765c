/**
 * `tsbpf run OBJ.o --packet-hex …` (or `--mem-hex`, `--mem FILE`): one run of an object's program on
 * one input, reported as a capture run reports its packets — the verdict by name, r0, the maps'
 * contents, trace lines and event records, and the packet as the program left it (printed when it
 * changed, written with `--out`). The run goes through the same packet engine as a capture run, so
 * both see the same context, headroom and verdict rules.
 * @module
 */
import type { BpfObject, ProgramInfo } from '../elf/loader.js';
import { LinkType, PcapStreamWriter } from '../pcap/index.js';
import type { RunLimits } from '../vm/environment.js';
import { formatNs } from './capture-stats.js';
import { writeOutputFile } from './input.js';
import type { CliIo } from './io.js';
import { saveMapState } from './map-state.js';
import { dumpMaps, type MapDump } from './object-maps.js';
import { EventDrain, formatRunOutputs, runOutputsJson, type EventCount } from './object-output.js';
import { flowKeysReport, judge, objectPacketEngine, r0Of, verdictName, type Judgement } from './packet-engine.js';

/** What one single run needs. */
export interface SingleRunRequest {
  /** The loaded object (maps already filled from `--map`). */
  readonly object: BpfObject;
  /** The program to run. */
  readonly info: ProgramInfo;
  /** The packet (or raw memory). */
  readonly input: Uint8Array;
  readonly jit: boolean;
  readonly limits: Partial<RunLimits>;
  /** Runs (`--repeat`; default 1): maps keep what earlier runs stored, as in the kernel. */
  readonly repeat: number | undefined;
  /** Where to write the packet as left: `.pcap` files get a one-packet capture, others the raw bytes, `-` stdout. */
  readonly outPath: string | undefined;
  readonly json: boolean;
  /** Write every map's state after the run here (`--save-maps`). */
  readonly saveMaps: string | undefined;
  /** The cgroup a cgroup_skb program is attached to (`--cgroup`; default the root cgroup). */
  readonly cgroup?: bigint | undefined;
}

/** The report of a single run, as `--json` prints it. */
export interface SingleRunReport {
  readonly program: string;
  readonly engine: 'interpreter' | 'jit';
  readonly r0: string;
  readonly r0Decimal: string;
  /** Verdict by name (`XDP_PASS`, `TC_ACT_SHOT`, `kept (non-zero)`…); absent for programs without one. */
  readonly verdict?: string;
  /** A flow dissector's keys after the run (`struct bpf_flow_keys`, decoded). */
  readonly flowKeys?: Record<string, number | boolean | string>;
  /** The packet (for raw programs, the memory) as the program left it. */
  readonly packet: { readonly length: number; readonly changed: boolean; readonly hex: string };
  readonly maps: readonly MapDump[];
  readonly trace: readonly string[];
  readonly traceDropped: number;
  readonly events: readonly EventCount[];
  readonly out?: { readonly file: string; readonly bytes: number };
  readonly runs?: number;
  readonly nsPerRun?: number;
  readonly firstRunNs?: number;
}

/** Most packet bytes printed in the text report. */
const MAX_HEX_PRINTED = 512;

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** `  0000  aa bb cc …` lines, 16 bytes each. */
function hexDump(bytes: Uint8Array): string {
  let out = '';
  const shown = Math.min(bytes.length, MAX_HEX_PRINTED);
  for (let at = 0; at < shown; at += 16) {
    const row = [...bytes.subarray(at, Math.min(at + 16, shown))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    out += `  ${at.toString(16).padStart(4, '0')}  ${row}\n`;
  }
  if (bytes.length > shown) out += `  ... ${bytes.length - shown} more bytes (all of them with --json or --out)\n`;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Write the packet as left to `path` (see {@link SingleRunRequest.outPath}). */
function writePacket(path: string, packet: Uint8Array, io: CliIo): void {
  let bytes = packet;
  if (/\.pcap$/i.test(path)) {
    const chunks: Uint8Array[] = [];
    const writer = new PcapStreamWriter((b) => chunks.push(b.slice()), { linkType: LinkType.ETHERNET });
    const now = Date.now();
    writer.write(packet, 0, packet.length, packet.length, Math.floor(now / 1000), (now % 1000) * 1e6);
    writer.flush();
    bytes = new Uint8Array(Buffer.concat(chunks));
  }
  if (path === '-') io.outBytes(bytes);
  else writeOutputFile(path, bytes);
}

/** Run once (or `repeat` times) and print the report; returns the exit code. */
export function singleObjectRun(req: SingleRunRequest, io: CliIo): number {
  const { object: obj, info } = req;
  const engine = objectPacketEngine(obj, info, req.jit, req.limits, req.cgroup);
  const events = new EventDrain(obj);
  const report = req.outPath === '-' ? io.err.bind(io) : io.out.bind(io);
  const repeat = req.repeat ?? 1;
  const judged: Judgement = { verdict: 0, passed: false, end: 0 };
  const t0 = performance.now();
  let outcome = engine.run(req.input, 0, req.input.length);
  const t1 = performance.now();
  // The first run's trace lines are the ones shown; every run's are drained, as a reader would.
  const trace = obj.drainTrace();
  events.drain();
  for (let i = 1; i < repeat; i++) {
    outcome = engine.run(req.input, 0, req.input.length);
    obj.drainTrace();
    events.drain();
  }
  const t2 = performance.now();
  const r0 = r0Of(outcome);
  judge(engine.kind, outcome, engine, judged);
  // The packet as left: for a socket filter, cut to the length it kept.
  const packet = engine.outBytes().slice(engine.outStart, judged.end);
  const changed = !sameBytes(packet, req.input);
  if (req.outPath !== undefined) writePacket(req.outPath, packet, io);
  if (req.saveMaps !== undefined) saveMapState(obj, req.saveMaps);
  const verdict = engine.kind === 'raw' ? undefined : verdictName(engine.kind, judged.verdict);
  const flow = engine.flowKeys?.();
  const flowKeys = flow === undefined ? undefined : flowKeysReport(flow);
  const maps = dumpMaps(obj);
  const perRun = repeat > 1 ? ((t2 - t1) * 1e6) / (repeat - 1) : (t1 - t0) * 1e6;
  const label = `${info.name} (${info.section})`;
  if (req.json) {
    const doc: SingleRunReport = {
      program: label,
      engine: req.jit ? 'jit' : 'interpreter',
      r0: `0x${r0.toString(16)}`,
      r0Decimal: r0.toString(),
      ...(verdict === undefined ? {} : { verdict }),
      ...(flowKeys === undefined ? {} : { flowKeys }),
      packet: { length: packet.length, changed, hex: toHex(packet) },
      ...runOutputsJson(obj, maps, trace, events.counts),
      ...(req.outPath === undefined ? {} : { out: { file: req.outPath, bytes: packet.length } }),
      ...(req.repeat === undefined ? {} : { runs: repeat, nsPerRun: Math.round(perRun), firstRunNs: Math.round((t1 - t0) * 1e6) }),
    };
    report(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  let text = verdict === undefined ? '' : `verdict = ${verdict}\n`;
  const signed = BigInt.asIntN(64, r0);
  text += `r0 = 0x${r0.toString(16)} (${r0}${signed < 0n ? `, signed ${signed}` : ''})\n`;
  if (flowKeys !== undefined) text += `flow keys: ${Object.entries(flowKeys).map(([k, v]) => `${k}=${String(v)}`).join(' ')}\n`;
  if (req.repeat !== undefined) {
    text += `runs: ${repeat}, ${formatNs(perRun)} per run${repeat > 1 ? ` after the first (${formatNs((t1 - t0) * 1e6)})` : ''} (each run sets up the context and copies the input again)\n`;
  }
  text += formatRunOutputs(obj, maps, trace, events.counts);
  const what = engine.kind === 'raw' ? 'memory' : 'packet';
  if (changed) {
    const was = packet.length === req.input.length ? '' : `, was ${req.input.length}`;
    text += `${what} as the program left it (${packet.length} bytes${was}):\n${hexDump(packet)}`;
  } else if (req.input.length > 0) {
    text += `${what}: unchanged (${packet.length} bytes)\n`;
  }
  if (req.saveMaps !== undefined) text += `saved the maps to ${req.saveMaps}\n`;
  if (req.outPath !== undefined) text += `wrote the ${what} (${packet.length} bytes) to ${req.outPath === '-' ? 'stdout' : req.outPath}\n`;
  report(text);
  return 0;
}
