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

  it('runs programs whose section names say nothing with --type sk_msg / --type sk_skb (untyped_sk.o)', async () => {
    const OTHER = new URL('../fixtures/elf/untyped_sk.o', import.meta.url).pathname;
    const f = files({ events: [{ socket: 0, data: { hex: '61626364' } }, { socket: 1, data: { hex: '6162636465' } }] });
    for (const jit of [[], ['--jit']]) {
      const msg = await cli(['run', OTHER, '--program', 'msg_len', '--type', 'sk_msg', '--sockets', f.sockets, '--event', f.events, ...jit]);
      expect(msg.err).toBe('');
      expect(msg.out).toContain(`program msg_len (msg_prog) (sk_msg) on ${f.events}: 2 runs\nrun 1 on socket 0: r0 = 0, SK_DROP, data 61626364\nrun 2 on socket 1: r0 = 1, SK_PASS, data 6162636465\n`);
      const skb = JSON.parse((await cli(['run', OTHER, '--program', 'skb_len', '--type', 'sk_skb', '--sockets', f.sockets, '--event', f.events, '--json', ...jit])).out);
      expect(skb.type).toBe('sk_skb');
      expect(skb.runs.map((r: { r0: string }) => r.r0)).toEqual(['4', '5']);
    }
    // without --type the sections say nothing: the programs are raw, and the event file is not one
    const raw = await cli(['run', OTHER, '--program', 'msg_len', '--sockets', f.sockets, '--event', f.events]);
    expect(raw.code).toBe(2);
    expect(raw.err).toMatch(/^tsbpf run: --event /);
  });

  it('fills a SOCKMAP and a SOCKHASH from --map files (values: socket indexes in --sockets), and --save-maps keeps them', async () => {
    const f = files({ events: [{ socket: 0, data: { hex: '0003020304' } }, { socket: 0, data: { hex: '0080020304' } }, { socket: 1, data: { hex: '0080020304' } }] });
    const dir = tempFiles({
      'by_index.json': JSON.stringify({ 3: 1 }),
      // socket 0's peer, 10.0.0.1:5000, as sk_msg_md holds it (remote_port: network order, in the upper 16 bits)
      'by_peer.json': JSON.stringify([{ key: { ip4: 0x0100000a, port: 0x88130000 }, value: 1 }]),
    });
    const state = join(dir, 'state.json');
    const args = ['run', OBJ, '--program', 'msg_redirect', '--sockets', f.sockets, '--event', f.events];
    const r = await cli([...args, '--map', `by_index=${join(dir, 'by_index.json')}`, '--map', `by_peer=${join(dir, 'by_peer.json')}`, '--save-maps', state]);
    expect(r.err).toBe('');
    expect(r.out).toContain('run 1 on socket 0: r0 = 1, SK_PASS, redirected to socket 1 by bpf_msg_redirect_map (by_index, key 03000000)');
    expect(r.out).toMatch(/run 2 on socket 0: r0 = 1, SK_PASS, redirected to socket 1 \(ingress\) by bpf_msg_redirect_hash/);
    expect(r.out).toContain('run 3 on socket 1: r0 = 0, SK_DROP'); // socket 1's peer is in no map
    // restored from the saved state: the same redirects
    const again = await cli([...args, '--map', state, '--json']);
    expect(JSON.parse(again.out).runs.map((x: { verdict: string }) => x.verdict)).toEqual(['SK_PASS', 'SK_PASS', 'SK_DROP']);
    const bad = await cli([...args, '--map', `by_index=${join(tempFiles({ 'b.json': JSON.stringify({ 3: 7 }) }), 'b.json')}`]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/by_index|socket/);
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
