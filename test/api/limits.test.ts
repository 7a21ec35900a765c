// Run limits are checked wherever they are given (issue 16, item 5): the VM constructors, setLimits
// and every ProgramRunner run. A NaN budget used to make the interpreter loop forever, Infinity meant
// no budget, fractional sizes made the engines disagree and null threw a bare TypeError.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { loadObject } from '../../src/elf/loader.js';
import { ArgumentError, ErrorCode } from '../../src/errors.js';
import { EbpfVmRaw } from '../../src/vm/vm.js';
import { DEFAULT_LIMITS, type RunLimits } from '../../src/vm/environment.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const firewall = loadObject(readFileSync(`${root}examples/xdp_firewall.o`));
const xdp = firewall.program('xdp_firewall');
const tc = loadObject(readFileSync(`${root}examples/tc_mark.o`)).program('tc_mark');
const packet = new Uint8Array(60);
const prog = assemble('mov r0, 1\nexit');

/** [field, value, what the message must say is allowed] */
const BAD: [keyof RunLimits, unknown, RegExp][] = [
  ['instructionBudget', NaN, /an integer from 1 to 9007199254740991, not NaN/],
  ['instructionBudget', Infinity, /not Infinity/],
  ['instructionBudget', 0, /not 0/],
  ['instructionBudget', 1.5, /not 1\.5/],
  ['instructionBudget', 10n, /not 10n/],
  ['instructionBudget', '100', /not '100'/],
  ['maxCallDepth', 2.5, /an integer from 1 to 64, not 2\.5/],
  ['maxCallDepth', 65, /not 65/],
  ['stackSize', null, /an integer from 8 to 1048576, not null/],
  ['stackSize', 512.5, /not 512\.5/],
  ['stackSize', 12, /a multiple of 8, not 12/],
  ['maxTailCalls', -1, /an integer from 0 to 9007199254740991, not -1/],
  ['maxTailCalls', NaN, /not NaN/],
];

function expectArgumentError(f: () => unknown, field: string, message: RegExp): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `${field}: ${message}`).toBeInstanceOf(ArgumentError);
  expect((error as ArgumentError).code).toBe(ErrorCode.INVALID_ARGUMENT);
  expect((error as ArgumentError).message).toContain(field);
  expect((error as ArgumentError).message).toMatch(message);
}

describe('run limits are validated at every entry point', () => {
  for (const [field, value, message] of BAD) {
    const limits = { [field]: value } as unknown as Partial<RunLimits>;
    it(`${field}: ${String(value)}`, () => {
      expectArgumentError(() => xdp.runXdp(packet, { limits }), `options.limits.${field}`, message);
      expectArgumentError(() => xdp.runXdp(packet, { limits, jit: true }), `options.limits.${field}`, message);
      expectArgumentError(() => tc.runTc(packet, { limits }), `options.limits.${field}`, message);
      expectArgumentError(() => tc.runSocketFilter(packet, { limits }), `options.limits.${field}`, message);
      expectArgumentError(() => xdp.run(new Uint8Array(32), { limits }), `options.limits.${field}`, message);
      expectArgumentError(() => new EbpfVmRaw(prog, { limits }), `options.limits.${field}`, message);
      const vm = new EbpfVmRaw(prog);
      expectArgumentError(() => vm.setLimits(limits), `limits.${field}`, message);
      expect(vm.limits).toBe(DEFAULT_LIMITS);
    });
  }

  it('a limits object that is not an object', () => {
    for (const limits of [null, 7, 'x', [1]]) {
      expectArgumentError(() => xdp.runXdp(packet, { limits } as never), 'options.limits', /an options object/);
      expectArgumentError(() => new EbpfVmRaw(prog, { limits } as never), 'options.limits', /an options object/);
    }
  });

  it('a limits object made bad after a good run is checked again', () => {
    const limits = { instructionBudget: 1000 };
    expect(xdp.runXdp(packet, { limits }).action).toBe(2);
    limits.instructionBudget = NaN;
    expectArgumentError(() => xdp.runXdp(packet, { limits }), 'options.limits.instructionBudget', /not NaN/);
  });

  it('good limits still apply', () => {
    expect(() => xdp.runXdp(packet, { limits: { instructionBudget: 3 } })).toThrow(expect.objectContaining({ code: ErrorCode.BUDGET_EXCEEDED }));
    expect(xdp.runXdp(packet, { limits: { stackSize: 1024, maxCallDepth: 2 } }).action).toBe(2);
    const vm = new EbpfVmRaw(prog, { limits: { instructionBudget: 5 } });
    vm.setLimits({ maxTailCalls: 0 });
    expect(vm.limits).toEqual({ ...DEFAULT_LIMITS, instructionBudget: 5, maxTailCalls: 0 });
    expect(vm.executeProgram()).toBe(1n);
  });
});
