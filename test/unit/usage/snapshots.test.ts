import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromRawUsage } from '../../../src/core/usage/normalize';
import { PROVIDER_KINDS, type ProviderKind } from '../../../src/core/usage/providers';
import {
  mergeAnthropicStreamUsage,
  mergeUsageSnapshot,
  NO_SNAPSHOTS,
  type RawUsageSnapshot,
  recordUsageSnapshot,
  usageInStreamEvent,
  usageOfRequest,
} from '../../../src/core/usage/snapshots';
import { usageFixture, wireEvents } from './fixture';

function streamUsage(name: string) {
  const f = usageFixture(name);
  const provider = f.provider as ProviderKind;
  let state = NO_SNAPSHOTS;
  for (const event of f.events ?? []) {
    const part = usageInStreamEvent(provider, event);
    if (part) state = recordUsageSnapshot(state, 'req-1', provider, part);
  }
  const r = usageOfRequest(state, 'req-1');
  if (!r?.ok) assert.fail(`no usage: ${r && !r.ok ? r.reason : 'none recorded'}`);
  return r.usage;
}

describe('usage snapshots of one request: the latest wins, nothing is added twice', () => {
  it('Anthropic: message_start gives the input, message_delta the cumulative output (15, not 1 + 15)', () => {
    const events = usageFixture('anthropic-stream-basic').events!;
    const raw = mergeAnthropicStreamUsage(events);
    const r = fromRawUsage('anthropic', raw);
    assert.ok(r.ok);
    assert.equal(r.usage.inputTokens, 25);
    assert.equal(r.usage.outputTokens, 15);
    assert.deepEqual(streamUsage('anthropic-stream-basic'), r.usage);
  });

  it('Anthropic with a server tool: the last message_delta carries running totals for input too', () => {
    const u = streamUsage('anthropic-stream-web-search');
    assert.equal(u.inputTokens, 10682, 'not 2679 + 10682');
    assert.equal(u.outputTokens, 510, 'not 3 + 510');
  });

  it('Gemini repeats usageMetadata in every chunk: counted once, from the last chunk', () => {
    const u = streamUsage('gemini-stream');
    assert.equal(u.inputTokens, 5200);
    assert.equal(u.inputTokenDetails.cacheReadTokens, 4096);
    assert.equal(u.outputTokens, 7 + 120);
    assert.equal(u.outputTokenDetails.reasoningTokens, 120);
  });

  it('OpenAI Chat: usage comes in the last chunk with empty choices; null usage on other chunks is no update', () => {
    const u = streamUsage('openai-chat-stream');
    assert.equal(u.inputTokens, 9);
    assert.equal(u.outputTokens, 12);
  });

  it('OpenAI Responses: usage comes in response.completed', () => {
    const u = streamUsage('openai-responses-stream');
    assert.equal(u.inputTokens, 37);
    assert.equal(u.outputTokens, 11);
  });

  it('an OpenAI-compatible server repeating the same usage in several chunks counts it once', () => {
    const usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 };
    let state = NO_SNAPSHOTS;
    for (let i = 0; i < 4; i++) state = recordUsageSnapshot(state, 'r', 'openai-compatible', usage);
    const r = usageOfRequest(state, 'r');
    assert.ok(r?.ok);
    assert.equal(r.usage.totalTokens, 120);
  });

  it('a field left out of a later snapshot keeps its earlier value; null never erases one', () => {
    const merged = mergeUsageSnapshot(
      { input_tokens: 50, cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 5 } },
      { output_tokens: 9, input_tokens: null, cache_creation: { ephemeral_5m_input_tokens: 12 } },
    );
    assert.deepEqual(merged, {
      input_tokens: 50,
      output_tokens: 9,
      cache_creation: { ephemeral_5m_input_tokens: 12, ephemeral_1h_input_tokens: 5 },
    });
  });

  it('requests are kept apart by id, and recording returns a new state', () => {
    const a = recordUsageSnapshot(NO_SNAPSHOTS, 'a', 'openai-chat', {
      prompt_tokens: 1,
      completion_tokens: 1,
    });
    const b = recordUsageSnapshot(a, 'b', 'openai-chat', { prompt_tokens: 7, completion_tokens: 3 });
    assert.equal(a.size, 1);
    const ra = usageOfRequest(b, 'a');
    const rb = usageOfRequest(b, 'b');
    assert.ok(ra?.ok && rb?.ok);
    assert.equal(ra.usage.totalTokens, 2);
    assert.equal(rb.usage.totalTokens, 10);
    assert.equal(usageOfRequest(b, 'c'), undefined);
  });

  // A running total of each field: a sequence of snapshots where no field ever goes down.
  const cumulative = (fields: readonly string[]) =>
    fc
      .array(fc.array(fc.nat({ max: 5000 }), { minLength: fields.length, maxLength: fields.length }), {
        minLength: 1,
        maxLength: 12,
      })
      .map((steps) => {
        const running = fields.map(() => 0);
        return steps.map((step) => {
          const snap: Record<string, number> = {};
          fields.forEach((f, i) => {
            running[i]! += step[i]!;
            snap[f] = running[i]!;
          });
          return snap as RawUsageSnapshot;
        });
      });

  const wireFields: [ProviderKind, string[]][] = [
    [
      'anthropic',
      ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'],
    ],
    ['google', ['promptTokenCount', 'candidatesTokenCount', 'thoughtsTokenCount']],
    ['openai-compatible', ['prompt_tokens', 'completion_tokens']],
    ['openai-chat', ['prompt_tokens', 'completion_tokens']],
  ];
  for (const [provider, fields] of wireFields) {
    it(`${provider}: any sequence of cumulative snapshots, even replayed, gives the last one`, () => {
      fc.assert(
        fc.property(cumulative(fields), fc.nat({ max: 3 }), (snapshots, replays) => {
          let state = NO_SNAPSHOTS;
          for (const snap of snapshots) {
            for (let i = 0; i <= replays; i++) state = recordUsageSnapshot(state, 'req', provider, snap);
          }
          const got = usageOfRequest(state, 'req');
          const want = fromRawUsage(provider, snapshots.at(-1));
          assert.deepEqual(got, want);
        }),
      );
    });
  }
});

