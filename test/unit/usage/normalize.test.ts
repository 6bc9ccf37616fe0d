import assert from 'node:assert/strict';
import type { LanguageModelUsage } from 'ai';
import fc from 'fast-check';
import { checkUsage } from '../../../src/core/usage/checkUsage';
import {
  fromRawUsage,
  fromSdkUsage,
  type NormalizeResult,
  type SdkStepUsage,
} from '../../../src/core/usage/normalize';
import { PROVIDER_KINDS, type ProviderKind } from '../../../src/core/usage/providers';
import type { Usage } from '../../../src/core/usage/types';
import { usageFixture, wireEvents } from './fixture';

function ok(result: NormalizeResult): Usage {
  if (!result.ok) assert.fail(`rejected: ${result.reason}`);
  assert.equal(checkUsage(result.usage), null);
  return result.usage;
}

/** The counts of a usage record, without `raw` and `source`, for exact comparison. */
function counts(u: Usage) {
  return {
    input: u.inputTokens,
    noCache: u.inputTokenDetails.noCacheTokens,
    cacheRead: u.inputTokenDetails.cacheReadTokens,
    cacheWrite: u.inputTokenDetails.cacheWriteTokens,
    cacheWrite1h: u.inputTokenDetails.cacheWrite1hTokens,
    output: u.outputTokens,
    text: u.outputTokenDetails.textTokens,
    reasoning: u.outputTokenDetails.reasoningTokens,
    total: u.totalTokens,
  };
}

function rawOf(name: string): { provider: ProviderKind; usage: Record<string, unknown> } {
  const f = usageFixture(name);
  return { provider: f.provider as ProviderKind, usage: f.usage! };
}

