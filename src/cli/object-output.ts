/**
 * What a loaded object's programs sent to the host besides maps — ring buffer and perf event records —
 * drained after each run, so the object's bounded buffers never fill because nobody reads them, and
 * reported with what was dropped.
 * @module
 */
import type { BpfObject } from '../elf/loader.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { PerfEventArrayMap } from '../maps/special.js';
import { formatMapDump, type MapDump } from './object-maps.js';

/** Records one event map delivered, and how many it dropped (its buffer was full). */
export interface EventCount {
  /** Map name. */
  readonly map: string;
  /** `ringbuf` or `perf_event_array`. */
  readonly type: string;
  /** Records drained. */
  records: number;
  /** Records the program could not send because the buffer was full. */
  dropped: number;
}

/**
 * Drains every ring buffer and perf event array of an object after each run, counting records per map
 * (the maps are listed once: an object without event maps costs nothing per run).
 */
export class EventDrain {
  /** One entry per event map, in the object's map order. */
  readonly counts: EventCount[] = [];
  private readonly maps: (RingBufMap | PerfEventArrayMap)[] = [];

  constructor(obj: BpfObject) {
    for (const m of obj.maps.values()) {
      if (m instanceof RingBufMap || m instanceof PerfEventArrayMap) {
        this.maps.push(m);
        this.counts.push({ map: m.name, type: m instanceof RingBufMap ? 'ringbuf' : 'perf_event_array', records: 0, dropped: 0 });
      }
    }
  }

  /** Take what every event map holds, adding to the counts. */
  drain(): void {
    for (let i = 0; i < this.maps.length; i++) {
      const m = this.maps[i]!;
      const c = this.counts[i]!;
      if (m instanceof RingBufMap ? m.query(0) !== 0n : m.pendingRecords !== 0) c.records += m.drain().length;
      c.dropped = m.dropped;
    }
  }
}

/** `events: NAME (TYPE): N records, M dropped` lines for the maps that had any. */
export function formatEvents(counts: Iterable<EventCount>): string {
  let text = '';
  for (const c of counts) {
    if (c.records === 0 && c.dropped === 0) continue;
    text += `events: ${c.map} (${c.type}): ${c.records} ${c.records === 1 ? 'record' : 'records'}, ${c.dropped} dropped\n`;
  }
  return text;
}

/** The trace summary's tail: ` (N dropped: the trace buffer was full)` when lines were lost, else ''. */
export function traceDroppedNote(obj: BpfObject): string {
  return obj.traceDropped > 0 ? ` (${obj.traceDropped} dropped: the trace buffer was full)` : '';
}

/**
 * The part every run report ends with: the maps' contents, the `bpf_trace_printk` lines (and how many
 * the object's buffer dropped), the event maps' counts.
 */
export function formatRunOutputs(obj: BpfObject, maps: readonly MapDump[], trace: readonly string[], events: Iterable<EventCount>): string {
  let text = '';
  if (maps.length > 0) {
    text += 'maps:\n';
    for (const m of maps) text += formatMapDump(m);
  }
  for (const line of trace) text += `trace_printk: ${line}\n`;
  if (obj.traceDropped > 0) text += `trace_printk: ${obj.traceDropped} dropped (the trace buffer was full)\n`;
  return text + formatEvents(events);
}

/** The same part of a `--json` report: the maps, the trace lines, how many the buffer dropped, the event counts. */
export function runOutputsJson(obj: BpfObject, maps: readonly MapDump[], trace: readonly string[], events: readonly EventCount[]): { maps: readonly MapDump[]; trace: readonly string[]; traceDropped: number; events: readonly EventCount[] } {
  return { maps, trace, traceDropped: obj.traceDropped, events };
}
