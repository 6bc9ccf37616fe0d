/**
 * Budgets in USD: per session, per workspace (today, this month) and overall (today, this month,
 * every workspace). The spend of each comes from the report's derivation (`spendingReport` over
 * the same rows), so the warning, the panel and `tally report` agree. Crossing `warnAtPercent`
 * (80 by default) warns once per period; a request that could cross a limit is not sent without
 * the user's yes (`checkRequest`, called from the turn loop's `beforeRequest` hook).
 */
import { z } from 'zod';
import { formatUsd, type Pico, picoToDecimal, usdToPico } from '../money';
import { type ReportRow, spendingReport, ZoneCalendar } from '../report/spending';

/** The budgets as configured (the `tally.budgets` setting, the CLI's `--budget-file`). */
export interface Budgets {
  sessionUsd?: number | null;
  /** This workspace, per day / per month. */
  workspaceDailyUsd?: number | null;
  workspaceMonthlyUsd?: number | null;
  /** Every workspace together, per day / per month. */
  dailyUsd?: number | null;
  monthlyUsd?: number | null;
  /** When to warn, in percent of a budget (default 80). */
  warnAtPercent?: number;
}

const usd = z.number().finite().nonnegative().max(1e9).nullable().optional();

export const budgetsSchema = z.strictObject({
  sessionUsd: usd,
  workspaceDailyUsd: usd,
  workspaceMonthlyUsd: usd,
  dailyUsd: usd,
  monthlyUsd: usd,
  warnAtPercent: z.number().min(1).max(100).optional(),
});

/** A budget file or setting that cannot be used; `message` is the one line to show. */
export class BudgetConfigError extends Error {
  override readonly name = 'BudgetConfigError';
}

/** Validates budgets from a file or a setting (`where` names it in the error). */
export function parseBudgets(raw: unknown, where: string): Budgets {
  const r = budgetsSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.join('.');
  throw new BudgetConfigError(
    `Bad budgets in ${where}: ${path ? `${path}: ` : ''}${issue.message}; expected {"sessionUsd": 5, "dailyUsd": 20, "monthlyUsd": 300, "workspaceDailyUsd": 10, "workspaceMonthlyUsd": 100} (USD, any of them)`,
  );
}

export type BudgetKind = 'session' | 'workspaceDaily' | 'workspaceMonthly' | 'daily' | 'monthly';

const LABELS: Record<BudgetKind, string> = {
  session: 'session budget',
  workspaceDaily: "this workspace's daily budget",
  workspaceMonthly: "this workspace's monthly budget",
  daily: 'daily budget',
  monthly: 'monthly budget',
};

/** Where one budget stands. */
export interface BudgetLine {
  kind: BudgetKind;
  label: string;
  /** The period: the session id, the day (`2026-01-02`) or the month (`2026-01`), in the zone. */
  period: string;
  limitPico: Pico;
  spentPico: Pico;
  /** Requests in the period whose price is unknown (not in `spentPico`). */
  unknownCostRequests: number;
  /** spent / limit (1 = all of it). */
  fraction: number;
  level: 'ok' | 'warning' | 'exceeded';
}

/** The spending a budget check looks at: rows of the report's shape. */
export interface BudgetSpend {
  /** The current session's rows (from its live state). */
  session: { sessionId: string; rows: readonly ReportRow[] };
  /** Every row of this workspace, the current session's included. */
  workspace: readonly ReportRow[];
  /** Every row of every workspace, the current session's included. */
  overall: readonly ReportRow[];
}

