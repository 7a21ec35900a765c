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
import { TRACED_RUN_OPTIONS, setupTracedRun } from '../traced-run.js';
import { formatR0 } from './run.js';
import { lineOf, sourceComment } from './disasm.js';

/** Default most instructions printed. */
const DEFAULT_LIMIT = 10000;

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Formats steps as text lines, flushing to the output in chunks. */
class TracePrinter {
  private texts = new WeakMap<Program, Map<number, string>>();
  private buffer: string[] = [];
  private lastLine: SourceLine | undefined;
  private lastProgram: Program | undefined;
  count = 0;

  constructor(
    private readonly io: CliIo,
    private readonly llvm: boolean,
    private readonly lines: ReadonlyMap<number, SourceLine>,
    private readonly limit: number,
    private readonly helperNames: boolean,
  ) {}

  private textOf(program: Program, pc: number): string {
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
    const text = `${indent}${String(s.pc).padStart(5)}: ${this.textOf(s.program, s.pc)}`;
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
    return `${where}=> ${String(pc).padStart(5)}: ${this.textOf(program, pc)}`;
  }

  flush(): void {
    if (this.buffer.length > 0) this.io.out(this.buffer.join('\n') + '\n');
    this.buffer = [];
  }
}

/** The `trace` command. */
export const traceCommand: Command = {
  name: 'trace',
  summary: 'run a program once and print every instruction with the registers and memory it changed',
  options: {
    ...TRACED_RUN_OPTIONS,
    limit: { type: 'string' },
    llvm: { type: 'boolean' },
  },
  help: `Usage: tsbpf trace OBJECT.o --pcap CAPTURE [--packet N] [--program NAME] [--limit N] [--llvm]
       tsbpf trace PROG [--mem FILE | --mem-hex HEX] [--limit N] [--llvm]

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
    const printer = new TracePrinter(io, llvm, setup.lines, limit, setup.kernelHelpers);
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
