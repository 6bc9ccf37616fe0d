/** The palette commands. Each does one thing and says clearly what went wrong. */
import * as vscode from 'vscode';
import type { ChatController } from '../core/chat/controller';
import { exportRows, toCsv } from '../core/report/export';
import { renderStatsMarkdown, renderStatsText } from '../core/report/text';
import type { SessionStore } from '../core/sessions/store';
import { PROVIDER_KINDS, type ProviderKind } from '../core/usage/providers';
import type { ChannelLogger } from './log';
import { readSettings } from './settings';

export const SECRET_PREFIX = 'tally.apiKey.';

/** OpenAI's two wire formats share one key. */
export function secretName(provider: ProviderKind): string {
  return SECRET_PREFIX + (provider === 'openai-chat' ? 'openai' : provider);
}

const PROVIDER_LABELS: Record<ProviderKind, string> = {
  openai: 'OpenAI (Responses API)',
  'openai-chat': 'OpenAI (Chat Completions)',
  anthropic: 'Anthropic',
  google: 'Google Gemini',
  'openai-compatible': 'OpenAI-compatible server (Ollama, LM Studio, vLLM, OpenRouter…)',
};

const MODEL_SUGGESTIONS: Record<ProviderKind, string[]> = {
  openai: ['gpt-5', 'gpt-5-mini', 'gpt-4.1', 'gpt-4o', 'o4-mini'],
  'openai-chat': ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1'],
  anthropic: ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5'],
  google: ['gemini-2.5-pro', 'gemini-2.5-flash'],
  'openai-compatible': ['llama3.2', 'qwen2.5-coder', 'anthropic/claude-sonnet-4.5'],
};

