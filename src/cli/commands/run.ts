/**
 * `tsbpf run PROG`: run a program on input memory and print r0, or once per packet of a capture
 * (`--pcap`) and report verdicts, maps and trace lines.
 * @module
 */
import { loadObject } from '../../elf/loader.js';
import { JitEngine } from '../../jit/engine.js';
import { EbpfVmRaw } from '../../vm/vm.js';
import { UsageError, expectPositionals, flag, intOption, listOption, parseArgs, stringOption, u64Option, type ParsedArgs } from '../args.js';
import type { CliIo } from '../io.js';
import { formatNs } from '../capture-stats.js';
import type { Command } from '../command.js';
import { readMemoryOptions, readProgramArg, writeOutputFile, type ProgramInput } from '../input.js';
import { singleObjectRun } from '../single-run.js';
import { readEventFile } from '../event-file.js';
import { eventRun } from '../event-run.js';
import { sockOpsRun } from '../sock-ops-run.js';
import { skSocketRun } from '../sk-socket-run.js';
import { execute } from '../jit.js';
import { preloadMaps, runCapture } from '../pcap-run.js';
import { runCaptureWorkers } from '../capture-workers.js';
import { objectPacketEngine, rawPacketEngine } from '../packet-engine.js';
import { programBytes } from '../program.js';
import { selectProgram } from './run-object.js';
import { writeJitDump } from '../dump-wasm.js';
import { Program } from '../../vm/program.js';
import { LOAD_FLAG_HELP, LOAD_FLAG_SPECS, loadFlags } from '../load-flags.js';
import type { LoadOptions, ProgramInfo } from '../../elf/loader.js';

/** r0 as `0x…` and decimal, plus the signed value when the top bit is set. */
export function formatR0(r0: bigint): string {
  const signed = BigInt.asIntN(64, r0);
  return `0x${r0.toString(16)} (${r0}${signed < 0n ? `, signed ${signed}` : ''})`;
}

/** The program `--dump-wasm` compiles: raw bytecode as it is, or an object's program linked. */
function programToDump(input: ProgramInput, name: string | undefined, load: LoadOptions): Program {
  if (input.format !== 'elf') return new Program(programBytes(input));
  const obj = loadObject(input.bytes, load);
  return obj.program(selectProgram(obj, input.name, name).name).program;
}

/** The single input: `--packet-hex` / `--mem-hex` (hex) or `--packet` / `--mem` (a file); empty when none. */
function singleInput(args: ParsedArgs): Uint8Array {
  const given = ['mem', 'mem-hex', 'packet', 'packet-hex'].filter((o) => args.options.has(o));
  if (given.length > 1) throw new UsageError(`give one input, not ${given.map((o) => `--${o}`).join(' and ')}`);
  return readMemoryOptions(stringOption(args, 'mem') ?? stringOption(args, 'packet'), stringOption(args, 'mem-hex') ?? stringOption(args, 'packet-hex'));
}

/** `--cgroup` is for programs a cgroup runs: cgroup_skb and sock_ops. */
function checkCgroupOption(cgroup: bigint | undefined, info: ProgramInfo): void {
  if (cgroup !== undefined && info.type !== 'cgroup_skb' && info.type !== 'sockops') {
    throw new UsageError(`--cgroup applies to programs attached to a cgroup (cgroup_skb, sock_ops); ${info.name} (${info.section}) is a ${info.type} program`);
  }
}

/** `--out` of a raw-bytecode run: the memory as the program left it. */
function writeMemory(path: string, bytes: Uint8Array, io: CliIo): void {
  if (path === '-') io.outBytes(bytes);
  else writeOutputFile(path, bytes);
}

