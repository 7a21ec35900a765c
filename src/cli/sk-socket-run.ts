/**
 * `tsbpf run OBJ.o --sockets SOCKETS.json --event DATA.json` for an sk_msg or sk_skb program (a section
 * `sk_msg`, `sk_skb/...`): runs it on each message (sk_msg) or stream data (sk_skb) of the file, in order,
 * and reports each run's r0, verdict (SK_PASS / SK_DROP), the socket a redirect chose, the apply / cork
 * counts (sk_msg) and the data as left, then the maps and trace lines. The file is one run or
 * `{ "events": [...] }`; a run is `{ "socket": 0, "data": { "hex": "..." } }` (`socket`: an index in
 * `--sockets`); an sk_msg run may give `"chunks": [{ "hex": "..." }, ...]` instead of `data` (the
 * message in scatterlist chunks: `data` / `data_end` show the first). An sk_lookup program (section
 * `sk_lookup`) runs on socket lookups instead: `{ "protocol": "tcp", "remote": "10.0.0.1:40000",
 * "local": "10.0.0.2:80", "ingressIfindex": 0 }`, reporting the verdict and the socket bpf_sk_assign selected.
 * @module
 */
import type { BpfObject, ProgramInfo } from '../elf/loader.js';
import type { SocketRedirect } from '../context/sk-msg.js';
import type { SkLookupDescription } from '../context/sk-lookup.js';
import type { RunLimits } from '../vm/environment.js';
import { hexOf, readEventList, runEventList, writeEventListReport } from './event-list.js';
import { parseHex } from './input.js';
import type { CliIo } from './io.js';

/** What one sk_msg / sk_skb run of the CLI needs. */
export interface SkSocketRunRequest {
  readonly object: BpfObject;
  readonly info: ProgramInfo;
  /** The kernel program type of its section. */
  readonly kind: 'sk_msg' | 'sk_skb' | 'sk_lookup';
  readonly eventPath: string;
  readonly jit: boolean;
  readonly limits: Partial<RunLimits>;
  readonly json: boolean;
  readonly saveMaps: string | undefined;
}

interface SkEvent {
  readonly socket: number;
  readonly data: Uint8Array | Uint8Array[];
  /** An sk_lookup run's lookup (checked by runSkLookup). */
  readonly lookup?: SkLookupDescription;
}

/** One run's report. */
interface SkRunReport {
  /** The socket the data arrived on, or (sk_lookup) the one bpf_sk_assign selected (absent: none). */
  readonly socket?: number;
  readonly lookup?: SkLookupDescription;
  readonly r0: bigint;
  readonly verdict: number;
  readonly redirect?: SocketRedirect;
  readonly applyBytes?: number;
  readonly corkBytes?: number;
  readonly data?: Uint8Array;
}

const FIELDS = { sk_msg: ['socket', 'data', 'chunks'], sk_skb: ['socket', 'data'], sk_lookup: ['protocol', 'remote', 'local', 'ingressIfindex'] } as const;

function readEvents(path: string, kind: 'sk_msg' | 'sk_skb' | 'sk_lookup'): SkEvent[] {
  const { list, fail } = readEventList(path, 'run');
  return list.map((e, i): SkEvent => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail(`events[${i}] must be an object`);
    const o = e as Record<string, unknown>;
    const fields: readonly string[] = FIELDS[kind];
    for (const k of Object.keys(o)) if (!fields.includes(k)) fail(`events[${i}]: unknown field '${k}' (an ${kind} run has ${fields.join(', ')})`);
    if (kind === 'sk_lookup') return { socket: -1, data: new Uint8Array(0), lookup: o as unknown as SkLookupDescription };
    const hexOfField = (v: unknown, name: string): Uint8Array => {
      const hex = (v as { hex?: unknown } | null)?.hex;
      if (typeof hex !== 'string') fail(`events[${i}].${name} must be { "hex": "..." }`);
      return parseHex(hex as string, `--event ${path}: events[${i}].${name}.hex`);
    };
    if ((o.data === undefined) === (o.chunks === undefined)) fail(`events[${i}] needs ${kind === 'sk_msg' ? 'one of data and chunks' : 'data'}`);
    let data: Uint8Array | Uint8Array[];
    if (o.chunks !== undefined) {
      if (!Array.isArray(o.chunks)) return fail(`events[${i}].chunks must be an array of { "hex": "..." }`);
      data = o.chunks.map((c: unknown, j) => hexOfField(c, `chunks[${j}]`));
    } else data = hexOfField(o.data, 'data');
    return { socket: o.socket as number, data };
  });
}

