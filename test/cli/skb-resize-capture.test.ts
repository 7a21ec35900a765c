/** The capture runner writes packets as the tc program left them, resized (bpf_skb_change_tail). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackets } from '../../src/pcap/index.js';
import { exampleTraffic } from '../../scripts/gen-example-captures.js';
import { cli, tempFiles } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;

describe('tsbpf run --pcap with a program that resizes packets', () => {
  for (const jit of [false, true]) {
    it(`--out holds each packet 16 zero bytes longer (${jit ? 'JIT' : 'interpreter'})`, async () => {
      // --verify warn: skb_stale.o's regrow writes through a packet range the kernel does not see proved (it refuses it at load)
      const out = join(tempFiles({}), 'grown.pcap');
      const args = ['run', `${root}test/fixtures/elf/skb_stale.o`, '--program', 'regrow', '--pcap', `${root}examples/traffic.pcap`, '--out', out, '--json', '-v', '--verify', 'warn'];
      const r = JSON.parse((await cli(jit ? [...args, '--jit'] : args)).out);
      const traffic = exampleTraffic();
      // regrow returns 0 (TC_ACT_OK) when the regrown bytes read zero.
      expect(r.verdicts).toEqual({ TC_ACT_OK: traffic.length });
      const written = readPackets(new Uint8Array(readFileSync(out)));
      expect(written.map((p) => [...p.data])).toEqual(traffic.map((p) => [...p.data, ...new Array<number>(16).fill(0)]));
    });
  }
});
