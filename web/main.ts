/**
 * The playground page: wires the controls of index.html to the model (model.ts) and renders what it
 * returns. All text from programs, objects and captures goes into the page as text nodes, never as
 * markup, so a hostile object's names or trace lines cannot inject anything.
 * @module
 */
import firewallObject from '../examples/xdp_firewall.o';
import exampleCapture from '../examples/traffic.pcap';
import { readPackets } from '../src/pcap/index.js';
import { formatValue } from '../src/cli/btf-values.js';
import { KERNEL_PROGRAM_TYPES, MAX_STEPS, Workspace, describePacket, errorView, parseHexBytes, stackAt, type ErrorView, type ListingLine, type MapDump, type Recording } from './model.js';

/** The assembly example: LLVM syntax, counting bytes of the input equal to its first byte. */
const ASM_EXAMPLE = `# r1 = input bytes, r2 = their length (a raw run); LLVM, rbpf and uBPF syntax all work.
  r0 = 0
  if r2 == 0 goto done
  r3 = *(u8 *)(r1 + 0)      # the byte to count
  r4 = 0                    # index
loop:
  r5 = r1
  r5 += r4
  r6 = *(u8 *)(r5 + 0)
  if r6 != r3 goto next
  r0 += 1
next:
  r4 += 1
  if r4 < r2 goto loop
done:
  exit
`;

function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`the page has no #${id}`);
  return e;
}
const editor = $('asm-editor') as HTMLTextAreaElement;
const checkAs = $('check-as') as HTMLSelectElement;
const programSelect = $('program-select') as HTMLSelectElement;
const packetHex = $('packet-hex') as HTMLTextAreaElement;
const packetSelect = $('packet-select') as HTMLSelectElement;
const budgetInput = $('budget') as HTMLInputElement;

/** Page state. */
const state: {
  ws: Workspace | undefined;
  packets: Uint8Array[];
  breakpoints: Set<number>;
  rec: Recording | undefined;
  /** Index of the last executed step (-1: none yet). */
  at: number;
  busy: boolean;
} = { ws: undefined, packets: [], breakpoints: new Set(), rec: undefined, at: -1, busy: false };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls !== undefined) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function setStatus(id: string, text: string, kind: 'ok' | 'bad' | '' = ''): void {
  const e = $(id);
  e.textContent = text;
  e.className = `status ${kind}`;
}

function errorText(e: ErrorView): string {
  return `${e.code}: ${e.message}`;
}

function hexDump(bytes: Uint8Array, base = 0): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = [...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0'));
    lines.push(`${(base + i).toString(16).padStart(4, '0')}  ${row.slice(0, 8).join(' ')}  ${row.slice(8).join(' ')}`);
  }
  return lines.join('\n');
}

function settings(): { jit: boolean; budget: number } {
  const jit = (document.querySelector('input[name=engine]:checked') as HTMLInputElement | null)?.value === 'jit';
  const b = Math.floor(Number(budgetInput.value));
  return { jit, budget: Number.isFinite(b) && b >= 1 ? Math.min(b, 1_000_000_000) : 1_000_000 };
}

function currentProgram(): string | undefined {
  return state.ws?.programs.find((p) => p.name === programSelect.value)?.name;
}

function currentPacket(): Uint8Array {
  return parseHexBytes(packetHex.value);
}

// ---- program source ----

function useWorkspace(ws: Workspace, what: string): void {
  state.ws = ws;
  closeDebugger();
  programSelect.replaceChildren(...ws.programs.map((p) => {
    const o = el('option', undefined, p.section === '' ? p.name : `${p.name} (${p.section}, ${p.kind})`);
    o.value = p.name;
    return o;
  }));
  state.breakpoints.clear();
  const kinds = ws.programs.map((p) => `${p.name}: ${p.verdict.summary}`).join('\n');
  setStatus('load-status', `${what}: ${ws.programs.length} program(s)\n${kinds}`, ws.programs.every((p) => p.verdict.accepted) ? 'ok' : 'bad');
  renderListing();
  renderMaps(ws.maps());
  setStatus('result', '');
  $('capture-result').replaceChildren();
  $('trace-output').textContent = '';
  $('packet-out').textContent = '';
}

function loadFailed(what: string, e: unknown): void {
  state.ws = undefined;
  programSelect.replaceChildren();
  $('listing').replaceChildren();
  setStatus('verifier-summary', '');
  setStatus('load-status', `${what}: ${errorText(errorView(e))}`, 'bad');
}

function assembleEditor(): void {
  try {
    const type = checkAs.value === 'shape' ? 'shape' : (checkAs.value as (typeof KERNEL_PROGRAM_TYPES)[number]);
    useWorkspace(Workspace.fromAssembly(editor.value, type), 'assembled');
  } catch (e) {
    loadFailed('assembly', e);
  }
}

