/**
 * The capture runner's file streaming (Node): a capture read in chunks from a file or stdin, and the
 * passed packets written to a file or stdout as they come, so memory stays bounded whatever the size.
 * @module
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { CaptureReader } from '../pcap/index.js';
import { InputError } from './input.js';
import type { CliIo } from './io.js';

/** Bytes read per chunk. */
const CHUNK = 1 << 20;

function openError(path: string, e: unknown, verb: 'read' | 'write'): InputError {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return new InputError(`${path}: no such file`);
  if (code === 'EACCES') return new InputError(`${path}: permission denied`);
  if (code === 'EISDIR') return new InputError(`${path}: is a directory, not a file`);
  return new InputError(`${path}: cannot ${verb} (${code ?? String(e)})`);
}

/** Read a file into `reader` a chunk at a time, straight into its buffer (no copy); yields after each chunk. */
function* feedFile(path: string, reader: CaptureReader): Generator<void> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    }
  } catch (e) {
    throw openError(path, e, 'read');
  }
  try {
    for (;;) {
      const into = reader.writable(CHUNK);
      let n: number;
      try {
        n = readSync(fd, into, 0, CHUNK, null);
      } catch (e) {
        throw openError(path, e, 'read');
      }
      if (n === 0) return;
      reader.wrote(n);
      yield;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Feed a capture into `reader` a chunk at a time, yielding after each (the caller takes the packets
 * out before the next): `-` is stdin (streamed when the CLI's io can, else read whole).
 */
export async function* feedCapture(path: string, io: CliIo, reader: CaptureReader): AsyncGenerator<void> {
  if (path !== '-') {
    yield* feedFile(path, reader);
    return;
  }
  if (io.stdinChunks !== undefined) {
    for await (const chunk of io.stdinChunks()) {
      reader.push(chunk);
      yield;
    }
    return;
  }
  reader.push(await io.readStdin());
  yield;
}

/** Where passed packets go: a file, or stdout for `-`. */
export interface CaptureSink {
  /** Write bytes (consumed before returning). */
  write(bytes: Uint8Array): void;
  /** Finish (close the file). */
  close(): void;
}

/** Open `--out PATH` (`-`: stdout through the CLI's io). */
export function openSink(path: string, io: CliIo): CaptureSink {
  if (path === '-') return { write: (b) => io.outBytes(b.slice()), close: () => undefined };
  return fileSink(path);
}

/** A file opened (created or emptied) for writing; failures are one-line {@link InputError}s naming it. */
export function fileSink(path: string): CaptureSink {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw openError(path, e, 'write');
  }
  return {
    write: (b) => {
      let off = 0;
      try {
        while (off < b.length) off += writeSync(fd, b, off, b.length - off);
      } catch (e) {
        throw openError(path, e, 'write');
      }
    },
    close: () => closeSync(fd),
  };
}