describe('usage normalization: each provider by its documented usage object', () => {
  it('Anthropic input_tokens excludes cache reads and writes: the prompt is their sum', () => {
    const { provider, usage } = rawOf('anthropic-cache-ttl');
    const u = ok(fromRawUsage(provider, usage));
    assert.deepEqual(counts(u), {
      input: 2048 + 1800 + 248,
      noCache: 2048,
      cacheRead: 1800,
      cacheWrite: 248,
      cacheWrite1h: 100,
      output: 503,
      text: 503,
      reasoning: 0,
      total: 4096 + 503,
    });
    assert.equal(u.source, 'provider');
    assert.deepEqual(u.raw, usage, 'the provider object is kept for audit');
  });

  it('OpenAI Chat prompt_tokens already includes cached_tokens: they are not added again', () => {
    const { provider, usage } = rawOf('openai-chat-cached');
    assert.deepEqual(counts(ok(fromRawUsage(provider, usage))), {
      input: 2006,
      noCache: 86,
      cacheRead: 1920,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 300,
      text: 300,
      reasoning: 0,
      total: 2306,
    });
  });

  it('OpenAI Chat completion_tokens includes reasoning_tokens', () => {
    const { provider, usage } = rawOf('openai-chat-reasoning');
    assert.deepEqual(counts(ok(fromRawUsage(provider, usage))), {
      input: 1486,
      noCache: 78,
      cacheRead: 1408,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 651,
      text: 139,
      reasoning: 512,
      total: 2137,
    });
  });

  it('OpenAI Responses input_tokens includes cached tokens and output_tokens includes reasoning', () => {
    const { provider, usage } = rawOf('openai-responses-reasoning');
    assert.deepEqual(counts(ok(fromRawUsage(provider, usage))), {
      input: 75,
      noCache: 75,
      cacheRead: 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 1186,
      text: 162,
      reasoning: 1024,
      total: 1261,
    });
  });

  it('Gemini thoughtsTokenCount is output on top of candidatesTokenCount', () => {
    const { provider, usage } = rawOf('gemini-thinking');
    const u = ok(fromRawUsage(provider, usage));
    assert.deepEqual(counts(u), {
      input: 34,
      noCache: 34,
      cacheRead: 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 418 + 438,
      text: 418,
      reasoning: 438,
      total: 890,
    });
    assert.equal(u.totalTokens, usage.totalTokenCount, 'matches what Gemini says it billed');
  });

  it('Gemini toolUsePromptTokenCount is input, not output', () => {
    const { provider, usage } = rawOf('gemini-tool-use');
    const u = ok(fromRawUsage(provider, usage));
    assert.equal(u.inputTokens, 151 + 18329);
    assert.equal(u.inputTokenDetails.noCacheTokens, 151 + 18329);
    assert.equal(u.outputTokens, 1089 + 1120);
    assert.equal(u.totalTokens, 20689);
  });

  it('Gemini promptTokenCount includes cachedContentTokenCount', () => {
    const u = ok(
      fromRawUsage('google', {
        promptTokenCount: 5200,
        cachedContentTokenCount: 4096,
        candidatesTokenCount: 7,
        totalTokenCount: 5207,
      }),
    );
    assert.equal(u.inputTokens, 5200);
    assert.equal(u.inputTokenDetails.noCacheTokens, 1104);
    assert.equal(u.inputTokenDetails.cacheReadTokens, 4096);
  });

  it("OpenRouter's cost is returned as the reported cost, and its cache writes are kept", () => {
    const { provider, usage } = rawOf('openrouter-usage');
    const r = fromRawUsage(provider, usage);
    const u = ok(r);
    assert.equal(r.ok && r.reportedCostUsd, 0.95);
    assert.deepEqual(counts(u), {
      input: 194,
      noCache: 94,
      cacheRead: 0,
      cacheWrite: 100,
      cacheWrite1h: 0,
      output: 2,
      text: 2,
      reasoning: 0,
      total: 196,
    });
  });

  it('an OpenRouter bring-your-own-key request reports its fee plus the upstream charge', () => {
    const r = fromRawUsage('openai-compatible', {
      prompt_tokens: 10,
      completion_tokens: 5,
      cost: 0.0001,
      is_byok: true,
      cost_details: { upstream_inference_cost: 0.002 },
    });
    assert.ok(r.ok);
    assert.equal(r.reportedCostUsd, 0.0001 + 0.002);
  });

  it('a server that leaves reasoning out of completion_tokens (xAI) still bills it as output', () => {
    const { provider, usage } = rawOf('xai-reasoning-outside-completion');
    assert.deepEqual(counts(ok(fromRawUsage(provider, usage))), {
      input: 26,
      noCache: 22,
      cacheRead: 4,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 168 + 304,
      text: 168,
      reasoning: 304,
      total: 498,
    });
  });

  it('thinking counted only in total_tokens (Gemini via its OpenAI-compatible endpoint) becomes reasoning', () => {
    const { provider, usage } = rawOf('gemini-openai-compat-hidden-thoughts');
    const r = fromRawUsage(provider, usage);
    const u = ok(r);
    assert.equal(u.outputTokens, 1725 - 758);
    assert.equal(u.outputTokenDetails.textTokens, 102);
    assert.equal(u.outputTokenDetails.reasoningTokens, 865);
    assert.equal(u.totalTokens, 1725);
    assert.ok(r.ok && r.notes.some((n) => n.includes('865')));
  });

  it('an OpenAI-compatible server may send a partial usage: missing fields are 0, never NaN', () => {
    const u = ok(fromRawUsage('openai-compatible', { prompt_tokens: 12 }));
    assert.deepEqual(counts(u), {
      input: 12,
      noCache: 12,
      cacheRead: 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 0,
      text: 0,
      reasoning: 0,
      total: 12,
    });
  });

  it('a Responses-shaped usage from an OpenAI-compatible server is read as Responses', () => {
    const u = ok(
      fromRawUsage('openai-compatible', {
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 40 },
        output_tokens: 30,
        output_tokens_details: { reasoning_tokens: 10 },
      }),
    );
    assert.equal(u.inputTokenDetails.noCacheTokens, 60);
    assert.equal(u.outputTokenDetails.textTokens, 20);
  });

  it('Anthropic compaction iterations are summed like the AI SDK does', () => {
    const r = fromRawUsage('anthropic', {
      input_tokens: 23000,
      output_tokens: 1000,
      iterations: [
        { type: 'compaction', input_tokens: 180000, output_tokens: 3500 },
        { type: 'message', input_tokens: 23000, output_tokens: 1000 },
      ],
    });
    const u = ok(r);
    assert.equal(u.inputTokens, 203000);
    assert.equal(u.outputTokens, 4500);
  });

  it('Anthropic cache writes without a TTL split are all 5-minute writes', () => {
    const u = ok(
      fromRawUsage('anthropic', { input_tokens: 10, cache_creation_input_tokens: 3000, output_tokens: 5 }),
    );
    assert.equal(u.inputTokenDetails.cacheWriteTokens, 3000);
    assert.equal(u.inputTokenDetails.cacheWrite1hTokens, 0);
  });
});

