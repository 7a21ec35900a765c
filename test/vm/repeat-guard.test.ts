// The promises a VM's repeated run keeps although it skips the set-up (vm.ts `execute`): arguments are
// still checked, a nested run is still refused, a view that growing the memory detached runs as the bytes it showed,
// changes made from inside a run are seen by the next, and every run starts on a zeroed stack. Each test
// runs the VM a few times first, so that the case under test meets the repeat, not a fresh set-up.
import { describe, expect, it } from 'vitest';
import { ArgumentError, ErrorCode, ExecutionError, MEM_START, assemble } from '../../src/index.js';
import { EbpfVmFixedMbuff, EbpfVmMbuff, EbpfVmNoData, EbpfVmRaw } from '../../src/vm/vm.js';
import { thrown } from './util.js';

type Engine = 'interpreter' | 'jit';
const ENGINES: Engine[] = ['interpreter', 'jit'];

/** A VM of one kind with its zero-copy arguments, run through one engine's public entry point. */
interface Subject {
  readonly vm: EbpfVmRaw | EbpfVmMbuff | EbpfVmNoData | EbpfVmFixedMbuff;
  /** The arguments of a run (zero-copy views where the kind takes any). */
  readonly args: readonly Uint8Array[];
  readonly run: (...args: readonly unknown[]) => bigint;
}

function subject(kind: string, engine: Engine, prog: Uint8Array): Subject {
  const call = (vm: { executeProgram: (...a: never[]) => bigint; executeProgramJit: (...a: never[]) => bigint }) =>
    (...args: readonly unknown[]) =>
      (engine === 'jit' ? vm.executeProgramJit : vm.executeProgram).apply(vm, args as never[]);
  if (kind === 'raw') {
    const vm = new EbpfVmRaw(prog);
    return { vm, args: [vm.memBuffer(8)], run: call(vm) };
  }
  if (kind === 'mbuff') {
    const vm = new EbpfVmMbuff(prog);
    const mbuff = vm.mbuffBuffer(8);
    const mem = vm.memBuffer(8); // after the mbuff: allocating it may have detached an earlier view
    return { vm, args: [mem, mbuff], run: call(vm) };
  }
  if (kind === 'fixed') {
    const vm = new EbpfVmFixedMbuff(prog, 0, 8);
    return { vm, args: [vm.memBuffer(8)], run: call(vm) };
  }
  const vm = new EbpfVmNoData(prog);
  return { vm, args: [], run: call(vm) };
}

const KINDS = ['raw', 'mbuff', 'fixed', 'nodata'];
const CASES = KINDS.flatMap((kind) => ENGINES.map((engine) => [kind, engine] as const));

