/**
 * `tsbpf trace PROG`: run a program once and print every executed instruction with the registers it
 * changed and the memory it stored, under the C source line it came from when the object has line info.
 * @module
 */
import { disassembleInsns } from '../../asm/disassembler.js';
import type { SourceLine } from '../../elf/btf-ext.js';
import { EbpfError } from '../../errors.js';
import { kernelHelperName } from '../../helpers/kernel.js';
import type { Program } from '../../vm/program.js';
import { TraceStopped, type TraceStep } from '../../vm/trace.js';
import { expectPositionals, flag, intOption, parseArgs } from '../args.js';
import type { Command } from '../command.js';
import type { CliIo } from '../io.js';
import { TRACED_RUN_OPTIONS, setupTracedRun, type TracedRun } from '../traced-run.js';
import { jsonErrorOf } from '../json-error.js';
import { formatR0 } from './run.js';
import { lineOf, sourceComment } from './disasm.js';

/** Default most instructions printed. */
const DEFAULT_LIMIT = 10000;

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Each program's instructions as text (helper calls named), built once per program a run reaches. */
class InstructionTexts {
  private texts = new WeakMap<Program, Map<number, string>>();

  constructor(
    private readonly llvm: boolean,
    private readonly helperNames: boolean,
  ) {}

  of(program: Program, pc: number): string {
    let map = this.texts.get(program);
    if (map === undefined) {
      map = new Map();
      for (const d of disassembleInsns(program.bytes, { syntax: this.llvm ? 'llvm' : 'rbpf', labels: true, names: program.functionNames })) {
        const helper = this.helperNames && d.insn.opcode === 0x85 && d.insn.src === 0 ? ` (${kernelHelperName(d.insn.imm)})` : '';
        map.set(d.pc, d.text + helper);
      }
      this.texts.set(program, map);
    }
    return map.get(pc) ?? '?';
  }
}

/** Formats steps as text lines, flushing to the output in chunks. */
class TracePrinter {
  private buffer: string[] = [];
  private lastLine: SourceLine | undefined;
  private lastProgram: Program | undefined;
  count = 0;

  constructor(
    private readonly io: CliIo,
    private readonly texts: InstructionTexts,
    private readonly lines: ReadonlyMap<number, SourceLine>,
    private readonly limit: number,
  ) {}

  /** The sink for the engine: false once the limit is reached. */
  step = (s: TraceStep): boolean => {
    if (this.count >= this.limit) return false;
    this.count++;
    const indent = '  '.repeat(s.depth);
    if (s.program !== this.lastProgram) {
      if (this.lastProgram !== undefined) this.buffer.push(`; tail call into ${s.program.name}`);
      this.lastProgram = s.program;
    }
    const fn = s.program.functionNames.get(s.pc);
    if (fn !== undefined) this.buffer.push(`${indent}${fn}:`);
    // Line info belongs to the entry program's slots; tail-call targets are other programs.
    const src = s.program === this.entry ? this.lines.get(s.pc) : undefined;
    if (src !== undefined && src.line > 0 && (this.lastLine === undefined || src.line !== this.lastLine.line || src.file !== this.lastLine.file)) {
      this.buffer.push(`${indent}${sourceComment(src)}`);
      this.lastLine = src;
    }
    const effects = [
      ...s.changed.map(([r, before, after]) => `r${r} ${hex(before)} -> ${hex(after)}`),
      ...s.stores.map((st) => `[${hex(st.address)}] <- ${hex(st.value)} (${st.size} ${st.size === 1 ? 'byte' : 'bytes'})`),
    ];
    const text = `${indent}${String(s.pc).padStart(5)}: ${this.texts.of(s.program, s.pc)}`;
    this.buffer.push(effects.length === 0 ? text : `${text.padEnd(44)}  ; ${effects.join(', ')}`);
    if (this.buffer.length >= 1000) this.flush();
    return true;
  };

  entry: Program | undefined;
  /** The program running now (TraceHooks.before), to name the faulting instruction after an error. */
  current: Program | undefined;

  /** TraceHooks.before. */
  before = (program: Program): void => {
    this.current = program;
  };

