/**
 * `tsbpf inspect OBJECT.o`: what a clang-built object holds — programs, maps, relocations, license.
 * @module
 */
import type { BpfObject, LoadOptions } from '../../elf/loader.js';
import { LOAD_FLAG_HELP, LOAD_FLAG_SPECS, loadFlags } from '../load-flags.js';
import { relocName } from '../../elf/link.js';
import { parseElf, SHF_EXECINSTR, SymbolType, type ElfFile } from '../../elf/reader.js';
import { EbpfError } from '../../errors.js';
import { expectPositionals, flag, parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { InputError, readProgramArg } from '../input.js';
import { loadForListing, type MissingHelper } from '../program.js';
import { isGlobalData, mapTypes, shortMapType } from '../object-maps.js';

/** One program of the report. */
export interface InspectedProgram {
  readonly name: string;
  readonly section: string;
  readonly type: string;
  /** Instruction slots of the linked program (subprograms included), or undefined when it cannot be linked. */
  readonly instructions: number | undefined;
  /** Why the program cannot be linked. */
  readonly error?: string;
  /** Number of instructions with a C source line (BTF line info). */
  readonly sourceLines: number;
  /** Helpers the program calls that tsbpf lacks: it can be read and verified, but `run` refuses it. */
  readonly missingHelpers: readonly MissingHelper[];
}

/** One map of the report. */
export interface InspectedMap {
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly keyType: string;
  readonly valueType: string;
}

/** One relocation of the report. */
export interface InspectedRelocation {
  /** Section the relocation applies to. */
  readonly section: string;
  /** Byte offset in that section. */
  readonly offset: number;
  /** `R_BPF_64_64`… */
  readonly type: string;
  /** Symbol name (the section name for section symbols). */
  readonly symbol: string;
  /** What the symbol is: a map, global data, a function, or the section it lives in. */
  readonly target: string;
}

/** The whole report, as `--json` prints it. */
export interface InspectReport {
  readonly file: string;
  readonly license: string;
  readonly btf: boolean;
  readonly programs: readonly InspectedProgram[];
  readonly maps: readonly InspectedMap[];
  /** Maps tsbpf could not create, with the reason (the programs using them are refused). */
  readonly unavailableMaps: readonly { readonly name: string; readonly reason: string }[];
  /** Problems that did not stop the load. */
  readonly warnings: readonly string[];
  readonly relocations: readonly InspectedRelocation[];
}

function programsOf(obj: BpfObject, missing: ReadonlyMap<string, readonly MissingHelper[]>): InspectedProgram[] {
  return obj.programs.map((p) => {
    const base = { name: p.name, section: p.section, type: p.type, missingHelpers: missing.get(p.name) ?? [] };
    try {
      const runner = obj.program(p.name);
      return { ...base, instructions: runner.program.insns.length, sourceLines: runner.lines.size };
    } catch (e) {
      if (!(e instanceof EbpfError)) throw e;
      return { ...base, instructions: undefined, error: `${e.code}: ${e.message}`, sourceLines: 0 };
    }
  });
}

function relocationsOf(elf: ElfFile, obj: BpfObject): InspectedRelocation[] {
  const out: InspectedRelocation[] = [];
  for (const [index, list] of elf.relocations) {
    const section = elf.sections[index];
    // Only code relocations say something about programs; .BTF / .BTF.ext / debug ones are noise.
    if (section === undefined || (section.flags & SHF_EXECINSTR) === 0) continue;
    for (const r of list) {
      const sym = elf.symbols[r.symbol];
      const where = sym === undefined ? undefined : elf.sections[sym.shndx];
      const symbol = sym === undefined ? `#${r.symbol}` : sym.type === SymbolType.SECTION ? (where?.name ?? '') : sym.name;
      let target = where?.name ?? 'undefined';
      if (where !== undefined) {
        if (where.name === '.maps' || where.name === 'maps') target = 'map';
        else if (isGlobalData(where.name) && obj.maps.has(where.name)) target = `global data (${where.name})`;
        else if ((where.flags & SHF_EXECINSTR) !== 0) target = `function in ${where.name}`;
      }
      out.push({ section: section.name, offset: r.offset, type: relocName(r.type), symbol, target });
    }
  }
  return out;
}

function report(file: string, bytes: Uint8Array, load: LoadOptions): InspectReport {
  const { obj, missing } = loadForListing(bytes, load);
  const elf = parseElf(bytes);
  const maps = [...obj.maps.values()].map((m) => {
    const t = mapTypes(obj, m);
    return {
      name: m.name,
      type: shortMapType(m.spec.type),
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.spec.maxEntries,
      flags: m.spec.flags,
      keyType: t.keyName,
      valueType: t.valueName,
    };
  });
  const unavailableMaps = [...obj.unavailableMaps].map(([name, e]) => ({ name, reason: `${e.code}: ${e.message}` }));
  const programs = programsOf(obj, missing);
  return { file, license: obj.license, btf: obj.btf !== undefined, programs, maps, unavailableMaps, warnings: obj.warnings, relocations: relocationsOf(elf, obj) };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `  ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`.trimEnd()).join('\n') + '\n';
}

