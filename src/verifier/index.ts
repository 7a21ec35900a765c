/**
 * The default verifier and control-flow analysis.
 * @module
 */
export * from './issues.js';
export * from './verifier.js';
export * from './cfg.js';
