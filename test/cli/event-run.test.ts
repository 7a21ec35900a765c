/**
 * `tsbpf run OBJ.o --event FILE.json`: tracing programs on a host-described event from the CLI
 * (fixture tracing_events.o, examples/trace_openat.o), the default event, --repeat and --json, and
 * hostile event files (usage errors naming --event and the field).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** tracing_events.o has programs the kernel refuses (a kprobe calling bpf_probe_write_user, context writes) on purpose: its runs only warn. */
const WARN = ['--verify', 'warn'];
import { cli, tempFiles } from './helpers.js';

const fx = (name: string): string => new URL(`../fixtures/elf/${name}`, import.meta.url).pathname;
const formats = new URL('../fixtures/tracing/', import.meta.url).pathname;

function eventFile(doc: unknown): string {
  return join(tempFiles({ 'event.json': typeof doc === 'string' ? doc : JSON.stringify(doc) }), 'event.json');
}

describe('tsbpf run --event', () => {
  it('runs a tracepoint program on fields set by name in a format file, with the task and user memory', async () => {
    for (const jit of [[], ['--jit']]) {
      const r = await cli(['run', 'examples/trace_openat.o', '--event', 'examples/openat.json', ...jit]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toBe(
        'program trace_openat (tracepoint/syscalls/sys_enter_openat) (tracepoint) on examples/openat.json\n' +
          'r0 = 0x0 (0)\n' +
          'maps:\n' +
          '  opens (hash, key __u32, value __u64): 1 entry\n' +
          '    4242: 1\n' +
          'trace_printk: cat opens /etc/passwd flags 80241\n',
      );
    }
  });

  it('describes files, skbs and other tasks\' user memory (bpf_d_path, bpf_skb_output, bpf_copy_from_user_task)', async () => {
    const obj = fx('event_objects.o');
    const doc = {
      args: ['0xffff888008000040', 32, 0],
      files: [{ path: '/etc/passwd', pathAddress: '0xffff888008000040' }],
      tasks: [{ pid: 5, address: '0xffff888008000040', userMemory: [{ address: 32, string: 'abcdefgh' }] }],
      skbs: [{ address: '0xffff888008000040', hex: '0102030405' }],
    };
    const f = eventFile(doc);
    expect((await cli(['run', obj, '--program', 'd_path', '--event', f])).out).toContain('out: { ret: 12, buf: /etc/passwd }');
    expect((await cli(['run', obj, '--program', 'user_task', '--event', f])).out).toContain('out: { ret: 0, buf: abcdefgh }');
    const skb = await cli(['run', obj, '--program', 'skb_out', '--event', eventFile({ ...doc, args: ['0xffff888008000040', 3] })]);
    expect(skb.out).toContain('out: { ret: 0');
    const bad = await cli(['run', obj, '--program', 'd_path', '--event', eventFile({ ...doc, files: [{ path: 3 }] })]);
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('files[0].path must be a string')]);
  });

  it('describes cgroups for bpf_cgrp_storage_get (cgroups: id and struct cgroup address)', async () => {
    const f = eventFile({ args: ['0xffff88800a000000', 0], cgroups: [{ id: 4242, address: '0xffff88800a000000' }] });
    const doc = JSON.parse((await cli(['run', fx('cgrp_storage.o'), '--program', 'on_mkdir', '--event', f, '--json'])).out);
    expect(doc.maps.find((m: { name: string }) => m.name === 'mkdirs').entries).toEqual([{ key: 4242, value: 1 }]);
    const bad = await cli(['run', fx('cgrp_storage.o'), '--program', 'on_mkdir', '--event', eventFile({ cgroups: [{ id: 2 ** 33, address: 1 }] })]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cgroups\[0\]\.id must be from 0 to 4294967295/);
  });

  it('runs a writable raw tracepoint on the buffer of its event file and prints the buffer as left', async () => {
    // raw_tp_writable.o's rewrite: magic set for type 1, cookie ^ 0xffff, len * 2 + args[1], handle[7] = handle[0]
    const buffer = '00000000' + '01000000' + '3412000000000000' + '4100000000000000' + '07000000' + '64000000';
    const f = eventFile({ buffer: { hex: buffer }, args: [0, 5] });
    const r = await cli(['run', fx('raw_tp_writable.o'), '--event', f]);
    expect(r.err).toBe('');
    expect(r.out).toContain('buffer as the program left it: 13956025' + '01000000' + 'cbed000000000000' + '4100000000000041' + '07000000' + 'cd000000\n');
    const doc = JSON.parse((await cli(['run', fx('raw_tp_writable.o'), '--event', f, '--json', '--jit'])).out);
    expect(doc.buffer.hex).toBe('13956025' + '01000000' + 'cbed000000000000' + '4100000000000041' + '07000000' + 'cd000000');
    const bad = await cli(['run', fx('raw_tp_writable.o'), '--event', eventFile({ buffer: { hex: '00' }, args: [1] })]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/event.args\[0\] becomes the address of event.buffer/);
  });

  it('gives the task a pid namespace (bpf_get_ns_current_pid_tgid)', async () => {
    // libbpf-bootstrap's minimal_ns prints when the pid in the namespace dev 0 / ino 0 is 0 (its globals).
    const obj = new URL('../corpus/libbpf-bootstrap/examples/c/minimal_ns.bpf.o', import.meta.url).pathname;
    const inNs = await cli(['run', obj, '--event', eventFile({ task: { pid: 77, pidNamespace: { dev: 0, ino: 0, pid: 0 } } })]);
    expect(inNs.code).toBe(0);
    expect(inNs.out).toContain('trace_printk: BPF triggered from PID 0.\n');
    const other = await cli(['run', obj, '--event', eventFile({ task: { pid: 77, pidNamespace: { dev: 0, ino: 0, pid: 5 } } })]);
    expect(other.code).toBe(0);
    expect(other.out).not.toContain('trace_printk');
  });

  it('runs raw_tracepoint, tp_btf, perf_event and kprobe programs; --repeat and --json', async () => {
    const ev = eventFile({
      args: ['0xffffc9000001ff58', 257],
      task: { pid: 77, tgid: 70, comm: 'cat', cgroup: '0x77' },
      memory: [{ address: '0xffffc9000001ff58', hex: `${'00'.repeat(112)}bc0a000000000000${'00'.repeat(48)}` }],
    });
    const r = await cli(['run', fx('tracing_events.o'), ...WARN, '--program', 'on_sys_enter', '--event', ev, '--repeat', '3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^program on_sys_enter \(raw_tracepoint\/sys_enter\) \(raw_tracepoint\) on .*event\.json\nr0 = 0x1 \(1\)\nruns: 3, /);
    expect(r.out).toContain('  syscalls (hash, key __u64, value __u64): 1 entry\n    257: 3\n');
    expect(r.out).toContain('trace_printk: sys_enter 257 di=abc cgroup=119\n');
    const kprobe = eventFile({
      regs: { si: '0x7ffd00001002' },
      task: { pid: 77 },
      memory: [{ address: '0x7ffd00001000', hex: '0000000000000000' }],
      perfCounters: [{ map: 'counters', index: 1, counter: 5, enabled: 9, running: 8 }],
    });
    const k = await cli(['run', fx('tracing_events.o'), ...WARN, '--program', 'on_file_open', '--event', kprobe, '--json']);
    expect(k.code).toBe(0);
    const doc = JSON.parse(k.out) as Record<string, unknown>;
    expect(doc).toMatchObject({ type: 'kprobe', r0: '0x0', overrideReturnDecimal: '-13', signals: [{ signal: 9, thread: false }], memory: [{ address: '0x7ffd00001000', hex: '0000627066000000' }] });
    const text = await cli(['run', fx('tracing_events.o'), ...WARN, '--program', 'on_file_open', '--event', kprobe]);
    expect(text.out).toContain('override return = -13\nsignal 9 sent to the process\n');
    expect(text.out).toContain('memory at 0x7ffd00001000 as the program left it (bpf_probe_write_user): 0000627066000000\n');
    const perf = eventFile({ regs: { ip: '0x401000' }, samplePeriod: 100000, addr: '0xdead', counter: { counter: 12, enabled: 30, running: 20 } });
    expect((await cli(['run', fx('tracing_events.o'), ...WARN, '--program', 'on_sample', '--event', perf])).out).toContain('last_sample: { period: 100000, addr: 57005, ip: 4198400, value: { counter: 12, enabled: 30, running: 20 }, read: 0 }');
    // No input at all: the default event (all zero, the idle task).
    const idle = await cli(['run', fx('tracing_events.o'), ...WARN, '--program', 'on_switch']);
    expect(idle.out).toMatch(/^program on_switch \(tp_btf\/sched_switch\) \(tracing\) on the default event \(all zero, the idle task\)\nr0 = 0x0 \(0\)\n/);
    // A tracepoint program given its format through a path relative to the event file.
    const dir = tempFiles({ 'e.json': JSON.stringify({ format: join(formats, 'sched_process_exec.format'), fields: { filename: '/bin/true', pid: 5, old_pid: 4 } }) });
    const exec = await cli(['run', fx('tracing_events.o'), ...WARN, '--program', 'on_exec', '--event', join(dir, 'e.json')]);
    expect(exec.out).toContain('events: ring (ringbuf): 1 record, 0 dropped\n');
  });

  it('gives fentry / fexit programs their argument count, return value, function address and cookie', async () => {
    const ev = eventFile({ args: [3, '0x7ffd00001000', -10], ret: -2, funcIp: '0xffffffff81234560', cookie: 42 });
    const r = await cli(['run', fx('func_args.o'), '--program', 'on_exit', '--event', ev, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { maps: { name: string; entries: { key: number; value: Record<string, unknown> }[] }[] };
    const seen = doc.maps.find((m) => m.name === 'seen')!.entries.find((e) => e.key === 0)!.value;
    expect(seen).toMatchObject({ cnt: 3, ret_rc: 0, ret: -2, ip: Number(BigInt.asIntN(64, 0xffff_ffff_8123_4560n)), cookie: 42 });
    expect((seen.rc as number[]).slice(2, 4)).toEqual([0, -22]);
    const bad = await cli(['run', fx('func_args.o'), '--program', 'on_exit', '--event', eventFile({ ret: 'x' })]);
    expect(bad.err).toMatch(/--event .*ret/);
  });

  it('refuses hostile or wrong event files with a usage error naming --event and the field', async () => {
    const run = async (doc: unknown, program = 'on_sys_enter'): Promise<{ code: number; err: string }> => cli(['run', fx('tracing_events.o'), ...WARN, '--program', program, '--event', eventFile(doc)]);
    const cases: [unknown, RegExp, string?][] = [
      ['{not json', /not JSON/],
      [[1, 2], /the file must be an object/],
      [{ argz: [] }, /unknown key "argz"/],
      [{ args: Array.from({ length: 100000 }, () => 1) }, /args has 100000 entries; at most 12/],
      [{ args: [1.5] }, /args\[0\] must be an integer/],
      [{ args: ['0x1ffffffffffffffff'] }, /args\[0\] must be from/],
      [{ args: [{}] }, /args\[0\] must be an integer/],
      [{ regs: { di: 1 } }, /event.regs is not part of a raw_tracepoint program's context/],
      [{ regs: { rip: 1 } }, /regs.rip: not an x86-64 pt_regs register/, 'on_file_open'],
      [{ task: { pid: -1 } }, /task.pid must be from 0 to 4294967295/],
      [{ task: { pid: 1, name: 'x' } }, /task: unknown key "name"/],
      [{ task: { pid: 1, pidNamespace: { dev: 1 } } }, /task.pidNamespace.ino must be an integer/],
      [{ task: { pid: 1, pidNamespace: { dev: 1, ino: 2, pid: -1 } } }, /task.pidNamespace.pid must be from 0 to 4294967295/],
      [{ task: { pid: 1, pidNamespace: { dev: 1, ino: 2, level: 1 } } }, /task.pidNamespace: unknown key "level"/],
      [{ memory: [{ address: '0xfffffffffffffff0', hex: '00'.repeat(17) }] }, /run past the end of the 64-bit address space/],
      [{ memory: [{ address: 1, hex: 'zz' }] }, /memory\[0\].hex: 'z' is not a hex digit/],
      [{ memory: [{ address: 1 }] }, /memory\[0\] must give its bytes as "hex" or "string"/],
      [{ memory: Array.from({ length: 5000 }, () => ({ address: 1, string: '' })) }, /memory has 5000 entries; at most 4096/],
      [{ format: 'nope.format' }, /nope.format: no such file/, 'on_openat'],
      [{ format: join(formats, 'sys_enter_openat.format'), fields: { nope: 1 } }, /event.fields.nope: the format of sys_enter_openat has no such field/, 'on_openat'],
      [{ format: join(formats, 'sys_enter_openat.format'), fields: { __syscall_nr: '0x100000000' } }, /fits 4 bytes/, 'on_openat'],
      [{ record: { hex: '00'.repeat(9000) } }, /at most 8192 bytes/, 'on_openat'],
      [{ perfCounters: [{ map: 3, index: 0, counter: 1 }] }, /perfCounters\[0\].map must be the name/],
    ];
    for (const [doc, message, program] of cases) {
      const r = await run(doc, program);
      expect({ doc: JSON.stringify(doc).slice(0, 60), code: r.code }).toEqual({ doc: JSON.stringify(doc).slice(0, 60), code: 2 });
      expect(r.err).toMatch(/--event .*event\.json: /);
      expect(r.err).toMatch(message);
    }
    // A packet program is not a tracing program; --event excludes the packet inputs.
    expect((await cli(['run', 'examples/xdp_firewall.o', '--event', eventFile({})])).err).toMatch(/--event applies to tracing programs .* xdp_firewall \(xdp\) is xdp/);
    expect((await cli(['run', fx('tracing_events.o'), ...WARN, '--program', 'on_switch', '--event', eventFile({}), '--mem-hex', '00'])).err).toMatch(/leave out --mem-hex/);
  });
});

describe('tsbpf run --event: iterators', () => {
  const TASKS = [
    { pid: 1, address: '0xffff888000100000', kernelStack: ['0xffffffff81000000', '0xffffffff81000010'] },
    { pid: 2, address: '0xffff888000200000', kernelThread: true },
  ];
  const FORMATS = '-5 42 4294967295 beef BEEF|-7 -8 9 1234567890\n[   42|42   |-0042|+7| 7|ok]\n';

  it('shows the objects, then the last call, and prints the seq_file as text', async () => {
    const ev = eventFile({ objects: [['0xffff888000100000'], ['0xffff888000200000']], tasks: TASKS });
    for (const jit of [[], ['--jit']]) {
      const r = await cli(['run', fx('iter_helpers.o'), '--program', 'seq_formats', '--event', ev, ...jit]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain('runs: 3 (the objects, then the last call), 1 read() of the seq_file; r0 0 on every run\nseq_file: 186 bytes:\n' + FORMATS);
      expect(r.out).toContain('rc -22 -22 -22 -22 0 0 0\nend 2\n');
    }
    const json = JSON.parse((await cli(['run', fx('iter_helpers.o'), '--program', 'seq_formats', '--event', ev, '--json'])).out) as { seq: { bytes: number; text: string }; runs: string[]; reads: number };
    expect(json.seq.bytes).toBe(186);
    expect(json.seq.text.startsWith(FORMATS)).toBe(true);
    expect(json).toMatchObject({ runs: ['0', '0', '0'], reads: 1 });
  });

  it('runs one object, and dumps a binary seq_file in hex (bpf_get_task_stack of a described task)', async () => {
    const one = await cli(['run', fx('iter_helpers.o'), '--program', 'seq_formats', '--event', eventFile({ args: ['0xffff888000100000'], seqNum: 0 })]);
    expect(one.code).toBe(0);
    expect(one.out).toContain(`seq_file: 180 bytes:\n${FORMATS}`);
    const stack = await cli(['run', fx('iter_helpers.o'), '--program', 'task_stack', '--event', eventFile({ args: ['0xffff888000100000'], tasks: TASKS })]);
    expect(stack.code).toBe(0);
    expect(stack.out).toContain('seq_file: 1024 bytes (not text):\n  000000  00 00 00 81 ff ff ff ff 10 00 00 81 ff ff ff ff\n');
    expect(stack.out).toContain('  0003f0  00 00 00 00 00 00 00 00 10 00 00 00 00 00 00 00\n');
  });

  it('drains the 32 KiB seq_file as it fills and shows the object that did not fit again', async () => {
    // seq_fill writes 1,000 bytes per object: 32 fit in one read().
    const r = await cli(['run', fx('iter_helpers.o'), '--program', 'seq_fill', '--event', eventFile({ objects: Array.from({ length: 40 }, (_, i) => [i + 1]) })]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('runs: 41 (the objects, then the last call), 2 read()s of the seq_file; r0 0 on every run\nseq_file: 40000 bytes (not text):\n');
    expect(r.out).toContain('  ... 35904 more bytes (--json gives them all)\n');
  });

  it('refuses objects for other programs, with args or seqNum, too many fields, and tasks without an address', async () => {
    const bad = async (program: string, doc: unknown, message: RegExp): Promise<void> => {
      const r = await cli(['run', fx('iter_helpers.o'), '--program', program, '--event', eventFile(doc)]);
      expect(r.code, JSON.stringify(doc)).toBe(2);
      expect(r.err).toMatch(message);
    };
    await bad('seq_formats', { objects: [[1]], args: [1] }, /objects lists the objects an iterator shows/);
    await bad('seq_formats', { objects: [new Array(12).fill(1)] }, /objects\[0\] has 12 entries; at most 11/);
    await bad('seq_formats', { objects: 'all' }, /objects must be an array/);
    await bad('seq_formats', { tasks: [{ pid: 1 }] }, /options.tasks\[0\].address is needed/);
    await bad('seq_formats', { tasks: [{ pid: 1, address: 1, kernelStack: new Array(128).fill(1) }] }, /tasks\[0\].kernelStack has 128 entries; at most 127/);
    await bad('seq_formats', { tasks: [{ pid: 1, address: 1, kernelThread: 'yes' }] }, /tasks\[0\].kernelThread must be true or false/);
    const fentry = await cli(['run', fx('func_args.o'), '--program', 'on_entry', '--event', eventFile({ objects: [[1]] })]);
    expect(fentry.code).toBe(2);
    expect(fentry.err).toMatch(/objects applies to iterator programs/);
  });
});
