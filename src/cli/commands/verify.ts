/**
 * `tsbpf verify PROG`: run the default verifier and report every issue.
 * @module
 */
import { checkProgram } from '../../verifier/verifier.js';
import type { VerifierOptions } from '../../verifier/issues.js';
import { UsageError, expectPositionals, flag, intOption, parseArgs, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { readProgramArg } from '../input.js';
import type { CliIo } from '../io.js';
import { objectPrograms, programBytes } from '../program.js';

/** Most issues printed before the list is cut short (a garbage file would otherwise flood the terminal). */
const MAX_PRINTED = 50;

function helperSet(list: string | undefined): ReadonlySet<number> | undefined {
  if (list === undefined) return undefined;
  const ids = list.split(',').filter((s) => s.trim() !== '');
  const set = new Set<number>();
  for (const s of ids) {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new UsageError(`--helpers: '${s}' is not a helper id`);
    set.add(n | 0);
  }
  return set;
}

/** Print the issues of one program and its verdict; true when it is accepted. */
function report(name: string, bytes: Uint8Array, options: VerifierOptions, io: CliIo): boolean {
  const issues = checkProgram(bytes, options);
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  for (const issue of issues.slice(0, MAX_PRINTED)) {
    const where = issue.pc === undefined ? '' : `pc ${issue.pc}: `;
    io.out(`${name}: ${where}${issue.severity} [${issue.rule}]: ${issue.message}\n`);
  }
  if (issues.length > MAX_PRINTED) io.out(`${name}: ... and ${issues.length - MAX_PRINTED} more\n`);
  const warned = warnings === 0 ? '' : `, ${plural(warnings, 'warning')}`;
  if (errors === 0) {
    io.out(`${name}: OK (${plural(Math.floor(bytes.length / 8), 'instruction')}${warned})\n`);
    return true;
  }
  io.out(`${name}: rejected: ${plural(errors, 'error')}${warned}\n`);
  return false;
}

/** The `verify` command. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check a program with the default verifier and list every problem',
  options: {
    cpu: { type: 'string' },
    strict: { type: 'boolean' },
    helpers: { type: 'string' },
    'allow-pseudo': { type: 'boolean' },
    program: { type: 'string' },
  },
  help: `Usage: tsbpf verify PROG [--cpu N] [--strict] [--helpers IDS] [--allow-pseudo] [--program NAME]

Check PROG with tsbpf's default verifier and print every problem with its pc.
PROG is a raw bytecode file, a file of hex bytes, an assembly file, a hex string, - for stdin, or an
ELF object (each program is linked and checked; --program NAME picks one).

Options:
  --cpu N          highest instruction set version allowed, 1-4 (default 4)
  --strict         treat warnings (out-of-range shift immediates) as errors
  --helpers IDS    comma-separated helper ids that exist; calls to others are errors
  --allow-pseudo   accept lddw pseudo loads (maps, BTF ids) left for a loader
  --debug          show stack traces on internal errors

Exit status: 0 when the program is accepted, 1 when it is rejected, 2 on usage errors.

Example:
  $ tsbpf verify b7000000010000009500000000000000
  <hex>: OK (2 instructions)
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [arg] = expectPositionals(args, ['PROG']);
    const cpu = intOption(args, 'cpu', 1, 4) as VerifierOptions['cpuVersion'];
    const options: VerifierOptions = {
      cpuVersion: cpu,
      strict: flag(args, 'strict'),
      helpers: helperSet(stringOption(args, 'helpers')),
      allowPseudoLoads: flag(args, 'allow-pseudo'),
    };
    const input = await readProgramArg(arg!, io);
    const only = stringOption(args, 'program');
    const units =
      input.format === 'elf'
        ? objectPrograms(input, only).map((p) => ({ name: `${input.name}:${p.name}`, bytes: p.bytes }))
        : [{ name: input.name, bytes: programBytes(input) }];
    let rejected = 0;
    for (const unit of units) if (!report(unit.name, unit.bytes, options, io)) rejected++;
    return rejected === 0 ? 0 : 1;
  },
};
