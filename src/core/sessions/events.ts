/**
 * The session event log: one JSON object a line, append-only, every event versioned and
 * validated with zod on read. See ARCHITECTURE.md, "The event log".
 *
 * A session's state is a pure fold over its events (`src/core/ledger`). Usage events for one
 * request are snapshots: the last one wins, so a repeated or duplicated line never adds.
 */
import { z } from 'zod';

/** The log format this build writes. A log with a higher `v` opens read-only. */
export const LOG_VERSION = 1;

const count = z.number().int().nonnegative().max(1e12);
const isoTime = z.string().min(1).max(64);
const id = z.string().min(1).max(200);

export const usageSchema = z.object({
  inputTokens: count,
  inputTokenDetails: z.object({
    noCacheTokens: count,
    cacheReadTokens: count,
    cacheWriteTokens: count,
    cacheWrite1hTokens: count.optional(),
  }),
  outputTokens: count,
  outputTokenDetails: z.object({ textTokens: count, reasoningTokens: count }),
  totalTokens: count,
  source: z.enum(['provider', 'estimated', 'legacy']),
  raw: z.unknown().optional(),
});

/** Prices in force when a request was priced, in pico-dollars per token (decimal strings). */
export const appliedPriceSchema = z.object({
  input: z.string(),
  cacheRead: z.string(),
  cacheWrite: z.string(),
  cacheWrite1h: z.string(),
  output: z.string(),
  /** The tier threshold that applied (prompt tokens), if any. */
  tierStart: z.number().int().nonnegative().optional(),
});

export const costSchema = z.object({
  /** Pico-dollars as a decimal string; null = no known price ("unknown", never $0). */
  pico: z
    .string()
    .regex(/^\d{1,30}$/)
    .nullable(),
  /** computed from prices; reported by the provider (OpenRouter); legacy = kept from an old file. */
  basis: z.enum(['computed', 'reported', 'legacy', 'unknown']),
  /** Where the prices came from: `genai-prices@<version>`, `override`, … */
  catalog: z.string().max(200).optional(),
  price: appliedPriceSchema.optional(),
});

export const requestStatusSchema = z.enum(['streaming', 'completed', 'interrupted', 'failed']);
export const turnStatusSchema = z.enum(['running', 'completed', 'interrupted', 'failed']);
export const requestPurposeSchema = z.enum(['chat', 'title', 'summary', 'compaction', 'subagent']);

const base = { v: z.number().int().positive(), at: isoTime };

export const sessionCreatedEvent = z.object({
  ...base,
  type: z.literal('session.created'),
  sessionId: id,
  title: z.string().max(500),
  provider: z.string().max(100),
  model: z.string().max(200),
  /** Where an imported session came from (path + content hash), for idempotent import. */
  importedFrom: z.object({ file: z.string().max(4096), sha256: z.string().max(128) }).optional(),
  /** The imported numbers are a reconstruction (e.g. cumulative records), not a measurement. */
  approximate: z.boolean().optional(),
});

export const sessionRenamedEvent = z.object({
  ...base,
  type: z.literal('session.renamed'),
  title: z.string().max(500),
});

export const turnStartedEvent = z.object({
  ...base,
  type: z.literal('turn.started'),
  turnId: id,
  /** 0-based position of the turn in the session. */
  index: count,
});

export const turnEndedEvent = z.object({
  ...base,
  type: z.literal('turn.ended'),
  turnId: id,
  status: turnStatusSchema.exclude(['running']),
  error: z.string().max(4000).optional(),
});

export const requestStartedEvent = z.object({
  ...base,
  type: z.literal('request.started'),
  requestId: id,
  /** Absent for requests that belong to the session rather than a turn. */
  turnId: id.optional(),
  provider: z.string().max(100),
  model: z.string().max(200),
  purpose: requestPurposeSchema.default('chat'),
});

/** A usage snapshot of one request. Replaces any earlier snapshot of the same request. */
export const requestUsageEvent = z.object({
  ...base,
  type: z.literal('request.usage'),
  requestId: id,
  usage: usageSchema,
  cost: costSchema,
  /** The snapshot is the request's final usage (false: input usage known mid-stream). */
  final: z.boolean(),
});

export const requestEndedEvent = z.object({
  ...base,
  type: z.literal('request.ended'),
  requestId: id,
  status: requestStatusSchema.exclude(['streaming']),
  error: z.string().max(4000).optional(),
});

/** Conversation history (AI SDK `ModelMessage`s), so a session can continue after a restart. */
export const messageEvent = z.object({
  ...base,
  type: z.literal('message'),
  turnId: id.optional(),
  message: z
    .object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.unknown() })
    .passthrough(),
});

export const sessionEventSchema = z.discriminatedUnion('type', [
  sessionCreatedEvent,
  sessionRenamedEvent,
  turnStartedEvent,
  turnEndedEvent,
  requestStartedEvent,
  requestUsageEvent,
  requestEndedEvent,
  messageEvent,
]);

export type SessionEvent = z.infer<typeof sessionEventSchema>;
export type SessionEventInput = z.input<typeof sessionEventSchema>;
export type SessionCreated = z.infer<typeof sessionCreatedEvent>;
export type RequestUsage = z.infer<typeof requestUsageEvent>;
export type Cost = z.infer<typeof costSchema>;
export type AppliedPrice = z.infer<typeof appliedPriceSchema>;
export type RequestStatus = z.infer<typeof requestStatusSchema>;
export type TurnStatus = z.infer<typeof turnStatusSchema>;
export type RequestPurpose = z.infer<typeof requestPurposeSchema>;

/** Distributive Omit, so `Omit<SessionEvent, 'v' | 'at'>` stays a discriminated union. */
export type EventBody = SessionEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'v' | 'at'>
    : never
  : never;
