/**
 * A line diff for the approval preview of an edit: common prefix and suffix trimmed, then a
 * longest-common-subsequence table over what is left (bounded: past a size limit the middle is
 * shown as removed and added whole), grouped into hunks with a few lines of context.
 */

/** One line of a diff. Line numbers are 1-based. */
export interface DiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
  oldLine: number | null;
  newLine: number | null;
}

/** A run of changed lines with context, or the count of unchanged lines skipped between hunks. */
export type DiffPart = { kind: 'lines'; lines: DiffLine[] } | { kind: 'skip'; count: number };

/** Above this many cells (old × new lines in the changed middle) the diff is not minimized. */
const MAX_CELLS = 4_000_000;

function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.replace(/\r\n?/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The line diff of two texts. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf])
    suf++;

  const out: DiffLine[] = [];
  for (let i = 0; i < pre; i++) out.push({ kind: 'same', text: a[i]!, oldLine: i + 1, newLine: i + 1 });

  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    am.forEach((text, i) => {
      out.push({ kind: 'del', text, oldLine: pre + i + 1, newLine: null });
    });
    bm.forEach((text, j) => {
      out.push({ kind: 'add', text, oldLine: null, newLine: pre + j + 1 });
    });
  } else {
    // lcs[i * (m + 1) + j] = LCS length of am[i..] and bm[j..].
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] =
          am[i] === bm[j]
            ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
            : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ kind: 'same', text: am[i]!, oldLine: pre + i + 1, newLine: pre + j + 1 });
        i++;
        j++;
      } else if (j < m && (i >= n || lcs[i * (m + 1) + j + 1]! >= lcs[(i + 1) * (m + 1) + j]!)) {
        out.push({ kind: 'add', text: bm[j]!, oldLine: null, newLine: pre + j + 1 });
        j++;
      } else {
        out.push({ kind: 'del', text: am[i]!, oldLine: pre + i + 1, newLine: null });
        i++;
      }
    }
  }

  for (let k = 0; k < suf; k++) {
    const oi = a.length - suf + k;
    const ni = b.length - suf + k;
    out.push({ kind: 'same', text: a[oi]!, oldLine: oi + 1, newLine: ni + 1 });
  }
  // Deletions before additions within each changed run reads best.
  return orderRuns(out);
}

/** Within each run of changed lines, puts the deleted lines before the added ones. */
function orderRuns(lines: DiffLine[]): DiffLine[] {
  const out: DiffLine[] = [];
  let dels: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    out.push(...dels, ...adds);
    dels = [];
    adds = [];
  };
  for (const l of lines) {
    if (l.kind === 'del') dels.push(l);
    else if (l.kind === 'add') adds.push(l);
    else {
      flush();
      out.push(l);
    }
  }
  flush();
  return out;
}

/** Groups a diff into hunks with `context` unchanged lines around each change. */
export function diffHunks(lines: DiffLine[], context = 3): DiffPart[] {
  const keep = new Uint8Array(lines.length);
  lines.forEach((l, i) => {
    if (l.kind === 'same') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = 1;
  });
  const parts: DiffPart[] = [];
  let i = 0;
  while (i < lines.length) {
    if (keep[i]) {
      const run: DiffLine[] = [];
      while (i < lines.length && keep[i]) run.push(lines[i++]!);
      parts.push({ kind: 'lines', lines: run });
    } else {
      let count = 0;
      while (i < lines.length && !keep[i]) {
        count++;
        i++;
      }
      parts.push({ kind: 'skip', count });
    }
  }
  return parts;
}

/** Lines added and removed, for the preview's summary. */
export function diffStat(lines: DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.kind === 'add') added++;
    else if (l.kind === 'del') removed++;
  }
  return { added, removed };
}