describe('usage normalization: untrustworthy payloads are rejected with a reason', () => {
  const bad: [string, ProviderKind, unknown, RegExp][] = [
    [
      'a negative count',
      'openai-chat',
      { prompt_tokens: -5, completion_tokens: 1 },
      /prompt_tokens is negative/,
    ],
    ['a fractional count', 'anthropic', { input_tokens: 1.5, output_tokens: 1 }, /input_tokens is 1.5/],
    ['a NaN count', 'google', { promptTokenCount: Number.NaN }, /promptTokenCount is NaN/],
    ['an infinite count', 'openai', { input_tokens: Number.POSITIVE_INFINITY }, /input_tokens is Infinity/],
    ['an absurd count', 'openai-compatible', { prompt_tokens: 2e10 }, /above the 10000000000/],
    ['a string count', 'openai-chat', { prompt_tokens: '12' }, /prompt_tokens is string/],
    [
      'cached tokens above the prompt',
      'openai-chat',
      { prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 20 } },
      /exceed prompt_tokens/,
    ],
    [
      'reasoning above the completion',
      'openai',
      { input_tokens: 1, output_tokens: 5, output_tokens_details: { reasoning_tokens: 9 } },
      /exceed output_tokens/,
    ],
    [
      'a 1h split above the cache writes',
      'anthropic',
      { input_tokens: 1, cache_creation_input_tokens: 10, cache_creation: { ephemeral_1h_input_tokens: 20 } },
      /exceeds cache_creation_input_tokens/,
    ],
    ['no usage at all', 'anthropic', {}, /no token counts/],
    ['not an object', 'google', 'usage', /not an object/],
    ['null', 'openai', null, /null/],
  ];
  for (const [what, provider, raw, reason] of bad) {
    it(`rejects ${what}`, () => {
      const r = fromRawUsage(provider, raw);
      assert.equal(r.ok, false);
      assert.match(!r.ok ? r.reason : '', reason);
    });
  }

  it('never yields NaN or a broken invariant, whatever numbers arrive', () => {
    const anyNumber = fc.oneof(
      fc.nat({ max: 1e6 }),
      fc.double(),
      fc.constantFrom(undefined, null, -1, 1e11, Number.NaN),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...PROVIDER_KINDS),
        fc.dictionary(
          fc.constantFrom(
            'input_tokens',
            'output_tokens',
            'prompt_tokens',
            'completion_tokens',
            'total_tokens',
            'cache_read_input_tokens',
            'cache_creation_input_tokens',
            'promptTokenCount',
            'candidatesTokenCount',
            'thoughtsTokenCount',
            'cachedContentTokenCount',
          ),
          anyNumber,
        ),
        (provider, raw) => {
          const r = fromRawUsage(provider, raw);
          if (!r.ok) return;
          assert.equal(checkUsage(r.usage), null);
          for (const v of Object.values(counts(r.usage))) assert.ok(Number.isSafeInteger(v) && (v ?? 0) >= 0);
        },
      ),
    );
  });
});

