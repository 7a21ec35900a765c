/**
 * Program contexts: XDP, socket filter, tc and raw runs of loaded programs.
 * @module
 */
export * from './layout.js';
export * from './space.js';
export * from './runner.js';
export { PacketSession, type SessionKind } from './session.js';
