/**
 * The ELF object loader: parsing, BTF, relocations, program linking, maps.
 * @module
 */
export * from './reader.js';
export * from './btf.js';
export * from './btf-ext.js';
export * from './link.js';
export * from './loader.js';