export interface CommandDeps {
  context: vscode.ExtensionContext;
  controller: ChatController;
  store: SessionStore;
  log: ChannelLogger;
  showTurn: (turnId: string) => void;
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const { controller } = d;
  const run = (id: string, fn: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        await fn(...args);
      } catch (e) {
        d.log.error(`${id} failed: ${(e as Error).message}`);
        void vscode.window.showErrorMessage(`Tally: ${(e as Error).message}`);
      }
    });

  return [
    run('tally.showUsage', () => vscode.commands.executeCommand('tally.usage.focus')),
    run('tally.showChat', () => vscode.commands.executeCommand('tally.chat.focus')),
    run('tally.newSession', async () => {
      await controller.newSession();
      await vscode.commands.executeCommand('tally.chat.focus');
    }),
    run('tally.switchSession', async () => {
      const sessions = await controller.list();
      if (!sessions.length)
        return void vscode.window.showInformationMessage('Tally: no sessions yet in this workspace.');
      const pick = await vscode.window.showQuickPick(
        sessions.map((s) => ({
          label: s.title || s.sessionId,
          description: s.cost === null ? 'cost unknown' : `$${s.cost}`,
          detail: `${new Date(s.updatedAt).toLocaleString()}${s.sessionId === controller.sessionId ? ' · current' : ''}`,
          id: s.sessionId,
        })),
        { placeHolder: 'Switch to a session', matchOnDescription: true, matchOnDetail: true },
      );
      if (pick) await controller.open(pick.id);
    }),
    run('tally.renameSession', async () => {
      const s = controller.state;
      if (!s) return void vscode.window.showInformationMessage('Tally: no session to rename.');
      const title = await vscode.window.showInputBox({
        prompt: 'New title for this session',
        value: s.title,
        validateInput: (v) =>
          v.trim() ? (v.length > 500 ? 'At most 500 characters' : null) : 'The title cannot be empty',
      });
      if (title) await controller.rename(title.trim());
    }),
    run('tally.deleteSession', async () => {
      const s = controller.state;
      if (!s) return void vscode.window.showInformationMessage('Tally: no session to delete.');
      const yes = await vscode.window.showWarningMessage(
        `Delete the session "${s.title || s.sessionId}"? Its log is moved to the trash folder of Tally's storage.`,
        { modal: true },
        'Delete',
      );
      if (yes === 'Delete') await controller.deleteCurrent();
    }),
    run('tally.showStats', async () => {
      const snap = controller.usageSnapshot();
      if (!snap) return void vscode.window.showInformationMessage('Tally: no session yet.');
      const text = await vscode.workspace.openTextDocument({
        language: 'plaintext',
        content: renderStatsText(snap.stats, { requests: true }),
      });
      await vscode.window.showTextDocument(text, { preview: false });
      const json = await vscode.workspace.openTextDocument({
        language: 'json',
        content: JSON.stringify(snap.stats, null, 2),
      });
      await vscode.window.showTextDocument(json, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    }),
    run('tally.setApiKey', async () => {
      const pick = await vscode.window.showQuickPick(
        PROVIDER_KINDS.filter((k) => k !== 'openai-chat').map((k) => ({
          label: PROVIDER_LABELS[k],
          provider: k,
        })),
        { placeHolder: 'Which provider is the key for?' },
      );
      if (!pick) return;
      const key = await vscode.window.showInputBox({
        prompt: `API key for ${pick.label} (kept in the editor's secret storage, never in settings or logs)`,
        password: true,
        ignoreFocusOut: true,
        placeHolder: 'Leave empty to remove the stored key',
      });
      if (key === undefined) return;
      if (key.trim()) {
        await d.context.secrets.store(secretName(pick.provider), key.trim());
        void vscode.window.showInformationMessage(`Tally: the key for ${pick.label} is stored.`);
      } else {
        await d.context.secrets.delete(secretName(pick.provider));
        void vscode.window.showInformationMessage(`Tally: the key for ${pick.label} was removed.`);
      }
    }),
    run('tally.selectModel', async () => {
      const current = readSettings();
      const provider = await vscode.window.showQuickPick(
        PROVIDER_KINDS.map((k) => ({
          label: PROVIDER_LABELS[k],
          provider: k,
          picked: k === current.provider,
        })),
        { placeHolder: `Provider (now: ${PROVIDER_LABELS[current.provider]})` },
      );
      if (!provider) return;
      const items = MODEL_SUGGESTIONS[provider.provider].map((m) => ({ label: m }));
      const model = await new Promise<string | undefined>((resolve) => {
        const qp = vscode.window.createQuickPick();
        qp.items = items;
        qp.placeholder = 'Model id (type any id)';
        qp.value = provider.provider === current.provider ? current.model : '';
        qp.onDidAccept(() => {
          resolve((qp.selectedItems[0]?.label ?? qp.value).trim() || undefined);
          qp.hide();
        });
        qp.onDidHide(() => {
          resolve(undefined);
          qp.dispose();
        });
        qp.show();
      });
      if (!model) return;
      const config = vscode.workspace.getConfiguration('tally');
      const target = vscode.workspace.workspaceFolders
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
      await config.update('provider', provider.provider, target);
      await config.update('model', model, target);
    }),
    run('tally.exportSession', async (format?: unknown) => {
      const snap = controller.usageSnapshot();
      if (!snap) return void vscode.window.showInformationMessage('Tally: no session to export.');
      const fmt =
        format === 'csv' || format === 'json'
          ? format
          : await vscode.window.showQuickPick(['csv', 'json'], {
              placeHolder: 'Export format (one row per request)',
            });
      if (!fmt) return;
      const base =
        vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(require('node:os').homedir());
      const uri = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(base, `tally-${snap.stats.sessionId.slice(0, 8)}.${fmt}`),
        filters: fmt === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
      });
      if (!uri) return;
      const rows = exportRows(snap.stats);
      const text = fmt === 'csv' ? toCsv(rows) : `${JSON.stringify(rows, null, 2)}\n`;
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
      void vscode.window.showInformationMessage(`Tally: exported ${rows.length} requests to ${uri.fsPath}.`);
    }),
    run('tally.copyMarkdown', async () => {
      const snap = controller.usageSnapshot();
      if (!snap) return;
      await vscode.env.clipboard.writeText(renderStatsMarkdown(snap.stats));
      void vscode.window.setStatusBarMessage('Tally: session stats copied as Markdown', 3000);
    }),
    run('tally.importSession', async () => {
      const files = await vscode.window.showOpenDialog({
        canSelectMany: true,
        filters: { 'Session files': ['json', 'jsonl'] },
        openLabel: 'Import',
      });
      if (!files?.length) return;
      const results = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Tally: importing', cancellable: false },
        async (progress) => {
          const out = [];
          for (const [i, f] of files.entries()) {
            progress.report({ message: f.fsPath, increment: 100 / files.length });
            try {
              out.push({ file: f.fsPath, ...(await d.store.importFile(f.fsPath)) });
            } catch (e) {
              out.push({ file: f.fsPath, error: (e as Error).message, index: i });
            }
          }
          return out;
        },
      );
      for (const r of results) {
        if ('error' in r) void vscode.window.showErrorMessage(`Tally: cannot import ${r.file}: ${r.error}`);
        else {
          for (const line of r.report) d.log.info(`import ${r.file}: ${line}`);
          void vscode.window.showInformationMessage(
            `Tally: ${r.created ? 'imported' : 'already imported'} ${r.file}${r.report.length ? ` (${r.report.length} notes in the Tally log)` : ''}.`,
          );
        }
      }
      const last = results.filter((r) => !('error' in r)).at(-1) as { sessionId: string } | undefined;
      if (last) await controller.open(last.sessionId);
    }),
    run('tally.stop', () => controller.stop()),
    run('tally.openTurn', async (turnId?: unknown) => {
      await vscode.commands.executeCommand('tally.usage.focus');
      if (typeof turnId === 'string') d.showTurn(turnId);
    }),
  ];
}
