/**
 * The verifier: instruction-shape checks ({@link checkProgram}, {@link verifyProgram}) and the
 * kernel-class analysis ({@link analyzeFacts}, `level: 'kernel'`). Entry point `tsbpf/verifier`.
 * @module
 */
export { MAX_PROGRAM_INSNS, type HelperIdSet, type IssueSeverity, type VerifierIssue, type VerifierOptions, type VerifierRule } from './issues.js';
export { analyzeFacts, checkProgram, createVerifier, verifyProgram } from './verifier.js';
export { ANALYSIS_RULES, ATTACH_TYPES, ATTACH_TYPES_OF, attachTypeOfSection, PROGRAM_TYPES as KERNEL_PROGRAM_TYPES, programTypeOfSection } from './analysis/index.js';
export type {
  AnalysisIssue,
  AnalysisResult,
  AnalysisRule,
  AttachType,
  LoopFact,
  MapInfo,
  ProgramFacts,
  ProgramType as KernelProgramType,
  ResolvedAddress,
  Scalar,
  Value,
  ValueType,
} from './analysis/index.js';
