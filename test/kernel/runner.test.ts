/**
 * The kernel runner's own contract (what other tests build on): verdicts with the verifier log, map
 * fds substituted into lddw, test runs, map dumps, and clear answers to malformed requests.
 */
import { describe, expect, it } from 'vitest';
import { kernelOracle, skipNote } from './runner.js';
import { exit, ins, lddw, mov64, prog } from './insns.js';

const oracle = kernelOracle();
if (typeof oracle === 'string') skipNote(oracle);

/** `lddw r1, map` (src 1: a map fd) with the caller's id in imm. */
const mapRef = (id: number): Uint8Array => prog(ins(0x18, 1, 1, 0, id), ins(0, 0, 0, 0, 0));

// key 0 on the stack; r0 = lookup(map, &key); if r0 == 0 return 0; *(u64 *)r0 += 1; return 1
const COUNTER = prog(
  ins(0x62, 10, 0, -4, 0), ins(0xbf, 2, 10, 0, 0), ins(0x07, 2, 0, 0, -4), mapRef(7), ins(0x85, 0, 0, 0, 1),
  ins(0x55, 0, 0, 2, 0), mov64(0, 0), exit(),
  mov64(1, 1), ins(0xdb, 0, 1, 0, 0), mov64(0, 1), exit(),
);

describe.skipIf(typeof oracle === 'string')('kernel runner', () => {
  const k = typeof oracle === 'string' ? undefined : oracle;

  it('gives verdicts with the verifier log, maps by lddw immediate', () => {
    const array = { type: 2, keySize: 4, valueSize: 8, maxEntries: 1 };
    const [ok, uninit, noMap, counter] = k!.verdicts([
      { type: 'xdp', insns: prog(mov64(0, 2), exit()) },
      { type: 'xdp', insns: exit() },
      { type: 'socket_filter', insns: COUNTER },
      { type: 'socket_filter', insns: COUNTER, maps: { 7: array } },
    ]);
    expect(ok).toMatchObject({ accepted: true, errno: 0 });
    expect(uninit).toMatchObject({ accepted: false, errno: 13 });
    expect(uninit!.log).toMatch(/R0 !read_ok/);
    expect(noMap!.accepted).toBe(false);
    expect(counter).toMatchObject({ accepted: true });
  });

  it('runs a program on a map it created and dumps the map', () => {
    const out = k!.exec([
      { op: 'map', type: 2, keySize: 4, valueSize: 8, maxEntries: 1 },
      { op: 'load', type: 'socket_filter', insns: COUNTER, maps: { 7: { ref: 0 } } },
      { op: 'run', prog: { ref: 1 }, data: new Uint8Array(64) },
      { op: 'run', prog: { ref: 1 }, data: new Uint8Array(64) },
      { op: 'dump', map: { ref: 0 } },
    ]);
    expect(out[2]).toMatchObject({ kind: 'run', retval: 1 });
    const dump = out[4]!;
    expect(dump.kind).toBe('dump');
    if (dump.kind === 'dump') expect(dump.entries.map(([key, v]) => [[...key], [...v]])).toEqual([[[0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0, 0]]]);
  });

  it('answers a bad request with an error and carries on', () => {
    const out = k!.exec([{ op: 'run', prog: { ref: 5 } }, { op: 'close', fd: 1 }, { op: 'cpu', cpu: 0 }]);
    expect(out[0]).toMatchObject({ kind: 'err', errno: 22 });
    expect(out[1]).toMatchObject({ kind: 'err', errno: 22 });
    expect(out[2]).toMatchObject({ kind: 'ok' });
  });
});
