/**
 * Stopping a request mid-stream (the user presses Stop): what the SDK still reports, and what
 * the server had sent. The SDK drops the aborted step's usage entirely; only raw chunks (with
 * `includeRawChunks: true`) carry what the provider said before the stop.
 */
import assert from 'node:assert/strict';
import { type LanguageModelUsage, stepCountIs, streamText, type TextStreamPart, type ToolSet } from 'ai';
import {
  type MockProvider,
  PROVIDER_IDS,
  type ProviderId,
  type ScriptInput,
} from '../../../src/mock-provider';
import { listFilesTool, modelFor, useMockServer } from './helpers';

interface AbortOutcome {
  parts: string[];
  raw: unknown[];
  stepsFinished: number;
  onAbortSteps: number | undefined;
  onFinishCalled: boolean;
  errors: unknown[];
  usage: { ok: LanguageModelUsage } | { rejected: string };
  totalUsage: { ok: LanguageModelUsage } | { rejected: string };
  steps: { ok: number } | { rejected: string };
}

async function settle<T, U>(p: PromiseLike<T>, map: (v: T) => U): Promise<{ ok: U } | { rejected: string }> {
  try {
    return { ok: map(await p) };
  } catch (error) {
    return { rejected: error instanceof Error ? error.name : String(error) };
  }
}

/** Resolves 100 ms after the server has sent the headers of its latest response (and so every frame before a stall). */
async function serverStalled(server: MockProvider, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && server.log.at(-1)?.status !== 200) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
}

/**
 * Stream, and abort on the first part that `stopAt` accepts; with `whenStalled`, also once the
 * server stalls (for streams where nothing reaches the caller).
 */
async function abortRun(
  server: MockProvider,
  provider: ProviderId,
  stopAt: (part: TextStreamPart<ToolSet>) => boolean,
  opts: { tools?: ToolSet; whenStalled?: boolean } = {},
): Promise<AbortOutcome> {
  const controller = new AbortController();
  const out: Omit<AbortOutcome, 'usage' | 'totalUsage' | 'steps'> = {
    parts: [],
    raw: [],
    stepsFinished: 0,
    onAbortSteps: undefined,
    onFinishCalled: false,
    errors: [],
  };
  const result = streamText({
    model: modelFor(server, provider),
    prompt: 'hi',
    tools: opts.tools,
    stopWhen: stepCountIs(5),
    abortSignal: controller.signal,
    includeRawChunks: true,
    maxRetries: 0,
    onStepFinish: () => {
      out.stepsFinished++;
    },
    onAbort: ({ steps }) => {
      out.onAbortSteps = steps.length;
    },
    onFinish: () => {
      out.onFinishCalled = true;
    },
    onError: ({ error }) => {
      out.errors.push(error);
    },
  });
  if (opts.whenStalled) void serverStalled(server, controller.signal).then(() => controller.abort());
  for await (const part of result.fullStream) {
    out.parts.push(part.type);
    if (part.type === 'raw') out.raw.push(part.rawValue);
    if (stopAt(part)) controller.abort();
  }
  await server.settled();
  return {
    ...out,
    usage: await settle(result.usage, (u) => u),
    totalUsage: await settle(result.totalUsage, (u) => u),
    steps: await settle(result.steps, (s) => s.length),
  };
}

const textThenStall: ScriptInput = {
  events: [{ type: 'text', text: 'Hello' }, { type: 'text', text: ' there' }, { type: 'stall' }],
  usage: { inputNoCache: 10, cacheRead: 90, cacheWrite5m: 0, cacheWrite1h: 0 },
};

function rawType(raw: unknown): string {
  const r = raw as Record<string, unknown>;
  if (typeof r.type === 'string') return r.type;
  if ('usageMetadata' in r) return 'gemini-chunk+usage';
  if ('candidates' in r) return 'gemini-chunk';
  return 'chat-chunk';
}

