/**
 * Spending across sessions and workspaces: `tally report --json`, and what the editor's Spending
 * view shows. A pure function over spending rows (`ledger/spendRows.ts`, cached in the session
 * index), so every figure is a sum of the same numbers the panel shows, and a report's total is
 * exactly the sum of the sessions it covers (bigint pico-dollars; unknown prices counted apart).
 *
 * Time groups use the time zone given (default: the machine's): a turn belongs to the day it
 * STARTED there, whole, even when it ran past midnight. Weeks are ISO weeks (Monday first).
 */
import { addUsageInto, emptyTotals } from '../ledger/derive';
import type { SpendRow } from '../ledger/spendRows';
import { picoToDecimal, picoToUsd } from '../money';
import type { UsageTotals } from '../usage/types';
import { type CostJson, type UsageJson, usageJson } from './stats';

export const GROUP_BY = ['day', 'week', 'month', 'model', 'provider', 'workspace', 'session'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** A spending row with the session and workspace it belongs to. */
export interface ReportRow extends SpendRow {
  sessionId: string;
  sessionTitle: string;
  /** The workspace's folder (or another label when it has none). */
  workspace: string;
  /** The session was deleted; its tombstone keeps its spending. */
  deleted: boolean;
  /**
   * The session's own per-turn rows, for a row that sums a span (`span`) the report cannot place
   * in one local day: read from its log when needed (rare).
   */
  turnRows?: () => readonly SpendRow[];
}

export interface SpendingOptions {
  by: GroupBy;
  /** First day included, `YYYY-MM-DD` in `tz`. */
  since?: string | null;
  /** Last day included, `YYYY-MM-DD` in `tz`. */
  until?: string | null;
  /** An IANA zone (`Europe/Paris`, `Asia/Kathmandu`, `UTC`); default the machine's. */
  tz?: string | null;
}

/** Totals of a group (or of the whole report). */
export interface SpendingTotalsJson extends UsageJson, CostJson {
  turns: number;
  requests: number;
  /** Sessions with at least one row in the group. */
  sessions: number;
  /** Tokens of the requests whose price is unknown (their cost is not in `costUsd`). */
  unknownCostTokens: number;
}

export interface SpendingGroupJson extends SpendingTotalsJson {
  /** `2026-01-02`, `2026-W01`, `2026-01`, a model, a provider, a workspace folder, a session id. */
  key: string;
  /** What to show: the key, or a session's title, a workspace's folder name. */
  label: string;
}

/** `tally report --json` (a contract: add fields, rename none). */
export interface SpendingReportJson {
  by: GroupBy;
  timeZone: string;
  since: string | null;
  until: string | null;
  groups: SpendingGroupJson[];
  total: SpendingTotalsJson;
}

/** Thrown for a bad option (an unknown zone, a date that is not `YYYY-MM-DD`). */
export class SpendingOptionError extends Error {
  override readonly name = 'SpendingOptionError';
}

const DAY_MS = 86_400_000;
const TIME_GROUPS: ReadonlySet<GroupBy> = new Set(['day', 'week', 'month']);

/** The machine's time zone. */
export function machineTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Local calendar of one zone, exact at any offset (:30, :45, DST): the offset is read from
 * Intl once per UTC hour, and per instant in the rare hour where it changes.
 */
export class ZoneCalendar {
  readonly timeZone: string;
  private readonly fmt: Intl.DateTimeFormat;
  /** Per UTC day: its offset, or where inside it the offset changes (found to the millisecond). */
  private readonly dayOffsets = new Map<number, { before: number; after: number; at: number }>();
  private readonly dayKeys = new Map<number, string>();
  private lastDay = Number.NaN;
  private lastOffsets: { before: number; after: number; at: number } | undefined;

  constructor(tz?: string | null) {
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: tz || machineTimeZone(),
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new SpendingOptionError(`unknown time zone "${tz}" (use an IANA name like Europe/Paris or UTC)`);
    }
    // The name as given (ICU may canonicalize it to an older alias, e.g. Asia/Katmandu).
    this.timeZone = tz || this.fmt.resolvedOptions().timeZone;
  }

  /** Local time minus UTC at instant `ms`, in ms. */
  offsetAt(ms: number): number {
    const p: Record<string, number> = {};
    for (const part of this.fmt.formatToParts(new Date(ms))) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    return local - Math.floor(ms / 1000) * 1000;
  }

  /**
   * `ms` as local wall-clock time, expressed as if it were UTC. The offset is read from Intl at
   * both ends of the instant's UTC day; where they differ (a transition that day), the change is
   * found by bisection to the millisecond, once per day. Offsets change at most a few times a
   * year, never twice in a day.
   */
  localMs(ms: number): number {
    const day = Math.floor(ms / DAY_MS);
    // Rows come in runs of one day: the last day's offsets first, then the map.
    let d = day === this.lastDay ? this.lastOffsets : this.dayOffsets.get(day);
    if (!d) {
      const lo0 = day * DAY_MS;
      const hi0 = lo0 + DAY_MS - 1;
      const before = this.offsetAt(lo0);
      const after = this.offsetAt(hi0);
      let at = hi0 + 1;
      if (before !== after) {
        let lo = lo0;
        let hi = hi0; // offsetAt(lo) = before, offsetAt(hi) = after
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (this.offsetAt(mid) === before) lo = mid;
          else hi = mid;
        }
        at = hi;
      }
      d = { before, after, at };
      this.dayOffsets.set(day, d);
    }
    this.lastDay = day;
    this.lastOffsets = d;
    return ms + (ms < d.at ? d.before : d.after);
  }

  /**
   * Whether every instant of [ms, ms + span) is in one local day with one offset (so a row that
   * sums that span can be placed whole). Offsets change at most once a UTC day, so equal offsets
   * and days at both ends of a span inside one UTC day mean the same for everything between.
   */
  oneDay(ms: number, span: number): boolean {
    const last = ms + span - 1;
    if (Math.floor(ms / DAY_MS) !== Math.floor(last / DAY_MS)) return false;
    const a = this.localMs(ms);
    const b = this.localMs(last);
    return a - ms === b - last && Math.floor(a / DAY_MS) === Math.floor(b / DAY_MS);
  }

  /** The local day number (days since 1970-01-01, local) of instant `ms`. */
  dayNumber(ms: number): number {
    return Math.floor(this.localMs(ms) / DAY_MS);
  }

  /** `YYYY-MM-DD` of instant `ms`, in this zone. */
  dayKey(ms: number): string {
    return dayKeyOfNumber(this.dayNumber(ms), this.dayKeys);
  }

  /** `YYYY-MM` of instant `ms`, in this zone. */
  monthKey(ms: number): string {
    return this.dayKey(ms).slice(0, 7);
  }

  /** ISO week `YYYY-Www` (weeks start on Monday; week 1 holds the year's first Thursday). */
  weekKey(ms: number): string {
    return isoWeekOfDay(this.dayNumber(ms));
  }
}

