/**
 * Block markdown → Block tokens: paragraphs, ATX headings, fenced code (an unclosed fence, as
 * while streaming, runs to the end), lists (nested by indentation), blockquotes, GFM tables and
 * rules. Raw HTML has no block kind: it stays text.
 */
import { parseInline } from './inline';
import type { Align, Block } from './tokens';

const MAX_DEPTH = 12;

const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)/;
const TABLE_DELIM = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

function isBlank(line: string): boolean {
  return /^[ \t]*$/.test(line);
}

/** Width of the leading whitespace (a tab counts as 4). */
function indentOf(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (ch === ' ') n++;
    else if (ch === '\t') n += 4 - (n % 4);
    else break;
  }
  return n;
}

/** Removes up to `n` columns of leading whitespace. */
function dedent(line: string, n: number): string {
  let cols = 0;
  let i = 0;
  while (i < line.length && cols < n) {
    const ch = line[i];
    if (ch === ' ') cols++;
    else if (ch === '\t') cols += 4 - (cols % 4);
    else break;
    i++;
  }
  return line.slice(i);
}

/** Splits a table row into raw cell texts (escaped pipes and pipes in code spans stay in the cell). */
export function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  let inCode = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && s[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (ch === '`') {
      let n = 0;
      while (s[i + n] === '`') n++;
      inCode = inCode === 0 ? n : inCode === n ? 0 : inCode;
      cell += s.slice(i, i + n);
      i += n - 1;
    } else if (ch === '|' && inCode === 0) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

function parseAlign(cell: string): Align {
  const left = cell.startsWith(':');
  const right = cell.endsWith(':');
  return left && right ? 'center' : right ? 'right' : left ? 'left' : null;
}

/** Whether `line` starts a block that interrupts a paragraph. */
function startsBlock(line: string): boolean {
  return (
    FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || LIST_ITEM.test(line)
  );
}

function isTableStart(lines: string[], i: number): boolean {
  const head = lines[i]!;
  const delim = lines[i + 1];
  if (delim === undefined || !head.includes('|') || !TABLE_DELIM.test(delim) || !delim.includes('-'))
    return false;
  if (!delim.includes('|') && splitRow(head).length !== 1) return false;
  return splitRow(head).length === splitRow(delim).length;
}

/** Parses markdown text into blocks. */
export function parseBlocks(text: string): Block[] {
  return parseLines(text.replace(/\r\n?/g, '\n').split('\n'), 0);
}

function parseLines(lines: string[], depth: number): Block[] {
  if (depth > MAX_DEPTH) {
    const text = lines.join('\n').trim();
    return text ? [{ type: 'paragraph', children: [{ type: 'text', text }] }] : [];
  }
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line)) {
      i++;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence && !(fence[2]![0] === '`' && fence[3]!.includes('`'))) {
      const indent = fence[1]!.length;
      const marker = fence[2]!;
      const body: string[] = [];
      let closed = false;
      i++;
      while (i < lines.length) {
        const l = lines[i]!;
        const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(l);
        if (close && close[1]![0] === marker[0] && close[1]!.length >= marker.length) {
          closed = true;
          i++;
          break;
        }
        body.push(dedent(l, indent));
        i++;
      }
      blocks.push({
        type: 'code',
        lang: fence[3]!.trim().split(/\s+/)[0] ?? '',
        text: body.join('\n'),
        closed,
      });
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1]!.length as 1 | 2 | 3 | 4 | 5 | 6;
      blocks.push({ type: 'heading', level, children: parseInline((heading[2] ?? '').trim(), 0) });
      i++;
      continue;
    }

    if (RULE.test(line)) {
      blocks.push({ type: 'hr' });
      i++;
      continue;
    }

    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) {
        inner.push(lines[i]!.replace(QUOTE, ''));
        i++;
      }
      blocks.push({ type: 'blockquote', children: parseLines(inner, depth + 1) });
      continue;
    }

    const item = LIST_ITEM.exec(line);
    if (item) {
      const parsed = parseList(lines, i, depth);
      blocks.push(parsed.block);
      i = parsed.end;
      continue;
    }

    if (isTableStart(lines, i)) {
      const header = splitRow(line);
      const align = splitRow(lines[i + 1]!).map(parseAlign);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && !isBlank(lines[i]!) && lines[i]!.includes('|')) {
        rows.push(splitRow(lines[i]!));
        i++;
      }
      const cells = (r: string[]) => header.map((_, c) => parseInline(r[c] ?? '', 0));
      blocks.push({ type: 'table', align, header: cells(header), rows: rows.map(cells) });
      continue;
    }

    const para: string[] = [line.trim()];
    i++;
    while (i < lines.length && !isBlank(lines[i]!) && !startsBlock(lines[i]!) && !isTableStart(lines, i)) {
      para.push(lines[i]!.trim());
      i++;
    }
    blocks.push({ type: 'paragraph', children: parseInline(para.join('\n'), 0) });
  }
  return blocks;
}

/** Parses the list starting at `start`; returns it and the index of the first line after it. */
function parseList(lines: string[], start: number, depth: number): { block: Block; end: number } {
  const first = LIST_ITEM.exec(lines[start]!)!;
  const ordered = /\d/.test(first[2]!);
  const bullet = ordered ? first[2]!.slice(-1) : first[2]!;
  const items: Block[][] = [];
  let tight = true;
  let i = start;
  while (i < lines.length) {
    const m = LIST_ITEM.exec(lines[i]!);
    if (!m) break;
    const sameKind = ordered ? /\d/.test(m[2]!) && m[2]!.endsWith(bullet) : m[2] === bullet;
    if (!sameKind) break;
    const markerWidth = m[1]!.length + m[2]!.length;
    const gap = m[3]!.length;
    const contentIndent = markerWidth + (gap === 0 || gap > 4 ? 1 : gap);
    const body: string[] = [lines[i]!.slice(m[0].length)];
    i++;
    let sawBlank = false;
    while (i < lines.length) {
      const l = lines[i]!;
      if (isBlank(l)) {
        sawBlank = true;
        body.push('');
        i++;
        continue;
      }
      if (indentOf(l) >= contentIndent) {
        body.push(dedent(l, contentIndent));
        sawBlank = false;
        i++;
        continue;
      }
      // A lazy continuation line of the item's paragraph (not after a blank, not a new block).
      if (!sawBlank && !startsBlock(l)) {
        body.push(l.trim());
        i++;
        continue;
      }
      break;
    }
    // Trailing blank lines belong between items: they make the list loose only if another item follows.
    while (body.length > 1 && isBlank(body[body.length - 1]!)) body.pop();
    if (body.slice(1).some(isBlank) || (sawBlank && i < lines.length && LIST_ITEM.test(lines[i]!))) {
      tight = false;
    }
    items.push(parseLines(body, depth + 1));
    if (sawBlank && !(i < lines.length && LIST_ITEM.test(lines[i]!))) break;
  }
  const startNumber = ordered ? Number.parseInt(first[2]!, 10) : 1;
  return { block: { type: 'list', ordered, start: startNumber, tight, items }, end: i };
}
