/**
 * The pre-flight estimate of a request, before it goes out: the prompt counted locally, cache
 * reads as the previous request's cache hit suggests, plus the request's maximum output, priced
 * at the model's price and tier. It is an upper bound in spirit (the whole maximum output), so a
 * budget is checked before the money is spent, not after.
 */
import type { Pico } from '../money';
import type { Cost } from '../sessions/events';
import { buildUsage } from '../usage/build';
import { countTokens } from '../usage/estimate';
import type { Usage } from '../usage/types';

/** Output assumed when a request sets no maximum of its own. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 8192;

export interface PreflightEstimate {
  promptTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  maxOutputTokens: number;
  /** The estimate as a usage record (source `estimated`). */
  usage: Usage;
  /** Its cost at the model's price and tier; null when the price is unknown. */
  costPico: Pico | null;
}

/** The prompt of a request as text: what the local count covers (system, messages, tools). */
export function requestPromptText(
  system: string,
  messages: unknown,
  tools: Record<string, { description?: string }>,
): string {
  const t = Object.entries(tools).map(([name, tool]) => ({ name, description: tool.description }));
  return `${system}\n${JSON.stringify(messages)}\n${JSON.stringify(t)}`;
}

/** Estimates a request before it is sent. */
export function preflightEstimate(o: {
  promptText?: string;
  promptTokens?: number;
  /** The previous request's usage in this session (its cache hit and writes). */
  lastUsage?: Usage | null;
  maxOutputTokens?: number;
  price: (usage: Usage) => Cost;
}): PreflightEstimate {
  const prompt = o.promptTokens ?? countTokens(o.promptText ?? '');
  const last = o.lastUsage;
  const hit = last && last.inputTokens > 0 ? last.inputTokenDetails.cacheReadTokens / last.inputTokens : 0;
  const cacheRead = Math.min(prompt, Math.floor(prompt * hit));
  const rest = prompt - cacheRead;
  // Where the previous request wrote to the cache, the new part of the prompt is written too.
  const writes = last ? last.inputTokenDetails.cacheWriteTokens > 0 : false;
  const maxOutputTokens = o.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  const usage = buildUsage(
    {
      noCache: writes ? 0 : rest,
      cacheRead,
      cacheWrite: writes ? rest : 0,
      cacheWrite1h: 0,
      text: maxOutputTokens,
      reasoning: 0,
    },
    'estimated',
  );
  const cost = o.price(usage);
  return {
    promptTokens: prompt,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: writes ? rest : 0,
    maxOutputTokens,
    usage,
    costPico: cost.pico === null ? null : BigInt(cost.pico),
  };
}