/** Calendars by zone, kept (with the offsets they found) across reports of this process. */
const calendars = new Map<string, ZoneCalendar>();

/** The calendar of `tz` (default: the machine's zone, looked up each time: it can change). */
function calendarOf(tz: string | null | undefined): ZoneCalendar {
  if (!tz) return new ZoneCalendar(tz);
  let cal = calendars.get(tz);
  if (!cal) {
    cal = new ZoneCalendar(tz);
    if (calendars.size > 50) calendars.clear();
    calendars.set(tz, cal);
  }
  return cal;
}

function dayKeyOfNumber(day: number, cache?: Map<number, string>): string {
  const hit = cache?.get(day);
  if (hit) return hit;
  const d = new Date(day * DAY_MS);
  const key = `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  cache?.set(day, key);
  return key;
}

/** The ISO week of a day number (days since 1970-01-01, a Thursday). */
export function isoWeekOfDay(day: number): string {
  const weekday = (((day + 3) % 7) + 7) % 7; // Monday 0 … Sunday 6
  const thursday = day - weekday + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1) / DAY_MS;
  const week = Math.floor((thursday - jan1) / 7) + 1;
  return `${year}-W${pad2(week)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Checks a `YYYY-MM-DD` date (a real one). */
export function parseDay(value: string, flag = 'date'): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3])) return value.trim();
  }
  throw new SpendingOptionError(`${flag} must be a date like 2026-01-31 (got "${value}")`);
}

interface Acc {
  key: string;
  label: string;
  turns: number;
  requests: number;
  priced: number;
  unknownRequests: number;
  unknownTokens: number;
  usage: UsageTotals;
  costPico: bigint;
  sessions: Set<string>;
}

function newAcc(key: string, label: string): Acc {
  return {
    key,
    label,
    turns: 0,
    requests: 0,
    priced: 0,
    unknownRequests: 0,
    unknownTokens: 0,
    usage: emptyTotals(),
    costPico: 0n,
    sessions: new Set(),
  };
}

function addRow(a: Acc, r: ReportRow): void {
  a.turns += r.turns;
  a.requests += r.requests;
  a.priced += r.pricedRequests;
  a.unknownRequests += r.unknownCostRequests;
  a.unknownTokens += r.unknownCostTokens;
  addUsageInto(a.usage, r.usage);
  a.costPico += r.costPico;
}

function totalsJson(a: Acc): SpendingTotalsJson {
  // As `costJson`: when every priced request is unknown, the cost is unknown (null), never $0.
  const allUnknown = a.priced > 0 && a.unknownRequests === a.priced;
  return {
    ...usageJson(a.usage),
    costUsd: allUnknown ? null : picoToUsd(a.costPico),
    cost: allUnknown ? null : picoToDecimal(a.costPico),
    unknownCostRequests: a.unknownRequests,
    turns: a.turns,
    requests: a.requests,
    sessions: a.sessions.size,
    unknownCostTokens: a.unknownTokens,
  };
}

