/**
 * `tsbpf asm FILE`: assemble text into bytecode.
 * @module
 */
import { expectPositionals, flag, parseArgs, stringOption, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { InputError, readProgramArg, writeOutputFile } from '../input.js';
import { assembleInput } from '../program.js';

/** Bytes as lowercase hex, one 8-byte instruction slot per line. */
export function hexLines(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 8) {
    lines.push(Array.from(bytes.subarray(at, at + 8), (b) => b.toString(16).padStart(2, '0')).join(''));
  }
  return lines.join('\n') + (lines.length > 0 ? '\n' : '');
}

/** The `asm` command. */
export const asmCommand: Command = {
  name: 'asm',
  summary: 'assemble rbpf, bpf_conformance or LLVM-syntax assembly into bytecode',
  options: { hex: { type: 'boolean' }, output: { type: 'string', short: 'o' }, json: { type: 'boolean' } },
  help: `Usage: tsbpf asm FILE [--hex] [-o OUT] [--json]

Assemble FILE (or - for stdin) into eBPF bytecode. rbpf syntax (add64 r1, 0x605), bpf_conformance syntax
(mov %r0, 1) and LLVM syntax (r0 = 1) are accepted, even mixed.

Options:
  -o, --output OUT  write the raw bytecode to OUT (- for stdout); with --hex, write hex text instead
  --hex             print hex, one instruction per line (the default when there is no -o)
  --json            print one JSON document: {"slots": N, "hex": "b400..."} (with -o OUT, the bytecode
                    goes to OUT and the document says {"slots": N, "output": OUT}); errors as
                    {"error": {code, message}} with the line in the message

Example:
  $ printf 'mov32 r0, 0\\nadd32 r0, 3\\nexit\\n' > add.s
  $ tsbpf asm add.s
  b400000000000000
  0400000003000000
  9500000000000000
  $ tsbpf asm add.s -o add.bin && tsbpf run add.bin
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [file] = expectPositionals(args, ['FILE']);
    const input = await readProgramArg(file!, io);
    if (input.format !== 'assembly') {
      throw new InputError(`${input.name}: expected assembly text, but this is ${input.format === 'hex' ? 'hex bytecode' : input.format}`);
    }
    const out = stringOption(args, 'output');
    if (flag(args, 'json') && out === '-') throw new UsageError('--json with -o - would mix the document and the bytecode on stdout');
    const bytes = assembleInput(input);
    if (flag(args, 'json')) {
      if (out !== undefined) writeOutputFile(out, flag(args, 'hex') ? hexLines(bytes) : bytes);
      const doc = out === undefined ? { slots: bytes.length / 8, hex: hexLines(bytes).replaceAll('\n', '') } : { slots: bytes.length / 8, output: out };
      io.out(`${JSON.stringify(doc, null, 2)}\n`);
      return 0;
    }
    const hex = flag(args, 'hex') || out === undefined;
    if (out === undefined || out === '-') {
      if (hex) io.out(hexLines(bytes));
      else io.outBytes(bytes);
      return 0;
    }
    writeOutputFile(out, hex ? hexLines(bytes) : bytes);
    return 0;
  },
};
