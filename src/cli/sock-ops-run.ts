/**
 * `tsbpf run OBJ.o --sockets SOCKETS.json --event EVENTS.json` for a sock_ops program: runs it on each
 * socket event of the file, in order (the sockets keep what the program set on them), and reports each
 * run's r0 and reply, what each socket holds after (callback flags, txhash, options), the maps and the
 * trace lines. The file is one event or `{ "events": [...], "congestion": [...] }`; an event is
 * `{ "op": "tcp_connect_cb" | 3, "socket": 0, "args": [1, 2], "skb": { "hex": "..." } }` (`socket`: an
 * index in `--sockets`; `congestion`: the algorithms TCP_CONGESTION may name, default cubic and reno).
 * Header-option events may add `"tcpFlags"` (the flags of a header not written yet), `"optionSpace"`
 * (option bytes to reserve, or reserved) and `"syn": { "hex": "..." }` (the SYN's TCP header); the report
 * gives what HDR_OPT_LEN_CB reserved and the options WRITE_HDR_OPT_CB stored.
 * @module
 */
import type { BpfObject, ProgramInfo } from '../elf/loader.js';
import type { SockOpsEvent, SockOpsResult } from '../context/sock-ops.js';
import type { RunLimits } from '../vm/environment.js';
import { hexOf, readEventList, runEventList, writeEventListReport } from './event-list.js';
import { parseHex } from './input.js';
import type { CliIo } from './io.js';

/** What one sock_ops run needs. */
export interface SockOpsRunRequest {
  readonly object: BpfObject;
  readonly info: ProgramInfo;
  readonly eventPath: string;
  readonly jit: boolean;
  readonly limits: Partial<RunLimits>;
  readonly json: boolean;
  readonly saveMaps: string | undefined;
  /** The cgroup the program is attached to (`--cgroup`; default the root cgroup). */
  readonly cgroup?: bigint | undefined;
}

/** The events file read: the events (checked by the runner) and the congestion controls. */
function readEvents(path: string): { events: SockOpsEvent[]; congestion: string[] | undefined } {
  const { doc: d, list, single, fail } = readEventList(path, 'event');
  const congestion = d.congestion;
  if (congestion !== undefined && (!Array.isArray(congestion) || !congestion.every((c) => typeof c === 'string'))) fail('congestion must be an array of names');
  const events = list.map((e, i): SockOpsEvent => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail(`events[${i}] must be an object`);
    const o = e as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['op', 'socket', 'args', 'skb', 'skbHwtstamp', 'tcpFlags', 'optionSpace', 'syn', ...(single ? ['congestion'] : [])].includes(k)) fail(`events[${i}]: unknown field '${k}'`);
    const bytes = (field: 'skb' | 'syn'): Uint8Array | undefined => {
      if (o[field] === undefined) return undefined;
      const hex = (o[field] as { hex?: unknown } | null)?.hex;
      if (typeof hex !== 'string') fail(`events[${i}].${field} must be { "hex": "..." }`);
      return parseHex(hex as string, `--event ${path}: events[${i}].${field}.hex`);
    };
    const skb = bytes('skb');
    const syn = bytes('syn');
    const hw = o.skbHwtstamp;
    if (hw !== undefined && (typeof hw !== 'string' || !/^(0x[0-9a-f]+|[0-9]+)$/i.test(hw)) && !(typeof hw === 'number' && Number.isSafeInteger(hw))) fail(`events[${i}].skbHwtstamp must be an integer`);
    return {
      op: o.op as SockOpsEvent['op'],
      socket: o.socket as number,
      ...(o.args === undefined ? {} : { args: o.args as number[] }),
      ...(skb === undefined ? {} : { skb }),
      ...(hw === undefined ? {} : { skbHwtstamp: BigInt(hw as string | number) }),
      ...(o.tcpFlags === undefined ? {} : { tcpFlags: o.tcpFlags as number }),
      ...(o.optionSpace === undefined ? {} : { optionSpace: o.optionSpace as number }),
      ...(syn === undefined ? {} : { syn }),
    };
  });
  return { events, congestion: congestion as string[] | undefined };
}

/** Run and print the report; returns the exit code. */
export function sockOpsRun(req: SockOpsRunRequest, io: CliIo): number {
  const { object: obj, info } = req;
  const runner = obj.program(info.name);
  const { events, congestion } = readEvents(req.eventPath);
  const runOptions = { jit: req.jit, limits: req.limits, ...(congestion === undefined ? {} : { congestion }), ...(req.cgroup === undefined ? {} : { cgroup: req.cgroup }) };
  const { results, trace, drain } = runEventList(obj, req.eventPath, events, (event) => ({ event, result: runner.runSockOps(event, runOptions) }));
  // what each socket an event named holds after the last of its events
  const sockets = new Map<number, SockOpsResult>();
  for (const { event, result } of results) sockets.set(event.socket, result);
  return writeEventListReport(io, obj, info, req, { trace, drain }, {
    type: 'sockops',
    noun: 'event',
    count: results.length,
    json: () => ({
      runs: results.map(({ event, result }) => ({
        op: event.op, socket: event.socket, r0: result.r0.toString(), reply: result.reply, replylong: result.replylong,
        ...(result.reserved === 0 ? {} : { reserved: result.reserved }),
        ...(result.headerOptions.length === 0 ? {} : { headerOptions: hexOf(result.headerOptions) }),
      })),
      sockets: [...sockets].map(([socket, r]) => ({ socket, cbFlags: r.cbFlags, txhash: r.txhash, options: r.options })),
    }),
    text: () => {
      let text = '';
      results.forEach(({ event, result }, i) => {
        text += `event ${i + 1}: op ${event.op} on socket ${event.socket}: r0 = ${result.r0}, reply = ${result.reply}`;
        if (result.reserved !== 0) text += `, reserved ${result.reserved} option bytes`;
        if (result.headerOptions.length !== 0) text += `, header options ${hexOf(result.headerOptions)}`;
        text += '\n';
      });
      for (const [socket, r] of sockets) {
        const options = Object.entries(r.options).map(([k, v]) => `${k}=${v}`).join(', ');
        text += `socket ${socket}: callback flags 0x${r.cbFlags.toString(16)}, txhash 0x${r.txhash.toString(16)}${options === '' ? '' : `, options ${options}`}\n`;
      }
      return text;
    },
  });
}
