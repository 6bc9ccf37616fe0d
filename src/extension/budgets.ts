/**
 * Budgets in the editor, the same way `tally run` checks them: before each request goes out, its
 * pre-flight estimate against what is left of every budget (this session, this workspace, every
 * workspace found on this machine, per day and month); a request that could cross one is sent
 * only after the user's yes. Crossing the warning threshold warns once per budget and period.
 */
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { RequestPreflight } from '../core/agent/turn';
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
import type { Logger } from '../core/log';
import type { Pricing } from '../core/pricing/pricing';
import { discoverStorages } from '../core/report/discover';

const WARNED_KEY = 'tally.budgetWarnings';

/** The budgets of the settings (`tally.budgets`, and the older `tally.budgetUsd` as the session budget). */
export function readBudgets(): Budgets | null {
  const c = vscode.workspace.getConfiguration('tally');
  let budgets: Budgets = {};
  const raw = c.get<unknown>('budgets');
  if (raw && typeof raw === 'object' && Object.keys(raw).length)
    budgets = parseBudgets(raw, 'the "tally.budgets" setting');
  const legacy = c.get<number | null>('budgetUsd', null);
  if (typeof legacy === 'number' && legacy > 0 && budgets.sessionUsd === undefined)
    budgets = { ...budgets, sessionUsd: legacy };
  const any = Object.entries(budgets).some(([k, v]) => k !== 'warnAtPercent' && typeof v === 'number');
  return any ? budgets : null;
}

export class EditorBudgets {
  private spend: { sessionId: string; at: number; value: BudgetSpend } | null = null;
  private last: BudgetLine[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly storageDir: string,
    private readonly workspace: string,
    private readonly pricing: () => Pricing,
    private readonly log: Logger,
  ) {}

  /** Whether any budget is at its warning threshold or past it (the status bar's warning colour). */
  get crossed(): boolean {
    return this.last.some((l) => l.level !== 'ok');
  }

  private async spendFor(sessionId: string): Promise<BudgetSpend> {
    // Other sessions' spending is read once a minute at most (indexes only; this session comes from its state).
    if (this.spend && this.spend.sessionId === sessionId && Date.now() - this.spend.at < 60_000)
      return this.spend.value;
    const sources = (
      await discoverStorages({ env: process.env, homedir: homedir(), platform: process.platform })
    ).map((s) => ({ dir: s.dir, workspace: s.workspace }));
    if (!sources.some((s) => s.dir === this.storageDir))
      sources.push({ dir: this.storageDir, workspace: this.workspace });
    const own = sources.find((s) => s.dir === this.storageDir)!;
    const value = await BudgetSpend.read(
      sources,
      { workspace: own.workspace, sessionId },
      { price: this.pricing().price },
    );
    this.spend = { sessionId, at: Date.now(), value };
    return value;
  }

  /** The turn loop's `beforeRequest`: true sends the request; a message ends the turn before it. */
  async beforeRequest(p: RequestPreflight, state: SessionState): Promise<boolean | string> {
    let budgets: Budgets | null;
    try {
      budgets = readBudgets();
    } catch (e) {
      if (e instanceof BudgetConfigError) {
        void vscode.window.showErrorMessage(`Tally: ${e.message}`);
        return true;
      }
      throw e;
    }
    if (!budgets) {
      this.last = [];
      return true;
    }
    const status = (await this.spendFor(state.sessionId)).status(budgets, state);
    this.last = status;
    this.warn(status);
    const verdict = checkRequest(status, p.costPico);
    if (verdict.ok) return true;
    const yes = await vscode.window.showWarningMessage(
      `Tally: ${verdict.message}. Send it anyway?`,
      { modal: true },
      'Send anyway',
    );
    if (yes === 'Send anyway') {
      this.log.warn(`sent over budget: ${verdict.message}`);
      return true;
    }
    return verdict.message;
  }

  /** After a turn: where the budgets stand now (warns once at the threshold; colours the status bar). */
  async check(state: SessionState): Promise<void> {
    let budgets: Budgets | null = null;
    try {
      budgets = readBudgets();
    } catch {
      return;
    }
    if (!budgets) {
      this.last = [];
      return;
    }
    this.spend = null; // the turn's requests are now in this session's state; re-read the others too
    this.last = (await this.spendFor(state.sessionId)).status(budgets, state);
    this.warn(this.last);
  }

  private warn(status: BudgetLine[]): void {
    const warned = new Set(this.context.globalState.get<string[]>(WARNED_KEY, []));
    const fresh = newWarnings(status, warned);
    if (!fresh.length) return;
    for (const l of fresh) {
      warned.add(warningKey(l));
      void vscode.window.showWarningMessage(`Tally: ${describeBudget(l)}`, 'Open usage').then((a) => {
        if (a) void vscode.commands.executeCommand('tally.showUsage');
      });
    }
    void this.context.globalState.update(WARNED_KEY, [...warned].slice(-500));
  }
}
