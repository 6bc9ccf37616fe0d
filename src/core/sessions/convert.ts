/**
 * What the converters of old formats share: the context they run in, a pricing callback, the
 * clock rules for old timestamps, and the final validation of the events they build (so an old
 * file can never put into the state what a v1 log could not).
 */
import type { Usage } from '../usage/types';
import { type Cost, costSchema, LOG_VERSION, type SessionEvent, sessionEventSchema } from './events';
import type { ProblemList } from './problems';

/**
 * Prices one request of an old file (the pricing module's `price`). Old files carry no
 * provider-reported cost, so `reportedCostUsd` is always undefined here; it is in the type so
 * the pricing module's own function fits as is.
 */
export type PriceFn = (usage: Usage, model: string, provider: string, reportedCostUsd?: number) => Cost;

export interface ConvertContext {
  /** The session's id (from the file name: it is how the store finds the file again). */
  sessionId: string;
  problems: ProblemList;
  /** ISO time to use where the file gives none that is usable (the file's mtime). */
  fallbackTime: string;
  price?: PriceFn;
}

export interface Converted {
  events: SessionEvent[];
  /** Some numbers are a reconstruction (cumulative records), not a measurement. */
  approximate: boolean;
  /** One line each on what was converted, for an import report. */
  notes: string[];
}

export const UNKNOWN_COST: Cost = Object.freeze({ pico: null, basis: 'unknown' }) as Cost;

/** Epoch milliseconds at or after this (March 1973) are wall-clock times; less is a `performance.now()`. */
const EPOCH_MS_FLOOR = 1e11;
const EPOCH_MS_CEIL = 8.64e15;

/** An old record's time as ISO, or `fallback` when it is missing or not wall-clock time. */
export function epochMsToIso(ms: unknown, fallback: string): string {
  // Number.isFinite is false for anything that is not a number.
  if (!Number.isFinite(ms) || (ms as number) < EPOCH_MS_FLOOR || (ms as number) > EPOCH_MS_CEIL)
    return fallback;
  return new Date(ms as number).toISOString();
}

/** An ISO (or other Date-parsable) string as ISO, or `fallback`. */
export function isoOr(value: unknown, fallback: string): string {
  if (typeof value === 'number') return epochMsToIso(value, fallback);
  if (typeof value !== 'string' || value.length > 64) return fallback;
  const t = Date.parse(value);
  return Number.isFinite(t) ? new Date(t).toISOString() : fallback;
}

/** The cost of a request of an old file: the callback's price, or unknown (never $0). */
export function priceOr(ctx: ConvertContext, usage: Usage, model: string, provider: string): Cost {
  if (!ctx.price) return UNKNOWN_COST;
  try {
    const parsed = costSchema.safeParse(ctx.price(usage, model, provider));
    return parsed.success ? parsed.data : UNKNOWN_COST;
  } catch {
    return UNKNOWN_COST;
  }
}

/** Builds events with `v` and `at`, validating each; one that fails is reported, not kept. */
export class EventList {
  readonly events: SessionEvent[] = [];

  constructor(private readonly problems: ProblemList) {}

  push(at: string, body: Record<string, unknown> & { type: string }): void {
    const parsed = sessionEventSchema.safeParse({ v: LOG_VERSION, at, ...body });
    if (parsed.success) this.events.push(parsed.data);
    else
      this.problems.add(
        'bad-line',
        `a converted ${body.type} event failed the schema: ${zodSummary(parsed.error)}`,
      );
  }
}

/** A short, one-line account of why zod rejected something. */
export function zodSummary(error: {
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>;
}): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
