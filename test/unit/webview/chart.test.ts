import assert from 'node:assert/strict';
import {
  bucketize,
  CATEGORIES,
  type ChartTurn,
  chartGeometry,
  niceMax,
  turnValues,
} from '../../../src/webview/usage/chart';
import { sampleUsage } from '../../webview/samples';

/** A turn with `values` in CATEGORIES order. */
const turn = (v: number[], costUsd: number | null): ChartTurn => ({
  usage: {
    inputTokenDetails: {
      noCacheTokens: v[0]!,
      cacheReadTokens: v[1]!,
      cacheWriteTokens: v[2]!,
      cacheWrite1hTokens: 0,
    },
    outputTokenDetails: { textTokens: v[3]!, reasoningTokens: v[4]! },
  },
  costUsd,
});

const size = { width: 600, height: 150, left: 40, right: 8, top: 18, bottom: 18 };

describe('tokens-per-turn chart geometry', () => {
  it("takes each turn's five categories from the host's usage, which add up to its total", () => {
    const snap = sampleUsage({ turns: 20, seed: 1 });
    for (const t of snap.stats.turns) {
      assert.equal(
        turnValues(t).reduce((a, b) => a + b, 0),
        t.usage.totalTokens,
      );
    }
  });

  it('puts 10,000 turns into at most maxBars buckets, covering every turn once', () => {
    const snap = sampleUsage({ turns: 10_000 });
    const b = bucketize(snap.stats.turns, 180);
    assert.ok(b.length <= 180);
    assert.equal(b[0]!.first, 0);
    assert.equal(b.at(-1)!.last, 9999);
    for (let i = 1; i < b.length; i++) assert.equal(b[i]!.first, b[i - 1]!.last + 1);
  });

  it('draws one path per category however many turns, so the SVG stays small', () => {
    const snap = sampleUsage({ turns: 10_000 });
    const g = chartGeometry(bucketize(snap.stats.turns, 180), size);
    assert.equal(g.paths.length, CATEGORIES.length);
    assert.ok(g.bars.length <= 180);
    for (const bar of g.bars) {
      assert.ok(bar.x >= size.left - 0.1 && bar.x + bar.width <= size.width - size.right + 0.1);
    }
  });

  it('the cost line rises monotonically and ends at the top; unknown prices add nothing', () => {
    const b = bucketize(
      [turn([10, 0, 0, 5, 0], 0.5), turn([10, 0, 0, 5, 0], null), turn([10, 0, 0, 5, 0], 1.5)],
      10,
    );
    assert.deepEqual(
      b.map((x) => [x.cumulativeCost, x.unknownSoFar]),
      [
        [0.5, false],
        [0.5, true],
        [2, true],
      ],
    );
    const g = chartGeometry(b, size);
    const ys = [...g.costPath.matchAll(/L[\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    for (let i = 1; i < ys.length; i++) assert.ok(ys[i]! <= ys[i - 1]!);
    assert.equal(g.costEnd!.y, size.top);
  });

  it('draws no cost line when no cost is known', () => {
    const g = chartGeometry(bucketize([turn([1, 0, 0, 1, 0], null)], 10), size);
    assert.equal(g.costPath, '');
  });

  it('rounds the axis up to a readable maximum', () => {
    assert.equal(niceMax(262_000), 300_000);
    assert.equal(niceMax(100_000), 100_000);
    assert.equal(niceMax(1_100), 1_500);
    assert.equal(niceMax(0), 1);
  });
});
