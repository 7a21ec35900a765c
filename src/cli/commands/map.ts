/**
 * `tsbpf map dump|lookup|update|delete OBJ.o NAME …`: an object's maps without running a program, on
 * a saved map state (`--state FILE.json`, which `run --save-maps` writes), as `bpftool map` works on a
 * pinned map. `update` and `delete` write the state back.
 * @module
 */
import { existsSync } from 'node:fs';
import type { BpfObject } from '../../elf/loader.js';
import { EbpfError } from '../../errors.js';
import { UsageError, flag, parseArgs, stringOption } from '../args.js';
import { decodeValue, encodeValue, formatValue, type JsonValue } from '../btf-values.js';
import type { Command } from '../command.js';
import { InputError, parseHex, readProgramArg } from '../input.js';
import { mapState, restoreMaps, saveMapState } from '../map-state.js';
import { dumpMap, dumpMaps, formatMapDump, isGlobalData, mapTypes, preloadEntries } from '../object-maps.js';
import { loadForListing } from '../program.js';

const ACTIONS = ['dump', 'lookup', 'update', 'delete'] as const;

/** A KEY or VALUE argument: hex bytes with `--hex`, else JSON (`6`, `{"packets": 1}`) or a bare string (`10.0.0.1`, `0x7b`). */
function valueArg(text: string, hex: boolean, what: string): JsonValue | Uint8Array {
  if (hex) return parseHex(text, what);
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function bytesOf(v: JsonValue | Uint8Array, type: Parameters<typeof encodeValue>[0], what: string): Uint8Array {
  if (v instanceof Uint8Array) {
    if (v.length !== type.size) throw new InputError(`${what}: ${v.length} bytes given, the map's ${what} is ${type.size} bytes`);
    return v;
  }
  return encodeValue(type, v, what);
}

function mapOf(obj: BpfObject, name: string, file: string) {
  const map = obj.maps.get(name);
  if (map === undefined) throw new InputError(`${file}: no map named ${name}; maps: ${[...obj.maps.keys()].join(', ') || 'none'}`);
  return map;
}

/** The `map` command. */
export const mapCommand: Command = {
  name: 'map',
  summary: "dump, look up, update or delete map entries of an object on a saved map state (bpftool map's verbs)",
  options: { state: { type: 'string' }, hex: { type: 'boolean' }, json: { type: 'boolean' }, out: { type: 'string' } },
  help: `Usage: tsbpf map dump OBJ.o [NAME] [--state FILE.json] [--json]
       tsbpf map lookup OBJ.o NAME KEY [--state FILE.json] [--hex] [--json]
       tsbpf map update OBJ.o NAME KEY VALUE --state FILE.json [--out FILE.json] [--hex]
       tsbpf map delete OBJ.o NAME KEY --state FILE.json [--out FILE.json] [--hex]

An object's maps without running a program. The maps start as the object declares them (global data
with its initial values) and, with --state, hold what a map state file says: the file
'tsbpf run ... --save-maps FILE.json' writes after a run. update and delete write the state back
(to --out FILE.json when given, else to the --state file, created when missing), so the next
'tsbpf run ... --map FILE.json' starts from it, as a pinned map outlives a program in the kernel.

KEY and VALUE are JSON, typed by the map's BTF where the object has it: integers as numbers or strings
("123", "0x7b", "-1"), __be16/__be32 in host order, 4-byte values also as dotted IPv4 ("10.0.0.1"),
structs as objects by field name ('{"packets": 1, "bytes": 60}'; missing fields are 0), arrays as
JSON arrays, and values wider than 8 bytes as a hex string ("0x0a000001"). Global data (.bss, .data)
has the key 0 and an object of variables as its value. With --hex, KEY and VALUE are the raw bytes
in hex instead ("06 00 00 00"), as bpftool's 'key hex' takes them.

Map state file: {"format": "tsbpf-map-state", "version": 1, "maps": {"NAME": [{"key": K, "value": V},
...]}} with keys and values as above; maps whose contents are not kept (ring buffers, perf event
arrays, per-CPU and program arrays) are listed under "skipped".

Options:
  --state FILE.json  the map state to start from (and, for update / delete, to write back)
  --out FILE.json    update / delete: write the new state here instead of to --state
  --hex              KEY and VALUE are hex bytes
  --json             print JSON (dump: the maps as run --json reports them; lookup: the value)

Exit status: 0 on success, 1 when lookup or delete finds no such key or on any other failure, 2 on
usage errors.

Example:
  $ tsbpf run examples/xdp_firewall.o -r examples/traffic.pcap --save-maps state.json
  $ tsbpf map lookup examples/xdp_firewall.o proto_stats 6 --state state.json
  { packets: 5, bytes: 270 }
  $ tsbpf map update examples/xdp_firewall.o proto_stats 6 '{"packets": 0, "bytes": 0}' --state state.json
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [action, objArg, name, key, value, ...extra] = args.positionals;
    if (action === undefined) throw new UsageError(`missing ACTION: one of ${ACTIONS.join(', ')}`);
    if (!(ACTIONS as readonly string[]).includes(action)) {
      const near = ACTIONS.find((a) => a.startsWith(action.slice(0, 2)));
      throw new UsageError(`unknown action '${action}'; actions: ${ACTIONS.join(', ')}${near === undefined ? '' : ` (did you mean '${near}'?)`}`);
    }
    if (objArg === undefined) throw new UsageError('missing OBJ.o');
    const needs = { dump: 0, lookup: 2, update: 3, delete: 2 }[action as (typeof ACTIONS)[number]];
    const given = [name, key, value].filter((x) => x !== undefined).length;
    if (extra.length > 0 || given > Math.max(needs, 1)) throw new UsageError(`unexpected argument '${extra[0] ?? [name, key, value][Math.max(needs, 1)]}'`);
    if (given < needs) throw new UsageError(`missing ${['NAME', 'KEY', 'VALUE'][given]}`);
    const state = stringOption(args, 'state');
    const outPath = stringOption(args, 'out');
    const writes = action === 'update' || action === 'delete';
    if (writes && state === undefined && outPath === undefined) {
      throw new UsageError(`${action} needs --state FILE.json (or --out FILE.json): the map state to change and write back`);
    }
    if (!writes && outPath !== undefined) throw new UsageError('--out applies to update and delete');
    const hex = flag(args, 'hex');
    if (hex && action === 'dump') throw new UsageError('--hex applies to lookup, update and delete');
    const input = await readProgramArg(objArg, io);
    if (input.format !== 'elf') throw new InputError(`${input.name}: not an ELF object (map reads clang-built .o files)`);
    const { obj } = loadForListing(input.bytes);
    // A state file that does not exist yet is an empty state for update / delete (they create it).
    if (state !== undefined && (!writes || existsSync(state))) restoreMaps(obj, undefined, state);
    const json = flag(args, 'json');
    if (action === 'dump') {
      const dumps = name === undefined ? dumpMaps(obj) : [dumpMap(obj, mapOf(obj, name, input.name))];
      io.out(json ? `${JSON.stringify(name === undefined ? dumps : dumps[0], null, 2)}\n` : dumps.map(formatMapDump).join(''));
      return 0;
    }
    const map = mapOf(obj, name!, input.name);
    const types = mapTypes(obj, map);
    const keyBytes = bytesOf(valueArg(key!, hex, 'key'), types.key, 'key');
    try {
      if (action === 'lookup') {
        const found = map.lookup(keyBytes);
        if (found === undefined) {
          io.err(`tsbpf map: ${name}: no entry for key ${key}\n`);
          return 1;
        }
        const entry = dumpMap(obj, map).entries.find((e) => formatValue(e.key) === formatValue(decodeValue(types.key, keyBytes)));
        const shown = entry?.value ?? decodeValue(types.value, found);
        io.out(json ? `${JSON.stringify(shown, null, 2)}\n` : `${formatValue(shown)}\n`);
        return 0;
      }
      if (action === 'update') {
        if (isGlobalData(map.name) && !hex) {
          // Global data: VALUE names variables, the rest keep their values.
          preloadEntries(obj, map.name, [{ key: valueArg(key!, false, 'key') as JsonValue, value: valueArg(value!, false, 'value') as JsonValue }], 'value');
        } else {
          map.update(keyBytes, bytesOf(valueArg(value!, hex, 'value'), types.value, 'value'));
        }
      } else if (map.lookup(keyBytes) === undefined || !map.delete(keyBytes)) {
        io.err(`tsbpf map: ${name}: no entry for key ${key}\n`);
        return 1;
      }
    } catch (e) {
      if (e instanceof EbpfError) throw new InputError(`${name}: ${e.message}`);
      throw e;
    }
    const target = outPath ?? state!;
    saveMapState(obj, target);
    const saved = mapState(obj).maps[map.name]?.length;
    io.out(`${action === 'update' ? 'updated' : 'deleted'} ${name}[${key}]; wrote the state to ${target}${saved === undefined ? '' : ` (${name}: ${saved} ${saved === 1 ? 'entry' : 'entries'})`}\n`);
    return 0;
  },
};
