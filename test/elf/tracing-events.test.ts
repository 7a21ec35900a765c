/**
 * Tracing programs of every context type on host-described events (fixture tracing_events.c):
 * runEvent builds the context from the event for the program's type (tracepoint records from a
 * tracefs format and fields by name, raw tracepoint / tp_btf args, perf_event data, pt_regs), and
 * the task, probe memory and perf counters feed the helpers. Each case runs on both engines.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { parseTracepointFormat, tracepointRecord } from '../../src/context/tracepoint.js';
import { ptRegs } from '../../src/context/pt-regs.js';
import { PerfEventArrayMap } from '../../src/maps/special.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import { loadObject } from '../../src/elf/index.js';

/**
 * The fixture calls helpers the kernel refuses for these program types (bpf_probe_write_user from a kprobe)
 * and reads past or writes into contexts on purpose (the engines' run-time checks are tested here), so its
 * loads only warn about what the kernel-level verifier finds.
 */
const WARN = { verify: 'warn' } as const;
import { example, load } from './fixtures.js';

const format = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/tracing/${name}.format`, import.meta.url)), 'utf8');
const TASK = { pid: 77, tgid: 70, uid: 1000, gid: 1000, comm: 'cat', cgroupId: 0x77n };
const USER_PATH = 0x7ffd_0000_1000n;
const text = (b: Uint8Array): string => new TextDecoder().decode(b).replace(/\0.*$/s, '');

describe('tracepoint formats', () => {
  it('parses a tracefs format file, fixed fields and __data_loc', () => {
    const f = parseTracepointFormat(format('sys_enter_openat'));
    expect(f).toMatchObject({ name: 'sys_enter_openat', id: 634, size: 48 });
    expect(f.fields.map((x) => x.name)).toEqual(['common_type', 'common_flags', 'common_preempt_count', 'common_pid', '__syscall_nr', 'dfd', 'filename', 'flags', 'mode']);
    expect(f.fields[6]).toMatchObject({ declaration: 'const char * filename', offset: 24, size: 8, signed: false, dataLoc: false });
    const exec = parseTracepointFormat(format('sched_process_exec'));
    expect(exec.fields[4]).toMatchObject({ name: 'filename', dataLoc: true, offset: 8, size: 4 });
    const r = tracepointRecord(exec, { filename: '/bin/ls', pid: -1 }, 5);
    const v = new DataView(r.buffer);
    expect(v.getUint16(0, true)).toBe(300); // common_type: the event id
    expect(v.getInt32(4, true)).toBe(5); // common_pid
    expect(v.getUint32(8, true)).toBe((8 << 16) | 20); // 8 bytes with the NUL, after the 20-byte fixed part
    expect(text(r.subarray(20))).toBe('/bin/ls');
    expect(v.getInt32(12, true)).toBe(-1);
  });

  it('refuses bad formats and values with an ArgumentError naming them', () => {
    const f = parseTracepointFormat(format('sys_enter_openat'));
    expect(() => parseTracepointFormat('name: x\nformat:\n')).toThrow(/no field lines/);
    expect(() => parseTracepointFormat('\tfield:int x;\toffset:zero;\tsize:4;\tsigned:1;\n')).toThrow(/line 1: not 'field:DECL/);
    expect(() => parseTracepointFormat('\tfield:int x;\toffset:9000;\tsize:4;\tsigned:1;\n')).toThrow(/outside the 8192-byte record/);
    expect(() => tracepointRecord(f, { nope: 1 })).toThrow(/event.fields.nope: the format of sys_enter_openat has no such field \(common_type, /);
    expect(() => tracepointRecord(f, { __syscall_nr: 1n << 40n })).toThrow(/event.fields.__syscall_nr must be an integer that fits 4 bytes/);
    expect(() => tracepointRecord(f, { dfd: 'a string that is longer than eight bytes' })).toThrow(/do not fit the 8-byte field/);
    expect(() => tracepointRecord(f, { dfd: {} as unknown as number })).toThrow(ArgumentError);
    const exec = parseTracepointFormat(format('sched_process_exec'));
    expect(() => tracepointRecord(exec, { filename: 'x'.repeat(9000) })).toThrow(/larger than 8192 bytes/);
    expect(() => tracepointRecord(exec, { filename: 3 })).toThrow(/__data_loc field: give a string/);
  });
});

describe('tracing programs on host-described events', () => {
  for (const jit of [false, true]) {
    const engine = jit ? 'JIT' : 'interpreter';

    it(`tracepoint: a record built from the format, perf output to a 0-entry perf array (${engine})`, () => {
      const obj = load('tracing_events', WARN);
      const events = obj.map('events') as PerfEventArrayMap;
      expect(events.spec.maxEntries).toBe(1); // max_entries 0: one slot per CPU, as libbpf sizes it
      const fmt = parseTracepointFormat(format('sys_enter_openat'));
      const r = obj.program('on_openat').runEvent(
        { format: fmt, fields: { __syscall_nr: 257, dfd: -100, filename: USER_PATH, flags: 0x241 } },
        { jit, task: TASK, probeMemory: [{ address: USER_PATH, bytes: new TextEncoder().encode('/tmp/x\0') }] },
      );
      expect(r.r0).toBe(0n);
      const [rec] = events.drain();
      const v = new DataView(rec!.data.buffer, rec!.data.byteOffset);
      expect([v.getUint32(0, true), v.getInt32(4, true), v.getBigInt64(8, true), v.getBigUint64(16, true), text(rec!.data.subarray(24))]).toEqual([77, 257, -100n, 0x241n, '/tmp/x']);
    });

    it(`tracepoint: a __data_loc string the program finds through its offset (${engine})`, () => {
      const obj = load('tracing_events', WARN);
      const fmt = parseTracepointFormat(format('sched_process_exec'));
      expect(obj.program('on_exec').runEvent({ format: fmt, fields: { filename: '/usr/bin/true', pid: 77, old_pid: 76 } }, { jit, task: TASK }).r0).toBe(0n);
      const [rec] = (obj.map('ring') as RingBufMap).drain();
      const v = new DataView(rec!.buffer, rec!.byteOffset);
      expect([v.getInt32(0, true), v.getInt32(4, true), text(rec!.subarray(8))]).toEqual([77, 76, '/usr/bin/true']);
    });

    it(`raw_tracepoint: u64 args, a pt_regs in probe memory, the task's cgroup and task_struct (${engine})`, () => {
      const obj = load('tracing_events', WARN);
      const regsAt = 0xffff_c900_0001_ff58n;
      const run = (): bigint => obj.program('on_sys_enter').runEvent({ args: [regsAt, 257n] }, { jit, task: TASK, probeMemory: [{ address: regsAt, bytes: ptRegs({ di: 0xabcn }) }] }).r0;
      expect(run()).toBe(1n);
      expect(run()).toBe(1n);
      const key = new Uint8Array(new BigUint64Array([257n]).buffer);
      expect(new DataView(obj.map('syscalls').lookup(key)!.buffer).getBigUint64(0, true)).toBe(2n);
      expect(obj.drainTrace()).toEqual(['sys_enter 257 di=abc cgroup=119', 'sys_enter 257 di=abc cgroup=119']);
      // A pointer argument near the top of the address space: the read wraps nowhere, it faults (-EFAULT, zeroed).
      obj.program('on_sys_enter').runEvent({ args: [0xffff_ffff_ffff_fffcn, 1n] }, { jit, probeMemory: [{ address: 0xffff_ffff_ffff_fff0n, bytes: new Uint8Array(16).fill(0xee) }] });
      expect(obj.drainTrace()).toEqual(['sys_enter 1 di=0 cgroup=1']);
    });

    it(`tp_btf: the traced function's arguments (${engine})`, () => {
      const obj = load('tracing_events', WARN);
      expect(obj.program('on_switch').runEvent({ args: [1n, 0xffff_8880_0000_1000n, 0xffff_8880_0000_2000n] }, { jit }).r0).toBe(1n);
      expect(obj.program('on_switch').runEvent(undefined, { jit }).r0).toBe(0n);
      const v = (name: string): bigint => new DataView(obj.readVariable(name).buffer).getBigUint64(0, true);
      expect([v('switches'), v('last_prev'), v('last_next')]).toEqual([2n, 0n, 0n]);
    });

    it(`perf_event: sample period, address, registers and the event's counter (${engine})`, () => {
      const obj = load('tracing_events', WARN);
      const sample = (): bigint[] => {
        const b = obj.readVariable('last_sample');
        const v = new DataView(b.buffer, b.byteOffset);
        return [0, 8, 16, 24, 32, 40, 48].map((at) => v.getBigInt64(at, true));
      };
      obj.program('on_sample').runEvent({ regs: { ip: 0x401000n }, samplePeriod: 100_000n, addr: 0xdeadn, counter: { counter: 12n, enabled: 30n, running: 20n } }, { jit });
      expect(sample()).toEqual([100_000n, 0xdeadn, 0x401000n, 12n, 30n, 20n, 0n]);
      obj.program('on_sample').runEvent(undefined, { jit });
      expect(sample()).toEqual([0n, 0n, 0n, 0n, 0n, 0n, 0n]);
    });

    it(`kprobe: perf counters, override, signal and probe write (${engine})`, () => {
      const obj = load('tracing_events', WARN);
      const seen = (): bigint[] => {
        const b = obj.readVariable('probe_seen');
        const v = new DataView(b.buffer, b.byteOffset);
        return [0, 8, 16, 24, 32, 40, 48, 56].map((at) => v.getBigInt64(at, true));
      };
      const user = { address: USER_PATH, bytes: new Uint8Array(8) };
      const r = obj.program('on_file_open').runEvent(
        { regs: { si: USER_PATH + 2n } },
        { jit, task: TASK, probeMemory: [user], perfCounters: [{ map: 'counters', index: 1, counter: 5n, enabled: 9n, running: 8n }, { map: 'counters', index: 0, counter: 3n }] },
      );
      expect(r).toMatchObject({ r0: 0n, overrideReturn: BigInt.asUintN(64, -13n), signals: [{ signal: 9, thread: false }] });
      expect(text(r.probeMemory![0]!.bytes.subarray(2))).toBe('bpf');
      expect(user.bytes.every((b) => b === 0)).toBe(true); // the caller's block is not changed
      expect(seen()).toEqual([0n, 0n, 0n, 0n, 5n, 9n, 8n, 3n]);
      // The idle task (a kernel thread) cannot be signalled or written to; no counter: -ENOENT, value zeroed.
      const idle = obj.program('on_file_open').runEvent(undefined, { jit });
      expect(idle.signals).toEqual([]);
      expect(seen()).toEqual([-2n, 0n, -1n, -1n, 0n, 0n, 0n, -2n]);
    });

    it(`contexts are read-only and end where the kernel's do (${engine})`, () => {
      const obj = load('tracing_events', WARN);
      expect(() => obj.program('past_end').runEvent({ args: [1n] }, { jit })).toThrow(/out-of-bounds 8-byte load at 0x1000060/);
      expect(() => obj.program('write_ctx').runEvent(undefined, { jit })).toThrow(/store to read-only region ctx/);
    });
  }

  it('refuses events that do not fit the program type with an ArgumentError naming the field', () => {
    const obj = load('tracing_events', WARN);
    const raw = obj.program('on_sys_enter');
    expect(() => raw.runEvent({ args: Array.from({ length: 13 }, () => 0n) })).toThrow(/event.args must be an array of at most 12 bigints/);
    expect(() => raw.runEvent({ args: ['1' as unknown as bigint] })).toThrow(/event.args\[0\]/);
    expect(() => raw.runEvent({ args: [1n << 64n] })).toThrow(/event.args\[0\]/);
    expect(() => raw.runEvent({ regs: { di: 1n } })).toThrow(/event.regs is not part of a raw_tracepoint program's context \(it reads args, buffer, cookie\)/);
    expect(() => raw.runEvent({ bogus: 1 } as never)).toThrow(/event.bogus: unknown field/);
    expect(() => raw.runEvent([] as never)).toThrow(ArgumentError);
    expect(() => obj.program('on_file_open').runEvent({ regs: { rip: 1n } as never })).toThrow(/regs.rip: not an x86-64 pt_regs register/);
    expect(() => obj.program('on_openat').runEvent({ record: new Uint8Array(8193) })).toThrow(/at most 8192 bytes/);
    expect(() => obj.program('on_openat').runEvent({ fields: { dfd: 1 } })).toThrow(/event.fields needs event.format/);
    expect(() => obj.program('on_openat').runEvent({ format: { fields: [{ name: 'x', offset: 8190, size: 8 }] } as never })).toThrow(/inside 8192 bytes/);
    expect(() => obj.program('on_sample').runEvent({ counter: { counter: -1n << 64n } })).toThrow(/event.counter.counter/);
    expect(() => raw.runEvent(undefined, { probeMemory: [{ address: 0xffff_ffff_ffff_fff0n, bytes: new Uint8Array(17) }] })).toThrow(/run past the end of the 64-bit address space/);
    expect(() => raw.runEvent(undefined, { perfCounters: [{ map: 'counters', index: -1, counter: 1n }] })).toThrow(/perfCounters\[0\].index/);
    expect(() => raw.runEvent(undefined, { task: { pid: 1, cgroupId: 5 as unknown as bigint } })).toThrow(/task.cgroupId must be a bigint/);
    // A packet or unknown-type program is not a tracing program.
    const xdp = loadObject(example('xdp_firewall')).program('xdp_firewall');
    expect(() => xdp.runEvent()).toThrow(/program xdp_firewall is not a tracing program/);
  });
});
