/**
 * The rules the kernel-level analysis reports, as stable ids.
 * @module
 */

/** Stable ids of the kernel-level analysis's problems. */
export type AnalysisRule =
  | 'uninit-register'
  | 'invalid-mem-access'
  | 'stack-access'
  | 'uninit-stack-read'
  | 'ctx-access'
  | 'packet-access'
  | 'map-value-access'
  | 'mem-access'
  | 'sock-access'
  | 'read-only-write'
  | 'pointer-arithmetic'
  | 'pointer-leak'
  | 'pointer-spill'
  | 'return-value'
  | 'unreleased-reference'
  | 'helper-unknown'
  | 'helper-argument'
  | 'helper-program-type'
  | 'map-reference'
  | 'unreachable'
  | 'unbounded-loop'
  | 'subprogram'
  | 'call-stack'
  | 'complexity'
  | 'callback'
  | 'spin-lock'
  | 'unsupported';

/** Every rule id, for documentation and tests. */
export const ANALYSIS_RULES: readonly AnalysisRule[] = [
  'uninit-register', 'invalid-mem-access', 'stack-access', 'uninit-stack-read', 'ctx-access', 'packet-access',
  'map-value-access', 'mem-access', 'sock-access', 'read-only-write', 'pointer-arithmetic', 'pointer-leak', 'pointer-spill',
  'return-value', 'unreleased-reference', 'helper-unknown', 'helper-argument', 'helper-program-type', 'map-reference', 'unreachable',
  'unbounded-loop', 'subprogram', 'call-stack', 'complexity', 'callback', 'spin-lock', 'unsupported',
];
