/**
 * Formatting for `bpf_trace_printk`: the kernel's subset of printf (`%d %i %u %x %X %ld %lld %lu %llu
 * %lx %llx %p %s %c %%`, with optional `-`/`0` flags and a width), applied to up to three arguments.
 * @module
 */
import type { VmMemory } from '../vm/memory.js';

const SPEC = /%([-0]?)(\d*)(ll|l|h|hh)?([diuxXpsc%])/g;

/** Format a trace_printk string. `%s` reads a NUL-terminated string from VM memory (a fault gives `(fault)`). */
export function formatTracePrintk(fmt: string, args: readonly bigint[], memory: VmMemory): string {
  let next = 0;
  return fmt.replace(SPEC, (whole: string, flag: string, width: string, len: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    if (next >= args.length) return whole;
    const a = args[next++]!;
    let s: string;
    const wide = len === 'l' || len === 'll';
    switch (conv) {
      case 'd':
      case 'i':
        s = (wide ? BigInt.asIntN(64, a) : BigInt.asIntN(32, a)).toString();
        break;
      case 'u':
        s = (wide ? BigInt.asUintN(64, a) : BigInt.asUintN(32, a)).toString();
        break;
      case 'x':
      case 'X':
        s = (wide ? BigInt.asUintN(64, a) : BigInt.asUintN(32, a)).toString(16);
        if (conv === 'X') s = s.toUpperCase();
        break;
      case 'p':
        s = `0x${BigInt.asUintN(64, a).toString(16)}`;
        break;
      case 'c':
        s = String.fromCharCode(Number(a & 0xffn));
        break;
      default:
        try {
          s = memory.readCString(a, 4096);
        } catch {
          s = '(fault)';
        }
    }
    const w = width === '' ? 0 : Math.min(Number(width), 256);
    if (s.length >= w) return s;
    if (flag === '-') return s.padEnd(w);
    if (flag === '0' && conv !== 's' && conv !== 'c') {
      const neg = s.startsWith('-');
      return (neg ? '-' : '') + (neg ? s.slice(1) : s).padStart(neg ? w - 1 : w, '0');
    }
    return s.padStart(w);
  });
}
