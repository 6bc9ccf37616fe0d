/**
 * Budgets for `tally run` (and `tally budget`): read from flags or a budget file, checked before
 * each request through the turn loop's `beforeRequest` hook, with a warning line on stderr once
 * per budget and period (remembered in `<storage>/budget-warnings.json`).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  BudgetConfigError,
  type BudgetLine,
  type Budgets,
  checkRequest,
  describeBudget,
  newWarnings,
  parseBudgets,
  warningKey,
} from '../core/budget/budgets';
import { BudgetSpend } from '../core/budget/spend';
import type { SessionState } from '../core/ledger/ledger';
import type { Pricing } from '../core/pricing/pricing';
import { workspaceOfStorage } from '../core/report/collect';
import { CliError, usageError } from './args';
import { warn } from './output';
import { storageSources } from './sources';

/** The budget flags of `tally run` and `tally budget`. */
export const BUDGET_FLAGS = {
  'budget-file': { type: 'string' },
  'session-budget': { type: 'string' },
  'daily-budget': { type: 'string' },
  'monthly-budget': { type: 'string' },
  'workspace-daily-budget': { type: 'string' },
  'workspace-monthly-budget': { type: 'string' },
  tz: { type: 'string' },
} as const;

type BudgetValues = { [K in keyof typeof BUDGET_FLAGS]?: string | undefined };

/** Budgets from `--budget-file` with the flags over it; null when none is set. */
export async function budgetsFrom(values: BudgetValues): Promise<Budgets | null> {
  let budgets: Budgets = {};
  if (values['budget-file']) {
    const file = path.resolve(values['budget-file']);
    const text = await fs.readFile(file, 'utf8').catch((e: Error) => {
      throw new CliError(`cannot read budget file ${file}: ${e.message}`);
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new CliError(`Bad budget file ${file}: not valid JSON (${(e as Error).message})`);
    }
    try {
      budgets = parseBudgets(json, file);
    } catch (e) {
      if (e instanceof BudgetConfigError) throw new CliError(e.message);
      throw e;
    }
  }
  const flag = (name: keyof BudgetValues, key: keyof Budgets) => {
    const v = values[name];
    if (v === undefined) return;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || v.trim() === '')
      throw usageError(`--${name} must be an amount in USD (got "${v}")`);
    (budgets as Record<string, number>)[key] = n;
  };
  flag('session-budget', 'sessionUsd');
  flag('daily-budget', 'dailyUsd');
  flag('monthly-budget', 'monthlyUsd');
  flag('workspace-daily-budget', 'workspaceDailyUsd');
  flag('workspace-monthly-budget', 'workspaceMonthlyUsd');
  const any = ['sessionUsd', 'dailyUsd', 'monthlyUsd', 'workspaceDailyUsd', 'workspaceMonthlyUsd'].some(
    (k) => typeof (budgets as Record<string, unknown>)[k] === 'number',
  );
  return any ? budgets : null;
}

/** Reads what the budgets of a live session look at: every storage found, this one included. */
export async function readBudgetSpend(
  storageDir: string,
  sessionId: string,
  pricing: Pricing,
): Promise<BudgetSpend> {
  const workspace = await workspaceOfStorage(storageDir);
  const sources = await storageSources({});
  if (!sources.some((s) => s.dir === storageDir)) sources.push({ dir: storageDir, workspace });
  return BudgetSpend.read(sources, { workspace, sessionId }, { price: pricing.price });
}

/** Prints each budget that crossed its warning threshold, once per period (remembered in the storage folder). */
export async function warnOnce(storageDir: string, status: readonly BudgetLine[]): Promise<void> {
  const file = path.join(storageDir, 'budget-warnings.json');
  const warned = new Set<string>(
    await fs
      .readFile(file, 'utf8')
      .then((t) => (JSON.parse(t) as { warned?: unknown }).warned)
      .then((w) => (Array.isArray(w) ? w.filter((x): x is string => typeof x === 'string') : []))
      .catch(() => []),
  );
  const fresh = newWarnings(status, warned);
  if (fresh.length === 0) return;
  for (const l of fresh) {
    warn(`warning: ${describeBudget(l)}`);
    warned.add(warningKey(l));
  }
  await fs.writeFile(file, `${JSON.stringify({ warned: [...warned].slice(-500) })}\n`).catch(() => undefined);
}

/** The `beforeRequest` hook of `tally run`, and whether it stopped the turn. */
export function budgetGuard(o: {
  budgets: Budgets;
  spend: BudgetSpend;
  storageDir: string;
  state: () => SessionState;
  tz: string | null;
  overBudget: boolean;
}) {
  let stopped: string | null = null;
  let unpricedWarned = false;
  return {
    stopped: () => stopped,
    beforeRequest: async (p: { costPico: bigint | null }): Promise<boolean | string> => {
      const status = o.spend.status(o.budgets, o.state(), o.tz);
      await warnOnce(o.storageDir, status);
      const verdict = checkRequest(status, p.costPico);
      if (verdict.ok) {
        if (verdict.unpriced && !unpricedWarned) {
          unpricedWarned = true;
          warn(
            "warning: the model's price is unknown, so its requests cannot be checked against the budgets",
          );
        }
        return true;
      }
      if (o.overBudget) {
        warn(`warning: ${verdict.message.replace(/^stopped before/, 'sending')} (--over-budget)`);
        return true;
      }
      stopped = verdict.message;
      return verdict.message;
    },
  };
}
