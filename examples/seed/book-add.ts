/**
 * Book chapter "eBPF Virtual Machine", example "Add two integer constants" (`test_vm_add`).
 * Run: npx tsx examples/seed/book-add.ts
 */
import { assemble, EbpfVmNoData } from '../../src/index.js';

/** Returns r0 (0x3). */
export function main(): bigint {
  const prog = assemble(`
    mov32 r0, 1
    mov32 r1, 2
    add r0, r1
    exit`);
  const vm = new EbpfVmNoData(prog);
  return vm.executeProgram();
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`0x${main().toString(16)}`);