/** The `run` command. */
export const runCommand: Command = {
  name: 'run',
  summary: 'run a program on input memory and print r0, or over a packet capture and report verdicts and maps',
  options: {
    mem: { type: 'string' },
    'mem-hex': { type: 'string' },
    packet: { type: 'string' },
    'packet-hex': { type: 'string' },
    jit: { type: 'boolean' },
    budget: { type: 'string' },
    program: { type: 'string' },
    pcap: { type: 'string', short: 'r' },
    map: { type: 'list' },
    'save-maps': { type: 'string' },
    out: { type: 'string', short: 'w' },
    'out-redirect': { type: 'string' },
    count: { type: 'string', short: 'c' },
    'max-errors': { type: 'string' },
    workers: { type: 'string' },
    repeat: { type: 'string' },
    event: { type: 'string' },
    cgroup: { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    'dump-wasm': { type: 'string' },
    ...LOAD_FLAG_SPECS,
  },
  help: `Usage: tsbpf run PROG [--packet-hex HEX | --packet FILE | --mem-hex HEX | --mem FILE | --event FILE.json] [--out FILE]
                    [--map NAME=FILE.json]... [--save-maps FILE.json] [--jit] [--budget N]
                    [--program NAME] [--repeat N] [--json] [--type TYPE] [--map-size NAME=N]... [--map-value-size NAME=N]... [--cgroup ID]
                    [--fib FILE.json] [--kconfig NAME=VALUE]... [--btf FILE]
       tsbpf run PROG --pcap CAPTURE [--program NAME] [--map NAME=FILE.json]... [--save-maps FILE.json]
                      [--out OUT.pcap] [--out-redirect DIR] [-c COUNT] [--max-errors N] [--json] [--verbose] [--jit] [--budget N]
                      [--workers N]

Verify PROG and run it once on one input. PROG is a raw bytecode file, a file of hex bytes, an
assembly file, a hex string, - for stdin, or a clang-built ELF object (clang -O2 -g -target bpf -c).
Raw bytecode runs as rbpf's EbpfVmRaw does (r1 points to the input memory, r2 holds its length) and
tsbpf prints r0. An object's maps and global data are set up, XDP, socket and tc programs get the
input as their packet, and tsbpf reports what a capture run reports for one packet: the verdict by
name (XDP_PASS, TC_ACT_SHOT, kept / dropped for socket filters), r0, the maps' contents, the
bpf_trace_printk lines, the ring buffer / perf event records (with any the program could not send
because the buffers were full, "N dropped"), and the packet as the program left it when it changed.

A tracing program (kprobe/..., kretprobe/..., uprobe, tracepoint/..., tp/..., raw_tracepoint/...,
raw_tp/..., perf_event, fentry/..., fexit/..., tp_btf/..., lsm/..., iter/... sections, or --type) runs on a host-described
event: --event FILE.json gives its context and task, without it the event is all zero and the task the
idle one. tsbpf prints r0, what bpf_override_return and bpf_send_signal did, the maps, the
bpf_trace_printk lines and the ring buffer / perf event records. The event file (integers as JSON
numbers or strings such as "0x7ffd00001000"):
  {"regs": {"di": 3, "si": "0x7ffd00001000"},      kprobe, uprobe, perf_event: x86-64 pt_regs
   "args": ["0xffffc9000001ff58", 257],             raw_tracepoint, fentry/fexit, tp_btf, lsm: u64 args
   "buffer": {"hex": "..."},                        raw_tp.w/...: the writable buffer args[0] points
                                                    at, printed as the program left it
   "format": "sys_enter_openat.format",             tracepoint: a tracefs format file (path relative
   "fields": {"dfd": -100, "filename": "0x7ffd00001000"},   to the event file), fields by name
   "record": {"hex": "..."},                        tracepoint: or the whole record
   "samplePeriod": 100000, "addr": "0xdead",        perf_event
   "counter": {"counter": 12, "enabled": 30, "running": 20},  perf_event: bpf_perf_prog_read_value
   "seqNum": 0, "sessionId": 1,                     iter: the meta (args: the object's fields)
   "objects": [["0xffff888000100000"], ...],        iter: show these objects, then the last call
   "task": {"pid": 77, "tgid": 70, "uid": 1000, "gid": 1000, "comm": "cat", "cgroup": 119,
            "address": "0xffff888004000000", "kernelStack": ["0xffffffff81000000"], "userStack": [],
            "pidNamespace": {"dev": 4, "ino": "0xeffffffc", "pid": 7, "tgid": 7}},
   "tasks": [{"pid": 1, "address": "0xffff888000100000", "kernelThread": false, "kernelStack": [...]}],
   "cgroups": [{"id": 4242, "address": "0xffff88800a000000"}],
   "memory": [{"address": "0x7ffd00001000", "string": "/etc/passwd"}, {"address": ..., "hex": "..."}],
   "perfCounters": [{"map": "counters", "index": 0, "counter": 5, "enabled": 9, "running": 8}],
   "skbs": [{"address": "0xffff888007000000", "hex": "..."}],
   "files": [{"path": "/etc/passwd", "address": "0xffff888008000000", "pathAddress": "0xffff888008000040",
              "imaHash": {"algo": 4, "hex": "..."}}]}
memory blocks are what bpf_probe_read_* read (and bpf_probe_write_user writes; a task's "userMemory"
blocks what bpf_copy_from_user_task reads of it, the current task's default being "memory"); skbs
the socket buffers (by the address of their struct sk_buff) whose packet bpf_skb_output appends;
files what bpf_d_path (by pathAddress, the struct path) and bpf_ima_file_hash (by address, the
struct file; without imaHash -EOPNOTSUPP) give; perfCounters what
bpf_perf_event_read(_value) find on a perf event array's slots; tasks the other tasks (by the address
of their task_struct) bpf_get_task_stack reads; cgroups the cgroups (by the address of their struct
cgroup) whose values bpf_cgrp_storage_get / _delete keep, by id. An iterator prints what it wrote with bpf_seq_printf /
bpf_seq_write (text, else a hex dump); with "objects" it runs once per object (seq_num 0, 1, ...) and
then once with no object, as one read() of the iterator's file (32 KiB seq_file, drained as it fills).

With --pcap, the program runs once per packet of a pcap or pcapng capture of Ethernet frames, read
as a stream (a file or - for stdin; memory stays bounded whatever its size), and tsbpf prints the
number of packets, the count of each verdict (XDP_DROP, XDP_PASS…; TC_ACT_OK, TC_ACT_SHOT…; kept /
dropped for socket filters; r0 for other programs), the time per packet (the steady state, with the
first packets, which warm the engine up, apart; on 1000 packets or more also the CPU time and a
latency histogram; past the first few thousand packets the median, p99 and histogram are estimated
from packets timed at random intervals, which the report counts, while the mean covers every
packet), the final contents of the maps (decoded through BTF: integers, structs, arrays;
__be32 and address fields as dotted IPv4), the bpf_trace_printk lines and the ring buffer / perf
event records per map; those are drained after each packet, as a reader would, and what did not fit in
the object's bounded buffers during one packet is reported as dropped. Packets are numbered from 1.
A packet whose run fails (budget, bounds…) is counted under an "error E_CODE" verdict and the run goes
on; the report names the first failing packets. A truncated or damaged capture is reported with the
packets read before the damage and the byte where reading stopped.

Exit status: 0 when every packet ran and the whole capture was read; 1 when a packet failed or the
capture was damaged (the report is printed all the same) or on any other failure; 2 on usage errors.

Options:
  --packet-hex HEX, --mem-hex HEX
                  the input (packet or memory) as hex bytes (e.g. "aa bb cc dd")
  --packet FILE, --mem FILE
                  the input: the raw bytes of FILE
  --jit           compile to WebAssembly instead of interpreting
  --dump-wasm FILE  also write the WebAssembly module the JIT builds for the program to FILE
                  and its text (WAT, annotated with eBPF pcs) to FILE with .wat for .wasm
  --budget N      stop after N instructions per run (default 100000000)
  --program NAME  which program of an ELF object to run (function or section name)
${LOAD_FLAG_HELP}
  --repeat N      (without --pcap) run N times on the same input and print the time per run
  --event FILE.json
                  run a tracing program on this event (see above); a sock_ops program on the
                  socket events of FILE.json: {"events": [{"op": "tcp_connect_cb", "socket": 0,
                  "args": [...]}, ...], "congestion": ["cubic", "reno"]} (socket: an index in
                  --sockets; op: a BPF_SOCK_OPS_* number or name); an sk_msg or sk_skb program
                  on the data of FILE.json: {"events": [{"socket": 0, "data": {"hex": "..."}}, ...]}
                  (sk_msg: or "chunks": [{"hex": "..."}, ...]), reporting each run's verdict,
                  redirect target, apply / cork counts and the data as left; an sk_lookup
                  program on the lookups of FILE.json: {"events": [{"protocol": "tcp", "remote":
                  "10.0.0.1:40000", "local": "10.0.0.2:80"}, ...]}, reporting each verdict and the
                  socket bpf_sk_assign selected
  --cgroup ID     the id of the cgroup the program is attached to (cgroup_skb, sock_ops): whose cgroup storage
                  bpf_get_local_storage gives (default 1, the root cgroup)
  --json          print one JSON document (the result, or the error) instead of text
  -r, --pcap FILE run once per packet of this capture (- for stdin)
  --map NAME=FILE.json
                  before the run, put the entries of FILE.json into map NAME (repeatable);
                  a SOCKMAP's or SOCKHASH's value is the index of a socket in --sockets;
  --map STATE.json
                  restore every map of a file --save-maps wrote (NAME=STATE.json: only NAME)
  --save-maps FILE.json
                  after the run, write every map's entries to FILE.json (a map state file that
                  --map and 'tsbpf map' read back; see 'tsbpf map --help' for the format)
  -w, --out FILE  single input: write the packet (or memory) as the program left it, whatever
                  the verdict: a one-packet capture when FILE ends in .pcap, else the raw bytes.
                  With --pcap: write the packets the program let through (XDP_PASS / XDP_TX;
                  socket filter non-zero, cut to the length it returned; TC_ACT_OK; other
                  programs r0 != 0), as the program left them, to a new pcap file.
                  - writes to stdout; the report then goes to stderr
  --out-redirect DIR
                  with --pcap: write the packets the program redirected (XDP_REDIRECT,
                  TC_ACT_REDIRECT), as it left them, and the bpf_clone_redirect copies into DIR,
                  one pcap per target (ifindex-3.pcap, map-ports-key-2-ifindex-7.pcap,
                  clone-ifindex-4-ingress.pcap; past 64 targets: other.pcap, clone-other.pcap)
  --workers N     with --pcap and an ELF object: run on N threads over one shared memory, this
                  one and N - 1 workers (maps shared as in the kernel, per-CPU maps one value per
                  thread; results in capture order). Array, hash and LRU maps (and per-CPU
                  forms), global data and program arrays are shared; objects with other maps are
                  refused;
                  not yet with --out, --out-redirect, --helper or --sockets; with --max-errors,
                  packets other threads ran past the last failure are not counted (their map
                  updates stay)
                  (default 1: one thread)
  -c COUNT        stop after COUNT packets
  --max-errors N  stop after N packets failed
  -v, --verbose   also list each packet's verdict
  --debug         show stack traces on errors

Map files (--map): either an array of {"key": K, "value": V} objects or an object {"K": V, ...}.
Integers are JSON numbers or strings ("123", "0x7b", "-1"); __be16/__be32 typed values are given in
host order; 4-byte values also accept a dotted IPv4 address ("10.0.0.1", stored in network order).
Structs are objects by BTF field name (missing fields are 0), arrays are JSON arrays, and any struct,
array or untyped value wider than 8 bytes can be a hex string of its bytes ("0x0a000001").
Global data (.bss, .data) is an object of variables: {"0": {"counter": 5}}.

Example:
  $ printf 'ldxh r0, [r1+2]\\nexit\\n' > prog.s
  $ tsbpf run prog.s --mem-hex "aa bb 11 22"
  r0 = 0x2211 (8721)

  $ tsbpf run examples/tc_mark.o --packet-hex "$(cat packet.hex)"
  verdict = TC_ACT_OK
  r0 = 0x0 (0)
  maps:
  ...

  $ echo '{"6": {"packets": 100, "bytes": 0}}' > stats.json
  $ tsbpf run examples/xdp_firewall.o -r examples/traffic.pcap --map proto_stats=stats.json -w passed.pcap
  program xdp_firewall (xdp) on examples/traffic.pcap
  packets: 12
  verdicts:
    XDP_DROP  3
    XDP_PASS  9
  ...
`,
  async run(argv, io) {
    return runCommandBody(parseArgs(argv, this.options), io);
  },
};

async function runCommandBody(args: ParsedArgs, io: CliIo): Promise<number> {
  const [arg] = expectPositionals(args, ['PROG']);
  const budget = intOption(args, 'budget', 1, Number.MAX_SAFE_INTEGER);
  const limits = budget === undefined ? {} : { instructionBudget: budget };
  const pcap = stringOption(args, 'pcap');
  const program = stringOption(args, 'program');
  const jit = flag(args, 'jit');
  const json = flag(args, 'json');
  const repeat = intOption(args, 'repeat', 1, 1e9);
  const load = await loadFlags(args);
  const eventPath = stringOption(args, 'event');
  const cgroup = u64Option(args, 'cgroup');
  if (eventPath !== undefined) {
    const other = ['mem', 'mem-hex', 'packet', 'packet-hex', 'pcap', 'out', 'dump-wasm'].filter((o) => args.options.has(o));
    if (other.length > 0) throw new UsageError(`--event gives a tracing program its whole input: leave out ${other.map((o) => `--${o}`).join(', ')}`);
  }
  if (pcap === undefined) {
    for (const o of ['verbose', 'count', 'max-errors', 'out-redirect', 'workers']) {
      if (args.options.has(o)) throw new UsageError(`--${o} applies to capture runs only (give --pcap FILE)`);
    }
  } else {
    if (['mem', 'mem-hex', 'packet', 'packet-hex'].some((o) => args.options.has(o))) throw new UsageError('give either --pcap or a single input (--packet-hex, --mem…), not both');
    if (repeat !== undefined) throw new UsageError('--repeat applies to a single input (--mem / --mem-hex), not to --pcap; a capture is timed per packet');
    if (pcap === '-' && arg === '-') throw new UsageError('the program and the capture cannot both come from stdin');
    if (pcap === '-' && stringOption(args, 'out') === '-' && json) throw new UsageError('--json with --out - would mix the report into the capture on stdout');
  }
  const input = await readProgramArg(arg!, io);
  if (input.format !== 'elf' && Object.keys(load).some((k) => k !== 'helpers')) throw new UsageError('--type, --map-size, --map-value-size, --fib, --sockets, --kconfig and --btf apply to ELF objects only');
  if (input.format !== 'elf' && cgroup !== undefined) throw new UsageError('--cgroup applies to ELF objects only (programs attached to a cgroup)');
  const dump = stringOption(args, 'dump-wasm');
  if (dump !== undefined) writeJitDump(dump, programToDump(input, program, load), limits, io);
  if (pcap !== undefined) {
    const common = {
      pcapPath: pcap,
      programArg: arg!,
      mapFiles: listOption(args, 'map'),
      outPath: stringOption(args, 'out'),
      outRedirect: stringOption(args, 'out-redirect'),
      json,
      verbose: flag(args, 'verbose'),
      engineName: jit ? ('jit' as const) : ('interpreter' as const),
      count: intOption(args, 'count', 1, Number.MAX_SAFE_INTEGER),
      maxErrors: intOption(args, 'max-errors', 1, Number.MAX_SAFE_INTEGER),
      saveMaps: stringOption(args, 'save-maps'),
    };
    const workers = intOption(args, 'workers', 1, 64) ?? 1;
    if (input.format === 'elf') {
      const obj = loadObject(input.bytes, jit ? { ...load, jitEngine: new JitEngine() } : load);
      const info = selectProgram(obj, input.name, program);
      checkCgroupOption(cgroup, info);
      if (workers > 1 && (info.type === 'cgroup_skb' || info.type === 'flow_dissector')) throw new UsageError(`--workers does not run ${info.type} programs yet: run them in one thread`);
      if (workers > 1) return runCaptureWorkers({ ...common, programLabel: '' }, { workers, bytes: input.bytes, program: info.name, load, jit, limits }, io);
      // --map files first: loading the program freezes read-only data (.rodata) that they may set
      preloadMaps(obj, common.mapFiles);
      const engine = objectPacketEngine(obj, info, jit, limits, cgroup);
      return runCapture({ ...common, mapFiles: [], programLabel: `${info.name} (${info.section})`, object: obj, engine }, io);
    }
    if (program !== undefined) throw new UsageError('--program applies to ELF objects only');
    if (workers > 1) throw new UsageError('--workers needs an ELF object (raw bytecode runs in one thread)');
    if (args.options.has('save-maps')) throw new UsageError('--save-maps needs an ELF object (raw bytecode has no maps)');
    const engine = rawPacketEngine(programBytes(input), jit, limits, load.helpers);
    return runCapture({ ...common, programLabel: input.name, object: undefined, engine }, io);
  }
  if (eventPath !== undefined && input.format !== 'elf') throw new UsageError('--event needs an ELF object with a tracing, sock_ops, sk_msg, sk_skb or sk_lookup program');
  const mem = singleInput(args);
  const outPath = stringOption(args, 'out');
  if (input.format === 'elf') {
    const obj = loadObject(input.bytes, jit ? { ...load, jitEngine: new JitEngine() } : load);
    const info = selectProgram(obj, input.name, program);
    preloadMaps(obj, listOption(args, 'map'));
    // A sock_ops program runs on the socket events of its --event file.
    if (info.type === 'sockops') {
      if (eventPath === undefined) throw new UsageError(`${info.name} (${info.section}) is a sock_ops program: give its socket events with --event FILE.json and the sockets with --sockets FILE.json`);
      if (repeat !== undefined) throw new UsageError('--repeat does not apply to sock_ops runs: list the events in the --event file');
      return sockOpsRun({ object: obj, info, eventPath, jit, limits, json, saveMaps: stringOption(args, 'save-maps'), cgroup }, io);
    }
    // sk_msg / sk_skb programs run on the data of their --event file, sk_lookup programs on its lookups.
    const skKind = info.type;
    if (skKind === 'sk_msg' || skKind === 'sk_skb' || skKind === 'sk_lookup') {
      if (eventPath === undefined && skKind === 'sk_lookup') throw new UsageError(`${info.name} (${info.section}) is an sk_lookup program: give its lookups with --event FILE.json ({ "protocol": "tcp", "remote": "10.0.0.1:40000", "local": "10.0.0.2:80" }) and the sockets with --sockets FILE.json`);
      if (eventPath === undefined) throw new UsageError(`${info.name} (${info.section}) is an ${skKind} program: give its data with --event FILE.json ({ "socket": 0, "data": { "hex": "..." } }) and the sockets with --sockets FILE.json`);
      if (repeat !== undefined) throw new UsageError(`--repeat does not apply to ${skKind} runs: list the runs in the --event file`);
      checkCgroupOption(cgroup, info);
      return skSocketRun({ object: obj, info, kind: skKind, eventPath, jit, limits, json, saveMaps: stringOption(args, 'save-maps') }, io);
    }
    checkCgroupOption(cgroup, info);
    const event = eventPath === undefined ? undefined : readEventFile(eventPath);
    // A tracing program runs on an event: the one given, or the default one when no input is given at all.
    const single = ['mem', 'mem-hex', 'packet', 'packet-hex', 'out'].some((o) => args.options.has(o));
    if (event !== undefined || (!single && obj.program(info.name).tracingType !== undefined)) {
      return eventRun({ object: obj, info, event, eventPath, jit, limits, repeat, json, saveMaps: stringOption(args, 'save-maps') }, io);
    }
    return singleObjectRun({ object: obj, info, input: mem, jit, limits, repeat, outPath, json, saveMaps: stringOption(args, 'save-maps'), cgroup }, io);
  }
  if (program !== undefined) throw new UsageError('--program applies to ELF objects only');
  if (args.options.has('map') || args.options.has('save-maps')) throw new UsageError('--map and --save-maps need an ELF object (raw bytecode has no maps)');
  const vm = new EbpfVmRaw(programBytes(input), { limits });
  for (const [id, stub] of load.helpers ?? []) vm.registerHelper(id, stub.fn, { name: stub.name });
  let left = mem;
  const run = (): bigint => {
    left = mem.slice();
    return execute(vm, left, jit);
  };
  if (repeat === undefined) {
    const r0 = run();
    if (outPath !== undefined) writeMemory(outPath, left, io);
    const report = outPath === '-' ? io.err.bind(io) : io.out.bind(io);
    report(json ? `${JSON.stringify({ r0: `0x${r0.toString(16)}`, r0Decimal: r0.toString() }, null, 2)}\n` : `r0 = ${formatR0(r0)}\n`);
    return 0;
  }
  const status = repeatRuns(run, repeat, json, io, false);
  if (outPath !== undefined) writeMemory(outPath, left, io);
  return status;
}

/**
 * `--repeat N`: run N times on the same input, as `bpftool prog run repeat N` does, and print r0 and
 * the mean time per run. Each run starts from the same input; an object's maps keep what earlier runs
 * stored (as in the kernel). The first run, which compiles and warms the engine up, is timed apart.
 */
function repeatRuns(run: () => bigint, repeat: number, json: boolean, io: CliIo, object: boolean): number {
  const t0 = performance.now();
  const first = run();
  const t1 = performance.now();
  let r0 = first;
  for (let i = 1; i < repeat; i++) r0 = run();
  const t2 = performance.now();
  const perRun = repeat > 1 ? ((t2 - t1) * 1e6) / (repeat - 1) : (t1 - t0) * 1e6;
  if (json) {
    io.out(`${JSON.stringify({ r0: `0x${r0.toString(16)}`, r0Decimal: r0.toString(), runs: repeat, nsPerRun: Math.round(perRun), firstRunNs: Math.round((t1 - t0) * 1e6) }, null, 2)}\n`);
    return 0;
  }
  io.out(`r0 = ${formatR0(r0)}\n`);
  const setup = object ? ' (each run sets up the context and copies the input again)' : '';
  io.out(`runs: ${repeat}, ${formatNs(perRun)} per run${repeat > 1 ? ` after the first (${formatNs((t1 - t0) * 1e6)})` : ''}${setup}\n`);
  return 0;
}
