/**
 * The default verifier and control-flow analysis.
 * @module
 */
export * from './issues.js';
export * from './verifier.js';
export * from './cfg.js';
export { ANALYSIS_RULES, PROGRAM_TYPES as KERNEL_PROGRAM_TYPES, programTypeOfSection } from './analysis/index.js';
export type {
  AnalysisIssue,
  AnalysisResult,
  AnalysisRule,
  LoopFact,
  MapInfo,
  ProgramFacts,
  ProgramType as KernelProgramType,
  ResolvedAddress,
  Scalar,
  Value,
  ValueType,
} from './analysis/index.js';
