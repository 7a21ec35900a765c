/**
 * `--out-redirect DIR` of a capture run: the packets a program redirected, and the copies
 * `bpf_clone_redirect` made, written to one pcap file per target in DIR (`ifindex-3.pcap`,
 * `map-ports-key-2-ifindex-7.pcap`, `clone-ifindex-4-ingress.pcap`), as they come. Bounded like the
 * report's counts: the first {@link MAX_TARGETS} targets of each kind get a file of their own, packets to
 * any further target go to `other.pcap` / `clone-other.pcap`. Files are opened on a target's first
 * packet, so a run without redirects leaves DIR empty.
 * @module
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LinkType, PcapStreamWriter } from '../pcap/index.js';
import { MAX_TARGETS } from './capture-redirects.js';
import { fileSink, type CaptureSink } from './capture-io.js';
import { InputError } from './input.js';

/** Bytes each target's writer gathers before writing (small: up to 130 files may be open). */
const CHUNK = 64 * 1024;
/** Longest file name made from a target (before `.pcap` and any `-N` that keeps names apart). */
const MAX_NAME = 96;

/** One file written: the target it holds, its path, and how many packets. */
export interface TargetFile {
  readonly kind: 'redirect' | 'clone';
  /** The target as the report names it, or `other` for the targets past the first {@link MAX_TARGETS}. */
  readonly target: string;
  readonly file: string;
  readonly packets: number;
}

/** A file name for a target: letters, digits, `-` and single dots only, starting with a letter or digit. */
export function targetFileName(target: string): string {
  const name = target
    .replace(/[^A-Za-z0-9.]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, MAX_NAME);
  return name === '' ? 'target' : name;
}

interface Open {
  readonly target: string;
  readonly file: string;
  readonly sink: CaptureSink;
  readonly writer: PcapStreamWriter;
}

/** Writes redirected packets and clones per target into a directory (see the module's doc). */
export class TargetCaptures {
  private readonly open = new Map<string, Open>();
  private readonly used = new Set<string>();
  private readonly counted = { redirect: 0, clone: 0 };

  /** Make `dir` (and its parents) if needed; an existing file in its place is an {@link InputError}. */
  constructor(readonly dir: string) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw new InputError(`--out-redirect ${dir}: a file is in the way, not a directory`);
      throw new InputError(`--out-redirect ${dir}: cannot make the directory (${code ?? String(e)})`);
    }
    if (!statSync(dir).isDirectory()) throw new InputError(`--out-redirect ${dir}: a file is in the way, not a directory`);
  }

  /** Append one packet, `bytes[start, end)`, to the file of `target`. */
  write(kind: 'redirect' | 'clone', target: string, bytes: Uint8Array, start: number, end: number, originalLength: number, seconds: number, nanos: number): void {
    const key = `${kind} ${target}`;
    let f = this.open.get(key);
    if (f === undefined) {
      const other = `${kind} other`;
      if (this.counted[kind] >= MAX_TARGETS) f = this.open.get(other) ?? this.openFile(other, kind, 'other');
      else {
        this.counted[kind]++;
        f = this.openFile(key, kind, target);
      }
    }
    f.writer.write(bytes, start, end, originalLength, seconds, nanos);
  }

  private openFile(key: string, kind: 'redirect' | 'clone', target: string): Open {
    const stem = (kind === 'clone' ? 'clone-' : '') + targetFileName(target);
    let name = `${stem}.pcap`;
    for (let i = 2; this.used.has(name); i++) name = `${stem}-${i}.pcap`;
    this.used.add(name);
    const file = join(this.dir, name);
    const sink = fileSink(file);
    const writer = new PcapStreamWriter((b) => sink.write(b), { linkType: LinkType.ETHERNET, chunkSize: CHUNK });
    const f: Open = { target, file, sink, writer };
    this.open.set(key, f);
    return f;
  }

  /** Flush and close every file; returns what was written, in the order the targets first appeared. */
  close(): TargetFile[] {
    const files: TargetFile[] = [];
    for (const [key, f] of this.open) {
      try {
        f.writer.flush();
      } finally {
        f.sink.close();
      }
      files.push({ kind: key.startsWith('clone ') ? 'clone' : 'redirect', target: f.target, file: f.file, packets: f.writer.packets });
    }
    this.open.clear();
    return files;
  }
}
