import assert from 'node:assert/strict';
import {
  initialUsageState,
  reduceUsage,
  requestKey,
  rowIndex,
  turnKey,
} from '../../../src/webview/usage/model';
import { sampleUsage } from '../../webview/samples';

/** Every row, in display order. */
const all = (s: ReturnType<typeof loaded>) => Array.from({ length: s.rows.length }, (_, i) => s.rows.at(i)!);

const snap = sampleUsage({ turns: 5, interrupted: [1], unknownPrice: [2], seed: 3 });
const loaded = () => reduceUsage(initialUsageState(), { type: 'usage.snapshot', snapshot: snap });

describe('usage view model', () => {
  it('lists turns newest first, one row each while collapsed', () => {
    const s = loaded();
    assert.equal(s.rows.length, 5);
    assert.deepEqual(
      all(s).map((r) => r.turn),
      [4, 3, 2, 1, 0],
    );
  });

  it('an expanded turn is followed by its requests, and the row count accounts for them', () => {
    const turn = snap.stats.turns[3]!;
    const s = reduceUsage(loaded(), { type: 'ui.toggle', turnId: turn.turnId });
    assert.equal(s.rows.length, 5 + turn.requests.length);
    assert.equal(s.rows.at(1)!.kind, 'turn');
    assert.deepEqual(
      all(s)
        .slice(2, 2 + turn.requests.length)
        .map((r) => r.key),
      turn.requests.map((r) => requestKey(turn.turnId, r.requestId)),
    );
    const collapsed = reduceUsage(s, { type: 'ui.toggle', turnId: turn.turnId });
    assert.equal(collapsed.rows.length, 5);
  });

  it('collapsing a turn moves the selection from its request to the turn', () => {
    const turn = snap.stats.turns[0]!;
    let s = reduceUsage(loaded(), { type: 'ui.setExpanded', turnId: turn.turnId, expanded: true });
    s = reduceUsage(s, { type: 'ui.select', key: requestKey(turn.turnId, turn.requests[0]!.requestId) });
    s = reduceUsage(s, { type: 'ui.setExpanded', turnId: turn.turnId, expanded: false });
    assert.equal(s.selected, turnKey(turn.turnId));
  });

  it('focusTurn expands, selects and highlights the turn and asks for a scroll', () => {
    const s = reduceUsage(loaded(), { type: 'usage.focusTurn', turnId: 'turn-2' });
    assert.ok(s.expanded.has('turn-2'));
    assert.equal(s.selected, turnKey('turn-2'));
    assert.equal(s.highlight, 'turn-2');
    assert.equal(s.revealSeq, 1);
    assert.equal(rowIndex(s, s.selected), 3);
  });

  it('a focusTurn that arrives before its snapshot applies when the snapshot comes', () => {
    let s = reduceUsage(initialUsageState(), { type: 'usage.focusTurn', turnId: 'turn-5' });
    assert.equal(s.pendingFocus, 'turn-5');
    s = reduceUsage(s, { type: 'usage.snapshot', snapshot: snap });
    assert.equal(s.selected, turnKey('turn-5'));
    assert.equal(s.pendingFocus, null);
  });

  it('restored UI state survives the first snapshot; expanded turns of another session are dropped', () => {
    let s = reduceUsage(initialUsageState(), {
      type: 'ui.restore',
      expanded: ['turn-1', 'gone'],
      selected: turnKey('turn-1'),
    });
    s = reduceUsage(s, { type: 'usage.snapshot', snapshot: snap });
    assert.deepEqual([...s.expanded], ['turn-1']);
    assert.equal(s.selected, turnKey('turn-1'));
    s = reduceUsage(s, { type: 'usage.snapshot', snapshot: null });
    assert.equal(s.expanded.size, 0);
    assert.equal(s.selected, null);
    assert.equal(s.loaded, true);
  });

  it('selecting another row clears the highlight', () => {
    let s = reduceUsage(loaded(), { type: 'usage.focusTurn', turnId: 'turn-2' });
    s = reduceUsage(s, { type: 'ui.select', key: turnKey('turn-3') });
    assert.equal(s.highlight, null);
  });

  it('flattens 10,000 turns quickly', () => {
    const big = sampleUsage({ turns: 10_000 });
    const t0 = performance.now();
    let s = reduceUsage(initialUsageState(), { type: 'usage.snapshot', snapshot: big });
    s = reduceUsage(s, { type: 'ui.toggle', turnId: 'turn-5000' });
    assert.ok(s.rows.length > 10_000);
    assert.ok(performance.now() - t0 < 100, `${performance.now() - t0} ms`);
  });
});

describe('usage patches', () => {
  const base = sampleUsage({ turns: 4, seed: 5 });
  const later = sampleUsage({ turns: 5, seed: 5, running: true });
  const patchOf = (s = later, sessionId = s.stats.sessionId) => ({
    sessionId,
    turns: s.stats.turns.slice(3),
    total: s.stats.total,
    contextWindow: s.stats.contextWindow,
    updatedAt: s.stats.updatedAt,
    gauge: s.gauge,
    running: s.running,
    budgetUsd: null,
  });

  it('replaces changed turns by id, appends new ones, and takes totals and gauge from the patch', () => {
    let s = reduceUsage(initialUsageState(), { type: 'usage.snapshot', snapshot: base });
    s = reduceUsage(s, { type: 'ui.toggle', turnId: 'turn-2' });
    const turnsBefore = s.snapshot!.stats.turns;
    s = reduceUsage(s, { type: 'usage.patch', patch: patchOf() });
    assert.deepEqual(s.snapshot!.stats.turns, later.stats.turns);
    assert.equal(s.snapshot!.stats.turns[0], turnsBefore[0], 'untouched turns are the same objects');
    assert.deepEqual(s.snapshot!.stats.total, later.stats.total);
    assert.deepEqual(s.snapshot!.gauge, later.gauge);
    assert.equal(s.snapshot!.running, true);
    assert.ok(s.expanded.has('turn-2'), 'expanded turns stay expanded');
    assert.equal(s.rows.length, 5 + base.stats.turns[1]!.requests.length);
  });

  it('is ignored before a snapshot and for another session', () => {
    const s0 = initialUsageState();
    assert.equal(reduceUsage(s0, { type: 'usage.patch', patch: patchOf() }), s0);
    const s1 = reduceUsage(s0, { type: 'usage.snapshot', snapshot: base });
    assert.equal(reduceUsage(s1, { type: 'usage.patch', patch: patchOf(later, 'other') }), s1);
  });
});

describe('a click on a turn', () => {
  it('selects and toggles it in one action', () => {
    const s = reduceUsage(loaded(), { type: 'ui.toggle', turnId: 'turn-3', select: true });
    assert.equal(s.selected, turnKey('turn-3'));
    assert.ok(s.expanded.has('turn-3'));
  });
});
