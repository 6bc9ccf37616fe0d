/**
 * A hard limit is checked before each request goes out: a scripted tool loop (the mock provider's
 * `[[tools:5]]`) is stopped before the request that would have crossed the session budget, and
 * that request is never sent.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '../../../src/core/agent/providers';
import { type RequestPreflight, runTurn } from '../../../src/core/agent/turn';
import { Workspace } from '../../../src/core/agent/workspace';
import { budgetStatus, checkRequest } from '../../../src/core/budget/budgets';
import { spendRows } from '../../../src/core/ledger/spendRows';
import { picoToDecimal } from '../../../src/core/money';
import { loadPricing, type Pricing } from '../../../src/core/pricing/pricing';
import { reportRowsOf } from '../../../src/core/report/spending';
import { sessionStats } from '../../../src/core/report/stats';
import { SessionStore } from '../../../src/core/sessions/store';
import type { SessionWriter } from '../../../src/core/sessions/writer';
import { type MockProvider, startMockProvider } from '../../../src/mock-provider';

describe('budget before each request (turn loop)', function () {
  this.timeout(30_000);
  let mock: MockProvider;
  let pricing: Pricing;
  let dir: string;
  let ws: Workspace;
  const model = 'claude-sonnet-4-5';

  before(async () => {
    mock = await startMockProvider();
    pricing = await loadPricing();
  });
  after(() => mock.close());
  beforeEach(async () => {
    mock.reset();
    dir = mkdtempSync(join(tmpdir(), 'tally-budget-'));
    mkdirSync(join(dir, 'ws'));
    ws = await Workspace.open(join(dir, 'ws'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function turn(
    sessionId: string,
    beforeRequest: (p: RequestPreflight, w: SessionWriter) => Promise<boolean | string>,
  ) {
    const store = await SessionStore.open(join(dir, 'storage'), { price: pricing.price });
    const writer = await store.create({ title: 't', provider: 'anthropic', model, sessionId });
    const result = await runTurn({
      writer,
      model: createModel({ kind: 'anthropic', model, apiKey: 'k', baseURL: mock.baseURLs.anthropic }),
      provider: 'anthropic',
      modelId: model,
      prompt: 'Look around [[tools:5]]',
      workspace: ws,
      policy: { allowWrites: false, allowCommands: false },
      approve: async () => true,
      price: (u, reported) => pricing.price(u, model, 'anthropic', reported),
      maxOutputTokens: 1000,
      beforeRequest: (p) => beforeRequest(p, writer),
    });
    await writer.close();
    await mock.settled();
    return { result, writer, stats: sessionStats(writer.state, null) };
  }

  it('stops the tool loop before the request that would cross the session budget', async () => {
    // A reference run learns each request's cost and pre-flight estimate (deterministic mock).
    const estimates: bigint[] = [];
    const ref = await turn('ref', async (p) => {
      estimates.push(p.costPico!);
      return true;
    });
    assert.equal(ref.result.status, 'completed');
    assert.equal(ref.stats.turns[0]!.requests.length, 6);
    const costs = ref.stats.turns[0]!.requests.map((r) => BigInt(Math.round(Number(r.cost) * 1e12)));
    for (const [i, c] of costs.entries())
      assert.ok(c <= estimates[i]!, `request ${i + 1} cost ≤ its estimate`);

    // The limit lets two requests through and not the third's estimate.
    const limit = costs[0]! + costs[1]! + estimates[2]! - 1n;
    const limitUsd = Number(picoToDecimal(limit));
    mock.reset();
    let asked = 0;
    const { result, stats } = await turn('limited', async (p, writer) => {
      asked++;
      const state = writer.state;
      const rows = reportRowsOf(
        spendRows(state),
        { sessionId: state.sessionId, title: '', deleted: false },
        'w',
      );
      const status = budgetStatus(
        { sessionUsd: limitUsd },
        { session: { sessionId: state.sessionId, rows }, workspace: rows, overall: rows },
      );
      const v = checkRequest(status, p.costPico);
      return v.ok ? true : v.message;
    });
    assert.equal(asked, 3);
    assert.equal(result.status, 'interrupted');
    assert.match(result.error!, /^stopped before a request that could cross the session budget/);
    assert.equal(result.requests, 2);
    assert.equal(mock.log.length, 2, 'the third request never went out');
    assert.equal(stats.turns[0]!.requests.length, 2);
    assert.equal(stats.turns[0]!.status, 'interrupted');
    assert.ok(BigInt(Math.round(Number(stats.total.cost) * 1e12)) <= limit);
  });

  it('a hook that says no before the first request sends nothing and records the turn', async () => {
    const { result, stats } = await turn('none', async () => false);
    assert.equal(result.status, 'interrupted');
    assert.equal(result.error, 'stopped before a request that could cross a budget');
    assert.equal(mock.log.length, 0);
    assert.equal(stats.total.requests, 0);
    assert.equal(stats.turns.length, 1);
  });
});
