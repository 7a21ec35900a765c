/**
 * Hand-written argument parsing: `--flag`, `--opt value`, `--opt=value`, `-h`, and `--` to end options.
 * Each command declares its options; anything else is a usage error (exit code 2).
 * @module
 */

/** A usage mistake: unknown option, missing argument, bad value. The CLI prints it and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Edit distance between two short strings (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word` when it is close enough to be a typo (a third of its length, at
 * least 1, at most 3 edits), or a candidate that starts with it; otherwise undefined.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > 64) return undefined;
  let best: string | undefined;
  let bestD = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let prefix: string | undefined;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD || (d === bestD && best === undefined)) {
      best = c;
      bestD = d;
    }
    if (prefix === undefined && word.length >= 2 && c.startsWith(word)) prefix = c;
  }
  return best ?? prefix;
}

/** ` (did you mean X?)` or ''. */
export function didYouMean(word: string, candidates: Iterable<string>, show: (c: string) => string = (c) => c): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean ${show(c)}?)`;
}

/** Options every command takes besides its own. */
const GLOBAL_OPTIONS = ['help', 'debug', 'version'];

/** How a command's option is parsed. */
export interface OptionSpec {
  /**
   * `boolean` options take no value; `string` options take one (`--x v` or `--x=v`); `list` options
   * take one each time and may be repeated.
   */
  readonly type: 'boolean' | 'string' | 'list';
  /** One-letter alias, without the dash. */
  readonly short?: string;
}

/** The parsed command line of one command. */
export interface ParsedArgs {
  /** Option values by long name (booleans are `true` when present). */
  readonly options: ReadonlyMap<string, string | true | readonly string[]>;
  /** Arguments that are not options, in order. */
  readonly positionals: readonly string[];
}

/**
 * Parse `argv` against `spec`. A lone `-` is a positional (it means stdin). Numbers such as `-1` are
 * positionals too, so negative values can be passed without `--`.
 */
export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  const options = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.short !== undefined) byShort.set(s.short, name);
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    if (arg === '--') {
      positionals.push(...argv.slice(k + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-') || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      const long = byShort.get(arg.slice(1));
      if (long === undefined || arg.length !== 2) {
        throw new UsageError(`unknown option ${arg}${arg.length > 2 ? didYouMean(arg.slice(1), [...Object.keys(spec), ...GLOBAL_OPTIONS], (c) => `--${c}`) : ''}`);
      }
      name = long;
    }
    const s = spec[name];
    if (s === undefined) throw new UsageError(`unknown option --${name}${didYouMean(name, [...Object.keys(spec), ...GLOBAL_OPTIONS], (c) => `--${c}`)}`);
    if (s.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
      options.set(name, true);
    } else {
      const value = inline ?? argv[++k];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      if (s.type === 'list') {
        const list = options.get(name);
        if (Array.isArray(list)) list.push(value);
        else options.set(name, [value]);
      } else {
        options.set(name, value);
      }
    }
  }
  return { options, positionals };
}

/** The string value of an option, or `undefined`. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable (`list`) option, in order; empty when absent. */
export function listOption(args: ParsedArgs, name: string): readonly string[] {
  const v = args.options.get(name);
  return Array.isArray(v) ? v : [];
}

/** True when a boolean option was given. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) === true;
}

/** An integer option within `[min, max]`, or `undefined` when absent. Accepts decimal and `0x` hex. */
export function intOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`option --${name} must be an integer from ${min} to ${max}, not '${v}'`);
  }
  return n;
}

/** A u64 option (decimal or 0x hex), as a bigint; undefined when absent. */
export function u64Option(args: ParsedArgs, name: string): bigint | undefined {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  const n = /^(0x[0-9a-f]{1,16}|\d{1,20})$/i.test(v) ? BigInt(v) : -1n;
  if (n < 0n || n >= 1n << 64n) throw new UsageError(`option --${name} must be an integer from 0 to 2^64 - 1, not '${v}'`);
  return n;
}

/** Exactly `count` positionals (named in `names` for the message). */
export function expectPositionals(args: ParsedArgs, names: readonly string[], optional = 0): string[] {
  const p = args.positionals;
  if (p.length < names.length - optional) throw new UsageError(`missing ${names[p.length]}`);
  if (p.length > names.length) throw new UsageError(`unexpected argument '${p[names.length]}'`);
  return [...p];
}
