/**
 * Where the CLI's text goes and comes from. Commands write through a {@link CliIo} so that tests can run
 * them in process and capture their output.
 * @module
 */
import { isatty } from 'node:tty';

/** Output streams and stdin of one CLI invocation. */
export interface CliIo {
  /** Write to standard output (no newline added). */
  out(text: string): void;
  /** Write raw bytes to standard output. */
  outBytes(bytes: Uint8Array): void;
  /** Write to standard error (no newline added). */
  err(text: string): void;
  /** All of standard input as bytes. */
  readStdin(): Promise<Uint8Array>;
  /** Standard input as it arrives, in chunks (when absent, consumers use {@link readStdin}). */
  stdinChunks?(): AsyncIterable<Uint8Array>;
  /** True when standard error is a terminal (progress bars are drawn only then). */
  readonly errIsTty?: boolean;
}

/** The process's real streams. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  outBytes: (bytes) => void process.stdout.write(bytes),
  err: (text) => void process.stderr.write(text),
  // Asked of the descriptor: making process.stderr (a stream) only to ask took 5 ms of a run's start-up.
  get errIsTty() {
    return isatty(2);
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  },
  stdinChunks: async function* () {
    for await (const chunk of process.stdin) yield chunk as Buffer;
  },
};