describe.each(CASES)('a repeated run of %s (%s)', (kind, engine) => {
  // Stores 77 on the stack, calls helper 7, returns what the stack slot then holds.
  const outer = assemble('mov64 r2, 77\nstxdw [r10-8], r2\nmov64 r1, 0\ncall 7\nldxdw r0, [r10-8]\nexit');

  it('refuses a nested run of the same VM, with the same error as a fresh run, and runs normally after', () => {
    const s = subject(kind, engine, outer);
    let nested = false;
    s.vm.registerHelper(7, () => (nested ? s.run(...s.args) : 0n));
    for (let i = 0; i < 3; i++) expect(s.run(...s.args)).toBe(77n);
    nested = true;
    const error = thrown(() => s.run(...s.args)) as ExecutionError;
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error as ExecutionError).code).toBe(ErrorCode.UNSUPPORTED);
    expect((error as Error).message).toMatch(/second VM/);
    // A fresh VM refusing its first nested run gives the same error.
    const fresh = subject(kind, engine, outer);
    fresh.vm.registerHelper(7, () => fresh.run(...fresh.args));
    const first = thrown(() => fresh.run(...fresh.args)) as ExecutionError;
    expect([first.constructor, first.code, first.pc, first.message]).toEqual([error.constructor, error.code, error.pc, error.message]);
    nested = false;
    for (let i = 0; i < 3; i++) expect(s.run(...s.args)).toBe(77n);
  });

  it('sees the host, limits and program a helper assigned during the previous run', () => {
    const s = subject(kind, engine, assemble('call 7\nexit'));
    let step = 0;
    s.vm.registerHelper(7, (_a, _b, _c, _d, _e, ctx) => {
      const n = (ctx.host as { n: number } | undefined)?.n ?? 0;
      if (step === 1) s.vm.host = { n: 5 };
      if (step === 2) s.vm.setLimits({ instructionBudget: 1 });
      if (step === 3) (s.vm as { setProgram(p: Uint8Array, a?: number, b?: number): void }).setProgram(assemble('mov r0, 9\nexit'), 0, 8);
      return n;
    });
    for (let i = 0; i < 3; i++) expect(s.run(...s.args)).toBe(0n);
    step = 1;
    expect(s.run(...s.args)).toBe(0n); // the helper saw the old host; it sets the new one
    step = 0;
    expect(s.run(...s.args)).toBe(5n);
    expect(s.run(...s.args)).toBe(5n);
    step = 2;
    expect(s.run(...s.args)).toBe(5n); // a budget of 1 from the next run on: `call; exit` is one block of 2
    step = 0;
    expect(() => s.run(...s.args)).toThrow(/budget/);
    s.vm.setLimits({ instructionBudget: 100 });
    expect(s.run(...s.args)).toBe(5n);
    step = 3;
    expect(s.run(...s.args)).toBe(5n);
    expect(s.run(...s.args)).toBe(9n);
    expect(s.run(...s.args)).toBe(9n);
  });

  it('starts every run on a zeroed stack, alternating with the other engine', () => {
    // Returns what two stack words held on entry (one near the top, one 480 bytes down), then dirties them.
    const s = subject(kind, engine, assemble('ldxdw r0, [r10-8]\nldxdw r1, [r10-488]\nadd r0, r1\nstdw [r10-8], 7\nstdw [r10-488], 9\nexit'));
    const other = (engine === 'jit' ? s.vm.executeProgram : s.vm.executeProgramJit).bind(s.vm) as (...a: readonly unknown[]) => bigint;
    for (let i = 0; i < 4; i++) {
      expect(s.run(...s.args)).toBe(0n);
      expect(s.run(...s.args)).toBe(0n);
      expect(other(...s.args)).toBe(0n);
    }
  });
});

describe.each(ENGINES)('arguments of a repeated run are checked (%s)', (engine) => {
  const prog = assemble('mov r0, r2\nexit');
  const bad: unknown[] = [null, 'abcd', [1, 2, 3, 4], { length: 8 }, 8];

  it('EbpfVmRaw: anything but a Uint8Array, the same error as on a fresh VM', () => {
    const s = subject('raw', engine, prog);
    for (let i = 0; i < 3; i++) expect(s.run(...s.args)).toBe(8n);
    const view = s.args[0]!;
    const others = [...bad, new Int8Array(view.buffer, view.byteOffset, view.length), new DataView(view.buffer, view.byteOffset, view.length)];
    for (const arg of others) {
      const e = thrown(() => s.run(arg));
      expect(e).toBeInstanceOf(ArgumentError);
      const fresh = subject('raw', engine, prog);
      expect((e as Error).message).toBe((thrown(() => fresh.run(arg)) as Error).message);
      expect(s.run(...s.args)).toBe(8n);
    }
    expect(s.run()).toBe(0n); // no argument: an empty input
  });

  it('EbpfVmMbuff: either argument missing or wrong', () => {
    const s = subject('mbuff', engine, prog);
    const [mem, mbuff] = s.args;
    for (let i = 0; i < 3; i++) expect(s.run(mem, mbuff)).toBe(8n);
    for (const arg of [undefined, ...bad]) {
      expect(() => s.run(mem, arg)).toThrow(ArgumentError);
      expect(() => s.run(mem, arg)).toThrow(/mbuff/);
      expect(() => s.run(arg, mbuff)).toThrow(ArgumentError);
      expect(() => s.run(arg, mbuff)).toThrow(/mem/);
      expect(s.run(mem, mbuff)).toBe(8n);
    }
  });

  it('EbpfVmFixedMbuff: anything but a Uint8Array', () => {
    const s = subject('fixed', engine, prog);
    for (let i = 0; i < 3; i++) expect(s.run(...s.args)).toBe(16n);
    for (const arg of [undefined, ...bad]) expect(() => s.run(arg)).toThrow(ArgumentError);
    expect(s.run(...s.args)).toBe(16n);
  });
});

