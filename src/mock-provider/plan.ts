/**
 * The provider-neutral shapes between the request parsers, the demo agent and the wire
 * formats: a parsed request, a plan of what to stream, and the frames a format renders it to.
 */
import type { ProviderId, ScriptEvent, UsageNumbers, UsageReport } from './types';

/** One message of the conversation, reduced to what the demo agent needs. */
export interface ConversationMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  /** For `tool`: the name of the tool whose result this is (when the wire says). */
  toolName?: string;
}

export interface ToolInfo {
  name: string;
  /** JSON schema of the arguments, as the request sent it. */
  parameters: unknown;
}

export interface ParsedRequest {
  provider: ProviderId;
  model: string;
  stream: boolean;
  /** Chat Completions: `stream_options.include_usage`; always true elsewhere. */
  includeUsage: boolean;
  messages: ConversationMessage[];
  tools: ToolInfo[];
  /** The JSON that default usage counts (the conversation field of the request). */
  promptJson: string;
  /** Anthropic: the strongest `cache_control` marker in the request. */
  cacheControl: 'none' | '5m' | '1h';
}

/** Everything a format needs to render one response. */
export interface Plan {
  model: string;
  events: ScriptEvent[];
  /** Final numbers. */
  usage: UsageNumbers;
  usageMode: 'final' | 'repeat' | 'none';
  cost?: number;
  finish: 'stop' | 'length';
  rawUsage?: unknown;
}

export type Frame =
  /** One SSE event; `usage` is set when it carries a usage object. */
  | { kind: 'data'; event?: string; data: unknown; usage?: UsageReport; streamError?: boolean }
  /** Text written as is (`[DONE]` sentinel, a malformed line, a replayed body). */
  | { kind: 'text'; text: string }
  | { kind: 'stall'; ms?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'cut' };

/** Ids and memory a format may use while rendering. */
export interface RenderContext {
  /** Unique per response, e.g. `mock0007`. */
  responseKey: string;
  /** Seconds since the epoch. */
  created: number;
  includeUsage: boolean;
  /** Remember an output item by id (OpenAI Responses `item_reference`). */
  rememberItem(id: string, item: unknown): void;
}

export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Output items remembered across requests (OpenAI Responses `item_reference`). */
export type ItemStore = ReadonlyMap<string, unknown>;

export interface WireFormat {
  provider: ProviderId;
  /** Read the request body; throws `BadRequestError` when it is unusable. */
  parseRequest(body: unknown, path: string, items: ItemStore): ParsedRequest;
  /** The SSE framing this wire uses. */
  framing: 'event-and-data' | 'data' | 'data-crlf';
  /** The response id the format puts on the wire for `responseKey`. */
  responseId(responseKey: string): string;
  render(plan: Plan, ctx: RenderContext): Frame[];
  /** The whole response as one JSON body, for `stream: false` (`:generateContent` on Gemini). */
  renderJson(plan: Plan, ctx: RenderContext): { body: unknown; usage?: UsageReport };
  /** The provider's real error response for an HTTP status. */
  httpError(
    status: number,
    opts: { message?: string; retryAfter?: number | string; model: string },
  ): HttpError;
}
