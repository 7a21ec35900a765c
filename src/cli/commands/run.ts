/**
 * `tsbpf run PROG`: run a program on input memory and print r0.
 * @module
 */
import { EbpfVmRaw } from '../../vm/vm.js';
import { UsageError, expectPositionals, flag, intOption, parseArgs, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { readMemoryOptions, readProgramArg } from '../input.js';
import { execute } from '../jit.js';
import { programBytes } from '../program.js';
import { runObject } from './run-object.js';

/** r0 as `0x…` and decimal, plus the signed value when the top bit is set. */
export function formatR0(r0: bigint): string {
  const signed = BigInt.asIntN(64, r0);
  return `0x${r0.toString(16)} (${r0}${signed < 0n ? `, signed ${signed}` : ''})`;
}

/** The `run` command. */
export const runCommand: Command = {
  name: 'run',
  summary: 'run a program (bytecode, hex or assembly) on input memory and print r0',
  options: {
    mem: { type: 'string' },
    'mem-hex': { type: 'string' },
    jit: { type: 'boolean' },
    budget: { type: 'string' },
    program: { type: 'string' },
  },
  help: `Usage: tsbpf run PROG [--mem FILE | --mem-hex HEX] [--jit] [--budget N] [--program NAME]

Verify PROG and run it as rbpf's EbpfVmRaw does: r1 points to the input memory, r2 holds its length.
PROG is a raw bytecode file, a file of hex bytes, an assembly file, a hex string, - for stdin, or a
clang-built ELF object (clang -O2 -target bpf -c): its maps and global data are set up, and XDP,
socket and tc programs get the memory as their packet. Prints r0 in hex and decimal.

Options:
  --mem FILE      input memory: the raw bytes of FILE
  --mem-hex HEX   input memory as hex bytes (e.g. "aa bb cc dd")
  --jit           compile to WebAssembly instead of interpreting
  --budget N      stop after N instructions (default 100000000)
  --program NAME  which program of an ELF object to run (function or section name)
  --debug         show stack traces on errors

Example:
  $ printf 'ldxh r0, [r1+2]\\nexit\\n' > prog.s
  $ tsbpf run prog.s --mem-hex "aa bb 11 22"
  r0 = 0x2211 (8721)
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [arg] = expectPositionals(args, ['PROG']);
    const mem = readMemoryOptions(stringOption(args, 'mem'), stringOption(args, 'mem-hex'));
    const budget = intOption(args, 'budget', 1, Number.MAX_SAFE_INTEGER);
    const limits = budget === undefined ? {} : { instructionBudget: budget };
    const input = await readProgramArg(arg!, io);
    const program = stringOption(args, 'program');
    let r0: bigint;
    if (input.format === 'elf') {
      r0 = runObject({ input, program, mem, jit: flag(args, 'jit'), limits }, io);
    } else {
      if (program !== undefined) throw new UsageError('--program applies to ELF objects only');
      const vm = new EbpfVmRaw(programBytes(input), { limits });
      r0 = execute(vm, mem, flag(args, 'jit'));
    }
    io.out(`r0 = ${formatR0(r0)}\n`);
    return 0;
  },
};
