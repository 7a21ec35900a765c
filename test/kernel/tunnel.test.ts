/** bpf_skb_set_tunnel_key / get_tunnel_key (fixture tc_meta.c) in the kernel and in tsbpf: results and the key get fills. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { load } from '../elf/fixtures.js';
import { TUNNEL_CASES, tunnelPacket, tunnelResult } from '../elf/tunnel-cases.js';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/tc_meta.o', import.meta.url));
const k = kernelOracle();
if (typeof k === 'string') skipNote(k);

describe.skipIf(typeof k === 'string')('tunnel keys against the kernel', () => {
  it('gives the kernel results and key bytes for every request, on both engines', () => {
    if (typeof k === 'string') return;
    const requests: KernelRequest[] = [{ op: 'obj', path: O, program: 'tunnel_key' }, ...TUNNEL_CASES.map((c): KernelRequest => ({ op: 'run', prog: { ref: 0 }, data: tunnelPacket(c) }))];
    const out = k.exec(requests);
    const kernel = out.slice(1).map((r, i) => `${TUNNEL_CASES[i]!.name}: ${r.kind === 'run' ? tunnelResult(r.data) : JSON.stringify(r)}`);
    const prog = load('tc_meta').program('tunnel_key');
    for (const jit of [false, true]) {
      const ours = TUNNEL_CASES.map((c) => {
        let pkt: Uint8Array = new Uint8Array(0);
        prog.runTc(tunnelPacket(c), { jit, inspect: (_s, p) => (pkt = p) });
        return `${c.name}: ${tunnelResult(pkt)}`;
      });
      expect(ours).toEqual(kernel);
    }
  });
});
