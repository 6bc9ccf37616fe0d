/**
 * Messages between the extension host and the webviews. Types only: the webview bundle stays
 * small, and the host validates everything a webview sends with the zod schemas in
 * src/extension/webviewMessages.ts (a webview is untrusted input).
 *
 * The host owns the numbers: it sends the session's stats (the same object `tally stats --json`
 * prints) and the webviews render them; they never add usage up themselves.
 */
import type { SpendingReportJson } from '../core/report/spending';
import type { RequestStatsJson, SessionStatsJson, TurnStatsJson } from '../core/report/stats';

export type ViewKind = 'chat' | 'usage' | 'spending';

/** The groupings the Spending view offers (a subset of `tally report --by`). */
export type SpendingBy = 'day' | 'month' | 'model';

/** What the status bar and the gauge show, formatted once by the host. */
export interface Gauge {
  usedTokens: number;
  limitTokens: number | null;
  percent: number | null;
  /** 'ok' | 'notice' (≥50%) | 'warning' (≥80%) | 'error' (≥95%). */
  level: 'ok' | 'notice' | 'warning' | 'error';
  /** e.g. "11k/200k". */
  label: string;
}

export interface SessionListItem {
  sessionId: string;
  title: string;
  updatedAt: string;
  cost: string | null;
}

export interface UsageSnapshot {
  stats: SessionStatsJson;
  gauge: Gauge;
  /** Whether a turn is running now. */
  running: boolean;
  /** The per-session budget (USD) if set, and whether it is crossed. */
  budgetUsd: number | null;
}

/**
 * A smaller usage update than a snapshot, for long sessions (a 10,000-turn snapshot is ~16 MB of
 * JSON to clone and re-read on every change): the turns that changed since the last snapshot or
 * patch of the same session (each replaces the turn with its turnId, or is appended), and the
 * session-wide figures every change moves. A view without a snapshot of that session ignores it;
 * send a snapshot first and whenever the session, its title or its model change.
 */
export interface UsagePatch {
  sessionId: string;
  turns: TurnStatsJson[];
  /** The session's own requests, when they changed. */
  sessionRequests?: RequestStatsJson[];
  total: SessionStatsJson['total'];
  contextWindow: SessionStatsJson['contextWindow'];
  updatedAt: string;
  gauge: Gauge;
  running: boolean;
  budgetUsd: number | null;
}

/** One item of the chat transcript. Text is raw model output: the webview sanitizes when rendering. */
export type ChatItem =
  | { kind: 'user'; id: string; turnId: string; text: string }
  | { kind: 'assistant'; id: string; turnId: string; requestId: string; text: string; reasoning?: string }
  | {
      kind: 'tool';
      id: string;
      turnId: string;
      toolCallId: string;
      toolName: string;
      input: unknown;
      output?: string;
      isError?: boolean;
      /** Waiting for the user's approval (writes and commands). */
      approval?: { kind: 'write' | 'command'; preview?: { path: string; before: string; after: string } };
      /** The user's answer, once given. */
      approved?: boolean;
    }
  | { kind: 'error'; id: string; turnId: string; text: string }
  | {
      /** The turn's usage chip, under its answer. */
      kind: 'turn-usage';
      id: string;
      turnId: string;
      status: TurnStatsJson['status'];
      totalTokens: number;
      cost: string | null;
      unknownCostRequests: number;
    };

export interface ChatSnapshot {
  sessionId: string | null;
  title: string;
  items: ChatItem[];
  running: boolean;
  provider: string;
  model: string;
  /** Restricted mode: write and command tools are off. */
  trusted: boolean;
}

export type HostToWebview =
  | { type: 'init'; view: ViewKind; trusted: boolean }
  | { type: 'usage.snapshot'; snapshot: UsageSnapshot | null }
  /** Optional: the host may send patches instead of a full snapshot for a change within a session. */
  | { type: 'usage.patch'; patch: UsagePatch }
  | { type: 'usage.focusTurn'; turnId: string }
  | { type: 'chat.snapshot'; snapshot: ChatSnapshot }
  /** Batched: several deltas of streamed text, sent at most every ~50 ms. */
  | { type: 'chat.append'; items: ChatItem[]; deltas: { id: string; text: string }[]; running: boolean }
  | { type: 'chat.update'; item: ChatItem }
  | { type: 'spending.report'; report: SpendingReportJson }
  | { type: 'error'; message: string };

export type WebviewToHost =
  | { type: 'ready'; view: ViewKind }
  | { type: 'chat.send'; text: string }
  | { type: 'chat.stop' }
  | { type: 'chat.approve'; toolCallId: string; approved: boolean }
  | { type: 'chat.selectModel' }
  | { type: 'chat.openTurn'; turnId: string }
  | { type: 'session.new' }
  | { type: 'session.switch' }
  | { type: 'usage.export'; format: 'csv' | 'json' }
  | { type: 'usage.copyMarkdown' }
  | { type: 'spending.by'; by: SpendingBy };
