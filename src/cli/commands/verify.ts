/**
 * `tsbpf verify PROG`: run the default verifier and report every issue.
 * @module
 */
import type { SourceLine } from '../../elf/btf-ext.js';
import { kernelAttachType } from '../../elf/kernel-check.js';
import { ATTACH_TYPES_OF, KERNEL_PROGRAM_TYPES, type AttachType, type KernelProgramType } from '../../verifier/index.js';
import { tracingTarget } from '../../verifier/analysis/index.js';
import { checkProgram } from '../../verifier/verifier.js';
import type { VerifierOptions } from '../../verifier/issues.js';
import { UsageError, expectPositionals, flag, intOption, parseArgs, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { readInputFile, readProgramArg } from '../input.js';
import type { Btf } from '../../elf/btf.js';
import { targetBtfOf } from '../../elf/load-options.js';
import type { CliIo } from '../io.js';
import { MAP_SIZE_FLAG_HELP, MAP_SIZE_FLAG_SPECS, mapSizeFlags } from '../load-flags.js';
import { objectPrograms, programBytes, type MissingHelper } from '../program.js';
import { lineOf } from './disasm.js';

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

/** A program to check, with what the kernel level needs and its source lines. */
interface Unit {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly options: VerifierOptions;
  readonly lines: ReadonlyMap<number, SourceLine>;
  /** Helpers it calls that tsbpf lacks (a note, not a finding). */
  readonly missing: readonly MissingHelper[];
}


/** One program's result in `--json`: every issue (with its C source line when known) and the verdict. */
interface JsonUnit {
  readonly program: string;
  readonly accepted: boolean;
  readonly instructions: number;
  readonly level: 'kernel' | 'shape';
  readonly programType?: string;
  readonly issues: readonly { pc?: number; severity: string; rule: string; message: string; source?: string }[];
  readonly missingHelpers: readonly { id: number; name: string }[];
}

/** One program checked, for `--json`. */
function jsonReport({ name, bytes, options, lines, missing }: Unit): JsonUnit {
  const issues = checkProgram(bytes, options);
  const kernel = options.level === 'kernel';
  return {
    program: name,
    accepted: !issues.some((i) => i.severity === 'error'),
    instructions: Math.floor(bytes.length / 8),
    level: kernel ? 'kernel' : 'shape',
    ...(kernel ? { programType: options.programType ?? 'socket_filter' } : {}),
    issues: issues.map((i) => {
      const at = i.pc === undefined ? undefined : lineOf(lines, i.pc);
      return { ...(i.pc === undefined ? {} : { pc: i.pc }), severity: i.severity, rule: i.rule, message: i.message, ...(at === undefined ? {} : { source: `${at.file}:${at.line}: ${at.text.trim()}` }) };
    }),
    missingHelpers: missing.map((h) => ({ id: h.id, name: h.name })),
  };
}

/** Print the issues of one program and its verdict; true when it is accepted. */
function report({ name, bytes, options, lines }: Unit, io: CliIo): boolean {
  const issues = checkProgram(bytes, options);
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  for (const issue of issues.slice(0, MAX_PRINTED)) {
    const where = issue.pc === undefined ? '' : `pc ${issue.pc}: `;
    io.out(`${name}: ${where}${issue.severity} [${issue.rule}]: ${issue.message}\n`);
    const at = issue.pc === undefined ? undefined : lineOf(lines, issue.pc);
    if (at !== undefined) io.out(`    ${at.file}:${at.line}: ${at.text.trim()}\n`);
  }
  if (issues.length > MAX_PRINTED) io.out(`${name}: ... and ${issues.length - MAX_PRINTED} more\n`);
  const warned = warnings === 0 ? '' : `, ${plural(warnings, 'warning')}`;
  const level = options.level === 'kernel' ? `, kernel level as ${options.programType ?? 'socket_filter'}` : '';
  if (errors === 0) {
    io.out(`${name}: OK (${plural(Math.floor(bytes.length / 8), 'instruction')}${level}${warned})\n`);
    return true;
  }
  io.out(`${name}: rejected: ${plural(errors, 'error')}${warned}\n`);
  return false;
}

/** The `verify` command. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check a program (kernel-level analysis for ELF objects) and list every problem',
  options: {
    cpu: { type: 'string' },
    strict: { type: 'boolean' },
    helpers: { type: 'string' },
    'allow-pseudo': { type: 'boolean' },
    program: { type: 'string' },
    level: { type: 'string' },
    type: { type: 'string' },
    attach: { type: 'string' },
    json: { type: 'boolean' },
    btf: { type: 'string' },
    ...MAP_SIZE_FLAG_SPECS,
  },
  help: `Usage: tsbpf verify PROG [--level shape|kernel] [--type TYPE] [--attach ATTACH] [--cpu N] [--strict] [--helpers IDS]
                    [--allow-pseudo] [--program NAME] [--btf FILE] [--map-size NAME=N] [--max-map-bytes N] [--json]

Check PROG and print every problem with its pc (and its C source line where the object has BTF line
info). PROG is a raw bytecode file, a file of hex bytes, an assembly file, a hex string, - for stdin, or
an ELF object (each program is linked and checked; --program NAME picks one).

ELF objects are checked at the kernel level by default: the data-flow analysis of types, value ranges,
memory accesses, helper arguments and loops for each program's type (from its section name) with the
object's maps, reporting in the kernel verifier's terms (e.g. R0 invalid mem access 'map_value_or_null').
Programs whose section names no kernel type get the shape checks unless --type is given. Raw bytecode
gets the instruction-shape checks by default (conformance programs are not kernel programs).

Options:
  --cpu N          highest instruction set version allowed, 1-4 (default 4)
  --strict         treat warnings (out-of-range shift immediates) as errors
  --helpers IDS    comma-separated helper ids that exist; calls to others are errors
  --allow-pseudo   accept lddw pseudo loads (maps, BTF ids) left for a loader
  --level L        shape (instruction shape only) or kernel (default: kernel for ELF objects, else shape)
  --type TYPE      kernel program type: ${KERNEL_PROGRAM_TYPES.join(', ')}
                   (default: from the section name for objects, socket_filter for bytecode)
  --attach ATTACH  the kernel's expected attach type where the type has several, e.g. cgroup_inet6_connect
                   or cgroup_setsockopt for --type cgroup_sock_addr / cgroup_sockopt (default: from the
                   section name for objects, else the type's first; see the verifier's ATTACH_TYPES_OF)
  --btf FILE       the kernel's BTF (/sys/kernel/btf/vmlinux, or an object with a .BTF section): the
                   object's CO-RE relocations are applied against it, and its BTF tracing programs
                   (fentry/, fexit/, fmod_ret/, tp_btf/, iter/) are checked at the kernel level with the
                   typed arguments of what they attach to (without it: shape checks only)
  --json           print one JSON document: {"programs": [{program, accepted, instructions, level,
                   programType, issues: [{pc, severity, rule, message, source}], missingHelpers}],
                   "rejected": N} (every issue, none cut short); errors too ({"error": {code, message}})
${MAP_SIZE_FLAG_HELP}  --debug          show stack traces on internal errors

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
    const level = stringOption(args, 'level');
    if (level !== undefined && level !== 'shape' && level !== 'kernel') throw new UsageError(`--level: '${level}' is not shape or kernel`);
    const type = stringOption(args, 'type');
    if (type !== undefined && !(KERNEL_PROGRAM_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`--type: '${type}' is not a program type; use one of ${KERNEL_PROGRAM_TYPES.join(', ')}`);
    }
    const programType = type as KernelProgramType | undefined;
    const attach = stringOption(args, 'attach') as AttachType | undefined;
    if (attach !== undefined) {
      const allowed = ATTACH_TYPES_OF[programType ?? 'socket_filter'] ?? [];
      if (programType === undefined) throw new UsageError('--attach needs --type');
      if (!allowed.includes(attach)) throw new UsageError(`--attach: '${attach}' is not an attach type of ${programType}; ${allowed.length === 0 ? 'it takes none' : `use one of ${allowed.join(', ')}`}`);
    }
    const input = await readProgramArg(arg!, io);
    const only = stringOption(args, 'program');
    const btfFile = stringOption(args, 'btf');
    const targetBtf = btfFile === undefined ? undefined : readInputFile(btfFile);
    let kernelBtf: Btf | undefined;
    if (targetBtf !== undefined) {
      try {
        kernelBtf = targetBtfOf(targetBtf);
      } catch (e) {
        throw new UsageError(`--btf ${btfFile}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    /** A BTF tracing program's kernel-level options, when --btf describes what its section attaches to. */
    const tracing = (section: string): Pick<VerifierOptions, 'programType' | 'btf' | 'attachTo'> | undefined =>
      kernelBtf !== undefined && typeof tracingTarget(kernelBtf, section) !== 'string' ? { programType: 'tracing', btf: kernelBtf, attachTo: section } : undefined;
    const units: Unit[] =
      input.format === 'elf'
        ? objectPrograms(input, only, { ...mapSizeFlags(args), ...(targetBtf === undefined ? {} : { targetBtf }) }).map((p) => {
            const btfTracing = programType === undefined ? tracing(p.section) : undefined;
            const kernelType = programType ?? btfTracing?.programType ?? p.kernelType;
            const kernel = level !== 'shape' && kernelType !== undefined;
            const attachType = attach ?? kernelAttachType(kernelType, p.section);
            const o: VerifierOptions = kernel ? { ...options, level: 'kernel', programType: kernelType, maps: p.maps, resolve: p.resolve, ...(attachType === undefined ? {} : { attachType }), ...(p.kfuncs === undefined ? {} : { kfuncs: p.kfuncs }), ...btfTracing } : options;
            return { name: `${input.name}:${p.name}`, bytes: p.bytes, options: o, lines: p.lines, missing: p.missingHelpers };
          })
        : [{ name: input.name, bytes: programBytes(input), options: level === 'kernel' ? { ...options, level: 'kernel', programType, ...(attach === undefined ? {} : { attachType: attach }) } : options, lines: new Map(), missing: [] }];
    if (flag(args, 'json')) {
      const programs = units.map(jsonReport);
      const rejectedCount = programs.filter((p) => !p.accepted).length;
      io.out(`${JSON.stringify({ programs, rejected: rejectedCount }, null, 2)}\n`);
      return rejectedCount === 0 ? 0 : 1;
    }
    let rejected = 0;
    for (const unit of units) {
      if (!report(unit, io)) rejected++;
      // Not a verifier finding: the kernel would load it; only tsbpf run needs these.
      if (unit.missing.length > 0) io.out(`${unit.name}: note: calls helpers tsbpf lacks (tsbpf run refuses it): ${unit.missing.map((h) => `${h.id} (${h.name})`).join(', ')}\n`);
    }
    return rejected === 0 ? 0 : 1;
  },
};
