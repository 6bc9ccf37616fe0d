import assert from 'node:assert/strict';
import { foldEvents } from '../../../src/core/ledger/ledger';
import { decimalToPico } from '../../../src/core/money';
import { exportRows, toCsv } from '../../../src/core/report/export';
import { sessionStats } from '../../../src/core/report/stats';
import { renderStatsText } from '../../../src/core/report/text';
import { ev, usage } from '../../support/events';

function twoTurns() {
  return foldEvents('s1', [
    ev.created(),
    ev.turn('t1', 0),
    ev.req('r1', 't1'),
    ev.usage('r1', usage({ noCache: 1200, text: 300 }), 3_600_000_000n + 3_000_000_000n),
    ev.reqEnd('r1'),
    ev.req('r2', 't1'),
    ev.usage('r2', usage({ noCache: 200, cacheRead: 1200, text: 90, reasoning: 10 }), 1_234_567n),
    ev.reqEnd('r2'),
    ev.turnEnd('t1'),
    ev.turn('t2', 1),
    ev.req('r3', 't2', 'chat', 'mystery-model'),
    ev.usage('r3', usage({ noCache: 50, cacheRead: 1500, text: 5 }), null, false),
    ev.reqEnd('r3', 'interrupted'),
    ev.turnEnd('t2', 'interrupted'),
  ]);
}

describe('session stats', () => {
  it('prints the CLI JSON shape with exact per-turn and total costs', () => {
    const j = sessionStats(twoTurns(), 128_000);
    assert.equal(j.turns.length, 2);
    assert.equal(j.turns[0]!.requests.length, 2);
    assert.equal(j.turns[0]!.cost, '0.006601234567');
    assert.equal(j.turns[0]!.costUsd, 0.006601234567);
    // An interrupted turn with an unknown price is unknown, never $0.
    assert.equal(j.turns[1]!.costUsd, null);
    assert.equal(j.turns[1]!.status, 'interrupted');
    assert.equal(j.total.cost, '0.006601234567');
    assert.equal(j.total.unknownCostRequests, 1);
    assert.equal(j.total.totalTokens, 1500 + 1500 + 1555);
    assert.equal(j.total.inputTokenDetails.cacheReadTokens, 2700);
    assert.deepEqual(j.contextWindow, { usedTokens: 1555, limitTokens: 128_000, percent: 1.2 });
    // The session total is exactly the sum of the turn costs shown.
    const sum = j.turns.reduce((a, t) => a + (t.cost === null ? 0n : decimalToPico(t.cost)), 0n);
    assert.equal(decimalToPico(j.total.cost!), sum);
  });

  it('shows the same numbers in text as in JSON', () => {
    const j = sessionStats(twoTurns(), 128_000);
    const text = renderStatsText(j, { requests: true });
    const totalLine = text.split('\n').find((l) => l.startsWith('Total  '))!;
    const nums = totalLine.match(/[\d,]+(?:\.\d+)?/g)!.map((n) => n.replace(/,/g, ''));
    assert.deepEqual(nums.slice(0, 7), [
      String(j.total.requests),
      String(j.total.inputTokens),
      String(j.total.inputTokenDetails.cacheReadTokens),
      String(j.total.inputTokenDetails.cacheWriteTokens),
      String(j.total.outputTokens),
      String(j.total.outputTokenDetails.reasoningTokens),
      String(j.total.totalTokens),
    ]);
    assert.match(totalLine, /\$0\.006601234567 \+ unknown$/);
    assert.match(text, /Context window: 1,555 \/ 128,000 tokens \(1\.2%\)/);
    assert.match(text, /2\.1 +interrupted \(provider\)|2\.1 +interrupted/);
  });

  it('exports one row per request, with formulas defused in CSV', () => {
    const s = twoTurns();
    s.title = '=HYPERLINK("x")';
    const rows = exportRows(sessionStats(s, null));
    assert.equal(rows.length, 3);
    assert.deepEqual(
      rows.map((r) => r.requestId),
      ['r1', 'r2', 'r3'],
    );
    const csv = toCsv(rows);
    assert.equal(csv.trim().split('\n').length, 4);
    assert.match(csv, /,"'=HYPERLINK\(""x""\)",/);
  });
});
