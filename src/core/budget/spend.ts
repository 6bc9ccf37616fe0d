/**
 * What the budgets look at, for a live session: every other session's spending read once from
 * the storage folders' indexes (this workspace's and all of them), plus the live session's own
 * rows from its state at each check. The editor and `tally run` use the same.
 */
import type { SessionState } from '../ledger/ledger';
import { spendRows } from '../ledger/spendRows';
import type { Logger } from '../log';
import { collectSpending, type StorageSource } from '../report/collect';
import { type ReportRow, reportRowsOf } from '../report/spending';
import type { PriceFn } from '../sessions/convert';
import { type BudgetLine, type Budgets, budgetStatus } from './budgets';

export class BudgetSpend {
  private constructor(
    /** The live session's workspace (as the sources name it). */
    readonly workspace: string,
    private readonly otherWorkspace: ReportRow[],
    private readonly otherAll: ReportRow[],
  ) {}

  /**
   * Reads `sources` (every workspace to count in the overall budgets; the live session's own
   * storage among them) once, leaving the live session out: its rows come from its state.
   */
  static async read(
    sources: readonly StorageSource[],
    live: { workspace: string; sessionId: string },
    opts: { price?: PriceFn; logger?: Logger } = {},
  ): Promise<BudgetSpend> {
    const { rows } = await collectSpending(sources, opts);
    const otherAll: ReportRow[] = [];
    const otherWorkspace: ReportRow[] = [];
    for (const r of rows) {
      const here = r.workspace === live.workspace;
      if (here && r.sessionId === live.sessionId && !r.deleted) continue;
      otherAll.push(r);
      if (here) otherWorkspace.push(r);
    }
    return new BudgetSpend(live.workspace, otherWorkspace, otherAll);
  }

  /** The budgets' state with the live session's current numbers (day and month in `tz`). */
  status(budgets: Budgets, state: SessionState, tz: string | null = null, now?: Date): BudgetLine[] {
    const live = reportRowsOf(
      spendRows(state),
      { sessionId: state.sessionId, title: state.title, deleted: false },
      this.workspace,
    );
    return budgetStatus(
      budgets,
      {
        session: { sessionId: state.sessionId, rows: live },
        workspace: [...this.otherWorkspace, ...live],
        overall: [...this.otherAll, ...live],
      },
      { tz, ...(now ? { now } : {}) },
    );
  }
}
