import assert from 'node:assert/strict';
import { chipText, formatTime, requestBadges, toolSummary, turnBadges } from '../../../src/webview/format';
import { sampleUsage } from '../../webview/samples';

describe('webview formatting', () => {
  it('the usage chip shows tokens and the exact cost, "unknown" for an unknown price, never $0', () => {
    const chip = {
      kind: 'turn-usage' as const,
      id: 'x',
      turnId: 't',
      status: 'completed' as const,
      totalTokens: 18_432,
    };
    assert.equal(chipText({ ...chip, cost: '0.041225', unknownCostRequests: 0 }), '18k tokens · $0.041225');
    assert.equal(chipText({ ...chip, cost: null, unknownCostRequests: 1 }), '18k tokens · unknown');
    assert.equal(chipText({ ...chip, cost: '0.01', unknownCostRequests: 2 }), '18k tokens · $0.01 + unknown');
  });

  it('badges interrupted, failed, estimated and unknown-price turns', () => {
    const snap = sampleUsage({ turns: 4, interrupted: [1], failed: [2], unknownPrice: [3] });
    const labels = snap.stats.turns.map((t) => turnBadges(t).map((b) => b.label));
    assert.deepEqual(labels, [[], ['interrupted', 'estimated'], ['failed'], ['unknown price']]);
    const req = snap.stats.turns[1]!.requests.at(-1)!;
    assert.deepEqual(
      requestBadges(req).map((b) => b.label),
      ['interrupted', 'estimated'],
    );
  });

  it('formats times as local clock time today, with the date on other days', () => {
    const now = new Date(2026, 2, 2, 18, 0);
    assert.equal(formatTime(new Date(2026, 2, 2, 9, 5).toISOString(), now), '09:05');
    assert.equal(formatTime(new Date(2026, 0, 15, 9, 5).toISOString(), now), 'Jan 15 09:05');
    assert.equal(formatTime(new Date(2025, 0, 15, 9, 5).toISOString(), now), '2025-01-15');
    assert.equal(formatTime('not a date', now), '');
  });

  it('summarizes a tool call by its path, pattern or command, on one line', () => {
    assert.equal(toolSummary('read_file', { path: 'src/a.ts' }), 'src/a.ts');
    assert.equal(toolSummary('search_files', { pattern: 'foo', path: 'src' }), 'foo in src');
    assert.equal(toolSummary('run_command', { command: 'npm\n  test' }), 'npm test');
    assert.equal(toolSummary('mystery', { a: 1 }), '{"a":1}');
  });
});

describe('formatTokens without Intl', () => {
  it('prints exactly what the CLI prints', async () => {
    const { formatTokens } = await import('../../../src/webview/format');
    const { formatTokens: cli } = await import('../../../src/core/report/text');
    for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 2_388_739_948, -4321, 1e15, 0.5]) {
      assert.equal(formatTokens(n), cli(n), String(n));
    }
  });
});
