/**
 * The package as a user gets it: `npm pack`, then the tarball installed (offline: it has no
 * dependencies) into a fresh project, loaded from ESM, CommonJS (.cjs) and TypeScript CommonJS (.cts), its command run on the examples
 * it ships, its source maps checked. Slow (a build and an install): about 30 s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

describe('the npm tarball in a fresh project', () => {
  it('imports from ESM and requires from CommonJS, ships the examples, and its source maps carry their sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-pack-'));
    const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], root)) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    for (const f of ['dist/index.js', 'dist/cli/main.js', 'dist/cli/tsbpf.js', 'examples/xdp_firewall.o', 'examples/traffic.pcap', 'README.md', 'LICENSE']) expect(files).toContain(f);
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
    const project = join(dir, 'project');
    execFileSync('mkdir', [project]);
    writeFileSync(join(project, 'package.json'), '{"name": "p", "version": "1.0.0", "private": true}\n');
    npm(['install', '--offline', '--no-audit', '--no-fund', join(dir, packed[0]!.filename)], project);
    // Installing it runs nothing in the consumer's tree (the build is `prepack`, not `prepare`).
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/tsbpf/package.json'), 'utf8')) as { scripts?: Record<string, string> };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(installed.scripts?.[hook], hook).toBeUndefined();
    writeFileSync(join(project, 'a.cjs'), "const t = require('tsbpf');\nconsole.log(typeof t.EbpfVmRaw, typeof t.loadObject);\n");
    writeFileSync(join(project, 'b.mjs'), "import { EbpfVmRaw, assemble } from 'tsbpf';\nconsole.log(new EbpfVmRaw(assemble('mov r0, 7\\nexit')).executeProgram(new Uint8Array(0)));\n");
    const cjs = spawnSync(process.execPath, ['a.cjs'], { cwd: project, encoding: 'utf8' });
    expect(cjs.stderr).toBe('');
    expect(cjs.stdout).toBe('function function\n');
    expect(spawnSync(process.execPath, ['b.mjs'], { cwd: project, encoding: 'utf8' }).stdout).toBe('7n\n');
    // TypeScript CommonJS (.cts): `import x = require('tsbpf')` and a subpath type-check against the shipped
    // declarations (the `types` condition) and the compiled .cjs runs.
    writeFileSync(
      join(project, 'c.cts'),
      "import tsbpf = require('tsbpf');\nimport isa = require('tsbpf/isa');\nconst vm: tsbpf.EbpfVmRaw = new tsbpf.EbpfVmRaw(tsbpf.assemble('mov r0, 7\\nexit'));\nconsole.log(vm.executeProgram(new Uint8Array(0)), isa.decodeProgram(tsbpf.assemble('exit')).length);\n",
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', '--skipLibCheck', '--strict', 'c.cts'], { cwd: project, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    const cts = spawnSync(process.execPath, ['c.cjs'], { cwd: project, encoding: 'utf8' });
    expect(cts.stderr).toBe('');
    expect(cts.stdout).toBe('7n 1\n');
    const bin = spawnSync(join(project, 'node_modules/.bin/tsbpf'), ['run', 'node_modules/tsbpf/examples/xdp_firewall.o', '--pcap', 'node_modules/tsbpf/examples/traffic.pcap'], { cwd: project, encoding: 'utf8' });
    expect(bin.stdout).toMatch(/^program xdp_firewall \(xdp\) on node_modules\/tsbpf\/examples\/traffic\.pcap\npackets: 12\n/);
    // Every source map resolves: the sources it names are inlined (src/ is not shipped).
    const dist = join(project, 'node_modules/tsbpf/dist');
    const maps = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(dist, m), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length, m).toBe(map.sources.length);
      expect(map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0), m).toBe(true);
    }
  }, 240_000);
});
