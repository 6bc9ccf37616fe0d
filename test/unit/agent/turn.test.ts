/**
 * The agent against the local mock provider, through the real AI SDK clients: every request's
 * usage is recorded exactly once and equals what the server put on the wire.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '../../../src/core/agent/providers';
import { type AgentEvent, runTurn } from '../../../src/core/agent/turn';
import { Workspace } from '../../../src/core/agent/workspace';
import { loadPricing, type Pricing } from '../../../src/core/pricing/pricing';
import { sessionStats } from '../../../src/core/report/stats';
import { SessionStore } from '../../../src/core/sessions/store';
import type { ProviderKind } from '../../../src/core/usage/providers';
import {
  type MockLogEntry,
  type MockProvider,
  type ProviderId,
  startMockProvider,
} from '../../../src/mock-provider';

const WIRES: { kind: ProviderKind; wire: ProviderId; model: string }[] = [
  { kind: 'openai', wire: 'openai-responses', model: 'gpt-4o' },
  { kind: 'openai-chat', wire: 'openai-chat', model: 'gpt-4o-mini' },
  { kind: 'anthropic', wire: 'anthropic', model: 'claude-sonnet-4-5' },
  { kind: 'google', wire: 'google', model: 'gemini-2.5-flash' },
  { kind: 'openai-compatible', wire: 'openai-compatible', model: 'llama3' },
];

/** What a correct client records for a mock log entry. */
function expectedUsage(e: MockLogEntry) {
  const n = e.usage!;
  const cacheWrite = n.cacheWrite5m + n.cacheWrite1h;
  return {
    inputTokens: n.inputNoCache + n.cacheRead + cacheWrite,
    noCacheTokens: n.inputNoCache,
    cacheReadTokens: n.cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: n.outputText + n.reasoning,
    reasoningTokens: n.reasoning,
  };
}

