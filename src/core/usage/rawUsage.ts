/**
 * Each provider's own usage object → the parts of a normalized usage record. One function per
 * wire format, because the formats disagree about what their totals include (DESIGN.md,
 * "Usage of one request"). Throws `UsageRejected`; `normalize.ts` turns that into a result.
 */
import { asObject, countAt, minus, pick, type UsageParts, UsageRejected } from './build';

/** What one raw usage object says, before it becomes a `Usage`. */
export interface ParsedRaw {
  parts: UsageParts;
  /** The charged cost in USD, where the provider reports it (OpenRouter). */
  reportedCostUsd?: number;
  /** Things worth a log line that did not make the usage unusable. */
  notes: string[];
}

/**
 * Anthropic Messages `usage`: `input_tokens` EXCLUDES cache reads and cache writes; the 5-minute /
 * 1-hour split of the writes is in `cache_creation`. With server-side compaction the top level
 * counts only the last sampling step, so the executor `iterations` are summed (as the AI SDK does).
 */
export function parseAnthropicUsage(raw: Record<string, unknown>): ParsedRaw {
  const notes: string[] = [];
  let noCache = countAt(raw, 'input_tokens') ?? 0;
  let output = countAt(raw, 'output_tokens') ?? 0;
  const cacheRead = countAt(raw, 'cache_read_input_tokens') ?? 0;
  const write5m = countAt(raw, 'cache_creation', 'ephemeral_5m_input_tokens');
  const write1h = countAt(raw, 'cache_creation', 'ephemeral_1h_input_tokens') ?? 0;
  const cacheWrite = countAt(raw, 'cache_creation_input_tokens') ?? (write5m ?? 0) + write1h;
  if ((write5m ?? 0) + write1h > cacheWrite) {
    throw new UsageRejected(
      `cache_creation split (${write5m ?? 0} 5m + ${write1h} 1h) exceeds cache_creation_input_tokens (${cacheWrite})`,
    );
  }

  const iterations = pick(raw, 'iterations');
  if (Array.isArray(iterations)) {
    const types = iterations.map((it) => pick(it, 'type'));
    if (!types.includes('fallback_message')) {
      const executor = iterations.filter((_, i) => types[i] === 'compaction' || types[i] === 'message');
      if (executor.length > 0) {
        noCache = executor.reduce((sum: number, it) => sum + (countAt(it, 'input_tokens') ?? 0), 0);
        output = executor.reduce((sum: number, it) => sum + (countAt(it, 'output_tokens') ?? 0), 0);
      }
      const others = iterations.length - executor.length;
      if (others > 0)
        notes.push(`${others} usage iteration(s) of another kind (e.g. advisor) are not counted`);
    }
  }

  const reasoning = countAt(raw, 'output_tokens_details', 'thinking_tokens') ?? 0;
  const text = minus(output, reasoning, `thinking_tokens (${reasoning}) exceed output_tokens (${output})`);
  return { parts: { noCache, cacheRead, cacheWrite, cacheWrite1h: write1h, text, reasoning }, notes };
}

/**
 * OpenAI Chat Completions `usage`: `prompt_tokens` includes `prompt_tokens_details.cached_tokens`
 * (and `cache_write_tokens` where a server reports it); `completion_tokens` includes
 * `completion_tokens_details.reasoning_tokens`.
 */
export function parseChatUsage(raw: Record<string, unknown>): ParsedRaw {
  const prompt = countAt(raw, 'prompt_tokens') ?? 0;
  const completion = countAt(raw, 'completion_tokens') ?? 0;
  const cacheRead = countAt(raw, 'prompt_tokens_details', 'cached_tokens') ?? 0;
  const cacheWrite = countAt(raw, 'prompt_tokens_details', 'cache_write_tokens') ?? 0;
  const reasoning = countAt(raw, 'completion_tokens_details', 'reasoning_tokens') ?? 0;
  const noCache = minus(
    prompt,
    cacheRead + cacheWrite,
    `cached_tokens + cache_write_tokens (${cacheRead + cacheWrite}) exceed prompt_tokens (${prompt})`,
  );
  const text = minus(
    completion,
    reasoning,
    `reasoning_tokens (${reasoning}) exceed completion_tokens (${completion})`,
  );
  return { parts: { noCache, cacheRead, cacheWrite, cacheWrite1h: 0, text, reasoning }, notes: [] };
}

/**
 * OpenAI Responses `usage` (also "Open Responses" servers): `input_tokens` includes
 * `input_tokens_details.cached_tokens`; `output_tokens` includes `output_tokens_details.reasoning_tokens`.
 */
export function parseResponsesUsage(raw: Record<string, unknown>): ParsedRaw {
  const input = countAt(raw, 'input_tokens') ?? 0;
  const output = countAt(raw, 'output_tokens') ?? 0;
  const cacheRead = countAt(raw, 'input_tokens_details', 'cached_tokens') ?? 0;
  const cacheWrite = countAt(raw, 'input_tokens_details', 'cache_write_tokens') ?? 0;
  const reasoning = countAt(raw, 'output_tokens_details', 'reasoning_tokens') ?? 0;
  const noCache = minus(
    input,
    cacheRead + cacheWrite,
    `cached_tokens + cache_write_tokens (${cacheRead + cacheWrite}) exceed input_tokens (${input})`,
  );
  const text = minus(output, reasoning, `reasoning_tokens (${reasoning}) exceed output_tokens (${output})`);
  return { parts: { noCache, cacheRead, cacheWrite, cacheWrite1h: 0, text, reasoning }, notes: [] };
}