  /** The instruction an error names, as a trace line (`  => 12: r0 = *(u64 *)(r1 + 0)`), or undefined. */
  faultLine(pc: number | undefined): string | undefined {
    const program = this.current;
    if (pc === undefined || program === undefined || pc < 0 || pc >= program.insns.length) return undefined;
    const src = program === this.entry ? lineOf(this.lines, pc) : undefined;
    const where = src === undefined ? '' : `${sourceComment(src)}\n`;
    return `${where}=> ${String(pc).padStart(5)}: ${this.texts.of(program, pc)}`;
  }

  flush(): void {
    if (this.buffer.length > 0) this.io.out(this.buffer.join('\n') + '\n');
    this.buffer = [];
  }
}

/** One executed instruction in `--json` (registers and values as hex strings). */
interface JsonStep {
  pc: number;
  depth: number;
  text: string;
  /** The program it belongs to, when a tail call left the entry program. */
  program?: string;
  source?: { file: string; line: number; text: string };
  changed?: { reg: number; before: string; after: string }[];
  stores?: { address: string; value: string; size: number }[];
}

/**
 * Writes steps as the `steps` array of one JSON document, streamed in chunks (memory stays bounded
 * whatever --limit is); {@link JsonTraceWriter.end} closes the document with the result.
 */
class JsonTraceWriter {
  private buffer: string[] = [];
  count = 0;

  constructor(
    private readonly io: CliIo,
    private readonly texts: InstructionTexts,
    private readonly lines: ReadonlyMap<number, SourceLine>,
    private readonly limit: number,
    private readonly entry: Program,
  ) {
    io.out(`{\n  "program": ${JSON.stringify(entry.name)},\n  "steps": [`);
  }

  step = (s: TraceStep): boolean => {
    if (this.count >= this.limit) return false;
    const src = s.program === this.entry ? this.lines.get(s.pc) : undefined;
    const j: JsonStep = { pc: s.pc, depth: s.depth, text: this.texts.of(s.program, s.pc) };
    if (s.program !== this.entry) j.program = s.program.name;
    if (src !== undefined && src.line > 0) j.source = { file: src.file, line: src.line, text: src.text.trim() };
    if (s.changed.length > 0) j.changed = s.changed.map(([reg, before, after]) => ({ reg, before: hex(before), after: hex(after) }));
    if (s.stores.length > 0) j.stores = s.stores.map((st) => ({ address: hex(st.address), value: hex(st.value), size: st.size }));
    this.buffer.push(`${this.count === 0 ? '' : ','}\n    ${JSON.stringify(j)}`);
    this.count++;
    if (this.buffer.length >= 1000) this.flush();
    return true;
  };

  private flush(): void {
    if (this.buffer.length > 0) this.io.out(this.buffer.join(''));
    this.buffer = [];
  }

  /** Close the `steps` array and write the rest of the document (`tail`'s fields). */
  end(tail: Record<string, unknown>): void {
    this.flush();
    this.io.out(`${this.count === 0 ? '' : '\n  '}],${JSON.stringify({ instructions: this.count, ...tail }, null, 2).slice(1)}\n`);
  }
}

/** `tsbpf trace --json`: the steps, then the result or the error, as one document. */
function traceJson(setup: TracedRun, texts: InstructionTexts, limit: number, io: CliIo): number {
  const writer = new JsonTraceWriter(io, texts, setup.lines, limit, setup.program);
  let tail: Record<string, unknown>;
  let status = 0;
  let current = setup.program;
  try {
    const r0 = setup.run(writer.step, { before: (program) => void (current = program) });
    tail = { result: { r0: hex(r0), r0Decimal: (r0 & 0xffff_ffff_ffff_ffffn).toString(), verdict: setup.verdict(r0).trim() || undefined } };
  } catch (e) {
    // The document is already open: every failure, even an internal one, is reported inside it.
    if (e instanceof TraceStopped) tail = { stopped: `--limit ${limit}` };
    else {
      const failed = jsonErrorOf(e, false);
      const pc = failed.error.pc;
      // The instruction that failed (it is not among the steps: it did not complete).
      const at = pc === undefined || pc < 0 || pc >= current.insns.length ? undefined : { pc, text: texts.of(current, pc), ...(current === setup.program ? {} : { program: current.name }) };
      tail = { error: failed.error, ...(at === undefined ? {} : { at }) };
      status = failed.status;
    }
  }
  const printk = setup.obj?.drainTrace() ?? [];
  writer.end({ ...tail, ...(printk.length > 0 ? { trace_printk: printk } : {}) });
  return status;
}

