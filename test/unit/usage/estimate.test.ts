import assert from 'node:assert/strict';
import { checkUsage } from '../../../src/core/usage/checkUsage';
import { countTokens, estimateUsage } from '../../../src/core/usage/estimate';

describe('estimated usage (no provider report)', () => {
  it('counts prompt and output with o200k_base and marks the record estimated', () => {
    const u = estimateUsage({ promptText: 'You are a helpful assistant.', outputText: 'Hello, world!' });
    assert.equal(u.source, 'estimated');
    assert.equal(u.inputTokens, countTokens('You are a helpful assistant.'));
    assert.equal(u.outputTokens, 4, 'o200k_base: "Hello", ",", " world", "!"');
    assert.equal(u.inputTokenDetails.noCacheTokens, u.inputTokens);
    assert.equal(checkUsage(u), null);
  });

  it('takes a known prompt token count instead of counting', () => {
    const u = estimateUsage({ promptTokens: 1234, outputText: '' });
    assert.equal(u.inputTokens, 1234);
    assert.equal(u.outputTokens, 0);
    assert.equal(u.totalTokens, 1234);
  });

  it('keeps a provider-stated input split (a stop after message_start) and counts only the output', () => {
    const u = estimateUsage({
      inputTokenDetails: {
        noCacheTokens: 25,
        cacheReadTokens: 1000,
        cacheWriteTokens: 300,
        cacheWrite1hTokens: 100,
      },
      outputText: 'Partial answ',
      reasoningText: 'Let me think',
    });
    assert.equal(u.inputTokens, 1325);
    assert.equal(u.inputTokenDetails.cacheWrite1hTokens, 100);
    assert.equal(u.outputTokenDetails.reasoningTokens, countTokens('Let me think'));
    assert.equal(u.outputTokens, u.outputTokenDetails.textTokens + u.outputTokenDetails.reasoningTokens);
    assert.equal(checkUsage(u), null);
  });

  it('text that looks like a special token is counted as text, not refused', () => {
    assert.ok(countTokens('before <|endoftext|> after') > 3);
  });

  it('an empty request is zero usage, and a bad count is refused', () => {
    assert.equal(estimateUsage({}).totalTokens, 0);
    assert.throws(() => estimateUsage({ promptTokens: -1 }), RangeError);
    assert.throws(() => estimateUsage({ promptTokens: 1.5 }), RangeError);
  });
});

describe('estimated usage: exact records and refusals', () => {
  it('a refused request (zero prompt, no output) is the whole zero record, with no raw', () => {
    assert.deepEqual(estimateUsage({ promptTokens: 0 }), {
      inputTokens: 0,
      inputTokenDetails: { noCacheTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0 },
      outputTokens: 0,
      outputTokenDetails: { textTokens: 0, reasoningTokens: 0 },
      totalTokens: 0,
      source: 'estimated',
    });
  });

  it('empty text is counted without loading the tokenizer (a quarter of a second most sessions never pay)', () => {
    const key = require.resolve('gpt-tokenizer/encoding/o200k_base');
    const loaded = require.cache[key];
    delete require.cache[key];
    try {
      assert.equal(countTokens(''), 0);
      assert.equal(estimateUsage({ promptTokens: 0, outputText: '', reasoningText: '' }).totalTokens, 0);
      assert.equal(require.cache[key], undefined);
    } finally {
      if (loaded) require.cache[key] = loaded;
    }
  });

  it('a prompt token count that is not a count is a RangeError that says why', () => {
    assert.throws(() => estimateUsage({ promptTokens: -1 }), {
      name: 'RangeError',
      message: 'prompt token count is negative (-1)',
    });
    assert.throws(() => estimateUsage({ promptTokens: 2e10 }), {
      name: 'RangeError',
      message: 'prompt token count is 20000000000, above the 10000000000 sanity limit',
    });
  });

  it('a provider input split whose 1-hour writes exceed its writes is refused, not recorded', () => {
    const split = { noCacheTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 100, cacheWrite1hTokens: 2048 };
    assert.throws(() => estimateUsage({ inputTokenDetails: split }), {
      name: 'UsageRejected',
      message: 'cacheWrite1hTokens 2048 > cacheWriteTokens 100',
    });
  });
});