describe('mock provider: abort mid-stream through the SDK', () => {
  const ctx = useMockServer();

  for (const provider of PROVIDER_IDS) {
    it(`${provider}: stop after the first text delta: no step, usage/totalUsage/steps reject with AbortError`, async () => {
      ctx.server.enqueue(provider, textThenStall);
      const o = await abortRun(ctx.server, provider, (p) => p.type === 'text-delta');
      assert.equal(o.parts.at(-1), 'abort');
      assert.equal(o.stepsFinished, 0);
      assert.equal(o.onAbortSteps, 0);
      assert.equal(o.onFinishCalled, false);
      assert.deepEqual(o.errors, []);
      assert.deepEqual(o.usage, { rejected: 'AbortError' });
      assert.deepEqual(o.totalUsage, { rejected: 'AbortError' });
      assert.deepEqual(o.steps, { rejected: 'AbortError' });
      const entry = ctx.server.log[0]!;
      assert.equal(entry.outcome, 'client-aborted');
      // What the server had put on the wire before the stop.
      const carriers = entry.usageReports.map((u) => u.carrier);
      if (provider === 'anthropic') assert.deepEqual(carriers, ['message_start']);
      else if (provider === 'google') assert.deepEqual(carriers, ['chunk', 'chunk']);
      else assert.deepEqual(carriers, []);
    });
  }

  it('raw chunks before the first text: Anthropic message_start carries the whole input usage; Gemini chunks carry usageMetadata', async () => {
    ctx.server.enqueue('anthropic', textThenStall);
    const a = await abortRun(ctx.server, 'anthropic', (p) => p.type === 'text-delta');
    assert.deepEqual(a.raw.map(rawType), [
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
    ]);
    assert.deepEqual((a.raw[0] as { message: { usage: unknown } }).message.usage, {
      input_tokens: 10,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 90,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: 1,
      service_tier: 'standard',
    });
    // The raw message_start arrives before the text-start part.
    assert.ok(a.parts.indexOf('raw') < a.parts.indexOf('text-start'));

    ctx.server.reset();
    ctx.server.enqueue('google', textThenStall);
    const g = await abortRun(ctx.server, 'google', (p) => p.type === 'text-delta');
    assert.deepEqual(g.raw.map(rawType), ['gemini-chunk+usage']);
    assert.equal(
      (g.raw[0] as { usageMetadata: { promptTokenCount: number } }).usageMetadata.promptTokenCount,
      100,
    );
  });

  it('raw chunks before any output: Anthropic and compatible pass them on; OpenAI (both) and Gemini deliver nothing', async () => {
    const seen: Record<string, string[]> = {};
    for (const provider of PROVIDER_IDS) {
      ctx.server.reset();
      ctx.server.enqueue(provider, { events: [{ type: 'stall' }] });
      const o = await abortRun(ctx.server, provider, (p) => p.type === 'raw', { whenStalled: true });
      seen[provider] = o.raw.map(rawType);
      assert.equal(ctx.server.log[0]!.outcome, 'client-aborted', provider);
    }
    assert.deepEqual(seen, {
      // OpenAI's providers read ahead until the first output chunk before returning the stream:
      // response.created / the role chunk were sent but never reach the caller.
      'openai-responses': [],
      'openai-chat': [],
      anthropic: ['message_start'],
      // Gemini sends nothing before the first content.
      google: [],
      'openai-compatible': ['chat-chunk'],
    });
  });

  it('abort in the second step of a tool loop: step 1 survives; usage = step 1, totalUsage has every field undefined, onFinish runs', async () => {
    ctx.server.enqueue('anthropic', {
      events: [{ type: 'tool-call', name: 'list_files', args: { path: '.' } }],
      usage: { inputNoCache: 21, outputText: 7 },
    });
    ctx.server.enqueue('anthropic', textThenStall);
    const o = await abortRun(ctx.server, 'anthropic', (p) => p.type === 'text-delta', {
      tools: { list_files: listFilesTool },
    });
    assert.equal(o.stepsFinished, 1);
    assert.equal(o.onAbortSteps, 1);
    assert.equal(o.onFinishCalled, true);
    assert.deepEqual(o.steps, { ok: 1 });
    assert.ok('ok' in o.usage);
    // `usage` is the last FINISHED step: the aborted request is silently absent.
    assert.equal(o.usage.ok.inputTokens, 21);
    assert.ok('ok' in o.totalUsage);
    assert.deepEqual(
      [o.totalUsage.ok.inputTokens, o.totalUsage.ok.outputTokens, o.totalUsage.ok.totalTokens],
      [undefined, undefined, undefined],
    );
    assert.deepEqual(
      ctx.server.log.map((e) => e.outcome),
      ['completed', 'client-aborted'],
    );
  });

  it('a timed stall resumes and completes', async () => {
    ctx.server.enqueue('openai-chat', {
      events: [
        { type: 'text', text: 'a' },
        { type: 'stall', ms: 30 },
        { type: 'text', text: ' b' },
      ],
    });
    const started = Date.now();
    const o = await abortRun(ctx.server, 'openai-chat', () => false);
    assert.ok(Date.now() - started >= 25);
    assert.equal(o.stepsFinished, 1);
    assert.equal(ctx.server.log[0]!.outcome, 'completed');
  });
});