describe('agent turn against the mock provider', function () {
  this.timeout(30_000);
  let mock: MockProvider;
  let pricing: Pricing;
  let dir: string;
  let ws: Workspace;

  before(async () => {
    mock = await startMockProvider();
    pricing = await loadPricing();
  });
  after(async () => {
    await mock.close();
  });
  beforeEach(async () => {
    mock.reset();
    dir = mkdtempSync(join(tmpdir(), 'tally-agent-'));
    const wsDir = join(dir, 'ws');
    require('node:fs').mkdirSync(wsDir);
    writeFileSync(join(wsDir, 'notes.md'), '# Notes\nhello\n');
    ws = await Workspace.open(wsDir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function turn(
    w: (typeof WIRES)[number],
    prompt: string,
    opts: {
      sessionId?: string;
      signal?: AbortSignal;
      onEvent?: (e: AgentEvent) => void;
      maxRetries?: number;
      idleTimeoutMs?: number;
    } = {},
  ) {
    const store = await SessionStore.open(join(dir, 'storage'), { price: pricing.price });
    const writer = opts.sessionId
      ? await store.openWriter(opts.sessionId)
      : await store.create({ title: prompt.slice(0, 40), provider: w.kind, model: w.model });
    const result = await runTurn({
      writer,
      model: createModel({
        kind: w.kind,
        model: w.model,
        apiKey: 'test-key-123456',
        baseURL: mock.baseURLs[w.wire],
      }),
      provider: w.kind,
      modelId: w.model,
      prompt,
      workspace: ws,
      policy: { allowWrites: false, allowCommands: false },
      approve: async () => true,
      price: (u, reported) => pricing.price(u, w.model, w.kind, reported),
      ...opts,
    });
    await writer.close();
    await mock.settled();
    const loaded = (await store.load(writer.state.sessionId))!;
    return {
      result,
      writer,
      loaded,
      stats: sessionStats(loaded.state, pricing.contextLimit(w.model, w.kind)),
    };
  }

  for (const w of WIRES) {
    describe(w.kind, () => {
      it('records a tool loop of 3 tool requests + the answer, each request exactly as the server reported it', async () => {
        const { result, stats, loaded } = await turn(w, 'Look around [[tools:3]]');
        assert.equal(result.status, 'completed');
        assert.equal(mock.log.length, 4);
        const t = stats.turns[0]!;
        assert.equal(t.requests.length, 4);
        for (const [i, r] of t.requests.entries()) {
          const e = expectedUsage(mock.log[i]!);
          assert.equal(r.usage.source, 'provider', `request ${i}`);
          assert.equal(r.usage.inputTokens, e.inputTokens, `input of request ${i}`);
          assert.equal(r.usage.inputTokenDetails.noCacheTokens, e.noCacheTokens);
          assert.equal(r.usage.inputTokenDetails.cacheReadTokens, e.cacheReadTokens);
          assert.equal(r.usage.inputTokenDetails.cacheWriteTokens, e.cacheWriteTokens);
          assert.equal(r.usage.outputTokens, e.outputTokens, `output of request ${i}`);
          assert.equal(r.status, 'completed');
        }
        const sum = mock.log.reduce(
          (a, e) => a + expectedUsage(e).inputTokens + expectedUsage(e).outputTokens,
          0,
        );
        assert.equal(t.usage.totalTokens, sum);
        assert.equal(stats.total.totalTokens, sum);
        // The window is the last request's prompt + output, not the turn's sum.
        const last = expectedUsage(mock.log[3]!);
        assert.equal(stats.contextWindow.usedTokens, last.inputTokens + last.outputTokens);
        // The conversation is persisted: user, 3 × (assistant tool call + tool result), answer.
        assert.equal(loaded.state.messages.length, 1 + 3 * 2 + 1);
      });

      it('counts repeated usage updates once', async () => {
        const { stats } = await turn(w, 'Hi [[usage:repeat]] [[tools:0]]');
        assert.equal(mock.log.length, 1);
        const e = expectedUsage(mock.log[0]!);
        assert.equal(stats.total.inputTokens, e.inputTokens);
        assert.equal(stats.total.outputTokens, e.outputTokens);
      });
    });
  }

  it('continues a session: the second turn adds to the first, and the history goes with it', async () => {
    const w = WIRES[2]!;
    const first = await turn(w, 'Hello [[tools:1]]');
    const firstTotal = first.stats.total.totalTokens;
    const second = await turn(w, 'And again [[tools:0]]', { sessionId: first.writer.state.sessionId });
    assert.equal(second.stats.turns.length, 2);
    const e = expectedUsage(mock.log.at(-1)!);
    assert.equal(second.stats.total.totalTokens, firstTotal + e.inputTokens + e.outputTokens);
    // The second turn's request carried the whole conversation (4 earlier messages + the new one).
    assert.ok((mock.log.at(-1)!.request.messages as number) >= 5);
    assert.equal(second.stats.turns[1]!.index, 1);
  });

  it('keeps the input usage of a request stopped mid-stream (Anthropic message_start) and marks the turn interrupted', async () => {
    const w = WIRES[2]!;
    const controller = new AbortController();
    const { result, stats } = await turn(w, 'Tell me [[stall]] [[tools:0]]', {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'text') controller.abort();
      },
    });
    assert.equal(result.status, 'interrupted');
    const r = stats.turns[0]!.requests[0]!;
    assert.equal(r.status, 'interrupted');
    assert.equal(r.usage.source, 'estimated');
    const planned = mock.log[0]!.usageReports[0]!.numbers; // message_start
    assert.equal(r.usage.inputTokenDetails.noCacheTokens, planned.inputNoCache);
    assert.equal(r.usage.inputTokenDetails.cacheReadTokens, planned.cacheRead);
    assert.ok(r.usage.outputTokens > 0, 'the text streamed before the stop is counted');
    assert.equal(stats.turns[0]!.status, 'interrupted');
  });

  it('records an estimate when an OpenAI request is stopped before any usage', async () => {
    const w = WIRES[0]!;
    const controller = new AbortController();
    const { stats } = await turn(w, 'Tell me [[stall]] [[tools:0]]', {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'text') controller.abort();
      },
    });
    const r = stats.turns[0]!.requests[0]!;
    assert.equal(r.usage.source, 'estimated');
    assert.ok(r.usage.inputTokens > 50, `estimated prompt tokens: ${r.usage.inputTokens}`);
    assert.equal(r.status, 'interrupted');
  });

  it('estimates a compatible server that sends no usage at all', async () => {
    const { stats } = await turn(WIRES[4]!, 'Hi [[usage:none]] [[tools:0]]');
    assert.equal(stats.total.source, 'estimated');
    assert.ok(stats.total.inputTokens > 0);
  });

  it('takes the OpenRouter-reported cost over the catalog', async () => {
    const { stats } = await turn(WIRES[4]!, 'Hi [[cost:0.0042]] [[tools:0]]');
    assert.equal(stats.total.cost, '0.0042');
    assert.equal(stats.turns[0]!.requests[0]!.costBasis, 'reported');
  });

  describe('errors end the request as failed with a clear message', () => {
    it('401: the key was rejected, and the key is never echoed', async () => {
      const { result, stats } = await turn(WIRES[2]!, 'Hi [[error:401]]');
      assert.equal(result.status, 'failed');
      assert.match(result.error!, /401/);
      assert.match(result.error!, /ANTHROPIC_API_KEY|Set API Key/);
      assert.doesNotMatch(result.error!, /test-key-123456/);
      assert.equal(stats.turns[0]!.requests.length, 1);
      assert.equal(stats.turns[0]!.requests[0]!.status, 'failed');
      // Refused before any answer: nothing was processed, so nothing is counted or billed.
      assert.equal(stats.turns[0]!.requests[0]!.usage.totalTokens, 0);
      assert.equal(stats.total.totalTokens, 0);
      assert.equal(stats.total.cost, '0.00');
    });

    it('429 then success: the retry is a request of its own', async () => {
      const { result, stats } = await turn(WIRES[1]!, 'Hi [[flaky:429]] [[tools:0]]');
      assert.equal(result.status, 'completed');
      const reqs = stats.turns[0]!.requests;
      assert.deepEqual(
        reqs.map((r) => r.status),
        ['failed', 'completed'],
      );
      assert.match(reqs[0]!.error!, /429/);
      assert.equal(reqs[0]!.usage.totalTokens, 0, 'the refused attempt used no tokens');
      assert.equal(stats.total.inputTokens, mock.log.at(-1)!.usageReports.at(-1)!.numbers.inputNoCache);
    });

    it('500 after retries: failed, every attempt visible', async () => {
      const { result, stats } = await turn(WIRES[3]!, 'Hi [[error:500]]', { maxRetries: 1 });
      assert.equal(result.status, 'failed');
      assert.equal(stats.turns[0]!.requests.length, 2);
    });

    it('a connection cut mid-stream keeps the usage known so far', async () => {
      const { result, stats } = await turn(WIRES[2]!, 'Hi [[cut]] [[tools:0]]', { maxRetries: 0 });
      assert.equal(result.status, 'failed');
      const r = stats.turns[0]!.requests[0]!;
      assert.equal(r.status, 'failed');
      assert.equal(
        r.usage.inputTokenDetails.noCacheTokens,
        mock.log[0]!.usageReports[0]!.numbers.inputNoCache,
      );
    });

    it('a stalled stream fails after the idle timeout instead of hanging', async () => {
      const { result } = await turn(WIRES[0]!, 'Hi [[stall]] [[tools:0]]', {
        idleTimeoutMs: 300,
        maxRetries: 0,
      });
      assert.equal(result.status, 'failed');
      assert.match(result.error!, /stalled/);
    });
  });
});
