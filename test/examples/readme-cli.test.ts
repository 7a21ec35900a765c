import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli, tempFiles } from '../cli/helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

// The README's single-run and map-state session, run as written (state.json in a temp dir, shown as written).
describe('README: one packet and map state between runs', () => {
  it('prints what the README shows', () => {
    const pkt = readme.match(/\$ npx tsbpf run examples\/xdp_firewall\.o --packet-hex "([0-9a-f ]+)"/)![1]!;
    const single = spawnCli(['run', 'examples/xdp_firewall.o', '--packet-hex', pkt]);
    expect(single.code).toBe(0);
    expect(readme).toContain(`--packet-hex "${pkt}"\n${single.out}$ `);
    const dir = tempFiles({});
    const state = join(dir, 'state.json');
    const shown = (text: string): string => text.split(state).join('state.json');
    const save = spawnCli(['run', 'examples/xdp_firewall.o', '--pcap', 'examples/traffic.pcap', '--save-maps', state]);
    expect(readme).toContain(`--save-maps state.json\n...\n${shown(save.out.split('\n').slice(-2).join('\n'))}$ `);
    const lookup = spawnCli(['map', 'lookup', 'examples/xdp_firewall.o', 'proto_stats', '6', '--state', state]);
    expect(readme).toContain(`proto_stats 6 --state state.json\n${lookup.out}$ `);
    const update = spawnCli(['map', 'update', 'examples/xdp_firewall.o', 'proto_stats', '6', '{"packets": 0, "bytes": 0}', '--state', state]);
    expect(readme).toContain(`'{"packets": 0, "bytes": 0}' --state state.json\n${shown(update.out)}$ `);
    const again = spawnCli(['run', 'examples/xdp_firewall.o', '--pcap', 'examples/traffic.pcap', '--map', state]);
    expect(again.out).toContain('    6: { packets: 5, bytes: 270 }\n');
  });
});
