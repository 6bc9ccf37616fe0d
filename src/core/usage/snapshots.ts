/**
 * Usage updates within one request are snapshots of that request (DESIGN.md, "Recording: exactly
 * once per request"). Providers send running totals — Anthropic's `message_delta`, Gemini's
 * `usageMetadata` in every chunk, OpenAI-compatible servers repeating `usage` — so a later value
 * replaces an earlier one field by field, and nothing is ever added up.
 */
import { asObject } from './build';
import { fromRawUsage, type NormalizeResult } from './normalize';
import type { ProviderKind } from './providers';

/** A provider's raw usage object as it stands after the updates seen so far. */
export type RawUsageSnapshot = Readonly<Record<string, unknown>>;

/**
 * Lays a later snapshot over an earlier one: every field the later one carries wins, nested
 * objects merge the same way, fields it leaves out (or sends as null) keep their earlier value.
 */
export function mergeUsageSnapshot(
  earlier: RawUsageSnapshot | undefined,
  later: RawUsageSnapshot,
): RawUsageSnapshot {
  const merged: Record<string, unknown> = { ...earlier };
  for (const [key, value] of Object.entries(later)) {
    if (value === undefined || value === null) continue;
    const before = asObject(merged[key]);
    const after = asObject(value);
    merged[key] = before && after ? mergeUsageSnapshot(before, after) : value;
  }
  return merged;
}

/**
 * The usage object inside one raw stream event of the given wire format, or undefined when the
 * event carries none: Anthropic `message_start` (`message.usage`) and `message_delta` (`usage`),
 * OpenAI Chat / compatible chunks (`usage`, sent last with empty `choices`), OpenAI Responses
 * `response.completed` / `.incomplete` / `.failed` (`response.usage`), Gemini chunks (`usageMetadata`).
 */
export function usageInStreamEvent(provider: ProviderKind, event: unknown): RawUsageSnapshot | undefined {
  const e = asObject(event);
  if (!e) return undefined;
  switch (provider) {
    case 'anthropic':
      if (e.type === 'message_start') return asObject(asObject(e.message)?.usage);
      if (e.type === 'message_delta') return asObject(e.usage);
      return undefined;
    case 'google':
      return asObject(e.usageMetadata);
    case 'openai':
    case 'openai-chat':
    case 'openai-compatible':
      return asObject(e.usage) ?? asObject(asObject(e.response)?.usage);
  }
}

/**
 * Anthropic stream events → the request's usage: `message_start` gives the input side, each
 * `message_delta` gives cumulative counts (the last one wins, never the sum). Undefined when no
 * event carried usage.
 */
export function mergeAnthropicStreamUsage(events: Iterable<unknown>): RawUsageSnapshot | undefined {
  let usage: RawUsageSnapshot | undefined;
  for (const event of events) {
    const part = usageInStreamEvent('anthropic', event);
    if (part) usage = mergeUsageSnapshot(usage, part);
  }
  return usage;
}

/** The latest raw usage of each request seen so far, keyed by request id. Immutable. */
export type UsageSnapshots = ReadonlyMap<string, { provider: ProviderKind; raw: RawUsageSnapshot }>;

/** No requests seen yet. */
export const NO_SNAPSHOTS: UsageSnapshots = new Map();

/**
 * Records one raw usage update of a request and returns the new state (the old one is unchanged).
 * The update replaces what it carries; a repeated update changes nothing and never adds.
 */
export function recordUsageSnapshot(
  state: UsageSnapshots,
  requestId: string,
  provider: ProviderKind,
  raw: RawUsageSnapshot,
): UsageSnapshots {
  const next = new Map(state);
  next.set(requestId, { provider, raw: mergeUsageSnapshot(state.get(requestId)?.raw, raw) });
  return next;
}

/** The normalized usage of a request as of its latest snapshot; undefined before any. */
export function usageOfRequest(state: UsageSnapshots, requestId: string): NormalizeResult | undefined {
  const entry = state.get(requestId);
  return entry && fromRawUsage(entry.provider, entry.raw);
}
