/**
 * Display formatting for the webviews. It formats numbers the host computed; it never adds
 * usage or money up (the host's stats object is the only source of those).
 */
import type { CostJson, RequestStatsJson, TurnStatsJson } from '../core/report/stats';
import { formatCost, formatShortTokens, formatTokens as formatTokensIntl } from '../core/report/text';
import type { ChatItem } from '../shared/protocol';

export { formatCost, formatShortTokens };

/**
 * `1,234,567`: the same text as the CLI's formatTokens (en-US grouping) without Intl, whose
 * first use loads locale data and whose per-call cost shows at 10,000 rows.
 */
export function formatTokens(n: number): string {
  if (!Number.isSafeInteger(n)) return formatTokensIntl(n);
  const s = String(Math.abs(n));
  let out = '';
  for (let i = s.length; i > 0; i -= 3) out = (i > 3 ? ',' : '') + s.slice(Math.max(0, i - 3), i) + out;
  return n < 0 ? `-${out}` : out;
}

/** A small label beside a turn or request: what is unusual about its numbers. */
export interface Badge {
  label: string;
  kind: 'running' | 'interrupted' | 'failed' | 'estimated' | 'unknown' | 'info';
  /** A codicon that stands for the label where space is short. */
  icon: string;
  /** The longer explanation (title and screen-reader text). */
  title: string;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `14:03` today, `Nov 3 14:03` on another day of this year, `2025-11-03` before. Local time. */
export function formatTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (d.getFullYear() !== now.getFullYear()) {
    return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  }
  if (d.getMonth() === now.getMonth() && d.getDate() === now.getDate()) return hm;
  return `${MONTHS[d.getMonth()]} ${d.getDate()} ${hm}`;
}

/** The full local date and time, for titles. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function statusBadge(status: string): Badge | null {
  if (status === 'running' || status === 'streaming')
    return { label: 'running', kind: 'running', icon: 'loading', title: 'Running now' };
  if (status === 'interrupted') {
    return {
      label: 'interrupted',
      kind: 'interrupted',
      icon: 'stop-circle',
      title: 'Stopped before the model finished',
    };
  }
  if (status === 'failed')
    return { label: 'failed', kind: 'failed', icon: 'error', title: 'Ended with an error' };
  return null;
}

function costBadge(c: CostJson): Badge | null {
  if (c.unknownCostRequests === 0) return null;
  return c.cost === null
    ? {
        label: 'unknown price',
        kind: 'unknown',
        icon: 'question',
        title: 'No known price for this model: cost unknown, not $0',
      }
    : {
        label: 'unknown price',
        kind: 'unknown',
        icon: 'question',
        title: `${c.unknownCostRequests} request(s) without a known price are not in this cost`,
      };
}

/** The badge kinds a table row can show, for the legend beside the table. */
export const BADGE_LEGEND: { icon: string; label: string; kind: Badge['kind'] }[] = [
  { icon: 'stop-circle', label: 'interrupted', kind: 'interrupted' },
  { icon: 'error', label: 'failed', kind: 'failed' },
  { icon: 'symbol-operator', label: 'estimated', kind: 'estimated' },
  { icon: 'question', label: 'unknown price', kind: 'unknown' },
];

/** The badges of a turn row: status, estimated usage, unknown price. */
export function turnBadges(t: TurnStatsJson): Badge[] {
  const out: Badge[] = [];
  const s = statusBadge(t.status);
  if (s) out.push(s);
  if (t.usage.source === 'estimated') {
    out.push({
      label: 'estimated',
      kind: 'estimated',
      icon: 'symbol-operator',
      title: 'Some usage was counted locally, not reported',
    });
  } else if (t.usage.source === 'legacy') {
    out.push({
      label: 'imported',
      kind: 'info',
      icon: 'history',
      title: 'Imported from an older tool, figures as it recorded them',
    });
  }
  const c = costBadge(t);
  if (c) out.push(c);
  return out;
}

/** The badges of a request row. */
export function requestBadges(r: RequestStatsJson): Badge[] {
  const out: Badge[] = [];
  const s = statusBadge(r.status);
  if (s) out.push(s);
  if (!r.usageKnown)
    out.push({
      label: 'no usage',
      kind: 'estimated',
      icon: 'circle-slash',
      title: 'No usage was ever recorded',
    });
  else if (r.usage.source === 'estimated') {
    out.push({
      label: 'estimated',
      kind: 'estimated',
      icon: 'symbol-operator',
      title: 'Counted locally: the provider reported no usage',
    });
  }
  if (r.costBasis === 'reported')
    out.push({ label: 'reported', kind: 'info', icon: 'verified', title: 'Cost as charged by the provider' });
  const c = costBadge(r);
  if (c) out.push(c);
  if (r.purpose !== 'chat')
    out.push({ label: r.purpose, kind: 'info', icon: 'symbol-event', title: `A ${r.purpose} request` });
  return out;
}

/** The text of a turn's usage chip in the chat: `12.3k tokens · $0.0123`. */
export function chipText(item: Extract<ChatItem, { kind: 'turn-usage' }>): string {
  const cost = formatCost({ costUsd: null, cost: item.cost, unknownCostRequests: item.unknownCostRequests });
  return `${formatShortTokens(item.totalTokens)} tokens · ${cost}`;
}

/** The codicon of a tool. */
export function toolIcon(name: string): string {
  switch (name) {
    case 'read_file':
      return 'file';
    case 'list_files':
      return 'list-tree';
    case 'search_files':
      return 'search';
    case 'write_file':
      return 'new-file';
    case 'edit_file':
      return 'edit';
    case 'run_command':
      return 'terminal';
    default:
      return 'tools';
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The one-line summary of a tool call's arguments (its path, pattern or command). */
export function toolSummary(name: string, input: unknown): string {
  const o = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  let s: string | null = null;
  if (name === 'run_command') s = str(o.command);
  else if (name === 'search_files') {
    const p = str(o.pattern);
    s = p === null ? null : `${p}${str(o.path) ? ` in ${str(o.path)}` : ''}`;
  } else s = str(o.path);
  if (s === null) {
    try {
      s = JSON.stringify(input) ?? '';
    } catch {
      s = '';
    }
  }
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Arguments as shown in the card's details: JSON, pretty-printed. */
export function toolArgs(input: unknown): string {
  try {
    return JSON.stringify(input, null, 2) ?? String(input);
  } catch {
    return String(input);
  }
}

/** `3 lines` / `1 line`. */
export function lineCount(text: string): string {
  const n = text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
  return `${n} line${n === 1 ? '' : 's'}`;
}
