/**
 * `tsbpf verify PROG`: run the default verifier and report every issue.
 * @module
 */
import { checkProgram } from '../../verifier/verifier.js';
import type { VerifierOptions } from '../../verifier/issues.js';
import { UsageError, expectPositionals, flag, intOption, parseArgs, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { loadProgram } from '../program.js';

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

/** The `verify` command. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check a program with the default verifier and list every problem',
  options: {
    cpu: { type: 'string' },
    strict: { type: 'boolean' },
    helpers: { type: 'string' },
    'allow-pseudo': { type: 'boolean' },
  },
  help: `Usage: tsbpf verify PROG [--cpu N] [--strict] [--helpers IDS] [--allow-pseudo]

Check PROG with tsbpf's default verifier and print every problem with its pc.
PROG is a raw bytecode file, a file of hex bytes, a hex string, or - for stdin.

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
    const prog = await loadProgram(arg!, io);
    const issues = checkProgram(prog.bytes, options);
    const errors = issues.filter((i) => i.severity === 'error').length;
    const warnings = issues.length - errors;
    for (const issue of issues.slice(0, MAX_PRINTED)) {
      const where = issue.pc === undefined ? '' : `pc ${issue.pc}: `;
      io.out(`${prog.name}: ${where}${issue.severity} [${issue.rule}]: ${issue.message}\n`);
    }
    if (issues.length > MAX_PRINTED) io.out(`${prog.name}: ... and ${issues.length - MAX_PRINTED} more\n`);
    const slots = Math.floor(prog.bytes.length / 8);
    if (errors === 0) {
      const note = warnings === 0 ? '' : `, ${warnings} warning${warnings === 1 ? '' : 's'}`;
      io.out(`${prog.name}: OK (${slots} instruction${slots === 1 ? '' : 's'}${note})\n`);
      return 0;
    }
    io.out(
      `${prog.name}: rejected: ${errors} error${errors === 1 ? '' : 's'}` +
        (warnings === 0 ? '' : `, ${warnings} warning${warnings === 1 ? '' : 's'}`) +
        '\n',
    );
    return 1;
  },
};