describe.each(ENGINES)('a view detached by growing the memory (%s)', (engine) => {
  it('runs as the bytes it showed (a run may grow the memory itself), never as an empty input', () => {
    // r0 = r2 * 256 + mem[0]
    const s = subject('raw', engine, assemble('mov r0, r2\nlsh r0, 8\nldxb r3, [r1]\nadd r0, r3\nexit'));
    const view = s.args[0]!;
    view[0] = 1;
    for (let i = 0; i < 3; i++) expect(s.run(view)).toBe(0x801n);
    // Allocation past the memory's end grows it, which detaches every view of it (the layout is unchanged).
    const version = s.vm.memory.version;
    s.vm.memory.allocate(s.vm.memory.bytes.length + 65536);
    expect(s.vm.memory.version).toBe(version);
    expect(view.length).toBe(0);
    for (let i = 0; i < 3; i++) expect(s.run(view)).toBe(0x801n);
    const fresh = (s.vm as EbpfVmRaw).memBuffer(8);
    expect(fresh[0]).toBe(1); // the same bytes
    fresh[0] = 2;
    for (let i = 0; i < 3; i++) expect(s.run(fresh)).toBe(0x802n);
    expect(s.run(view)).toBe(0x802n); // the detached view still names them
    // Detached again after its replacement was made: the bytes are still found.
    s.vm.memory.allocate(s.vm.memory.bytes.length + 65536);
    expect(s.run(view)).toBe(0x802n);
    expect(s.run(fresh)).toBe(0x802n);
    // Once a larger view moves the region, the detached one names nothing: only a detached array.
    const next = (s.vm as EbpfVmRaw).memBuffer(4096);
    next[0] = 3;
    expect(() => s.run(view)).toThrow(/detached ArrayBuffer/);
    expect(s.run(next)).toBe(0x100003n);
    // A detached array the VM never handed out is refused (not a TypeError from the host).
    const other = new Uint8Array(new ArrayBuffer(8));
    structuredClone(other.buffer, { transfer: [other.buffer] });
    expect(other.length).toBe(0);
    expect(() => s.run(other)).toThrow(ArgumentError);
    expect(() => s.run(other)).toThrow(/detached ArrayBuffer/);
  });
});

describe.each(ENGINES)('EbpfVmFixedMbuff writes the packet pointers before every run (%s)', (engine) => {
  it.each([
    [0, 8],
    [8, 0],
    [4, 16],
    [8, 12], // overlapping: data_end's bytes win, as with two 8-byte stores in that order
    [12, 8],
  ])('data at %i, data_end at %i', (dataOffset, dataEndOffset) => {
    // Returns the metadata's first two words combined, then overwrites them: a pointer the VM failed to
    // write again before a run would show.
    const prog = assemble('ldxdw r0, [r1]\nldxdw r2, [r1+8]\nlsh r2, 1\nxor r0, r2\nstdw [r1], -1\nstdw [r1+8], -1\nexit');
    const vm = new EbpfVmFixedMbuff(prog, dataOffset, dataEndOffset);
    // What the metadata buffer holds, modelled with 8-byte bigint stores.
    const model = new DataView(new ArrayBuffer(Math.max(dataOffset, dataEndOffset) + 8));
    for (const len of [8, 8, 8, 3, 3, 0, 8]) {
      const mem = vm.memBuffer(len);
      model.setBigUint64(dataOffset, BigInt(MEM_START), true);
      model.setBigUint64(dataEndOffset, BigInt(MEM_START + len), true);
      const want = model.getBigUint64(0, true) ^ ((model.getBigUint64(8, true) << 1n) & 0xffffffffffffffffn);
      model.setBigInt64(0, -1n, true);
      model.setBigInt64(8, -1n, true);
      expect(engine === 'jit' ? vm.executeProgramJit(mem) : vm.executeProgram(mem)).toBe(want);
    }
  });
});
