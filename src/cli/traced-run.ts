/**
 * One run of a program through the tracing engine, set up from the command line as `tsbpf trace` and
 * `tsbpf debug` take it: the program (bytecode, assembly, or an ELF object's program by --program)
 * and its input (packet --packet N of --pcap, or --mem / --mem-hex).
 * @module
 */
import type { SourceLine } from '../elf/btf-ext.js';
import { loadObject, type BpfObject } from '../elf/loader.js';
import { DEFAULT_LIMITS, type RunLimits } from '../vm/environment.js';
import type { Program } from '../vm/program.js';
import { TraceEngine, TracingVmRaw, type TraceHooks, type TraceSink } from '../vm/trace.js';
import { UsageError, intOption, stringOption, type ParsedArgs } from './args.js';
import { XDP_ACTIONS, selectProgram } from './commands/run-object.js';
import { readMemoryOptions, readProgramArg } from './input.js';
import type { CliIo } from './io.js';
import { capturePacket } from './pcap-run.js';
import { programBytes } from './program.js';

/** A program ready to run once, traced. */
export interface TracedRun {
  /** The entry program. */
  readonly program: Program;
  /** Its C source lines (empty without line info or for bytecode). */
  readonly lines: ReadonlyMap<number, SourceLine>;
  /** The run's limits (--budget over the defaults). */
  readonly limits: RunLimits;
  /** The loaded object, for ELF input. */
  readonly obj: BpfObject | undefined;
  /** Kernel-numbered helpers (ELF objects), so calls can be shown by name. */
  readonly kernelHelpers: boolean;
  /** Run once, reporting to `sink` and `hooks`; returns r0. */
  run(sink: TraceSink, hooks: TraceHooks): bigint;
  /** ` XDP_DROP` for XDP programs, else empty. */
  verdict(r0: bigint): string;
}

/** The command-line options this setup reads (for a command's option table). */
export const TRACED_RUN_OPTIONS = {
  pcap: { type: 'string' },
  packet: { type: 'string' },
  program: { type: 'string' },
  mem: { type: 'string' },
  'mem-hex': { type: 'string' },
  budget: { type: 'string' },
} as const;

/** Read the program argument `arg` and its input, and prepare the run. */
export async function setupTracedRun(arg: string, args: ParsedArgs, io: CliIo): Promise<TracedRun> {
  const budget = intOption(args, 'budget', 1, Number.MAX_SAFE_INTEGER);
  const limits: RunLimits = budget === undefined ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, instructionBudget: budget };
  const packetNumber = intOption(args, 'packet', 1, Number.MAX_SAFE_INTEGER);
  const pcap = stringOption(args, 'pcap');
  if (pcap !== undefined && (args.options.has('mem') || args.options.has('mem-hex'))) {
    throw new UsageError('give either --pcap or --mem / --mem-hex, not both');
  }
  if (pcap === undefined && packetNumber !== undefined) throw new UsageError('--packet needs --pcap FILE');
  const input = await readProgramArg(arg, io);
  const mem = pcap !== undefined ? await capturePacket(pcap, packetNumber ?? 1, io) : readMemoryOptions(stringOption(args, 'mem'), stringOption(args, 'mem-hex'));
  const name = stringOption(args, 'program');
  if (input.format !== 'elf') {
    if (name !== undefined) throw new UsageError('--program applies to ELF objects only');
    const vm = new TracingVmRaw(programBytes(input), { limits });
    return { program: vm.program!, lines: new Map(), limits, obj: undefined, kernelHelpers: false, run: (sink, hooks) => vm.executeProgramTraced(mem, sink, hooks), verdict: () => '' };
  }
  const obj = loadObject(input.bytes);
  const info = selectProgram(obj, input.name, name);
  const runner = obj.program(info.name);
  const run = (sink: TraceSink, hooks: TraceHooks): bigint => {
    const options = { engine: new TraceEngine(sink, hooks), limits };
    switch (info.type) {
      case 'xdp':
        return runner.runXdp(mem, options).r0;
      case 'socket':
        return runner.runSocketFilter(mem, options);
      case 'tc':
        return runner.runTc(mem, options);
      default:
        return runner.run(undefined, { ...options, mem });
    }
  };
  const verdict = (r0: bigint): string => (info.type === 'xdp' ? ` ${XDP_ACTIONS[Number(r0 & 0xffffffffn)] ?? ''}` : '');
  return { program: runner.program, lines: runner.lines, limits, obj, kernelHelpers: true, run, verdict };
}
