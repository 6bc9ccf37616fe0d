/**
 * Tests written against mutants that survived `npm run mutation`: each pins a rule of the raw
 * usage parsers (DESIGN.md, "Usage of one request") that no other test held exactly: every part,
 * every note and every rejection message, per wire format.
 */
import assert from 'node:assert/strict';
import { UsageRejected } from '../../../src/core/usage/build';
import {
  hasUsageFields,
  isResponsesShape,
  type ParsedRaw,
  parseAnthropicUsage,
  parseChatUsage,
  parseCompatibleUsage,
  parseGeminiUsage,
  parseResponsesUsage,
} from '../../../src/core/usage/rawUsage';

type Parts = ParsedRaw['parts'];
const parts = (
  noCache: number,
  cacheRead: number,
  cacheWrite: number,
  cacheWrite1h: number,
  text: number,
  reasoning: number,
): Parts => ({
  noCache,
  cacheRead,
  cacheWrite,
  cacheWrite1h,
  text,
  reasoning,
});

function rejects(f: () => unknown, message: string): void {
  assert.throws(f, (e: unknown) => e instanceof UsageRejected && e.message === message);
}

describe('mutation-found: raw usage of each wire, part by part', () => {
  describe('Anthropic', () => {
    it('input excludes cache reads and writes; the 5m / 1h split is kept; no notes', () => {
      const r = parseAnthropicUsage({
        input_tokens: 12,
        cache_read_input_tokens: 40_960,
        cache_creation_input_tokens: 2_048,
        cache_creation: { ephemeral_5m_input_tokens: 48, ephemeral_1h_input_tokens: 2_000 },
        output_tokens: 14,
      });
      assert.deepEqual(r, { parts: parts(12, 40_960, 2_048, 2_000, 14, 0), notes: [] });
    });

    it('without cache_creation_input_tokens the writes are the sum of the split', () => {
      const r = parseAnthropicUsage({
        input_tokens: 5,
        cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 70 },
        output_tokens: 1,
      });
      assert.deepEqual(r.parts, parts(5, 0, 100, 70, 1, 0));
      assert.deepEqual(
        parseAnthropicUsage({ input_tokens: 5, cache_creation: { ephemeral_1h_input_tokens: 7 } }).parts,
        parts(5, 0, 7, 7, 0, 0),
      );
      assert.deepEqual(
        parseAnthropicUsage({ input_tokens: 5, cache_creation: { ephemeral_5m_input_tokens: 7 } }).parts,
        parts(5, 0, 7, 0, 0, 0),
      );
    });

    it('a split larger than the writes is refused, saying so', () => {
      rejects(
        () =>
          parseAnthropicUsage({
            input_tokens: 1,
            cache_creation_input_tokens: 10,
            cache_creation: { ephemeral_5m_input_tokens: 6, ephemeral_1h_input_tokens: 5 },
          }),
        'cache_creation split (6 5m + 5 1h) exceeds cache_creation_input_tokens (10)',
      );
      rejects(
        () =>
          parseAnthropicUsage({
            cache_creation_input_tokens: 3,
            cache_creation: { ephemeral_1h_input_tokens: 4 },
          }),
        'cache_creation split (0 5m + 4 1h) exceeds cache_creation_input_tokens (3)',
      );
      // Equal is fine.
      assert.equal(
        parseAnthropicUsage({
          cache_creation_input_tokens: 4,
          cache_creation: { ephemeral_1h_input_tokens: 4 },
        }).parts.cacheWrite,
        4,
      );
    });

    it('compaction iterations: executor iterations are summed, others noted, a fallback leaves the top level', () => {
      const iterations = [
        { type: 'compaction', input_tokens: 100, output_tokens: 10 },
        { type: 'message', input_tokens: 50, output_tokens: 5 },
        { type: 'advisor', input_tokens: 999, output_tokens: 999 },
      ];
      const r = parseAnthropicUsage({ input_tokens: 50, output_tokens: 5, iterations });
      assert.deepEqual(r.parts, parts(150, 0, 0, 0, 15, 0));
      assert.deepEqual(r.notes, ['1 usage iteration(s) of another kind (e.g. advisor) are not counted']);
      const only = parseAnthropicUsage({
        input_tokens: 50,
        output_tokens: 5,
        iterations: iterations.slice(0, 2),
      });
      assert.deepEqual(only.notes, []);
      assert.deepEqual(only.parts, parts(150, 0, 0, 0, 15, 0));
      const fallback = parseAnthropicUsage({
        input_tokens: 50,
        output_tokens: 5,
        iterations: [...iterations, { type: 'fallback_message', input_tokens: 1 }],
      });
      assert.deepEqual(fallback, { parts: parts(50, 0, 0, 0, 5, 0), notes: [] });
      const none = parseAnthropicUsage({
        input_tokens: 50,
        output_tokens: 5,
        iterations: [{ type: 'advisor', input_tokens: 9 }],
      });
      assert.deepEqual(none.parts, parts(50, 0, 0, 0, 5, 0));
      assert.deepEqual(none.notes, ['1 usage iteration(s) of another kind (e.g. advisor) are not counted']);
      assert.deepEqual(
        parseAnthropicUsage({ input_tokens: 50, output_tokens: 5, iterations: [] }).parts,
        parts(50, 0, 0, 0, 5, 0),
      );
    });

    it('thinking tokens are reasoning inside output_tokens', () => {
      assert.deepEqual(
        parseAnthropicUsage({
          input_tokens: 1,
          output_tokens: 30,
          output_tokens_details: { thinking_tokens: 12 },
        }).parts,
        parts(1, 0, 0, 0, 18, 12),
      );
      rejects(
        () => parseAnthropicUsage({ output_tokens: 3, output_tokens_details: { thinking_tokens: 4 } }),
        'thinking_tokens (4) exceed output_tokens (3)',
      );
    });
  });

  describe('OpenAI Chat', () => {
    it('prompt includes cached tokens and cache writes; completion includes reasoning', () => {
      const r = parseChatUsage({
        prompt_tokens: 1000,
        completion_tokens: 300,
        prompt_tokens_details: { cached_tokens: 600, cache_write_tokens: 100 },
        completion_tokens_details: { reasoning_tokens: 120 },
      });
      assert.deepEqual(r, { parts: parts(300, 600, 100, 0, 180, 120), notes: [] });
    });

    it('refuses parts larger than their totals, with the numbers', () => {
      rejects(
        () =>
          parseChatUsage({
            prompt_tokens: 10,
            prompt_tokens_details: { cached_tokens: 8, cache_write_tokens: 3 },
          }),
        'cached_tokens + cache_write_tokens (11) exceed prompt_tokens (10)',
      );
      rejects(
        () => parseChatUsage({ completion_tokens: 2, completion_tokens_details: { reasoning_tokens: 3 } }),
        'reasoning_tokens (3) exceed completion_tokens (2)',
      );
    });
  });

  describe('OpenAI Responses', () => {
    it('input includes cached tokens and cache writes; output includes reasoning', () => {
      const r = parseResponsesUsage({
        input_tokens: 500,
        output_tokens: 90,
        input_tokens_details: { cached_tokens: 200, cache_write_tokens: 50 },
        output_tokens_details: { reasoning_tokens: 40 },
      });
      assert.deepEqual(r, { parts: parts(250, 200, 50, 0, 50, 40), notes: [] });
    });

    it('refuses parts larger than their totals, with the numbers', () => {
      rejects(
        () =>
          parseResponsesUsage({
            input_tokens: 10,
            input_tokens_details: { cached_tokens: 7, cache_write_tokens: 4 },
          }),
        'cached_tokens + cache_write_tokens (11) exceed input_tokens (10)',
      );
      rejects(
        () => parseResponsesUsage({ output_tokens: 1, output_tokens_details: { reasoning_tokens: 2 } }),
        'reasoning_tokens (2) exceed output_tokens (1)',
      );
    });

    it('tells the Responses shape from the Chat shape', () => {
      assert.equal(isResponsesShape({ input_tokens: 1 }), true);
      assert.equal(isResponsesShape({ output_tokens: 1 }), true);
      assert.equal(isResponsesShape({ input_tokens: 1, prompt_tokens: 1 }), false);
      assert.equal(isResponsesShape({ output_tokens: 1, completion_tokens: 1 }), false);
      assert.equal(isResponsesShape({ total_tokens: 1 }), false);
    });
  });

  describe('OpenAI-compatible', () => {
    it('a plain Chat-shaped usage, cache writes included in the prompt', () => {
      const r = parseCompatibleUsage({
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 10 },
        completion_tokens_details: { reasoning_tokens: 5 },
      });
      assert.deepEqual(r, { parts: parts(60, 30, 10, 0, 15, 5), notes: [] });
    });

    it('reasoning left out of completion_tokens shows as a surplus in total_tokens', () => {
      const silent = parseCompatibleUsage({ prompt_tokens: 100, completion_tokens: 20, total_tokens: 127 });
      assert.deepEqual(silent.parts, parts(100, 0, 0, 0, 20, 7));
      assert.deepEqual(silent.notes, ['total_tokens exceeds prompt + completion by 7; counted as reasoning']);
      const reported = parseCompatibleUsage({
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 127,
        completion_tokens_details: { reasoning_tokens: 7 },
      });
      assert.deepEqual(reported, { parts: parts(100, 0, 0, 0, 20, 7), notes: [] });
      const both = parseCompatibleUsage({
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 130,
        completion_tokens_details: { reasoning_tokens: 4 },
      });
      assert.deepEqual(both.parts, parts(100, 0, 0, 0, 16, 14));
      assert.deepEqual(both.notes, ['total_tokens exceeds prompt + completion by 10; counted as reasoning']);
      rejects(
        () =>
          parseCompatibleUsage({
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 10,
            completion_tokens_details: { reasoning_tokens: 5 },
          }),
        'reasoning_tokens (5) exceed completion_tokens (2)',
      );
    });

    it('without a total, reasoning above the completion was reported outside it', () => {
      const r = parseCompatibleUsage({
        prompt_tokens: 10,
        completion_tokens: 3,
        completion_tokens_details: { reasoning_tokens: 8 },
      });
      assert.deepEqual(r.parts, parts(10, 0, 0, 0, 3, 8));
      assert.deepEqual(r.notes, [
        'reasoning_tokens exceed completion_tokens; read as reported outside the completion',
      ]);
      const inside = parseCompatibleUsage({
        prompt_tokens: 10,
        completion_tokens: 8,
        completion_tokens_details: { reasoning_tokens: 8 },
      });
      assert.deepEqual(inside, { parts: parts(10, 0, 0, 0, 0, 8), notes: [] });
    });

    it('a total below prompt + completion is noted and ignored', () => {
      const r = parseCompatibleUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 12 });
      assert.deepEqual(r.parts, parts(10, 0, 0, 0, 5, 0));
      assert.deepEqual(r.notes, ['total_tokens (12) is below prompt + completion; ignored']);
      rejects(
        () =>
          parseCompatibleUsage({
            prompt_tokens: 5,
            prompt_tokens_details: { cached_tokens: 4, cache_write_tokens: 2 },
          }),
        'cached_tokens + cache_write_tokens (6) exceed prompt_tokens (5)',
      );
    });

    it("OpenRouter's charged cost, with the upstream cost of bring-your-own-key requests", () => {
      const base = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
      assert.equal(parseCompatibleUsage({ ...base, cost: 0.25 }).reportedCostUsd, 0.25);
      assert.equal(parseCompatibleUsage({ ...base, cost: 0 }).reportedCostUsd, 0);
      assert.equal('reportedCostUsd' in parseCompatibleUsage(base), false);
      assert.equal('reportedCostUsd' in parseCompatibleUsage({ ...base, cost: null }), false);
      const byok = parseCompatibleUsage({
        ...base,
        cost: 0.01,
        is_byok: true,
        cost_details: { upstream_inference_cost: 0.5 },
      });
      assert.equal(byok.reportedCostUsd, 0.51);
      assert.deepEqual(byok.notes, []);
      const noUpstream = parseCompatibleUsage({ ...base, cost: 0.01, is_byok: true });
      assert.equal(noUpstream.reportedCostUsd, 0.01);
      assert.deepEqual(noUpstream.notes, [
        'bring-your-own-key request without an upstream cost; only the OpenRouter fee is reported',
      ]);
      const badUpstream = parseCompatibleUsage({
        ...base,
        cost: 0.01,
        is_byok: true,
        cost_details: { upstream_inference_cost: -1 },
      });
      assert.equal(badUpstream.reportedCostUsd, 0.01);
      for (const bad of [-1, '0.5', Number.POSITIVE_INFINITY, {}]) {
        const r = parseCompatibleUsage({ ...base, cost: bad });
        assert.equal('reportedCostUsd' in r, false);
        assert.deepEqual(r.notes, [`reported cost ${JSON.stringify(bad)} is not an amount; ignored`]);
      }
      assert.equal(
        parseCompatibleUsage({
          ...base,
          cost: 0.3,
          is_byok: false,
          cost_details: { upstream_inference_cost: 9 },
        }).reportedCostUsd,
        0.3,
      );
    });
  });

  describe('Gemini', () => {
    it('prompt includes cached content; tool-use prompt is more input; thoughts are outside candidates', () => {
      const r = parseGeminiUsage({
        promptTokenCount: 1000,
        cachedContentTokenCount: 400,
        toolUsePromptTokenCount: 50,
        candidatesTokenCount: 80,
        thoughtsTokenCount: 20,
      });
      assert.deepEqual(r, { parts: parts(650, 400, 0, 0, 80, 20), notes: [] });
      rejects(
        () => parseGeminiUsage({ promptTokenCount: 3, cachedContentTokenCount: 4 }),
        'cachedContentTokenCount (4) exceeds promptTokenCount (3)',
      );
    });
  });

  it('an object is usage only when it carries a field a parser reads', () => {
    for (const k of [
      'input_tokens',
      'output_tokens',
      'prompt_tokens',
      'completion_tokens',
      'total_tokens',
      'promptTokenCount',
      'candidatesTokenCount',
      'totalTokenCount',
      'cache_read_input_tokens',
      'cache_creation_input_tokens',
    ]) {
      assert.equal(hasUsageFields({ [k]: 0 }), true, k);
      assert.equal(hasUsageFields({ [k]: null }), false, k);
    }
    for (const v of [{}, null, undefined, [], 'x', 5, { other: 1 }]) assert.equal(hasUsageFields(v), false);
  });
});
