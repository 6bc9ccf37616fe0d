import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type * as GenaiPrices from '@pydantic/genai-prices';
import {
  BUNDLED_CATALOG,
  loadCatalog,
  PriceCatalog,
  refreshCatalog,
} from '../../../src/core/pricing/catalog';
import { NO_OVERRIDES, parsePriceOverrides } from '../../../src/core/pricing/overrides';
import { priceRequest } from '../../../src/core/pricing/priceRequest';
import { buildUsage } from '../../../src/core/usage/build';

// The CommonJS instance the catalog itself requires (it holds the active price data).
const genaiPrices = createRequire(__filename)('@pydantic/genai-prices') as typeof GenaiPrices;

const flat = (base: bigint) => ({ base, tiers: [] });
const noCacheTokens = (n: number) =>
  buildUsage({ noCache: n, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, text: 0, reasoning: 0 }, 'provider');

/** Runs `body` with the library's active data replaced by `data`, then puts the bundled data back. */
async function withCatalogData<T>(
  data: GenaiPrices.Provider[],
  body: (catalog: PriceCatalog) => T | Promise<T>,
): Promise<T> {
  const bundled = await genaiPrices.waitForUpdate();
  assert.ok(bundled);
  try {
    return await body(await refreshCatalog({ fetchJson: async () => data }));
  } finally {
    await refreshCatalog({ fetchJson: async () => bundled });
  }
}

