/**
 * Extension host entry point. Owns the truth (sessions, ledger, prices); the webviews only render
 * what it sends them. Kept thin: each capability lives in its own module under src/extension.
 */
import * as vscode from 'vscode';
import { PanelViewProvider } from './panelView';
import { registerStorageProbe } from './testing/storageProbe';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Tally', { log: true });
  context.subscriptions.push(log);
  log.info('Tally activated', { storage: context.storageUri?.fsPath ?? context.globalStorageUri.fsPath });

  for (const view of ['chat', 'usage'] as const) {
    const provider = new PanelViewProvider(context, view);
    context.subscriptions.push(vscode.window.registerWebviewViewProvider(provider.viewType, provider));
  }
  context.subscriptions.push(registerStorageProbe(context));
  context.subscriptions.push(
    vscode.commands.registerCommand('tally.showUsage', () =>
      vscode.commands.executeCommand('tally.usage.focus'),
    ),
  );
}

export function deactivate(): void {}
