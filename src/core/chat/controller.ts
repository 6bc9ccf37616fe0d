/**
 * The chat controller: the one object the editor talks to. It holds the current session (its
 * writer and ledger state), runs turns through the agent, answers approvals, and builds the
 * snapshots the views render. It has no `vscode` import: the extension injects keys, settings
 * and the approval UI, and tests drive it directly.
 */

import type {
  ChatItem,
  ChatSnapshot,
  Gauge,
  SessionListItem,
  UsagePatch,
  UsageSnapshot,
} from '../../shared/protocol';
import { createModel } from '../agent/providers';
import type { ApprovalRequest, ToolPolicy } from '../agent/tools';
import { type AgentEvent, type RequestPreflight, runTurn } from '../agent/turn';
import type { Workspace } from '../agent/workspace';
import { DEFAULT_MAX_OUTPUT_TOKENS } from '../budget/preflight';
import type { SessionState } from '../ledger/ledger';
import type { Logger } from '../log';
import { noopLogger } from '../log';
import { picoToDecimal } from '../money';
import type { Pricing } from '../pricing/pricing';
import { contextWindowJson, sessionStats, totalJson, turnJson } from '../report/stats';
import { formatShortTokens } from '../report/text';
import type { SessionStore } from '../sessions/store';
import type { SessionWriter } from '../sessions/writer';
import type { ProviderKind } from '../usage/providers';
import { titleFromPrompt } from './title';
import { transcript, usageChip } from './transcript';

export interface ModelChoice {
  provider: ProviderKind;
  model: string;
  baseURL?: string;
}

export interface ControllerDeps {
  store: SessionStore;
  pricing: () => Pricing;
  workspace: () => Workspace | null;
  model: () => ModelChoice;
  apiKey: (provider: ProviderKind) => Promise<string | undefined>;
  policy: () => ToolPolicy;
  trusted: () => boolean;
  settings: () => { maxSteps: number; idleTimeoutMs: number; budgetUsd: number | null };
  /** Budgets: asked before each request with its pre-flight estimate (see agent/turn.ts). */
  beforeRequest?: (p: RequestPreflight, state: SessionState) => Promise<boolean | string>;
  /** Whether any budget is set now (without one, requests are neither checked nor capped). */
  budgetsOn?: () => boolean;
  log?: Logger;
}

export type ControllerChange =
  | { kind: 'session' }
  | { kind: 'usage' }
  | { kind: 'chat'; items: ChatItem[]; deltas: { id: string; text: string }[] }
  | { kind: 'chat-update'; item: ChatItem }
  | { kind: 'error'; message: string };

export function gaugeOf(cw: {
  usedTokens: number;
  limitTokens: number | null;
  percent: number | null;
}): Gauge {
  const p = cw.percent ?? 0;
  const level = p >= 95 ? 'error' : p >= 80 ? 'warning' : p >= 50 ? 'notice' : 'ok';
  const label = `${formatShortTokens(cw.usedTokens)}/${cw.limitTokens ? formatShortTokens(cw.limitTokens) : '?'}`;
  return { usedTokens: cw.usedTokens, limitTokens: cw.limitTokens, percent: cw.percent, level, label };
}

export class ChatController {
  private writer: SessionWriter | null = null;
  private viewState: SessionState | null = null;
  private readOnly = false;
  private running: AbortController | null = null;
  private readonly approvals = new Map<string, (yes: boolean) => void>();
  private readonly listeners = new Set<(c: ControllerChange) => void>();
  private readonly log: Logger;

  constructor(private readonly deps: ControllerDeps) {
    this.log = deps.log ?? noopLogger;
  }

  onChange(fn: (c: ControllerChange) => void): { dispose(): void } {
    this.listeners.add(fn);
    return { dispose: () => this.listeners.delete(fn) };
  }

  private emit(c: ControllerChange): void {
    for (const fn of this.listeners) fn(c);
  }

  get state(): SessionState | null {
    return this.writer?.state ?? this.viewState;
  }

