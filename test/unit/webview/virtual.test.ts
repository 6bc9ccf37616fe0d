import assert from 'node:assert/strict';
import { revealDelta, rowWindow } from '../../../src/webview/usage/virtual';

describe('virtual list window', () => {
  const base = { rowHeight: 24, rowCount: 10_000, overscan: 5 };

  it('renders only the visible rows plus overscan, over a spacer as tall as all rows', () => {
    const w = rowWindow({ ...base, viewTop: 2400, viewBottom: 2400 + 480 });
    assert.deepEqual(w, { start: 95, end: 125, offset: 95 * 24, height: 240_000 });
  });

  it('clamps at the top and the bottom', () => {
    assert.deepEqual(rowWindow({ ...base, viewTop: -300, viewBottom: 200 }), {
      start: 0,
      end: 14,
      offset: 0,
      height: 240_000,
    });
    const end = rowWindow({ ...base, viewTop: 240_000 - 100, viewBottom: 240_000 + 400 });
    assert.equal(end.end, 10_000);
    assert.equal(end.start, Math.floor((240_000 - 100) / 24) - 5);
  });

  it('keeps a few rows when the list is scrolled out of view', () => {
    const below = rowWindow({ ...base, viewTop: -2000, viewBottom: -1000 });
    assert.deepEqual([below.start, below.end], [0, 5]);
    const above = rowWindow({ ...base, viewTop: 300_000, viewBottom: 301_000 });
    assert.deepEqual([above.start, above.end], [9995, 10_000]);
  });

  it('handles an empty list', () => {
    assert.deepEqual(rowWindow({ ...base, rowCount: 0, viewTop: 0, viewBottom: 500 }), {
      start: 0,
      end: 0,
      offset: 0,
      height: 0,
    });
  });

  it('a window never holds more than the viewport plus overscan, however long the list', () => {
    for (const top of [0, 1234, 99_999, 239_000]) {
      const w = rowWindow({ ...base, viewTop: top, viewBottom: top + 800 });
      assert.ok(w.end - w.start <= Math.ceil(800 / 24) + 1 + 2 * 5);
    }
  });

  it('scrolls just enough to reveal a row, below a sticky header', () => {
    assert.equal(revealDelta(10, 24, 0, 480, 24), 0);
    assert.equal(revealDelta(30, 24, 0, 480), 30 * 24 + 24 - 480);
    assert.equal(revealDelta(2, 24, 100, 580, 24), 48 - 100 - 24);
  });
});
