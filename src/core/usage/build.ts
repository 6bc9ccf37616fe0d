/**
 * Shared pieces of the usage normalizers: reading counts out of untrusted provider objects and
 * assembling a `Usage` whose invariants hold. Internal to src/core/usage.
 */
import { badCount, checkUsage } from './checkUsage';
import type { Usage, UsageSource } from './types';

/** A provider payload that cannot be turned into usage; the normalizers return its message as `reason`. */
export class UsageRejected extends Error {
  override name = 'UsageRejected';
}

/** A plain JSON object (not null, not an array), or undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `obj.a.b.c` on untrusted data; undefined as soon as a step is missing. */
export function pick(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    const o = asObject(cur);
    if (!o) return undefined;
    cur = o[key];
  }
  return cur;
}

/** An optional token count at `path`: absent or null → undefined; anything but a count is rejected. */
export function countAt(obj: unknown, ...path: string[]): number | undefined {
  const value = pick(obj, ...path);
  if (value === undefined || value === null) return undefined;
  const bad = badCount(value);
  if (bad) throw new UsageRejected(`${path.join('.')} ${bad}`);
  return value as number;
}

/** `a − b` for counts that must not go negative; `what` explains the relation in the rejection. */
export function minus(a: number, b: number, what: string): number {
  if (b > a) throw new UsageRejected(what);
  return a - b;
}

/** The parts every usage record is made of; totals are derived from them. */
export interface UsageParts {
  noCache: number;
  cacheRead: number;
  /** All cache writes, 1-hour ones included. */
  cacheWrite: number;
  /** How many of `cacheWrite` were 1-hour writes. */
  cacheWrite1h: number;
  text: number;
  reasoning: number;
}

/** Assembles a `Usage` from its parts and checks every invariant (throws `UsageRejected`). */
export function buildUsage(parts: UsageParts, source: UsageSource, raw?: unknown): Usage {
  const inputTokens = parts.noCache + parts.cacheRead + parts.cacheWrite;
  const outputTokens = parts.text + parts.reasoning;
  const usage: Usage = {
    inputTokens,
    inputTokenDetails: {
      noCacheTokens: parts.noCache,
      cacheReadTokens: parts.cacheRead,
      cacheWriteTokens: parts.cacheWrite,
      cacheWrite1hTokens: parts.cacheWrite1h,
    },
    outputTokens,
    outputTokenDetails: { textTokens: parts.text, reasoningTokens: parts.reasoning },
    totalTokens: inputTokens + outputTokens,
    source,
  };
  if (raw !== undefined) usage.raw = raw;
  const broken = checkUsage(usage);
  if (broken) throw new UsageRejected(broken);
  return usage;
}
