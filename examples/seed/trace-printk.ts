/**
 * rbpf's `bpf_trace_printf` documentation example, run from a program: the helper prints its last three
 * arguments (`bpf_trace_printf: 0x1, 0xf, 0x20`) and returns the length of that line.
 * Run: npx tsx examples/seed/trace-printk.ts
 */
import { assemble, BPF_TRACE_PRINTK_IDX, bpfTracePrintf, EbpfVmNoData, setTraceSink } from '../../src/index.js';

/** Returns r0 (the printed length, 33) and the trace lines. */
export function main(): { result: bigint; trace: string[] } {
  const prog = assemble(`
    mov r3, 1
    mov r4, 15
    mov r5, 32
    call 6
    exit`);
  const vm = new EbpfVmNoData(prog);
  vm.registerHelper(BPF_TRACE_PRINTK_IDX, bpfTracePrintf);
  const trace: string[] = [];
  const previous = setTraceSink((line) => trace.push(line));
  try {
    return { result: vm.executeProgram(), trace };
  } finally {
    setTraceSink(previous);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { result, trace } = main();
  for (const line of trace) console.log(line);
  console.log(`returned ${result}`);
}
