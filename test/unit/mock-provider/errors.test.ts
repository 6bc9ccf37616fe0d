/**
 * Each error class through the real SDK: HTTP errors with the provider's real body, retries,
 * an error event inside a 200 stream, a malformed chunk, and a connection cut.
 */
import assert from 'node:assert/strict';
import { APICallError, streamText } from 'ai';
import { PROVIDER_IDS, type ProviderId, type ScriptInput } from '../../../src/mock-provider';
import { modelFor, useMockServer } from './helpers';

interface Observed {
  parts: string[];
  errors: unknown[];
  thrown: unknown;
  steps: Array<{ finishReason: string; inputTokens: number | undefined; outputTokens: number | undefined }>;
  usage: string;
}

async function observe(
  ctx: { server: Parameters<typeof modelFor>[0] },
  provider: ProviderId,
  script: ScriptInput,
  maxRetries = 0,
): Promise<Observed> {
  ctx.server.enqueue(provider, script);
  const errors: unknown[] = [];
  const steps: Observed['steps'] = [];
  const result = streamText({
    model: modelFor(ctx.server, provider),
    prompt: 'hi',
    maxRetries,
    onError: ({ error }) => {
      errors.push(error);
    },
    onStepFinish: (s) => {
      steps.push({
        finishReason: s.finishReason,
        inputTokens: s.usage.inputTokens,
        outputTokens: s.usage.outputTokens,
      });
    },
  });
  const parts: string[] = [];
  let thrown: unknown;
  try {
    for await (const part of result.fullStream) if (part.type !== 'text-delta') parts.push(part.type);
  } catch (error) {
    thrown = error;
  }
  const usage = await result.usage.then(
    () => 'resolved',
    (e: unknown) => `rejected ${e instanceof Error ? e.name : String(e)}`,
  );
  await ctx.server.settled();
  return { parts, errors, thrown, steps, usage };
}

function apiError(e: unknown): APICallError {
  assert.ok(APICallError.isInstance(e), `expected an APICallError, got ${String(e)}`);
  return e;
}

