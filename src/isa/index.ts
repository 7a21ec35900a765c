/**
 * The eBPF instruction set: opcode numbers, instruction slots and their meaning.
 * @module
 */
export * from './opcodes.js';
export * from './instruction.js';
export * from './operation.js';
