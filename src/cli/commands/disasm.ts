/**
 * `tsbpf disasm PROG`: print a program as assembly that reassembles to the same bytes.
 * @module
 */
import { disassemble, disassembleInsns, disassembleListing, type DisassembleOptions } from '../../asm/disassembler.js';
import type { SourceLine } from '../../elf/btf-ext.js';
import { expectPositionals, flag, parseArgs, stringOption, UsageError, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { InputError, readProgramArg } from '../input.js';
import { MAP_SIZE_FLAG_HELP, MAP_SIZE_FLAG_SPECS, mapSizeFlags } from '../load-flags.js';
import { objectPrograms, programBytes } from '../program.js';

/** The C source line of `pc`, or of the nearest slot before it that starts one (line 0 says none). */
export function lineOf(lines: ReadonlyMap<number, SourceLine>, pc: number): SourceLine | undefined {
  let best: number | undefined;
  for (const [slot, l] of lines) if (slot <= pc && l.line > 0 && (best === undefined || slot > best)) best = slot;
  return best === undefined ? undefined : lines.get(best);
}

/** `; file.c:12: the source text`, the comment line put above the instructions a C line produced. */
export function sourceComment(line: SourceLine): string {
  return `; ${line.file}:${line.line}: ${line.text.trim()}`;
}

/**
 * Disassembly with function and jump labels and, where the object has line info, the C source line
 * above the first instruction it produced (again each time the line changes). The comments are
 * assembler comments, so the text still reassembles to the same bytes.
 */
export function disassembleWithSource(bytes: Uint8Array, lines: ReadonlyMap<number, SourceLine>, options: DisassembleOptions): string {
  let last: SourceLine | undefined;
  return disassembleListing(bytes, { ...options, labels: true }, (pc) => {
    // Line 0 marks code the compiler made up (no source line): nothing to show.
    const src = lines.get(pc);
    if (src === undefined || src.line <= 0 || (last !== undefined && src.line === last.line && src.file === last.file)) return undefined;
    last = src;
    return sourceComment(src);
  });
}

/** One instruction in `--json`. */
interface JsonInsn {
  pc: number;
  text: string;
  /** The instruction's bytes as hex (16 bytes for `lddw`). */
  bytes: string;
  /** The C source line it came from (the nearest line-info entry at or before it). */
  source?: { file: string; line: number; text: string };
}

/** One program in `--json`. */
interface JsonProgram {
  program?: string;
  section?: string;
  /** Function (entry and subprogram) start slots. */
  functions?: { pc: number; name: string }[];
  instructions: JsonInsn[];
}

/** `bytes` as one `--json` program: every instruction with its bytes and C source line. */
function jsonProgram(bytes: Uint8Array, lines: ReadonlyMap<number, SourceLine>, options: DisassembleOptions): JsonProgram['instructions'] {
  let source: SourceLine | undefined;
  return disassembleInsns(bytes, options).map((d) => {
    const at = lines.get(d.pc);
    if (at !== undefined && at.line > 0) source = at;
    const hex = Array.from(d.bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return { pc: d.pc, text: d.text, bytes: hex, ...(source === undefined ? {} : { source: { file: source.file, line: source.line, text: source.text.trim() } }) };
  });
}

/** `--syntax llvm|rbpf`, with `--llvm` as its shorthand. */
function syntaxOf(args: ParsedArgs): 'llvm' | 'rbpf' {
  const syntax = stringOption(args, 'syntax') ?? (flag(args, 'llvm') ? 'llvm' : 'rbpf');
  if (syntax !== 'llvm' && syntax !== 'rbpf') throw new UsageError(`--syntax takes llvm or rbpf, not '${syntax}'`);
  return syntax;
}

/** The `disasm` command. */
export const disasmCommand: Command = {
  name: 'disasm',
  summary: 'disassemble a program (rbpf or LLVM syntax); the output reassembles to the same bytes',
  options: {
    llvm: { type: 'boolean' },
    syntax: { type: 'string' },
    pc: { type: 'boolean' },
    bytes: { type: 'boolean' },
    labels: { type: 'boolean' },
    program: { type: 'string' },
    'no-source': { type: 'boolean' },
    json: { type: 'boolean' },
    ...MAP_SIZE_FLAG_SPECS,
  },
  help: `Usage: tsbpf disasm PROG [--syntax llvm|rbpf] [--llvm] [--pc] [--bytes] [--labels] [--program NAME] [--no-source] [--json]
                    [--map-size NAME=N] [--max-map-bytes N]

Print PROG as assembly, one instruction per line. PROG is a raw bytecode file, a file of hex bytes,
an assembly file, a hex string, - for stdin, or an ELF object (each program linked, with function
labels; --program NAME picks one; when it was built with -g, each C source line is shown as a
'; file.c:LINE: text' comment above the instructions it produced). Bytes that are not a valid instruction are shown as
.byte lines with the reason, so the output always reassembles with 'tsbpf asm'.

Options:
  --syntax S  rbpf (mov64 r0, 0x1; the default) or llvm (r0 = 1, as llvm-objdump prints)
  --llvm     short for --syntax llvm
  --pc       prefix each line with its slot number
  --bytes    show each instruction's bytes
  --labels   name jump and call targets (L7:) instead of printing offsets
  --no-source  leave out the C source lines of ELF objects
  --json     print one JSON document: {"programs": [{program, section, functions: [{pc, name}],
             instructions: [{pc, text, bytes (hex), source: {file, line, text}}]}]} (program, section,
             functions and source for ELF objects only; --pc and --bytes do not apply)
${MAP_SIZE_FLAG_HELP}
Example:
  $ tsbpf disasm b40000000000000004000000030000009500000000000000
  mov32 r0, 0x0
  add32 r0, 0x3
  exit

  $ tsbpf disasm examples/tc_mark.o --llvm
  ; program tc_mark, section tc
  tc_mark:
  ; ./tc_mark.c:17: int tc_mark(struct __sk_buff *skb) {
  r0 = 0
  ; ./tc_mark.c:19: void *data_end = (void *)(long)skb->data_end;
  r2 = *(u32 *)(r1 + 80)
  ...
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [arg] = expectPositionals(args, ['PROG']);
    const input = await readProgramArg(arg!, io);
    const options = {
      syntax: syntaxOf(args),
      showPc: flag(args, 'pc'),
      showBytes: flag(args, 'bytes'),
      labels: flag(args, 'labels'),
    };
    const json = flag(args, 'json');
    if (input.format === 'elf') {
      const programs = objectPrograms(input, stringOption(args, 'program'), mapSizeFlags(args));
      if (json) {
        const out: JsonProgram[] = programs.map((p) => ({
          program: p.name,
          section: p.section,
          functions: [...p.functionNames].map(([pc, name]) => ({ pc, name })).sort((a, b) => a.pc - b.pc),
          instructions: jsonProgram(p.bytes, flag(args, 'no-source') ? new Map() : p.lines, { ...options, labels: true, names: p.functionNames }),
        }));
        io.out(`${JSON.stringify({ programs: out }, null, 2)}\n`);
        return 0;
      }
      programs.forEach((p, k) => {
        io.out(`${k === 0 ? '' : '\n'}; program ${p.name}, section ${p.section}\n`);
        const opts = { ...options, labels: true, names: p.functionNames };
        io.out(flag(args, 'no-source') ? disassemble(p.bytes, opts) : disassembleWithSource(p.bytes, p.lines, opts));
      });
      return 0;
    }
    const bytes = programBytes(input);
    if (bytes.length % 8 !== 0) {
      throw new InputError(`${input.name}: ${bytes.length} bytes is not a whole number of 8-byte instructions`);
    }
    if (json) {
      io.out(`${JSON.stringify({ programs: [{ instructions: jsonProgram(bytes, new Map(), options) }] }, null, 2)}\n`);
      return 0;
    }
    io.out(disassemble(bytes, options));
    return 0;
  },
};
