/**
 * The normalized usage of one request, whatever the provider (DESIGN.md, "Usage of one request").
 *
 * Invariants (enforced by `checkUsage`):
 *   inputTokens  = noCacheTokens + cacheReadTokens + cacheWriteTokens
 *   outputTokens = textTokens + reasoningTokens
 *   totalTokens  = inputTokens + outputTokens
 * except for `legacy` records imported from an older tool, whose totals are kept as recorded.
 */
export type UsageSource = 'provider' | 'estimated' | 'legacy';

export interface InputTokenDetails {
  noCacheTokens: number;
  cacheReadTokens: number;
  /** All cache writes; `cacheWrite1hTokens` says how many of them were 1-hour writes (Anthropic). */
  cacheWriteTokens: number;
  cacheWrite1hTokens?: number;
}

export interface OutputTokenDetails {
  textTokens: number;
  reasoningTokens: number;
}

export interface Usage {
  inputTokens: number;
  inputTokenDetails: InputTokenDetails;
  outputTokens: number;
  outputTokenDetails: OutputTokenDetails;
  totalTokens: number;
  source: UsageSource;
  /** The provider's own usage object, kept for audit. Never summed. */
  raw?: unknown;
}

/** Usage summed over several requests. `source` is the weakest source among them. */
export type UsageTotals = Omit<Usage, 'raw'>;

export const ZERO_USAGE: Readonly<UsageTotals> = Object.freeze({
  inputTokens: 0,
  inputTokenDetails: Object.freeze({
    noCacheTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
  }),
  outputTokens: 0,
  outputTokenDetails: Object.freeze({ textTokens: 0, reasoningTokens: 0 }),
  totalTokens: 0,
  source: 'provider',
}) as UsageTotals;
