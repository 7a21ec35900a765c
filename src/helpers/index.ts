/**
 * Helpers programs can call: rbpf's built-ins (`rbpf.ts`, rbpf's ids) and the kernel-numbered helpers
 * (`kernel.ts`, uapi ids, for programs compiled for the kernel).
 * @module
 */
export * from './rbpf.js';
export * from './kernel.js';
export * from './packet.js';
export { DEFAULT_TRACE_BUFFER_BYTES, TRACE_LINE_MAX } from './trace-log.js';
export { FIB_LOOKUP, FIB_PARAMS_SIZE, FibLookupFlag, FibResult } from './fib.js';
export { Fib, type FibDescription, type FibInterface, type FibNeighbour, type FibRoute } from './fib-table.js';
export { TunnelFlag, TunnelHelper, type TunnelKey } from './tunnel.js';
