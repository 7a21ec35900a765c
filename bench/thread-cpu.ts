/**
 * CPU time per thread of a command (Linux): runs it, samples `/proc/PID/task/<tid>/stat` every 5 ms
 * (utime + stime, in clock ticks of 10 ms) and prints one JSON line: the main thread's CPU, the busiest
 * other thread's (with `--workers 2`, the pool's worker), the rest together (V8's and libuv's helper
 * threads), the whole process, wall time, and the command's own JSON report's `time` when it printed one.
 * A thread's last ticks before it exits between two samples are lost (under 10 ms).
 *
 *   npx tsx bench/thread-cpu.ts -- node dist/cli.js run examples/xdp_firewall.o --pcap F --jit --json --workers 2
 * @module
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICK_SECONDS = 0.01;

/** utime + stime of each thread of `pid` now (ticks), by thread id. */
function sample(pid: number, into: Map<number, number>): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      into.set(Number(tid), Number(f[11]) + Number(f[12]));
    } catch {
      // The thread ended: its last sample stays.
    }
  }
}

function main(): void {
  const at = process.argv.indexOf('--');
  const argv = at < 0 ? process.argv.slice(2) : process.argv.slice(at + 1);
  if (argv.length === 0) throw new Error('usage: thread-cpu.ts -- COMMAND ARGS...');
  const t0 = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const ticks = new Map<number, number>();
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setInterval(() => sample(child.pid!, ticks), 5);
  child.on('exit', (code) => {
    clearInterval(timer);
    const wall = (performance.now() - t0) / 1000;
    const pid = child.pid!;
    const main = (ticks.get(pid) ?? 0) * TICK_SECONDS;
    const others = [...ticks].filter(([tid]) => tid !== pid).map(([, t]) => t * TICK_SECONDS).sort((a, b) => b - a);
    const busiest = others[0] ?? 0;
    const rest = others.slice(1).reduce((a, b) => a + b, 0);
    let time: unknown;
    try {
      time = (JSON.parse(out) as { time?: unknown }).time;
    } catch {
      time = undefined;
    }
    const r = (x: number): number => Math.round(x * 1000) / 1000;
    process.stdout.write(`${JSON.stringify({ code, wall: r(wall), main: r(main), busiest: r(busiest), rest: r(rest), total: r(main + busiest + rest), threads: ticks.size, time })}\n`);
  });
}

main();
