/**
 * docs/api.md, the generated API reference, matches the code, and every exported name (and every
 * public member of an exported class) has TSDoc. Regenerate with `npm run docs:api`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { generate } from '../../scripts/gen-api-docs.js';

it('docs/api.md is generated from the current exports, all documented', () => {
  const { markdown, undocumented } = generate();
  expect(undocumented, 'exports without TSDoc: add a /** summary */').toEqual([]);
  const committed = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'api.md'), 'utf8');
  // On failure: run `npm run docs:api` and commit docs/api.md.
  expect(committed === markdown, 'docs/api.md is stale: run npm run docs:api').toBe(true);
}, 120_000);
