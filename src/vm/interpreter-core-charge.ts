/**
 * Where the interpreter's WebAssembly core charges the budget: at control transfers, by chains of blocks.
 *
 * The JS loop charges a basic block's length when it enters the block. The core charges at the
 * operations that transfer control instead (a conditional jump, taken or not, `ja`, a local call, a
 * callee's `exit`, a copy loop's back edge, and the run's start), so that its dispatch tests nothing: the
 * slot the transfer lands on carries the charge in word 3 of the core's words. Control reaches a block
 * that no transfer enters only by falling through from the block before it (which ends in an ordinary
 * operation: the block after it starts one only because something jumps there), so such a block's length
 * is charged with its predecessor's: the charge of a leader is the length of its *chain*, the blocks from
 * it to the first one that ends in a transfer (an extended basic block entered at its head).
 *
 * The budget therefore runs out at a chain's head, possibly before the block in it where the JS loop
 * would stop; the core then hands the chain's head to the JS loop, which charges block by block and
 * raises the error at the same pc with the same count. Every other hand-over at a slot gives back what
 * the core charged beyond what the JS loop would have by then: word 3 of every slot is that amount
 * ({@link chainCharges}), so a hand-over gives back word 3 of the slot it stops at, whatever the slot.
 * @module
 */
import { decodeOperation } from '../isa/operation.js';
import { basicBlocks } from '../verifier/cfg.js';
import type { Program } from './program.js';

/** Whether an instruction of this kind ends a chain: the slot after it is entered only by a transfer (or not at all). */
function endsChain(kind: string): boolean {
  return kind === 'ja' || kind === 'jcond' || kind === 'exit' || kind === 'call' || kind === 'callx';
}

/**
 * The core's word 3 of each of the `n` slots of `program` (and of the `bad` slot after the end, 0): at a
 * block's first slot, the length of its chain (the block and the blocks that follow it by falling
 * through, up to one that ends in a transfer); at any other slot, the length of the rest of its chain
 * after its own block (what a hand-over at that slot gives back).
 */
export function chainCharges(program: Program, n: number): Int32Array {
  const insns = program.insns;
  const charges = new Int32Array(n + 1);
  const blocks = basicBlocks(insns);
  // The chain's length from the block after the one being filled in (blocks visited last to first).
  let after = 0;
  for (let b = blocks.length - 1; b >= 0; b--) {
    const block = blocks[b]!;
    // The block's last instruction (the second half of an `lddw` is not one).
    let last = block.start;
    for (let pc = block.start; pc < block.end; pc++) {
      last = pc;
      if (insns[pc]!.opcode === 0x18) pc++;
    }
    const rest = endsChain(decodeOperation(insns[last]!).kind) ? 0 : after;
    for (let pc = block.start + 1; pc < block.end; pc++) charges[pc] = rest;
    charges[block.start] = block.length + rest;
    after = charges[block.start]!;
  }
  return charges;
}
