import assert from 'node:assert/strict';
import { loadPricing } from '../../../src/core/pricing/pricing';
import { estimateUsage } from '../../../src/core/usage/estimate';

describe('pricing as the rest of Tally calls it', () => {
  const prompt = (tokens: number) => estimateUsage({ promptTokens: tokens });

  it('a reported cost reaches the price, and wins', async () => {
    const pricing = await loadPricing();
    assert.deepEqual(pricing.price(prompt(1000), 'gpt-4o', 'openai', 0.5), {
      pico: '500000000000',
      basis: 'reported',
    });
  });

  it('the request time reaches the catalog lookup', async () => {
    const pricing = await loadPricing();
    // claude-sonnet-4-6 billed a prompt above 200k at $6/MTok until 2026-03-13, then $3.
    const at = (date: string) =>
      pricing.price(prompt(300_000), 'claude-sonnet-4-6', 'anthropic', undefined, { at: new Date(date) })
        .pico;
    assert.equal(at('2026-02-01'), (300_000n * 6_000_000n).toString());
    assert.equal(at('2026-04-01'), (300_000n * 3_000_000n).toString());
  });

  it('a provider string that is not a Tally kind is looked up like an OpenAI-compatible server', async () => {
    const pricing = await loadPricing();
    // OpenRouter's listing for a vendor/model id: $0.039/MTok input.
    assert.equal(pricing.price(prompt(1000), 'openai/gpt-oss-120b', 'my-proxy').pico, '39000000');
    const groq = { baseUrl: 'https://api.groq.com/openai/v1' };
    // The server's own listing by its base URL: $0.15/MTok input, a 131,072-token window.
    assert.equal(
      pricing.price(prompt(1000), 'openai/gpt-oss-120b', 'my-proxy', undefined, groq).pico,
      '150000000',
    );
    assert.equal(pricing.contextLimit('openai/gpt-oss-120b', 'my-proxy', groq), 131_072);
  });
});
