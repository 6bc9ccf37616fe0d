/**
 * A session's spending as compact rows: one per (turn, provider, model), plus one per request that
 * belongs to the session itself. Each row keeps when its turn STARTED (epoch ms), so a report can
 * put it in the day, week or month of any time zone exactly, and the row sums are the session's
 * totals exactly (same `addUsageInto`, same cost sum as `derive.ts`). The session index stores
 * their sums per provider, model and UTC quarter-hour (`bucketRows`), so `tally report` reads no
 * log: a quarter-hour is in one local day in every zone of today (offsets are whole quarter-hours),
 * and a report reads a session's own rows for one that a local midnight cuts.
 */
import { type CostSum, type Pico, ZERO_COST } from '../money';
import type { UsageTotals } from '../usage/types';
import { addUsageInto, emptyTotals } from './derive';
import type { RequestRecord, SessionState } from './ledger';

/** One row of spending: the requests of one turn with one provider and model. */
export interface SpendRow {
  /** When the turn started (epoch ms); for a request of the session itself, when it started. */
  start: number;
  provider: string;
  model: string;
  /** 1 on the row of a turn's first request (or of a turn without requests), else 0: turns add up. */
  turns: number;
  requests: number;
  /** Requests with a usage snapshot: the parts of the cost sum (all unknown → cost unknown, not $0). */
  pricedRequests: number;
  /** Requests with usage but no known price (counted apart, never as $0). */
  unknownCostRequests: number;
  /** Their tokens (totalTokens). */
  unknownCostTokens: number;
  usage: UsageTotals;
  /** Sum of the known costs, pico-dollars. */
  costPico: Pico;
  /**
   * Set on the index's rows, which sum the turns of one UTC quarter-hour (`SPEND_BUCKET_MS`):
   * the row's turns started in [start, start + span). A report that cannot place the whole span
   * in one local day reads those turns' own rows (`turnRows`).
   */
  span?: number;
}

/** The index sums spending per session, provider, model and UTC quarter-hour. */
export const SPEND_BUCKET_MS = 15 * 60_000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `Date.parse(s)`, read by hand when `s` is `YYYY-MM-DDTHH:MM:SS.sssZ` as the log writes it (a
 * rebuild reads 100,000 of them; Date.parse is the slow part). A test holds it to Date.parse.
 */
export function isoMs(s: string): number {
  if (s.length !== 24 || s.charCodeAt(23) !== 0x5a) return Date.parse(s);
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let se = 0;
  let ms = 0;
  for (let i = 0; i < 23; i++) {
    const c = s.charCodeAt(i);
    const want =
      i === 4 || i === 7 ? 0x2d : i === 10 ? 0x54 : i === 13 || i === 16 ? 0x3a : i === 19 ? 0x2e : -1;
    if (want >= 0) {
      if (c !== want) return Date.parse(s);
      continue;
    }
    const v = c - 0x30;
    if (v < 0 || v > 9) return Date.parse(s);
    if (i < 4) y = y * 10 + v;
    else if (i < 7) mo = mo * 10 + v;
    else if (i < 10) d = d * 10 + v;
    else if (i < 13) h = h * 10 + v;
    else if (i < 16) mi = mi * 10 + v;
    else if (i < 19) se = se * 10 + v;
    else ms = ms * 10 + v;
  }
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return Date.parse(s);
  if (d > DAYS_IN_MONTH[mo - 1]! + (mo === 2 && leap ? 1 : 0)) return Date.parse(s);
  return Date.UTC(y, mo - 1, d, h, mi, se, ms);
}

/** Epoch ms of an ISO time, or of `fallback` when it does not parse (0 when neither does). */
export function timeOf(iso: string, fallback = ''): number {
  const t = isoMs(iso);
  if (Number.isFinite(t)) return t;
  const f = isoMs(fallback);
  return Number.isFinite(f) ? f : 0;
}

function emptyRow(start: number, provider: string, model: string): SpendRow {
  return {
    start,
    provider,
    model,
    turns: 0,
    requests: 0,
    pricedRequests: 0,
    unknownCostRequests: 0,
    unknownCostTokens: 0,
    usage: emptyTotals(),
    costPico: 0n,
  };
}

/** Adds one request into a row (usage and cost exactly as `sumRequests` adds them). */
export function addRequestInto(row: SpendRow, r: RequestRecord): void {
  row.requests++;
  if (!r.usage) return;
  row.pricedRequests++;
  addUsageInto(row.usage, r.usage);
  if (r.costPico === null) {
    row.unknownCostRequests++;
    row.unknownCostTokens += r.usage.totalTokens;
  } else row.costPico += r.costPico;
}