describe('usage normalization: AI SDK 6 step usage', () => {
  it('accepts the SDK LanguageModelUsage type as is', () => {
    const sdk: LanguageModelUsage = {
      inputTokens: 10,
      inputTokenDetails: { noCacheTokens: 10, cacheReadTokens: 0, cacheWriteTokens: undefined },
      outputTokens: 4,
      outputTokenDetails: { textTokens: 4, reasoningTokens: 0 },
      totalTokens: 14,
    };
    const asStep: SdkStepUsage = sdk;
    assert.equal(ok(fromSdkUsage(asStep, 'openai-chat')).totalTokens, 14);
  });

  it("recovers Anthropic's 1-hour cache writes from raw (the SDK has one cacheWriteTokens)", () => {
    const { usage: raw } = rawOf('anthropic-cache-ttl');
    // What @ai-sdk/anthropic reports for this raw usage: text/reasoning are undefined there.
    const sdk: SdkStepUsage = {
      inputTokens: 4096,
      inputTokenDetails: { noCacheTokens: 2048, cacheReadTokens: 1800, cacheWriteTokens: 248 },
      outputTokens: 503,
      outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
      totalTokens: 4599,
      raw,
    };
    const u = ok(fromSdkUsage(sdk, 'anthropic'));
    assert.equal(u.inputTokenDetails.cacheWrite1hTokens, 100);
    assert.equal(u.outputTokenDetails.textTokens, 503);
    assert.equal(u.outputTokenDetails.reasoningTokens, 0);
    assert.equal(u.inputTokens, 4096);
  });

  it("recovers Gemini's tool-use prompt tokens from raw (the SDK leaves them out of inputTokens)", () => {
    const { usage: raw } = rawOf('gemini-tool-use');
    const sdk: SdkStepUsage = {
      inputTokens: 151,
      inputTokenDetails: { noCacheTokens: 151, cacheReadTokens: 0, cacheWriteTokens: undefined },
      outputTokens: 2209,
      outputTokenDetails: { textTokens: 1089, reasoningTokens: 1120 },
      raw,
    };
    assert.equal(ok(fromSdkUsage(sdk, 'google')).inputTokens, 151 + 18329);
  });

  it("returns OpenRouter's reported cost from the step's raw usage", () => {
    const { usage: raw } = rawOf('openrouter-usage');
    const r = fromSdkUsage({ inputTokens: 194, outputTokens: 2, raw }, 'openai-compatible');
    assert.ok(r.ok);
    assert.equal(r.reportedCostUsd, 0.95);
  });

  it('derives missing details: noCache = input − cacheRead − cacheWrite, text = output − reasoning', () => {
    const u = ok(
      fromSdkUsage(
        {
          inputTokens: 100,
          inputTokenDetails: { cacheReadTokens: 30, cacheWriteTokens: 20 },
          outputTokens: 50,
          outputTokenDetails: { reasoningTokens: 15 },
        },
        'openai',
      ),
    );
    assert.equal(u.inputTokenDetails.noCacheTokens, 50);
    assert.equal(u.outputTokenDetails.textTokens, 35);
  });

  it('an SDK usage with every field undefined (an aborted total) is zero usage, not NaN', () => {
    const u = ok(
      fromSdkUsage(
        {
          inputTokens: undefined,
          inputTokenDetails: {
            noCacheTokens: undefined,
            cacheReadTokens: undefined,
            cacheWriteTokens: undefined,
          },
          outputTokens: undefined,
          outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
          totalTokens: undefined,
        },
        'openai',
      ),
    );
    assert.equal(u.totalTokens, 0);
  });

  it('falls back to the SDK fields when raw is unusable, and says so', () => {
    const r = fromSdkUsage({ inputTokens: 5, outputTokens: 1, raw: { prompt_tokens: -1 } }, 'openai-chat');
    assert.ok(r.ok);
    assert.equal(r.usage.inputTokens, 5);
    assert.match(r.notes.join(), /raw usage ignored: prompt_tokens is negative/);
  });

  it('rejects SDK fields that contradict each other', () => {
    const r = fromSdkUsage(
      { inputTokens: 10, inputTokenDetails: { noCacheTokens: 8, cacheReadTokens: 5, cacheWriteTokens: 0 } },
      'openai',
    );
    assert.equal(r.ok, false);
  });
});

