/**
 * BPF iterator programs (fixture iter_helpers.c) on host-described objects: the context (the meta
 * pointer, then the target), the seq_file helpers bpf_seq_printf / bpf_seq_write and their overflow
 * rule, hostile arguments, and the output a host collects across runs. Each case runs on both engines.
 * The expected text of seq_formats is what the kernel printed (6.18, read through a bpf_link; checked
 * live by test/kernel/iter.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, EbpfError, ErrorCode } from '../../src/errors.js';
import { parseElf } from '../../src/elf/reader.js';
import type { BpfObject } from '../../src/elf/index.js';
import { ArrayMap } from '../../src/maps/array.js';
import { DEFAULT_SEQ_BYTES, MAX_SEQ_BYTES, SEQ_FILE_ADDRESS, SeqOutput, SeqRun } from '../../src/helpers/seq.js';
import { DEFAULT_ITER_META, iterContext, iterMetaLayout } from '../../src/context/iter.js';
import { Btf, BtfKind, type BtfType } from '../../src/elf/btf.js';
import { MBUFF_START } from '../../src/vm/memory.js';
import { fixture, load } from './fixtures.js';

const TASK = 0xffff_8880_0123_4000n;
const EOVERFLOW = -75n;

/** The first object's output, as the kernel printed it. */
const FORMATS =
  '-5 42 4294967295 beef BEEF|-7 -8 9 1234567890\n' +
  '[   42|42   |-0042|+7| 7|ok]\n' +
  '[hello|     hello|hello |10.0.0.1|010.000.000.001]\n' +
  '% ffff888012345678\n' +
  'plain\n' +
  'raw\n' +
  'rc -22 -22 -22 -22 0 0 0\n';

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

/** Set `volatile const` variables of iter_helpers.o's .rodata (found by their symbols) before its programs are linked. */
export function setRodata(obj: BpfObject, values: Readonly<Record<string, bigint>>): void {
  const elf = parseElf(fixture('iter_helpers'));
  const rodata = obj.map('.rodata') as ArrayMap;
  const v = rodata.lookup(new Uint8Array(4))!;
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  for (const [name, value] of Object.entries(values)) {
    const sym = elf.symbols.find((x) => x.name === name)!;
    if (Number(sym.size) === 8) view.setBigUint64(Number(sym.value), value, true);
    else view.setUint32(Number(sym.value), Number(value), true);
  }
  rodata.update(new Uint8Array(4), v);
}

