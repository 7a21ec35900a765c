/**
 * The kernel-level verifier's analysis (issue 14): abstract interpretation of a program over the
 * kernel's type lattice, scalar ranges and a stack model, per program type, with the loaded maps.
 * `checkProgram(prog, { level: 'kernel', ... })` runs it; the modules are kept apart (scalar domain,
 * values, state, memory, ALU, branches, helper calls, fixpoint, loops), each small.
 * @module
 */
export { analyzeProgram, DEFAULT_MAX_STEPS, type AnalysisIssue, type AnalysisOptions, type AnalysisResult, type ProgramFacts } from './analyze.js';
export type { MapInfo, ResolvedAddress } from './env.js';
export type { LoopFact } from './loops.js';
export { KFUNC_FLAGS, type KfuncFlags, type KfuncTable } from './kfuncs.js';
export { tracingSection, tracingTarget, type TracingAttach, type TracingTarget } from './btf-context.js';
export { ATTACH_TYPES, ATTACH_TYPES_OF, attachTypeOfSection, PROGRAM_TYPES, programTypeOfSection, type AttachType, type ProgramType } from './program-types.js';
export { ANALYSIS_RULES, type AnalysisRule } from './rules.js';
export { HELPER_PROTOS, type HelperProto, type ArgKind, type ReturnKind } from './helpers.js';
export type { Value, ValueType } from './value.js';
export type { Scalar } from './scalar.js';
export { entryState, emptyFrame, type State, type Frame } from './state.js';
export { describeValue } from './value.js';
