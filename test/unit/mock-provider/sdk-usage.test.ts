/**
 * What the AI SDK 6 reports per step for each wire, given exact usage numbers on the wire.
 * These assertions document the SDK's real behaviour for the normalizer and the agent.
 */
import assert from 'node:assert/strict';
import type { ScriptInput, UsageNumbers } from '../../../src/mock-provider';
import { modelFor, run, usageView, useMockServer } from './helpers';

const events: ScriptInput['events'] = [
  { type: 'reasoning', text: 'Thinking about' },
  { type: 'reasoning', text: ' the answer.' },
  { type: 'text', text: 'Hello' },
  { type: 'text', text: ' world.' },
];

/** A long prompt mostly served from cache, some reasoning: what a real second request looks like. */
const OPENAI_LIKE: UsageNumbers = {
  inputNoCache: 1200,
  cacheRead: 3000,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  outputText: 40,
  reasoning: 25,
};

describe('mock provider: what the SDK reports per step', () => {
  const ctx = useMockServer();

  it('OpenAI Responses: input includes cached tokens, output includes reasoning; raw is the wire object', async () => {
    ctx.server.enqueue('openai-responses', { events, usage: OPENAI_LIKE });
    const r = await run(modelFor(ctx.server, 'openai-responses'));
    assert.equal(r.steps.length, 1);
    assert.equal(r.text, 'Hello world.');
    assert.equal(r.steps[0]!.reasoningText, 'Thinking about the answer.');
    const wire = {
      input_tokens: 4200,
      input_tokens_details: { cached_tokens: 3000 },
      output_tokens: 65,
      output_tokens_details: { reasoning_tokens: 25 },
      total_tokens: 4265,
    };
    assert.deepEqual(usageView(r.steps[0]!.usage), {
      inputTokens: 4200,
      inputTokenDetails: { noCacheTokens: 1200, cacheReadTokens: 3000, cacheWriteTokens: undefined },
      outputTokens: 65,
      outputTokenDetails: { textTokens: 40, reasoningTokens: 25 },
      totalTokens: 4265,
      raw: wire,
    });
    const entry = ctx.server.log[0]!;
    assert.deepEqual(entry.wireUsage, wire);
    assert.deepEqual(entry.usage, OPENAI_LIKE);
    assert.deepEqual(
      entry.usageReports.map((u) => u.carrier),
      ['response.completed'],
    );
  });

  it('OpenAI Chat: same split; raw is the zod-parsed object, unknown keys (audio_tokens) stripped', async () => {
    ctx.server.enqueue('openai-chat', { events, usage: OPENAI_LIKE });
    const r = await run(modelFor(ctx.server, 'openai-chat'));
    assert.equal(r.text, 'Hello world.');
    // OpenAI streams no reasoning text on Chat Completions; only the count.
    assert.equal(r.steps[0]!.reasoningText, undefined);
    assert.deepEqual(usageView(r.steps[0]!.usage), {
      inputTokens: 4200,
      inputTokenDetails: { noCacheTokens: 1200, cacheReadTokens: 3000, cacheWriteTokens: undefined },
      outputTokens: 65,
      outputTokenDetails: { textTokens: 40, reasoningTokens: 25 },
      totalTokens: 4265,
      raw: {
        prompt_tokens: 4200,
        completion_tokens: 65,
        total_tokens: 4265,
        prompt_tokens_details: { cached_tokens: 3000 },
        completion_tokens_details: {
          reasoning_tokens: 25,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
    });
    // What actually went over the wire had more keys than `raw` shows.
    assert.deepEqual(ctx.server.log[0]!.wireUsage, {
      prompt_tokens: 4200,
      completion_tokens: 65,
      total_tokens: 4265,
      prompt_tokens_details: { cached_tokens: 3000, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 25,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    // The SDK asked for usage by itself.
    assert.deepEqual((ctx.server.log[0]!.request.body as { stream_options: unknown }).stream_options, {
      include_usage: true,
    });
  });

  it('Anthropic: input = input_tokens + cache read + cache write; no text/reasoning split; 5m/1h split only in raw', async () => {
    const numbers: UsageNumbers = {
      inputNoCache: 50,
      cacheRead: 3000,
      cacheWrite5m: 200,
      cacheWrite1h: 100,
      outputText: 40,
      reasoning: 25,
    };
    ctx.server.enqueue('anthropic', { events, usage: numbers });
    const r = await run(modelFor(ctx.server, 'anthropic'));
    assert.equal(r.text, 'Hello world.');
    assert.equal(r.steps[0]!.reasoningText, 'Thinking about the answer.');
    const raw = {
      input_tokens: 50,
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 3000,
      cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 100 },
      output_tokens: 65,
      service_tier: 'standard',
    };
    assert.deepEqual(usageView(r.steps[0]!.usage), {
      inputTokens: 3350,
      inputTokenDetails: { noCacheTokens: 50, cacheReadTokens: 3000, cacheWriteTokens: 300 },
      outputTokens: 65,
      outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
      totalTokens: 3415,
      // message_start's usage merged with message_delta's (later keys win).
      raw,
    });
    const meta = r.steps[0]!.providerMetadata?.anthropic as Record<string, unknown>;
    assert.deepEqual(meta.usage, raw);
    assert.equal(meta.cacheCreationInputTokens, 300);
    // Two snapshots on the wire: message_start (input, output_tokens 1) and message_delta (cumulative).
    const entry = ctx.server.log[0]!;
    assert.deepEqual(
      entry.usageReports.map((u) => [u.carrier, (u.wire as { output_tokens: number }).output_tokens]),
      [
        ['message_start', 1],
        ['message_delta', 65],
      ],
    );
    assert.deepEqual(entry.wireUsage, {
      input_tokens: 50,
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 3000,
      output_tokens: 65,
    });
  });

  it('Gemini: input includes cachedContentTokenCount; output = candidates + thoughts; raw is the last usageMetadata', async () => {
    ctx.server.enqueue('google', { events, usage: OPENAI_LIKE });
    const r = await run(modelFor(ctx.server, 'google'));
    assert.equal(r.text, 'Hello world.');
    assert.equal(r.steps[0]!.reasoningText, 'Thinking about the answer.');
    const last = {
      promptTokenCount: 4200,
      candidatesTokenCount: 40,
      totalTokenCount: 4265,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 4200 }],
      cachedContentTokenCount: 3000,
      cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 3000 }],
      thoughtsTokenCount: 25,
    };
    assert.deepEqual(usageView(r.steps[0]!.usage), {
      inputTokens: 4200,
      inputTokenDetails: { noCacheTokens: 1200, cacheReadTokens: 3000, cacheWriteTokens: undefined },
      outputTokens: 65,
      outputTokenDetails: { textTokens: 40, reasoningTokens: 25 },
      totalTokens: 4265,
      raw: last,
    });
    // usageMetadata went out with every chunk (4 content chunks + the finish chunk), running totals.
    const reports = ctx.server.log[0]!.usageReports;
    assert.equal(reports.length, 5);
    assert.deepEqual(
      reports.map((u) => [u.numbers.reasoning, u.numbers.outputText]),
      [
        [2, 0],
        [4, 0],
        [4, 1],
        [4, 2],
        [25, 40],
      ],
    );
  });

  it('OpenAI-compatible: lean usage; raw keeps unknown keys (loose schema)', async () => {
    ctx.server.enqueue('openai-compatible', { events, usage: OPENAI_LIKE });
    const r = await run(modelFor(ctx.server, 'openai-compatible'));
    assert.equal(r.text, 'Hello world.');
    assert.equal(r.steps[0]!.reasoningText, 'Thinking about the answer.');
    assert.deepEqual(usageView(r.steps[0]!.usage), {
      inputTokens: 4200,
      inputTokenDetails: { noCacheTokens: 1200, cacheReadTokens: 3000, cacheWriteTokens: undefined },
      outputTokens: 65,
      outputTokenDetails: { textTokens: 40, reasoningTokens: 25 },
      totalTokens: 4265,
      raw: {
        prompt_tokens: 4200,
        completion_tokens: 65,
        total_tokens: 4265,
        prompt_tokens_details: { cached_tokens: 3000 },
        completion_tokens_details: { reasoning_tokens: 25 },
      },
    });
  });

  it('cache writes on OpenAI wires: Responses/Chat subtract cache_write_tokens, the compatible client ignores them', async () => {
    const numbers: UsageNumbers = { ...OPENAI_LIKE, cacheWrite5m: 500 };
    ctx.server.enqueue('openai-responses', { events, usage: numbers });
    ctx.server.enqueue('openai-chat', { events, usage: numbers });
    ctx.server.enqueue('openai-compatible', { events, usage: numbers });
    const responses = (await run(modelFor(ctx.server, 'openai-responses'))).steps[0]!.usage;
    const chat = (await run(modelFor(ctx.server, 'openai-chat'))).steps[0]!.usage;
    const compat = (await run(modelFor(ctx.server, 'openai-compatible'))).steps[0]!.usage;
    const exact = { noCacheTokens: 1200, cacheReadTokens: 3000, cacheWriteTokens: 500 };
    assert.deepEqual(responses.inputTokenDetails, exact);
    assert.deepEqual(chat.inputTokenDetails, exact);
    // OpenRouter's prompt_tokens_details.cache_write_tokens: the compatible provider leaves the
    // writes inside noCacheTokens. Only raw has them.
    assert.deepEqual(compat.inputTokenDetails, {
      noCacheTokens: 1700,
      cacheReadTokens: 3000,
      cacheWriteTokens: undefined,
    });
    assert.equal(
      (compat.raw as { prompt_tokens_details: { cache_write_tokens: number } }).prompt_tokens_details
        .cache_write_tokens,
      500,
    );
    for (const u of [responses, chat, compat]) assert.equal(u.inputTokens, 4700);
  });

  it('finish reasons: length on each wire', async () => {
    const expected: Record<string, string> = {
      'openai-responses': 'max_output_tokens',
      'openai-chat': 'length',
      anthropic: 'max_tokens',
      google: 'MAX_TOKENS',
      'openai-compatible': 'length',
    };
    for (const provider of [
      'openai-responses',
      'openai-chat',
      'anthropic',
      'google',
      'openai-compatible',
    ] as const) {
      ctx.server.enqueue(provider, { events: [{ type: 'text', text: 'cut short' }], finish: 'length' });
      const r = await run(modelFor(ctx.server, provider));
      assert.equal(r.steps[0]!.finishReason, 'length', provider);
      assert.equal(r.steps[0]!.rawFinishReason, expected[provider], provider);
    }
  });
});
