/**
 * Iterator programs in `tsbpf run --event`: showing the event file's `objects` one after the other and
 * then making the last (NULL) call, as one read() of the iterator's file reads them (an object whose
 * output overflows the seq_file is shown again once the output is drained, as the kernel does), and
 * printing what the program wrote: text as it is, anything else as a hex dump.
 * @module
 */
import type { ProgramRunner, TracingResult, TracingRunOptions } from '../context/runner.js';
import type { TracingEvent } from '../context/tracing.js';
import { ErrorCode, ExecutionError } from '../errors.js';
import { DEFAULT_SEQ_BYTES, MAX_SEQ_BYTES, SeqOutput } from '../helpers/seq.js';

/** An iterator shown over objects. */
export interface Iteration {
  /** The result of the last (NULL) call. */
  readonly last: TracingResult;
  /** r0 of every run, the objects' then the last call's (a retried object once). */
  readonly r0: readonly bigint[];
  /** Everything written, across the read()s. */
  readonly output: Uint8Array;
  /** How many read()s of 32 KiB it took. */
  readonly reads: number;
}

/** Show `objects` (their fields), then make the last call; the whole output is at most {@link MAX_SEQ_BYTES}. */
export function iterate(runner: ProgramRunner, event: TracingEvent, objects: readonly (readonly bigint[])[], options: TracingRunOptions): Iteration {
  const seq = new SeqOutput();
  const chunks: Uint8Array[] = [];
  const r0: bigint[] = [];
  let total = 0;
  let last: TracingResult | undefined;
  const drain = (): void => {
    const c = seq.drain();
    total += c.length;
    if (total > MAX_SEQ_BYTES) throw new ExecutionError(ErrorCode.UNSUPPORTED, `the iterator wrote more than ${MAX_SEQ_BYTES} bytes`);
    chunks.push(c);
  };
  for (let i = 0; i <= objects.length; i++) {
    const show = (): TracingResult => runner.runEvent({ ...event, args: objects[i] ?? [], seqNum: BigInt(i) }, { ...options, seq });
    let r = show();
    if (r.seqOverflow === true) {
      if (seq.length === 0) {
        throw new ExecutionError(ErrorCode.UNSUPPORTED, `object ${i} needs more than the seq_file's ${DEFAULT_SEQ_BYTES} bytes (the kernel's read() fails with E2BIG)`);
      }
      drain();
      r = show();
      if (r.seqOverflow === true) throw new ExecutionError(ErrorCode.UNSUPPORTED, `object ${i} needs more than the seq_file's ${DEFAULT_SEQ_BYTES} bytes (the kernel's read() fails with E2BIG)`);
    }
    r0.push(r.r0);
    last = r;
  }
  drain();
  const output = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    output.set(c, at);
    at += c.length;
  }
  return { last: last!, r0, output, reads: chunks.length };
}

const DECODER = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as text when they are UTF-8 with no control characters but tab, newline and carriage return. */
function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = DECODER.decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text) ? undefined : text;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Bytes of a hex dump printed at most. */
const DUMP_BYTES = 4096;

/** The report's lines for an iterator run ('' for other programs). */
export function formatSeq(last: TracingResult, iteration: Iteration | undefined): string {
  const bytes = iteration?.output ?? last.seq;
  if (bytes === undefined) return '';
  let out = '';
  if (iteration !== undefined) {
    const same = iteration.r0.every((r) => r === iteration.r0[0]);
    const list = iteration.r0.slice(0, 32).join(', ') + (iteration.r0.length > 32 ? ', ...' : '');
    out += `runs: ${iteration.r0.length} (the objects, then the last call), ${iteration.reads} read()${iteration.reads === 1 ? '' : 's'} of the seq_file; r0 ${same ? `${iteration.r0[0]} on every run` : `by run: ${list}`}\n`;
  } else if (last.seqOverflow === true) {
    out += 'seq_file: the run overflowed the output, which was taken back (the kernel shows the object again)\n';
  }
  const text = asText(bytes);
  out += `seq_file: ${bytes.length} byte${bytes.length === 1 ? '' : 's'}${bytes.length === 0 ? '' : text !== undefined ? ':' : ' (not text):'}\n`;
  if (bytes.length === 0) return out;
  if (text !== undefined) return out + text + (text.endsWith('\n') ? '' : '\n');
  for (let at = 0; at < Math.min(bytes.length, DUMP_BYTES); at += 16) {
    out += `  ${at.toString(16).padStart(6, '0')}  ${hex(bytes.subarray(at, at + 16)).replace(/(..)(?!$)/g, '$1 ')}\n`;
  }
  if (bytes.length > DUMP_BYTES) out += `  ... ${bytes.length - DUMP_BYTES} more bytes (--json gives them all)\n`;
  return out;
}

/** The JSON report's fields for an iterator run (none for other programs). */
export function seqJson(last: TracingResult, iteration: Iteration | undefined): Record<string, unknown> {
  const bytes = iteration?.output ?? last.seq;
  if (bytes === undefined) return {};
  const text = asText(bytes);
  return {
    seq: { bytes: bytes.length, ...(text === undefined ? {} : { text }), hex: hex(bytes) },
    ...(iteration === undefined ? { seqOverflow: last.seqOverflow === true } : { runs: iteration.r0.map(String), reads: iteration.reads }),
  };
}