/**
 * The spending report of `rows`, grouped `by` day, week, month, model, provider, workspace or
 * session, with a total. Rows are filtered by the local day their turn started (`since` and
 * `until` inclusive). Pure: the same rows give the same report.
 */
export function spendingReport(rows: Iterable<ReportRow>, opts: SpendingOptions): SpendingReportJson {
  if (!(GROUP_BY as readonly string[]).includes(opts.by)) {
    throw new SpendingOptionError(`by must be one of ${GROUP_BY.join(', ')} (got "${opts.by}")`);
  }
  const cal = calendarOf(opts.tz);
  const since = opts.since ? parseDay(opts.since, 'since') : null;
  const until = opts.until ? parseDay(opts.until, 'until') : null;
  if (since && until && since > until)
    throw new SpendingOptionError(`since ${since} is after until ${until}`);
  const filtered = since !== null || until !== null;

  const groups = new Map<string, Acc>();
  const sessions = new Set<string>();
  // Rows come session by session: build the session's key once per run of its rows. (Compared by
  // value: a caller may hand the same row object again with new values, see `summaryRows`.)
  let prevId: string | undefined;
  let prevWorkspace: string | undefined;
  let prevDeleted = false;
  let sessionKey = '';
  let lastGroup: Acc | undefined;
  let lastKeyInGroup = '';
  const add = (r: ReportRow): void => {
    if (prevId !== r.sessionId || prevWorkspace !== r.workspace || prevDeleted !== r.deleted) {
      sessionKey = `${r.workspace}\u0000${r.sessionId}\u0000${r.deleted ? 'deleted' : ''}`;
      prevId = r.sessionId;
      prevWorkspace = r.workspace;
      prevDeleted = r.deleted;
    }
    let day: string | null = null;
    if (filtered || opts.by === 'day') {
      day = cal.dayKey(r.start);
      if ((since !== null && day < since) || (until !== null && day > until)) return;
    }
    let key: string;
    switch (opts.by) {
      case 'day':
        key = day!;
        break;
      case 'week':
        key = cal.weekKey(r.start);
        break;
      case 'month':
        key = cal.monthKey(r.start);
        break;
      case 'model':
        key = r.model || '(unknown model)';
        break;
      case 'provider':
        key = r.provider || '(unknown provider)';
        break;
      case 'workspace':
        key = r.workspace;
        break;
      case 'session':
        key = r.sessionId;
        break;
    }
    let g = lastGroup?.key === key ? lastGroup : groups.get(key);
    if (!g) {
      const label =
        opts.by === 'session' ? `${r.sessionTitle || r.sessionId}${r.deleted ? ' (deleted)' : ''}` : key;
      g = newAcc(key, label);
      groups.set(key, g);
    }
    addRow(g, r);
    if (g !== lastGroup || sessionKey !== lastKeyInGroup) {
      g.sessions.add(sessionKey);
      sessions.add(sessionKey);
      lastGroup = g;
      lastKeyInGroup = sessionKey;
    }
  };
  const timed = filtered || TIME_GROUPS.has(opts.by);
  for (const r of rows) {
    const span = r.span;
    if (!timed || !span || cal.oneDay(r.start, span)) {
      add(r);
      continue;
    }
    // A local midnight (or an offset change) falls inside the row's span: its turns are placed
    // one by one, from the session's own rows (the row is exactly their sum).
    const turns = r.turnRows?.();
    if (!turns) throw new Error(`spending row of session ${r.sessionId} cannot be split by day`);
    const { sessionId, sessionTitle, workspace, deleted } = r;
    const end = r.start + span;
    for (const t of turns) {
      if (t.start >= r.start && t.start < end && t.provider === r.provider && t.model === r.model)
        add({ ...t, sessionId, sessionTitle, workspace, deleted });
    }
  }
  // The total is the sum of the groups (the same additions, once).
  const total = newAcc('total', 'Total');
  for (const g of groups.values()) {
    total.turns += g.turns;
    total.requests += g.requests;
    total.priced += g.priced;
    total.unknownRequests += g.unknownRequests;
    total.unknownTokens += g.unknownTokens;
    addUsageInto(total.usage, g.usage);
    total.costPico += g.costPico;
  }
  total.sessions = sessions;

  const list = [...groups.values()];
  if (TIME_GROUPS.has(opts.by)) list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  else
    list.sort((a, b) =>
      a.costPico === b.costPico ? a.key.localeCompare(b.key) : a.costPico > b.costPico ? -1 : 1,
    );
  return {
    by: opts.by,
    timeZone: cal.timeZone,
    since,
    until,
    groups: list.map((g) => ({ key: g.key, label: g.label, ...totalsJson(g) })),
    total: totalsJson(total),
  };
}

/** Rows of one session, with its session and workspace attached. */
export function reportRowsOf(
  rows: readonly SpendRow[],
  session: { sessionId: string; title: string; deleted: boolean },
  workspace: string,
): ReportRow[] {
  return rows.map((r) => ({
    ...r,
    sessionId: session.sessionId,
    sessionTitle: session.title,
    workspace,
    deleted: session.deleted,
  }));
}
