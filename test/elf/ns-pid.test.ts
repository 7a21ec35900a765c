/**
 * bpf_get_ns_current_pid_tgid (120) on libbpf-bootstrap's minimal_ns (test/corpus): the program asks
 * for its ids in the pid namespace named by the globals dev / ino and prints when the pid there equals
 * my_pid (all three 0 as loaded). A namespace the task is not in is -EINVAL with the ids zeroed (so pid
 * 0 matches and it prints); the task's described namespace gives its ids there. Both engines.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { ArgumentError } from '../../src/errors.js';

const OBJECT = new Uint8Array(readFileSync(new URL('../corpus/libbpf-bootstrap/examples/c/minimal_ns.bpf.o', import.meta.url)));

describe.each([false, true])('bpf_get_ns_current_pid_tgid (jit %s)', (jit) => {
  it('gives the ids in the task namespace dev / ino name, -EINVAL (zeroed) for any other', () => {
    const o = loadObject(OBJECT);
    const p = o.program('handle_tp');
    // No namespace described: nothing matches, the ids read 0 = my_pid, and the program prints.
    p.runEvent(undefined, { jit, task: { pid: 77 } });
    expect(o.drainTrace()).toEqual(['BPF triggered from PID 0.']);
    // The task's namespace is dev 0 / ino 0 (what the globals hold): pid 5 there, not my_pid.
    p.runEvent(undefined, { jit, task: { pid: 77, pidNamespace: { dev: 0n, ino: 0n, pid: 5 } } });
    expect(o.drainTrace()).toEqual([]);
    // Another namespace (ino 1): -EINVAL again, zeroed ids.
    p.runEvent(undefined, { jit, task: { pid: 77, pidNamespace: { dev: 0n, ino: 1n, pid: 5 } } });
    expect(o.drainTrace()).toEqual(['BPF triggered from PID 0.']);
    // pid defaults to the task's own: 0 matches my_pid.
    p.runEvent(undefined, { jit, task: { pid: 0, pidNamespace: { dev: 0n, ino: 0n } } });
    expect(o.drainTrace()).toEqual(['BPF triggered from PID 0.']);
  });

  it('refuses a malformed namespace', () => {
    const p = loadObject(OBJECT).program('handle_tp');
    expect(() => p.runEvent(undefined, { jit, task: { pid: 1, pidNamespace: { dev: 1, ino: 0n } as never } })).toThrow(ArgumentError);
    expect(() => p.runEvent(undefined, { jit, task: { pid: 1, pidNamespace: { dev: 0n, ino: 0n, pid: -1 } } })).toThrow(ArgumentError);
  });
});