/** The spending rows of a session; their sums equal `sessionTotals(s)` exactly. */
export function spendRows(s: SessionState): SpendRow[] {
  const out: SpendRow[] = [];
  const fallback = s.createdAt;
  for (const turn of s.turns) {
    const start = timeOf(turn.startedAt, fallback);
    // A turn's rows, one per provider and model (few: searched in place).
    const first = out.length;
    for (const id of turn.requestIds) {
      const r = s.requests.get(id);
      if (!r) continue;
      let row: SpendRow | undefined;
      for (let i = first; i < out.length; i++) {
        const o = out[i]!;
        if (o.provider === r.provider && o.model === r.model) {
          row = o;
          break;
        }
      }
      if (!row) {
        row = emptyRow(start, r.provider, r.model);
        if (out.length === first) row.turns = 1;
        out.push(row);
      }
      addRequestInto(row, r);
    }
    if (out.length === first) {
      const row = emptyRow(start, s.provider, s.model);
      row.turns = 1;
      out.push(row);
    }
  }
  for (const id of s.sessionRequestIds) {
    const r = s.requests.get(id);
    if (!r) continue;
    const row = emptyRow(timeOf(r.startedAt, fallback), r.provider, r.model);
    addRequestInto(row, r);
    out.push(row);
  }
  return out;
}

/** Adds row `r` into `into` (same provider and model): every count, the usage and the cost. */
export function addRowInto(into: SpendRow, r: SpendRow): void {
  into.turns += r.turns;
  into.requests += r.requests;
  into.pricedRequests += r.pricedRequests;
  into.unknownCostRequests += r.unknownCostRequests;
  into.unknownCostTokens += r.unknownCostTokens;
  addUsageInto(into.usage, r.usage);
  into.costPico += r.costPico;
}

/**
 * Rows summed per provider, model and UTC quarter-hour of their start (what the index keeps):
 * each row's `start` is its quarter-hour's and `span` is `SPEND_BUCKET_MS`. The sums are exact
 * (integers; bigint cost), in the order the quarter-hours first appear.
 */
export function bucketRows(rows: readonly SpendRow[], bucketMs = SPEND_BUCKET_MS): SpendRow[] {
  const out: SpendRow[] = [];
  const byKey = new Map<string, SpendRow>();
  let last: SpendRow | undefined;
  for (const r of rows) {
    const start = Math.floor(r.start / bucketMs) * bucketMs;
    let into: SpendRow | undefined =
      last && last.start === start && last.provider === r.provider && last.model === r.model
        ? last
        : undefined;
    if (!into) {
      const key = `${start}\u0000${r.provider}\u0000${r.model}`;
      into = byKey.get(key);
      if (!into) {
        into = emptyRow(start, r.provider, r.model);
        into.span = bucketMs;
        byKey.set(key, into);
        out.push(into);
      }
    }
    addRowInto(into, r);
    last = into;
  }
  return out;
}

/**
 * `bucketRows(spendRows(s))` in one pass, without a row per turn (what the index stores; a
 * rebuild summarizes 100,000 turns). A test holds the two equal.
 */
export function bucketedSpendRows(s: SessionState, bucketMs = SPEND_BUCKET_MS): SpendRow[] {
  const out: SpendRow[] = [];
  const byKey = new Map<string, SpendRow>();
  let last: SpendRow | undefined;
  const rowFor = (start: number, provider: string, model: string): SpendRow => {
    const b = Math.floor(start / bucketMs) * bucketMs;
    if (last && last.start === b && last.provider === provider && last.model === model) return last;
    const key = `${b}\u0000${provider}\u0000${model}`;
    let row = byKey.get(key);
    if (!row) {
      row = emptyRow(b, provider, model);
      row.span = bucketMs;
      byKey.set(key, row);
      out.push(row);
    }
    last = row;
    return row;
  };
  const fallback = s.createdAt;
  for (const turn of s.turns) {
    const start = timeOf(turn.startedAt, fallback);
    let first = true;
    for (const id of turn.requestIds) {
      const r = s.requests.get(id);
      if (!r) continue;
      const row = rowFor(start, r.provider, r.model);
      if (first) row.turns++;
      first = false;
      addRequestInto(row, r);
    }
    if (first) rowFor(start, s.provider, s.model).turns++;
  }
  for (const id of s.sessionRequestIds) {
    const r = s.requests.get(id);
    if (r) addRequestInto(rowFor(timeOf(r.startedAt, fallback), r.provider, r.model), r);
  }
  return out;
}

/** The cost of rows as a `CostSum` (known part + how many parts were unknown). */
export function rowsCost(rows: Iterable<SpendRow>): CostSum {
  let sum: CostSum = ZERO_COST;
  for (const r of rows) {
    sum = { knownPico: sum.knownPico + r.costPico, unknownCount: sum.unknownCount + r.unknownCostRequests };
  }
  return sum;
}
