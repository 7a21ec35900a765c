/**
 * Book chapter "eBPF Virtual Machine", example "Add two integers stored in the context memory"
 * (`test_vm_add_context`). The book spells the loads `ldwx`; rbpf's mnemonic is `ldxw`.
 * Run: npx tsx examples/seed/book-add-context.ts
 */
import { assemble, EbpfVmRaw } from '../../src/index.js';

/** Returns r0 (0x00223300). */
export function main(): bigint {
  const prog = assemble(`
    ldxw r0, [r1]
    ldxw r1, [r1+4]
    add r0, r1
    be32 r0
    exit`);
  const mem = Uint8Array.from([0x0, 0x22, 0x0, 0x0, 0x0, 0x0, 0x33, 0x0]);
  const vm = new EbpfVmRaw(prog);
  return vm.executeProgram(mem);
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`0x${main().toString(16).padStart(8, '0')}`);
