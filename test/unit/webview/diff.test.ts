import assert from 'node:assert/strict';
import { diffHunks, diffStat, lineDiff } from '../../../src/webview/diff';

const kinds = (before: string, after: string) => lineDiff(before, after).map((l) => `${l.kind[0]}${l.text}`);

describe('line diff of an edit preview', () => {
  it('marks a replaced line as removed then added, keeping the context', () => {
    assert.deepEqual(kinds('a\nb\nc\n', 'a\nB\nc\n'), ['sa', 'db', 'aB', 'sc']);
  });

  it('numbers old and new lines separately', () => {
    const d = lineDiff('a\nb\n', 'x\na\nb\n');
    assert.deepEqual(
      d.map((l) => [l.kind, l.oldLine, l.newLine]),
      [
        ['add', null, 1],
        ['same', 1, 2],
        ['same', 2, 3],
      ],
    );
  });

  it('shows a new file as all added and an emptied file as all removed', () => {
    assert.deepEqual(kinds('', 'x\ny'), ['ax', 'ay']);
    assert.deepEqual(kinds('x\ny\n', ''), ['dx', 'dy']);
  });

  it('finds the longest common subsequence in the middle', () => {
    assert.deepEqual(kinds('1\n2\n3\n4\n5', '1\n3\n4\nX\n5'), ['s1', 'd2', 's3', 's4', 'aX', 's5']);
  });

  it('treats CRLF and LF alike', () => {
    assert.deepEqual(kinds('a\r\nb\r\n', 'a\nb\n'), ['sa', 'sb']);
  });

  it('falls back to remove-all/add-all past the size limit instead of stalling', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}`).join('\n');
    const t0 = performance.now();
    const d = lineDiff(a, b);
    assert.ok(performance.now() - t0 < 1000);
    assert.deepEqual(diffStat(d), { added: 3000, removed: 3000 });
  });

  it('groups changes into hunks with three lines of context and counts what it skips', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const after = before.replace('l10', 'L10');
    const parts = diffHunks(lineDiff(before, after));
    assert.deepEqual(
      parts.map((p) => (p.kind === 'skip' ? `skip ${p.count}` : `lines ${p.lines.length}`)),
      ['skip 7', 'lines 8', 'skip 6'],
    );
  });
});
