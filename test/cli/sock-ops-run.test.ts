/**
 * `tsbpf run OBJ.o --sockets S.json --event EVENTS.json`: a sock_ops program (test/fixtures/elf/sock_ops.o,
 * the kernel's samples/bpf tcp_cong_kern.o) on a list of socket events from the CLI, text and --json, and
 * hostile event files (usage errors naming --event and the field).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempFiles } from './helpers.js';

const fx = (name: string): string => new URL(`../fixtures/elf/${name}`, import.meta.url).pathname;
const CONG = new URL('../corpus/ebpf-samples/linux/tcp_cong_kern.o', import.meta.url).pathname;

function files(events: unknown): { sockets: string; events: string } {
  const dir = tempFiles({
    'sockets.json': JSON.stringify([{ protocol: 'tcp', local: '10.0.0.2:80', remote: '10.0.0.1:55601' }, { protocol: 'tcp', local: '[fd00::2]:55601', remote: '[fd00::1]:4000' }]),
    'events.json': typeof events === 'string' ? events : JSON.stringify(events),
  });
  return { sockets: join(dir, 'sockets.json'), events: join(dir, 'events.json') };
}

describe('tsbpf run a sock_ops program', () => {
  it('runs each event, keeps what the program set on the socket, and reports it', async () => {
    const f = files({ events: [{ op: 'timeout_init', socket: 0, args: [0, 300, 7] }, { op: 'tcp_connect_cb', socket: 0 }, { op: 'rtt_cb', socket: 0, args: [8] }] });
    for (const jit of [[], ['--jit']]) {
      const r = await cli(['run', fx('sock_ops.o'), '--sockets', f.sockets, '--event', f.events, ...jit]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const head = r.out.split('maps:')[0]!;
      expect(head).toBe(
        `program sock_ops_probe (sockops) (sockops) on ${f.events}: 3 events\n` +
          'event 1: op timeout_init on socket 0: r0 = 1, reply = 300\n' +
          'event 2: op tcp_connect_cb on socket 0: r0 = 0, reply = 0\n' +
          'event 3: op rtt_cb on socket 0: r0 = 0, reply = 8\n' +
          'socket 0: callback flags 0x8, txhash 0x7, options SO_SNDBUF=4608, SO_RCVBUF=425984, SO_MARK=77, TCP_NODELAY=1, TCP_KEEPCNT=50, TCP_BPF_IW=40, IP_TOS=184, TCP_CONGESTION=reno\n',
      );
      expect(r.out).toContain('per_socket (sk_storage');
    }
  });

  it('--cgroup attaches the program to a cgroup: bpf_get_local_storage gives that cgroup\'s storage', async () => {
    const f = files({ events: [{ op: 'tcp_connect_cb', socket: 0 }, { op: 'rtt_cb', socket: 0 }] });
    const doc = JSON.parse((await cli(['run', fx('cgroup_storage.o'), '--program', 'count_sockops', '--sockets', f.sockets, '--event', f.events, '--cgroup', '0x4d', '--json'])).out);
    const counts = doc.maps.find((m: { name: string }) => m.name === 'counts');
    expect(counts.entries).toEqual([{ key: { cgroup_inode_id: 77, attach_type: 3 }, value: { runs: 2, total: 15 } }]);
    expect(doc.maps.find((m: { name: string }) => m.name === 'hits').entries).toEqual([{ key: 77, value: [2] }]);
    const negative = await cli(['run', fx('cgroup_storage.o'), '--program', 'count_sockops', '--sockets', f.sockets, '--event', f.events, '--cgroup', '-1']);
    expect(negative.code).toBe(2);
    expect(negative.err).toMatch(/--cgroup must be an integer from 0 to 2\^64 - 1/);
    const tc = await cli(['run', fx('cgroup_array.o'), '--program', 'under', '--packet-hex', '00'.repeat(16), '--cgroup', '5']);
    expect(tc.code).toBe(2);
    expect(tc.err).toMatch(/--cgroup applies to programs attached to a cgroup \(cgroup_skb, sock_ops\); under \(tc\) is a tc program/);
  });

  it('--save-maps keeps cgroup storage, and --map puts it back (an entry is an attachment)', async () => {
    const frame = `${'00'.repeat(12)}0800 45${'00'.repeat(49)}`;
    const state = join(tempFiles({}), 'state.json');
    const first = await cli(['run', fx('cgroup_storage.o'), '--program', 'count_egress', '--packet-hex', frame, '--cgroup', '9', '--save-maps', state]);
    expect(first.code).toBe(0);
    const second = await cli(['run', fx('cgroup_storage.o'), '--program', 'count_egress', '--packet-hex', frame, '--cgroup', '9', '--map', state, '--json']);
    expect(second.err).toBe('');
    const doc = JSON.parse(second.out);
    expect(doc.verdict).toBe('dropped (0)'); // the restored count makes it the second run there
    expect(doc.maps.find((m: { name: string }) => m.name === 'counts').entries).toEqual([{ key: { cgroup_inode_id: 9, attach_type: 1 }, value: { runs: 2, total: 100 } }]);
    // per-CPU maps are not saved (as for per-CPU hashes): hits starts again
    expect(doc.maps.find((m: { name: string }) => m.name === 'hits').entries).toEqual([{ key: 9, value: [1] }]);
  });

  it('runs a cgroup_skb program on a frame (--packet-hex) or a capture, attached to --cgroup', async () => {
    const frame = `${'00'.repeat(12)}0800 45${'00'.repeat(49)}`;
    const r = await cli(['run', fx('cgroup_storage.o'), '--program', 'count_egress', '--packet-hex', frame, '--cgroup', '9']);
    expect(r.err).toBe('');
    expect(r.out).toContain('verdict = allowed (1)\n');
    expect(r.out).toMatch(/\{ cgroup_inode_id: 9, attach_type: 1 \}: \{ runs: 1, total: 50 \}/);
    const again = await cli(['run', fx('cgroup_storage.o'), '--program', 'count_egress', '--packet-hex', frame, '--repeat', '2', '--json']);
    expect(JSON.parse(again.out)).toMatchObject({ verdict: 'dropped (0)', maps: expect.arrayContaining([expect.objectContaining({ name: 'counts', entries: [{ key: { cgroup_inode_id: 1, attach_type: 1 }, value: { runs: 2, total: 100 } }] })]) });
  });

  it('takes the host congestion controls, and --json', async () => {
    // tcp_cong_kern.o sets dctcp on IPv6 connections to or from port 55601 and returns the result as reply
    const without = await cli(['run', CONG, '--sockets', files({}).sockets, '--event', files({ op: 'active_established_cb', socket: 1 }).events, '--json']);
    expect(without.code).toBe(0);
    expect(JSON.parse(without.out).runs[0]).toMatchObject({ r0: '1', reply: 4294967294 }); // -ENOENT
    const f = files({ events: [{ op: 'active_established_cb', socket: 1 }], congestion: ['cubic', 'reno', 'dctcp'] });
    const doc = JSON.parse((await cli(['run', CONG, '--sockets', f.sockets, '--event', f.events, '--json'])).out);
    expect(doc.runs[0]).toMatchObject({ op: 'active_established_cb', socket: 1, r0: '1', reply: 0 });
    expect(doc.sockets).toEqual([{ socket: 1, cbFlags: 0, txhash: 0, options: { TCP_CONGESTION: 'dctcp' } }]);
  });

  it('runs header-option events: reserves, then writes into the reserved space; reads the SYN', async () => {
    // test/fixtures/elf/hdr_opt.o: reserve args[0] bytes; store [kind args[0], kind-length args[1], args[2]]
    const f = files({ events: [
      { op: 'hdr_opt_len_cb', socket: 0, args: [6, 0, 0], tcpFlags: 0x12 },
      { op: 'write_hdr_opt_cb', socket: 0, args: [0xb7, 6, 0x01020304, 4], skb: { hex: '0000000000000000000000005012000000000000' } },
      { op: 'parse_hdr_opt_cb', socket: 0, args: [3, 0, 0, 1], skb: { hex: '0000000000000000000000005010000000000000' }, syn: { hex: '000000000000000000000000600200000000000001030307' } },
    ] });
    const r = await cli(['run', fx('hdr_opt.o'), '--sockets', f.sockets, '--event', f.events]);
    expect(r.err).toBe('');
    expect(r.out).toContain('event 1: op hdr_opt_len_cb on socket 0: r0 = 1, reply = 6, reserved 6 option bytes\n');
    expect(r.out).toContain('event 2: op write_hdr_opt_cb on socket 0: r0 = 1, reply = 183, header options b706010203040101\n');
    expect(r.out).toContain('event 3: op parse_hdr_opt_cb on socket 0: r0 = 1, reply = 3\n');
    expect(r.out).toMatch(/results .*\n {4}0: 3\n {4}1: -17\n {4}2: 6\n/);
    const doc = JSON.parse((await cli(['run', fx('hdr_opt.o'), '--sockets', f.sockets, '--event', f.events, '--json'])).out);
    expect(doc.runs[1]).toMatchObject({ headerOptions: 'b706010203040101' });
    expect(doc.maps.find((m: { name: string }) => m.name === 'results').entries.length).toBeGreaterThan(0);
    const bad = files({ op: 'parse_hdr_opt_cb', socket: 0, syn: 'x' });
    expect((await cli(['run', fx('hdr_opt.o'), '--sockets', bad.sockets, '--event', bad.events])).err).toMatch(/syn must be \{ "hex"/);
    const far = files({ op: 'hdr_opt_len_cb', socket: 0, optionSpace: 41 });
    expect((await cli(['run', fx('hdr_opt.o'), '--sockets', far.sockets, '--event', far.events])).err).toMatch(/event.optionSpace/);
  });

  it('refuses bad event files with a usage error naming the field', async () => {
    const bad: [unknown, RegExp][] = [
      ['{', /not JSON/],
      [[], /must be an event object/],
      [{ events: [] }, /1 to 100000 events/],
      [{ op: 'nope', socket: 0 }, /events\[0\]: event.op must be/],
      [{ op: 1, socket: 9 }, /event.socket must be/],
      [{ op: 1, socket: 0, extra: 1 }, /unknown field 'extra'/],
      [{ op: 1, socket: 0, skb: 'x' }, /skb must be \{ "hex"/],
      [{ op: 1, socket: 0, args: [1, 2, 3, 4, 5] }, /event.args/],
      [{ events: [{ op: 1, socket: 0 }], congestion: [1] }, /congestion must be an array of names/],
    ];
    for (const [doc, message] of bad) {
      const f = files(doc);
      const r = await cli(['run', fx('sock_ops.o'), '--sockets', f.sockets, '--event', f.events]);
      expect(r.code, JSON.stringify(doc)).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect((await cli(['run', fx('sock_ops.o'), '--sockets', files({}).sockets])).err).toMatch(/sock_ops program: give its socket events with --event/);
    const noSockets = await cli(['run', fx('sock_ops.o'), '--event', files({ op: 1, socket: 0 }).events]);
    expect(noSockets.err).toMatch(/no sockets/);
  });
});
