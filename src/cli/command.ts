/**
 * The shape of a CLI command module.
 * @module
 */
import type { OptionSpec } from './args.js';
import type { CliIo } from './io.js';

/** One `tsbpf` sub-command. */
export interface Command {
  /** The word after `tsbpf`. */
  readonly name: string;
  /** One line for `tsbpf --help`. */
  readonly summary: string;
  /** Full `--help` text: usage, options, a real example. */
  readonly help: string;
  /** Options besides `--help` and `--debug`, which every command has. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Run with the arguments after the command name; resolves to the exit code. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