describe('usage normalization: exact results and reasons', () => {
  it('a provider usage yields the whole record, its raw object and no cost or notes it did not have', () => {
    const { provider, usage } = rawOf('openai-chat-reasoning');
    assert.deepEqual(fromRawUsage(provider, usage), {
      ok: true,
      usage: {
        inputTokens: 1486,
        inputTokenDetails: {
          noCacheTokens: 78,
          cacheReadTokens: 1408,
          cacheWriteTokens: 0,
          cacheWrite1hTokens: 0,
        },
        outputTokens: 651,
        outputTokenDetails: { textTokens: 139, reasoningTokens: 512 },
        totalTokens: 2137,
        source: 'provider',
        raw: usage,
      },
      notes: [],
    });
  });

  it('a null count is an absent count (0), not a rejection', () => {
    const r = fromRawUsage('openai-compatible', {
      prompt_tokens: 31,
      completion_tokens: 6,
      total_tokens: null,
      prompt_tokens_details: { cached_tokens: null },
    });
    assert.deepEqual(counts(ok(r)), {
      input: 31,
      noCache: 31,
      cacheRead: 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 6,
      text: 6,
      reasoning: 0,
      total: 37,
    });
  });

  const reasons: [string, ProviderKind, unknown, string][] = [
    [
      'a bad nested count, by its dotted path',
      'openai-chat',
      { prompt_tokens: 10, prompt_tokens_details: { cached_tokens: -3 } },
      'prompt_tokens_details.cached_tokens is negative (-3)',
    ],
    ['a string instead of an object', 'google', 'usage', 'google usage is string, not an object'],
    [
      'an array instead of an object',
      'openai',
      [{ input_tokens: 1 }],
      'openai usage is object, not an object',
    ],
    [
      // Each count passes the sanity limit, their sum does not.
      'a prompt whose parts add up above the sanity limit',
      'anthropic',
      { input_tokens: 6e9, cache_read_input_tokens: 6e9, output_tokens: 1 },
      'inputTokens is 12000000000, above the 10000000000 sanity limit',
    ],
    [
      // OpenAI's own Chat API documents reasoning as part of completion_tokens: no server quirk applies.
      "OpenAI's own Chat usage with reasoning above the completion",
      'openai-chat',
      { prompt_tokens: 10, completion_tokens: 5, completion_tokens_details: { reasoning_tokens: 9 } },
      'reasoning_tokens (9) exceed completion_tokens (5)',
    ],
    [
      'the same Chat-shaped usage under the openai kind',
      'openai',
      { prompt_tokens: 10, completion_tokens: 5, completion_tokens_details: { reasoning_tokens: 9 } },
      'reasoning_tokens (9) exceed completion_tokens (5)',
    ],
    [
      // prompt + completion = total: no reasoning can be outside completion_tokens.
      'reasoning above a completion that the total confirms',
      'openai-compatible',
      {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        completion_tokens_details: { reasoning_tokens: 9 },
      },
      'reasoning_tokens (9) exceed completion_tokens (5)',
    ],
  ];
  for (const [what, provider, raw, reason] of reasons) {
    it(`rejects ${what}`, () => assert.deepEqual(fromRawUsage(provider, raw), { ok: false, reason }));
  }

  it('a programming error is thrown, not disguised as a rejected payload', () => {
    const hostile = {
      get prompt_tokens(): number {
        throw new TypeError('boom');
      },
    };
    assert.throws(() => fromRawUsage('openai-chat', hostile), { name: 'TypeError', message: 'boom' });
  });
});

