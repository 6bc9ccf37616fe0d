/**
 * The derived numbers, one function each (DESIGN.md, "Derived numbers"). The panel, the status
 * bar, the CLI's text and JSON and the exports all call these; nothing else adds usage up.
 */
import { addCost, type CostSum, ZERO_COST } from '../money';
import type { Usage, UsageSource, UsageTotals } from '../usage/types';
import type { RequestRecord, SessionState, TurnRecord } from './ledger';

const SOURCE_RANK: Record<UsageSource, number> = { provider: 0, legacy: 1, estimated: 2 };

export function emptyTotals(): UsageTotals {
  return {
    inputTokens: 0,
    inputTokenDetails: { noCacheTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0 },
    outputTokens: 0,
    outputTokenDetails: { textTokens: 0, reasoningTokens: 0 },
    totalTokens: 0,
    source: 'provider',
  };
}

/** Adds one request's usage into a running total, in place. `source` becomes the weakest seen. */
export function addUsageInto(total: UsageTotals, u: Usage | UsageTotals): UsageTotals {
  total.inputTokens += u.inputTokens;
  total.inputTokenDetails.noCacheTokens += u.inputTokenDetails.noCacheTokens;
  total.inputTokenDetails.cacheReadTokens += u.inputTokenDetails.cacheReadTokens;
  total.inputTokenDetails.cacheWriteTokens += u.inputTokenDetails.cacheWriteTokens;
  total.inputTokenDetails.cacheWrite1hTokens =
    (total.inputTokenDetails.cacheWrite1hTokens ?? 0) + (u.inputTokenDetails.cacheWrite1hTokens ?? 0);
  total.outputTokens += u.outputTokens;
  total.outputTokenDetails.textTokens += u.outputTokenDetails.textTokens;
  total.outputTokenDetails.reasoningTokens += u.outputTokenDetails.reasoningTokens;
  total.totalTokens += u.totalTokens;
  if (SOURCE_RANK[u.source] > SOURCE_RANK[total.source]) total.source = u.source;
  return total;
}

/** Usage of a set of requests: the sum of their latest snapshots. */
export function sumRequests(requests: Iterable<RequestRecord>): { usage: UsageTotals; cost: CostSum } {
  const usage = emptyTotals();
  let cost: CostSum = ZERO_COST;
  for (const r of requests) {
    if (!r.usage) continue;
    addUsageInto(usage, r.usage);
    cost = addCost(cost, r.costPico);
  }
  return { usage, cost };
}

function* requestsOf(s: SessionState, ids: readonly string[]): Iterable<RequestRecord> {
  for (const id of ids) {
    const r = s.requests.get(id);
    if (r) yield r;
  }
}

/** Turn usage = the sum of its requests. */
export function turnTotals(s: SessionState, turn: TurnRecord): { usage: UsageTotals; cost: CostSum } {
  return sumRequests(requestsOf(s, turn.requestIds));
}

/** Session usage = the sum of all its requests (those of its turns and its own). */
export function sessionTotals(s: SessionState): { usage: UsageTotals; cost: CostSum } {
  return sumRequests(s.requests.values());
}

export interface ContextWindow {
  usedTokens: number;
  limitTokens: number | null;
  /** used / limit × 100, one decimal; null without a known limit. */
  percent: number | null;
  /** The request the figure comes from. */
  requestId: string | null;
}

/**
 * Context window = the latest conversation request's whole prompt (cache included) plus its
 * output, against the model's limit. Not a turn's sum; no reserved output added. Title,
 * summary and sub-agent calls have prompts of their own and are passed over.
 */
export function contextWindow(s: SessionState, limitTokens: number | null): ContextWindow {
  let latest: RequestRecord | null = null;
  for (const r of s.requests.values()) {
    if (!r.usage || (r.purpose !== 'chat' && r.purpose !== 'compaction')) continue;
    if (!latest || r.seq > latest.seq) latest = r;
  }
  const usedTokens = latest?.usage ? windowTokens(latest.usage) : 0;
  const percent = limitTokens && limitTokens > 0 ? Math.round((usedTokens / limitTokens) * 1000) / 10 : null;
  return { usedTokens, limitTokens, percent, requestId: latest?.requestId ?? null };
}

/** A request's share of the window: input + output (a legacy record's total as it was recorded). */
export function windowTokens(u: Usage): number {
  return u.source === 'legacy' ? u.totalTokens : u.inputTokens + u.outputTokens;
}
