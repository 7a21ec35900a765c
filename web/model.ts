/**
 * The playground's model, with no DOM: a workspace holds one program source (assembly text or a
 * clang-built ELF object), lists its programs with their disassembly, C source lines and verifier
 * findings, runs a program on one packet or on a whole capture with either engine, and records a run
 * step by step for the debugger. The page (main.ts) only renders what this returns, so the same code
 * is tested in Node (test/web/model.test.ts).
 * @module
 */
import { assemble } from '../src/asm/assembler.js';
import { disassembleInsns } from '../src/asm/disassembler.js';
import type { SourceLine } from '../src/elf/btf-ext.js';
import { loadObject, type BpfObject, type ProgramInfo } from '../src/elf/loader.js';
import { ArgumentError, EbpfError, ErrorCode } from '../src/errors.js';
import { kernelHelperName } from '../src/helpers/kernel.js';
import { JitEngine } from '../src/jit/engine.js';
import type { ProgramRunner } from '../src/context/runner.js';
import { checkProgram } from '../src/verifier/verifier.js';
import { KERNEL_PROGRAM_TYPES, type KernelProgramType } from '../src/verifier/index.js';
import { DEFAULT_LIMITS, type RunLimits } from '../src/vm/environment.js';
import { TraceEngine, TraceStopped, TracingVmRaw, type TraceStep } from '../src/vm/trace.js';
import { EbpfVmRaw } from '../src/vm/vm.js';
import { dumpMaps, type MapDump } from '../src/cli/object-maps.js';

export { KERNEL_PROGRAM_TYPES };
export type { MapDump, KernelProgramType };

/** XDP verdict names by action number. */
const XDP_NAMES = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];
/** tc verdict names by action number (TC_ACT_UNSPEC is -1). */
const TC_NAMES: Record<number, string> = { [-1]: 'TC_ACT_UNSPEC', 0: 'TC_ACT_OK', 1: 'TC_ACT_RECLASSIFY', 2: 'TC_ACT_SHOT', 3: 'TC_ACT_PIPE', 4: 'TC_ACT_STOLEN', 5: 'TC_ACT_QUEUED', 6: 'TC_ACT_REPEAT', 7: 'TC_ACT_REDIRECT' };

/** How a program is run: on a packet's context, or raw (r1 = the input bytes, r2 = their length). */
export type RunKind = 'xdp' | 'socket' | 'tc' | 'raw';

/** One line of a program listing. */
export interface ListingLine {
  /** Slot index. */
  readonly pc: number;
  /** The instruction as text (LLVM syntax, helper names shown). */
  readonly text: string;
  /** A function starting here. */
  readonly functionName?: string;
  /** The C source line this slot starts, when the object has line info. */
  readonly source?: SourceLine;
  /** Verifier findings at this slot. */
  readonly issues: readonly { readonly severity: 'error' | 'warning'; readonly message: string }[];
}

/** A program of the workspace, ready to list and run. */
export interface PlaygroundProgram {
  /** Function name (assembly: `program`). */
  readonly name: string;
  /** ELF section (assembly: empty). */
  readonly section: string;
  /** How it runs. */
  readonly kind: RunKind;
  /** Listing with source lines and findings. */
  readonly listing: readonly ListingLine[];
  /** Findings that name no slot, and a summary line. */
  readonly verdict: { readonly accepted: boolean; readonly summary: string; readonly general: readonly string[] };
}

/** An error as the page shows it. */
export interface ErrorView {
  readonly code: string;
  readonly message: string;
  readonly pc?: number;
}

/** What one run on one packet gave. */
export interface RunView {
  readonly ok: boolean;
  /** Verdict name (`XDP_PASS`), or r0 in decimal for raw runs. */
  readonly verdict: string;
  /** r0 in hex. */
  readonly r0: string;
  readonly error?: ErrorView;
  /** The packet (or input memory) as the program left it. */
  readonly packet: Uint8Array;
  /** True when the program changed the packet. */
  readonly changed: boolean;
  /** bpf_trace_printk lines of the run. */
  readonly trace: readonly string[];
  /** The maps after the run (objects only). */
  readonly maps: readonly MapDump[];
  /** Wall time of the run in ms. */
  readonly ms: number;
}