  get sessionId(): string | null {
    return this.state?.sessionId ?? null;
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  /** Opens a session by id (or the most recently updated one); false when there is none. */
  async restore(sessionId?: string): Promise<boolean> {
    let id = sessionId;
    if (id && !(await this.deps.store.load(id))) id = undefined;
    if (!id) id = (await this.deps.store.list()).sessions[0]?.sessionId;
    if (!id) return false;
    await this.open(id);
    return true;
  }

  async open(sessionId: string): Promise<void> {
    if (this.running) throw new Error('a turn is running: stop it first');
    const loaded = await this.deps.store.load(sessionId);
    if (!loaded) throw new Error(`session ${sessionId} was not found`);
    await this.closeWriter();
    this.viewState = loaded.state;
    this.readOnly = loaded.readOnly;
    for (const p of loaded.problems) this.log.warn(`${p.kind}: ${p.message}`, { file: p.file });
    this.emit({ kind: 'session' });
  }

  /** Starts a fresh, empty view; the session file is created with the first message. */
  async newSession(): Promise<void> {
    if (this.running) throw new Error('a turn is running: stop it first');
    await this.closeWriter();
    this.viewState = null;
    this.readOnly = false;
    this.emit({ kind: 'session' });
  }

  async list(): Promise<SessionListItem[]> {
    const { sessions } = await this.deps.store.list();
    return sessions.map((s) => ({
      sessionId: s.sessionId,
      title: s.title,
      updatedAt: s.updatedAt,
      cost: s.requests > 0 && s.unknownCostRequests === s.requests ? null : picoDecimal(s.costPico),
    }));
  }

  async rename(title: string): Promise<void> {
    const id = this.sessionId;
    if (!id) return;
    if (this.writer) await this.writer.append({ type: 'session.renamed', title });
    else await this.deps.store.rename(id, title);
    if (!this.writer) await this.open(id);
    this.emit({ kind: 'session' });
  }

  async deleteCurrent(): Promise<void> {
    const id = this.sessionId;
    if (!id) return;
    if (this.running) throw new Error('a turn is running: stop it first');
    await this.closeWriter();
    await this.deps.store.delete(id);
    this.viewState = null;
    await this.restore();
    if (!this.state) this.emit({ kind: 'session' });
  }

  private async closeWriter(): Promise<void> {
    if (!this.writer) return;
    const w = this.writer;
    this.viewState = w.state;
    this.writer = null;
    await w.close();
  }

  stop(): void {
    this.running?.abort(new Error('stopped by the user'));
    for (const [id, resolve] of this.approvals) {
      resolve(false);
      this.approvals.delete(id);
    }
  }

  answerApproval(toolCallId: string, yes: boolean): boolean {
    const resolve = this.approvals.get(toolCallId);
    if (!resolve) return false;
    this.approvals.delete(toolCallId);
    resolve(yes);
    return true;
  }

  /** Runs one turn. Resolves when it ends; progress arrives through `onChange`. */
  async send(prompt: string): Promise<void> {
    const text = prompt.trim();
    if (!text) return;
    if (this.running) throw new Error('a turn is already running');
    if (this.readOnly) throw new Error('this session was written by a newer Tally and is read-only');
    const choice = this.deps.model();
    const apiKey = await this.deps.apiKey(choice.provider);
    const model = createModel({
      kind: choice.provider,
      model: choice.model,
      apiKey,
      ...(choice.baseURL ? { baseURL: choice.baseURL } : {}),
    });
    const workspace = this.deps.workspace();
    if (!workspace) throw new Error('open a folder to chat with Tally about it');
    const pricing = this.deps.pricing();
    if (!this.writer) {
      this.writer = this.state
        ? await this.deps.store.openWriter(this.state.sessionId)
        : await this.deps.store.create({
            title: titleFromPrompt(text),
            provider: choice.provider,
            model: choice.model,
          });
      this.viewState = null;
      this.emit({ kind: 'session' });
    }
    const writer = this.writer;
    const controller = new AbortController();
    this.running = controller;
    const settings = this.deps.settings();
    const live = new Map<string, ChatItem>();
    const onEvent = (e: AgentEvent) => this.onAgentEvent(e, text, live);
    try {
      await runTurn({
        writer,
        model,
        provider: choice.provider,
        modelId: choice.model,
        prompt: text,
        workspace,
        policy: this.deps.trusted() ? this.deps.policy() : { allowWrites: false, allowCommands: false },
        approve: (req) => this.askApproval(req, live),
        price: (usage, reported) => pricing.price(usage, choice.model, choice.provider, reported),
        signal: controller.signal,
        maxSteps: settings.maxSteps,
        idleTimeoutMs: settings.idleTimeoutMs,
        onEvent,
        log: this.log,
        secrets: apiKey ? [apiKey] : [],
        ...(this.deps.beforeRequest && (this.deps.budgetsOn?.() ?? true)
          ? {
              beforeRequest: (p: RequestPreflight) => this.deps.beforeRequest!(p, writer.state),
              // A capped output makes the pre-flight estimate a real bound.
              maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS,
            }
          : {}),
      });
    } catch (e) {
      this.emit({ kind: 'error', message: `Tally could not record this turn: ${(e as Error).message}` });
      throw e;
    } finally {
      this.running = null;
      this.emit({ kind: 'session' });
    }
  }

  private askApproval(req: ApprovalRequest, live: Map<string, ChatItem>): Promise<boolean> {
    const item = live.get(`t:${req.toolCallId}`);
    const asked = new Promise<boolean>((resolve) => {
      this.approvals.set(req.toolCallId, (yes) => {
        if (item && item.kind === 'tool') {
          item.approved = yes;
          this.emit({ kind: 'chat-update', item });
        }
        resolve(yes);
      });
    });
    // The resolver is in place before anyone is told: an answer may come back at once.
    if (item && item.kind === 'tool') {
      item.approval = { kind: req.kind, ...(req.preview ? { preview: req.preview } : {}) };
      this.emit({ kind: 'chat-update', item });
    }
    return asked;
  }

  private onAgentEvent(e: AgentEvent, prompt: string, live: Map<string, ChatItem>): void {
    const add = (item: ChatItem) => {
      live.set(item.id, item);
      this.emit({ kind: 'chat', items: [item], deltas: [] });
    };
    switch (e.type) {
      case 'turn-start':
        add({ kind: 'user', id: `u:${e.turnId}`, turnId: e.turnId, text: prompt });
        this.emit({ kind: 'usage' });
        return;
      case 'text': {
        const id = `a:${e.requestId}`;
        if (!live.has(id)) {
          const turnId = this.writer?.state.turns.at(-1)?.turnId ?? '';
          add({ kind: 'assistant', id, turnId, requestId: e.requestId, text: '' });
        }
        const item = live.get(id) as Extract<ChatItem, { kind: 'assistant' }>;
        item.text += e.text;
        this.emit({ kind: 'chat', items: [], deltas: [{ id, text: e.text }] });
        return;
      }
      case 'tool-call':
        add({
          kind: 'tool',
          id: `t:${e.call.toolCallId}`,
          turnId: this.writer?.state.turns.at(-1)?.turnId ?? '',
          toolCallId: e.call.toolCallId,
          toolName: e.call.toolName,
          input: e.call.input,
        });
        return;
      case 'tool-result': {
        const item = live.get(`t:${e.toolCallId}`);
        if (item && item.kind === 'tool') {
          item.output = e.output;
          item.isError = e.isError;
          this.emit({ kind: 'chat-update', item });
        }
        return;
      }
      case 'usage':
      case 'request-end':
        this.emit({ kind: 'usage' });
        return;
      case 'turn-end': {
        const state = this.writer?.state;
        if (!state) return;
        const t = sessionStats(state, null).turns.find((x) => x.turnId === e.turnId);
        if (e.status === 'failed' && e.error)
          add({ kind: 'error', id: `e:${e.turnId}`, turnId: e.turnId, text: e.error });
        if (t) add(usageChip(t));
        this.emit({ kind: 'usage' });
        return;
      }
      default:
        return;
    }
  }

  chatSnapshot(): ChatSnapshot {
    const s = this.state;
    const choice = this.deps.model();
    return {
      sessionId: s?.sessionId ?? null,
      title: s?.title ?? '',
      items: s ? transcript(s) : [],
      running: this.isRunning,
      provider: choice.provider,
      model: choice.model,
      trusted: this.deps.trusted(),
    };
  }

  usageSnapshot(): UsageSnapshot | null {
    const s = this.state;
    if (!s) return null;
    const pricing = this.deps.pricing();
    const stats = sessionStats(
      s,
      pricing.contextLimit(s.model || this.deps.model().model, s.provider || this.deps.model().provider),
    );
    return {
      stats,
      gauge: gaugeOf(stats.contextWindow),
      running: this.isRunning,
      budgetUsd: this.deps.settings().budgetUsd,
    };
  }

  /** While a turn runs: only the turns that changed (the running one), the totals and the gauge. */
  usagePatch(): UsagePatch | null {
    const s = this.state;
    if (!s) return null;
    const turn = s.turns.at(-1);
    const choice = this.deps.model();
    const cw = contextWindowJson(
      s,
      this.deps.pricing().contextLimit(s.model || choice.model, s.provider || choice.provider),
    );
    return {
      sessionId: s.sessionId,
      turns: turn ? [turnJson(s, turn)] : [],
      total: totalJson(s),
      contextWindow: cw,
      updatedAt: s.updatedAt,
      gauge: gaugeOf(cw),
      running: this.isRunning,
      budgetUsd: this.deps.settings().budgetUsd,
    };
  }

  async dispose(): Promise<void> {
    this.stop();
    await this.closeWriter();
  }
}

function picoDecimal(pico: string): string {
  return picoToDecimal(BigInt(pico));
}
