/**
 * `tsbpf debug PROG`: run a program once under an interactive step debugger (debugger.ts), reading
 * commands from the terminal or from piped input.
 * @module
 */
import { readSync } from 'node:fs';
import { EbpfError } from '../../errors.js';
import { UsageError, expectPositionals, flag, listOption, parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { DebugQuit, DebugSession, type DebugTarget } from '../debugger.js';
import { dumpMaps, formatMapDump } from '../object-maps.js';
import { TRACED_RUN_OPTIONS, setupTracedRun } from '../traced-run.js';
import { formatR0 } from './run.js';

/** Lines of standard input, read synchronously (the engine calls the debugger in the middle of a run). */
function stdinLines(): () => string | undefined {
  let pending = '';
  let ended = false;
  const chunk = Buffer.alloc(4096);
  return () => {
    for (;;) {
      const nl = pending.indexOf('\n');
      if (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        return line;
      }
      if (ended) {
        if (pending === '') return undefined;
        const rest = pending;
        pending = '';
        return rest;
      }
      let n: number;
      try {
        n = readSync(0, chunk, 0, chunk.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // non-blocking stdin: wait a little
          continue;
        }
        if (code === 'EOF') n = 0;
        else throw e;
      }
      if (n === 0) ended = true;
      else pending += chunk.toString('utf8', 0, n);
    }
  };
}

/** The `debug` command. */
export const debugCommand: Command = {
  name: 'debug',
  summary: 'run a program under a step debugger: breakpoints by pc or C line, registers, stack, maps',
  options: {
    ...TRACED_RUN_OPTIONS,
    break: { type: 'list' },
    llvm: { type: 'boolean' },
  },
  help: `Usage: tsbpf debug OBJECT.o --pcap CAPTURE [--packet N] [--program NAME] [--break WHERE]... [--llvm]
       tsbpf debug PROG [--mem FILE | --mem-hex HEX] [--break WHERE]... [--llvm]

Run a program once and stop before its first instruction (or, with --break, at the first breakpoint),
then take commands: step, next, continue, break (a pc, a C line such as xdp_firewall.c:64, or a
function name), delete, info break, regs, stack, x ADDR, maps, list, bt, quit; 'help' lists them and a
blank line repeats the last one. Commands come from the terminal, or from piped input (each is echoed,
so the output reads as a transcript); the end of input stops the run.
The input is chosen as for 'tsbpf trace': packet N of a capture (default 1) or the --mem bytes.

Options:
  --pcap FILE       the capture to take the packet from
  --packet N        which packet of the capture (default 1)
  --program NAME    which program of an ELF object (function or section name)
  --mem FILE        input memory / packet: the raw bytes of FILE
  --mem-hex HEX     input memory / packet as hex bytes
  --break WHERE     a breakpoint to start with (repeatable)
  --budget N        instruction budget of the run (default 100000000)
  --llvm            LLVM syntax (r0 = 1) instead of rbpf syntax (mov64 r0, 0x1)

Example:
  $ printf 'regs\\nmaps\\ncontinue\\n' | tsbpf debug examples/xdp_firewall.o --pcap examples/traffic.pcap --packet 3 --break xdp_firewall.c:70 --llvm
  breakpoint at pc 84
  ./xdp_firewall.c:70: bpf_printk("drop port %d from %x", BLOCKED_PORT, bpf_ntohl(saddr));
  =>    84: r4 = *(u32 *)(r10 - 4)
  (tsbpf) regs
  ...
  result: r0 = 0x1 (1) XDP_DROP after 65 instructions
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [arg] = expectPositionals(args, ['PROG']);
    const llvm = flag(args, 'llvm');
    const setup = await setupTracedRun(arg!, args, io);
    const obj = setup.obj;
    const target: DebugTarget = {
      program: setup.program,
      lines: setup.lines,
      llvm,
      helperNames: setup.kernelHelpers,
      stackSize: setup.limits.stackSize,
      ...(obj === undefined
        ? {}
        : {
            maps: (only: string | undefined) => {
              const dumps = dumpMaps(obj).filter((d) => only === undefined || d.name === only);
              if (dumps.length === 0) return `no map named ${only}; maps: ${[...obj.maps.keys()].join(', ') || 'none'}\n`;
              return dumps.map(formatMapDump).join('');
            },
          }),
    };
    const tty = (process.stdin as { isTTY?: boolean }).isTTY === true;
    const session = new DebugSession(target, io, stdinLines(), !tty);
    for (const where of listOption(args, 'break')) {
      try {
        session.addBreakpoint(where);
      } catch (e) {
        throw new UsageError(`--break ${where}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (listOption(args, 'break').length > 0) session.runToBreakpoint();
    else if (tty) io.out("stopped before the first instruction; 'help' lists the commands\n");
    let r0: bigint;
    try {
      r0 = setup.run(() => true, { start: session.start, before: session.before });
    } catch (e) {
      if (e instanceof DebugQuit) {
        io.out(`stopped by the debugger after ${session.count} instructions\n`);
        return 0;
      }
      if (e instanceof EbpfError) io.out(`error after ${session.count} instructions (reported below)\n`);
      throw e;
    }
    for (const line of obj?.drainTrace() ?? []) io.out(`trace_printk: ${line}\n`);
    io.out(`result: r0 = ${formatR0(r0)}${setup.verdict(r0)} after ${session.count} instructions\n`);
    return 0;
  },
};
