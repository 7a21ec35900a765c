/**
 * Whether a run of a program can start on a stack an earlier run left dirty: true when every stack
 * byte a run can read was written earlier in the same run, on every path, so nothing of an earlier
 * run's stack can reach it. The engines then skip zeroing what earlier runs wrote (vm/stack), a cost
 * per run that a short program pays on every packet.
 *
 * Proved from the kernel-level analysis of a program it accepted: no load through a stack pointer and
 * no helper reading stack memory it is passed reads a byte before the run writes it
 * (`ProgramFacts.uninitStackReads` empty; privileged rules allow such reads, so they are recorded
 * rather than refused). That covers the stack reads the analysis sees. A helper may also read memory
 * at an address it gets as a plain number (`bpf_probe_read*`, `%s` in `bpf_trace_printk`), which can
 * be the stack's (its addresses are fixed): so every helper the program calls must be one known to
 * read memory only through the pointers the analysis checks, and a `bpf_trace_printk` format must be
 * read-only data with no `%s`. No tail call either (the program it continues in reads the stack
 * with facts of its own) and no kfunc or `callx`.
 * @module
 */
import { decodeOperation } from '../isa/operation.js';
import type { Insn } from '../isa/instruction.js';
import type { MapInfo, ProgramFacts, Value } from './analysis/index.js';

/**
 * Helpers that read memory only through pointer arguments the analysis checks (map keys and values,
 * sized memory) or not at all: map lookup, update and delete, the clocks, the random number, the CPU
 * number, redirects, the XDP adjust helpers and the ring buffer's output, reserve, submit and discard.
 */
const STACK_SAFE_HELPERS = new Set([1, 2, 3, 5, 7, 8, 23, 44, 51, 54, 65, 125, 130, 131, 132, 133, 160]);
/** `bpf_trace_printk`: safe with a read-only format without `%s`. */
const TRACE_PRINTK = 6;

/**
 * True when every stack byte a run of the program reads was written earlier in that run (see the
 * module comment). `facts` must come from an analysis that accepted the program (no error issues),
 * with the maps it was given; `builtin(id)` says whether helper `id` is tsbpf's own (one a host
 * supplies may read any memory).
 */
export function stackReadsWritten(insns: readonly Insn[], facts: ProgramFacts, maps: ReadonlyMap<number, MapInfo>, builtin: (id: number) => boolean): boolean {
  if (facts.uninitStackReads.length !== 0) return false;
  for (let pc = 0; pc < insns.length; pc++) {
    const regs = facts.regs[pc];
    if (regs === undefined) continue; // never reached
    const op = decodeOperation(insns[pc]!);
    if (op.kind === 'callx') return false;
    if (op.kind !== 'call' || op.target === 'local') continue;
    if (op.target !== 'helper') return false;
    const id = insns[pc]!.imm;
    if (!builtin(id)) return false;
    if (STACK_SAFE_HELPERS.has(id)) continue;
    if (id !== TRACE_PRINTK || !plainFormat(regs[1], maps)) return false;
  }
  return true;
}

/** True when `fmt` is a pointer at a known offset into a frozen (read-only, constant) map value whose string has no `%s`. */
function plainFormat(fmt: Value | undefined, maps: ReadonlyMap<number, MapInfo>): boolean {
  if (fmt === undefined || fmt.type !== 'map_value' || fmt.maps !== undefined || fmt.lo !== fmt.hi || fmt.lo < 0) return false;
  const frozen = maps.get(fmt.map)?.frozen;
  if (frozen === undefined || fmt.lo >= frozen.length) return false;
  let end = frozen.indexOf(0, fmt.lo);
  if (end < 0) end = frozen.length;
  for (let i = fmt.lo; i < end; i++) {
    if (frozen[i] !== 0x25) continue; // '%'
    i++;
    if (frozen[i] === 0x25) continue; // '%%'
    // Flags, width, precision and length, then the conversion.
    while (i < end && /[-+ #0-9.lhzjt]/.test(String.fromCharCode(frozen[i]!))) i++;
    if (i >= end || frozen[i] === 0x73) return false; // 's' (or a format cut short)
  }
  return true;
}
