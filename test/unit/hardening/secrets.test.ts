/**
 * API keys never reach an error message, a log or a session file. The root hook in
 * test/support/secretScan.ts scans every file the whole suite wrote; these tests pin `redact`
 * and the error path where a provider (or a proxy) echoes the key back.
 */
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APICallError } from 'ai';
import { describeProviderError, redact } from '../../../src/core/agent/errors';
import { createModel } from '../../../src/core/agent/providers';
import { runTurn } from '../../../src/core/agent/turn';
import { Workspace } from '../../../src/core/agent/workspace';
import { loadPricing } from '../../../src/core/pricing/pricing';
import { SessionStore } from '../../../src/core/sessions/store';
import { startMockProvider } from '../../../src/mock-provider';

const KEYS = {
  openai: 'sk-proj-Secret0123456789abcdefXYZ',
  anthropic: ['sk', 'ant', 'api03-Secret0123456789abcdef'].join('-'),
  google: 'AIzaSyD-Secret0123456789abcdefghijklm',
  compatible: 'lm-studio-local-secret-4242',
};

describe('hardening: API keys never show', () => {
  it('redact removes the given secrets and anything shaped like a key, wherever it appears', () => {
    const texts = [
      `Incorrect API key provided: ${KEYS.openai}.`,
      `{"error":{"message":"invalid x-api-key ${KEYS.anthropic}"}}`,
      `GET https://generativelanguage.googleapis.com/v1beta/models?key=${KEYS.google} 400`,
      `Authorization: Bearer ${KEYS.openai}`,
      `api_key=${KEYS.compatible}`,
      `"apiKey": "${KEYS.compatible}"`,
      `the key ${KEYS.compatible} was refused`,
      `key twice: ${KEYS.anthropic}${KEYS.anthropic}`,
    ];
    for (const t of texts) {
      const out = redact(t, [KEYS.compatible]);
      for (const k of Object.values(KEYS)) assert.ok(!out.includes(k), `${out} still holds ${k}`);
      assert.ok(out.includes('***'), out);
    }
    // Short "secrets" are not scrubbed (they would blank out ordinary words), and nothing else changes.
    assert.equal(redact('a plain message about keys', ['abc']), 'a plain message about keys');
  });

  it('a provider error body that echoes the key: the message has none of it', () => {
    for (const [provider, key] of [
      ['openai', KEYS.openai],
      ['anthropic', KEYS.anthropic],
      ['google', KEYS.google],
      ['openai-compatible', KEYS.compatible],
    ] as const) {
      const e = new APICallError({
        message: `Unauthorized (key ${key})`,
        url: `https://example.test/v1?key=${key}`,
        requestBodyValues: {},
        statusCode: 401,
        responseBody: JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }),
      });
      const msg = describeProviderError(e, provider, [key]);
      assert.ok(!msg.includes(key), msg);
      assert.match(msg, /401/);
      assert.equal(msg.split('\n').length, 1);
      // Even without being told the key, a key-shaped one is scrubbed.
      if (provider !== 'openai-compatible') assert.ok(!describeProviderError(e, provider, []).includes(key));
    }
  });

  it('a turn whose provider echoes the key in its error: the session file and the result hold none of it', async () => {
    const mock = await startMockProvider();
    const dir = mkdtempSync(join(tmpdir(), 'tally-secrets-'));
    try {
      const pricing = await loadPricing();
      const store = await SessionStore.open(join(dir, 'storage'));
      const w = await store.create({ title: 't', provider: 'openai', model: 'gpt-4o' });
      mock.enqueue('openai-responses', {
        error: {
          status: 401,
          body: {
            error: { message: `Incorrect API key provided: ${KEYS.openai}`, type: 'invalid_request_error' },
          },
        },
      });
      const r = await runTurn({
        writer: w,
        model: createModel({
          kind: 'openai',
          model: 'gpt-4o',
          apiKey: KEYS.openai,
          baseURL: mock.baseURLs['openai-responses'],
        }),
        provider: 'openai',
        modelId: 'gpt-4o',
        prompt: 'hi',
        workspace: await Workspace.open(dir),
        policy: { allowWrites: false, allowCommands: false },
        approve: async () => true,
        price: (u, rep) => pricing.price(u, 'gpt-4o', 'openai', rep),
        secrets: [KEYS.openai],
        maxRetries: 0,
      });
      await w.close();
      assert.equal(r.status, 'failed');
      assert.match(r.error!, /Incorrect API key provided: \*\*\*/);
      const bytes = readFileSync(w.file, 'utf8');
      assert.ok(!bytes.includes(KEYS.openai));
      assert.match(bytes, /Incorrect API key provided: \*\*\*/);
    } finally {
      await mock.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
