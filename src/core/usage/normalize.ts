/**
 * Provider usage → the normalized `Usage` (DESIGN.md, "Usage of one request"). Every entry point
 * returns a result instead of throwing: a payload that cannot be trusted (negative, fractional,
 * non-finite or absurd counts, parts larger than their total) is rejected with a one-line reason
 * for the caller to log, and never becomes NaN or a silent zero in the ledger.
 */
import { asObject, buildUsage, countAt, minus, type UsageParts, UsageRejected } from './build';
import type { ProviderKind } from './providers';
import {
  hasUsageFields,
  isResponsesShape,
  type ParsedRaw,
  parseAnthropicUsage,
  parseChatUsage,
  parseCompatibleUsage,
  parseGeminiUsage,
  parseResponsesUsage,
} from './rawUsage';
import type { Usage } from './types';

/** A usage record the normalizer accepted. */
export interface NormalizedUsage {
  usage: Usage;
  /** The charged cost in USD where the provider reports it (OpenRouter); it wins over computed prices. */
  reportedCostUsd?: number;
  /** Oddities that did not make the usage unusable (worth a debug log line). */
  notes: string[];
}

/** The outcome of normalizing one provider payload. */
export type NormalizeResult = ({ ok: true } & NormalizedUsage) | { ok: false; reason: string };

/**
 * The shape of the AI SDK 6 step usage (`LanguageModelUsage` from `ai`: `onStepFinish`,
 * `steps[i].usage`). Every count may be missing; `raw` is the provider's own usage object.
 */
export interface SdkStepUsage {
  inputTokens?: number | undefined;
  inputTokenDetails?: {
    noCacheTokens?: number | undefined;
    cacheReadTokens?: number | undefined;
    cacheWriteTokens?: number | undefined;
  };
  outputTokens?: number | undefined;
  outputTokenDetails?: { textTokens?: number | undefined; reasoningTokens?: number | undefined };
  totalTokens?: number | undefined;
  raw?: unknown;
}

/**
 * A provider's own usage object (the `usage` of an OpenAI / Anthropic / OpenAI-compatible response,
 * Gemini's `usageMetadata`) → normalized usage with `source: 'provider'`; `raw` is kept for audit.
 * For the OpenAI kinds the Chat or Responses shape is recognized by its field names.
 */
export function fromRawUsage(provider: ProviderKind, raw: unknown): NormalizeResult {
  return guarded(() => {
    const parsed = parseRaw(provider, raw);
    const result: NormalizedUsage = { usage: buildUsage(parsed.parts, 'provider', raw), notes: parsed.notes };
    if (parsed.reportedCostUsd !== undefined) result.reportedCostUsd = parsed.reportedCostUsd;
    return result;
  });
}

/**
 * One AI SDK 6 step usage → normalized usage. The provider's `raw` object is read first when it
 * is usable, because the SDK loses things there: Anthropic's 5-minute / 1-hour cache-write split,
 * Gemini's tool-use prompt tokens, OpenRouter's charged cost. Without a usable `raw`, the SDK's
 * own fields are used, missing ones derived (noCache = input − cacheRead − cacheWrite,
 * text = output − reasoning) or 0.
 */
export function fromSdkUsage(usage: SdkStepUsage, provider: ProviderKind): NormalizeResult {
  let rawProblem: string | undefined;
  if (hasUsageFields(usage.raw)) {
    const fromRaw = fromRawUsage(provider, usage.raw);
    if (fromRaw.ok) return fromRaw;
    rawProblem = fromRaw.reason;
  }
  const fromSdk = guarded(() => ({
    usage: buildUsage(sdkParts(usage), 'provider', usage.raw),
    notes: rawProblem ? [`raw usage ignored: ${rawProblem}`] : [],
  }));
  if (!fromSdk.ok && rawProblem) return { ok: false, reason: `${fromSdk.reason} (raw usage: ${rawProblem})` };
  return fromSdk;
}

function parseRaw(provider: ProviderKind, raw: unknown): ParsedRaw {
  const obj = asObject(raw);
  if (!obj)
    throw new UsageRejected(`${provider} usage is ${raw === null ? 'null' : typeof raw}, not an object`);
  if (!hasUsageFields(obj)) throw new UsageRejected(`${provider} usage has no token counts`);
  switch (provider) {
    case 'anthropic':
      return parseAnthropicUsage(obj);
    case 'google':
      return parseGeminiUsage(obj);
    case 'openai':
    case 'openai-chat':
      return isResponsesShape(obj) ? parseResponsesUsage(obj) : parseChatUsage(obj);
    case 'openai-compatible':
      return isResponsesShape(obj) ? parseResponsesUsage(obj) : parseCompatibleUsage(obj);
  }
}

function sdkParts(usage: SdkStepUsage): UsageParts {
  const input = countAt(usage, 'inputTokens');
  const cacheRead = countAt(usage, 'inputTokenDetails', 'cacheReadTokens') ?? 0;
  const cacheWrite = countAt(usage, 'inputTokenDetails', 'cacheWriteTokens') ?? 0;
  const noCache =
    countAt(usage, 'inputTokenDetails', 'noCacheTokens') ??
    minus(
      input ?? 0,
      cacheRead + cacheWrite,
      `cache tokens (${cacheRead + cacheWrite}) exceed inputTokens (${input})`,
    );
  if (input !== undefined && input !== noCache + cacheRead + cacheWrite) {
    throw new UsageRejected(
      `inputTokens ${input} ≠ noCache ${noCache} + cacheRead ${cacheRead} + cacheWrite ${cacheWrite}`,
    );
  }

  const output = countAt(usage, 'outputTokens');
  const reasoning = countAt(usage, 'outputTokenDetails', 'reasoningTokens') ?? 0;
  const text =
    countAt(usage, 'outputTokenDetails', 'textTokens') ??
    minus(output ?? 0, reasoning, `reasoningTokens (${reasoning}) exceed outputTokens (${output})`);
  if (output !== undefined && output !== text + reasoning) {
    throw new UsageRejected(`outputTokens ${output} ≠ text ${text} + reasoning ${reasoning}`);
  }
  return { noCache, cacheRead, cacheWrite, cacheWrite1h: 0, text, reasoning };
}

function guarded(run: () => NormalizedUsage): NormalizeResult {
  try {
    return { ok: true, ...run() };
  } catch (err) {
    if (err instanceof UsageRejected) return { ok: false, reason: err.message };
    throw err;
  }
}
