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
