import type { Usage } from './types';

/** Largest token count accepted anywhere; a bigger number is a corrupt payload, not a request. */
export const MAX_TOKENS = 1e10;

/** Why `value` is not a token count (a whole number in [0, MAX_TOKENS]), or null when it is one. */
export function badCount(value: unknown): string | null {
  if (typeof value !== 'number') return `is ${value === null ? 'null' : typeof value}, not a number`;
  if (!Number.isFinite(value)) return `is ${value}`;
  if (!Number.isInteger(value)) return `is ${value}, not a whole number`;
  if (value < 0) return `is negative (${value})`;
  if (value > MAX_TOKENS) return `is ${value}, above the ${MAX_TOKENS} sanity limit`;
  return null;
}

/**
 * The first broken invariant of a usage record (types.ts), or null when it holds.
 * `legacy` records keep the totals an older tool wrote, so only their counts are checked.
 */
export function checkUsage(usage: Usage): string | null {
  const { inputTokenDetails: inp, outputTokenDetails: out } = usage;
  const counts: [string, unknown][] = [
    ['inputTokens', usage.inputTokens],
    ['noCacheTokens', inp.noCacheTokens],
    ['cacheReadTokens', inp.cacheReadTokens],
    ['cacheWriteTokens', inp.cacheWriteTokens],
    ['cacheWrite1hTokens', inp.cacheWrite1hTokens ?? 0],
    ['outputTokens', usage.outputTokens],
    ['textTokens', out.textTokens],
    ['reasoningTokens', out.reasoningTokens],
    ['totalTokens', usage.totalTokens],
  ];
  for (const [name, value] of counts) {
    const bad = badCount(value);
    if (bad) return `${name} ${bad}`;
  }
  if (usage.source === 'legacy') return null;
  const input = inp.noCacheTokens + inp.cacheReadTokens + inp.cacheWriteTokens;
  if (usage.inputTokens !== input) {
    return `inputTokens ${usage.inputTokens} ≠ noCache + cacheRead + cacheWrite (${input})`;
  }
  if ((inp.cacheWrite1hTokens ?? 0) > inp.cacheWriteTokens) {
    return `cacheWrite1hTokens ${inp.cacheWrite1hTokens} > cacheWriteTokens ${inp.cacheWriteTokens}`;
  }
  if (usage.outputTokens !== out.textTokens + out.reasoningTokens) {
    return `outputTokens ${usage.outputTokens} ≠ text + reasoning (${out.textTokens + out.reasoningTokens})`;
  }
  if (usage.totalTokens !== usage.inputTokens + usage.outputTokens) {
    return `totalTokens ${usage.totalTokens} ≠ input + output (${usage.inputTokens + usage.outputTokens})`;
  }
  return null;
}
