/**
 * Usage sent more than once within one request (running totals), or not at all: the SDK keeps
 * the LAST snapshot (never a sum), and reports `undefined` fields when none arrived.
 */
import assert from 'node:assert/strict';
import type { ProviderId, ScriptInput, UsageNumbers } from '../../../src/mock-provider';
import { modelFor, run, usageView, useMockServer } from './helpers';

const FINAL: UsageNumbers = {
  inputNoCache: 400,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  outputText: 12,
  reasoning: 0,
};

const threeWords: ScriptInput['events'] = [
  { type: 'text', text: 'one' },
  { type: 'text', text: ' two' },
  { type: 'text', text: ' three' },
];

const UNDEFINED_USAGE = {
  inputTokens: undefined,
  inputTokenDetails: { noCacheTokens: undefined, cacheReadTokens: undefined, cacheWriteTokens: undefined },
  outputTokens: undefined,
  outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
  totalTokens: undefined,
  raw: undefined,
};

describe('mock provider: repeated and missing usage', () => {
  const ctx = useMockServer();

  it('Anthropic: several cumulative message_delta events (the final one twice): the SDK keeps the last, never a sum', async () => {
    ctx.server.enqueue('anthropic', { events: threeWords, usage: FINAL, usageMode: 'repeat' });
    const r = await run(modelFor(ctx.server, 'anthropic'));
    const carriers = ctx.server.log[0]!.usageReports.map((u) => [
      u.carrier,
      (u.wire as { output_tokens: number }).output_tokens,
    ]);
    assert.deepEqual(carriers, [
      ['message_start', 1],
      ['message_delta', 1],
      ['message_delta', 2],
      ['message_delta', 3],
      ['message_delta', 12],
      ['message_delta', 12],
    ]);
    assert.equal(r.steps[0]!.usage.outputTokens, 12);
    assert.equal(r.steps[0]!.usage.inputTokens, 400);
    assert.equal(r.steps[0]!.finishReason, 'stop');
  });

  it('Anthropic: the last message_delta wins even when it is lower, and its input fields replace message_start', async () => {
    ctx.server.enqueue('anthropic', {
      events: [
        { type: 'text', text: 'a' },
        { type: 'usage', usage: { outputText: 50, inputNoCache: 900 } },
        { type: 'text', text: ' b' },
      ],
      usage: FINAL,
    });
    const r = await run(modelFor(ctx.server, 'anthropic'));
    assert.equal(r.steps[0]!.usage.outputTokens, 12);
    assert.equal(r.steps[0]!.usage.inputTokens, 400);

    ctx.server.enqueue('anthropic', {
      events: [{ type: 'text', text: 'a' }],
      usage: FINAL,
      rawUsage: {
        input_tokens: 700,
        cache_read_input_tokens: 10,
        cache_creation_input_tokens: 0,
        output_tokens: 3,
      },
    });
    const r2 = await run(modelFor(ctx.server, 'anthropic'));
    // message_start said 400; the final message_delta says 700 + 10 cache read.
    assert.deepEqual(r2.steps[0]!.usage.inputTokenDetails, {
      noCacheTokens: 700,
      cacheReadTokens: 10,
      cacheWriteTokens: 0,
    });
    assert.equal(r2.steps[0]!.usage.inputTokens, 710);
  });

  it('Gemini: usageMetadata in every chunk (and a usage-only chunk): the SDK keeps the last', async () => {
    ctx.server.enqueue('google', {
      events: [...(threeWords ?? []), { type: 'usage', usage: { outputText: 99 } }],
      usage: FINAL,
    });
    const r = await run(modelFor(ctx.server, 'google'));
    const reports = ctx.server.log[0]!.usageReports.map((u) => u.numbers.outputText);
    assert.deepEqual(reports, [1, 2, 3, 99, 12]);
    assert.equal(r.steps[0]!.usage.outputTokens, 12);
    assert.equal(r.steps[0]!.usage.inputTokens, 400);
  });

  for (const provider of ['openai-chat', 'openai-compatible'] as const) {
    it(`${provider}: usage repeated in every chunk (running totals): the SDK keeps the last`, async () => {
      ctx.server.enqueue(provider, { events: threeWords, usage: FINAL, usageMode: 'repeat' });
      const r = await run(modelFor(ctx.server, provider));
      const outputs = ctx.server.log[0]!.usageReports.map((u) => u.numbers.outputText);
      // role chunk, three text chunks, finish chunk, usage chunk
      assert.deepEqual(outputs, [0, 1, 2, 3, 3, 12]);
      assert.equal(r.steps[0]!.usage.outputTokens, 12);
      assert.equal(r.steps[0]!.usage.inputTokens, 400);
    });
  }

  const noUsage: Array<[ProviderId, string]> = [
    ['openai-responses', 'response.completed with usage: null'],
    ['openai-chat', 'no usage chunk'],
    ['openai-compatible', 'no usage chunk (Ollama without include_usage)'],
    ['google', 'no usageMetadata'],
  ];
  for (const [provider, how] of noUsage) {
    it(`${provider}: ${how}: every usage field is undefined, raw too; the finish reason is still there`, async () => {
      ctx.server.enqueue(provider, { events: threeWords, usageMode: 'none' });
      const r = await run(modelFor(ctx.server, provider));
      assert.equal(r.text, 'one two three');
      assert.deepEqual(usageView(r.steps[0]!.usage), UNDEFINED_USAGE);
      assert.equal(r.steps[0]!.finishReason, 'stop');
      assert.deepEqual(ctx.server.log[0]!.usageReports, []);
      assert.equal(ctx.server.log[0]!.usage, undefined);
    });
  }

  it('OpenRouter-style cost: usage.cost reaches usage.raw (not providerMetadata)', async () => {
    ctx.server.enqueue('openai-compatible', { events: threeWords, usage: FINAL, cost: 0.000123 });
    const r = await run(modelFor(ctx.server, 'openai-compatible'));
    const raw = r.steps[0]!.usage.raw as Record<string, unknown>;
    assert.deepEqual(raw, {
      prompt_tokens: 400,
      completion_tokens: 12,
      total_tokens: 412,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, image_tokens: 0 },
      cost: 0.000123,
      is_byok: false,
      cost_details: { upstream_inference_cost: null },
    });
    assert.deepEqual(r.steps[0]!.providerMetadata, { compat: {} });
    assert.equal(ctx.server.log[0]!.cost, 0.000123);
  });
});
