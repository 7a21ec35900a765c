/**
 * The built `tsbpf` executable's launcher (cli/launch.ts) starts the pool worker threads a
 * `run ... --workers N` asks for before the command line loads (cli/pool-prespawn.ts), and the CLI's
 * pool takes them (cli/pool-node.ts): which arguments start how many, that the pool takes the threads
 * started ahead (errors they reported before included), and that the built executable gives one
 * worker's report with `--workers 2`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { prespawnPoolWorkers, takePrespawnedWorker, workersRequested } from '../../src/cli/pool-prespawn.js';
import { nodePoolWorker } from '../../src/cli/pool-node.js';
import { buildCli } from '../../scripts/build-cli.js';

const example = (f: string): string => new URL(`../../examples/${f}`, import.meta.url).pathname;

describe('pool threads started by the launcher', () => {
  it('starts N - 1 threads for run ... --workers N, none otherwise', () => {
    expect(workersRequested(['run', 'a.o', '--pcap', 'f', '--workers', '2'])).toBe(1);
    expect(workersRequested(['run', 'a.o', '--workers=4', '--pcap', 'f'])).toBe(3);
    expect(workersRequested(['run', 'a.o', '--workers', '3', '--workers', '2'])).toBe(1);
    expect(workersRequested(['run', 'a.o', '--workers', '64'])).toBe(63);
    for (const argv of [
      ['run', 'a.o', '--pcap', 'f'],
      ['run', 'a.o', '--workers', '1'],
      ['run', 'a.o', '--workers', '65'],
      ['run', 'a.o', '--workers', 'two'],
      ['run', 'a.o', '--workers'],
      ['run', 'a.o', '--', '--workers', '2'],
      ['verify', 'a.o', '--workers', '2'],
      [],
    ]) {
      expect(workersRequested(argv), argv.join(' ')).toBe(0);
    }
  });

  it('the pool takes the threads started ahead, and gets the errors they reported before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-prespawn-'));
    const echo = join(dir, 'echo.mjs');
    writeFileSync(echo, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (m) => parentPort.postMessage({ echo: m }));\n");
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, "throw new Error('no bundle here');\n");
    expect(prespawnPoolWorkers(['run', 'a.o', '--workers', '3'], pathToFileURL(echo))).toBe(2);
    const ports = [nodePoolWorker(), nodePoolWorker()];
    expect(takePrespawnedWorker()).toBeUndefined();
    const replies = await Promise.all(
      ports.map(
        (port, i) =>
          new Promise<unknown>((resolve) => {
            port.onMessage(resolve);
            port.postMessage(i);
          }),
      ),
    );
    expect(replies).toEqual([{ echo: 0 }, { echo: 1 }]);
    for (const p of ports) p.terminate();

    expect(prespawnPoolWorkers(['run', 'a.o', '--workers=2'], pathToFileURL(broken))).toBe(1);
    // Let it fail before the pool takes it: the error must still reach the pool.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const port = nodePoolWorker();
    const error = await new Promise<unknown>((resolve) => port.onError(resolve));
    expect(String(error)).toMatch(/no bundle here/);
    port.terminate();
  }, 30_000);

  it('the built executable runs --workers 2 through the threads it started: one worker\'s verdicts, maps and trace lines', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tsbpf-launch-')), 'tsbpf.js');
    await buildCli(out);
    const run = (workers: string): string => {
      const r = spawnSync(process.execPath, [out, 'run', example('xdp_firewall.o'), '--pcap', example('traffic.pcap'), '--jit', '--workers', workers], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // Everything but the timing lines.
      return r.stdout.replace(/^(time|cpu|latency|  \(median).*\n/gm, '');
    };
    const one = run('1');
    expect(one).toMatch(/XDP_DROP +3\n/);
    expect(run('2')).toBe(one);
  }, 60_000);
});
