import assert from 'node:assert/strict';
import * as genaiPrices from '@pydantic/genai-prices';
import fc from 'fast-check';
import { BUNDLED_CATALOG, loadCatalog, PriceCatalog } from '../../../src/core/pricing/catalog';
import { parsePriceOverrides } from '../../../src/core/pricing/overrides';
import { appliedPrices, priceRequest } from '../../../src/core/pricing/priceRequest';
import { buildUsage, type UsageParts } from '../../../src/core/usage/build';
import { fromRawUsage } from '../../../src/core/usage/normalize';
import type { Usage } from '../../../src/core/usage/types';
import { usageFixture } from '../usage/fixture';

const catalog = loadCatalog();

function usage(parts: Partial<UsageParts>): Usage {
  return buildUsage(
    { noCache: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, text: 0, reasoning: 0, ...parts },
    'provider',
  );
}

function pico(u: Usage, model: string, provider: Parameters<typeof priceRequest>[2], cat = catalog): bigint {
  const cost = priceRequest(u, model, provider, cat);
  assert.equal(cost.basis, 'computed', `${model} has no price`);
  return BigInt(cost.pico!);
}

describe('request cost: exact pico-dollars from catalog prices', () => {
  it('reads catalog prices per million tokens: 1,000 input tokens at $3/MTok is exactly $0.003', () => {
    const cost = priceRequest(usage({ noCache: 1000 }), 'claude-sonnet-4-5', 'anthropic', catalog);
    assert.deepEqual(cost, {
      pico: '3000000000',
      basis: 'computed',
      catalog: BUNDLED_CATALOG,
      price: {
        input: '3000000',
        cacheRead: '300000',
        cacheWrite: '3750000',
        cacheWrite1h: '6000000',
        output: '15000000',
      },
    });
    assert.equal(pico(usage({ text: 1000 }), 'claude-sonnet-4-5', 'anthropic'), 15_000_000_000n);
  });

  it("prices Anthropic's documented mixed-TTL usage part by part", () => {
    const r = fromRawUsage('anthropic', usageFixture('anthropic-cache-ttl').usage);
    assert.ok(r.ok);
    const want =
      2048n * 3_000_000n + // input, excluding cache tokens
      1800n * 300_000n + // cache reads at $0.30/MTok
      148n * 3_750_000n + // 5-minute writes at $3.75/MTok
      100n * 6_000_000n + // 1-hour writes at $6/MTok
      503n * 15_000_000n; // output
    assert.equal(want, 15_384_000_000n);
    assert.equal(pico(r.usage, 'claude-sonnet-4-5-20250929', 'anthropic'), want);
  });

  it('a 1-hour cache write costs 2× input, a 5-minute one 1.25×', () => {
    const fiveMin = pico(usage({ cacheWrite: 1000 }), 'claude-sonnet-4-5', 'anthropic');
    const oneHour = pico(usage({ cacheWrite: 1000, cacheWrite1h: 1000 }), 'claude-sonnet-4-5', 'anthropic');
    assert.equal(fiveMin, 3_750_000_000n);
    assert.equal(oneHour, 6_000_000_000n);
  });

  it('an Anthropic model without an explicit 1-hour price bills 1-hour writes at 2× input', () => {
    const cat = new PriceCatalog(
      BUNDLED_CATALOG,
      parsePriceOverrides(
        '{"models":{"claude-x":{"inputPerMTok":3,"outputPerMTok":15,"cacheWritePerMTok":3.75}}}',
        'p',
      ),
    );
    const cost = priceRequest(usage({ cacheWrite: 1000, cacheWrite1h: 1000 }), 'claude-x', 'anthropic', cat);
    assert.equal(cost.pico, '6000000000');
    assert.equal(cost.price?.cacheWrite1h, '6000000');
  });

  it('reasoning is billed as output', () => {
    assert.equal(
      pico(usage({ text: 100, reasoning: 900 }), 'gpt-5', 'openai'),
      pico(usage({ text: 1000 }), 'gpt-5', 'openai'),
    );
  });

  it('OpenAI cached input is billed at the cache-read price, not twice', () => {
    const r = fromRawUsage('openai-chat', usageFixture('openai-chat-cached').usage);
    assert.ok(r.ok);
    // gpt-4o: $2.50 input, $1.25 cached input, $10 output per MTok.
    assert.equal(
      pico(r.usage, 'gpt-4o', 'openai-chat'),
      86n * 2_500_000n + 1920n * 1_250_000n + 300n * 10_000_000n,
    );
  });

  describe('a tier is a per-request switch on the whole prompt, cache included', () => {
    // claude-sonnet-4-5: above 200,000 prompt tokens, $6 input, $0.60 cache read, $22.50 output.
    const at = (prompt: number) => usage({ noCache: 1, cacheRead: prompt - 1, text: 1000 });
    it('threshold − 1 and threshold bill at the base prices', () => {
      for (const prompt of [199_999, 200_000]) {
        const cost = priceRequest(at(prompt), 'claude-sonnet-4-5', 'anthropic', catalog);
        assert.equal(
          cost.pico,
          (3_000_000n + BigInt(prompt - 1) * 300_000n + 1000n * 15_000_000n).toString(),
        );
        assert.equal(cost.price?.tierStart, undefined);
      }
    });
    it('threshold + 1 bills every token of the request at the higher tier', () => {
      const cost = priceRequest(at(200_001), 'claude-sonnet-4-5', 'anthropic', catalog);
      assert.equal(cost.pico, (6_000_000n + 200_000n * 600_000n + 1000n * 22_500_000n).toString());
      assert.equal(cost.price?.tierStart, 200_000);
      assert.equal(cost.price?.output, '22500000');
    });
    it('cache reads alone can push a request over the threshold', () => {
      const cost = priceRequest(
        usage({ noCache: 10, cacheRead: 200_000 }),
        'gemini-2.5-pro',
        'google',
        catalog,
      );
      // gemini-2.5-pro above 200k: $2.50 input, $0.25 cached.
      assert.equal(cost.pico, (10n * 2_500_000n + 200_000n * 250_000n).toString());
    });
  });

  it('prices that changed on a date are taken as of the request time', () => {
    // claude-sonnet-4-6 kept a >200k tier until 2026-03-13, then one flat price.
    const big = usage({ noCache: 300_000 });
    const before = priceRequest(big, 'claude-sonnet-4-6', 'anthropic', catalog, {
      at: new Date('2026-02-01'),
    });
    const after = priceRequest(big, 'claude-sonnet-4-6', 'anthropic', catalog, {
      at: new Date('2026-04-01'),
    });
    assert.equal(before.pico, (300_000n * 6_000_000n).toString());
    assert.equal(after.pico, (300_000n * 3_000_000n).toString());
  });

  it('an unknown model has an unknown cost, never $0', () => {
    const cost = priceRequest(
      usage({ noCache: 1000, text: 10 }),
      'llama3.2:latest',
      'openai-compatible',
      catalog,
    );
    assert.deepEqual(cost, { pico: null, basis: 'unknown', catalog: BUNDLED_CATALOG });
    assert.equal(priceRequest(usage({ noCache: 1 }), 'no-such-model', 'anthropic', catalog).pico, null);
  });

  it('a provider-reported cost wins over the catalog, and prices what the catalog does not know', () => {
    const r = fromRawUsage('openai-compatible', usageFixture('openrouter-usage').usage);
    assert.ok(r.ok);
    const options = r.reportedCostUsd === undefined ? {} : { reportedCostUsd: r.reportedCostUsd };
    const known = priceRequest(r.usage, 'anthropic/claude-sonnet-4.5', 'openai-compatible', catalog, options);
    assert.deepEqual(known, { pico: '950000000000', basis: 'reported' });
    const unknown = priceRequest(r.usage, 'some/unlisted-model', 'openai-compatible', catalog, {
      reportedCostUsd: 0,
    });
    assert.deepEqual(unknown, { pico: '0', basis: 'reported' }, 'a reported $0 (a free model) is a known $0');
    const bogus = priceRequest(r.usage, 'some/unlisted-model', 'openai-compatible', catalog, {
      reportedCostUsd: Number.NaN,
    });
    assert.equal(bogus.basis, 'unknown');
  });

  it('a reported cost that is no amount (negative, infinite) is ignored: the catalog prices the request', () => {
    const u = usage({ noCache: 1000 });
    for (const reportedCostUsd of [-0.01, Number.POSITIVE_INFINITY]) {
      const cost = priceRequest(u, 'claude-sonnet-4-5', 'anthropic', catalog, { reportedCostUsd });
      assert.equal(cost.basis, 'computed', `reported ${reportedCostUsd}`);
      assert.equal(cost.pico, '3000000000');
    }
  });

  it('an override’s own 1-hour cache-write price is used as given, even on Anthropic', () => {
    const cat = new PriceCatalog(
      BUNDLED_CATALOG,
      parsePriceOverrides(
        '{"models":{"claude-x":{"inputPerMTok":3,"outputPerMTok":15,"cacheReadPerMTok":0.3,' +
          '"cacheWritePerMTok":3.75,"cacheWrite1hPerMTok":5}}}',
        'p',
      ),
    );
    const cost = priceRequest(
      usage({ noCache: 10, cacheRead: 100, cacheWrite: 1000, cacheWrite1h: 400, text: 1 }),
      'claude-x',
      'anthropic',
      cat,
    );
    assert.deepEqual(cost.price, {
      input: '3000000',
      cacheRead: '300000',
      cacheWrite: '3750000',
      cacheWrite1h: '5000000',
      output: '15000000',
    });
    assert.equal(
      cost.pico,
      (10n * 3_000_000n + 100n * 300_000n + 600n * 3_750_000n + 400n * 5_000_000n + 15_000_000n).toString(),
    );
  });

  it('applied prices name a tier start only when the prompt passed one', () => {
    const prices = catalog.modelPrices('claude-sonnet-4-5', 'anthropic')!.prices;
    assert.deepEqual(appliedPrices(prices, 200_000, true), {
      input: 3_000_000n,
      cacheRead: 300_000n,
      cacheWrite: 3_750_000n,
      cacheWrite1h: 6_000_000n,
      output: 15_000_000n,
    });
    assert.equal(appliedPrices(prices, 200_001, true).tierStart, 200_000);
  });

  it('a missing cache-read price bills cached tokens at the input price (the catalog meaning)', () => {
    // claude-2 lists only input and output prices.
    assert.equal(
      pico(usage({ noCache: 100, cacheRead: 900 }), 'claude-2', 'anthropic'),
      pico(usage({ noCache: 1000 }), 'claude-2', 'anthropic'),
    );
  });

  it('agrees with genai-prices’ own calculation for any usage (no per-token / per-million slip)', () => {
    const models: [string, 'anthropic' | 'openai' | 'google', string][] = [
      ['claude-sonnet-4-5', 'anthropic', 'anthropic'],
      ['claude-haiku-4-5', 'anthropic', 'anthropic'],
      ['gpt-4o', 'openai', 'openai'],
      ['gpt-5', 'openai', 'openai'],
      ['gemini-2.5-pro', 'google', 'google'],
      ['gemini-2.5-flash', 'google', 'google'],
    ];
    const part = fc.nat({ max: 150_000 });
    fc.assert(
      fc.property(
        fc.constantFrom(...models),
        fc.record({ noCache: part, cacheRead: part, cacheWrite: part, text: part, reasoning: part }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ([model, kind, providerId], p, share1h) => {
          const cacheWrite1h = Math.floor(p.cacheWrite * share1h);
          const u = usage({ ...p, cacheWrite1h });
          const ours = Number(pico(u, model, kind)) / 1e12;
          const theirs = genaiPrices.calcPrice(
            {
              input_tokens: u.inputTokens,
              cache_read_tokens: p.cacheRead,
              cache_write_tokens: p.cacheWrite,
              cache_write_1h_tokens: cacheWrite1h,
              output_tokens: u.outputTokens,
            },
            model,
            { providerId },
          );
          assert.ok(theirs);
          assert.ok(
            Math.abs(ours - theirs.total_price) <= 1e-9 * Math.max(1, theirs.total_price),
            `${ours} vs ${theirs.total_price}`,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
