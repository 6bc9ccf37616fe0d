/**
 * Inline markdown (code spans, emphasis, links, autolinks, entities, escapes) → Inline tokens.
 * A pragmatic subset of CommonMark/GFM for chat answers, written so that hostile text can only
 * produce text, and so that no input makes it slow: every search for a closing delimiter is
 * bounded, and nesting is capped.
 */
import { safeHref } from './safeHref';
import type { Inline } from './tokens';

const MAX_DEPTH = 12;
/** How far ahead a closing backtick run is searched. */
const MAX_SCAN = 4000;
const PUNCT = /[!-/:-@[-`{-~]/;

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  laquo: '«',
  raquo: '»',
  times: '×',
  middot: '·',
  rarr: '→',
  larr: '←',
};

/** Decodes one entity at `src[i] === '&'`; returns the text and its length, or null. */
function entityAt(src: string, i: number): { text: string; length: number } | null {
  const m = /^&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/.exec(src.slice(i, i + 40));
  if (!m) return null;
  const body = m[1]!;
  if (body.startsWith('#')) {
    const cp =
      body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
    const ok = cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    return { text: ok ? String.fromCodePoint(cp) : '\ufffd', length: m[0].length };
  }
  const named = NAMED_ENTITIES[body];
  return named === undefined ? null : { text: named, length: m[0].length };
}

/** Length of the run of `ch` starting at `i`. */
function runLength(src: string, i: number, ch: string): number {
  let n = 0;
  while (src[i + n] === ch) n++;
  return n;
}

function isSpace(ch: string | undefined): boolean {
  return ch === undefined || /\s/.test(ch);
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

/** The end of the code span opened by a run of `n` backticks at `i`, or -1. */
function codeSpanEnd(src: string, i: number, n: number): number {
  let j = i + n;
  const limit = Math.min(src.length, i + MAX_SCAN);
  while (j < limit) {
    if (src[j] === '`') {
      const r = runLength(src, j, '`');
      if (r === n) return j;
      j += r;
    } else j++;
  }
  return -1;
}

/**
 * The `]` matching each `[` of `src` (nested brackets balanced, escapes and code spans skipped),
 * found in one pass so that a run of unmatched brackets stays linear.
 */
export function bracketPairs(src: string): Map<number, number> {
  const pairs = new Map<number, number>();
  const stack: number[] = [];
  for (let j = 0; j < src.length; j++) {
    const ch = src[j];
    if (ch === '\\') j++;
    else if (ch === '`') {
      const n = runLength(src, j, '`');
      const end = codeSpanEnd(src, j, n);
      j = end < 0 ? j + n - 1 : end + n - 1;
    } else if (ch === '[') stack.push(j);
    else if (ch === ']') {
      const open = stack.pop();
      if (open !== undefined) pairs.set(open, j);
    }
  }
  return pairs;
}

