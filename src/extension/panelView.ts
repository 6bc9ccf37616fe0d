/**
 * The sidebar webviews ("Chat" and "Usage"). They render what the host sends: a snapshot when
 * they open or the session changes, then batched updates (streamed text is flushed at most every
 * 50 ms, usage at most every 250 ms), never one message per token. Every message they send is
 * validated before anything is done with it.
 */
import * as vscode from 'vscode';
import type { ChatController, ControllerChange } from '../core/chat/controller';
import type { Logger } from '../core/log';
import type { ChatItem, HostToWebview, ViewKind, WebviewToHost } from '../shared/protocol';
import { webviewHtml } from './webviewHtml';
import { parseWebviewMessage } from './webviewMessages';

export type MessageHandler = (msg: WebviewToHost, from: ViewKind) => void | Promise<void>;

export class PanelViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private pendingItems: ChatItem[] = [];
  private pendingDeltas: { id: string; text: string }[] = [];
  private chatTimer: NodeJS.Timeout | undefined;
  private usageTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** A turn to show once the view is ready (a usage chip was clicked before it opened). */
  private focusTurn: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly kind: ViewKind,
    private readonly controller: ChatController,
    private readonly onMessage: MessageHandler,
    private readonly log: Logger,
  ) {
    const sub = controller.onChange((c) => this.onControllerChange(c));
    this.disposables.push({ dispose: () => sub.dispose() });
  }

  get viewType(): string {
    return `tally.${this.kind}`;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const root = this.context.extensionUri;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(root, 'dist')],
    };
    view.webview.html = webviewHtml(view.webview, root, this.kind, `Tally ${this.kind}`);
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = parseWebviewMessage(raw);
        if (!parsed.ok) {
          this.log.warn(`rejected a message from the ${this.kind} view: ${parsed.reason}`);
          return;
        }
        if (parsed.message.type === 'ready') {
          this.sendSnapshot();
          if (this.focusTurn) this.post({ type: 'usage.focusTurn', turnId: this.focusTurn });
          this.focusTurn = undefined;
          return;
        }
        Promise.resolve(this.onMessage(parsed.message, this.kind)).catch((e: Error) => {
          this.log.error(`${parsed.message.type} failed: ${e.message}`);
          this.post({ type: 'error', message: e.message });
        });
      }),
      view.onDidDispose(() => {
        this.view = undefined;
      }),
    );
  }

  showTurn(turnId: string): void {
    if (this.view) this.post({ type: 'usage.focusTurn', turnId });
    else this.focusTurn = turnId;
  }

  post(msg: HostToWebview): void {
    void this.view?.webview.postMessage(msg);
  }

  sendSnapshot(): void {
    if (!this.view) return;
    this.post({ type: 'init', view: this.kind, trusted: vscode.workspace.isTrusted });
    if (this.kind === 'chat') {
      this.pendingItems = [];
      this.pendingDeltas = [];
      this.post({ type: 'chat.snapshot', snapshot: this.controller.chatSnapshot() });
    } else this.post({ type: 'usage.snapshot', snapshot: this.controller.usageSnapshot() });
  }

  private onControllerChange(c: ControllerChange): void {
    if (!this.view) return;
    if (c.kind === 'session') {
      this.flushChat();
      this.sendSnapshot();
    } else if (c.kind === 'usage') {
      if (this.kind === 'usage' && !this.usageTimer) {
        this.usageTimer = setTimeout(() => {
          this.usageTimer = undefined;
          // While a turn runs, a patch (the running turn and the totals), not the whole session.
          const patch = this.controller.isRunning ? this.controller.usagePatch() : null;
          if (patch) this.post({ type: 'usage.patch', patch });
          else this.post({ type: 'usage.snapshot', snapshot: this.controller.usageSnapshot() });
        }, 250);
      }
    } else if (this.kind === 'chat') {
      if (c.kind === 'chat') {
        this.pendingItems.push(...c.items);
        for (const d of c.deltas) {
          const last = this.pendingDeltas.at(-1);
          if (last && last.id === d.id) last.text += d.text;
          else this.pendingDeltas.push({ ...d });
        }
        // Items must reach the view before the deltas that follow them: flush now on a new item.
        if (c.items.length) this.flushChat();
        else this.chatTimer ??= setTimeout(() => this.flushChat(), 50);
      } else if (c.kind === 'chat-update') {
        this.flushChat();
        this.post({ type: 'chat.update', item: c.item });
      } else if (c.kind === 'error') this.post({ type: 'error', message: c.message });
    }
  }

  private flushChat(): void {
    clearTimeout(this.chatTimer);
    this.chatTimer = undefined;
    if (!this.pendingItems.length && !this.pendingDeltas.length) return;
    this.post({
      type: 'chat.append',
      items: this.pendingItems,
      deltas: this.pendingDeltas,
      running: this.controller.isRunning,
    });
    this.pendingItems = [];
    this.pendingDeltas = [];
  }

  dispose(): void {
    clearTimeout(this.chatTimer);
    clearTimeout(this.usageTimer);
    for (const d of this.disposables) d.dispose();
  }
}
