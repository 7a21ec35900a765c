/**
 * A verified program: the bytes, their decoded slots, and per-engine compiled forms.
 * @module
 */
import { decodeProgram, type Insn } from '../isa/instruction.js';
import { stackFootprint, type StackFootprint } from './stack.js';

/** A program that passed verification and can be run by any engine (or be a tail-call target). */
export class Program {
  /** The bytecode (a private copy). */
  readonly bytes: Uint8Array;
  /** Every instruction slot, decoded. */
  readonly insns: readonly Insn[];
  /** A name for messages: function or section name, or `prog`. */
  readonly name: string;
  /** Symbolic names of slots that start functions (from an ELF object), for traces and disassembly. */
  readonly functionNames: ReadonlyMap<number, string>;
  /** Engine-specific compiled forms, keyed by engine (`interpreter`, `jit`). Engines own their entries. */
  readonly compiled = new Map<string, unknown>();

  /**
   * True when every stack byte a run of the program reads was written earlier in that run, as a loader
   * proved it (see verifier/stack-seal): its runs then skip zeroing what earlier runs left on the stack,
   * which they cannot see (vm/stack). False unless proved.
   */
  readonly stackReadsWritten: boolean;

  /**
   * Slots of the `lddw`s a loader resolved from a relocation to a map handle or global-data address
   * (empty for raw bytecode): only these load addresses; any other `lddw` is a number, whatever its value.
   */
  readonly relocatedLoads: ReadonlySet<number>;

  private footprint: StackFootprint | undefined;

  /** The stack bytes the program can reach (what a run zeroes first: see vm/stack). */
  get stackFootprint(): StackFootprint {
    return (this.footprint ??= stackFootprint(this.insns));
  }

  /**
   * `options.stackReadsWritten`: see {@link Program.stackReadsWritten} (a claim the caller proved; default
   * false); `options.relocatedLoads`: see {@link Program.relocatedLoads}.
   */
  constructor(bytes: Uint8Array, name = 'prog', functionNames: ReadonlyMap<number, string> = new Map(), options: { readonly stackReadsWritten?: boolean; readonly relocatedLoads?: ReadonlySet<number> } = {}) {
    this.bytes = bytes.slice();
    this.insns = decodeProgram(this.bytes);
    this.name = name;
    this.functionNames = functionNames;
    this.stackReadsWritten = options.stackReadsWritten === true;
    this.relocatedLoads = new Set(options.relocatedLoads);
  }
}
