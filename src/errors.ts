/**
 * Every error tsbpf throws on bad input or a failing program is an {@link EbpfError}: it has a stable
 * `code`, the program counter where it applies (`pc`, in instruction slots, when known) and a message
 * a person can act on. Diagnostics live here, in one place, so that the CLI and callers can switch on
 * `code` instead of parsing messages.
 * @module
 */

/** Stable error codes. */
export const ErrorCode = {
  /** The verifier rejected the program. */
  VERIFY: 'E_VERIFY',
  /** The bytecode cannot be decoded (length, unknown opcode at run time). */
  BAD_PROGRAM: 'E_BAD_PROGRAM',
  /** No program is loaded into the VM. */
  NO_PROGRAM: 'E_NO_PROGRAM',
  /** A load, store or atomic touched memory outside every region the program was given. */
  OUT_OF_BOUNDS: 'E_OUT_OF_BOUNDS',
  /** A write to a read-only region. */
  READ_ONLY: 'E_READ_ONLY',
  /** The instruction budget ran out (a runaway loop). */
  BUDGET_EXCEEDED: 'E_BUDGET_EXCEEDED',
  /** Local calls nested deeper than the call depth limit. */
  CALL_DEPTH: 'E_CALL_DEPTH',
  /** A call to a helper id that is not registered. */
  UNKNOWN_HELPER: 'E_UNKNOWN_HELPER',
  /** A helper function failed. */
  HELPER: 'E_HELPER',
  /** Invalid argument given to an API function. */
  INVALID_ARGUMENT: 'E_INVALID_ARGUMENT',
  /** Assembly source could not be assembled. */
  ASSEMBLY: 'E_ASSEMBLY',
  /** An ELF object is malformed or unsupported. */
  ELF: 'E_ELF',
  /** BTF data is malformed or unsupported. */
  BTF: 'E_BTF',
  /** A map operation failed (full, missing key, wrong sizes, flags). */
  MAP: 'E_MAP',
  /** The JIT could not compile the program. */
  JIT: 'E_JIT',
  /** A tail call or local call went wrong. */
  CALL: 'E_CALL',
  /** The instruction is valid but not supported by this engine or configuration. */
  UNSUPPORTED: 'E_UNSUPPORTED',
  /** Packet capture input is malformed or unsupported. */
  PCAP: 'E_PCAP',
  /** tsbpf itself failed (a bug, never the input's fault); the message says what to use meanwhile. */
  INTERNAL: 'E_INTERNAL',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Extra, machine-readable facts attached to an error. */
export interface ErrorDetails {
  /** Program counter (instruction slot index) where the error applies. */
  pc?: number;
  /** Anything else worth reporting, e.g. the address and size of a faulting access. */
  [key: string]: unknown;
}

/**
 * Any value as message text: errors may be built from what a caller passed (a helper's own error, a
 * bad argument), so this never throws (a Symbol, a huge array, an object whose toString throws).
 */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'symbol') return 'a Symbol';
  try {
    const s = String(value);
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Base class of every tsbpf error. */
export class EbpfError extends Error {
  /** Stable error code, one of {@link ErrorCode}. */
  readonly code: ErrorCodeValue;
  /** Instruction slot index where the error applies, when known. */
  readonly pc: number | undefined;
  /** Machine-readable facts (address, size, region list, line, column…). */
  readonly details: Readonly<ErrorDetails>;

  constructor(code: ErrorCodeValue, message: string, details: ErrorDetails = {}) {
    const d: ErrorDetails = typeof details === 'object' && details !== null ? details : {};
    const pc = typeof d.pc === 'number' && Number.isSafeInteger(d.pc) ? d.pc : undefined;
    super(pc === undefined ? text(message) : `pc ${pc}: ${text(message)}`);
    this.name = new.target.name;
    this.code = code;
    this.pc = pc;
    this.details = d;
  }
}

/** The verifier rejected a program. */
export class VerifierError extends EbpfError {
  constructor(message: string, pc?: number) {
    super(ErrorCode.VERIFY, message, { pc });
  }
}

/** A program failed while running (bad access, budget, call depth, helper failure…). */
export class ExecutionError extends EbpfError {}

/** A load, store or atomic outside the regions the program was given. */
export class MemoryAccessError extends ExecutionError {
  /** Faulting virtual address. */
  readonly address: bigint;
  /** Access size in bytes. */
  readonly size: number;
  /** `load` or `store`. */
  readonly access: 'load' | 'store';

  constructor(
    code: typeof ErrorCode.OUT_OF_BOUNDS | typeof ErrorCode.READ_ONLY,
    message: string,
    details: { pc?: number; address: bigint; size: number; access: 'load' | 'store' },
  ) {
    super(code, message, details);
    this.address = this.details['address'] as bigint;
    this.size = this.details['size'] as number;
    this.access = this.details['access'] as 'load' | 'store';
  }
}

/** Assembly text could not be assembled; `line` and `column` are 1-based. */
export class AssemblyError extends EbpfError {
  /** 1-based line of the error in the source. */
  readonly line: number;
  /** 1-based column of the error in the source. */
  readonly column: number;

  constructor(message: string, line: number, column: number) {
    super(ErrorCode.ASSEMBLY, `line ${text(line)}, column ${text(column)}: ${text(message)}`, { line, column });
    this.line = line;
    this.column = column;
  }
}

/** An ELF object or its BTF is malformed or uses something unsupported. */
export class ObjectFileError extends EbpfError {}

/** A map operation failed. */
export class MapError extends EbpfError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ErrorCode.MAP, message, details);
  }
}

/** The JIT could not compile a program. */
export class JitError extends EbpfError {
  constructor(message: string, pc?: number) {
    super(ErrorCode.JIT, message, { pc });
  }
}

/** A bad argument given to a tsbpf API function. */
export class ArgumentError extends EbpfError {
  constructor(message: string) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }
}
