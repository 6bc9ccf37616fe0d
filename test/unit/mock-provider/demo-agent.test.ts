/** The default demo agent: deterministic usage and the magic words end-to-end tests rely on. */
import assert from 'node:assert/strict';
import { streamText, tool } from 'ai';
import { z } from 'zod';
import { demoArgs } from '../../../src/mock-provider/demo';
import { parseMagic, stripMagic } from '../../../src/mock-provider/magic';
import { listFilesTool, modelFor, run, useMockServer } from './helpers';

describe('mock provider: demo agent', () => {
  const ctx = useMockServer();

  it('without tools it answers with text; usage is deterministic from the request', async () => {
    const first = await run(modelFor(ctx.server, 'openai-chat'), { prompt: 'Say hi' });
    assert.equal(first.text, 'Hello from the Tally mock model. You said: "Say hi".');
    const entry = ctx.server.log[0]!;
    const messages = (entry.request.body as { messages: unknown }).messages;
    const input = Math.ceil(JSON.stringify(messages).length / 4);
    assert.deepEqual(entry.usage, {
      inputNoCache: input,
      cacheRead: 0,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      outputText: 10,
      reasoning: 0,
    });
    assert.equal(first.steps[0]!.usage.outputTokens, 10);
    // The same request in a fresh conversation reports the same numbers.
    ctx.server.reset();
    const again = await run(modelFor(ctx.server, 'openai-chat'), { prompt: 'Say hi' });
    assert.deepEqual(again.steps[0]!.usage, first.steps[0]!.usage);
  });

  it('cache read = the prompt prefix shared with the previous request of the same conversation', async () => {
    const model = modelFor(ctx.server, 'openai-responses');
    const history = [
      { role: 'user' as const, content: 'First question, fairly long so the prefix matters.' },
    ];
    await streamText({ model, messages: history, maxRetries: 0 }).consumeStream();
    const followUp = [
      ...history,
      { role: 'assistant' as const, content: 'An answer.' },
      { role: 'user' as const, content: 'And a follow-up.' },
    ];
    await streamText({ model, messages: followUp, maxRetries: 0 }).consumeStream();
    const [a, b] = ctx.server.log;
    const promptA = JSON.stringify((a!.request.body as { input: unknown }).input);
    const promptB = JSON.stringify((b!.request.body as { input: unknown }).input);
    let shared = 0;
    while (promptA[shared] === promptB[shared]) shared++;
    assert.equal(b!.usage!.cacheRead, Math.floor(shared / 4));
    assert.equal(b!.usage!.inputNoCache + b!.usage!.cacheRead, Math.ceil(promptB.length / 4));
  });

  it('Anthropic caches only with cache_control: shared prefix read, half of the rest written with the marker’s TTL', async () => {
    const model = modelFor(ctx.server, 'anthropic');
    const cached = {
      role: 'system' as const,
      content: 'You are a careful assistant. '.repeat(20),
      providerOptions: { anthropic: { cacheControl: { type: 'ephemeral', ttl: '1h' } } },
    };
    const r1 = await streamText({
      model,
      messages: [cached, { role: 'user', content: 'one' }],
      allowSystemInMessages: true,
      maxRetries: 0,
    });
    await r1.consumeStream();
    const r2 = streamText({
      model,
      messages: [
        cached,
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'two' },
      ],
      allowSystemInMessages: true,
      maxRetries: 0,
    });
    await r2.consumeStream();
    const [a, b] = ctx.server.log.map((e) => e.usage!);
    assert.equal(a!.cacheRead, 0);
    assert.ok(a!.cacheWrite1h > 0 && a!.cacheWrite5m === 0);
    assert.ok(b!.cacheRead > a!.cacheWrite1h);
    const u = (await r2.steps)[0]!.usage;
    assert.equal(u.inputTokenDetails.cacheReadTokens, b!.cacheRead);
    assert.equal(u.inputTokenDetails.cacheWriteTokens, b!.cacheWrite1h);
    const raw = u.raw as { cache_creation: { ephemeral_1h_input_tokens: number } };
    assert.equal(raw.cache_creation.ephemeral_1h_input_tokens, b!.cacheWrite1h);
  });

  it('calls the first offered tool with schema-shaped arguments when list_files is not offered', async () => {
    const readFile = tool({
      description: 'Read a file',
      inputSchema: z.object({ path: z.string(), limit: z.number(), follow: z.boolean().optional() }),
      execute: async () => 'contents',
    });
    const r = await run(modelFor(ctx.server, 'google'), {
      prompt: 'read it',
      tools: { read_file: readFile },
      maxSteps: 3,
    });
    assert.deepEqual(r.steps[0]!.toolCalls[0]!.input, { path: '.', limit: 1 });
    assert.match(r.steps[1]!.text, /^I called read_file once and it returned: "contents"/);
    assert.deepEqual(
      demoArgs({ name: 'x', parameters: { properties: { q: { type: 'string' } }, required: ['q'] } }),
      {
        q: 'mock',
      },
    );
  });

  it('[[xss]] answers with a script tag, an onerror image and javascript: links', async () => {
    const r = await run(modelFor(ctx.server, 'anthropic'), { prompt: 'show me [[xss]]' });
    assert.match(r.text, /<script>alert\("xss"\)<\/script>/);
    assert.match(r.text, /<img src="x" onerror="alert\(1\)">/);
    assert.match(r.text, /\]\(javascript:alert\(document\.cookie\)\)/);
    assert.match(r.text, /href="javascript:alert\(2\)"/);
    assert.deepEqual(ctx.server.log[0]!.magic, ['[[xss]]']);
  });

  it('[[long:N]] streams N words (one delta each) and reports N output tokens', async () => {
    const r = await run(modelFor(ctx.server, 'openai-compatible'), { prompt: 'go [[long:2000]] [[fast]]' });
    assert.equal(r.text.split(' ').length, 2000);
    assert.equal(r.steps[0]!.usage.outputTokens, 2000);
  });

  it('[[think:N]] adds N reasoning words; [[length]] stops at the output limit', async () => {
    const r = await run(modelFor(ctx.server, 'google'), { prompt: 'ponder [[think:5]] [[length]]' });
    assert.equal(r.steps[0]!.reasoningText, 'tally counts every token the');
    assert.equal(r.steps[0]!.usage.outputTokenDetails.reasoningTokens, 5);
    assert.equal(r.steps[0]!.finishReason, 'length');
  });

  it('[[stall]] stalls after some text until the client aborts; [[stall:MS]] resumes', async () => {
    const controller = new AbortController();
    const result = streamText({
      model: modelFor(ctx.server, 'anthropic'),
      prompt: 'wait [[stall]]',
      abortSignal: controller.signal,
      maxRetries: 0,
    });
    let text = '';
    for await (const part of result.fullStream) {
      if (part.type !== 'text-delta') continue;
      text += part.text;
      // Nothing more may arrive while stalled: give it 150 ms, then stop.
      if (text === 'Hello from the Tally mock') setTimeout(() => controller.abort(), 150);
    }
    await ctx.server.settled();
    assert.equal(text, 'Hello from the Tally mock');
    assert.equal(ctx.server.log[0]!.outcome, 'client-aborted');

    const resumed = await run(modelFor(ctx.server, 'anthropic'), { prompt: 'wait [[stall:20]]' });
    assert.equal(resumed.text, 'Hello from the Tally mock model. You said: "wait".');
  });

  it('with tools, disruptions hit the first request of the turn after its preamble text', async () => {
    const r = await run(modelFor(ctx.server, 'openai-chat'), {
      prompt: 'list [[midstream-error]]',
      tools: { list_files: listFilesTool },
      maxSteps: 3,
    });
    assert.equal(r.text, 'Let me look at');
    assert.equal(r.steps.length, 1);
    assert.equal(r.steps[0]!.finishReason, 'error');
  });

  it('[[error:429]] fails every attempt with retry-after 1; [[flaky:503]] fails only the first attempt (retry-after 0)', async () => {
    const failing = await run(modelFor(ctx.server, 'openai-responses'), { prompt: 'x [[error:429]]' });
    assert.equal(failing.errors.length, 1);
    const e = failing.errors[0] as { statusCode: number; responseHeaders: Record<string, string> };
    assert.equal(e.statusCode, 429);
    assert.equal(e.responseHeaders['retry-after'], '1');

    ctx.server.reset();
    const flaky = await run(modelFor(ctx.server, 'anthropic'), { prompt: 'x [[flaky:529]]', maxRetries: 2 });
    assert.deepEqual(flaky.errors, []);
    assert.equal(flaky.steps.length, 1);
    assert.deepEqual(
      ctx.server.log.map((l) => l.status),
      [529, 200],
    );
    // The refused attempt cached nothing: the retry reads no cache.
    assert.equal(ctx.server.log[1]!.usage!.cacheRead, 0);
  });

  it('[[cut]], [[malformed]], [[usage:none]], [[usage:repeat]], [[cost:X]] reach the wire', async () => {
    await run(modelFor(ctx.server, 'openai-chat'), { prompt: 'a [[cut]]' }).catch(() => undefined);
    await run(modelFor(ctx.server, 'openai-chat'), { prompt: 'b [[malformed]]' });
    await run(modelFor(ctx.server, 'openai-compatible'), { prompt: 'c [[usage:none]]' });
    await run(modelFor(ctx.server, 'openai-compatible'), { prompt: 'd [[usage:repeat]]' });
    const cost = await run(modelFor(ctx.server, 'openai-compatible'), { prompt: 'e [[cost:0.0042]]' });
    await ctx.server.settled();
    const log = ctx.server.log;
    assert.equal(log[0]!.outcome, 'cut');
    assert.equal(log[1]!.outcome, 'completed');
    assert.equal(log[2]!.usageReports.length, 0);
    assert.ok(log[3]!.usageReports.length > 5);
    assert.equal((cost.steps[0]!.usage.raw as { cost: number }).cost, 0.0042);
    assert.equal(log[4]!.cost, 0.0042);
  });

  it('parses magic words and strips them from the prompt', () => {
    const m = parseMagic(
      'a [[tools:3]] b [[long:10]] [[stall:5]] [[usage:repeat]] [[cost:0.5]] [[slow:20]] [[nope]]',
    );
    assert.deepEqual(
      [m.tools, m.long, m.stall, m.usageMode, m.cost, m.chunkDelayMs],
      [3, 10, { ms: 5 }, 'repeat', 0.5, 20],
    );
    assert.deepEqual(m.words, [
      '[[tools:3]]',
      '[[long:10]]',
      '[[stall:5]]',
      '[[usage:repeat]]',
      '[[cost:0.5]]',
      '[[slow:20]]',
    ]);
    assert.equal(stripMagic('hi [[xss]]  there [[fast]]'), 'hi there');
    assert.equal(parseMagic('[[error:999]]').error, undefined);
  });
});
