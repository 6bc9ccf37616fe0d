import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as genaiPrices from '@pydantic/genai-prices';
import { BUNDLED_CATALOG, loadCatalog, refreshCatalog } from '../../../src/core/pricing/catalog';
import { contextLimit } from '../../../src/core/pricing/priceRequest';
import { loadPricing } from '../../../src/core/pricing/pricing';
import { estimateUsage } from '../../../src/core/usage/estimate';

const pricesFixture = (name: string) => join(__dirname, '..', '..', 'fixtures', 'prices', name);

describe('price catalog', () => {
  it('is labelled with the installed genai-prices version', () => {
    const pkgPath = join(
      __dirname,
      '..',
      '..',
      '..',
      'node_modules',
      '@pydantic',
      'genai-prices',
      'package.json',
    );
    const { version } = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
    assert.equal(BUNDLED_CATALOG, `genai-prices@${version}`);
    assert.equal(loadCatalog().label, BUNDLED_CATALOG);
  });

  it('loads and answers without touching the network', () => {
    const realFetch = globalThis.fetch;
    let fetched = 0;
    globalThis.fetch = (() => {
      fetched++;
      throw new Error('no network in the catalog');
    }) as typeof fetch;
    try {
      const cat = loadCatalog();
      assert.ok(cat.modelPrices('gpt-4o', 'openai'));
      assert.equal(cat.contextLimit('claude-sonnet-4-5', 'anthropic'), 200_000);
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.equal(fetched, 0);
  });

  it('knows context windows, and says null when it does not', () => {
    const cat = loadCatalog();
    assert.equal(contextLimit('claude-sonnet-4-5-20250929', 'anthropic', cat), 200_000);
    assert.equal(contextLimit('gpt-4o', 'openai-chat', cat), 128_000);
    assert.equal(contextLimit('gpt-5', 'openai', cat), 400_000);
    assert.equal(contextLimit('llama3.2', 'openai-compatible', cat), null);
  });

  it('maps each provider kind to its catalog provider', () => {
    const cat = loadCatalog();
    assert.deepEqual(cat.modelPrices('gpt-4o', 'openai-chat')?.match, {
      providerId: 'openai',
      modelId: 'gpt-4o',
    });
    assert.deepEqual(cat.modelPrices('gemini-2.5-flash', 'google')?.match, {
      providerId: 'google',
      modelId: 'gemini-2.5-flash',
    });
    assert.equal(cat.modelPrices('gpt-4o', 'anthropic'), null, 'no cross-vendor guess for a vendor kind');
  });

  it('finds an OpenAI-compatible model by id across providers (OpenRouter-style vendor/model ids)', () => {
    const cat = loadCatalog();
    assert.deepEqual(cat.modelPrices('anthropic/claude-sonnet-4.5', 'openai-compatible')?.match, {
      providerId: 'openrouter',
      modelId: 'anthropic/claude-sonnet-4.5',
    });
    assert.equal(cat.modelPrices('deepseek-chat', 'openai-compatible')?.match?.providerId, 'deepseek');
    assert.equal(
      cat.modelPrices('x', 'openai-compatible', { baseUrl: 'https://openrouter.ai/api/v1' }),
      null,
      'a base URL narrows the search but an unknown model stays unknown',
    );
  });

  it('an override wins over the catalog; a context-window-only override keeps catalog prices', async () => {
    const pricing = await loadPricing({ overridesFile: pricesFixture('good.json') });
    const u = estimateUsage({ promptTokens: 1_000_000 });
    assert.deepEqual(pricing.price(u, 'gpt-4o', 'openai-chat'), {
      pico: '2000000000000',
      basis: 'computed',
      catalog: 'override',
      price: {
        input: '2000000',
        cacheRead: '1000000',
        cacheWrite: '2000000',
        cacheWrite1h: '2000000',
        output: '8000000',
      },
    });
    assert.equal(
      pricing.price(u, 'my-local-model', 'openai-compatible').pico,
      '0',
      'a free local model is a known $0',
    );
    assert.equal(pricing.contextLimit('my-local-model', 'openai-compatible'), 32768);
    assert.equal(pricing.contextLimit('claude-sonnet-4-5', 'anthropic'), 1_000_000);
    assert.equal(pricing.price(u, 'claude-sonnet-4-5', 'anthropic').catalog, BUNDLED_CATALOG);
  });

  it('a provider string that is not a Tally kind is looked up by model id', async () => {
    const pricing = await loadPricing();
    assert.equal(
      pricing.price(estimateUsage({ promptTokens: 1000 }), 'gpt-4o', 'some-proxy').pico,
      '2500000000',
    );
  });

  it('an OpenAI-compatible server is found by its base URL', async () => {
    const pricing = await loadPricing();
    const u = estimateUsage({ promptTokens: 1000 });
    const viaOpenRouter = pricing.price(u, 'anthropic/claude-sonnet-4.5', 'openai-compatible', undefined, {
      baseUrl: 'https://openrouter.ai/api/v1',
    });
    assert.equal(viaOpenRouter.pico, '3000000000');
    assert.equal(
      pricing.contextLimit('deepseek-chat', 'openai-compatible', { baseUrl: 'https://api.deepseek.com/v1' }),
      loadCatalog().contextLimit('deepseek-chat', 'openai-compatible'),
    );
  });

  it('a bad overrides file fails loading with its one-line message', async () => {
    await assert.rejects(
      loadPricing({ overridesFile: pricesFixture('bad-per-token.json') }),
      /looks like a price per token/,
    );
  });

  it('refreshes only when asked, from the library’s data URL, and labels the new data', async () => {
    const current = await genaiPrices.waitForUpdate();
    const urls: string[] = [];
    const refreshed = await refreshCatalog({
      fetchJson: async (url) => {
        urls.push(url);
        return current; // the same data: other tests keep their prices
      },
    });
    assert.deepEqual(urls, [genaiPrices.REMOTE_DATA_JSON_URL]);
    assert.match(refreshed.label, /^genai-prices@[\d.]+\+remote-\d{4}-\d\d-\d\dT/);
    assert.ok(refreshed.modelPrices('gpt-4o', 'openai'));
  });

  it('a failed refresh rejects and keeps the previous data', async () => {
    const warn = console.warn;
    console.warn = () => {}; // the library logs the rejection itself
    try {
      await assert.rejects(
        refreshCatalog({
          fetchJson: async () => {
            throw new Error('offline');
          },
        }),
        /offline/,
      );
    } finally {
      console.warn = warn;
    }
    assert.ok(loadCatalog().modelPrices('gpt-4o', 'openai'));
  });
});
