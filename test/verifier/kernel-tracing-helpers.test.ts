/**
 * The prototypes of the tracing helpers (bpf_skb_output 111, bpf_d_path 147, bpf_seq_printf_btf 150,
 * bpf_copy_from_user_task 191, bpf_ima_file_hash 193) where a program type the analysis models may call
 * them. Of those types only syscall programs (loaded sleepable) pass the kernel's checks for 191 (it sleeps)
 * and 111 (its type check; its skb must be a BTF pointer, which the analysis does not type); 147, 150
 * and 193 belong to tracing, iterator and LSM programs alone. Each case has the kernel's verdict (6.18,
 * root), asked again live where bpf() works.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import type { ProgramType } from '../../src/verifier/analysis/program-types.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';

const lines = (...l: string[]): string => l.join('\n');
/** bpf_copy_from_user_task into fp`at` (`size` bytes) from address 0 of the current task (bpf_get_current_task_btf's). */
const COPY = (at: number, size: string): string[] => ['call 158', 'r4 = r0', 'r1 = r10', `r1 += ${at}`, size, 'r3 = 0', 'r5 = 0', 'call 191'];
const END = ['r0 = 0', 'exit'];

const CASES: readonly { name: string; type: ProgramType; kernelAccepts: boolean; source: string; message?: string }[] = [
  { name: 'copy_from_user_task into an uninitialised stack buffer', type: 'syscall', kernelAccepts: true, source: lines(...COPY(-16, 'r2 = 16'), ...END) },
  { name: 'copy_from_user_task of 0 bytes', type: 'syscall', kernelAccepts: true, source: lines(...COPY(-8, 'r2 = 0'), ...END) },
  { name: 'copy_from_user_task past the stack buffer', type: 'syscall', kernelAccepts: false, source: lines(...COPY(-8, 'r2 = 16'), ...END) },
  { name: 'copy_from_user_task with an unbounded size', type: 'syscall', kernelAccepts: false, source: lines('call 7', 'r2 = r0', ...COPY(-8, 'r2 = r2'), ...END) },
  { name: 'copy_from_user_task into the context', type: 'syscall', kernelAccepts: false, source: lines('r6 = r1', 'call 158', 'r4 = r0', 'r1 = r6', 'r2 = 8', 'r3 = 0', 'r5 = 0', 'call 191', ...END) },
  { name: 'copy_from_user_task in a program that cannot sleep', type: 'socket_filter', kernelAccepts: false, source: lines(...COPY(-8, 'r2 = 8'), ...END), message: 'might sleep in a non-sleepable prog' },
  { name: 'd_path in a syscall program', type: 'syscall', kernelAccepts: false, source: lines('r1 = 0', 'r2 = r10', 'r2 += -8', 'r3 = 8', 'call 147', ...END) },
  { name: 'seq_printf_btf in a syscall program', type: 'syscall', kernelAccepts: false, source: lines('r1 = 0', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 16) = r1', 'r2 = r10', 'r2 += -16', 'r3 = 16', 'r4 = 0', 'call 150', ...END) },
  { name: 'ima_file_hash in a syscall program', type: 'syscall', kernelAccepts: false, source: lines('r1 = 0', 'r2 = r10', 'r2 += -8', 'r3 = 8', 'call 193', ...END) },
  { name: 'skb_output in a socket filter', type: 'socket_filter', kernelAccepts: false, source: lines('r1 = 0', 'r2 = 0', 'r3 = 0', 'r4 = r10', 'r4 += -8', 'r5 = 8', 'call 111', ...END) },
];

describe('tracing helper prototypes against the kernel', () => {
  for (const c of CASES) {
    it(`${c.kernelAccepts ? 'accepts' : 'rejects'}: ${c.name}`, () => {
      const issues = checkProgram(assemble(c.source), { level: 'kernel', programType: c.type });
      const errors = issues.filter((i) => i.severity === 'error');
      expect(errors.length === 0, JSON.stringify(errors)).toBe(c.kernelAccepts);
      if (c.message !== undefined) expect(errors[0]!.message).toContain(c.message);
    });
  }

  itHasTheKernelsVerdicts(CASES, (c) => ({ type: c.type, insns: assemble(c.source), logLevel: 1 }));
});
