/**
 * Book chapter "eBPF Virtual Machine", example "Calculate Fibonacci Number" (`test_vm_fib`): a helper
 * registered with id 0 computes the n-th Fibonacci number; the program stores it back into memory.
 * Run: npx tsx examples/seed/book-fibonacci.ts
 */
import { assemble, EbpfVmRaw } from '../../src/index.js';

/** The book's helper: only the first argument is used. */
export function fib(r1: bigint): bigint {
  let i = 1n;
  let j = 1n;
  let k = r1;
  while (k - 2n > 0n) {
    j = i + j;
    i = j - i;
    k -= 1n;
  }
  return j;
}

/** Returns r0 (0x37) and the memory after the run (mem[4] == 0x37). */
export function main(): { result: bigint; mem: Uint8Array } {
  const prog = assemble(`
    mov r2, r1
    ldxw r1, [r1]
    call 0
    stxw [r2+4], r0
    exit`);
  const mem = Uint8Array.from([0xa, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0]);
  const vm = new EbpfVmRaw(prog);
  vm.registerHelper(0, fib);
  const result = vm.executeProgram(mem);
  return { result, mem };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { result, mem } = main();
  console.log(`0x${result.toString(16)}, mem[4] = 0x${mem[4]!.toString(16)}`);
}