/** A capture run's summary. */
export interface CaptureView {
  readonly packets: number;
  readonly verdicts: ReadonlyMap<string, number>;
  readonly firstErrors: readonly { readonly packet: number; readonly error: ErrorView }[];
  readonly trace: readonly string[];
  readonly maps: readonly MapDump[];
  readonly ms: number;
}

/** One recorded step: the instruction executed and the whole register file after it. */
export interface StepView {
  readonly pc: number;
  readonly depth: number;
  /** Register values after the step, r0-r10. */
  readonly registers: readonly bigint[];
  /** Registers this step changed. */
  readonly changed: readonly number[];
  /** Stores this step made. */
  readonly stores: readonly { readonly address: bigint; readonly size: number; readonly value: bigint }[];
}

/** A run recorded step by step. */
export interface Recording {
  /** Registers as the run started. */
  readonly start: readonly bigint[];
  readonly steps: readonly StepView[];
  /** Frame pointer at the start (the stack is the `stackSize` bytes below it). */
  readonly frame: bigint;
  readonly stackSize: number;
  /** How the run ended: its verdict, an error, or cut at the step limit. */
  readonly end: { readonly kind: 'exit'; readonly verdict: string; readonly r0: string } | { readonly kind: 'error'; readonly error: ErrorView } | { readonly kind: 'cut'; readonly limit: number };
}

/** Most steps recorded for the debugger (a browser tab keeps them all). */
export const MAX_STEPS = 100_000;