/** The verdict by name. */
const verdictName = (v: number): string => (v === 1 ? 'SK_PASS' : v === 0 ? 'SK_DROP' : `r0 = ${v}`);

/** A redirect as text. */
const redirectText = (r: SocketRedirect): string => `redirected to socket ${r.socket}${r.ingress ? ' (ingress)' : ''} by ${r.helper} (${r.map}, key ${hexOf(r.key)})`;

/** Run and print the report; returns the exit code. */
export function skSocketRun(req: SkSocketRunRequest, io: CliIo): number {
  const { object: obj, info, kind } = req;
  const runner = obj.program(info.name);
  const events = readEvents(req.eventPath, kind);
  const options = { jit: req.jit, limits: req.limits };
  const { results: runs, trace, drain } = runEventList(obj, req.eventPath, events, (event): SkRunReport => {
    if (kind === 'sk_msg') {
      const r = runner.runSkMsg(event.data, { ...options, socket: event.socket });
      return { socket: event.socket, r0: r.r0, verdict: r.verdict, ...(r.redirect === undefined ? {} : { redirect: r.redirect }), ...(r.applyBytes === undefined ? {} : { applyBytes: r.applyBytes }), ...(r.corkBytes === undefined ? {} : { corkBytes: r.corkBytes }), data: r.message };
    }
    if (kind === 'sk_lookup') {
      const r = runner.runSkLookup(event.lookup!, options);
      return { lookup: event.lookup!, r0: r.r0, verdict: r.verdict, ...(r.socket === undefined ? {} : { socket: r.socket }) };
    }
    const r = runner.runSkSkb(event.data as Uint8Array, { ...options, socket: event.socket });
    return { socket: event.socket, r0: r.r0, verdict: r.verdict, ...(r.redirect === undefined ? {} : { redirect: r.redirect }), data: r.packet };
  });
  return writeEventListReport(io, obj, info, req, { trace, drain }, {
    type: kind,
    noun: 'run',
    count: runs.length,
    json: () => ({
      runs: runs.map((r) => ({
        ...(r.lookup === undefined ? {} : { lookup: r.lookup }),
        ...(r.socket === undefined ? {} : { socket: r.socket }), r0: r.r0.toString(), verdict: verdictName(r.verdict),
        ...(r.redirect === undefined ? {} : { redirect: { ...r.redirect, key: hexOf(r.redirect.key) } }),
        ...(r.applyBytes === undefined ? {} : { applyBytes: r.applyBytes }),
        ...(r.corkBytes === undefined ? {} : { corkBytes: r.corkBytes }),
        ...(r.data === undefined ? {} : { data: hexOf(r.data) }),
      })),
    }),
    text: () => {
      let text = '';
      runs.forEach((r, i) => {
        if (r.lookup !== undefined) {
          const l = r.lookup;
          text += `run ${i + 1} (${l.protocol} ${l.remote} -> ${l.local}${l.ingressIfindex ? ` on ifindex ${l.ingressIfindex}` : ''}): r0 = ${r.r0}, ${verdictName(r.verdict)}, ${r.socket === undefined ? 'no socket selected' : `selected socket ${r.socket}`}\n`;
          return;
        }
        text += `run ${i + 1} on socket ${r.socket}: r0 = ${r.r0}, ${verdictName(r.verdict)}`;
        if (r.redirect !== undefined) text += `, ${redirectText(r.redirect)}`;
        if (r.applyBytes !== undefined) text += `, apply ${r.applyBytes} bytes`;
        if (r.corkBytes !== undefined) text += `, cork ${r.corkBytes} bytes`;
        text += `, data ${r.data!.length === 0 ? '(empty)' : hexOf(r.data!)}\n`;
      });
      return text;
    },
  });
}