describe('usage in stream events: only the events that carry it', () => {
  it('an undefined field of a later snapshot erases nothing; a value of another kind replaces the earlier one', () => {
    assert.deepEqual(
      mergeUsageSnapshot({ input_tokens: 50 }, { input_tokens: undefined, output_tokens: 9 }),
      {
        input_tokens: 50,
        output_tokens: 9,
      },
    );
    assert.deepEqual(
      mergeUsageSnapshot({ cost_details: { upstream_inference_cost: 1 } }, { cost_details: 0 }),
      {
        cost_details: 0,
      },
    );
  });

  it('an event that is not an object carries no usage, whatever the provider', () => {
    for (const provider of PROVIDER_KINDS) {
      for (const event of [null, undefined, '[DONE]', 42]) {
        assert.equal(usageInStreamEvent(provider, event), undefined, `${provider} ${String(event)}`);
      }
    }
  });

  it('a usage sent as null is no usage (undefined, not null)', () => {
    assert.equal(usageInStreamEvent('google', { candidates: [], usageMetadata: null }), undefined);
    assert.equal(usageInStreamEvent('anthropic', { type: 'message_delta', usage: null }), undefined);
  });

  it('Anthropic: only message_start and message_delta carry usage', () => {
    assert.equal(usageInStreamEvent('anthropic', { type: 'message_start' }), undefined);
    // A whole non-streamed Message has a usage too, but it is not a stream event.
    assert.equal(
      usageInStreamEvent('anthropic', { type: 'message', usage: { input_tokens: 12 } }),
      undefined,
    );
  });

  it('Anthropic recorded stream with a 1-hour cache write: the split survives the merge', () => {
    const raw = mergeAnthropicStreamUsage(wireEvents('anthropic', 'text-cache-1h.sse'));
    const r = fromRawUsage('anthropic', raw);
    assert.ok(r.ok);
    assert.deepEqual(r.usage.inputTokenDetails, {
      noCacheTokens: 12,
      cacheReadTokens: 40960,
      cacheWriteTokens: 2048,
      cacheWrite1hTokens: 2048,
    });
    assert.equal(r.usage.outputTokens, 14, 'the last message_delta, not 1 + 14');
  });

  it('an OpenAI-compatible server sending running usage in every chunk (vLLM): the last one, once', () => {
    let state = NO_SNAPSHOTS;
    for (const event of wireEvents('openai-compatible', 'usage-every-chunk.sse')) {
      const part = usageInStreamEvent('openai-compatible', event);
      if (part) state = recordUsageSnapshot(state, 'req-1', 'openai-compatible', part);
    }
    const r = usageOfRequest(state, 'req-1');
    assert.ok(r?.ok);
    assert.equal(r.usage.inputTokens, 31);
    assert.equal(r.usage.outputTokens, 6, 'not 0 + 1 + 3 + 4 + 5 + 6 + 6');
    assert.equal(r.usage.totalTokens, 37);
  });
});
