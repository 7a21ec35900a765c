/**
 * The object-loading flags `run` and `inspect` share: `--type TYPE` (the program type, for sections
 * whose name says nothing) and `--map-size NAME=N` (a map's max_entries before load).
 * @module
 */
import { PROGRAM_TYPES, type LoadOptions, type ProgramType } from '../elf/loader.js';
import { UsageError, listOption, stringOption, type OptionSpec, type ParsedArgs } from './args.js';

/** The option specs to add to a command. */
export const LOAD_FLAG_SPECS: Readonly<Record<string, OptionSpec>> = {
  type: { type: 'string' },
  'map-size': { type: 'list' },
};

/** The help lines of the two flags. */
export const LOAD_FLAG_HELP = `  --type TYPE     program type: xdp, socket, tc or raw (default: from the section name)
  --map-size NAME=N
                  set map NAME's max_entries to N before load (repeatable)`;

/** Load options from `--type` and `--map-size`; a usage error for bad values. */
export function loadFlags(args: ParsedArgs): Pick<LoadOptions, 'programTypes' | 'mapSizes'> {
  const type = stringOption(args, 'type');
  if (type !== undefined && !PROGRAM_TYPES.includes(type as ProgramType)) {
    throw new UsageError(`--type must be one of ${PROGRAM_TYPES.join(', ')}, not '${type}'`);
  }
  const sizes: Record<string, number> = {};
  for (const spec of listOption(args, 'map-size')) {
    const m = /^(.+)=(0x[0-9a-f]+|\d+)$/i.exec(spec);
    const n = m === null ? NaN : Number(m[2]);
    if (m === null || !Number.isSafeInteger(n) || n < 1 || n > 0xffffffff) {
      throw new UsageError(`--map-size ${spec}: expected NAME=N with N from 1 to 4294967295`);
    }
    sizes[m[1]!] = n;
  }
  return {
    ...(type === undefined ? {} : { programTypes: { '*': type as ProgramType } }),
    ...(Object.keys(sizes).length === 0 ? {} : { mapSizes: sizes }),
  };
}
