/**
 * Program contexts: XDP, socket filter, tc and raw runs of loaded programs (`obj.program(name)` gives a
 * {@link ProgramRunner}). Entry point `tsbpf/context`.
 * @module
 */
export { SkBuff, TcAction, XdpAction, XdpMd } from './layout.js';
export { XDP_HEADROOM, XDP_TAILROOM } from './space.js';
export { PT_REGS_FIELDS, PT_REGS_SIZE, ptRegs, type PtReg } from './pt-regs.js';
export type { ProgramRunner, RawRunOptions, RunOptions, SkbOptions, SkbRunInfo, XdpOptions, XdpResult } from './runner.js';
export type { PacketSession, SessionKind } from './session.js';
export type { RunOutcome } from '../vm/environment.js';