describe('price catalog lookups', () => {
  it('gives a model’s prices per token, tiers included, and no cache price the catalog does not list', () => {
    const cat = loadCatalog();
    const tier = (base: bigint, above: bigint) => ({ base, tiers: [{ start: 200_000, price: above }] });
    assert.deepEqual(cat.modelPrices('claude-sonnet-4-5', 'anthropic')?.prices, {
      input: tier(3_000_000n, 6_000_000n),
      output: tier(15_000_000n, 22_500_000n),
      cacheRead: tier(300_000n, 600_000n),
      cacheWrite: tier(3_750_000n, 7_500_000n),
      cacheWrite1h: tier(6_000_000n, 12_000_000n),
    });
    // claude-2 lists input and output only: no cache keys at all, no tiers.
    assert.deepEqual(cat.modelPrices('claude-2', 'anthropic')?.prices, {
      input: flat(8_000_000n),
      output: flat(24_000_000n),
    });
  });

  it('a model without chat prices (an embedding model) has no price, though its context window is known', () => {
    const cat = loadCatalog();
    assert.equal(cat.modelPrices('text-embedding-3-small', 'openai'), null);
    assert.equal(cat.contextLimit('text-embedding-3-small', 'openai'), 8192);
    const cost = priceRequest(noCacheTokens(1000), 'text-embedding-3-small', 'openai', cat);
    assert.deepEqual(cost, { pico: null, basis: 'unknown', catalog: BUNDLED_CATALOG });
  });

  it('a vendor kind looks only in its vendor’s list', () => {
    const cat = loadCatalog();
    assert.equal(cat.modelPrices('gemini-2.5-flash', 'openai'), null);
    assert.equal(cat.modelPrices('gemini-2.5-flash', 'openai-chat'), null);
    assert.equal(cat.modelPrices('gpt-4o', 'google'), null);
    assert.equal(cat.modelPrices('gpt-4o', 'openai')?.match?.providerId, 'openai');
  });

  // Each test builds its catalogs: a catalog remembers what it found.
  describe('an OpenAI-compatible model id', () => {
    const match = (model: string, baseUrl?: string, cat = loadCatalog()) =>
      cat.modelPrices(model, 'openai-compatible', baseUrl ? { baseUrl } : {})?.match ?? null;

    it('vendor/model is OpenRouter’s listing first (not Google’s gemini-2.0-flash, which the id also matches)', () => {
      assert.deepEqual(match('google/gemini-2.0-flash-001'), {
        providerId: 'openrouter',
        modelId: 'google/gemini-2.0-flash-001',
      });
    });

    it('vendor/model that OpenRouter does not list is the vendor’s own model', () => {
      assert.deepEqual(match('anthropic/claude-haiku-4-5'), {
        providerId: 'anthropic',
        modelId: 'claude-haiku-4-5',
      });
      // Only the first slash splits: Groq's own id is `openai/gpt-oss-120b`.
      assert.deepEqual(match('groq/openai/gpt-oss-120b'), {
        providerId: 'groq',
        modelId: 'openai/gpt-oss-120b',
      });
    });

    it('a bare id is found by its id across providers, not at OpenRouter', () => {
      assert.deepEqual(match('claude-2'), { providerId: 'anthropic', modelId: 'claude-2' });
      assert.equal(match('/gpt-4o'), null, 'an empty vendor is no vendor: not guessed to be gpt-4o');
    });

    it('the server’s base URL picks its own listing, and only for lookups with that URL', () => {
      const groq = 'https://api.groq.com/openai/v1';
      const cat = loadCatalog();
      assert.equal(match('openai/gpt-oss-120b', undefined, cat)?.providerId, 'openrouter');
      assert.equal(match('openai/gpt-oss-120b', groq, cat)?.providerId, 'groq');
      assert.equal(
        cat.modelPrices('openai/gpt-oss-120b', 'openai-compatible', { baseUrl: groq })?.prices.input.base,
        150_000n,
      );
      assert.equal(cat.contextLimit('openai/gpt-oss-120b', 'openai-compatible', { baseUrl: groq }), 131_072);
      assert.equal(
        cat.contextLimit('openai/gpt-oss-120b', 'openai-compatible'),
        null,
        'OpenRouter lists none',
      );
      assert.equal(match('openai/gpt-oss-120b', undefined, cat)?.providerId, 'openrouter');
    });
  });

  it('marks models billed by Anthropic’s rules, wherever they were found', () => {
    const cat = loadCatalog();
    const anthropic = (model: string, provider: 'anthropic' | 'openai' | 'openai-compatible') =>
      cat.modelPrices(model, provider)?.anthropic;
    assert.equal(anthropic('claude-sonnet-4-5', 'anthropic'), true);
    assert.equal(anthropic('claude-sonnet-4-5', 'openai-compatible'), true, 'Anthropic’s list, bare id');
    assert.equal(
      anthropic('anthropic/claude-sonnet-4.5', 'openai-compatible'),
      true,
      'OpenRouter’s anthropic/…',
    );
    assert.equal(anthropic('openai/gpt-4o', 'openai-compatible'), false, 'OpenRouter’s openai/…');
    assert.equal(anthropic('gpt-4o', 'openai'), false);
  });

  it('searches the library once per model, provider and URL, however often it is asked', () => {
    const cat = loadCatalog();
    const realCalc = genaiPrices.calcPrice;
    let searches = 0;
    genaiPrices.calcPrice = ((...args: Parameters<typeof realCalc>) => {
      searches++;
      return realCalc(...args);
    }) as typeof realCalc;
    try {
      for (let i = 0; i < 3; i++) {
        assert.ok(cat.modelPrices('gpt-4o', 'openai'));
        assert.equal(cat.contextLimit('gpt-4o', 'openai'), 128_000);
      }
      assert.equal(searches, 1);
      assert.equal(cat.modelPrices('no-such-model', 'openai'), null);
      assert.equal(cat.modelPrices('no-such-model', 'openai'), null);
      assert.equal(searches, 2, 'an unknown model is remembered as unknown');
    } finally {
      genaiPrices.calcPrice = realCalc;
    }
  });

  it('an invalid request time makes a dated price unknown instead of throwing', () => {
    // claude-sonnet-4-6's prices depend on the date; the library refuses an invalid one.
    const cost = priceRequest(noCacheTokens(1000), 'claude-sonnet-4-6', 'anthropic', loadCatalog(), {
      at: new Date('not a date'),
    });
    assert.deepEqual(cost, { pico: null, basis: 'unknown', catalog: BUNDLED_CATALOG });
  });

  it('an override needs both an input and an output price to replace the catalog’s', () => {
    // A file cannot say this (the schema refuses it); code building overrides by hand can.
    const cat = new PriceCatalog(BUNDLED_CATALOG, { models: { 'gpt-4o': { inputPerMTok: 1 } } });
    const priced = cat.modelPrices('gpt-4o', 'openai');
    assert.equal(priced?.catalog, BUNDLED_CATALOG);
    assert.equal(priced?.prices.input.base, 2_500_000n);
  });

  it('an override’s prices are flat per-token prices, each cache price only where given', () => {
    const overrides = parsePriceOverrides(
      '{"models": {"house": {"inputPerMTok": 2, "outputPerMTok": 8, "cacheWritePerMTok": 2.5, "cacheWrite1hPerMTok": 4}}}',
      'p.json',
    );
    const priced = new PriceCatalog(BUNDLED_CATALOG, overrides).modelPrices('house', 'openai-compatible');
    assert.deepEqual(priced, {
      catalog: 'override',
      anthropic: false,
      prices: {
        input: flat(2_000_000n),
        output: flat(8_000_000n),
        cacheWrite: flat(2_500_000n),
        cacheWrite1h: flat(4_000_000n),
      },
    });
  });

  describe('refreshed data (opt-in)', () => {
    it('is fetched from the library’s data URL with plain fetch when no fetcher is given', async () => {
      const bundled = await genaiPrices.waitForUpdate();
      const realFetch = globalThis.fetch;
      const urls: string[] = [];
      globalThis.fetch = (async (url: string) => {
        urls.push(url);
        return new Response(JSON.stringify(bundled), { status: 200 });
      }) as typeof fetch;
      try {
        const refreshed = await refreshCatalog();
        assert.deepEqual(urls, [genaiPrices.REMOTE_DATA_JSON_URL]);
        assert.equal(refreshed.modelPrices('gpt-4o', 'openai')?.prices.input.base, 2_500_000n);
      } finally {
        globalThis.fetch = realFetch;
      }
    });

    it('an HTTP error rejects, naming the status and the URL', async () => {
      const realFetch = globalThis.fetch;
      const warn = console.warn;
      globalThis.fetch = (async () => new Response('busy', { status: 503 })) as unknown as typeof fetch;
      console.warn = () => {}; // the library logs the rejection itself
      try {
        await assert.rejects(refreshCatalog(), {
          message: `HTTP 503 from ${genaiPrices.REMOTE_DATA_JSON_URL}`,
        });
      } finally {
        globalThis.fetch = realFetch;
        console.warn = warn;
      }
      assert.equal(loadCatalog().modelPrices('gpt-4o', 'openai')?.prices.input.base, 2_500_000n);
    });

    it('keeps the user’s overrides', async () => {
      const bundled = await genaiPrices.waitForUpdate();
      const overrides = parsePriceOverrides(
        '{"models": {"gpt-4o": {"inputPerMTok": 1, "outputPerMTok": 4}}}',
        'p',
      );
      const refreshed = await refreshCatalog({ overrides, fetchJson: async () => bundled });
      assert.equal(refreshed.overrides, overrides);
      assert.equal(refreshed.modelPrices('gpt-4o', 'openai')?.catalog, 'override');
      assert.equal((await refreshCatalog({ fetchJson: async () => bundled })).overrides, NO_OVERRIDES);
    });

    it('tiers listed out of order still apply by threshold', async () => {
      const data = structuredClone(await genaiPrices.waitForUpdate());
      assert.ok(data);
      const model = data.find((p) => p.id === 'anthropic')?.models.find((m) => m.id === 'claude-sonnet-4-5');
      assert.ok(model && !Array.isArray(model.prices));
      model.prices.input_mtok = {
        base: 3,
        tiers: [
          { start: 500_000, price: 9 },
          { start: 200_000, price: 6 },
        ],
      } as GenaiPrices.TieredPrices;
      await withCatalogData(data, (cat) => {
        assert.deepEqual(cat.modelPrices('claude-sonnet-4-5', 'anthropic')?.prices.input.tiers, [
          { start: 200_000, price: 6_000_000n },
          { start: 500_000, price: 9_000_000n },
        ]);
        const cost = priceRequest(noCacheTokens(600_000), 'claude-sonnet-4-5', 'anthropic', cat);
        assert.equal(cost.pico, (600_000n * 9_000_000n).toString());
        assert.equal(cost.price?.tierStart, 500_000);
      });
    });
  });
});