describe.each([false, true])('iterator programs (jit %s)', (jit) => {
  it('print the first object with each format, then the last (NULL) call', () => {
    const obj = load('iter_helpers');
    const p = obj.program('seq_formats');
    expect(obj.programs.find((x) => x.name === 'seq_formats')?.type).toBe('iter');
    const seq = new SeqOutput();
    const first = p.runEvent({ args: [TASK], seqNum: 0n, sessionId: 9n }, { jit, seq });
    expect(first).toMatchObject({ r0: 0n, seqOverflow: false });
    expect(text(first.seq)).toBe(FORMATS);
    // Other objects print nothing; the last call, with no object, prints how many there were.
    expect(p.runEvent({ args: [TASK + 0x1000n], seqNum: 1n }, { jit, seq }).seq).toEqual(new Uint8Array(0));
    expect(text(p.runEvent({ seqNum: 2n }, { jit, seq }).seq)).toBe('end 2\n');
    expect(seq.text()).toBe(`${FORMATS}end 2\n`);
    expect(text(seq.drain())).toBe(`${FORMATS}end 2\n`);
    expect(seq.length).toBe(0);
  });

  it('collect into a new output per run when the host gives none', () => {
    const p = load('iter_helpers').program('seq_formats');
    expect(text(p.runEvent({ args: [TASK] }, { jit }).seq)).toBe(FORMATS);
    expect(text(p.runEvent({ args: [TASK] }, { jit }).seq)).toBe(FORMATS);
  });

  it('refuse a write that does not fit, and every later write of that run, and take the run back', () => {
    const obj = load('iter_helpers');
    setRodata(obj, { fill_len: 1000n, fill_times: 3n });
    const p = obj.program('seq_fill');
    const rc = (): bigint[] => Array.from({ length: 3 }, (_, i) => new DataView(obj.map('fill_rc').lookup(Uint8Array.of(i, 0, 0, 0))!.buffer).getBigInt64(0, true));
    const seq = new SeqOutput(2500);
    expect(seq.append(Uint8Array.of(1, 2, 3))).toBe(true);
    const r = p.runEvent({ args: [TASK] }, { jit, seq });
    expect(rc()).toEqual([0n, 0n, EOVERFLOW]);
    expect(r).toMatchObject({ r0: 0n, seqOverflow: true });
    expect(r.seq).toEqual(new Uint8Array(0));
    // What was there before the run stays; the host drains and shows the object again.
    expect(seq.bytes()).toEqual(Uint8Array.of(1, 2, 3));
    seq.drain();
    const again = p.runEvent({ args: [TASK] }, { jit, seq: new SeqOutput(3000) });
    expect(again.seqOverflow).toBe(false);
    expect(again.seq!.length).toBe(3000);
    expect(rc()).toEqual([0n, 0n, 0n]);
  });

  it('stop the run on a pointer that is not the seq_file, and on memory the program cannot read', () => {
    const cases: [bigint, RegExp][] = [
      [0n, /bpf_seq_write: 0xffff888005000008 is not the run's seq_file/],
      [1n, /out-of-bounds/],
      [2n, /out-of-bounds/],
      [3n, /out-of-bounds/],
    ];
    for (const [hostile, message] of cases) {
      const obj = load('iter_helpers');
      setRodata(obj, { hostile_case: hostile });
      const seq = new SeqOutput();
      let error: unknown;
      try {
        obj.program('seq_hostile').runEvent({ args: [TASK] }, { jit, seq });
      } catch (e) {
        error = e;
      }
      expect(error, `case ${hostile}`).toBeInstanceOf(EbpfError);
      expect((error as Error).message).toMatch(message);
      expect(seq.length).toBe(0);
    }
  });

  it('give the seq helpers to iterator programs only', () => {
    // The same code loaded as an fentry program: ctx->meta is then an argument, and no seq_file exists.
    const obj = load('iter_helpers', { programTypes: { seq_formats: 'tracing' } });
    const error = (() => {
      try {
        obj.program('seq_formats').runEvent({ args: [0n, TASK] }, { jit });
      } catch (e) {
        return e as EbpfError;
      }
      return undefined;
    })();
    expect(error?.code).toBe(ErrorCode.HELPER);
    expect(error?.message).toMatch(/only iterator programs .* have a seq_file/);
  });
});

describe('iterator events and outputs', () => {
  it('check the event and options', () => {
    const p = load('iter_helpers').program('seq_formats');
    expect(() => p.runEvent({ args: new Array<bigint>(12).fill(1n) })).toThrow(ArgumentError);
    expect(() => p.runEvent({ ret: 1n })).toThrow(/not part of a iter program's context/);
    expect(() => p.runEvent({ seqNum: 1.5 as unknown as bigint })).toThrow(ArgumentError);
    expect(() => p.runEvent({ sessionId: 1n << 64n })).toThrow(ArgumentError);
    expect(() => p.runEvent({}, { seq: { append: () => true } as unknown as SeqOutput })).toThrow(/options.seq must be a SeqOutput/);
  });

  it('bound SeqOutput', () => {
    for (const bad of [0, -1, 1.5, MAX_SEQ_BYTES + 1, Number.NaN, '8' as unknown as number]) expect(() => new SeqOutput(bad)).toThrow(ArgumentError);
    expect(new SeqOutput().capacity).toBe(DEFAULT_SEQ_BYTES);
    const big = new SeqOutput(MAX_SEQ_BYTES);
    expect(big.append(new Uint8Array(5000))).toBe(true);
    expect(big.length).toBe(5000);
    const s = new SeqOutput(10);
    expect(s.append(new TextEncoder().encode('0123456789'))).toBe(true);
    expect(s.append(Uint8Array.of(1))).toBe(false);
    s.truncate(4);
    expect(s.text()).toBe('0123');
    expect(s.bytes(2)).toEqual(new TextEncoder().encode('23'));
    expect(() => s.append('x' as unknown as Uint8Array)).toThrow(ArgumentError);
    expect(() => s.truncate(-1)).toThrow(ArgumentError);
  });

  it('fail every write of a run after its first overflow, even one that would fit', () => {
    const s = new SeqOutput(8);
    const run = new SeqRun(s);
    expect(run.write(new Uint8Array(6))).toBe(0);
    expect(run.write(new Uint8Array(3))).toBe(Number(EOVERFLOW));
    expect(run.write(new Uint8Array(1))).toBe(Number(EOVERFLOW));
    run.end(true);
    expect(s.length).toBe(0);
    const failed = new SeqRun(s);
    failed.write(new Uint8Array(2));
    failed.end(false);
    expect(s.length).toBe(0);
  });

  it('lay the meta out as BTF says, and fall back to the kernel layout on anything odd', () => {
    const u64: BtfType = { id: 1, kind: BtfKind.INT, name: 'u64', vlen: 0, sizeOrType: 8, int: { encoding: 0, offset: 0, bits: 64 } };
    const meta = (size: number, members: [string, number, number?][]): Btf =>
      new Btf([undefined as unknown as BtfType, u64, { id: 2, kind: BtfKind.STRUCT, name: 'bpf_iter_meta', vlen: members.length, sizeOrType: size, members: members.map(([name, bitOffset, bitSize]) => ({ name, type: 1, bitOffset, bitSize: bitSize ?? 0 })) }]);
    expect(iterMetaLayout(meta(32, [['seq_num', 0], ['session_id', 64], ['seq', 192]]))).toEqual({ seq: 24, sessionId: 8, seqNum: 0, size: 32 });
    // `seq` in an anonymous union, as the kernel's __bpf_md_ptr declares it.
    const anon = new Btf([
      undefined as unknown as BtfType,
      u64,
      { id: 2, kind: BtfKind.UNION, name: '', vlen: 1, sizeOrType: 8, members: [{ name: 'seq', type: 1, bitOffset: 0 }] },
      { id: 3, kind: BtfKind.STRUCT, name: 'bpf_iter_meta', vlen: 3, sizeOrType: 24, members: [{ name: 'session_id', type: 1, bitOffset: 0 }, { name: 'seq_num', type: 1, bitOffset: 64 }, { name: '', type: 2, bitOffset: 128 }] },
    ]);
    expect(iterMetaLayout(anon)).toEqual({ seq: 16, sessionId: 0, seqNum: 8, size: 24 });
    expect(iterMetaLayout(undefined)).toEqual(DEFAULT_ITER_META);
    expect(iterMetaLayout(meta(1 << 20, [['seq', 0]]))).toEqual(DEFAULT_ITER_META);
    // A bitfield, a misaligned member, one past the end: the kernel's offset; a collision: the kernel's layout.
    expect(iterMetaLayout(meta(24, [['seq', 0, 3], ['session_id', 68], ['seq_num', 192]]))).toEqual(DEFAULT_ITER_META);
    expect(iterMetaLayout(meta(24, [['seq', 64]]))).toEqual(DEFAULT_ITER_META);
    const ctx = iterContext(12, [TASK], { seq: 24, sessionId: 8, seqNum: 0, size: 32 }, 5n, 7n);
    const v = new DataView(ctx.buffer);
    expect(ctx.length).toBe(96 + 32);
    expect(v.getBigUint64(0, true)).toBe(BigInt(MBUFF_START + 96));
    expect(v.getBigUint64(8, true)).toBe(TASK);
    expect([v.getBigUint64(96, true), v.getBigUint64(104, true), v.getBigUint64(120, true)]).toEqual([7n, 5n, SEQ_FILE_ADDRESS]);
  });
});

describe.each([false, true])('bpf_get_task_stack (jit %s)', (jit) => {
  const CURRENT = 0xffff_8880_0900_0000n;
  const frames = (n: number, base: bigint): bigint[] => Array.from({ length: n }, (_, i) => base + BigInt(i) * 8n);
  const tasks = [
    { pid: 10, address: TASK, kernelStack: frames(5, 0xffff_ffff_8100_0000n) },
    { pid: 11, address: TASK + 0x1000n, kernelThread: true, kernelStack: frames(2, 0xffff_ffff_8200_0000n) },
  ];
  const task = { pid: 77, address: CURRENT, kernelStack: frames(3, 0xffff_ffff_8300_0000n), userStack: [0x401000n, 0x402000n] };

  /** task_stack's buffer after a run on `target` with these flags and size: the return value and the frames it covers. */
  function stack(target: bigint, flags: bigint, size: bigint): { rc: bigint; words: bigint[] } {
    const obj = load('iter_helpers');
    setRodata(obj, { stack_flags: flags, stack_size: size });
    const r = obj.program('task_stack').runEvent({ args: [target] }, { jit, task, tasks });
    const v = new DataView(r.seq!.buffer, r.seq!.byteOffset, r.seq!.byteLength);
    const rc = v.getBigInt64(8 * 127, true);
    return { rc, words: Array.from({ length: Math.max(0, Number(rc) / 8) }, (_, i) => v.getBigUint64(8 * i, true)) };
  }

  it('copies the described kernel stack of another task, with skip and a short buffer', () => {
    expect(stack(TASK, 0n, 1016n)).toEqual({ rc: 40n, words: tasks[0]!.kernelStack });
    expect(stack(TASK, 2n, 1016n)).toEqual({ rc: 24n, words: tasks[0]!.kernelStack.slice(2) });
    expect(stack(TASK, 0n, 16n)).toEqual({ rc: 16n, words: tasks[0]!.kernelStack.slice(0, 2) });
    expect(stack(TASK, 5n, 1016n)).toEqual({ rc: 0n, words: [] });
    expect(stack(TASK, 6n, 1016n).rc).toBe(-14n);
  });

  it("reads the current task's user stack only, as ips or build id records", () => {
    expect(stack(CURRENT, 1n << 8n, 1016n)).toEqual({ rc: 16n, words: task.userStack });
    expect(stack(CURRENT, 0n, 1016n)).toEqual({ rc: 24n, words: task.kernelStack });
    const ids = stack(CURRENT, (1n << 8n) | (1n << 11n), 128n);
    expect(ids.rc).toBe(64n);
    // Each record: status BPF_STACK_BUILD_ID_IP (2), then the ip at byte 24.
    expect([ids.words[0]! & 0xffff_ffffn, ids.words[3], ids.words[4]! & 0xffff_ffffn, ids.words[7]]).toEqual([2n, 0x401000n, 2n, 0x402000n]);
    expect(stack(TASK, 1n << 8n, 1016n).rc).toBe(-95n);
    expect(stack(TASK + 0x1000n, 1n << 8n, 1016n).rc).toBe(-14n);
  });

  it('gives a task nobody described no kernel stack, and refuses bad flags and sizes', () => {
    expect(stack(0x1234n, 0n, 1016n)).toEqual({ rc: 0n, words: [] });
    expect(stack(0x1234n, 1n << 8n, 1016n).rc).toBe(-95n);
    expect(stack(TASK, 1n << 12n, 1016n).rc).toBe(-22n);
    expect(stack(TASK, 1n << 11n, 1024n).rc).toBe(-22n);
    expect(stack(TASK, 0n, 1012n).rc).toBe(-22n);
    expect(() => stack(TASK, 0n, 0x7fff_fff8n)).toThrow(/out-of-bounds/);
  });

  it('checks the tasks a host describes', () => {
    const p = load('iter_helpers').program('task_stack');
    const run = (t: unknown): unknown => p.runEvent({ args: [TASK] }, { jit, tasks: t as never });
    expect(() => run([{ pid: 1 }])).toThrow(/options.tasks\[0\].address is needed/);
    expect(() => run([{ pid: 1, address: TASK }, { pid: 2, address: TASK }])).toThrow(/is another task's/);
    expect(() => run([{ pid: 1, address: 0xffff_8880_0400_0000n }])).toThrow(/is another task's/);
    expect(() => run([{ pid: 1, address: TASK, kernelStack: new Array(128).fill(1n) }])).toThrow(/at most 127/);
    expect(() => run([{ pid: 1, address: TASK, kernelStack: [1] }])).toThrow(ArgumentError);
    expect(() => run([{ pid: 1, address: TASK, kernelThread: 'yes' }])).toThrow(ArgumentError);
    expect(() => run({ length: 1 })).toThrow(/options.tasks must be an array/);
    expect(() => p.runEvent({ args: [TASK] }, { jit, task: { pid: 1, userStack: [-1n] } })).toThrow(ArgumentError);
  });
});

describe('bpf_seq_printf_btf', () => {
  for (const jit of [false, true]) {
    it(`appends the object's BTF text, as bpf_snprintf_btf gives it (${jit ? 'JIT' : 'interpreter'})`, () => {
      const p = load('iter_helpers').program('seq_btf');
      const bytes = new Uint8Array([7, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0]);
      const r = p.runEvent({ args: [TASK] }, { jit, probeMemory: [{ address: TASK, bytes }] });
      expect([r.r0, text(r.seq)]).toEqual([0n, '(struct task_struct){\n .pid = (int)7,\n .tgid = (int)8,\n .flags = (unsigned int)1,\n}\n']);
      // An object it cannot read: -EFAULT, nothing written; a full seq_file: -EOVERFLOW.
      const bad = p.runEvent({ args: [TASK + 0x10_0000n] }, { jit });
      expect([BigInt.asIntN(64, bad.r0), bad.seq?.length]).toEqual([-14n, 0]);
      const full = p.runEvent({ args: [TASK] }, { jit, probeMemory: [{ address: TASK, bytes }], seq: new SeqOutput(16) });
      expect(BigInt.asIntN(64, full.r0)).toBe(-75n);
    });
  }
});