function openObject(bytes: Uint8Array, name: string): void {
  try {
    useWorkspace(Workspace.fromObject(bytes), name);
  } catch (e) {
    loadFailed(name, e);
  }
}

/** Open a dropped or chosen file by its contents: ELF object, capture, or assembly text. */
async function openFile(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (magic === '7f454c46') return openObject(bytes, file.name);
  if (['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d', '0a0d0d0a'].includes(magic)) return openCapture(bytes, file.name);
  editor.value = new TextDecoder().decode(bytes);
  assembleEditor();
}

// ---- listing, verifier findings, breakpoints ----

function sourceKey(l: ListingLine): string | undefined {
  return l.source === undefined ? undefined : `${l.source.file}:${l.source.line}`;
}

/** Most listing lines drawn (a 1,000,000-instruction program would make the tab crawl). */
const MAX_LISTING = 20_000;

function renderListing(): void {
  const list = $('listing');
  const name = currentProgram();
  const p = state.ws?.programs.find((x) => x.name === name);
  if (p === undefined) {
    list.replaceChildren();
    setStatus('verifier-summary', '');
    return;
  }
  setStatus('verifier-summary', [`${p.name}: ${p.verdict.summary}`, ...p.verdict.general].join('\n'), p.verdict.accepted ? 'ok' : 'bad');
  const rows: HTMLElement[] = [];
  let lastSource: string | undefined;
  for (const l of p.listing.slice(0, MAX_LISTING)) {
    if (l.functionName !== undefined) rows.push(el('div', 'fn', `${l.functionName}:`));
    const key = sourceKey(l);
    if (key !== undefined && key !== lastSource) {
      const src = el('div', 'src', `${l.source!.file}:${l.source!.line}: ${l.source!.text.trim()}`);
      src.dataset['source'] = key;
      rows.push(src);
      lastSource = key;
    }
    const row = el('div', 'line');
    row.dataset['pc'] = String(l.pc);
    row.append(el('span', 'gutter'), el('span', 'pc', String(l.pc)), el('span', 'text', l.text));
    rows.push(row);
    for (const issue of l.issues) rows.push(el('div', `issue ${issue.severity}`, `^ ${issue.severity}: ${issue.message}`));
  }
  if (p.listing.length > MAX_LISTING) rows.push(el('div', 'issue warning', `... ${p.listing.length - MAX_LISTING} more instructions not shown`));
  list.replaceChildren(...rows);
  paintListing();
}

/** Breakpoint marks and the current line. */
function paintListing(): void {
  const next = nextPc();
  let current: HTMLElement | undefined;
  for (const row of Array.from($('listing').querySelectorAll<HTMLElement>('.line'))) {
    const pc = Number(row.dataset['pc']);
    row.querySelector('.gutter')!.className = state.breakpoints.has(pc) ? 'gutter bp' : 'gutter';
    row.classList.toggle('current', pc === next);
    if (pc === next) current = row;
  }
  current?.scrollIntoView({ block: 'nearest' });
}

function toggleBreakpoints(pcs: number[]): void {
  const on = !pcs.every((pc) => state.breakpoints.has(pc));
  for (const pc of pcs) {
    if (on) state.breakpoints.add(pc);
    else state.breakpoints.delete(pc);
  }
  paintListing();
}

$('listing').addEventListener('click', (ev) => {
  const target = (ev.target as HTMLElement).closest<HTMLElement>('.line, .src');
  if (target === null) return;
  if (target.classList.contains('line')) return toggleBreakpoints([Number(target.dataset['pc'])]);
  const p = state.ws?.programs.find((x) => x.name === currentProgram());
  const key = target.dataset['source'];
  if (p !== undefined && key !== undefined) toggleBreakpoints(p.listing.filter((l) => sourceKey(l) === key).map((l) => l.pc));
});

// ---- input ----

function openCapture(bytes: Uint8Array, name: string): void {
  try {
    state.packets = readPackets(bytes).map((p) => p.data);
  } catch (e) {
    state.packets = [];
    packetSelect.replaceChildren();
    setStatus('result', `${name}: ${errorText(errorView(e))}`, 'bad');
    return;
  }
  const shown = state.packets.slice(0, 5000);
  packetSelect.replaceChildren(...shown.map((p, i) => {
    const o = el('option', undefined, `${String(i + 1).padStart(4)}  ${describePacket(p)}`);
    o.value = String(i);
    return o;
  }));
  if (state.packets.length > shown.length) packetSelect.append(el('option', undefined, `... ${state.packets.length - shown.length} more (Run capture runs them all)`));
  setStatus('result', `${name}: ${state.packets.length} packets`);
  selectPacket(0);
}