/** The budgets' state at `now`, in zone `tz` (default the machine's). Only configured budgets appear. */
export function budgetStatus(
  budgets: Budgets,
  spend: BudgetSpend,
  opts: { now?: Date; tz?: string | null } = {},
): BudgetLine[] {
  const now = (opts.now ?? new Date()).getTime();
  const cal = new ZoneCalendar(opts.tz);
  const today = cal.dayKey(now);
  const month = today.slice(0, 7);
  const monthStart = `${month}-01`;
  const monthEnd = `${month}-31`;
  const warnAt = (budgets.warnAtPercent ?? 80) / 100;
  const out: BudgetLine[] = [];
  const line = (
    kind: BudgetKind,
    limitUsd: number | null | undefined,
    rows: readonly ReportRow[],
    period: string,
    since?: string,
    until?: string,
  ) => {
    if (limitUsd === null || limitUsd === undefined) return;
    const total = spendingReport(rows, {
      by: 'day',
      tz: cal.timeZone,
      ...(since ? { since } : {}),
      ...(until ? { until: until > today ? today : until } : {}),
    }).total;
    const spentPico = total.cost === null ? 0n : decimalPico(total.cost);
    const limitPico = usdToPico(limitUsd);
    const fraction =
      limitPico === 0n ? (spentPico > 0n ? Number.POSITIVE_INFINITY : 0) : ratio(spentPico, limitPico);
    out.push({
      kind,
      label: LABELS[kind],
      period,
      limitPico,
      spentPico,
      unknownCostRequests: total.unknownCostRequests,
      fraction,
      level: fraction >= 1 ? 'exceeded' : fraction >= warnAt ? 'warning' : 'ok',
    });
  };
  line('session', budgets.sessionUsd, spend.session.rows, spend.session.sessionId);
  line('workspaceDaily', budgets.workspaceDailyUsd, spend.workspace, today, today, today);
  line('workspaceMonthly', budgets.workspaceMonthlyUsd, spend.workspace, month, monthStart, monthEnd);
  line('daily', budgets.dailyUsd, spend.overall, today, today, today);
  line('monthly', budgets.monthlyUsd, spend.overall, month, monthStart, monthEnd);
  return out;
}

function ratio(a: Pico, b: Pico): number {
  return Number((a * 1_000_000n) / b) / 1_000_000;
}

function decimalPico(decimal: string): Pico {
  const [w, f = ''] = decimal.split('.');
  return BigInt(w!) * 1_000_000_000_000n + BigInt(f.padEnd(12, '0').slice(0, 12));
}

/** The key under which a warning is remembered: one warning per budget and period. */
export function warningKey(l: BudgetLine): string {
  return `${l.kind}:${l.period}`;
}

/**
 * The budgets that crossed their warning threshold (or their limit) and were not warned about in
 * this period yet, given the keys already warned. The caller shows them and remembers their keys.
 */
export function newWarnings(status: readonly BudgetLine[], warned: ReadonlySet<string>): BudgetLine[] {
  return status.filter((l) => l.level !== 'ok' && !warned.has(warningKey(l)));
}

/** One line for a warning: `daily budget: $8.12 of $10.00 spent (81%) on 2026-01-02`. */
export function describeBudget(l: BudgetLine): string {
  const pct = Number.isFinite(l.fraction) ? `${Math.floor(l.fraction * 100)}%` : 'over';
  const when =
    l.kind === 'session'
      ? `in session ${l.period}`
      : l.kind.endsWith('onthly')
        ? `in ${l.period}`
        : `on ${l.period}`;
  const unknown = l.unknownCostRequests > 0 ? ` (+ ${l.unknownCostRequests} requests of unknown price)` : '';
  return `${l.label}: ${formatUsd(l.spentPico)} of ${formatUsd(l.limitPico)} spent (${pct}) ${when}${unknown}`;
}

/** The verdict on a request about to go out. */
export type RequestVerdict =
  | { ok: true; unpriced: boolean }
  | { ok: false; line: BudgetLine; estimatePico: Pico; leftPico: Pico; message: string };

/**
 * Whether a request estimated to cost up to `estimatePico` (null: its price is unknown) may go
 * out: not when it could take any budget past its limit. A request of unknown price cannot be
 * checked; it goes out, and `unpriced` says so.
 */
export function checkRequest(status: readonly BudgetLine[], estimatePico: Pico | null): RequestVerdict {
  if (estimatePico === null) return { ok: true, unpriced: status.length > 0 };
  for (const l of status) {
    if (l.spentPico + estimatePico > l.limitPico) {
      const left = l.limitPico > l.spentPico ? l.limitPico - l.spentPico : 0n;
      return {
        ok: false,
        line: l,
        estimatePico,
        leftPico: left,
        message:
          `stopped before a request that could cross the ${l.label} (${formatUsd(left)} left of ` +
          `${formatUsd(l.limitPico)}; the request could cost up to ${formatUsd(estimatePico)})`,
      };
    }
  }
  return { ok: true, unpriced: false };
}

/** USD of a budget line as exact decimals, for JSON output. */
export function budgetLineJson(l: BudgetLine) {
  return {
    kind: l.kind,
    label: l.label,
    period: l.period,
    limit: picoToDecimal(l.limitPico),
    spent: picoToDecimal(l.spentPico),
    percent: Number.isFinite(l.fraction) ? Math.round(l.fraction * 1000) / 10 : null,
    unknownCostRequests: l.unknownCostRequests,
    level: l.level,
  };
}