/** The `trace` command. */
export const traceCommand: Command = {
  name: 'trace',
  summary: 'run a program once and print every instruction with the registers and memory it changed',
  options: {
    ...TRACED_RUN_OPTIONS,
    limit: { type: 'string' },
    llvm: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  help: `Usage: tsbpf trace OBJECT.o --pcap CAPTURE [--packet N] [--program NAME] [--limit N] [--llvm] [--json]
       tsbpf trace PROG [--mem FILE | --mem-hex HEX] [--limit N] [--llvm] [--json]

Run a program once and print each instruction it executes: its pc, its text, the registers it
changed (before -> after) and the memory it stored. For ELF objects built with -g, the C source
line is printed above the instructions it produced. Calls into subprograms are indented.
An ELF object's XDP, socket or tc program runs on packet N of the capture (default 1, counting from
1) or on the --mem bytes; bytecode, hex and assembly run on --mem as 'tsbpf run' does.

Options:
  --pcap FILE     the capture to take the packet from
  --packet N      which packet of the capture (default 1)
  --program NAME  which program of an ELF object (function or section name)
  --mem FILE      input memory / packet: the raw bytes of FILE
  --mem-hex HEX   input memory / packet as hex bytes
  --limit N       print at most N instructions, then stop the run (default ${DEFAULT_LIMIT})
  --budget N      instruction budget of the run (default 100000000)
  --llvm          LLVM syntax (r0 = 1) instead of rbpf syntax (mov64 r0, 0x1)
  --json          print one JSON document: {"program", "steps": [{pc, depth, text, source: {file, line,
                  text}, changed: [{reg, before, after}], stores: [{address, value, size}]}],
                  "instructions": N, then "result": {r0, r0Decimal, verdict}, "stopped" (--limit
                  reached) or "error": {code, message, pc} with "at": {pc, text}, and
                  "trace_printk": [lines]}; values are
                  hex strings; the exit status is 1 after an error

Example:
  $ tsbpf trace examples/xdp_firewall.o --pcap examples/traffic.pcap --packet 3 --llvm
  xdp_firewall:
  ; ./xdp_firewall.c:41: int xdp_firewall(struct xdp_md *ctx) {
      0: r0 = 1                                 ; r0 0x0 -> 0x1
  ; ./xdp_firewall.c:43: void *data_end = (void *)(long)ctx->data_end;
      1: r7 = *(u32 *)(r1 + 4)                  ; r7 0x0 -> 0x10000136
  ...
     90: call 6 (bpf_trace_printk)              ; r0 0x0 -> 0x1a
     91: r0 = 1                                 ; r0 0x1a -> 0x1
  ; ./xdp_firewall.c:72: }
     92: exit
  trace_printk: drop port 23 from c0a80142
  result: r0 = 0x1 (1) XDP_DROP after 77 instructions
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [arg] = expectPositionals(args, ['PROG']);
    const limit = intOption(args, 'limit', 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_LIMIT;
    const llvm = flag(args, 'llvm');
    const setup = await setupTracedRun(arg!, args, io);
    const texts = new InstructionTexts(llvm, setup.kernelHelpers);
    if (flag(args, 'json')) return traceJson(setup, texts, limit, io);
    const printer = new TracePrinter(io, texts, setup.lines, limit);
    printer.entry = setup.program;
    const run = (): bigint => setup.run(printer.step, { before: printer.before });
    let r0: bigint;
    try {
      r0 = run();
    } catch (e) {
      printer.flush();
      if (e instanceof TraceStopped) {
        io.out(`stopped after ${printer.count} instructions (--limit ${limit})\n`);
        return 0;
      }
      if (e instanceof EbpfError) {
        const fault = printer.faultLine(e.pc);
        io.out(`error after ${printer.count} instructions (reported below)${fault === undefined ? '' : ', at'}\n`);
        if (fault !== undefined) io.out(`${fault}\n`);
      }
      throw e;
    }
    printer.flush();
    for (const line of setup.obj?.drainTrace() ?? []) io.out(`trace_printk: ${line}\n`);
    io.out(`result: r0 = ${formatR0(r0)}${setup.verdict(r0)} after ${printer.count} instructions\n`);
    return 0;
  },
};
