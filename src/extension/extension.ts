/**
 * Extension host entry point. Owns the truth (sessions, ledger, prices); the webviews only render
 * what it sends them. Kept thin: the chat controller (src/core/chat) does the work; this file
 * wires it to VS Code (storage, secrets, settings, views, status bar, commands).
 */
import * as vscode from 'vscode';
import { PathError, Workspace } from '../core/agent/workspace';
import { ChatController, type ModelChoice } from '../core/chat/controller';
import { loadCatalog } from '../core/pricing/catalog';
import { type Pricing, pricingOf } from '../core/pricing/pricing';
import { SessionStore } from '../core/sessions/store';
import type { ProviderKind } from '../core/usage/providers';
import type { WebviewToHost } from '../shared/protocol';
import { EditorBudgets, readBudgets } from './budgets';
import { registerCommands, secretName } from './commands';
import { createLogger } from './log';
import { PanelViewProvider } from './panelView';
import { modelChoice, readPriceOverrides, readSettings } from './settings';
import { SpendingViewProvider } from './spendingView';
import { UsageStatusBar } from './statusBar';
import { EditorTelemetry } from './telemetry';
import { registerStorageProbe } from './testing/storageProbe';

const CURRENT_SESSION_KEY = 'tally.currentSession';

let controller: ChatController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const started = performance.now();
  let settings = readSettings();
  const log = createLogger(settings.logLevel);
  context.subscriptions.push(log);
  const storage = context.storageUri ?? context.globalStorageUri;
  log.info('Tally activated', { storage: storage.fsPath, trusted: vscode.workspace.isTrusted });

  let pricing: Pricing | undefined;
  const getPricing = (): Pricing => {
    if (pricing) return pricing;
    try {
      const overrides = readPriceOverrides();
      pricing = pricingOf(loadCatalog(overrides ? { overrides } : {}));
    } catch (e) {
      void vscode.window.showErrorMessage(`Tally: ${(e as Error).message}`);
      pricing = pricingOf(loadCatalog());
    }
    return pricing;
  };

  const store = await SessionStore.open(storage.fsPath, {
    logger: log,
    price: (usage, model, provider) => getPricing().price(usage, model, provider),
  });
  context.subscriptions.push({ dispose: () => void store.close() });

  let workspace: Workspace | null = null;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder?.uri.scheme === 'file') {
    workspace = await Workspace.open(folder.uri.fsPath).catch((e: Error) => {
      log.warn(e instanceof PathError ? e.message : `workspace: ${e.message}`);
      return null;
    });
  }

  const budgets = new EditorBudgets(
    context,
    storage.fsPath,
    folder?.uri.fsPath ?? storage.fsPath,
    getPricing,
    log,
  );

  /** A model picked for this window only (the demo), over the settings. */
  let demo: (ModelChoice & { close(): Promise<void> }) | undefined;

  const ctl = new ChatController({
    store,
    pricing: getPricing,
    workspace: () => workspace,
    model: () => demo ?? modelChoice(settings),
    apiKey: async (provider: ProviderKind) => {
      if (demo) return 'demo';
      const key = await context.secrets.get(secretName(provider));
      if (key) return key;
      // A server on this machine (Ollama, LM Studio, the demo) does not need a key.
      const base = demo ?? modelChoice(settings);
      if (base.baseURL && /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/.test(base.baseURL))
        return 'local';
      return undefined;
    },
    policy: () => ({ allowWrites: settings.allowWrites, allowCommands: settings.allowCommands }),
    trusted: () => vscode.workspace.isTrusted,
    settings: () => ({
      maxSteps: settings.maxSteps,
      idleTimeoutMs: settings.idleTimeoutMs,
      budgetUsd: settings.budgetUsd,
    }),
    beforeRequest: (p, state) => budgets.beforeRequest(p, state),
    budgetsOn: () => {
      try {
        return readBudgets() !== null;
      } catch {
        return false;
      }
    },
    log,
  });
  controller = ctl;

  // Budgets: checked before each request; warned once per budget and period; the status bar's colour.
  const onBudgetCheckFailed = (e: Error) => log.warn(`budget check: ${e.message}`);
  context.subscriptions.push({
    dispose: ctl.onChange((c) => {
      if (c.kind === 'session' && ctl.sessionId) {
        void context.workspaceState.update(CURRENT_SESSION_KEY, ctl.sessionId);
        const state = ctl.state;
        if (state && !ctl.isRunning)
          void budgets.check(state).then(() => statusBar.update(), onBudgetCheckFailed);
      }
    }).dispose,
  });
  const budgetCrossed = (): boolean => budgets.crossed;

  const onMessage = async (msg: WebviewToHost) => {
    switch (msg.type) {
      case 'chat.send':
        await ctl.send(msg.text).catch((e: Error) => {
          void vscode.window.showErrorMessage(`Tally: ${e.message}`);
        });
        return;
      case 'chat.stop':
        return ctl.stop();
      case 'chat.approve':
        ctl.answerApproval(msg.toolCallId, msg.approved);
        return;
      case 'chat.selectModel':
        return void vscode.commands.executeCommand('tally.selectModel');
      case 'chat.openTurn':
        return void vscode.commands.executeCommand('tally.openTurn', msg.turnId);
      case 'session.new':
        return void vscode.commands.executeCommand('tally.newSession');
      case 'session.switch':
        return void vscode.commands.executeCommand('tally.switchSession');
      case 'usage.export':
        return void vscode.commands.executeCommand('tally.exportSession', msg.format);
      case 'usage.copyMarkdown':
        return void vscode.commands.executeCommand('tally.copyMarkdown');
      case 'ready':
        return;
    }
  };
  const chatView = new PanelViewProvider(context, 'chat', ctl, onMessage, log);
  const usageView = new PanelViewProvider(context, 'usage', ctl, onMessage, log);
  const statusBar = new UsageStatusBar(ctl, budgetCrossed);
  const spendingView = new SpendingViewProvider(context, store, ctl, log);
  context.subscriptions.push(
    chatView,
    usageView,
    statusBar,
    vscode.window.registerWebviewViewProvider(chatView.viewType, chatView, {
      webviewOptions: { retainContextWhenHidden: true },
    }),
    vscode.window.registerWebviewViewProvider(usageView.viewType, usageView),
    spendingView,
    vscode.window.registerWebviewViewProvider(SpendingViewProvider.viewType, spendingView),
    ...registerCommands({ context, controller: ctl, store, log, showTurn: (t) => usageView.showTurn(t) }),
    registerStorageProbe(context),
    vscode.commands.registerCommand('tally.tryDemo', async () => {
      if (!demo) {
        const { startMockProvider } = await import('../mock-provider/server');
        const mock = await startMockProvider({ chunkDelayMs: 15 });
        demo = {
          provider: 'openai-chat',
          model: 'gpt-4o-mini',
          baseURL: mock.baseURLs['openai-chat'],
          close: () => mock.close(),
        };
        context.subscriptions.push({ dispose: () => void demo?.close() });
      }
      chatView.sendSnapshot();
      await vscode.commands.executeCommand('tally.chat.focus');
      void vscode.window.showInformationMessage(
        'Tally: the demo model is on for this window (a local server, no key, no cost). Ask it anything: it lists your files and answers.',
      );
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('tally')) return;
      settings = readSettings();
      log.setLevel(settings.logLevel);
      if (e.affectsConfiguration('tally.prices')) pricing = undefined;
      chatView.sendSnapshot();
      usageView.sendSnapshot();
      statusBar.update();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      chatView.sendSnapshot();
      usageView.sendSnapshot();
    }),
  );

  // The opt-in team export: nothing is sent until tally.telemetry.enabled is on.
  const telemetry = new EditorTelemetry(
    { dir: storage.fsPath, workspace: folder?.uri.fsPath ?? storage.fsPath },
    (usage, model, provider, reported) => getPricing().price(usage, model, provider, reported),
    log,
  );
  context.subscriptions.push(
    telemetry,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('tally.telemetry')) void telemetry.apply();
    }),
  );
  void telemetry.apply();

  // Reopening the workspace restores the last session (or the latest one in storage).
  try {
    await ctl.restore(context.workspaceState.get<string>(CURRENT_SESSION_KEY));
  } catch (e) {
    log.error(`could not restore the last session: ${(e as Error).message}`);
  }
  statusBar.update();
  // The bench (bench/editor.ts) reads this line: activate()'s own time, the bundle's load before it not included.
  log.info(`activated in ${Math.round(performance.now() - started)} ms`);
}

export async function deactivate(): Promise<void> {
  await controller?.dispose();
}
