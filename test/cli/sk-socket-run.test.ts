/**
 * `tsbpf run OBJ.o --sockets S.json --event DATA.json` for sk_msg and sk_skb programs
 * (test/fixtures/elf/sk_msg_skb.o): each run's verdict, apply / cork counts and data as left, text and
 * --json, both engines; hostile files (usage errors naming --event and the field).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempFiles } from './helpers.js';

const OBJ = new URL('../fixtures/elf/sk_msg_skb.o', import.meta.url).pathname;

function files(events: unknown): { sockets: string; events: string } {
  const dir = tempFiles({
    'sockets.json': JSON.stringify([{ protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:5000' }, { protocol: 'tcp', local: '10.0.0.2:81', remote: '10.0.0.7:5001' }]),
    'events.json': typeof events === 'string' ? events : JSON.stringify(events),
  });
  return { sockets: join(dir, 'sockets.json'), events: join(dir, 'events.json') };
}

describe('tsbpf run an sk_msg or sk_skb program', () => {
  it('runs each message of an sk_msg program and reports verdicts, counts and the message as left', async () => {
    const f = files({ events: [{ socket: 0, data: { hex: '6162' } }, { socket: 1, data: { hex: '5003636445464748' } }, { socket: 1, chunks: [{ hex: '70' }, { hex: '80636445' }] }] });
    for (const jit of [[], ['--jit']]) {
      const r = await cli(['run', OBJ, '--program', 'msg_redirect', '--sockets', f.sockets, '--event', f.events, ...jit]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out.split('maps:')[0]).toBe(
        `program msg_redirect (sk_msg) (sk_msg) on ${f.events}: 3 runs\n` +
          'run 1 on socket 0: r0 = 1, SK_PASS, cork 4 bytes, data 6162\n' +
          // the socket maps are empty: the redirects find no socket
          'run 2 on socket 1: r0 = 0, SK_DROP, apply 8 bytes, data 500363640000000045464748\n' +
          'run 3 on socket 1: r0 = 0, SK_DROP, apply 5 bytes, data 45\n',
      );
    }
  });

  it('runs sk_skb parsers and verdicts, --json', async () => {
    const f = files({ events: [{ socket: 0, data: { hex: '060909' } }, { socket: 1, data: { hex: '' } }] });
    const parse = JSON.parse((await cli(['run', OBJ, '--program', 'skb_parse', '--sockets', f.sockets, '--event', f.events, '--json'])).out);
    expect(parse.type).toBe('sk_skb');
    expect(parse.runs.map((r: { r0: string }) => r.r0)).toEqual(['3', '0']);
    const verdict = JSON.parse((await cli(['run', OBJ, '--program', 'skb_redirect', '--sockets', f.sockets, '--event', f.events, '--json', '--jit'])).out);
    expect(verdict.runs).toEqual([{ socket: 0, r0: '0', verdict: 'SK_DROP', data: '060909' }, { socket: 1, r0: '0', verdict: 'SK_DROP', data: '' }]);
  });

  it('refuses missing and hostile event files with usage errors', async () => {
    const f = files({ socket: 0, data: { hex: '00' } });
    const none = await cli(['run', OBJ, '--program', 'msg_redirect', '--sockets', f.sockets]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/is an sk_msg program: give its data with --event/);
    for (const [doc, message] of [
      [{ socket: 0, data: { hex: '00' }, op: 1 }, /unknown field 'op'/],
      [{ socket: 0 }, /needs one of data and chunks/],
      [{ socket: 0, data: '00' }, /data must be \{ "hex": "..." \}/],
      [{ socket: 5, data: { hex: '00' } }, /events\[0\]: options.socket/],
      [{ socket: 0, chunks: Array.from({ length: 18 }, () => ({ hex: '00' })) }, /at most 17 chunks/],
      ['{', /not JSON/],
    ] as const) {
      const g = files(doc);
      const r = await cli(['run', OBJ, '--program', 'msg_redirect', '--sockets', g.sockets, '--event', g.events]);
      expect(r.code, JSON.stringify(doc)).toBe(2);
      expect(r.err).toMatch(message);
    }
    const skb = files({ socket: 0, chunks: [{ hex: '00' }] });
    const r = await cli(['run', OBJ, '--program', 'skb_parse', '--sockets', skb.sockets, '--event', skb.events]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown field 'chunks' \(an sk_skb run has socket, data\)/);
  });
});
