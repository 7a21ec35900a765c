/**
 * `tsbpf conformance-plugin`: the plugin protocol of bpf_conformance's runner
 * (`bpf_conformance_runner --plugin_path tsbpf --plugin_options "conformance-plugin [--jit]"`).
 *
 * The runner writes the program as hex on stdin and passes the memory as hex (each byte followed by two
 * spaces) as the first argument, omitted when empty. On success the plugin prints r0 in hex and exits 0;
 * on failure it prints the error and exits 1. The VM is set up exactly as the in-process conformance runner
 * sets it up (`conformanceVm`): an EbpfVmRaw (r1 = memory, r2 = its length) with helper 5 returning its r1
 * and unwinding on 0.
 * @module
 */
import { conformanceVm } from '../../vm/conformance.js';
import { expectPositionals, flag, parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { InputError, parseHex } from '../input.js';
import { execute } from '../jit.js';

/** The `conformance-plugin` command. */
export const conformancePluginCommand: Command = {
  name: 'conformance-plugin',
  summary: "run one program the way bpf_conformance's plugin protocol asks (program hex on stdin)",
  options: { jit: { type: 'boolean' }, interpret: { type: 'boolean' } },
  help: `Usage: tsbpf conformance-plugin [MEMHEX] [--jit]

Speak the plugin protocol of bpf_conformance_runner: read the program as hex from stdin, take the
input memory as hex bytes in MEMHEX (omitted when empty), run, and print r0 in hex. Exits 0 on
success, 1 when the program is rejected or fails (the error goes to stderr).

Options:
  --jit        compile to WebAssembly instead of interpreting
  --interpret  interpret (the default; accepted for runner scripts written for uBPF)

Example:
  $ echo 71100000000000009500000000000000 | tsbpf conformance-plugin "2a  "
  0x2a
  $ bpf_conformance_runner --test_file_directory tests --plugin_path tsbpf \\
      --plugin_options "conformance-plugin --jit"
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    const [memHex] = expectPositionals(args, ['MEMHEX'], 1);
    const mem = memHex === undefined ? new Uint8Array(0) : parseHex(memHex, 'memory hex');
    const text = new TextDecoder().decode(await io.readStdin());
    if (text.trim() === '') throw new InputError('no program on stdin (expected the program as hex text)');
    const program = parseHex(text, 'program hex on stdin');
    const vm = conformanceVm({ name: '<stdin>', program, mem, result: 0n, cpuVersion: 4, groups: [] });
    const r0 = execute(vm, mem, flag(args, 'jit') && !flag(args, 'interpret'));
    io.out(`0x${r0.toString(16)}\n`);
    return 0;
  },
};