function selectPacket(i: number): void {
  const p = state.packets[i];
  if (p === undefined) return;
  packetSelect.value = String(i);
  packetHex.value = hexDump(p).split('\n').map((l) => l.slice(6)).join('\n');
}

packetSelect.addEventListener('change', () => selectPacket(Number(packetSelect.value)));

// ---- running ----

function renderMaps(maps: readonly MapDump[]): void {
  const box = $('maps');
  if (maps.length === 0) {
    box.replaceChildren(el('p', 'hint', 'no maps'));
    return;
  }
  box.replaceChildren(...maps.map((m) => {
    const t = el('table');
    t.dataset['map'] = m.name;
    const cap = el('caption', undefined, `${m.name} (${m.type}, key ${m.keyType}, value ${m.valueType}): ${m.note ?? `${m.entries.length} entries`}`);
    const head = el('tr');
    head.append(el('th', undefined, 'key'), el('th', undefined, 'value'));
    t.append(cap, head);
    for (const e of m.entries.slice(0, 500)) {
      const r = el('tr');
      r.append(el('td', undefined, formatValue(e.key)), el('td', undefined, formatValue(e.value)));
      t.append(r);
    }
    return t;
  }));
}

async function guarded(task: () => Promise<void>): Promise<void> {
  if (state.busy) return;
  state.busy = true;
  document.body.classList.add('busy');
  try {
    await task();
  } catch (e) {
    setStatus('result', errorText(errorView(e)), 'bad');
  } finally {
    state.busy = false;
    document.body.classList.remove('busy');
  }
}

async function runPacket(): Promise<void> {
  const name = currentProgram();
  if (state.ws === undefined || name === undefined) return setStatus('result', 'open or assemble a program first', 'bad');
  const input = currentPacket();
  const s = settings();
  const r = await state.ws.run(name, input, s);
  const engine = s.jit ? 'JIT' : 'interpreter';
  if (r.ok) setStatus('result', `verdict = ${r.verdict}   r0 = ${r.r0}   (${engine}, ${r.ms.toFixed(2)} ms)`, 'ok');
  else setStatus('result', `error ${errorText(r.error!)}   (${engine})`, 'bad');
  $('capture-result').replaceChildren();
  $('trace-output').textContent = r.trace.join('\n');
  $('packet-out').textContent = r.changed ? hexDump(r.packet) : r.ok ? '(unchanged)' : '';
  renderMaps(r.maps);
}

async function runCapture(): Promise<void> {
  const name = currentProgram();
  if (state.ws === undefined || name === undefined) return setStatus('result', 'open or assemble a program first', 'bad');
  if (state.packets.length === 0) return setStatus('result', 'open a capture first (or use Run packet)', 'bad');
  const s = settings();
  const total = state.packets.length;
  const c = await state.ws.runCapture(name, state.packets, s, async (done) => {
    setStatus('result', `running: ${done} of ${total} packets`);
    await new Promise((r) => setTimeout(r, 0));
  });
  setStatus('result', `${c.packets} packets in ${c.ms.toFixed(1)} ms (${s.jit ? 'JIT' : 'interpreter'})`, c.firstErrors.length === 0 ? 'ok' : 'bad');
  const t = el('table');
  t.id = 'verdict-table';
  const head = el('tr');
  head.append(el('th', undefined, 'verdict'), el('th', undefined, 'packets'));
  t.append(head);
  for (const [v, n] of [...c.verdicts].sort((a, b) => b[1] - a[1])) {
    const r = el('tr');
    r.append(el('td', undefined, v), el('td', undefined, String(n)));
    t.append(r);
  }
  const errors = c.firstErrors.map((f) => el('div', 'bad', `packet ${f.packet}: ${errorText(f.error)} (select it and Debug packet)`));
  $('capture-result').replaceChildren(t, ...errors);
  $('trace-output').textContent = c.trace.join('\n');
  $('packet-out').textContent = '';
  renderMaps(c.maps);
}

// ---- debugger ----

function nextPc(): number | undefined {
  const rec = state.rec;
  if (rec === undefined) return undefined;
  return rec.steps[state.at + 1]?.pc;
}

function closeDebugger(): void {
  state.rec = undefined;
  state.at = -1;
  $('debug-bar').hidden = true;
  $('debug-views').hidden = true;
  if (state.ws !== undefined) paintListing();
}

function startDebugger(): void {
  const name = currentProgram();
  if (state.ws === undefined || name === undefined) return setStatus('result', 'open or assemble a program first', 'bad');
  state.rec = state.ws.record(name, currentPacket(), settings());
  state.at = -1;
  $('debug-bar').hidden = false;
  $('debug-views').hidden = false;
  const first = state.rec.steps[0];
  if (state.breakpoints.size > 0 && first !== undefined && !state.breakpoints.has(first.pc)) continueRun();
  else renderDebugger();
}