describe('usage normalization: OpenRouter charged cost', () => {
  // The usage of the last chunk of test/fixtures/wire/openai-compatible/openrouter-cost.sse.
  const recorded = () => {
    const last = wireEvents('openai-compatible', 'openrouter-cost.sse').at(-1)!;
    return last.usage as Record<string, unknown>;
  };
  const costOf = (raw: Record<string, unknown>) => {
    const r = fromRawUsage('openai-compatible', raw);
    assert.ok(r.ok);
    return { cost: r.reportedCostUsd, notes: r.notes };
  };

  it('the recorded cost is reported as is (not bring-your-own-key: the null upstream cost is not read)', () => {
    assert.deepEqual(costOf(recorded()), { cost: 0.000588, notes: [] });
  });

  it('a null cost is no cost and no oddity; a string or negative cost is ignored with a note', () => {
    assert.deepEqual(costOf({ ...recorded(), cost: null }), { cost: undefined, notes: [] });
    assert.deepEqual(costOf({ ...recorded(), cost: -0.01 }), {
      cost: undefined,
      notes: ['reported cost -0.01 is not an amount; ignored'],
    });
    assert.deepEqual(costOf({ ...recorded(), cost: '0.000588' }), {
      cost: undefined,
      notes: ['reported cost "0.000588" is not an amount; ignored'],
    });
  });

  it('bring-your-own-key: the fee plus the upstream charge, a zero upstream charge included', () => {
    const byok = (upstream: unknown) => ({
      ...recorded(),
      is_byok: true,
      cost_details: { upstream_inference_cost: upstream },
    });
    assert.deepEqual(costOf(byok(0.0019)), { cost: 0.000588 + 0.0019, notes: [] });
    assert.deepEqual(costOf(byok(0)), { cost: 0.000588, notes: [] });
    const feeOnly = {
      cost: 0.000588,
      notes: ['bring-your-own-key request without an upstream cost; only the OpenRouter fee is reported'],
    };
    assert.deepEqual(costOf(byok(null)), feeOnly);
    assert.deepEqual(costOf(byok('0.0019')), feeOnly);
    assert.deepEqual(costOf(byok(-0.0019)), feeOnly);
    assert.deepEqual(costOf(byok(JSON.parse('1e999'))), feeOnly, 'an overflowing JSON number is Infinity');
  });
});

describe('usage normalization: AI SDK step usage, exact results and reasons', () => {
  const sdk = (usage: SdkStepUsage) => fromSdkUsage(usage, 'openai');

  it('without raw: the SDK fields, source provider, no notes and no raw', () => {
    assert.deepEqual(sdk({ inputTokens: 194, outputTokens: 2 }), {
      ok: true,
      usage: {
        inputTokens: 194,
        inputTokenDetails: {
          noCacheTokens: 194,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          cacheWrite1hTokens: 0,
        },
        outputTokens: 2,
        outputTokenDetails: { textTokens: 2, reasoningTokens: 0 },
        totalTokens: 196,
        source: 'provider',
      },
      notes: [],
    });
  });

  it('text and reasoning without an outputTokens make the output', () => {
    const u = ok(sdk({ outputTokenDetails: { textTokens: 7, reasoningTokens: 3 } }));
    assert.equal(u.outputTokens, 10);
    assert.equal(u.outputTokenDetails.textTokens, 7);
  });

  const reasons: [string, SdkStepUsage, string][] = [
    [
      'cache tokens above the input',
      { inputTokens: 10, inputTokenDetails: { cacheReadTokens: 8, cacheWriteTokens: 5 } },
      'cache tokens (13) exceed inputTokens (10)',
    ],
    [
      'an input that is not the sum of its parts',
      { inputTokens: 10, inputTokenDetails: { noCacheTokens: 8, cacheReadTokens: 5 } },
      'inputTokens 10 ≠ noCache 8 + cacheRead 5 + cacheWrite 0',
    ],
    [
      'reasoning above the output',
      { outputTokens: 5, outputTokenDetails: { reasoningTokens: 9 } },
      'reasoningTokens (9) exceed outputTokens (5)',
    ],
    [
      'an output that is not text + reasoning',
      { outputTokens: 10, outputTokenDetails: { textTokens: 4, reasoningTokens: 3 } },
      'outputTokens 10 ≠ text 4 + reasoning 3',
    ],
  ];
  for (const [what, usage, reason] of reasons) {
    it(`rejects ${what}`, () => assert.deepEqual(sdk(usage), { ok: false, reason }));
  }

  it('when both raw and the SDK fields are unusable, the reason gives both', () => {
    const r = fromSdkUsage(
      {
        inputTokens: 10,
        inputTokenDetails: { noCacheTokens: 8, cacheReadTokens: 5 },
        raw: { prompt_tokens: -1 },
      },
      'openai-chat',
    );
    assert.deepEqual(r, {
      ok: false,
      reason:
        'inputTokens 10 ≠ noCache 8 + cacheRead 5 + cacheWrite 0 (raw usage: prompt_tokens is negative (-1))',
    });
  });
});
