/**
 * Maps: their values live in the VM memory, so programs get real pointers.
 * @module
 */
export * from './types.js';
export * from './map.js';
export * from './array.js';
export * from './hash.js';
export * from './lpm.js';
export * from './queue.js';
export * from './ringbuf.js';
export * from './special.js';
export * from './create.js';
export * from './redirect.js';