describe('mock provider: error classes through the SDK', () => {
  const ctx = useMockServer();

  const overloaded: Record<ProviderId, number> = {
    'openai-responses': 503,
    'openai-chat': 503,
    anthropic: 529,
    google: 503,
    'openai-compatible': 503,
  };

  for (const provider of PROVIDER_IDS) {
    it(`${provider}: HTTP 401 / 429 / 500 / overloaded: one error part, APICallError with the real body, no step`, async () => {
      for (const [status, retryable] of [
        [401, false],
        [429, true],
        [500, true],
        [overloaded[provider], true],
      ] as const) {
        ctx.server.reset();
        const o = await observe(ctx, provider, {
          error: { status, ...(status === 429 ? { retryAfter: 7 } : {}) },
        });
        assert.deepEqual(o.parts, ['start', 'error'], `${status}`);
        assert.equal(o.errors.length, 1);
        const e = apiError(o.errors[0]);
        const entry = ctx.server.log[0]!;
        assert.equal(e.statusCode, status);
        assert.equal(e.isRetryable, retryable, `${status} retryable`);
        assert.equal(e.responseBody, JSON.stringify(entry.error?.body));
        // `data` is the body as the provider's zod schema parsed it (Anthropic drops request_id).
        const { request_id: _, ...parsed } = entry.error!.body as Record<string, unknown>;
        assert.deepEqual(e.data, parsed);
        if (status === 429) assert.equal(e.responseHeaders?.['retry-after'], '7');
        assert.deepEqual(o.steps, []);
        assert.equal(o.usage, 'rejected AI_NoOutputGeneratedError');
        assert.deepEqual([entry.status, entry.outcome, entry.usageReports], [status, 'http-error', []]);
      }
    });
  }

  it('error bodies are each provider’s own shape', async () => {
    const bodies: Record<string, unknown> = {};
    for (const provider of ['openai-responses', 'anthropic', 'google'] as const) {
      await observe(ctx, provider, { error: { status: 429, retryAfter: 2 } });
    }
    for (const e of ctx.server.log) bodies[e.provider] = e.error?.body;
    assert.deepEqual(bodies['openai-responses'], {
      error: {
        message:
          'Rate limit reached for gpt-5-mini in organization org-mock on tokens per min (TPM): Limit 30000, Used 30000, Requested 120. Please try again in 1s.',
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    assert.deepEqual(bodies.anthropic, {
      type: 'error',
      error: {
        type: 'rate_limit_error',
        message:
          'This request would exceed the rate limit for your organization of 30,000 input tokens per minute. Please try again later.',
      },
      request_id: 'req_mock',
    });
    assert.deepEqual(
      (bodies.google as { error: { status: string; details: unknown[] } }).error.status,
      'RESOURCE_EXHAUSTED',
    );
    assert.deepEqual((bodies.google as { error: { details: unknown[] } }).error.details[1], {
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: '2s',
    });
  });

  it('retries: the SDK retries 429s by itself (retry-after honoured); onError and onStepFinish never see the failed attempts', async () => {
    for (const provider of PROVIDER_IDS) {
      ctx.server.reset();
      ctx.server.enqueue(provider, { error: { status: 429, retryAfter: 0 } });
      ctx.server.enqueue(provider, { error: { status: 529, retryAfter: 0 } });
      const o = await observe(ctx, provider, { events: [{ type: 'text', text: 'ok' }] }, 2);
      assert.deepEqual(o.errors, [], provider);
      assert.equal(o.steps.length, 1);
      // Three requests reached the server; only one shows up as a step.
      assert.deepEqual(
        ctx.server.log.map((e) => e.status),
        [429, 529, 200],
      );
    }
  });

  it('retries exhausted: one RetryError carrying every attempt', async () => {
    for (let i = 0; i < 3; i++) ctx.server.enqueue('anthropic', { error: { status: 529, retryAfter: 0 } });
    const o = await observe(ctx, 'anthropic', { error: { status: 529, retryAfter: 0 } }, 2);
    assert.equal(o.errors.length, 1);
    const e = o.errors[0] as { name: string; reason: string; errors: unknown[] };
    assert.equal(e.name, 'AI_RetryError');
    assert.equal(e.reason, 'maxRetriesExceeded');
    assert.equal(e.errors.length, 3);
    assert.equal(ctx.server.log.length, 3);
  });

  it('error event inside a 200 stream: the step finishes with finishReason "error"; only Responses and Gemini keep usage', async () => {
    const seen: Record<string, unknown> = {};
    for (const provider of PROVIDER_IDS) {
      ctx.server.reset();
      const o = await observe(ctx, provider, {
        events: [
          { type: 'text', text: 'Hi' },
          { type: 'stream-error', kind: 'overloaded' },
        ],
        usage: { inputNoCache: 100, cacheRead: 0 },
      });
      assert.equal(o.errors.length, 1, provider);
      assert.equal(o.thrown, undefined);
      assert.equal(o.steps.length, 1);
      assert.equal(o.steps[0]!.finishReason, 'error');
      seen[provider] = [o.steps[0]!.inputTokens, o.steps[0]!.outputTokens];
      assert.equal(ctx.server.log[0]!.outcome, 'completed');
      assert.equal(ctx.server.log[0]!.error?.status, 200);
    }
    assert.deepEqual(seen, {
      // response.failed carries usage (running numbers at the failure).
      'openai-responses': [100, 1],
      'openai-chat': [undefined, undefined],
      // message_start DID report 100 input tokens, but the SDK only builds usage at message_stop.
      anthropic: [undefined, undefined],
      // usageMetadata of the last content chunk.
      google: [100, 1],
      'openai-compatible': [undefined, undefined],
    });
  });

  it('error event before any output: OpenAI wires fail like an HTTP error (APICallError from the read-ahead, no step)', async () => {
    const o = await observe(ctx, 'openai-responses', { events: [{ type: 'stream-error', kind: 'server' }] });
    assert.deepEqual(o.parts, ['start', 'error']);
    const e = apiError(o.errors[0]);
    assert.equal(e.statusCode, 500);
    assert.equal(e.isRetryable, true);
    assert.deepEqual(o.steps, []);

    ctx.server.reset();
    const chat = await observe(ctx, 'openai-chat', {
      events: [{ type: 'stream-error', kind: 'overloaded' }],
    });
    assert.deepEqual(chat.parts, ['start', 'error']);
    assert.equal(
      apiError(chat.errors[0]).message,
      'The engine is currently overloaded, please try again later.',
    );

    // Anthropic: message_start went out first, so the error is an ordinary stream error part.
    ctx.server.reset();
    const a = await observe(ctx, 'anthropic', { events: [{ type: 'stream-error', kind: 'overloaded' }] });
    assert.deepEqual(a.parts, ['start', 'start-step', 'error', 'finish-step', 'finish']);
    assert.deepEqual(a.errors, [{ type: 'overloaded_error', message: 'Overloaded' }]);
  });

  it('Anthropic: an error as the FIRST event becomes an APICallError (overloaded_error → 529, retryable)', async () => {
    const o = await observe(ctx, 'anthropic', {
      replay:
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    });
    assert.deepEqual(o.parts, ['start', 'error']);
    const e = apiError(o.errors[0]);
    assert.deepEqual([e.statusCode, e.isRetryable, e.message], [529, true, 'Overloaded']);
  });

  it('malformed chunk: an AI_JSONParseError part, the stream goes on and the step still gets its usage', async () => {
    const seen: Record<string, unknown> = {};
    for (const provider of PROVIDER_IDS) {
      ctx.server.reset();
      const o = await observe(ctx, provider, {
        events: [{ type: 'text', text: 'Hi' }, { type: 'malformed' }, { type: 'text', text: ' there' }],
        usage: { inputNoCache: 50, cacheRead: 0 },
      });
      assert.equal(o.errors.length, 1);
      assert.equal((o.errors[0] as Error).name, 'AI_JSONParseError');
      assert.equal(o.steps.length, 1);
      seen[provider] = [o.steps[0]!.finishReason, o.steps[0]!.inputTokens, o.steps[0]!.outputTokens];
    }
    assert.deepEqual(seen, {
      'openai-responses': ['error', 50, 2],
      'openai-chat': ['stop', 50, 2],
      anthropic: ['stop', 50, 2],
      google: ['stop', 50, 2],
      'openai-compatible': ['stop', 50, 2],
    });
  });

  it('connection cut after some text: fullStream THROWS an APICallError (onError is not called), no step, usage lost', async () => {
    for (const provider of PROVIDER_IDS) {
      ctx.server.reset();
      const o = await observe(ctx, provider, { events: [{ type: 'text', text: 'Hi' }, { type: 'cut' }] });
      assert.deepEqual(o.parts, ['start', 'start-step', 'text-start'], provider);
      assert.deepEqual(o.errors, []);
      const e = apiError(o.thrown);
      assert.equal(e.message, 'Failed to process successful response');
      assert.equal(e.statusCode, 200);
      assert.equal((e.cause as Error).message, 'terminated');
      assert.deepEqual(o.steps, []);
      assert.equal(o.usage, 'rejected AI_APICallError');
      assert.equal(ctx.server.log[0]!.outcome, 'cut');
    }
  });

  it('connection cut before any output: OpenAI wires report it as an error part (read-ahead), the others throw', async () => {
    const how: Record<string, string> = {};
    for (const provider of PROVIDER_IDS) {
      ctx.server.reset();
      const o = await observe(ctx, provider, { events: [{ type: 'cut' }] });
      how[provider] = o.thrown ? 'thrown' : o.errors.length === 1 ? 'onError' : 'nothing';
    }
    assert.deepEqual(how, {
      'openai-responses': 'onError',
      'openai-chat': 'onError',
      anthropic: 'thrown',
      google: 'thrown',
      'openai-compatible': 'thrown',
    });
  });
});
