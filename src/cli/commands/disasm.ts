/**
 * `tsbpf disasm PROG`: print a program as assembly that reassembles to the same bytes.
 * @module
 */
import { disassemble } from '../../asm/disassembler.js';
import { expectPositionals, flag, parseArgs, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { InputError, readProgramArg } from '../input.js';
import { objectPrograms, programBytes } from '../program.js';

/** The `disasm` command. */
export const disasmCommand: Command = {
  name: 'disasm',
  summary: 'disassemble a program (rbpf or LLVM syntax); the output reassembles to the same bytes',
  options: {
    llvm: { type: 'boolean' },
    pc: { type: 'boolean' },
    bytes: { type: 'boolean' },
    labels: { type: 'boolean' },
    program: { type: 'string' },
  },
  help: `Usage: tsbpf disasm PROG [--llvm] [--pc] [--bytes] [--labels] [--program NAME]

Print PROG as assembly, one instruction per line. PROG is a raw bytecode file, a file of hex bytes,
an assembly file, a hex string, - for stdin, or an ELF object (each program linked, with function
labels; --program NAME picks one). Bytes that are not a valid instruction are shown as
.byte lines with the reason, so the output always reassembles with 'tsbpf asm'.

Options:
  --llvm     LLVM syntax (r0 = 1) instead of rbpf syntax (mov64 r0, 0x1)
  --pc       prefix each line with its slot number
  --bytes    show each instruction's bytes
  --labels   name jump and call targets (L7:) instead of printing offsets

Example:
  $ tsbpf disasm b40000000000000004000000030000009500000000000000
  mov32 r0, 0x0
  add32 r0, 0x3
  exit
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [arg] = expectPositionals(args, ['PROG']);
    const input = await readProgramArg(arg!, io);
    const options = {
      syntax: flag(args, 'llvm') ? ('llvm' as const) : ('rbpf' as const),
      showPc: flag(args, 'pc'),
      showBytes: flag(args, 'bytes'),
      labels: flag(args, 'labels'),
    };
    if (input.format === 'elf') {
      const programs = objectPrograms(input, stringOption(args, 'program'));
      programs.forEach((p, k) => {
        io.out(`${k === 0 ? '' : '\n'}; program ${p.name}, section ${p.section}\n`);
        io.out(disassemble(p.bytes, { ...options, labels: true, names: p.functionNames }));
      });
      return 0;
    }
    const bytes = programBytes(input);
    if (bytes.length % 8 !== 0) {
      throw new InputError(`${input.name}: ${bytes.length} bytes is not a whole number of 8-byte instructions`);
    }
    io.out(disassemble(bytes, options));
    return 0;
  },
};