function formatReport(r: InspectReport): string {
  let out = `${r.file}: license ${r.license === '' ? '(none)' : JSON.stringify(r.license)}, ${r.btf ? 'BTF' : 'no BTF'}\n`;
  out += `programs (${r.programs.length}):\n`;
  if (r.programs.length > 0) {
    out += table([
      ['NAME', 'SECTION', 'TYPE', 'INSNS', 'SOURCE LINES'],
      ...r.programs.map((p) => [p.name, p.section, p.type, p.instructions === undefined ? `- (${p.error})` : String(p.instructions), String(p.sourceLines)]),
    ]);
  }
  for (const p of r.programs) {
    if (p.missingHelpers.length === 0) continue;
    const list = p.missingHelpers.map((h) => `${h.id} (${h.name})`).join(', ');
    out += `  ${p.name} calls ${p.missingHelpers.length === 1 ? 'a helper' : 'helpers'} tsbpf lacks: ${list}; 'tsbpf run' refuses it\n`;
  }
  out += `maps (${r.maps.length}):\n`;
  if (r.maps.length > 0) {
    out += table([
      ['NAME', 'TYPE', 'KEY', 'VALUE', 'MAX', 'FLAGS', 'BTF KEY', 'BTF VALUE'],
      ...r.maps.map((m) => [m.name, m.type, String(m.keySize), String(m.valueSize), String(m.maxEntries), `0x${m.flags.toString(16)}`, m.keyType, m.valueType]),
    ]);
  }
  for (const m of r.unavailableMaps) out += `  ${m.name}: not created (${m.reason})\n`;
  for (const w of r.warnings) out += `warning: ${w}\n`;
  out += `relocations (${r.relocations.length}):\n`;
  if (r.relocations.length > 0) {
    out += table([
      ['SECTION', 'OFFSET', 'TYPE', 'SYMBOL', 'TARGET'],
      ...r.relocations.map((x) => [x.section, `0x${x.offset.toString(16)}`, x.type, x.symbol, x.target]),
    ]);
  }
  return out;
}

/** The `inspect` command. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'list the programs, maps, relocations and license of an ELF object',
  options: { json: { type: 'boolean' }, ...LOAD_FLAG_SPECS },
  help: `Usage: tsbpf inspect OBJECT.o [--json] [--type TYPE] [--map-size NAME=N]... [--map-value-size NAME=N]... [--inner-map NAME=TYPE:KEY:VALUE:ENTRIES]... [--fib FILE.json] [--kconfig NAME=VALUE]... [--btf FILE]

List what a clang-built BPF object (clang -O2 -g -target bpf -c) holds: each program with its section,
type (xdp, socket, tc or raw), instruction count once linked with its subprograms, and how many
instructions carry a C source line; each map with its type, key and value sizes, max entries, flags
and BTF key and value types; the relocations of the code sections; the license. A program that cannot
be linked shows why (a map it could not create); the others still load. Programs calling helpers
tsbpf lacks are listed in full, with the missing helpers named (only 'tsbpf run' needs them). Maps
tsbpf could not create are listed with the reason.

Options:
  --json          print one JSON document instead of tables
${LOAD_FLAG_HELP.replace('program type', 'every program\'s type')}

Example:
  $ tsbpf inspect examples/tc_mark.o
  examples/tc_mark.o: license "GPL", BTF
  programs (1):
    NAME     SECTION  TYPE  INSNS  SOURCE LINES
    tc_mark  tc       tc    73     44
  ...
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [arg] = expectPositionals(args, ['OBJECT.o']);
    const input = await readProgramArg(arg!, io);
    if (input.format !== 'elf') throw new InputError(`${input.name}: not an ELF object (inspect reads clang-built .o files)`);
    const r = report(input.name, input.bytes, await loadFlags(args));
    io.out(flag(args, 'json') ? `${JSON.stringify(r, null, 2)}\n` : formatReport(r));
    return 0;
  },
};
