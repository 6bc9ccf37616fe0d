/**
 * The "Spending" view: this workspace's sessions per day, month or model, from the same report
 * function as `tally report` (the session index's spending rows, deleted sessions' tombstones
 * included), so the view and the CLI show the same numbers.
 */
import * as vscode from 'vscode';
import type { ChatController } from '../core/chat/controller';
import type { Logger } from '../core/log';
import { storeRows } from '../core/report/collect';
import { spendingReport } from '../core/report/spending';
import type { SessionStore } from '../core/sessions/store';
import type { HostToWebview, SpendingBy } from '../shared/protocol';
import { webviewHtml } from './webviewHtml';
import { parseWebviewMessage } from './webviewMessages';

export class SpendingViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'tally.spending';
  private view: vscode.WebviewView | undefined;
  private by: SpendingBy = 'day';
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly store: SessionStore,
    controller: ChatController,
    private readonly log: Logger,
  ) {
    const sub = controller.onChange((c) => {
      // A turn's end or a session switch changes what was spent; refresh at most once a second.
      if (c.kind === 'session') this.schedule();
    });
    this.disposables.push({ dispose: () => sub.dispose() });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const root = this.context.extensionUri;
    view.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(root, 'dist')] };
    view.webview.html = webviewHtml(view.webview, root, 'spending', 'Tally spending');
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = parseWebviewMessage(raw);
        if (!parsed.ok) return this.log.warn(`rejected a message from the spending view: ${parsed.reason}`);
        if (parsed.message.type === 'spending.by') {
          this.by = parsed.message.by;
          void this.refresh();
        } else if (parsed.message.type === 'ready') void this.refresh();
      }),
      view.onDidChangeVisibility(() => {
        if (view.visible) this.schedule();
      }),
      view.onDidDispose(() => {
        this.view = undefined;
      }),
    );
  }

  private schedule(): void {
    if (!this.view) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, 1000);
  }

  async refresh(): Promise<void> {
    if (!this.view) return;
    try {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? this.store.dir;
      const report = spendingReport(await storeRows(this.store, folder), { by: this.by });
      const msg: HostToWebview = { type: 'spending.report', report };
      void this.view.webview.postMessage(msg);
    } catch (e) {
      this.log.error(`spending report failed: ${(e as Error).message}`);
      void this.view.webview.postMessage({
        type: 'error',
        message: (e as Error).message,
      } satisfies HostToWebview);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