/** The error of a failed run or load, for display. */
export function errorView(e: unknown): ErrorView {
  if (e instanceof EbpfError) return { code: e.code, message: e.message, ...(e.pc === undefined ? {} : { pc: e.pc }) };
  return { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

function hex64(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16)}`;
}

/** The verdict name of r0 for a run kind. */
export function verdictName(kind: RunKind, r0: bigint): string {
  const low = Number(BigInt.asIntN(32, r0));
  if (kind === 'xdp') return XDP_NAMES[low] ?? `XDP action ${low >>> 0}`;
  if (kind === 'tc') return TC_NAMES[low] ?? `tc action ${low}`;
  if (kind === 'socket') return low === 0 ? 'drop' : `keep ${low >>> 0} bytes`;
  return BigInt.asUintN(64, r0).toString();
}

function runKindOf(info: ProgramInfo): RunKind {
  return info.type === 'xdp' || info.type === 'socket' || info.type === 'tc' ? info.type : 'raw';
}

function listing(bytes: Uint8Array, functionNames: ReadonlyMap<number, string>, lines: ReadonlyMap<number, SourceLine>, issues: ReturnType<typeof checkProgram>): ListingLine[] {
  const byPc = new Map<number, { severity: 'error' | 'warning'; message: string }[]>();
  for (const i of issues) {
    if (i.pc === undefined) continue;
    const list = byPc.get(i.pc) ?? [];
    list.push({ severity: i.severity, message: i.message });
    byPc.set(i.pc, list);
  }
  return disassembleInsns(bytes, { syntax: 'llvm', labels: true, names: functionNames }).map((d) => {
    const helper = d.insn.opcode === 0x85 && d.insn.src === 0 ? ` (${kernelHelperName(d.insn.imm)})` : '';
    const fn = functionNames.get(d.pc);
    const source = lines.get(d.pc);
    return {
      pc: d.pc,
      text: d.text + helper,
      ...(fn === undefined ? {} : { functionName: fn }),
      ...(source === undefined || source.line <= 0 ? {} : { source }),
      issues: byPc.get(d.pc) ?? [],
    };
  });
}

function verdictOf(issues: ReturnType<typeof checkProgram>, what: string): PlaygroundProgram['verdict'] {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const general = issues.filter((i) => i.pc === undefined).map((i) => `${i.severity}: ${i.message}`);
  const summary = errors === 0 ? `accepted (${what}${issues.length > 0 ? `, ${issues.length} warning(s)` : ''})` : `rejected: ${errors} error(s) (${what})`;
  return { accepted: errors === 0, summary, general };
}

/** Options of a run. */
export interface RunSettings {
  /** Use the WebAssembly JIT instead of the interpreter. */
  readonly jit: boolean;
  /** Instruction budget (the page's default is lower than the library's, so a loop cannot freeze the tab). */
  readonly budget: number;
}

/**
 * A program source and what the page shows about it. Create one with {@link Workspace.fromAssembly}
 * or {@link Workspace.fromObject}; both throw an {@link EbpfError} the page shows when the source is bad.
 */
export class Workspace {
  private readonly jit = new JitEngine();
  private readonly runners = new Map<string, ProgramRunner>();

  private constructor(
    /** The programs, in object order. */
    readonly programs: readonly PlaygroundProgram[],
    private readonly obj: BpfObject | undefined,
    private readonly rawBytes: Uint8Array | undefined,
  ) {}

  /** Assemble `text` (rbpf, uBPF or LLVM syntax, mixed freely) as one raw program, checked as `type`. */
  static fromAssembly(text: string, type: KernelProgramType | 'shape' = 'shape'): Workspace {
    const bytes = assemble(text);
    const issues = type === 'shape' ? checkProgram(bytes) : checkProgram(bytes, { level: 'kernel', programType: type });
    const what = type === 'shape' ? 'instruction shape checks' : `kernel-level analysis as ${type}`;
    const program: PlaygroundProgram = { name: 'program', section: '', kind: 'raw', listing: listing(bytes, new Map(), new Map(), issues), verdict: verdictOf(issues, what) };
    return new Workspace([program], undefined, bytes);
  }

  /** Load a clang-built ELF object; each program is linked and checked by the kernel-level analysis. */
  static fromObject(bytes: Uint8Array): Workspace {
    const jit = new JitEngine();
    const obj = loadObject(bytes, { verify: 'warn', jitEngine: jit });
    const programs: PlaygroundProgram[] = [];
    const ws = new Workspace(programs, obj, undefined);
    for (const info of obj.programs) {
      let runner: ProgramRunner;
      try {
        runner = obj.program(info.name);
      } catch (e) {
        const err = errorView(e);
        programs.push({ name: info.name, section: info.section, kind: runKindOf(info), listing: [], verdict: { accepted: false, summary: `cannot be loaded: ${err.message}`, general: [] } });
        continue;
      }
      ws.runners.set(info.name, runner);
      const v = obj.verification.get(info.name);
      const issues = v?.issues ?? [];
      const what = v?.programType === undefined ? 'shape checks' : `kernel-level analysis as ${v.programType}`;
      programs.push({
        name: info.name,
        section: info.section,
        kind: runKindOf(info),
        listing: listing(runner.program.bytes, runner.program.functionNames, runner.lines, [...issues]),
        verdict: verdictOf([...issues], what),
      });
    }
    return ws;
  }

  /** The maps of the object (empty for assembly). */
  maps(): MapDump[] {
    return this.obj === undefined ? [] : dumpMaps(this.obj);
  }

  private program(name: string): PlaygroundProgram {
    const p = this.programs.find((x) => x.name === name);
    if (p === undefined) throw new ArgumentError(`no program named ${name}`);
    return p;
  }

  private limits(settings: RunSettings): RunLimits {
    return { ...DEFAULT_LIMITS, instructionBudget: settings.budget };
  }

  /** Compile `name` for the JIT ahead of a run (browsers compile large modules only asynchronously). */
  async prepare(name: string, settings: RunSettings): Promise<void> {
    if (!settings.jit) return;
    const runner = this.runners.get(name);
    if (runner !== undefined) await this.jit.compileAsync(runner.program, this.limits(settings));
  }

  /** Run program `name` once on `packet` (raw programs: on the bytes as input memory). */
  async run(name: string, packet: Uint8Array, settings: RunSettings): Promise<RunView> {
    const p = this.program(name);
    const limits = this.limits(settings);
    const started = performance.now();
    let out: Uint8Array = packet.slice();
    let r0: bigint;
    try {
      if (this.rawBytes !== undefined) {
        const vm = new EbpfVmRaw(this.rawBytes, { limits });
        if (settings.jit) {
          await vm.jitCompileAsync();
          r0 = vm.executeProgramJit(out);
        } else r0 = vm.executeProgram(out);
      } else {
        await this.prepare(name, settings);
        const runner = this.runners.get(name);
        if (runner === undefined) throw new EbpfError(ErrorCode.UNSUPPORTED, `${name} ${p.verdict.summary}`);
        const options = { limits, engine: settings.jit ? this.jit : undefined };
        r0 = this.runOn(runner, p.kind, packet, options, (after) => (out = after));
      }
    } catch (e) {
      return { ok: false, verdict: 'error', r0: '', error: errorView(e), packet: out, changed: false, trace: this.drain(), maps: this.maps(), ms: performance.now() - started };
    }
    const changed = out.length !== packet.length || out.some((b, i) => b !== packet[i]);
    return { ok: true, verdict: verdictName(p.kind, r0), r0: hex64(r0), packet: out, changed, trace: this.drain(), maps: this.maps(), ms: performance.now() - started };
  }

  private runOn(runner: ProgramRunner, kind: RunKind, packet: Uint8Array, options: { limits: RunLimits; engine: TraceEngine | JitEngine | undefined }, after: (packet: Uint8Array) => void): bigint {
    const engine = options.engine === undefined ? {} : { engine: options.engine };
    switch (kind) {
      case 'xdp': {
        const r = runner.runXdp(packet, { limits: options.limits, ...engine });
        after(r.packet);
        return r.r0;
      }
      case 'socket':
        return runner.runSocketFilter(packet, { limits: options.limits, ...engine, inspect: (_skb, pkt) => after(pkt) });
      case 'tc':
        return runner.runTc(packet, { limits: options.limits, ...engine, inspect: (_skb, pkt) => after(pkt) });
      default: {
        const mem = packet.slice();
        const r0 = runner.run(undefined, { limits: options.limits, ...engine, mem });
        after(mem);
        return r0;
      }
    }
  }

  private drain(): string[] {
    return this.obj === undefined ? [] : this.obj.drainTrace();
  }

  /**
   * Run `name` on every packet, `chunk` packets per slice of work, calling `progress` between slices
   * (the page yields to the browser there). A failing packet counts as `error E_CODE` and the run goes on.
   */
  async runCapture(name: string, packets: readonly Uint8Array[], settings: RunSettings, progress: (done: number) => Promise<void> = async () => {}, chunk = 2000): Promise<CaptureView> {
    const p = this.program(name);
    const started = performance.now();
    const verdicts = new Map<string, number>();
    const firstErrors: { packet: number; error: ErrorView }[] = [];
    const trace: string[] = [];
    await this.prepare(name, settings);
    const runner = this.runners.get(name);
    const vm = this.rawBytes === undefined ? undefined : new EbpfVmRaw(this.rawBytes, { limits: this.limits(settings) });
    if (vm !== undefined && settings.jit) await vm.jitCompileAsync();
    if (runner === undefined && vm === undefined) throw new EbpfError(ErrorCode.UNSUPPORTED, `${name} ${p.verdict.summary}`);
    const options = { limits: this.limits(settings), engine: settings.jit ? this.jit : undefined };
    for (let i = 0; i < packets.length; i++) {
      let verdict: string;
      try {
        const pkt = packets[i]!;
        const r0 = vm !== undefined ? (settings.jit ? vm.executeProgramJit(pkt.slice()) : vm.executeProgram(pkt.slice())) : this.runOn(runner!, p.kind, pkt, options, () => {});
        verdict = verdictName(p.kind, r0);
      } catch (e) {
        const error = errorView(e);
        verdict = `error ${error.code}`;
        if (firstErrors.length < 5) firstErrors.push({ packet: i + 1, error });
      }
      verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
      if (trace.length < 1000) trace.push(...this.drain().slice(0, 1000 - trace.length));
      else this.drain();
      if ((i + 1) % chunk === 0) await progress(i + 1);
    }
    return { packets: packets.length, verdicts, firstErrors, trace, maps: this.maps(), ms: performance.now() - started };
  }

  /** Run `name` on `packet` through the tracing engine, recording at most `maxSteps` steps. */
  record(name: string, packet: Uint8Array, settings: Pick<RunSettings, 'budget'>, maxSteps = MAX_STEPS): Recording {
    const p = this.program(name);
    const limits = this.limits({ jit: false, budget: settings.budget });
    const steps: StepView[] = [];
    let regs: bigint[] = [];
    let start: bigint[] = [];
    const sink = (s: TraceStep): boolean => {
      if (steps.length >= maxSteps) return false;
      const next = regs.slice();
      for (const [r, , after] of s.changed) next[r] = after;
      regs = next;
      steps.push({ pc: s.pc, depth: s.depth, registers: next, changed: s.changed.map(([r]) => r), stores: s.stores });
      return true;
    };
    const engine = new TraceEngine(sink, {
      start: (r) => {
        start = r.slice();
        regs = r.slice();
      },
    });
    let end: Recording['end'];
    try {
      let r0: bigint;
      if (this.rawBytes !== undefined) {
        const vm = new TracingVmRaw(this.rawBytes, { limits });
        r0 = vm.executeProgramTraced(packet.slice(), (s) => {
          if (start.length === 0) {
            // executeProgramTraced has no start hook: r1/r2/r10 are the raw run's conventions.
            start = new Array<bigint>(11).fill(0n);
            regs = start.slice();
          }
          return sink(s);
        });
      } else {
        const runner = this.runners.get(name);
        if (runner === undefined) throw new EbpfError(ErrorCode.UNSUPPORTED, `${name} ${p.verdict.summary}`);
        r0 = this.runOn(runner, p.kind, packet, { limits, engine }, () => {});
      }
      end = { kind: 'exit', verdict: verdictName(p.kind, r0), r0: hex64(r0) };
    } catch (e) {
      end = e instanceof TraceStopped ? { kind: 'cut', limit: maxSteps } : { kind: 'error', error: errorView(e) };
    }
    this.drain();
    return { start, steps, frame: start[10] ?? 0n, stackSize: limits.stackSize, end };
  }
}

/**
 * The stack bytes after step `index` (-1: before the first), as the recorded stores left them: the
 * stack starts zeroed, and stores by instructions are replayed (helpers' writes are not recorded).
 */
export function stackAt(rec: Recording, index: number): Uint8Array {
  const stack = new Uint8Array(rec.stackSize);
  const base = rec.frame - BigInt(rec.stackSize);
  for (let i = 0; i <= index && i < rec.steps.length; i++) {
    for (const st of rec.steps[i]!.stores) {
      for (let b = 0; b < st.size; b++) {
        const off = st.address + BigInt(b) - base;
        if (off >= 0n && off < BigInt(rec.stackSize)) stack[Number(off)] = Number((st.value >> BigInt(8 * b)) & 0xffn);
      }
    }
  }
  return stack;
}

/** A one-line summary of an Ethernet frame (`IPv4 TCP 10.0.0.1:1234 > 10.0.0.2:80, 60 bytes`). */
export function describePacket(p: Uint8Array): string {
  const len = `${p.length} bytes`;
  if (p.length < 14) return len;
  const type = (p[12]! << 8) | p[13]!;
  const ip4 = (o: number): string => `${p[o]}.${p[o + 1]}.${p[o + 2]}.${p[o + 3]}`;
  if (type === 0x0800 && p.length >= 34) {
    const ihl = (p[14]! & 0x0f) * 4;
    const proto = p[23]!;
    const l4 = 14 + ihl;
    const port = (o: number): number => (p[o]! << 8) | p[o + 1]!;
    const names: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };
    const name = names[proto] ?? `proto ${proto}`;
    if ((proto === 6 || proto === 17) && p.length >= l4 + 4) return `IPv4 ${name} ${ip4(26)}:${port(l4)} > ${ip4(30)}:${port(l4 + 2)}, ${len}`;
    return `IPv4 ${name} ${ip4(26)} > ${ip4(30)}, ${len}`;
  }
  if (type === 0x86dd) return `IPv6, ${len}`;
  if (type === 0x0806) return `ARP, ${len}`;
  return `ethertype 0x${type.toString(16).padStart(4, '0')}, ${len}`;
}

/** Parse hex bytes as a user types them (spaces, newlines, `0x` prefixes and commas allowed). */
export function parseHexBytes(text: string): Uint8Array {
  const compact = text.replace(/0x/gi, '').replace(/[\s,:]+/g, '');
  const bad = /[^0-9a-f]/i.exec(compact);
  if (bad !== null) throw new ArgumentError(`'${bad[0]}' is not a hex digit`);
  if (compact.length % 2 !== 0) throw new ArgumentError('odd number of hex digits');
  const out = new Uint8Array(compact.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(compact.slice(2 * i, 2 * i + 2), 16);
  return out;
}