/** Parses `(dest "title")` at `i` (which is `(`); returns the destination and the index after `)`. */
function linkTarget(src: string, i: number): { dest: string; end: number } | null {
  let j = i + 1;
  while (src[j] === ' ' || src[j] === '\t') j++;
  let dest = '';
  if (src[j] === '<') {
    const close = src.indexOf('>', j);
    if (close < 0 || close - j > 2048) return null;
    dest = src.slice(j + 1, close);
    if (/[<\n]/.test(dest)) return null;
    j = close + 1;
  } else {
    let parens = 0;
    const start = j;
    const limit = Math.min(src.length, i + 2048);
    while (j < limit) {
      const ch = src[j]!;
      if (ch === '\\' && j + 1 < src.length && PUNCT.test(src[j + 1]!)) {
        j += 2;
        continue;
      }
      if (/\s/.test(ch)) break;
      if (ch === '(') parens++;
      else if (ch === ')') {
        if (parens === 0) break;
        parens--;
      }
      j++;
    }
    dest = src.slice(start, j).replace(/\\([!-/:-@[-`{-~])/g, '$1');
  }
  while (src[j] === ' ' || src[j] === '\t' || src[j] === '\n') j++;
  const q = src[j];
  if (q === '"' || q === "'" || q === '(') {
    const close = src.indexOf(q === '(' ? ')' : q, j + 1);
    if (close < 0) return null;
    j = close + 1;
    while (src[j] === ' ' || src[j] === '\t') j++;
  }
  if (src[j] !== ')') return null;
  return { dest, end: j + 1 };
}

/** Where the closing delimiter of `delim` (opened at `from`) is, or -1. Skips code spans. */
function closingDelimiter(src: string, from: number, delim: string): number {
  const ch = delim[0]!;
  for (let j = from; j < src.length; j++) {
    const c = src[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '`') {
      const n = runLength(src, j, '`');
      const end = codeSpanEnd(src, j, n);
      j = end < 0 ? j + n - 1 : end + n - 1;
      continue;
    }
    if (c !== ch) continue;
    const run = runLength(src, j, ch);
    const closes =
      !isSpace(src[j - 1]) &&
      j > from &&
      (run === delim.length || (delim.length === 1 && run === 3) || (delim.length === 2 && run === 3)) &&
      !(ch === '_' && isWordChar(src[j + run]));
    if (closes) return run === 3 ? j + 3 - delim.length : j;
    j += run - 1;
  }
  return -1;
}

/** Trailing characters that end a bare URL rather than belong to it. */
function trimUrl(url: string): string {
  let u = url.replace(/[.,;:!?'"*_~]+$/, '');
  while (u.endsWith(')') && (u.match(/\(/g)?.length ?? 0) < (u.match(/\)/g)?.length ?? 0)) u = u.slice(0, -1);
  return u;
}

/** Parses inline markdown into tokens. `noLinks` inside a link's label (links never nest). */
export function parseInline(src: string, depth = 0, noLinks = false): Inline[] {
  const out: Inline[] = [];
  let buf = '';
  const flush = () => {
    if (buf) {
      const last = out[out.length - 1];
      if (last?.type === 'text') last.text += buf;
      else out.push({ type: 'text', text: buf });
      buf = '';
    }
  };
  const push = (tokens: Inline[]) => {
    flush();
    for (const t of tokens) {
      const last = out[out.length - 1];
      if (t.type === 'text' && last?.type === 'text') last.text += t.text;
      else out.push(t);
    }
  };
  if (depth > MAX_DEPTH) return src ? [{ type: 'text', text: src }] : [];
  let pairs: Map<number, number> | null = null;
  // Delimiters with no closer after some point: later openers skip the search (keeps `*a *a *a…` linear).
  const noCloserAfter = new Map<string, number>();

  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '\\') {
      const next = src[i + 1];
      if (next === '\n') {
        push([{ type: 'br' }]);
        i += 2;
      } else if (next !== undefined && PUNCT.test(next)) {
        buf += next;
        i += 2;
      } else {
        buf += ch;
        i++;
      }
      continue;
    }
    if (ch === '\n') {
      // CommonMark: two trailing spaces make a hard break; a plain newline is a soft break (a space).
      const hard = / {2,}$/.test(buf);
      buf = buf.replace(/[ \t]+$/, '');
      if (hard) push([{ type: 'br' }]);
      else buf += '\n';
      i++;
      while (src[i] === ' ' || src[i] === '\t') i++;
      continue;
    }
    if (ch === '`') {
      const n = runLength(src, i, '`');
      const end = codeSpanEnd(src, i, n);
      if (end < 0) {
        buf += src.slice(i, i + n);
        i += n;
        continue;
      }
      let text = src.slice(i + n, end).replace(/\n/g, ' ');
      if (text.length > 2 && text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') {
        text = text.slice(1, -1);
      }
      push([{ type: 'code', text }]);
      i = end + n;
      continue;
    }
    if (ch === '&') {
      const e = entityAt(src, i);
      if (e) {
        buf += e.text;
        i += e.length;
        continue;
      }
      buf += ch;
      i++;
      continue;
    }
    if ((ch === '[' || (ch === '!' && src[i + 1] === '[')) && !noLinks) {
      const open = ch === '!' ? i + 1 : i;
      pairs ??= bracketPairs(src);
      const close = pairs.get(open) ?? -1;
      const target = close > 0 && src[close + 1] === '(' ? linkTarget(src, close + 1) : null;
      if (target) {
        const label = parseInline(src.slice(open + 1, close), depth + 1, true);
        const href = safeHref(target.dest);
        const children =
          ch === '!' && label.length === 0 ? [{ type: 'text' as const, text: 'image' }] : label;
        push(href ? [{ type: 'link', href, children }] : children);
        i = target.end;
        continue;
      }
      buf += ch;
      i++;
      continue;
    }
    if (ch === '<') {
      const m = /^<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^<>\s]*)>/.exec(src.slice(i, i + 2100));
      if (m && !noLinks) {
        const href = safeHref(m[1]!);
        push(
          href
            ? [{ type: 'link', href, children: [{ type: 'text', text: m[1]! }] }]
            : [{ type: 'text', text: m[0] }],
        );
        i += m[0].length;
        continue;
      }
      buf += ch;
      i++;
      continue;
    }
    if ((ch === 'h' || ch === 'H') && !noLinks && !isWordChar(src[i - 1])) {
      const m = /^https?:\/\/[^\s<>]+/i.exec(src.slice(i, i + 2100));
      if (m) {
        const url = trimUrl(m[0]);
        const href = safeHref(url);
        if (href) {
          push([{ type: 'link', href, children: [{ type: 'text', text: url }] }]);
          i += url.length;
          continue;
        }
      }
    }
    if (ch === '*' || ch === '_' || ch === '~') {
      const run = runLength(src, i, ch);
      const opens = !isSpace(src[i + run]) && !(ch === '_' && isWordChar(src[i - 1]));
      if (opens) {
        const size = ch === '~' ? (run === 2 ? 2 : 0) : run >= 2 ? 2 : 1;
        if (size > 0) {
          const delim = ch.repeat(size);
          const known = noCloserAfter.get(delim);
          const end = known !== undefined && i >= known ? -1 : closingDelimiter(src, i + size, delim);
          if (end < 0 && known === undefined) noCloserAfter.set(delim, i);
          if (end > i + size) {
            const children = parseInline(src.slice(i + size, end), depth + 1, noLinks);
            const type = ch === '~' ? 'del' : size === 2 ? 'strong' : 'em';
            push([{ type, children }]);
            i = end + size;
            continue;
          }
        }
      }
      buf += src.slice(i, i + run);
      i += run;
      continue;
    }
    buf += ch;
    i++;
  }
  flush();
  return out;
}
