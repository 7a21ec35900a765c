// Assembly input of any shape takes time linear in its size (issue 16, item 7): each case is a
// one-megabyte line. A step that rescans the rest of the line per character (an unanchored `\s*…`
// regex, a copy of the remaining text per token) makes one of these take many minutes, and the test
// times out; none is timed here (performance is measured in `npm run bench`, not asserted).
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { AssemblyError } from '../../src/errors.js';

const MB = 1 << 20;

const LINES: Record<string, string> = {
  'blanks after an rbpf instruction': 'exit' + ' '.repeat(MB) + 'x',
  'blanks between operands (rbpf)': `mov r0,${' '.repeat(MB)}1\nexit`,
  'tabs between operands (conformance)': `mov %r0,${'\t'.repeat(MB)}1\nexit`,
  'blanks in an LLVM statement': `r0${' '.repeat(MB / 2)}=${' '.repeat(MB / 2)}1\nexit`,
  'blanks before a <label> annotation': `ja +0${' '.repeat(MB)}<x>\nexit`,
  'many <label> annotations': 'exit ' + '<a> '.repeat(MB / 4),
  'a long comment': 'exit ' + '#'.repeat(MB),
  'a long number': 'mov r0, ' + '9'.repeat(MB),
  'a long hex number with leading zeros': 'lddw r0, 0x' + '0'.repeat(MB) + '1\nexit',
  'a long identifier': 'x'.repeat(MB),
  'a long label reference': `ja ${'l'.repeat(MB)}\nexit`,
  'many numbers': 'mov r0, ' + '1 '.repeat(MB / 2),
  'objdump leftovers': '0: ' + '00 '.repeat(MB / 3),
  'punctuation': '(['.repeat(MB / 2),
  'percent signs': '%'.repeat(MB),
  'a kernel helper name': `call ${'a'.repeat(MB)}#5\nexit`,
};

describe('the assembler is linear in the length of a line', () => {
  for (const [name, text] of Object.entries(LINES)) {
    it(name, () => {
      try {
        assemble(text);
      } catch (e) {
        expect(e).toBeInstanceOf(AssemblyError);
        // Messages quote source text shortened: they stay readable whatever the input.
        expect((e as AssemblyError).message.length).toBeLessThan(300);
      }
    });
  }

  it('still reads numbers with leading zeros and strips annotations', () => {
    expect(assemble('lddw r0, 0x' + '0'.repeat(100) + '1\nexit').length).toBe(24);
    expect(assemble('ja +0   <x>\nexit')).toEqual(assemble('ja +0\nexit'));
  });

  it('rejects a number with more digits than 64 bits hold, naming it briefly', () => {
    expect(() => assemble('mov r0, ' + '9'.repeat(100))).toThrow(/number '9{40}…' \(100 characters\) is too large for 64 bits/);
  });
});
