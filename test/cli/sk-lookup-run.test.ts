/**
 * `tsbpf run OBJ.o --sockets S.json --map redir=R.json --event LOOKUPS.json` for an sk_lookup program
 * (test/fixtures/elf/sk_lookup_run.o): each lookup's verdict and the socket bpf_sk_assign selected, text
 * and --json, both engines; a missing --event and a hostile lookup are usage errors.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempFiles } from './helpers.js';

const OBJ = new URL('../fixtures/elf/sk_lookup_run.o', import.meta.url).pathname;

function files(events: unknown): { sockets: string; redir: string; events: string } {
  const dir = tempFiles({
    'sockets.json': JSON.stringify([{ protocol: 'tcp', local: '0.0.0.0:8081' }, { protocol: 'udp', local: '0.0.0.0:53' }]),
    'redir.json': '{"1": 0, "2": 1}',
    'events.json': typeof events === 'string' ? events : JSON.stringify(events),
  });
  return { sockets: join(dir, 'sockets.json'), redir: join(dir, 'redir.json'), events: join(dir, 'events.json') };
}

const LOOKUPS = [
  { protocol: 'tcp', remote: '192.0.2.1:40000', local: '198.51.100.1:9' },
  { protocol: 'tcp', remote: '192.0.2.1:40000', local: '198.51.100.1:10' },
  { protocol: 'tcp', remote: '192.0.2.1:40000', local: '198.51.100.1:7' },
  { protocol: 'tcp', remote: '192.0.2.1:40000', local: '198.51.100.1:8', ingressIfindex: 3 },
];

describe('tsbpf run an sk_lookup program', () => {
  it('runs each lookup and reports the verdict and the selected socket', async () => {
    const f = files({ events: LOOKUPS });
    for (const jit of [[], ['--jit']]) {
      const r = await cli(['run', OBJ, '--program', 'select_by_port', '--sockets', f.sockets, '--map', `redir=${f.redir}`, '--event', f.events, ...jit]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out.split('maps:')[0]).toBe(
        `program select_by_port (sk_lookup) (sk_lookup) on ${f.events}: 4 runs\n` +
          'run 1 (tcp 192.0.2.1:40000 -> 198.51.100.1:9): r0 = 1, SK_PASS, selected socket 0\n' +
          // key 2 holds a UDP socket: bpf_sk_assign refuses it for a TCP lookup (-EPROTOTYPE), the program drops
          'run 2 (tcp 192.0.2.1:40000 -> 198.51.100.1:10): r0 = 0, SK_DROP, no socket selected\n' +
          'run 3 (tcp 192.0.2.1:40000 -> 198.51.100.1:7): r0 = 0, SK_DROP, no socket selected\n' +
          'run 4 (tcp 192.0.2.1:40000 -> 198.51.100.1:8 on ifindex 3): r0 = 1, SK_PASS, no socket selected\n',
      );
    }
    const j = JSON.parse((await cli(['run', OBJ, '--program', 'select_by_port', '--sockets', f.sockets, '--map', `redir=${f.redir}`, '--event', f.events, '--json'])).out);
    expect(j.type).toBe('sk_lookup');
    expect(j.runs[0]).toEqual({ lookup: LOOKUPS[0], socket: 0, r0: '1', verdict: 'SK_PASS' });
    expect(j.runs[1]).toEqual({ lookup: LOOKUPS[1], r0: '0', verdict: 'SK_DROP' });
  });

  it('refuses a missing --event and hostile lookups with usage errors', async () => {
    const f = files(LOOKUPS[0]);
    const none = await cli(['run', OBJ, '--program', 'tuple_filter', '--sockets', f.sockets]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/is an sk_lookup program: give its lookups with --event/);
    for (const [doc, message] of [
      [{ ...LOOKUPS[0], socket: 0 }, /unknown field 'socket'/],
      [{ protocol: 'icmp', remote: '1.2.3.4:1', local: '1.2.3.4:2' }, /events\[0\]: lookup.protocol/],
      [{ protocol: 'tcp', remote: '1.2.3.4:1', local: '[::1]:2' }, /one family/],
      [{ protocol: 'tcp', remote: '1.2.3.4:99999', local: '1.2.3.4:2' }, /ADDRESS:PORT/],
    ] as const) {
      const g = files(doc);
      const r = await cli(['run', OBJ, '--program', 'tuple_filter', '--sockets', g.sockets, '--event', g.events]);
      expect(r.code, JSON.stringify(doc)).toBe(2);
      expect(r.err).toMatch(message);
    }
  });
});
