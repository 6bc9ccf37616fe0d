import { budgetLineJson, describeBudget } from '../../core/budget/budgets';
import { emptySession } from '../../core/ledger/ledger';
import { parse, usageError } from '../args';
import { BUDGET_FLAGS, budgetsFrom, readBudgetSpend } from '../budget';
import { loadSessionOrFail, openStoreForReading, pricingFrom, storageDir } from '../context';
import { print, printJson } from '../output';

/**
 * `tally budget [--storage DIR] [--session ID] [budget flags] [--json]`: where each budget stands
 * (spent, limit, percent, ok / warning / exceeded). Exit 3 when one is exceeded.
 */
export async function budgetCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...BUDGET_FLAGS,
    storage: { type: 'string' },
    session: { type: 'string' },
    json: { type: 'boolean' },
    prices: { type: 'string' },
  });
  if (positionals.length > 0) throw usageError('budget takes no arguments, only flags');
  const budgets = await budgetsFrom(values);
  if (!budgets)
    throw usageError('no budget given: pass --daily-budget USD (or another) or --budget-file FILE');
  const pricing = await pricingFrom(values.prices);
  const store = await openStoreForReading(values.storage, pricing);
  const state = values.session ? (await loadSessionOrFail(store, values.session)).state : emptySession('');
  if (!values.session) budgets.sessionUsd = null;
  const spend = await readBudgetSpend(storageDir(values.storage), state.sessionId, pricing);
  const status = spend.status(budgets, state, values.tz ?? null);
  if (values.json) printJson(status.map(budgetLineJson));
  else
    for (const l of status)
      print(
        `${l.level === 'ok' ? 'ok      ' : l.level === 'warning' ? 'warning ' : 'EXCEEDED'}  ${describeBudget(l)}`,
      );
  return status.some((l) => l.level === 'exceeded') ? 3 : 0;
}
