import assert from 'node:assert/strict';
import { isProviderKind, PROVIDER_KINDS } from '../../../src/core/usage/providers';

describe('provider kinds: a setting, log field or CLI flag names a wire format', () => {
  it('accepts exactly the five wire formats', () => {
    assert.deepEqual(PROVIDER_KINDS, ['openai', 'openai-chat', 'anthropic', 'google', 'openai-compatible']);
    for (const kind of PROVIDER_KINDS) assert.equal(isProviderKind(kind), true, kind);
  });

  it('refuses company names, other spellings and non-strings', () => {
    for (const value of ['OpenAI', 'gemini', 'openrouter', ' openai', '', undefined, null, 0, ['openai']]) {
      assert.equal(isProviderKind(value), false, String(value));
    }
  });
});
