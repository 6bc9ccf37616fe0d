import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { contextWindow, sessionTotals, turnTotals } from '../../../src/core/ledger/derive';
import type { SessionState } from '../../../src/core/ledger/ledger';
import type { PriceFn } from '../../../src/core/sessions/convert';
import { type Format0Usage, looksCumulative } from '../../../src/core/sessions/format0';
import { SessionStore } from '../../../src/core/sessions/store';
import { cost, exists, FIXTURES, recordTurn, tempStorage, usage } from './helpers';

function only<T>(xs: readonly T[]): T {
  assert.equal(xs.length, 1, `expected exactly one, got ${xs.length}`);
  return xs[0]!;
}

function requestsOf(s: SessionState) {
  return [...s.requests.values()];
}

describe('old formats', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
    await fs.mkdir(join(dir, 'sessions'), { recursive: true });
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function place(fixture: string, target: string): Promise<string> {
    const to = join(dir, target);
    await fs.copyFile(join(FIXTURES, fixture), to);
    return to;
  }

  describe('message-history files', () => {
    it('load the DESIGN.md example with its figures exactly as recorded', async () => {
      await place('message-history-mh-demo.json', 'message-history-mh-demo.json');
      const store = await SessionStore.open(dir);
      const loaded = await store.load('mh-demo');
      assert.ok(loaded);
      assert.equal(loaded.format, 'message-history');
      assert.equal(loaded.readOnly, false);
      const s = loaded.state;
      assert.equal(s.title, 'Fix the failing parser test');
      assert.equal(s.model, 'gpt-4o');
      assert.equal(s.createdAt, '2026-01-02T10:00:00.000Z');
      const turn = only(s.turns);
      assert.equal(turn.index, 0);
      assert.equal(turn.startedAt, '2026-01-02T10:00:00.000Z');
      assert.equal(turn.status, 'completed');
      const r = only(requestsOf(s));
      assert.equal(r.usage?.source, 'legacy');
      assert.equal(r.usage?.inputTokens, 3000);
      assert.equal(r.usage?.outputTokens, 400);
      assert.equal(r.usage?.totalTokens, 3400);
      assert.deepEqual(r.usage?.inputTokenDetails, {
        noCacheTokens: 2000,
        cacheReadTokens: 1000,
        cacheWriteTokens: 80,
      });
      assert.deepEqual(r.usage?.outputTokenDetails, { textTokens: 300, reasoningTokens: 100 });
      assert.equal(r.cost?.basis, 'legacy');
      assert.equal(r.costPico, 12_300_000_000n);
      const totals = turnTotals(s, turn);
      assert.equal(totals.usage.totalTokens, 3400);
      assert.equal(totals.cost.knownPico, 12_300_000_000n);
      assert.equal(contextWindow(s, 128_000).usedTokens, 3400);
      // The details say 2000 + 1000 + 80 = 3080; the tool said 3000. Both kept; the report says so.
      const p = only(loaded.problems);
      assert.equal(p.kind, 'legacy-mismatch');
      assert.match(p.message, /turn 0: input details add up to 3080 .* inputTokens is 3000/);
      assert.deepEqual(
        s.messages.map((m) => [m.turnId, m.message.role]),
        [
          ['turn-0', 'user'],
          ['turn-0', 'assistant'],
        ],
      );
      const { sessions } = await store.list();
      const summary = only(sessions);
      assert.equal(summary.format, 'message-history');
      assert.equal(summary.costPico, '12300000000');
      assert.equal(summary.contextTokens, 3400);
      assert.equal(summary.usage.totalTokens, 3400);
    });

    it('use updatedAt for a performance.now() timestamp, and the last entry as the context window', async () => {
      await place('message-history-two-turns.json', 'sessions/message-history-mh-two.json');
      const store = await SessionStore.open(dir);
      const s = (await store.load('mh-two'))!.state;
      assert.deepEqual(
        s.turns.map((t) => t.startedAt),
        ['2026-01-02T10:00:00.000Z', '2026-01-02T10:30:00.000Z'],
      );
      const totals = sessionTotals(s);
      assert.equal(totals.cost.knownPico, 12_300_000_000n + 45_600_000_000n);
      assert.equal(totals.usage.totalTokens, 3400 + 3850);
      assert.equal(contextWindow(s, null).usedTokens, 3850);
      assert.deepEqual(
        s.messages.map((m) => [m.turnId, m.message.content]),
        [
          [undefined, 'You are helpful.'],
          ['turn-0', 'First question'],
          ['turn-0', 'First answer'],
          ['turn-1', 'Second question'],
          ['turn-1', 'Second answer'],
        ],
      );
    });

    it('without tokenUsage load their messages with no usage at all (no zeros that look measured)', async () => {
      await place('message-history-no-usage.json', 'message-history-mh-old.json');
      const store = await SessionStore.open(dir);
      const loaded = (await store.load('mh-old'))!;
      assert.deepEqual(loaded.problems, []);
      assert.equal(loaded.state.turns.length, 0);
      assert.equal(loaded.state.requests.size, 0);
      assert.equal(loaded.state.messages.length, 2);
      assert.equal(loaded.state.title, 'Rename the config loader');
      assert.equal(only((await store.list()).sessions).requests, 0);
    });

    it('price only entries without estimatedCost, through the callback', async () => {
      const json = JSON.parse(await fs.readFile(join(FIXTURES, 'message-history-two-turns.json'), 'utf8'));
      delete json.tokenUsage[1].estimatedCost;
      await fs.writeFile(join(dir, 'message-history-mh-two.json'), JSON.stringify(json));
      const price: PriceFn = (u) => ({
        pico: String(u.inputTokens * 1000),
        basis: 'computed',
        catalog: 'test',
      });
      const s = (await (await SessionStore.open(dir, { price })).load('mh-two'))!.state;
      assert.deepEqual(
        requestsOf(s).map((r) => [r.cost?.basis, r.costPico]),
        [
          ['legacy', 12_300_000_000n],
          ['computed', 3_600_000n],
        ],
      );
      const unpriced = (await (await SessionStore.open(dir)).load('mh-two'))!.state;
      assert.equal(sessionTotals(unpriced).cost.unknownCount, 1);
    });
  });

  describe('format 0', () => {
    it('loads per-request records with exact numbers, a repeated line counted once', async () => {
      await place('format0-per-request.jsonl', 'sessions/f0-demo.jsonl');
      const store = await SessionStore.open(dir);
      const loaded = (await store.load('f0-demo'))!;
      assert.equal(loaded.format, 'v0');
      assert.deepEqual(loaded.problems, []);
      const s = loaded.state;
      assert.equal(s.title, 'Refactor the parser');
      assert.equal(s.provider, 'anthropic');
      assert.deepEqual(
        s.turns.map((t) => [t.index, t.status, t.requestIds.length]),
        [
          [0, 'completed', 2],
          [1, 'interrupted', 1],
        ],
      );
      const totals = sessionTotals(s);
      assert.deepEqual(totals.usage, {
        inputTokens: 16_600,
        inputTokenDetails: {
          noCacheTokens: 2000,
          cacheReadTokens: 14_100,
          cacheWriteTokens: 500,
          cacheWrite1hTokens: 0,
        },
        outputTokens: 600,
        outputTokenDetails: { textTokens: 550, reasoningTokens: 50 },
        totalTokens: 17_200,
        source: 'provider',
      });
      assert.deepEqual(totals.cost, { knownPico: 0n, unknownCount: 3 });
      assert.equal(contextWindow(s, null).usedTokens, 6100);
      assert.equal(s.requests.get('r0')?.startedAt, '2026-01-05T09:00:05.000Z');
    });

    it('prices old records through the callback when there is one', async () => {
      await place('format0-per-request.jsonl', 'sessions/f0-demo.jsonl');
      const seen: string[] = [];
      const price: PriceFn = (u, model, provider) => {
        seen.push(`${provider}/${model}`);
        return {
          pico: String(u.inputTokenDetails.noCacheTokens * 3_000_000),
          basis: 'computed',
          catalog: 'test',
        };
      };
      const s = (await (await SessionStore.open(dir, { price })).load('f0-demo'))!.state;
      assert.equal(sessionTotals(s).cost.knownPico, 2000n * 3_000_000n);
      assert.equal(seen[0], 'anthropic/claude-sonnet-4-5');
    });

    it('without request ids counts identical repeated lines once and distinct ones each', async () => {
      await place('format0-no-request-ids.jsonl', 'sessions/f0-noids.jsonl');
      const s = (await (await SessionStore.open(dir)).load('f0-noids'))!.state;
      assert.equal(s.approximate, false);
      assert.equal(s.requests.size, 2);
      const totals = sessionTotals(s).usage;
      assert.equal(totals.inputTokens, 3500);
      assert.equal(totals.outputTokens, 400);
      assert.equal(totals.totalTokens, 3900);
    });

    it('detects cumulative records, counts them once (the last record is the total) and marks the session approximate', async () => {
      await place('format0-cumulative.jsonl', 'sessions/f0-cumulative.jsonl');
      const store = await SessionStore.open(dir);
      const loaded = (await store.load('f0-cumulative'))!;
      assert.equal(loaded.state.approximate, true);
      assert.equal(only(loaded.problems).kind, 'cumulative-detected');
      const s = loaded.state;
      const totals = sessionTotals(s).usage;
      assert.equal(totals.inputTokens, 6000);
      assert.equal(totals.outputTokens, 420);
      assert.equal(totals.totalTokens, 6420);
      assert.equal(totals.inputTokenDetails.cacheReadTokens, 3500);
      assert.deepEqual(
        s.turns.map((t) => {
          const u = turnTotals(s, t).usage;
          return [u.inputTokens, u.outputTokens, u.inputTokenDetails.cacheReadTokens];
        }),
        [
          [1000, 100, 0],
          [3200, 200, 2000],
          [1800, 120, 1500],
        ],
      );
      const summary = only((await store.list()).sessions);
      assert.equal(summary.approximate, true);
      assert.equal(summary.usage.totalTokens, 6420);
    });

    it('the cumulative heuristic needs ≥ 2 records, no request ids, no field shrinking, and some growth', () => {
      const rec = (i: number, o: number, extra: Partial<Format0Usage> = {}): Format0Usage => ({
        type: 'usage',
        turn: 0,
        model: 'm',
        inputTokens: i,
        outputTokens: o,
        totalTokens: i + o,
        ...extra,
      });
      assert.equal(looksCumulative([rec(1, 1), rec(2, 2)]), true);
      assert.equal(looksCumulative([rec(1, 1)]), false);
      assert.equal(looksCumulative([rec(1, 1), rec(2, 2, { requestId: 'x' })]), false);
      assert.equal(looksCumulative([rec(5, 1), rec(4, 2)]), false);
      assert.equal(
        looksCumulative([rec(5, 1, { cachedInputTokens: 3 }), rec(6, 2, { cachedInputTokens: 2 })]),
        false,
      );
      assert.equal(looksCumulative([rec(5, 1), rec(5, 1)]), false);
    });
  });

  describe('import and continuing', () => {
    it('imports a message history as a v1 log with importedFrom; importing it again changes nothing', async () => {
      const store = await SessionStore.open(dir);
      const source = join(FIXTURES, 'message-history-mh-demo.json');
      const first = await store.importFile(source);
      assert.equal(first.created, true);
      assert.equal(first.sessionId, 'mh-demo');
      assert.ok(first.report.some((l) => /input details add up to 3080/.test(l)));
      const log = join(dir, 'sessions', 'mh-demo.jsonl');
      const bytes = await fs.readFile(log);
      const created = JSON.parse(bytes.toString('utf8').split('\n')[0]!);
      assert.equal(created.type, 'session.created');
      assert.equal(created.importedFrom.file, source);
      assert.match(created.importedFrom.sha256, /^[0-9a-f]{64}$/);

      const loaded = (await store.load('mh-demo'))!;
      assert.equal(loaded.format, 'v1');
      assert.deepEqual(loaded.problems, []);
      const totals = sessionTotals(loaded.state);
      assert.equal(totals.usage.totalTokens, 3400);
      assert.equal(totals.cost.knownPico, 12_300_000_000n);
      assert.equal(contextWindow(loaded.state, null).usedTokens, 3400);

      const listing = await fs.readdir(join(dir, 'sessions'));
      const again = await store.importFile(source);
      assert.deepEqual([again.created, again.sessionId], [false, 'mh-demo']);
      assert.deepEqual(await fs.readdir(join(dir, 'sessions')), listing);
      assert.deepEqual(await fs.readFile(log), bytes);
    });

    it('imports a format-0 log (a taken id gets a new one) and refuses files that are not old sessions', async () => {
      const store = await SessionStore.open(dir);
      const w = await store.create({
        title: 'Squatter',
        provider: 'p',
        model: 'm',
        sessionId: 'f0-cumulative',
      });
      await w.close();
      const r = await store.importFile(join(FIXTURES, 'format0-cumulative.jsonl'));
      assert.equal(r.created, true);
      assert.notEqual(r.sessionId, 'f0-cumulative');
      assert.ok(r.report.some((l) => /taken/.test(l)));
      assert.ok(r.report.some((l) => /cumulative-detected/.test(l)));
      const loaded = (await store.load(r.sessionId))!;
      assert.equal(loaded.format, 'v1');
      assert.equal(loaded.state.approximate, true);
      assert.equal(sessionTotals(loaded.state).usage.totalTokens, 6420);

      await assert.rejects(store.importFile(join(dir, 'sessions', 'f0-cumulative.jsonl')), /already a v1/);
      const junk = join(dir, 'junk.txt');
      await fs.writeFile(junk, 'hello\n');
      await assert.rejects(store.importFile(junk), /not an old-format session/);
      await assert.rejects(store.importFile(join(dir, 'missing.json')), /ENOENT/);
    });

    it('continuing a format-0 session converts it once, keeping the original bytes in legacy/', async () => {
      const original = await fs.readFile(join(FIXTURES, 'format0-cumulative.jsonl'));
      await place('format0-cumulative.jsonl', 'sessions/f0-cumulative.jsonl');
      const store = await SessionStore.open(dir);
      const w = await store.openWriter('f0-cumulative');
      assert.equal(w.state.approximate, true);
      await recordTurn(w, 3, usage(100, 0, 0, 10), cost(5n));
      await w.close();

      const kept = await fs.readdir(join(dir, 'sessions', 'legacy'));
      assert.deepEqual(await fs.readFile(join(dir, 'sessions', 'legacy', only(kept))), original);
      const loaded = (await store.load('f0-cumulative'))!;
      assert.equal(loaded.format, 'v1');
      assert.equal(loaded.state.approximate, true);
      assert.deepEqual(loaded.problems, []);
      assert.equal(sessionTotals(loaded.state).usage.totalTokens, 6420 + 110);
      assert.equal(loaded.state.turns.length, 4);
      // Importing the kept original again is recognized as done.
      const again = await store.importFile(join(dir, 'sessions', 'legacy', only(kept)));
      assert.deepEqual([again.created, again.sessionId], [false, 'f0-cumulative']);
    });

    it('continuing a message-history session writes a v1 log beside it and lists it once', async () => {
      const history = await place('message-history-mh-demo.json', 'message-history-mh-demo.json');
      const before = await fs.readFile(history);
      const store = await SessionStore.open(dir);
      await store.rename('mh-demo', 'Renamed');
      assert.deepEqual(await fs.readFile(history), before);
      const { sessions } = await store.list();
      const s = only(sessions);
      assert.equal(s.format, 'v1');
      assert.equal(s.title, 'Renamed');
      assert.equal(s.costPico, '12300000000');
      assert.equal(s.contextTokens, 3400);
      assert.ok(await exists(join(dir, 'sessions', 'mh-demo.jsonl')));
      // Deleting it removes both files (the old one does not come back) and keeps one tombstone.
      await store.delete('mh-demo');
      assert.equal((await store.list()).sessions.length, 0);
      assert.equal((await fs.readdir(join(dir, 'sessions', 'trash'))).length, 1);
      assert.equal(await exists(history), false);
    });
  });
});
