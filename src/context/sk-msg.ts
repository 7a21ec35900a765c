/**
 * The sk_msg context: `struct sk_msg_md` (uapi `linux/bpf.h`, 80 bytes) over a message a host's socket
 * sends, and the message state the sk_msg helpers change (helpers/sk-msg.ts). The kernel loads sk_msg
 * programs but refuses BPF_PROG_TEST_RUN for them, so the behaviour follows the helper documentation
 * (bpf-helpers(7)) and the uapi layout, not a kernel run.
 *
 * The message is kept as one buffer split into chunks (the kernel's scatterlist elements: the host may
 * pass several). The program sees `[data, data_end)`, a window of it: the first chunk at the start (what
 * the kernel shows of a `sendmsg`), the range `bpf_msg_pull_data` asked for after a pull, the first
 * chunk again after a push or pop (the pointers the program held are then stale, as in the kernel).
 * Bytes `bpf_msg_push_data` inserts are a chunk of their own, zeroed; a pop inside a chunk splits it there.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkBytes, checkInteger, checkOptions, describeValue } from '../validate.js';
import { MEM_START } from '../vm/memory.js';
import type { HostSocket } from '../helpers/socket-table.js';
import { writeSocketFields } from './socket-fields.js';
import type { RunSpace } from './space.js';

/** `struct sk_msg_md` field offsets (`__u32` unless noted). */
export const SkMsgMd = {
  /** `void *` */ data: 0, /** `void *` */ data_end: 8, family: 16, remote_ip4: 20, local_ip4: 24, remote_ip6: 28,
  local_ip6: 44, /** network order, upper half */ remote_port: 60, /** host order */ local_port: 64, size: 68,
  /** `struct bpf_sock *` */ sk: 72,
  /** Size of the structure. */
  SIZE: 80,
} as const;

/** The verdicts of sk_msg and sk_skb programs (`enum sk_action`). */
export const SkAction = { DROP: 0, PASS: 1 } as const;

/** Largest message a run takes or a push makes (bytes): a push past it fails with -ENOMEM. */
export const MAX_SK_MSG = 65536;
/** Most chunks a host message may be passed in (the kernel's `MAX_MSG_FRAGS`). */
export const MAX_SK_MSG_CHUNKS = 17;

/** Where `bpf_msg_redirect_map` / `_hash` or `bpf_sk_redirect_map` / `_hash` sent the data. */
export interface SocketRedirect {
  readonly helper: 'bpf_msg_redirect_map' | 'bpf_msg_redirect_hash' | 'bpf_sk_redirect_map' | 'bpf_sk_redirect_hash';
  /** The SOCKMAP / SOCKHASH's name and the key (a SOCKMAP's: its 4-byte index, little-endian). */
  readonly map: string;
  readonly key: Uint8Array;
  /** The target socket: its index in the loader's `sockets` option. */
  readonly socket: number;
  /** `BPF_F_INGRESS`: to the target's receive queue (else its send queue). */
  readonly ingress: boolean;
}

/** Options of an sk_msg run. */
export interface SkMsgRunOptions {
  /** The sending socket: its index in the loader's `sockets` option (the context's family, addresses, ports and `sk`). */
  readonly socket: number;
}

/** What an sk_msg run did. */
export interface SkMsgResult {
  /** The verdict: r0's low 32 bits (`SkAction`: DROP 0, PASS 1). */
  readonly verdict: number;
  /** r0 as returned. */
  readonly r0: bigint;
  /** With the SK_PASS verdict: the socket a redirect helper chose (else the message goes on to its own socket). */
  readonly redirect?: SocketRedirect;
  /** `bpf_msg_apply_bytes`'s last count: the verdict holds for that many bytes (undefined: for this message). */
  readonly applyBytes?: number;
  /** `bpf_msg_cork_bytes`'s last count: run again once that many bytes are queued (undefined: not corked). */
  readonly corkBytes?: number;
  /** The message after the run (pushes and pops applied), a copy. */
  readonly message: Uint8Array;
}

/** The message of a run: `message` checked and split into chunk lengths. */
export function checkSkMsg(message: unknown): { bytes: Uint8Array; chunks: number[] } {
  const parts: unknown[] = Array.isArray(message) ? message : [message];
  if (parts.length > MAX_SK_MSG_CHUNKS) throw new ArgumentError(`the message may come in at most ${MAX_SK_MSG_CHUNKS} chunks, not ${parts.length}`);
  const arrays = parts.map((p, i) => checkBytes(p, Array.isArray(message) ? `message[${i}]` : 'the message'));
  const size = arrays.reduce((n, a) => n + a.length, 0);
  if (size > MAX_SK_MSG) throw new ArgumentError(`the message must be at most ${MAX_SK_MSG} bytes, not ${size}`);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const a of arrays) bytes.set(a, (at += a.length) - a.length);
  return { bytes, chunks: arrays.map((a) => a.length).filter((n) => n > 0) };
}