/**
 * An OpenAI-compatible server's Chat-shaped `usage`, possibly partial. Two deviations seen in the
 * wild are resolved with `total_tokens`: some servers leave reasoning out of `completion_tokens`
 * (then total = prompt + completion + reasoning), some report no reasoning at all but count it in
 * the total (Gemini's compatibility endpoint). Either way the surplus is billed output: reasoning.
 * OpenRouter's `cost` is the charged USD (plus the upstream charge for bring-your-own-key requests).
 */
export function parseCompatibleUsage(raw: Record<string, unknown>): ParsedRaw {
  const notes: string[] = [];
  const prompt = countAt(raw, 'prompt_tokens') ?? 0;
  const completion = countAt(raw, 'completion_tokens') ?? 0;
  const total = countAt(raw, 'total_tokens');
  const cacheRead = countAt(raw, 'prompt_tokens_details', 'cached_tokens') ?? 0;
  const cacheWrite = countAt(raw, 'prompt_tokens_details', 'cache_write_tokens') ?? 0;
  const reported = countAt(raw, 'completion_tokens_details', 'reasoning_tokens') ?? 0;
  const noCache = minus(
    prompt,
    cacheRead + cacheWrite,
    `cached_tokens + cache_write_tokens (${cacheRead + cacheWrite}) exceed prompt_tokens (${prompt})`,
  );

  let text: number;
  let reasoning: number;
  const surplus = total === undefined ? 0 : total - prompt - completion;
  if (reported === surplus) {
    // Reasoning stated and left out of completion_tokens, as the total confirms (xAI): the visible
    // completion is all text. (Both 0: no reasoning, the same as the last branch.)
    text = completion;
    reasoning = reported;
  } else if (surplus > 0) {
    // total_tokens holds tokens beyond prompt + completion that no field itemizes: unreported reasoning.
    text = minus(
      completion,
      reported,
      `reasoning_tokens (${reported}) exceed completion_tokens (${completion})`,
    );
    reasoning = reported + surplus;
    notes.push(`total_tokens exceeds prompt + completion by ${surplus}; counted as reasoning`);
  } else if (total === undefined && reported > completion) {
    // No total to tell, and reasoning cannot be part of a smaller completion: it was left out of it.
    text = completion;
    reasoning = reported;
    notes.push('reasoning_tokens exceed completion_tokens; read as reported outside the completion');
  } else {
    if (surplus < 0) notes.push(`total_tokens (${total}) is below prompt + completion; ignored`);
    text = minus(
      completion,
      reported,
      `reasoning_tokens (${reported}) exceed completion_tokens (${completion})`,
    );
    reasoning = reported;
  }

  const parsed: ParsedRaw = {
    parts: { noCache, cacheRead, cacheWrite, cacheWrite1h: 0, text, reasoning },
    notes,
  };
  const cost = reportedCost(raw, notes);
  if (cost !== undefined) parsed.reportedCostUsd = cost;
  return parsed;
}

/** OpenRouter's charged cost: `cost`, plus `cost_details.upstream_inference_cost` for BYOK requests. */
function reportedCost(raw: Record<string, unknown>, notes: string[]): number | undefined {
  const cost = raw.cost;
  if (cost === undefined || cost === null) return undefined;
  if (!isAmount(cost)) {
    notes.push(`reported cost ${JSON.stringify(cost)} is not an amount; ignored`);
    return undefined;
  }
  if (raw.is_byok !== true) return cost;
  const upstream = pick(raw, 'cost_details', 'upstream_inference_cost');
  if (isAmount(upstream)) return cost + upstream;
  notes.push('bring-your-own-key request without an upstream cost; only the OpenRouter fee is reported');
  return cost;
}

/** A charged amount in USD: a finite number, not negative. */
function isAmount(value: unknown): value is number {
  return Number.isFinite(value) && (value as number) >= 0;
}

/**
 * Gemini `usageMetadata`: `promptTokenCount` includes `cachedContentTokenCount`;
 * `toolUsePromptTokenCount` is more input; `thoughtsTokenCount` is NOT part of
 * `candidatesTokenCount` but is billed as output.
 */
export function parseGeminiUsage(raw: Record<string, unknown>): ParsedRaw {
  const prompt = countAt(raw, 'promptTokenCount') ?? 0;
  const toolUse = countAt(raw, 'toolUsePromptTokenCount') ?? 0;
  const cacheRead = countAt(raw, 'cachedContentTokenCount') ?? 0;
  const text = countAt(raw, 'candidatesTokenCount') ?? 0;
  const reasoning = countAt(raw, 'thoughtsTokenCount') ?? 0;
  const noCache =
    minus(prompt, cacheRead, `cachedContentTokenCount (${cacheRead}) exceeds promptTokenCount (${prompt})`) +
    toolUse;
  return { parts: { noCache, cacheRead, cacheWrite: 0, cacheWrite1h: 0, text, reasoning }, notes: [] };
}

/** Whether a usage object looks like the Responses shape rather than the Chat shape. */
export function isResponsesShape(raw: Record<string, unknown>): boolean {
  return (
    !('prompt_tokens' in raw || 'completion_tokens' in raw) &&
    ('input_tokens' in raw || 'output_tokens' in raw)
  );
}

/** True when `raw` carries at least one field a normalizer reads (an empty `{}` is no usage). */
export function hasUsageFields(raw: unknown): boolean {
  const o = asObject(raw);
  if (!o) return false;
  return [
    'input_tokens',
    'output_tokens',
    'prompt_tokens',
    'completion_tokens',
    'total_tokens',
    'promptTokenCount',
    'candidatesTokenCount',
    'totalTokenCount',
    'cache_read_input_tokens',
    'cache_creation_input_tokens',
  ].some((k) => o[k] !== undefined && o[k] !== null);
}
