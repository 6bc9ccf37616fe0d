/**
 * Locally counted usage, for a request the provider never reported on (no usage in the stream,
 * or stopped before it came). Counted with the o200k_base tokenizer: exact for recent OpenAI
 * models, an approximation for the others — which is what `source: 'estimated'` says.
 */
import { buildUsage } from './build';
import { badCount } from './checkUsage';
import type { InputTokenDetails, Usage } from './types';

/** What is known about a request that has no reported usage. */
export interface EstimateInput {
  /** The prompt as sent, flattened to text (system, messages, tool definitions). */
  promptText?: string;
  /** Prompt tokens when already known; wins over `promptText`. */
  promptTokens?: number;
  /** The provider's input split when it came before the stop (Anthropic `message_start`); wins over both. */
  inputTokenDetails?: InputTokenDetails;
  /** Text generated so far. */
  outputText?: string;
  /** Reasoning streamed so far (counted as reasoning tokens, billed as output). */
  reasoningText?: string;
}

type Tokenizer = typeof import('gpt-tokenizer/encoding/o200k_base');

// Loaded on first use: the encoder takes a quarter of a second to load and most sessions never need it.
function tokenizer(): Tokenizer {
  return require('gpt-tokenizer/encoding/o200k_base') as Tokenizer;
}

/** Tokens in `text` by o200k_base. Special-token markers in the text count as plain text. */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return tokenizer().encode(text, { allowedSpecial: new Set(), disallowedSpecial: new Set() }).length;
}

/**
 * An `estimated` usage record. Throws RangeError on a prompt token count that is not a count
 * (negative, fractional, above MAX_TOKENS), UsageRejected on a contradictory `inputTokenDetails`.
 */
export function estimateUsage(input: EstimateInput): Usage {
  const details = input.inputTokenDetails;
  let noCache: number;
  if (details) noCache = details.noCacheTokens;
  else if (input.promptTokens !== undefined) noCache = input.promptTokens;
  else noCache = countTokens(input.promptText ?? '');
  const bad = badCount(noCache);
  if (bad) throw new RangeError(`prompt token count ${bad}`);
  return buildUsage(
    {
      noCache,
      cacheRead: details?.cacheReadTokens ?? 0,
      cacheWrite: details?.cacheWriteTokens ?? 0,
      cacheWrite1h: details?.cacheWrite1hTokens ?? 0,
      text: countTokens(input.outputText ?? ''),
      reasoning: countTokens(input.reasoningText ?? ''),
    },
    'estimated',
  );
}
