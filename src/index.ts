/**
 * tsbpf: a user-space eBPF virtual machine in TypeScript.
 * @module
 */
export * from './errors.js';
export * from './isa/index.js';
export * from './vm/memory.js';
export * from './vm/program.js';
export * from './vm/environment.js';
export * from './vm/vm.js';
export { Interpreter } from './vm/interpreter.js';
export * from './vm/conformance.js';
export * from './helpers/index.js';
