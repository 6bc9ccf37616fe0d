/**
 * The stats of one session in the shape the CLI prints with `--json` (a contract: add fields,
 * rename none). The text table, the exports and the panel are rendered from this same object,
 * so every rendering shows the same numbers.
 */
import { contextWindow, emptyTotals, sessionTotals, turnTotals } from '../ledger/derive';
import type { RequestRecord, SessionState } from '../ledger/ledger';
import { type CostSum, picoToDecimal, picoToUsd } from '../money';
import type { UsageTotals } from '../usage/types';

/** Usage as printed: the normalized fields without the provider's raw object. */
export interface UsageJson {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  inputTokenDetails: {
    noCacheTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
    cacheWrite1hTokens: number;
  };
  outputTokenDetails: { textTokens: number; reasoningTokens: number };
  source: UsageTotals['source'];
}

/** A cost as printed: `costUsd` a number (null: no known price), `cost` the exact decimal string. */
export interface CostJson {
  costUsd: number | null;
  cost: string | null;
  /** Requests whose price is unknown (their cost is not in `costUsd`). */
  unknownCostRequests: number;
}

export interface RequestStatsJson extends CostJson {
  requestId: string;
  status: RequestRecord['status'];
  provider: string;
  model: string;
  purpose: RequestRecord['purpose'];
  startedAt: string;
  endedAt: string | null;
  usage: UsageJson;
  /** false: no usage was ever recorded for this request (its usage is zeros, not a measurement). */
  usageKnown: boolean;
  costBasis: 'computed' | 'reported' | 'legacy' | 'unknown';
  error?: string;
}

export interface TurnStatsJson extends CostJson {
  index: number;
  turnId: string;
  status: 'running' | 'completed' | 'interrupted' | 'failed';
  startedAt: string;
  endedAt: string | null;
  model: string;
  usage: UsageJson;
  requests: RequestStatsJson[];
  error?: string;
}

export interface SessionStatsJson {
  sessionId: string;
  title: string;
  provider: string;
  model: string;
  createdAt: string;
  updatedAt: string;
  approximate: boolean;
  turns: TurnStatsJson[];
  /** Requests caused by the session itself rather than by a turn (counted in `total`). */
  sessionRequests: RequestStatsJson[];
  total: UsageJson & CostJson & { turns: number; requests: number };
  contextWindow: { usedTokens: number; limitTokens: number | null; percent: number | null };
}

export function usageJson(u: UsageTotals | null): UsageJson {
  const t = u ?? { ...emptyTotals(), source: 'estimated' as const };
  return {
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    totalTokens: t.totalTokens,
    inputTokenDetails: {
      noCacheTokens: t.inputTokenDetails.noCacheTokens,
      cacheReadTokens: t.inputTokenDetails.cacheReadTokens,
      cacheWriteTokens: t.inputTokenDetails.cacheWriteTokens,
      cacheWrite1hTokens: t.inputTokenDetails.cacheWrite1hTokens ?? 0,
    },
    outputTokenDetails: {
      textTokens: t.outputTokenDetails.textTokens,
      reasoningTokens: t.outputTokenDetails.reasoningTokens,
    },
    source: t.source,
  };
}

/** A cost sum as printed. All parts unknown → null, never $0. */
export function costJson(c: CostSum, parts: number): CostJson {
  const allUnknown = parts > 0 && c.unknownCount === parts;
  return {
    costUsd: allUnknown ? null : picoToUsd(c.knownPico),
    cost: allUnknown ? null : picoToDecimal(c.knownPico),
    unknownCostRequests: c.unknownCount,
  };
}

export function requestJson(r: RequestRecord): RequestStatsJson {
  const priced = r.usage !== null;
  const out: RequestStatsJson = {
    requestId: r.requestId,
    status: r.status,
    provider: r.provider,
    model: r.model,
    purpose: r.purpose,
    startedAt: r.startedAt,
    endedAt: r.endedAt ?? null,
    usage: usageJson(r.usage),
    usageKnown: priced,
    costBasis: r.cost?.basis ?? 'unknown',
    ...costJson(
      { knownPico: r.costPico ?? 0n, unknownCount: priced && r.costPico === null ? 1 : 0 },
      priced ? 1 : 0,
    ),
  };
  if (r.error) out.error = r.error;
  return out;
}

/** Counts the requests that carry a usage snapshot (the parts of a cost sum). */
function pricedParts(requests: RequestRecord[]): number {
  let n = 0;
  for (const r of requests) if (r.usage) n++;
  return n;
}

/** One turn as printed. */
export function turnJson(s: SessionState, turn: SessionState['turns'][number]): TurnStatsJson {
  const requests: RequestRecord[] = [];
  for (const id of turn.requestIds) {
    const r = s.requests.get(id);
    if (r) requests.push(r);
  }
  const totals = turnTotals(s, turn);
  const out: TurnStatsJson = {
    index: turn.index,
    turnId: turn.turnId,
    status: turn.status,
    startedAt: turn.startedAt,
    endedAt: turn.endedAt ?? null,
    model: requests.at(-1)?.model ?? s.model,
    usage: usageJson(totals.usage),
    ...costJson(totals.cost, pricedParts(requests)),
    requests: requests.map(requestJson),
  };
  if (turn.error) out.error = turn.error;
  return out;
}

/** The session's totals as printed. */
export function totalJson(s: SessionState): SessionStatsJson['total'] {
  const all = [...s.requests.values()];
  const total = sessionTotals(s);
  return {
    ...usageJson(total.usage),
    ...costJson(total.cost, pricedParts(all)),
    turns: s.turns.length,
    requests: all.length,
  };
}

export function contextWindowJson(
  s: SessionState,
  limitTokens: number | null,
): SessionStatsJson['contextWindow'] {
  const cw = contextWindow(s, limitTokens);
  return { usedTokens: cw.usedTokens, limitTokens: cw.limitTokens, percent: cw.percent };
}

export function sessionStats(s: SessionState, limitTokens: number | null): SessionStatsJson {
  const sessionRequests: RequestRecord[] = [];
  for (const id of s.sessionRequestIds) {
    const r = s.requests.get(id);
    if (r) sessionRequests.push(r);
  }
  return {
    sessionId: s.sessionId,
    title: s.title,
    provider: s.provider,
    model: s.model,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    approximate: s.approximate,
    turns: s.turns.map((turn) => turnJson(s, turn)),
    sessionRequests: sessionRequests.map(requestJson),
    total: totalJson(s),
    contextWindow: contextWindowJson(s, limitTokens),
  };
}
