/** `stream: false` (generateText): the same scripts and usage, as one JSON response per wire. */
import assert from 'node:assert/strict';
import { generateText, stepCountIs } from 'ai';
import { PROVIDER_IDS, type UsageNumbers } from '../../../src/mock-provider';
import { listFilesTool, modelFor, usageView, useMockServer } from './helpers';

const NUMBERS: UsageNumbers = {
  inputNoCache: 1200,
  cacheRead: 3000,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  outputText: 40,
  reasoning: 25,
};

describe('mock provider: non-streaming responses (generateText)', () => {
  const ctx = useMockServer();

  for (const provider of PROVIDER_IDS) {
    it(`${provider}: generateText gets the same usage as streamText would`, async () => {
      ctx.server.enqueue(provider, {
        events: [
          { type: 'reasoning', text: 'Think.' },
          { type: 'text', text: 'Hello' },
          { type: 'text', text: ' world.' },
        ],
        usage: NUMBERS,
      });
      const r = await generateText({ model: modelFor(ctx.server, provider), prompt: 'hi', maxRetries: 0 });
      assert.equal(r.text, 'Hello world.');
      const u = usageView(r.usage);
      assert.equal(u.inputTokens, 4200);
      assert.equal(u.outputTokens, 65);
      assert.deepEqual(u.inputTokenDetails, {
        noCacheTokens: 1200,
        cacheReadTokens: 3000,
        cacheWriteTokens: provider === 'anthropic' ? 0 : undefined,
      });
      const entry = ctx.server.log[0]!;
      assert.deepEqual(
        entry.usageReports.map((x) => x.carrier),
        ['response'],
      );
      assert.equal(entry.outcome, 'completed');
      assert.notEqual((entry.request.body as { stream?: boolean }).stream, true);
    });
  }

  it('a generateText tool loop through the demo agent', async () => {
    const r = await generateText({
      model: modelFor(ctx.server, 'openai-responses'),
      prompt: 'What is here?',
      tools: { list_files: listFilesTool },
      stopWhen: stepCountIs(5),
      maxRetries: 0,
    });
    assert.equal(r.steps.length, 2);
    assert.match(r.text, /^I called list_files once/);
    assert.deepEqual(
      ctx.server.log.map((e) => e.request.lastRole),
      ['user', 'tool'],
    );
  });

  it('an in-stream error becomes the provider’s HTTP error; usage:none leaves usage undefined', async () => {
    ctx.server.enqueue('anthropic', { events: [{ type: 'text', text: 'a' }, { type: 'stream-error' }] });
    await assert.rejects(
      generateText({ model: modelFor(ctx.server, 'anthropic'), prompt: 'hi', maxRetries: 0 }),
      (e: { statusCode: number }) => e.statusCode === 529,
    );
    ctx.server.enqueue('openai-chat', { events: [{ type: 'text', text: 'a' }], usageMode: 'none' });
    const r = await generateText({ model: modelFor(ctx.server, 'openai-chat'), prompt: 'hi', maxRetries: 0 });
    assert.equal(r.usage.inputTokens, undefined);
  });
});
