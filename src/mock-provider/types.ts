/**
 * Public types of the mock model server. Scripts are validated with zod when they arrive over
 * HTTP (`POST /_mock/script`), so the TypeScript types are derived from the schemas.
 */
import { z } from 'zod';

/** One wire format the server speaks. `openai-compatible` is Chat Completions under `/compat/v1`. */
export const PROVIDER_IDS = [
  'openai-responses',
  'openai-chat',
  'anthropic',
  'google',
  'openai-compatible',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

const count = z.number().int().nonnegative();

/**
 * Token counts in provider-neutral form. Every wire format maps them into its own usage object
 * (e.g. Anthropic's `input_tokens` is `inputNoCache` only; OpenAI's `input_tokens` is the sum of
 * all four input parts).
 */
export const usageNumbersSchema = z.object({
  /** Prompt tokens billed at the plain input price. */
  inputNoCache: count,
  /** Prompt tokens read from the cache. */
  cacheRead: count,
  /** Prompt tokens written to the cache with the 5-minute lifetime (Anthropic; others have none). */
  cacheWrite5m: count,
  /** Prompt tokens written to the cache with the 1-hour lifetime (Anthropic only). */
  cacheWrite1h: count,
  /** Generated tokens that are not reasoning (text and tool-call arguments). */
  outputText: count,
  /** Reasoning ("thinking", "thoughts") tokens; billed as output. */
  reasoning: count,
});
export type UsageNumbers = z.infer<typeof usageNumbersSchema>;

export const ZERO_NUMBERS: Readonly<UsageNumbers> = Object.freeze({
  inputNoCache: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  outputText: 0,
  reasoning: 0,
});

export const scriptEventSchema = z.discriminatedUnion('type', [
  /** One text delta (consecutive text events form one text block). */
  z.object({ type: z.literal('text'), text: z.string() }),
  /** One reasoning delta (consecutive reasoning events form one reasoning block). */
  z.object({ type: z.literal('reasoning'), text: z.string() }),
  /** A complete function/tool call; the arguments are streamed in a few pieces. */
  z.object({
    type: z.literal('tool-call'),
    name: z.string().min(1),
    args: z.record(z.string(), z.unknown()).default({}),
    id: z.string().optional(),
  }),
  /**
   * An extra usage update at this point of the stream (running, cumulative numbers). Missing
   * fields are the running values. Ignored by OpenAI Responses (its wire has no interim usage).
   */
  z.object({ type: z.literal('usage'), usage: usageNumbersSchema.partial().optional() }),
  /** Hold the connection: for `ms`, or (without `ms`) until the client goes away. */
  z.object({ type: z.literal('stall'), ms: count.optional() }),
  /** Wait `ms` before the next frame. */
  z.object({ type: z.literal('delay'), ms: count }),
  /** Write a chunk whose data is not valid JSON. */
  z.object({ type: z.literal('malformed'), text: z.string().optional() }),
  /** Destroy the connection right here (no terminating event, no usage after this point). */
  z.object({ type: z.literal('cut') }),
  /** The provider's in-stream error event (HTTP status stays 200); the stream ends after it. */
  z.object({
    type: z.literal('stream-error'),
    kind: z.enum(['overloaded', 'server']).default('overloaded'),
    message: z.string().optional(),
  }),
  /** Write one event verbatim: `data` is JSON-encoded, `event` becomes the SSE event name. */
  z.object({ type: z.literal('raw'), data: z.unknown(), event: z.string().optional() }),
]);
export type ScriptEvent = z.infer<typeof scriptEventSchema>;
export type ScriptEventInput = z.input<typeof scriptEventSchema>;

export const scriptSchema = z.object({
  /** Model name reported in the response (default: the requested one). */
  model: z.string().optional(),
  /** What the stream carries, in order. Default: the demo agent's answer to the request. */
  events: z.array(scriptEventSchema).optional(),
  /**
   * Final usage to report. Missing fields are computed as in demo mode (input from the request,
   * output from the words and tool calls in `events`).
   */
  usage: usageNumbersSchema.partial().optional(),
  /**
   * How usage travels: `final` = the wire's normal way; `repeat` = running usage in several
   * chunks (Chat/compatible: every chunk; Anthropic: an extra interim `message_delta` and the
   * final one twice); `none` = no usage at all (where the wire allows it).
   */
  usageMode: z.enum(['final', 'repeat', 'none']).default('final'),
  /** OpenRouter-style charged cost (USD) in `usage.cost` (Chat Completions wires only). */
  cost: z.number().nonnegative().optional(),
  /** Why generation stopped when there is no tool call: `length` = the output limit. */
  finish: z.enum(['stop', 'length']).default('stop'),
  /** Delay between frames in ms (default: the server's `chunkDelayMs`). */
  chunkDelayMs: count.optional(),
  /** Answer with an HTTP error (the provider's real error body) instead of a stream. */
  error: z
    .object({
      status: z.number().int().min(400).max(599),
      message: z.string().optional(),
      /** Value of the `retry-after` header (seconds). */
      retryAfter: z.union([z.number().nonnegative(), z.string()]).optional(),
      /** Replace the provider's error body entirely. */
      body: z.unknown().optional(),
    })
    .optional(),
  /** Send this text verbatim as the `text/event-stream` body (a recorded fixture). */
  replay: z.string().optional(),
  /** Replace the final usage object on the wire verbatim (the log still records it). */
  rawUsage: z.unknown().optional(),
});
export type Script = z.infer<typeof scriptSchema>;
/** What callers pass: defaults may be omitted. */
export type ScriptInput = z.input<typeof scriptSchema>;

/** One usage object the server put on the wire. */
export interface UsageReport {
  /** The provider's usage object exactly as sent. */
  wire: unknown;
  /** The same numbers in neutral form (output split as the server planned it). */
  numbers: UsageNumbers;
  /** Where it travelled, e.g. `message_start`, `message_delta`, `response.completed`, `chunk`. */
  carrier: string;
}

export type LogOutcome =
  | 'pending'
  /** The stream ended normally (including a provider error event inside the stream). */
  | 'completed'
  /** An HTTP error status with the provider's error body. */
  | 'http-error'
  /** The client went away before the stream ended. */
  | 'client-aborted'
  /** The server cut the connection on purpose (`cut`). */
  | 'cut';

export interface MockLogEntry {
  /** 1, 2, 3… in arrival order. */
  seq: number;
  /** The response id on the wire (`resp_…`, `msg_…`, `chatcmpl-…`, Gemini `responseId`). */
  id: string;
  provider: ProviderId;
  model: string;
  method: string;
  path: string;
  /** HTTP status sent. */
  status: number;
  outcome: LogOutcome;
  /** `script` = enqueued by a test, `demo` = the default agent. */
  source: 'script' | 'demo';
  startedAt: number;
  endedAt?: number;
  /** Every usage object that went out, in order (snapshots of the same request, never to be summed). */
  usageReports: UsageReport[];
  /** Numbers of the last usage report: what a correct client ends up with. Absent if none went out. */
  usage?: UsageNumbers;
  /** The last usage report in wire form. */
  wireUsage?: unknown;
  /** The final numbers the server meant to report (even if the stream never got there). */
  plannedUsage?: UsageNumbers;
  /** OpenRouter-style cost sent in `usage.cost`, if any. */
  cost?: number;
  /** Magic words found in the prompt (demo mode). */
  magic?: string[];
  /** The error body, for `http-error` and in-stream errors. */
  error?: { status: number; body: unknown };
  request: {
    /** Number of messages/items in the request's conversation. */
    messages: number;
    tools: string[];
    /** Role of the last message: `user`, `tool` (a tool result), `assistant`, `system`. */
    lastRole: string;
    body: unknown;
  };
}

export interface MockProviderOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** Only loopback addresses are accepted. Default `127.0.0.1`. */
  host?: string;
  /** Default delay between stream frames in ms (default 0; the CLI uses 15). */
  chunkDelayMs?: number;
}

export interface MockProvider {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** The baseURL to give each AI SDK provider. */
  baseURLs: Record<ProviderId, string>;
  /** Queue a script for the next request of that provider (FIFO). `any` matches every provider. */
  enqueue(provider: ProviderId | 'any', script: ScriptInput): void;
  /** Every request served so far (a live array). */
  readonly log: readonly MockLogEntry[];
  /** Clear the queues, the log and the conversation memory (prompt caches, stored items). */
  reset(): void;
  /** Resolves once no request is in flight (e.g. after an abort, to read the final log entry). */
  settled(): Promise<void>;
  /** Stop listening and drop every open connection (stalled streams included). */
  close(): Promise<void>;
}
