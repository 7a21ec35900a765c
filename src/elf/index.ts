/**
 * The ELF object loader ({@link loadObject}), and the ELF and BTF parsers it uses. Entry point `tsbpf/elf`.
 * @module
 */
export {
  BpfObject,
  loadObject,
  loadObjects,
  PROGRAM_TYPES,
  programTypeOf,
  type GlobalVariable,
  type LoadOptions,
  type ProgramInfo,
  type ProgramType,
  type ProgramVerification,
  type RunTimersOptions,
  type VerifyMode,
} from './loader.js';
export { parseElf, type ElfFile, type ElfRelocation, type ElfSection, type ElfSymbol } from './reader.js';
export { KCONFIG_DEFAULTS, kernelVersion, type KconfigValue } from './kconfig.js';
export { BUILTIN_KFUNCS, KFUNC_ID_BASE, MAX_KSYM_BYTES, type KfuncEntry, type KfuncImplementation, type KsymValue } from './externs.js';
export { BtfIntEncoding, BtfKind, parseBtf, type Btf, type BtfMember, type BtfType, type BtfVarSecInfo } from './btf.js';
export type { LineInfo, SourceLine } from './btf-ext.js';
