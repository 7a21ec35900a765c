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

  private footprint: StackFootprint | undefined;

  /** The stack bytes the program can reach (what a run zeroes first: see vm/stack). */
  get stackFootprint(): StackFootprint {
    return (this.footprint ??= stackFootprint(this.insns));
  }

  constructor(bytes: Uint8Array, name = 'prog', functionNames: ReadonlyMap<number, string> = new Map()) {
    this.bytes = bytes.slice();
    this.insns = decodeProgram(this.bytes);
    this.name = name;
    this.functionNames = functionNames;
  }
}
