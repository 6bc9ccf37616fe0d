import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildRows, type Row, type RowTurn, requestKey, turnKey } from '../../../src/webview/usage/rows';

/** The obvious eager version: what buildRows must agree with. */
function eager(turns: RowTurn[], expanded: ReadonlySet<string>): Row[] {
  const rows: Row[] = [];
  for (let t = turns.length - 1; t >= 0; t--) {
    const turn = turns[t]!;
    rows.push({ kind: 'turn', key: turnKey(turn.turnId), turn: t });
    if (expanded.has(turn.turnId)) {
      turn.requests.forEach((r, request) => {
        rows.push({ kind: 'request', key: requestKey(turn.turnId, r.requestId), turn: t, request });
      });
    }
  }
  return rows;
}

const turnsOf = (counts: number[]): RowTurn[] =>
  counts.map((c, t) => ({
    turnId: `turn-${t}`,
    requests: Array.from({ length: c }, (_, r) => ({ requestId: `r${r}` })),
  }));

describe('turn table rows, computed on demand', () => {
  it('agree with the eager list for any turns and any expanded set', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(4), { maxLength: 40 }), fc.array(fc.nat(39)), (counts, open) => {
        const turns = turnsOf(counts);
        const expanded = new Set(open.map((i) => `turn-${i}`));
        const want = eager(turns, expanded);
        const rows = buildRows(turns, expanded);
        assert.equal(rows.length, want.length);
        want.forEach((row, i) => {
          assert.deepEqual(rows.at(i), row);
          assert.equal(rows.indexOf(row.key), i);
          if (row.kind === 'turn') assert.equal(rows.turnRow(row.turn), i);
        });
        assert.equal(rows.at(want.length), undefined);
        assert.equal(rows.at(-1), undefined);
        assert.equal(rows.indexOf('t:nope'), -1);
      }),
    );
  });

  it('cost nothing per turn: 10,000 turns with one expanded build and index in well under a millisecond each', () => {
    const turns = turnsOf(Array.from({ length: 10_000 }, () => 2));
    const expanded = new Set(['turn-5000']);
    const t0 = performance.now();
    for (let k = 0; k < 100; k++) {
      const rows = buildRows(turns, expanded);
      rows.at(5000);
    }
    assert.ok((performance.now() - t0) / 100 < 5);
  });
});
