import * as vscode from 'vscode';
import { webviewHtml } from './webviewHtml';

/** A sidebar webview view ("chat" or "usage"). */
export class PanelViewProvider implements vscode.WebviewViewProvider {
  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly view: 'chat' | 'usage',
  ) {}

  get viewType(): string {
    return `tally.${this.view}`;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.context.extensionUri, 'dist'),
        vscode.Uri.joinPath(this.context.extensionUri, 'node_modules', '@vscode/codicons', 'dist'),
      ],
    };
    view.webview.html = webviewHtml(view.webview, this.context.extensionUri, this.view, `Tally ${this.view}`);
    view.webview.onDidReceiveMessage((msg: unknown) => {
      if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'ready') {
        void view.webview.postMessage({ type: 'hello', trusted: vscode.workspace.isTrusted });
      }
    });
  }
}
