/**
 * The validator of the normalized usage record (types.ts invariants, DESIGN.md "Usage of one
 * request"): what counts as a token count, and the first broken invariant of a record, by name.
 */
import assert from 'node:assert/strict';
import { badCount, checkUsage, MAX_TOKENS } from '../../../src/core/usage/checkUsage';
import type { Usage } from '../../../src/core/usage/types';

/** The gpt-5 Chat usage of test/fixtures/usage/openai-chat-reasoning.json, normalized. */
function gpt5(): Usage {
  return {
    inputTokens: 1486,
    inputTokenDetails: {
      noCacheTokens: 78,
      cacheReadTokens: 1408,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
    },
    outputTokens: 651,
    outputTokenDetails: { textTokens: 139, reasoningTokens: 512 },
    totalTokens: 2137,
    source: 'provider',
  };
}

describe('checkUsage: what a token count is', () => {
  const cases: [unknown, string | null][] = [
    [0, null],
    [2137, null],
    [MAX_TOKENS, null],
    [MAX_TOKENS + 1, 'is 10000000001, above the 10000000000 sanity limit'],
    [-1, 'is negative (-1)'],
    [1.5, 'is 1.5, not a whole number'],
    [Number.NaN, 'is NaN'],
    [Number.POSITIVE_INFINITY, 'is Infinity'],
    [null, 'is null, not a number'],
    [undefined, 'is undefined, not a number'],
    ['12', 'is string, not a number'],
  ];
  for (const [value, reason] of cases) {
    it(`${String(value)} → ${reason ?? 'a count'}`, () => assert.equal(badCount(value), reason));
  }
});

describe('checkUsage: the first broken invariant of a record, or null', () => {
  it('a consistent record passes, with or without the 1-hour cache-write field', () => {
    assert.equal(checkUsage(gpt5()), null);
    const older = gpt5();
    delete older.inputTokenDetails.cacheWrite1hTokens;
    assert.equal(checkUsage(older), null);
  });

  const fields: [string, (u: Usage) => void][] = [
    ['inputTokens', (u) => (u.inputTokens = -1)],
    ['noCacheTokens', (u) => (u.inputTokenDetails.noCacheTokens = -1)],
    ['cacheReadTokens', (u) => (u.inputTokenDetails.cacheReadTokens = -1)],
    ['cacheWriteTokens', (u) => (u.inputTokenDetails.cacheWriteTokens = -1)],
    ['cacheWrite1hTokens', (u) => (u.inputTokenDetails.cacheWrite1hTokens = -1)],
    ['outputTokens', (u) => (u.outputTokens = -1)],
    ['textTokens', (u) => (u.outputTokenDetails.textTokens = -1)],
    ['reasoningTokens', (u) => (u.outputTokenDetails.reasoningTokens = -1)],
    ['totalTokens', (u) => (u.totalTokens = -1)],
  ];
  for (const [name, breakIt] of fields) {
    it(`names a bad ${name}`, () => {
      const u = gpt5();
      breakIt(u);
      assert.equal(checkUsage(u), `${name} is negative (-1)`);
    });
  }

  it('inputTokens must be noCache + cacheRead + cacheWrite', () => {
    const u = { ...gpt5(), inputTokens: 1500 };
    assert.equal(checkUsage(u), 'inputTokens 1500 ≠ noCache + cacheRead + cacheWrite (1486)');
  });

  it('the 1-hour cache writes are part of the cache writes, never more', () => {
    const u = gpt5();
    u.inputTokenDetails.cacheWrite1hTokens = 5;
    assert.equal(checkUsage(u), 'cacheWrite1hTokens 5 > cacheWriteTokens 0');
  });

  it('outputTokens must be text + reasoning', () => {
    assert.equal(checkUsage({ ...gpt5(), outputTokens: 700 }), 'outputTokens 700 ≠ text + reasoning (651)');
  });

  it('totalTokens must be input + output', () => {
    assert.equal(checkUsage({ ...gpt5(), totalTokens: 2000 }), 'totalTokens 2000 ≠ input + output (2137)');
  });

  it('a legacy record keeps the totals an older tool wrote; only its counts are checked', () => {
    const legacy: Usage = { ...gpt5(), totalTokens: 2000, outputTokens: 700, source: 'legacy' };
    assert.equal(checkUsage(legacy), null);
    assert.equal(checkUsage({ ...legacy, totalTokens: 1.5 }), 'totalTokens is 1.5, not a whole number');
  });
});
