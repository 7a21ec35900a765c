/**
 * Assembler (rbpf, bpf_conformance and LLVM syntax), disassembler and instruction builder.
 * The builder's `Source`, `Arch`, `Endian`, `MemSize`, `Cond` would clash with the ISA's `Source`,
 * so they are reached through the `builder` namespace (`builder.Source.Imm`). Entry point `tsbpf/asm`.
 * @module
 */
export { assemble } from './assembler.js';
export { disassemble, disassembleInsns, type DisassembleOptions, type DisassembledInsn } from './disassembler.js';
export { BpfCode, InsnBuilder } from './builder.js';
export * as builder from './builder.js';