function renderDebugger(): void {
  const rec = state.rec;
  if (rec === undefined) return;
  const step = rec.steps[state.at];
  const regs = step?.registers ?? rec.start;
  const changed = new Set(step?.changed ?? []);
  const t = el('table');
  for (let r = 0; r <= 10; r++) {
    const row = el('tr');
    const v = regs[r] ?? 0n;
    const value = el('td', changed.has(r) ? 'changed' : undefined, `0x${v.toString(16)}`);
    row.append(el('th', undefined, `r${r}`), value, el('td', undefined, BigInt.asIntN(64, v).toString()));
    t.append(row);
  }
  $('registers').replaceChildren(t);
  const stack = stackAt(rec, state.at);
  let used = 0;
  while (used < stack.length && stack[used] === 0) used++;
  const from = Math.max(0, Math.min(used, stack.length - 16) & ~15);
  $('stack').textContent = `stack (r10 = 0x${rec.frame.toString(16)}; offsets from r10; instruction stores only)\n` +
    hexDump(stack.subarray(from)).split('\n').map((l, i) => `r10-${String(stack.length - from - 16 * i).padStart(3)}${l.slice(4)}`).join('\n');
  const total = rec.steps.length;
  const next = rec.steps[state.at + 1];
  let status: string;
  if (next !== undefined) status = `step ${state.at + 1} of ${total}: next pc ${next.pc}`;
  else if (rec.end.kind === 'exit') status = `finished after ${total} instructions: verdict = ${rec.end.verdict}, r0 = ${rec.end.r0}`;
  else if (rec.end.kind === 'error') status = `stopped after ${total} instructions: ${errorText(rec.end.error)}`;
  else status = `recording cut at ${rec.end.limit} steps (at most ${MAX_STEPS} are kept)`;
  $('debug-status').textContent = status;
  paintListing();
}

function stepBy(delta: number): void {
  const rec = state.rec;
  if (rec === undefined) return;
  state.at = Math.max(-1, Math.min(rec.steps.length - 1, state.at + delta));
  renderDebugger();
}

function continueRun(): void {
  const rec = state.rec;
  if (rec === undefined) return;
  let i = state.at + 1;
  // Leave the breakpoint we are on, then stop before the next one (or at the end).
  while (i + 1 < rec.steps.length && !state.breakpoints.has(rec.steps[i + 1]!.pc)) i++;
  state.at = Math.min(i, rec.steps.length - 1);
  renderDebugger();
}

// ---- wiring ----

for (const t of ['shape', ...KERNEL_PROGRAM_TYPES]) {
  const o = el('option', undefined, t === 'shape' ? 'raw (shape checks)' : t);
  o.value = t;
  checkAs.append(o);
}
$('assemble').addEventListener('click', assembleEditor);
$('load-example').addEventListener('click', () => {
  openObject(firewallObject, 'xdp_firewall.o');
  if (state.packets.length === 0) openCapture(exampleCapture, 'traffic.pcap');
});
$('load-asm-example').addEventListener('click', () => {
  editor.value = ASM_EXAMPLE;
  assembleEditor();
  packetHex.value = '07 01 07 07 02 07';
});
$('load-example-pcap').addEventListener('click', () => openCapture(exampleCapture, 'traffic.pcap'));
programSelect.addEventListener('change', () => {
  closeDebugger();
  renderListing();
});
($('file-input') as HTMLInputElement).addEventListener('change', (ev) => {
  const f = (ev.target as HTMLInputElement).files?.[0];
  if (f !== undefined) void openFile(f);
});
($('pcap-input') as HTMLInputElement).addEventListener('change', (ev) => {
  const f = (ev.target as HTMLInputElement).files?.[0];
  if (f !== undefined) void f.arrayBuffer().then((b) => openCapture(new Uint8Array(b), f.name));
});
$('run').addEventListener('click', () => void guarded(runPacket));
$('run-capture').addEventListener('click', () => void guarded(runCapture));
$('debug').addEventListener('click', () => void guarded(async () => startDebugger()));
$('step').addEventListener('click', () => stepBy(1));
$('step-back').addEventListener('click', () => stepBy(-1));
$('continue').addEventListener('click', continueRun);
$('restart').addEventListener('click', () => {
  state.at = -1;
  renderDebugger();
});
$('stop-debug').addEventListener('click', closeDebugger);
document.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (ev) => {
  ev.preventDefault();
  document.body.classList.remove('dragging');
  const f = ev.dataTransfer?.files[0];
  if (f !== undefined) void openFile(f);
});

editor.value = ASM_EXAMPLE;
packetHex.value = '07 01 07 07 02 07';
assembleEditor();
document.body.dataset['ready'] = 'true';
