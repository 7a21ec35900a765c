/**
 * The playground as a user meets it: built by scripts/build-web.ts, served by `tsbpf playground`'s
 * static server, driven in headless Chromium with playwright-core (load the example object, run the
 * example capture on the JIT, set a breakpoint, step, continue; open a damaged file). What the page
 * shows is compared with the model's results in Node. Skips, with a warning, without Chromium.
 * `TSBPF_SCREENSHOT=1` also refreshes docs/playground.png.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../scripts/build-web.js';
import { resolveInside, serveStatic, type StaticServer } from '../../src/cli/static-server.js';
import { readPackets } from '../../src/pcap/index.js';
import { Workspace } from '../../web/model.js';
import { findChromium } from '../browser/harness.js';

const root = join(import.meta.dirname, '..', '..');
const browserPath = findChromium();
if (browserPath === undefined) {
  console.warn('playground browser test SKIPPED: no Chromium at /usr/bin/chromium (apt-get install -y chromium, or set CHROMIUM)');
}

const out = mkdtempSync(join(tmpdir(), 'tsbpf-web-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the playground build and its server', () => {
  beforeAll(async () => {
    await buildWeb(out);
  }, 60_000);

  it('refuses every path outside the served folder', () => {
    writeFileSync(join(out, 'secret-neighbour'), 'x');
    expect(resolveInside(out, '/')).toBe(join(out, 'index.html'));
    expect(resolveInside(out, '/playground.js?v=1')).toBe(join(out, 'playground.js'));
    for (const bad of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/a/../../x', '/index.html%00', '/%E0%A4%A', '/..\\..\\x', '/nope.js']) {
      expect(resolveInside(out, bad), bad).toBeUndefined();
    }
  });

  it('tsbpf playground serves the page until it is stopped', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'playground', '--port', '0', '--dir', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (c: Buffer) => {
          text += c.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
          if (m !== null) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${text}`)));
        setTimeout(() => reject(new Error(`no URL printed: ${text}`)), 30_000);
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/tsbpf playground/);
      expect((await fetch(`${url}%2e%2e/%2e%2e/package.json`)).status).toBe(404);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    } finally {
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);

  it('tsbpf playground without a build says how to make one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tsbpf-web-empty-'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'playground', '--dir', empty], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    rmSync(empty, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(err).toMatch(/npm run build:web/);
    expect(err).not.toMatch(/\n\s+at /); // no stack trace
  }, 30_000);
});

describe.skipIf(browserPath === undefined)('the playground in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let served: StaticServer;
  const pageErrors: string[] = [];
  const firewall = new Uint8Array(readFileSync(join(root, 'examples', 'xdp_firewall.o')));
  const packets = readPackets(new Uint8Array(readFileSync(join(root, 'examples', 'traffic.pcap')))).map((p) => p.data);

  beforeAll(async () => {
    await buildWeb(out);
    served = await serveStatic(out, '127.0.0.1', 0);
    browser = await chromium.launch({ executablePath: browserPath!, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('starts with the assembly example assembled, and runs it on the packet hex', async () => {
    expect(await page.textContent('#load-status')).toMatch(/assembled: 1 program/);
    await page.click('#run');
    await expect.poll(() => page.textContent('#result')).toMatch(/verdict = 4\s+r0 = 0x4/);
  });

  it('loads the example object: programs, C source lines, the verifier verdict', async () => {
    await page.click('#load-example');
    expect(await page.textContent('#load-status')).toMatch(/xdp_firewall\.o: 1 program/);
    expect(await page.textContent('#verifier-summary')).toMatch(/xdp_firewall: accepted \(kernel-level analysis as xdp/);
    expect(await page.locator('#listing .src').count()).toBeGreaterThan(5);
    expect(await page.locator('#listing .line').count()).toBe(Workspace.fromObject(firewall).programs[0]!.listing.length);
    expect(await page.locator('#packet-select option').count()).toBe(packets.length);
  });

  it('runs the example capture on the JIT with the verdict counts the model gives', async () => {
    const expected = await Workspace.fromObject(firewall).runCapture('xdp_firewall', packets, { jit: false, budget: 1_000_000 });
    await page.check('input[name=engine][value=jit]');
    await page.click('#run-capture');
    await page.waitForSelector('#verdict-table');
    const rows = await page.$$eval('#verdict-table tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.children, (td) => td.textContent)));
    expect(new Map(rows.map(([v, n]) => [v, Number(n)]))).toEqual(expected.verdicts);
    expect(await page.textContent('#result')).toMatch(new RegExp(`${packets.length} packets in .* ms \\(JIT\\)`));
    expect(await page.textContent('#trace-output')).toMatch(/drop port 23/);
    expect(await page.locator('#maps table').count()).toBeGreaterThan(0);
  });

  it('steps through a run: a breakpoint, step, continue to the verdict', async () => {
    const model = Workspace.fromObject(firewall);
    const dropped = await Promise.all(packets.map((p) => model.run('xdp_firewall', p, { jit: false, budget: 1_000_000 })));
    const n = dropped.findIndex((r) => r.verdict === 'XDP_DROP');
    await page.selectOption('#packet-select', String(n));
    const rec = model.record('xdp_firewall', packets[n]!, { budget: 1_000_000 });
    // A breakpoint on the bpf_trace_printk call, which only the dropping path reaches.
    const call = model.programs[0]!.listing.find((l) => /bpf_trace_printk/.test(l.text))!;
    await page.click(`#listing .line[data-pc="${call.pc}"]`);
    expect(await page.locator(`#listing .line[data-pc="${call.pc}"] .bp`).count()).toBe(1);
    await page.click('#debug');
    const before = rec.steps.findIndex((s) => s.pc === call.pc);
    await expect.poll(() => page.textContent('#debug-status')).toBe(`step ${before} of ${rec.steps.length}: next pc ${call.pc}`);
    expect(await page.locator('#listing .line.current').getAttribute('data-pc')).toBe(String(call.pc));
    const regs = await page.$$eval('#registers tr', (trs) => trs.map((tr) => Array.from(tr.children, (c) => c.textContent)));
    expect(regs.map((r) => r[1])).toEqual(rec.steps[before - 1]!.registers.map((v) => `0x${v.toString(16)}`));
    await page.click('#step');
    expect(await page.textContent('#debug-status')).toMatch(new RegExp(`^step ${before + 1} of`));
    expect(await page.textContent('#stack')).toMatch(/r10-/);
    await page.click('#step-back');
    expect(await page.textContent('#debug-status')).toMatch(new RegExp(`^step ${before} of`));
    await page.click('#continue');
    await page.click('#continue');
    expect(await page.textContent('#debug-status')).toBe(`finished after ${rec.steps.length} instructions: verdict = XDP_DROP, r0 = 0x1`);
    if (process.env['TSBPF_SCREENSHOT'] === '1') {
      await page.click('#step-back');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(root, 'docs', 'playground.png'), fullPage: true });
    }
  });

  it('reports a damaged object as an error and keeps hostile names as text', async () => {
    await page.setInputFiles('#file-input', { name: '<img src=x onerror="window.pwned=1">.o', mimeType: 'application/octet-stream', buffer: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]) });
    await expect.poll(() => page.textContent('#load-status')).toMatch(/E_ELF/);
    expect(await page.textContent('#load-status')).toMatch(/<img src=x/);
    expect(await page.locator('#load-status img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await page.setInputFiles('#pcap-input', { name: 'cut.pcap', mimeType: 'application/octet-stream', buffer: Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0]) });
    await expect.poll(() => page.textContent('#result')).toMatch(/E_PCAP/);
    expect(pageErrors).toEqual([]);
  });
});
