/**
 * Running a program of a clang-built ELF object from `tsbpf run`: the object's maps and global data are
 * set up by the loader, and the program runs with the context its section implies (XDP, socket filter,
 * tc, or raw memory).
 * @module
 */
import { loadObject, type BpfObject, type LoadOptions, type ProgramInfo } from '../../elf/loader.js';
import { JitEngine } from '../../jit/engine.js';
import type { RunLimits } from '../../vm/environment.js';
import { InputError, type ProgramInput } from '../input.js';
import type { CliIo } from '../io.js';
import { EventDrain, formatEvents } from '../object-output.js';

/** XDP verdict names by action number. */
export const XDP_ACTIONS: readonly string[] = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/**
 * The program `name` (function or section name) of an object; without a name, its only program.
 * Throws {@link InputError} listing the programs when the choice is missing or wrong.
 */
export function selectProgram(obj: BpfObject, file: string, name: string | undefined): ProgramInfo {
  const names = obj.programs.map((p) => `${p.name} (${p.section})`).join(', ');
  if (name === undefined) {
    if (obj.programs.length !== 1) {
      throw new InputError(
        `${file}: ${obj.programs.length === 0 ? 'has no programs' : `has ${obj.programs.length} programs: ${names}; choose one with --program NAME`}`,
      );
    }
    return obj.programs[0]!;
  }
  const info = obj.programs.find((p) => p.name === name) ?? obj.programs.find((p) => p.section === name);
  if (info === undefined) throw new InputError(`${file}: no program named ${name}; programs: ${names || 'none'}`);
  return info;
}

/** What to run and how. */
export interface ObjectRunRequest {
  /** The object file. */
  readonly input: ProgramInput;
  /** Program (function) or section name; may be omitted when the object has one program. */
  readonly program: string | undefined;
  /** Input memory, or the packet for XDP / socket / tc programs. */
  readonly mem: Uint8Array;
  /** Compile to WebAssembly. */
  readonly jit: boolean;
  /** Run limits. */
  readonly limits: Partial<RunLimits>;
  /** Program type and map size overrides (`--type`, `--map-size`). */
  readonly load?: LoadOptions;
}

/**
 * Run one program of an object and return r0 (XDP runs also print the verdict). Trace lines and ring
 * buffer / perf event records are drained after the run and reported, with what was dropped.
 */
export function runObject(req: ObjectRunRequest, io: CliIo): bigint {
  return objectRun(req, io)();
}

/**
 * Load the object once and return a function running its program on a fresh copy of `req.mem` (for
 * `--repeat`): XDP runs print their verdict, and every run's output (trace lines, event records, what
 * was dropped) is drained after it, as a reader would, but printed for the first run only.
 */
export function objectRun(req: ObjectRunRequest, io: CliIo): () => bigint {
  const obj = loadObject(req.input.bytes, { ...req.load, ...(req.jit ? { jitEngine: new JitEngine() } : {}) });
  const info = selectProgram(obj, req.input.name, req.program);
  const runner = obj.program(info.name);
  const options = { jit: req.jit, limits: req.limits };
  let printed = false;
  const events = new EventDrain(obj);
  const once = (r0: bigint): bigint => {
    const lines = obj.drainTrace();
    events.drain();
    if (!printed) {
      for (const line of lines) io.out(`trace_printk: ${line}\n`);
      if (obj.traceDropped > 0) io.out(`trace_printk: ${obj.traceDropped} dropped (the trace buffer was full)\n`);
      io.out(formatEvents(events.counts));
    }
    printed = true;
    return r0;
  };
  switch (info.type) {
    case 'xdp':
      return () => {
        const result = runner.runXdp(req.mem, options);
        if (!printed) io.out(`action = ${XDP_ACTIONS[result.action] ?? `unknown (${result.action})`}\n`);
        return once(result.r0);
      };
    case 'socket':
      return () => once(runner.runSocketFilter(req.mem, options));
    case 'tc':
      return () => once(runner.runTc(req.mem, options));
    default:
      return () => once(runner.run(undefined, { ...options, mem: req.mem.slice() }));
  }
}
