/**
 * A capture run's packets taken one at a time, shared by the one-thread runner (pcap-run.ts) and the
 * worker pool's (pcap-run-pool.ts): each record of a capture of Ethernet frames, up to `-c COUNT`,
 * and where and why reading stopped early (damage, a frame of another link type, the count,
 * `--max-errors`).
 * @module
 */
import { EbpfError } from '../errors.js';
import { CaptureReader, LinkType, type CaptureReaderOptions } from '../pcap/index.js';
import { InputError } from './input-error.js';

/** Why a capture run stopped before the end of its capture, and at which byte when reading stopped. */
export interface CaptureStop {
  readonly reason: string;
  readonly atByte?: number;
}

function linkTypeName(lt: number): string {
  const entry = Object.entries(LinkType).find(([, v]) => v === lt);
  return entry === undefined ? `link type ${lt}` : `${entry[0]} (link type ${lt})`;
}

/** The message for packet `packet` (from 1) of `path` not being an Ethernet frame. */
export function notEthernet(path: string, packet: number, linkType: number): string {
  return `${path}: packet ${packet} is ${linkTypeName(linkType)}; tsbpf runs programs on Ethernet frames (link type 1) only`;
}

function readStop(e: unknown, reader: CaptureReader): CaptureStop {
  if (!(e instanceof EbpfError)) throw e;
  return { reason: `${e.code}: ${e.message}`, atByte: (e as { offset?: number }).offset ?? reader.consumed };
}

/** Reads packets out of {@link reader} as the capture's chunks are fed to it (see capture-io's feedCapture). */
export class CaptureScan {
  /** The reader the chunks go into; after {@link next} gives `'packet'`, it holds that packet. */
  readonly reader: CaptureReader;
  /** Packets taken so far: the number (from 1) of the current one. */
  packets = 0;
  /** Set when the run stopped early. */
  stopped: CaptureStop | undefined;
  private countReached = false;

  /** `limit`: packets to take at most (`-c`); `options`: the reader's. */
  constructor(
    private readonly path: string,
    private readonly limit: number,
    options: CaptureReaderOptions = {},
  ) {
    this.reader = new CaptureReader(options);
  }

  /**
   * Take the next packet: `'packet'` (in {@link reader}, numbered {@link packets}), `'more'` (the chunk
   * fed so far is used up) or `'stop'` (the count reached, or damage or another link type at a later
   * packet: see {@link stopped}). A first packet that is not Ethernet is an {@link InputError}.
   */
  next(): 'packet' | 'more' | 'stop' {
    if (this.packets >= this.limit) {
      this.countReached = true;
      return 'stop';
    }
    const reader = this.reader;
    try {
      if (!reader.next()) return 'more';
    } catch (e) {
      this.stopped = readStop(e, reader);
      return 'stop';
    }
    const number = this.packets + 1;
    if (reader.linkType !== LinkType.ETHERNET) {
      const what = notEthernet(this.path, number, reader.linkType);
      if (number === 1) throw new InputError(what);
      this.stopped = { reason: `${what} (at byte ${reader.recordOffset})`, atByte: reader.recordOffset };
      return 'stop';
    }
    this.packets = number;
    return 'packet';
  }

  /** Stop for a reason of the run's own (`--max-errors`). */
  stop(reason: string): void {
    this.stopped = { reason };
  }

  /** After the last chunk: what is left unread is an incomplete record, recorded as where reading stopped. */
  end(): void {
    if (this.stopped === undefined && !this.countReached) {
      this.reader.end();
      try {
        // Every complete record was read by next().
        this.reader.next();
      } catch (e) {
        this.stopped = readStop(e, this.reader);
      }
    }
  }

  /** A capture that is not one at all (stopped at byte 0 with nothing read) is an {@link InputError}: nothing was run. */
  checkRead(): void {
    if (this.packets === 0 && this.stopped?.atByte === 0) throw new InputError(`${this.path}: ${this.stopped.reason}`);
  }

  /** Whether the whole capture was read. */
  get complete(): boolean {
    return this.stopped === undefined && !this.countReached;
  }
}
