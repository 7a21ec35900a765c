/**
 * Short mnemonics for verifier messages. The verifier does not depend on the disassembler (which
 * prints whole instructions in a chosen dialect); a message only needs to name the operation.
 * @module
 */
import type { Operation } from '../isa/operation.js';

/** A mnemonic naming an operation, e.g. `sdiv32`, `jlt`, `ldxsw`, `lock fetch add64`. */
export function operationName(op: Operation): string {
  const w = (width: 32 | 64): string => (width === 32 ? '32' : '64');
  const sz = (size: 1 | 2 | 4 | 8): string => ({ 1: 'b', 2: 'h', 4: 'w', 8: 'dw' })[size];
  switch (op.kind) {
    case 'alu':
      return op.op + w(op.width);
    case 'neg':
      return 'neg' + w(op.width);
    case 'movsx':
      return `movsx${op.bits}${w(op.width)}`;
    case 'end':
      return `${op.order}${op.bits}`;
    case 'ja':
      return op.long ? 'gotol' : 'ja';
    case 'jcond':
      return op.width === 32 ? op.cond + '32' : op.cond;
    case 'call':
      return op.target === 'helper' ? 'call' : op.target === 'local' ? 'call local' : 'call kfunc';
    case 'callx':
      return 'callx';
    case 'exit':
      return 'exit';
    case 'lddw':
      return 'lddw';
    case 'ldx':
      return (op.signed ? 'ldxs' : 'ldx') + sz(op.size);
    case 'st':
      return 'st' + sz(op.size);
    case 'stx':
      return 'stx' + sz(op.size);
    case 'atomic':
      return `lock ${op.fetch && op.op !== 'xchg' && op.op !== 'cmpxchg' ? 'fetch ' : ''}${op.op}${op.size === 4 ? '32' : '64'}`;
    case 'ldabs':
      return 'ldabs' + sz(op.size);
    case 'ldind':
      return 'ldind' + sz(op.size);
    case 'invalid':
      return 'invalid';
  }
}
