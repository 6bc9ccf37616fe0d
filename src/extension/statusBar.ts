/** The status bar item: session cost and context window, e.g. `$0.27 · 11k/200k`. */
import * as vscode from 'vscode';
import type { ChatController } from '../core/chat/controller';
import { formatContextWindow, formatCost, formatTokens } from '../core/report/text';

export class UsageStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'tally.usage',
    vscode.StatusBarAlignment.Right,
    100,
  );
  private timer: NodeJS.Timeout | undefined;
  private readonly sub: { dispose(): void };

  constructor(
    private readonly controller: ChatController,
    private readonly budgetCrossed: () => boolean,
  ) {
    this.item.name = 'Tally usage';
    this.item.command = 'tally.showUsage';
    this.sub = controller.onChange((c) => {
      if (c.kind === 'usage' || c.kind === 'session') this.schedule();
    });
    this.update();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, 200);
  }

  update(): void {
    const snap = this.controller.usageSnapshot();
    if (!snap) {
      this.item.text = '$(pulse) Tally';
      this.item.tooltip = 'Tally: no session yet. Click to open the usage panel.';
      this.item.accessibilityInformation = { label: 'Tally: no session yet', role: 'button' };
      this.item.backgroundColor = undefined;
      this.item.show();
      return;
    }
    const { stats, gauge } = snap;
    const cost = stats.total.cost === null ? 'cost unknown' : `$${trimCost(stats.total.cost)}`;
    this.item.text = `$(pulse) ${cost} · ${gauge.label}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Tally** — ${escapeMd(stats.title || stats.sessionId)}\n\n`);
    md.appendMarkdown(`Cost: ${escapeMd(formatCost(stats.total))}  \n`);
    md.appendMarkdown(
      `Input: ${formatTokens(stats.total.inputTokens)} (cache read ${formatTokens(stats.total.inputTokenDetails.cacheReadTokens)}, cache write ${formatTokens(stats.total.inputTokenDetails.cacheWriteTokens)})  \n`,
    );
    md.appendMarkdown(
      `Output: ${formatTokens(stats.total.outputTokens)} (reasoning ${formatTokens(stats.total.outputTokenDetails.reasoningTokens)})  \n`,
    );
    md.appendMarkdown(`Context window: ${escapeMd(formatContextWindow(stats.contextWindow))}  \n`);
    md.appendMarkdown(`${plural(stats.total.turns, 'turn')} · ${plural(stats.total.requests, 'request')}`);
    this.item.tooltip = md;
    // Without it, screen readers hear the icon's name and the tooltip's Markdown source.
    this.item.accessibilityInformation = {
      label: `Tally: session cost ${cost}, context window ${formatContextWindow(stats.contextWindow)}`,
      role: 'button',
    };
    const warn = gauge.level === 'error' || this.budgetCrossed();
    this.item.backgroundColor = warn
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : gauge.level === 'warning'
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.sub.dispose();
    this.item.dispose();
  }
}

/** `0.27`, `0.0042`: two decimals from a cent up, two significant digits below. */
export function trimCost(decimal: string): string {
  const n = Number(decimal);
  if (n >= 0.01 || n === 0) return n.toFixed(2);
  // Two significant digits, never in exponent notation.
  return n.toFixed(Math.min(12, 1 - Math.floor(Math.log10(n))));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
