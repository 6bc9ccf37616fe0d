import assert from 'node:assert/strict';
import { bars } from '../../../src/webview/spending/bars';

describe('spending bars', () => {
  it('scales each bar to the largest cost and keeps unknown prices apart', () => {
    const b = bars(
      [
        { key: '2026-01-01', label: 'Jan 1', costUsd: 2 },
        { key: '2026-01-02', label: 'Jan 2', costUsd: 1 },
        { key: '2026-01-03', label: 'Jan 3', costUsd: null },
        { key: '2026-01-04', label: 'Jan 4', costUsd: 0 },
      ],
      400,
      100,
    );
    assert.deepEqual(
      b.map((x) => [x.height, x.y, x.unknown]),
      [
        [100, 0, false],
        [50, 50, false],
        [0, 100, true],
        [0, 100, false],
      ],
    );
    assert.equal(b[1]!.x, 100 + 1);
    assert.equal(b[1]!.width, 98);
  });

  it('draws a tiny cost at least one unit high, and nothing for no groups', () => {
    const b = bars(
      [
        { key: 'a', label: 'a', costUsd: 1000 },
        { key: 'b', label: 'b', costUsd: 0.0001 },
      ],
      100,
      100,
    );
    assert.equal(b[1]!.height, 1);
    assert.deepEqual(bars([], 100, 100), []);
  });
});
