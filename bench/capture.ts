/**
 * The capture-runner benchmark (`npm run bench -- --capture`): `tsbpf run examples/xdp_firewall.o
 * --pcap F --jit` on a generated capture (bench/gen-capture.ts, seed 1) against tcpdump applying a port
 * filter to the same file (`tcpdump -r F -n 'port 23'`), each under `/usr/bin/time` for CPU time and
 * peak RSS; with `--big`, also ten times the packets piped through stdin (`--pcap -`), to show that
 * memory does not grow with the capture. Prints a Markdown table (progress on stderr).
 *
 *   npm run bench -- --capture [--packets N] [--runs N] [--big] [--interpreter] [--workers N]
 *
 * `--workers N` also runs `--workers N` beside each one-worker run (alternating, same load) and prints
 * wall time, CPU time and packets per wall second of both, and whether verdicts and maps agree.
 *
 * Runs the built CLI (dist/; `npm run build` first). The capture is written to the system's temporary
 * directory and reused while its size matches.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCapture } from './gen-capture.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = (text: string): void => void process.stderr.write(`${text}\n`);

interface Measured {
  cpuSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  wallSeconds: number;
  maxRssKb: number;
  stdout: string;
}

/** Run a shell command under /usr/bin/time (the last command of a pipeline is the one measured). */
function timed(command: string, timeFile: string): Measured {
  const r = spawnSync('bash', ['-c', command.replace('%TIME%', `/usr/bin/time -f '%U %S %e %M' -o ${timeFile}`)], {
    cwd: root,
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${command} failed (${r.status}): ${r.stderr}`);
  const [user, sys, wall, rss] = spawnSync('cat', [timeFile], { encoding: 'utf8' }).stdout.trim().split(/\s+/).map(Number);
  return { cpuSeconds: user! + sys!, userSeconds: user!, systemSeconds: sys!, wallSeconds: wall!, maxRssKb: rss!, stdout: r.stdout };
}

interface Report {
  packets: number;
  nsPerPacket: number;
  medianNsPerPacket: number;
  time: { warmupPackets: number; warmupNsPerPacket: number; p99NsPerPacket: number; timedPackets?: number; cpuSeconds: number; packetsPerCpuSecond: number; startupSeconds: number; loopSeconds: number; histogram: { upToNs: number; packets: number }[] };
  verdicts: Record<string, number>;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  const argv = process.argv.slice(2).filter((a) => a !== '--capture');
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(name);
    return at < 0 ? fallback : Number(argv[at + 1]);
  };
  const packets = value('--packets', 1_000_000);
  const runs = value('--runs', 3);
  const big = argv.includes('--big');
  const workers = value('--workers', 1);
  const engine = argv.includes('--interpreter') ? '' : '--jit';
  const cli = join(root, 'dist/cli/tsbpf.js');
  if (!existsSync(cli)) throw new Error('dist/cli/tsbpf.js (the bundled CLI) is missing: run npm run build first');
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed for CPU time and peak RSS (apt-get install time)');
  const file = join(tmpdir(), `tsbpf-bench-${packets}.pcap`);
  const spec = { packets, seed: 1, pcapng: false };
  let size = existsSync(file) ? statSync(file).size : -1;
  if (size <= 0) {
    log(`writing ${packets} packets to ${file}`);
    size = writeCapture(file, spec);
  }
  const timeFile = join(tmpdir(), `tsbpf-bench-time-${process.pid}`);
  const hasTcpdump = spawnSync('bash', ['-c', 'command -v tcpdump'], { encoding: 'utf8' }).status === 0;
  const tcpdump: Measured[] = [];
  const tsbpf: { m: Measured; report: Report }[] = [];
  const pooled: { m: Measured; report: Report }[] = [];
  for (let i = 0; i < runs; i++) {
    if (hasTcpdump) {
      log(`tcpdump run ${i + 1}/${runs}`);
      tcpdump.push(timed(`%TIME% tcpdump -r ${file} -n 'port 23' > /dev/null 2>&1`, timeFile));
    }
    log(`tsbpf run ${i + 1}/${runs}`);
    const m = timed(`%TIME% node ${cli} run examples/xdp_firewall.o --pcap ${file} ${engine} --json`, timeFile);
    tsbpf.push({ m, report: JSON.parse(m.stdout) as Report });
    if (workers > 1) {
      log(`tsbpf --workers ${workers} run ${i + 1}/${runs}`);
      const w = timed(`%TIME% node ${cli} run examples/xdp_firewall.o --pcap ${file} ${engine} --json --workers ${workers}`, timeFile);
      pooled.push({ m: w, report: JSON.parse(w.stdout) as Report });
    }
  }
  let bigRun: { m: Measured; report: Report } | undefined;
  if (big) {
    log(`tsbpf on ${packets * 10} packets through stdin`);
    const gen = `node --import tsx ${join(root, 'bench/gen-capture.ts')} - --packets ${packets * 10} --seed 1`;
    const m = timed(`${gen} | %TIME% node ${cli} run examples/xdp_firewall.o --pcap - ${engine} --json`, timeFile);
    bigRun = { m, report: JSON.parse(m.stdout) as Report };
  }
  const cpu = tsbpf.map((t) => t.m.cpuSeconds);
  const best = tsbpf.reduce((a, b) => (a.m.cpuSeconds <= b.m.cpuSeconds ? a : b));
  const r = best.report;
  const out: string[] = [];
  out.push(`Capture: ${packets.toLocaleString('en-US')} packets (${(size / 1e6).toFixed(0)} MB, bench/gen-capture.ts seed 1), examples/xdp_firewall.o, ${engine === '' ? 'interpreter' : 'JIT'}, one worker; ${runs} runs each, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`);
  out.push('');
  out.push('| measure | tsbpf | tcpdump `port 23` |');
  out.push('| --- | ---: | ---: |');
  const td = tcpdump.map((t) => t.cpuSeconds);
  out.push(`| CPU time, whole process (median; min-max) | ${median(cpu).toFixed(2)} s (${Math.min(...cpu).toFixed(2)}-${Math.max(...cpu).toFixed(2)}) | ${td.length > 0 ? `${median(td).toFixed(2)} s (${Math.min(...td).toFixed(2)}-${Math.max(...td).toFixed(2)})` : 'not installed'} |`);
  out.push(`| CPU time per packet | ${((median(cpu) * 1e9) / packets).toFixed(0)} ns | ${td.length > 0 ? `${((median(td) * 1e9) / packets).toFixed(0)} ns` : '-'} |`);
  out.push(`| packets per CPU second, whole process | ${Math.round(packets / median(cpu)).toLocaleString('en-US')} | ${td.length > 0 ? Math.round(packets / median(td)).toLocaleString('en-US') : '-'} |`);
  out.push(`| packets per CPU second, run loop only (best run) | ${r.time.packetsPerCpuSecond.toLocaleString('en-US')} | - |`);
  out.push(`| peak RSS | ${(Math.max(...tsbpf.map((t) => t.m.maxRssKb)) / 1024).toFixed(0)} MB | ${tcpdump.length > 0 ? `${(Math.max(...tcpdump.map((t) => t.maxRssKb)) / 1024).toFixed(0)} MB` : '-'} |`);
  if (td.length > 0) out.push(`| tsbpf CPU / tcpdump CPU | ${(median(cpu) / median(td)).toFixed(2)}x | |`);
  out.push('');
  out.push(`Per packet in the best run (wall clock, from the report): steady state ${r.nsPerPacket} ns mean, ${r.medianNsPerPacket} ns median, ${r.time.p99NsPerPacket} ns p99; the first ${r.time.warmupPackets} packets (warm-up) ${r.time.warmupNsPerPacket} ns each${r.time.timedPackets !== undefined && r.time.timedPackets < r.packets - r.time.warmupPackets ? `; median, p99 and the histogram below estimated from ${r.time.timedPackets} steady-state packets timed at random intervals (the mean covers every packet)` : ''}. Verdicts: ${JSON.stringify(r.verdicts)}.`);
  out.push('');
  out.push('| steady-state time per packet | packets (estimated when sampled) |');
  out.push('| --- | ---: |');
  for (const b of r.time.histogram) if (b.packets > 0) out.push(`| < ${b.upToNs} ns | ${b.packets} (${((100 * b.packets) / (r.packets - r.time.warmupPackets)).toFixed(2)}%) |`);
  if (bigRun !== undefined) {
    out.push('');
    out.push(`${(packets * 10).toLocaleString('en-US')} packets generated on the fly and piped in (\`--pcap -\`): ${bigRun.report.packets.toLocaleString('en-US')} packets, CPU ${bigRun.m.cpuSeconds.toFixed(2)} s (${Math.round(bigRun.report.packets / bigRun.m.cpuSeconds).toLocaleString('en-US')} packets per CPU second), peak RSS ${(bigRun.m.maxRssKb / 1024).toFixed(0)} MB.`);
  }
  if (pooled.length > 0) {
    // Hash map entries come in insertion order, which depends on which worker ran first: compared sorted.
    const maps = (t: { report: Report }): string =>
      JSON.stringify(Object.values((t.report as unknown as { maps: Record<string, { name: string; entries: unknown[] }> }).maps).map((m) => [m.name, m.entries.map((e) => JSON.stringify(e)).sort()]));
    const same = pooled.every((p) => JSON.stringify(p.report.verdicts) === JSON.stringify(tsbpf[0]!.report.verdicts) && maps(p) === maps(tsbpf[0]!));
    const wall1 = median(tsbpf.map((t) => t.m.wallSeconds));
    const wallN = median(pooled.map((t) => t.m.wallSeconds));
    const cpuN = pooled.map((t) => t.m.cpuSeconds);
    out.push('');
    out.push(`| alternating runs (median) | --workers 1 | --workers ${workers} |`);
    out.push('| --- | ---: | ---: |');
    // The report's own clock: start-up (process start to the run loop) and the run loop (first read to last result), apart.
    const start1 = median(tsbpf.map((t) => t.report.time.startupSeconds));
    const startN = median(pooled.map((t) => t.report.time.startupSeconds));
    const loop1 = median(tsbpf.map((t) => t.report.time.loopSeconds));
    const loopN = median(pooled.map((t) => t.report.time.loopSeconds));
    out.push(`| wall time, whole run | ${wall1.toFixed(2)} s | ${wallN.toFixed(2)} s |`);
    out.push(`| CPU time, whole process | ${median(cpu).toFixed(2)} s | ${median(cpuN).toFixed(2)} s |`);
    out.push(`| packets per wall second, whole run | ${Math.round(packets / wall1).toLocaleString('en-US')} | ${Math.round(packets / wallN).toLocaleString('en-US')} (${(wall1 / wallN).toFixed(2)}x) |`);
    out.push(`| start-up: process start to the run loop (report's clock) | ${start1.toFixed(3)} s | ${startN.toFixed(3)} s |`);
    out.push(`| run loop: first read to last result (report's clock) | ${loop1.toFixed(3)} s | ${loopN.toFixed(3)} s |`);
    out.push(`| packets per second of the run loop alone (start-up apart) | ${Math.round(packets / loop1).toLocaleString('en-US')} | ${Math.round(packets / loopN).toLocaleString('en-US')} (${(loop1 / loopN).toFixed(2)}x) |`);
    out.push(`| peak RSS | ${(Math.max(...tsbpf.map((t) => t.m.maxRssKb)) / 1024).toFixed(0)} MB | ${(Math.max(...pooled.map((t) => t.m.maxRssKb)) / 1024).toFixed(0)} MB |`);
    out.push('');
    out.push(`Verdicts and map contents ${same ? 'identical' : 'DIFFERENT'} with ${workers} workers; load average at the end ${spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ')}.`);
    // What differed, per run: verdicts, and map entries only one side has.
    const entries = (t: { report: Report }): Map<string, string[]> =>
      new Map(Object.values((t.report as unknown as { maps: Record<string, { name: string; entries: unknown[] }> }).maps).map((m) => [m.name, m.entries.map((e) => JSON.stringify(e))]));
    const one = entries(tsbpf[0]!);
    pooled.forEach((p, i) => {
      const diff: string[] = [];
      if (JSON.stringify(p.report.verdicts) !== JSON.stringify(tsbpf[0]!.report.verdicts)) diff.push(`verdicts ${JSON.stringify(p.report.verdicts)}`);
      for (const [name, list] of entries(p)) {
        const mine = one.get(name) ?? [];
        const only = list.filter((e) => !mine.includes(e));
        const missing = mine.filter((e) => !list.includes(e));
        if (only.length + missing.length > 0) diff.push(`${name}: one worker ${missing.slice(0, 3).join(', ')}; ${workers} workers ${only.slice(0, 3).join(', ')}`);
      }
      if (diff.length > 0) out.push(`Run ${i + 1} with ${workers} workers differed: ${diff.join('; ')}.`);
    });
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
