/**
 * Multi-step tool loops through the real SDK: one request per step, each with its own usage,
 * `result.usage` = the last step only, `result.totalUsage` = the sum without `raw`.
 */
import assert from 'node:assert/strict';
import { stepCountIs, streamText } from 'ai';
import { inputTotal, outputTotal, PROVIDER_IDS, type UsageNumbers } from '../../../src/mock-provider';
import { listFilesTool, modelFor, run, useMockServer } from './helpers';

describe('mock provider: multi-step tool loop through the SDK', () => {
  const ctx = useMockServer();

  for (const provider of PROVIDER_IDS) {
    it(`${provider}: demo agent calls list_files, then answers with the result; each step = one logged request`, async () => {
      const r = await run(modelFor(ctx.server, provider), {
        prompt: 'What is in this workspace?',
        tools: { list_files: listFilesTool },
        maxSteps: 5,
      });
      assert.deepEqual(r.errors, []);
      assert.equal(r.steps.length, 2);
      const [first, second] = r.steps;
      assert.equal(first!.finishReason, 'tool-calls');
      assert.deepEqual(
        first!.toolCalls.map((c) => [c.toolName, c.input]),
        [['list_files', { path: '.' }]],
      );
      assert.equal(first!.text, 'Let me look at the workspace first.');
      assert.equal(second!.finishReason, 'stop');
      assert.match(
        second!.text,
        /^I called list_files once and it returned: "README\.md src\/ package\.json \(in \.\)"/,
      );

      const log = ctx.server.log;
      assert.equal(log.length, 2);
      assert.deepEqual(
        log.map((e) => [e.provider, e.source, e.outcome, e.request.lastRole, e.request.tools]),
        [
          [provider, 'demo', 'completed', 'user', ['list_files']],
          [provider, 'demo', 'completed', 'tool', ['list_files']],
        ],
      );
      // Every step's usage is exactly what the server reported for that request.
      r.steps.forEach((step, i) => {
        const n = log[i]!.usage!;
        assert.equal(step.usage.inputTokens, inputTotal(n), `step ${i} input`);
        assert.equal(step.usage.outputTokens, outputTotal(n), `step ${i} output`);
        assert.equal(step.usage.inputTokenDetails.cacheReadTokens, n.cacheRead, `step ${i} cache read`);
      });
      // The second request repeats the first prompt: it is read from the implicit cache
      // (Anthropic caches only with cache_control, which this request does not carry).
      const secondUsage = log[1]!.usage!;
      if (provider === 'anthropic') assert.equal(secondUsage.cacheRead, 0);
      else assert.ok(secondUsage.cacheRead > 0 && secondUsage.cacheRead < inputTotal(secondUsage));
    });
  }

  it('[[tools:3]] makes three tool-call requests before the answer', async () => {
    const r = await run(modelFor(ctx.server, 'anthropic'), {
      prompt: 'Look around [[tools:3]]',
      tools: { list_files: listFilesTool },
      maxSteps: 5,
    });
    assert.deepEqual(
      r.steps.map((s) => s.finishReason),
      ['tool-calls', 'tool-calls', 'tool-calls', 'stop'],
    );
    assert.match(r.steps[3]!.text, /^I called list_files 3 times/);
    assert.deepEqual(
      ctx.server.log.map((e) => e.magic),
      [['[[tools:3]]'], ['[[tools:3]]'], ['[[tools:3]]'], ['[[tools:3]]']],
    );
  });

  it('result.usage is the LAST step only; totalUsage sums the steps and has no raw', async () => {
    const step1: UsageNumbers = {
      inputNoCache: 100,
      cacheRead: 0,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      outputText: 20,
      reasoning: 5,
    };
    const step2: UsageNumbers = { ...step1, inputNoCache: 30, cacheRead: 100, outputText: 12, reasoning: 0 };
    ctx.server.enqueue('openai-responses', {
      events: [{ type: 'tool-call', name: 'list_files', args: { path: 'src' } }],
      usage: step1,
    });
    ctx.server.enqueue('openai-responses', { events: [{ type: 'text', text: 'Done.' }], usage: step2 });
    const result = streamText({
      model: modelFor(ctx.server, 'openai-responses'),
      prompt: 'list src',
      tools: { list_files: listFilesTool },
      stopWhen: stepCountIs(5),
      maxRetries: 0,
    });
    await result.consumeStream();
    const steps = await result.steps;
    assert.equal(steps.length, 2);
    assert.deepEqual(steps[0]!.toolCalls[0]!.input, { path: 'src' });
    const usage = await result.usage;
    assert.equal(usage.inputTokens, 130);
    assert.equal(usage.outputTokens, 12);
    assert.deepEqual(usage.raw, steps[1]!.usage.raw);
    const total = await result.totalUsage;
    assert.deepEqual(
      {
        inputTokens: total.inputTokens,
        inputTokenDetails: total.inputTokenDetails,
        outputTokens: total.outputTokens,
        outputTokenDetails: total.outputTokenDetails,
        totalTokens: total.totalTokens,
        raw: total.raw,
      },
      {
        inputTokens: 230,
        inputTokenDetails: { noCacheTokens: 130, cacheReadTokens: 100, cacheWriteTokens: undefined },
        outputTokens: 37,
        outputTokenDetails: { textTokens: 32, reasoningTokens: 5 },
        totalTokens: 267,
        raw: undefined,
      },
    );
  });

  it('a single-step totalUsage keeps raw (only a sum of two or more steps drops it)', async () => {
    ctx.server.enqueue('anthropic', { events: [{ type: 'text', text: 'Hi.' }] });
    const result = streamText({ model: modelFor(ctx.server, 'anthropic'), prompt: 'hi', maxRetries: 0 });
    await result.consumeStream();
    const total = await result.totalUsage;
    assert.deepEqual(total.raw, (await result.steps)[0]!.usage.raw);
  });
});
