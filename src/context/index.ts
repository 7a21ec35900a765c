/**
 * Program contexts: XDP, socket filter, tc, sk_msg (`runSkMsg`), sk_skb (`runSkSkb`), sk_lookup (`runSkLookup`), syscall (`runSyscall`), tracing (`runEvent`) and raw runs of loaded programs (`obj.program(name)` gives a
 * {@link ProgramRunner}). Entry point `tsbpf/context`.
 * @module
 */
export { SkBuff, TcAction, XdpAction, XdpMd } from './layout.js';
export { decodeFlowKeys, FLOW_KEYS_SIZE, FlowKeysField, type FlowKeys } from './flow-keys.js';
export { XDP_HEADROOM, XDP_TAILROOM } from './space.js';
export { PT_REGS_FIELDS, PT_REGS_SIZE, ptRegs, type PtReg } from './pt-regs.js';
export { MAX_SK_MSG, MAX_SK_MSG_CHUNKS, SkAction, SkMsgMd, type SkMsgResult, type SkMsgRunOptions, type SocketRedirect } from './sk-msg.js';
export { SkBuffSocket, type SkSkbOptions, type SkSkbResult } from './sk-skb.js';
export { MAX_SYSCALL_CTX, type SyscallResult } from './syscall.js';
export { SK_LOOKUP_SIZE, SkLookupField, SkLookupFlag, type SkLookupDescription, type SkLookupResult } from './sk-lookup.js';
export type { FlowDissectorOptions, FlowDissectorResult, ProgramRunner, RawRunOptions, RunOptions, SkbOptions, SkbRunInfo, TracingResult, TracingRunOptions, XdpOptions, XdpResult } from './runner.js';
export { MAX_TP_BUFFER, MAX_TRACEPOINT_RECORD, MAX_TRACING_ARGS, PERF_EVENT_DATA_SIZE, TRACING_TYPES, tracingTypeOf, type TracingEvent, type TracingType } from './tracing.js';
export { parseTracepointFormat, tracepointRecord, type TracepointField, type TracepointFieldValue, type TracepointFormat } from './tracepoint.js';
export type { PacketSession, SessionKind } from './session.js';
export type { RunOutcome } from '../vm/environment.js';