/** `options` of an sk_msg run checked against `sockets` host sockets; returns the socket index. */
export function checkSkMsgSocket(options: unknown, sockets: number): number {
  const o = checkOptions(options as SkMsgRunOptions, 'options') as unknown as Record<string, unknown>;
  if (sockets === 0) throw new ArgumentError('options.socket: the object has no sockets; describe them with the sockets load option (tsbpf --sockets FILE)');
  if (o.socket === undefined) throw new ArgumentError(`options.socket is needed: the index of the socket (0 to ${sockets - 1}), not ${describeValue(o.socket)}`);
  return checkInteger(o.socket, 'options.socket', 0, sockets - 1);
}

/** The `struct sk_msg_md` of socket `s` (whose `struct bpf_sock` is at `sk`); data, data_end and size are set by {@link SkMsgRun.publish}. */
export function skMsgContext(s: HostSocket, sk: number): Uint8Array {
  const b = new Uint8Array(SkMsgMd.SIZE);
  const v = new DataView(b.buffer);
  writeSocketFields(v, 0, SkMsgMd, s);
  v.setBigUint64(SkMsgMd.sk, BigInt(sk), true);
  return b;
}

/** The message of an sk_msg run and what the program asked of it (`HelperContext.host` of the run). */
export class SkMsgRun {
  readonly kind = 'sk_msg';
  /** The message's length. */
  size: number;
  /** Chunk lengths, in order (sum: `size`). */
  private chunks: number[];
  /** The window the program sees, `[start, end)` of the message. */
  private start = 0;
  private end = 0;
  applyBytes: number | undefined;
  corkBytes: number | undefined;
  socketRedirect: SocketRedirect | undefined;

  /**
   * @param base linear-memory offset of the message buffer ({@link MAX_SK_MSG} bytes, the message at its start)
   * @param ctxOffset linear-memory offset of the context
   */
  constructor(
    private readonly space: RunSpace,
    private readonly base: number,
    private readonly ctxOffset: number,
    message: { bytes: Uint8Array; chunks: number[] },
  ) {
    this.size = message.bytes.length;
    this.chunks = message.chunks.slice();
    space.memory.bytes.set(message.bytes, base);
    this.firstChunk();
  }

  /** The message's bytes now (a copy). */
  bytes(): Uint8Array {
    return this.space.memory.bytes.slice(this.base, this.base + this.size);
  }

  private firstChunk(): void {
    this.start = 0;
    this.end = this.chunks[0] ?? 0;
    this.publish();
  }

  /** Write data, data_end and size into the context and map the window at `MEM_START + start`. */
  private publish(): void {
    const v = this.space.memory.view;
    v.setBigUint64(this.ctxOffset + SkMsgMd.data, BigInt(MEM_START + this.start), true);
    v.setBigUint64(this.ctxOffset + SkMsgMd.data_end, BigInt(MEM_START + this.end), true);
    v.setUint32(this.ctxOffset + SkMsgMd.size, this.size, true);
    this.space.mapPacket(this.start, this.end, 'message');
  }

  /** Make a chunk boundary at `offset` (0 to size); returns the index of the chunk starting there. */
  private split(offset: number): number {
    let at = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      if (at === offset) return i;
      const n = this.chunks[i]!;
      if (offset < at + n) {
        this.chunks.splice(i, 1, offset - at, at + n - offset);
        return i + 1;
      }
      at += n;
    }
    return this.chunks.length;
  }

  /** `bpf_msg_pull_data(start, end)`: the window becomes `[start, end)`, one chunk; -EINVAL unless start < end <= size. */
  pull(start: number, end: number): number {
    if (start >= end || end > this.size) return -22;
    const first = this.split(start);
    const last = this.split(end);
    const merged = this.chunks.slice(first, last).reduce((a, b) => a + b, 0);
    this.chunks.splice(first, last - first, merged);
    this.start = start;
    this.end = end;
    this.publish();
    return 0;
  }

  /** `bpf_msg_push_data(start, len)`: `len` zero bytes inserted at `start`; -EINVAL past the end, -ENOMEM past {@link MAX_SK_MSG}. */
  push(start: number, len: number): number {
    if (len === 0) return 0;
    if (start > this.size) return -22;
    if (len > MAX_SK_MSG - this.size) return -12;
    const bytes = this.space.memory.bytes;
    const at = this.base + start;
    bytes.copyWithin(at + len, at, this.base + this.size);
    bytes.fill(0, at, at + len);
    this.chunks.splice(this.split(start), 0, len);
    this.size += len;
    this.firstChunk();
    return 0;
  }

  /** `bpf_msg_pop_data(start, len)`: bytes `[start, start + len)` removed; -EINVAL unless the range is inside the message. */
  pop(start: number, len: number): number {
    if (start >= this.size || len > this.size - start) return -22;
    if (len === 0) return 0;
    const bytes = this.space.memory.bytes;
    bytes.copyWithin(this.base + start, this.base + start + len, this.base + this.size);
    const first = this.split(start);
    const last = this.split(start + len);
    this.chunks.splice(first, last - first);
    this.size -= len;
    this.firstChunk();
    return 0;
  }
}
