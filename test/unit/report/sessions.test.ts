/**
 * Reports over real storage folders: the index's spending rows equal the sessions' own totals,
 * a deleted session keeps its spending (a tombstone without its conversation), purge forgets it,
 * and an index from before the rows is rebuilt.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { emptyTotals, sessionTotals } from '../../../src/core/ledger/derive';
import { bucketRows, spendRows } from '../../../src/core/ledger/spendRows';
import { collectSpending, collectSummaries, summaryRows } from '../../../src/core/report/collect';
import { spendingReport } from '../../../src/core/report/spending';
import { sessionStats } from '../../../src/core/report/stats';
import { decodeSpend, encodeSpend, INDEX_VERSION } from '../../../src/core/sessions/sessionIndex';
import { SessionStore } from '../../../src/core/sessions/store';
import { cost, recordTurn, tempStorage, usage } from '../sessions/helpers';

describe('spending from storage folders', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function session(store: SessionStore, id: string, turns: number, unknownAt = -1) {
    const w = await store.create({
      title: `Session ${id}`,
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      sessionId: id,
    });
    for (let i = 0; i < turns; i++) {
      await recordTurn(
        w,
        i,
        usage(1000 + i, 500, 20, 300, 7),
        cost(i === unknownAt ? null : 12_345_678n + BigInt(i)),
      );
    }
    await w.append({ type: 'message', message: { role: 'user', content: 'a secret conversation' } });
    await w.close();
  }

  it("the index keeps each session's rows; their sums are the session's totals exactly", async () => {
    const store = await SessionStore.open(dir);
    await session(store, 'a', 5, 2);
    await session(store, 'b', 3);
    const { sessions } = await store.list();
    for (const s of sessions) {
      const loaded = (await store.load(s.sessionId))!;
      assert.deepEqual(decodeSpend(s.spend), bucketRows(spendRows(loaded.state)));
      const report = spendingReport(
        decodeSpend(s.spend).map((r) => ({
          ...r,
          sessionId: s.sessionId,
          sessionTitle: s.title,
          workspace: dir,
          deleted: false,
        })),
        { by: 'day', tz: 'UTC' },
      );
      const stats = sessionStats(loaded.state, null);
      assert.equal(report.total.cost, stats.total.cost);
      assert.equal(report.total.unknownCostRequests, stats.total.unknownCostRequests);
      assert.deepEqual(
        { ...report.total, turns: 0, sessions: 0, unknownCostTokens: 0, requests: 0 },
        {
          ...stats.total,
          turns: 0,
          sessions: 0,
          unknownCostTokens: 0,
          requests: 0,
        },
      );
      assert.equal(report.total.turns, stats.total.turns);
      assert.equal(report.total.requests, stats.total.requests);
      assert.equal(sessionTotals(loaded.state).cost.knownPico, BigInt(s.costPico));
    }
    // A second list reads the index only: the rows come back the same.
    const reread = await (await SessionStore.open(dir)).list();
    assert.deepEqual(reread.sessions, sessions);
  });

  it('deleting a session drops its conversation but keeps its spending; purge forgets it', async () => {
    const store = await SessionStore.open(dir);
    await session(store, 'keep', 2);
    await session(store, 'gone', 4, 1);
    const before = spendingReport((await collectSpending([{ dir, workspace: 'w' }])).rows, {
      by: 'session',
      tz: 'UTC',
    });
    assert.equal(await store.delete('gone'), true);
    assert.equal((await store.list()).sessions.length, 1);
    assert.equal(await store.load('gone'), null);
    const trash = await fs.readdir(join(dir, 'sessions', 'trash'));
    assert.equal(trash.length, 1);
    const tomb = await fs.readFile(join(dir, 'sessions', 'trash', trash[0]!), 'utf8');
    assert.doesNotMatch(tomb, /secret conversation/);
    assert.doesNotMatch(tomb, /"type":"message"/);

    const collected = await collectSpending([{ dir, workspace: 'w' }]);
    assert.equal(collected.deleted, 1);
    const after = spendingReport(collected.rows, { by: 'session', tz: 'UTC' });
    assert.deepEqual(after.total, before.total);
    assert.equal(after.groups.find((g) => g.key === 'gone')!.label, 'Session gone (deleted)');

    // Deleting again finds no live session; purging forgets the tombstone too.
    assert.equal(await store.delete('gone'), false);
    assert.equal(await store.delete('gone', { purge: true }), true);
    assert.deepEqual(await fs.readdir(join(dir, 'sessions', 'trash')), []);
    const purged = spendingReport((await collectSpending([{ dir, workspace: 'w' }])).rows, {
      by: 'session',
      tz: 'UTC',
    });
    assert.deepEqual(
      purged.groups.map((g) => g.key),
      ['keep'],
    );
    // Purging a live session leaves nothing at all.
    assert.equal(await store.delete('keep', { purge: true }), true);
    const empty = await collectSpending([{ dir, workspace: 'w' }]);
    assert.equal(empty.rows.length, 0);
  });

  it('the one-object walk over the index gives the same report as the rows themselves, for every grouping', async () => {
    const store = await SessionStore.open(dir);
    await session(store, 'a', 4, 1);
    await session(store, 'b', 3);
    await store.delete('b');
    const sources = [{ dir, workspace: 'w' }];
    const rows = (await collectSpending(sources)).rows;
    const summaries = await collectSummaries(sources);
    for (const by of ['day', 'week', 'month', 'model', 'provider', 'workspace', 'session'] as const) {
      assert.deepEqual(
        spendingReport(summaryRows(summaries), { by, tz: 'Asia/Kathmandu' }),
        spendingReport(rows, { by, tz: 'Asia/Kathmandu' }),
      );
    }
  });

  it('a session deleted before tombstones (its whole log in the trash) still counts, once', async () => {
    const store = await SessionStore.open(dir);
    await session(store, 'old', 3);
    const totals = spendingReport((await collectSpending([{ dir, workspace: 'w' }])).rows, {
      by: 'day',
      tz: 'UTC',
    }).total;
    await fs.mkdir(join(dir, 'sessions', 'trash'));
    await fs.rename(
      join(dir, 'sessions', 'old.jsonl'),
      join(dir, 'sessions', 'trash', 'old.jsonl.20260102T100000123Z'),
    );
    const r = spendingReport((await collectSpending([{ dir, workspace: 'w' }])).rows, {
      by: 'day',
      tz: 'UTC',
    });
    assert.deepEqual(r.total, totals);
  });

  it('the index encoding keeps costs above 2^53 pico-dollars and starts that go back in time exactly', () => {
    const rows = [0n, 1n, 4_294_967_295n, 4_294_967_296n, 123_456_789_012_345_678n].map((c, i) => {
      const usage = emptyTotals();
      usage.inputTokens = 2 ** 40 + i;
      return {
        start: Date.parse('2026-01-01T00:00:00Z') - i * 86_400_123,
        provider: 'openai',
        model: i % 2 ? 'a' : 'b',
        turns: 1,
        requests: 3,
        pricedRequests: 2,
        unknownCostRequests: 1,
        unknownCostTokens: 7,
        usage,
        costPico: c,
      };
    });
    assert.deepEqual(decodeSpend(encodeSpend(rows)), rows);
  });

  it('an index written before spending rows existed is rebuilt from the logs', async () => {
    const store = await SessionStore.open(dir);
    await session(store, 'a', 2);
    await store.list();
    const index = JSON.parse(await fs.readFile(join(dir, 'index.json'), 'utf8'));
    for (const s of index.sessions) delete s.spend;
    await fs.writeFile(join(dir, 'index.json'), JSON.stringify({ ...index, version: 1 }));
    const { rows } = await collectSpending([{ dir, workspace: 'w' }]);
    assert.equal(
      rows.reduce((n, r) => n + r.turns, 0),
      2,
    );
    assert.equal(JSON.parse(await fs.readFile(join(dir, 'index.json'), 'utf8')).version, INDEX_VERSION);
  });
});
