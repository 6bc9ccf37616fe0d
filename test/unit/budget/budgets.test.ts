/** Budgets at their thresholds, periods in a zone, warnings once per period, requests checked before they go out. */
import assert from 'node:assert/strict';
import {
  budgetStatus,
  checkRequest,
  describeBudget,
  newWarnings,
  parseBudgets,
  warningKey,
} from '../../../src/core/budget/budgets';
import { preflightEstimate } from '../../../src/core/budget/preflight';
import { emptyTotals } from '../../../src/core/ledger/derive';
import type { ReportRow } from '../../../src/core/report/spending';

const USD = 1_000_000_000_000n;

function row(start: string, pico: bigint, sessionId = 's1', workspace = '/w'): ReportRow {
  return {
    start: Date.parse(start),
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    turns: 1,
    requests: 1,
    pricedRequests: 1,
    unknownCostRequests: 0,
    unknownCostTokens: 0,
    usage: emptyTotals(),
    costPico: pico,
    sessionId,
    sessionTitle: '',
    workspace,
    deleted: false,
  };
}

const now = new Date('2026-03-15T12:00:00Z');

describe('budgets', () => {
  it('ok below the warning threshold, warning from 80%, exceeded from 100%', () => {
    const at = (pico: bigint) =>
      budgetStatus(
        { dailyUsd: 10 },
        {
          session: { sessionId: 's1', rows: [] },
          workspace: [],
          overall: [row('2026-03-15T08:00:00Z', pico)],
        },
        { now, tz: 'UTC' },
      )[0]!;
    assert.equal(at(8n * USD - 1n).level, 'ok');
    assert.equal(at(8n * USD).level, 'warning');
    assert.equal(at(10n * USD - 1n).level, 'warning');
    assert.equal(at(10n * USD).level, 'exceeded');
    assert.equal(describeBudget(at(8n * USD)), 'daily budget: $8.00 of $10.00 spent (80%) on 2026-03-15');
  });

  it('each budget counts its own period, in the zone: today, this month, the session, the workspace', () => {
    const rows = [
      row('2026-03-15T08:00:00Z', 1n * USD, 's1', '/w'), // today, this session
      row('2026-03-14T23:30:00Z', 2n * USD, 's2', '/w'), // yesterday in UTC, today in Paris (+1)
      row('2026-03-02T10:00:00Z', 4n * USD, 's3', '/other'), // this month, another workspace
      row('2026-02-28T10:00:00Z', 8n * USD, 's4', '/w'), // last month
    ];
    const spend = {
      session: { sessionId: 's1', rows: rows.filter((r) => r.sessionId === 's1') },
      workspace: rows.filter((r) => r.workspace === '/w'),
      overall: rows,
    };
    const budgets = {
      sessionUsd: 100,
      workspaceDailyUsd: 100,
      workspaceMonthlyUsd: 100,
      dailyUsd: 100,
      monthlyUsd: 100,
    };
    const spent = (tz: string) =>
      Object.fromEntries(
        budgetStatus(budgets, spend, { now, tz }).map((l) => [l.kind, [l.period, l.spentPico / USD]]),
      );
    assert.deepEqual(spent('UTC'), {
      session: ['s1', 1n],
      workspaceDaily: ['2026-03-15', 1n],
      workspaceMonthly: ['2026-03', 3n],
      daily: ['2026-03-15', 1n],
      monthly: ['2026-03', 7n],
    });
    assert.deepEqual(spent('Europe/Paris').workspaceDaily, ['2026-03-15', 3n]);
  });

  it('warns once per budget and period', () => {
    const status = (pico: bigint, day: string) =>
      budgetStatus(
        { dailyUsd: 1 },
        { session: { sessionId: 's', rows: [] }, workspace: [], overall: [row(`${day}T08:00:00Z`, pico)] },
        { now: new Date(`${day}T12:00:00Z`), tz: 'UTC' },
      );
    const warned = new Set<string>();
    const first = newWarnings(status(USD - USD / 10n, '2026-03-15'), warned);
    assert.equal(first.length, 1);
    for (const l of first) warned.add(warningKey(l));
    assert.equal(newWarnings(status(USD - USD / 20n, '2026-03-15'), warned).length, 0); // same day: once
    assert.equal(newWarnings(status(USD - USD / 10n, '2026-03-16'), warned).length, 1); // a new day
  });

  it('a request that could cross a limit is refused; one that lands exactly on it goes', () => {
    const status = budgetStatus(
      { sessionUsd: 1 },
      {
        session: { sessionId: 's', rows: [row('2026-03-15T08:00:00Z', USD / 2n)] },
        workspace: [],
        overall: [],
      },
      { now, tz: 'UTC' },
    );
    assert.deepEqual(checkRequest(status, USD / 2n), { ok: true, unpriced: false });
    const no = checkRequest(status, USD / 2n + 1n);
    assert.equal(no.ok, false);
    assert.match(
      (no as { message: string }).message,
      /^stopped before a request that could cross the session budget \(\$0\.50 left of \$1\.00; the request could cost up to \$0\.50\)$/,
    );
    // A request of unknown price cannot be checked: it goes, and says so.
    assert.deepEqual(checkRequest(status, null), { ok: true, unpriced: true });
  });

  it('budget settings are validated with one clear line', () => {
    assert.deepEqual(parseBudgets({ dailyUsd: 5, sessionUsd: null }, 'x'), { dailyUsd: 5, sessionUsd: null });
    assert.throws(
      () => parseBudgets({ dailyUsd: -1 }, 'the setting'),
      /Bad budgets in the setting: dailyUsd/,
    );
    assert.throws(() => parseBudgets({ daily: 5 }, 'f.json'), /Bad budgets in f\.json/);
  });

  it('the pre-flight estimate: the prompt counted, cache reads as the last hit suggests, the whole maximum output', () => {
    const price = (u: {
      inputTokenDetails: { noCacheTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
      outputTokens: number;
    }) => ({
      pico: String(
        u.inputTokenDetails.noCacheTokens * 3_000_000 +
          u.inputTokenDetails.cacheReadTokens * 300_000 +
          u.inputTokenDetails.cacheWriteTokens * 3_750_000 +
          u.outputTokens * 15_000_000,
      ),
      basis: 'computed' as const,
    });
    const fresh = preflightEstimate({ promptTokens: 1000, maxOutputTokens: 100, price });
    assert.equal(fresh.costPico, 1000n * 3_000_000n + 100n * 15_000_000n);
    const last = {
      inputTokens: 1000,
      inputTokenDetails: { noCacheTokens: 100, cacheReadTokens: 800, cacheWriteTokens: 100 },
      outputTokens: 0,
      outputTokenDetails: { textTokens: 0, reasoningTokens: 0 },
      totalTokens: 1000,
      source: 'provider' as const,
    };
    const cached = preflightEstimate({ promptTokens: 2000, lastUsage: last, maxOutputTokens: 100, price });
    assert.equal(cached.cacheReadTokens, 1600);
    assert.equal(cached.cacheWriteTokens, 400);
    assert.equal(cached.costPico, 1600n * 300_000n + 400n * 3_750_000n + 100n * 15_000_000n);
    assert.equal(preflightEstimate({ promptText: 'hello world', price }).maxOutputTokens, 8192);
  });
});
