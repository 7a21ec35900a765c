/**
 * `bpf_sock_map_update` (53) and `bpf_sock_hash_update` (70) from sock_ops programs: the context's
 * socket goes into a SOCKMAP at an index / a SOCKHASH at a key (maps/sock-map.ts). As the helper
 * documentation has it, only on the established and listen callbacks (else -EOPNOTSUPP) and for a full
 * TCP socket (else -EINVAL); the map's own rules give -E2BIG, -EEXIST, -ENOENT and -EINVAL for flags.
 * @module
 */
import { helperError } from './helper-error.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import { SockMap } from '../maps/sock-map.js';
import { typedMapArg } from './map-arg.js';
import { Errno, MapType, mapTypeName, negErrno } from '../maps/types.js';
import type { KernelEnvironment } from './kernel.js';
import type { SockOpsRunHost } from './sockopt.js';

/** The operations a socket may be added to a socket map on (active / passive established, listen). */
const MAP_OPS = new Set([4, 5, 11]);

/** The socket map update helpers. */
export function sockMapHelpers(env: Pick<KernelEnvironment, 'memory' | 'mapByHandle'>): Map<number, HelperEntry> {
  const update = (name: string, type: number): HelperFunction => (_ctx, r2, r3, r4, _5, ctx: HelperContext) => {
    const fail = (message: string): never => {
      throw helperError(name, message, ctx);
    };
    const host = ctx.host as SockOpsRunHost | undefined;
    if (host?.kind !== 'sockops') return fail('only sock_ops programs may call it here; run the program with runSockOps');
    const map = typedMapArg((h) => env.mapByHandle(h), name, r2, ctx, SockMap, mapTypeName(type), type);
    const key = env.memory.read(r3, map.keySize, ctx.pc);
    if (!MAP_OPS.has(host.op)) return negErrno(Errno.EOPNOTSUPP);
    const s = host.socket;
    if (s.protocol !== 'tcp' || s.state === 'syn_recv' || s.state === 'time_wait') return negErrno(Errno.EINVAL);
    const r = map.insert(key, s.index, Number(r4 > 0xffffffffn ? 0xffffffffn : r4));
    return r < 0 ? negErrno(-r) : 0;
  };
  return new Map([
    [53, { fn: update('bpf_sock_map_update', MapType.SOCKMAP), name: 'bpf_sock_map_update', unwindOnZero: false }],
    [70, { fn: update('bpf_sock_hash_update', MapType.SOCKHASH), name: 'bpf_sock_hash_update', unwindOnZero: false }],
  ]);
}
