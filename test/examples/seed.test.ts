/** Every seed example (examples/seed/*.ts) runs and gives the result its source document states. */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vmAdd from '../../examples/seed/vm-add.js';
import * as ldxh from '../../examples/seed/ldxh-packet.js';
import * as mbuff from '../../examples/seed/mbuff.js';
import * as blockPort from '../../examples/seed/fixed-mbuff-block-port.js';
import * as bookAdd from '../../examples/seed/book-add.js';
import * as bookContext from '../../examples/seed/book-add-context.js';
import * as bookFib from '../../examples/seed/book-fibonacci.js';
import * as printk from '../../examples/seed/trace-printk.js';

describe('seed examples', () => {
  it('rbpf test_vm_add: 0x3', () => expect(vmAdd.main()).toBe(0x3n));
  it('rbpf test_jit_ldxh on the interpreter: 0x11', () => expect(ldxh.main()).toBe(0x11n));
  it('rbpf test_jit_mbuff with MEM_START in the mbuff: 0x2211', () => expect(mbuff.main()).toBe(0x2211n));

  it('rbpf test_vm_block_port: FixedMbuff at 0x40/0x50 drops TCP port 0x9999 and traces it', () => {
    const { result, trace } = blockPort.main();
    expect(result).toBe(0xffffffffn);
    expect(trace).toEqual(['bpf_trace_printf: 0x9999, 0x0, 0x0']);
  });

  it('book: add two constants = 0x3', () => expect(bookAdd.main()).toBe(0x3n));
  it('book: add from context = 0x00223300', () => expect(bookContext.main()).toBe(0x00223300n));

  it('book: Fibonacci helper = 0x37 and mem[4] == 0x37', () => {
    const { result, mem } = bookFib.main();
    expect(result).toBe(0x37n);
    expect(mem[4]).toBe(0x37);
    expect(bookFib.fib(10n)).toBe(55n);
  });

  it('rbpf bpf_trace_printf doc: prints 0x1, 0xf, 0x20 and returns the line length', () => {
    const { result, trace } = printk.main();
    expect(trace).toEqual(['bpf_trace_printf: 0x1, 0xf, 0x20']);
    expect(result).toBe(BigInt('bpf_trace_printf: 0x1, 0xf, 0x20\n'.length));
  });

  it('covers every example file', () => {
    const files = readdirSync(join(import.meta.dirname, '..', '..', 'examples', 'seed')).filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual(
      ['book-add-context.ts', 'book-add.ts', 'book-fibonacci.ts', 'fixed-mbuff-block-port.ts', 'ldxh-packet.ts', 'mbuff.ts', 'trace-printk.ts', 'vm-add.ts'],
    );
  });
});
