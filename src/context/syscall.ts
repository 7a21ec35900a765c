/**
 * The syscall program type's context: the caller's own bytes (BPF_PROG_TEST_RUN's `ctx_in`), which the
 * program reads and writes at any aligned offset and which the run hands back as the program left them
 * (the kernel writes them back into `ctx_in`; `ctx_out`, `data_in`, `data_out` and a `repeat` are refused
 * there with EINVAL). Measured on Linux 6.18: `ctx_in` may have any length up to 65535 bytes (odd ones
 * too), but not less than the furthest context byte the verifier saw the program access (EINVAL), and an
 * empty one makes r1 NULL.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { describeValue } from '../validate.js';

/** Most bytes a syscall program's context may have (the kernel's U16_MAX). */
export const MAX_SYSCALL_CTX = 0xffff;

/** What a syscall run did. */
export interface SyscallResult {
  /** r0 as returned (the kernel's test run reports its low 32 bits). */
  readonly r0: bigint;
  /** The context as the program left it. */
  readonly ctx: Uint8Array;
}

/**
 * Check a syscall run's context: a Uint8Array of at most {@link MAX_SYSCALL_CTX} bytes covering `extent`,
 * the furthest context byte the program accesses (undefined when no analysis ran: an access past the
 * context then stops the run with a memory error).
 */
export function checkSyscallContext(ctx: unknown, extent: number | undefined, program: string): Uint8Array {
  if (!(ctx instanceof Uint8Array)) throw new ArgumentError(`a syscall program's context must be a Uint8Array, not ${describeValue(ctx)}`);
  if (ctx.length > MAX_SYSCALL_CTX) throw new ArgumentError(`a syscall program's context is at most ${MAX_SYSCALL_CTX} bytes, not ${ctx.length}`);
  if (extent !== undefined && ctx.length < extent) {
    throw new ArgumentError(`program ${program} accesses its context up to byte ${extent}, but the context given has ${ctx.length} bytes: pass at least ${extent} (the kernel refuses such a run with EINVAL)`);
  }
  return ctx;
}
