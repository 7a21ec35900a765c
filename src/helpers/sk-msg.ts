/**
 * The socket redirects of sk_msg and sk_skb programs (`bpf_msg_redirect_map` 60, `_hash` 71,
 * `bpf_sk_redirect_map` 52, `_hash` 72) and the message helpers of sk_msg programs
 * (`bpf_msg_apply_bytes` 61, `bpf_msg_cork_bytes` 62, `bpf_msg_pull_data` 63, `bpf_msg_push_data` 90,
 * `bpf_msg_pop_data` 91). The kernel refuses BPF_PROG_TEST_RUN for these program types, so the rules
 * are bpf-helpers(7)'s: a redirect names the socket at a SOCKMAP index / SOCKHASH key and returns
 * SK_PASS, or SK_DROP when the key has no socket or the flags are other than `BPF_F_INGRESS`; the
 * message helpers' flags must be 0 (else -EINVAL) and their ranges inside the message (else -EINVAL).
 * The message and the redirect live in the run's host state (context/sk-msg.ts; sk_skb: context/packet-host.ts).
 * @module
 */
import { helperError } from './helper-error.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import { SockMap } from '../maps/sock-map.js';
import { typedMapArg } from './map-arg.js';
import { MapType, mapTypeName } from '../maps/types.js';
import { SkAction, type SocketRedirect, type SkMsgRun } from '../context/sk-msg.js';
import type { KernelEnvironment } from './kernel.js';

/** `BPF_F_INGRESS`. */
const BPF_F_INGRESS = 1n;
/** -EINVAL as a helper's u64 return. */
const EINVAL = BigInt.asUintN(64, -22n);

/** What a run that may redirect to a socket passes its helpers (sk_msg: {@link SkMsgRun}; sk_skb: the skb host). */
export interface SocketRedirectHost {
  readonly kind: string;
  socketRedirect: SocketRedirect | undefined;
}

/** The runner of each program type that may redirect to a socket. */
const RUNNER: Readonly<Record<string, string>> = { sk_msg: 'runSkMsg', sk_skb: 'runSkSkb' };

const u32 = (x: bigint): number => Number(x & 0xffffffffn);

/** The sk_msg and sk_skb helpers. */
export function skMsgHelpers(env: Pick<KernelEnvironment, 'memory' | 'mapByHandle'>): Map<number, HelperEntry> {
  const fail = (name: string, message: string, ctx: HelperContext): never => {
    throw helperError(name, message, ctx);
  };
  const msgHost = (name: string, ctx: HelperContext): SkMsgRun => {
    const host = ctx.host as SkMsgRun | undefined;
    if (host?.kind !== 'sk_msg') return fail(name, 'only sk_msg programs may call it; run the program with runSkMsg', ctx);
    return host;
  };
  const redirect = (helper: SocketRedirect['helper'], hash: boolean, kind: string): HelperFunction => (_1, r2, r3, r4, _5, ctx) => {
    const host = ctx.host as SocketRedirectHost | undefined;
    if (host?.kind !== kind) return fail(helper, `only ${kind} programs may call it; run the program with ${RUNNER[kind]}`, ctx);
    const type = hash ? MapType.SOCKHASH : MapType.SOCKMAP;
    const map = typedMapArg((h) => env.mapByHandle(h), helper, r2, ctx, SockMap, mapTypeName(type), type);
    let key: Uint8Array;
    if (hash) key = env.memory.read(r3, map.keySize, ctx.pc);
    else new DataView((key = new Uint8Array(4)).buffer).setUint32(0, u32(r3), true);
    if ((r4 & ~BPF_F_INGRESS) !== 0n) return SkAction.DROP;

    const socket = map.socketAt(key);
    if (socket === undefined) return SkAction.DROP;
    const target: SocketRedirect = { helper, map: map.name, key: key.slice(), socket, ingress: r4 === BPF_F_INGRESS };
    host.socketRedirect = target;
    return SkAction.PASS;
  };
  const bytes = (name: string, field: 'applyBytes' | 'corkBytes'): HelperFunction => (_1, r2, _3, _4, _5, ctx) => {
    msgHost(name, ctx)[field] = u32(r2);
    return 0;
  };
  const range = (name: string, op: (run: SkMsgRun, a: number, b: number) => number): HelperFunction => (_1, r2, r3, r4, _5, ctx) => {
    const run = msgHost(name, ctx);
    if (r4 !== 0n) return EINVAL;
    return BigInt.asUintN(64, BigInt(op(run, u32(r2), u32(r3))));
  };
  const entry = (id: number, name: string, fn: HelperFunction): [number, HelperEntry] => [id, { fn, name, unwindOnZero: false }];
  return new Map([
    entry(52, 'bpf_sk_redirect_map', redirect('bpf_sk_redirect_map', false, 'sk_skb')),
    entry(72, 'bpf_sk_redirect_hash', redirect('bpf_sk_redirect_hash', true, 'sk_skb')),
    entry(60, 'bpf_msg_redirect_map', redirect('bpf_msg_redirect_map', false, 'sk_msg')),
    entry(71, 'bpf_msg_redirect_hash', redirect('bpf_msg_redirect_hash', true, 'sk_msg')),
    entry(61, 'bpf_msg_apply_bytes', bytes('bpf_msg_apply_bytes', 'applyBytes')),
    entry(62, 'bpf_msg_cork_bytes', bytes('bpf_msg_cork_bytes', 'corkBytes')),
    entry(63, 'bpf_msg_pull_data', range('bpf_msg_pull_data', (run, start, end) => run.pull(start, end))),
    entry(90, 'bpf_msg_push_data', range('bpf_msg_push_data', (run, start, len) => run.push(start, len))),
    entry(91, 'bpf_msg_pop_data', range('bpf_msg_pop_data', (run, start, len) => run.pop(start, len))),
  ]);
}
