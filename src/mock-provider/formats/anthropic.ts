/**
 * Anthropic Messages, `POST /v1/messages` with `stream: true`.
 *
 * Wire: `event: <type>` + `data: <json>`: `message_start` (input usage: `input_tokens` EXCLUDES
 * `cache_read_input_tokens` and `cache_creation_input_tokens`; the write split by lifetime is in
 * `cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`, and only here),
 * `content_block_start` / `content_block_delta` / `content_block_stop` per block (text, thinking
 * with a closing `signature_delta`, tool_use with `input_json_delta`), `ping`, `message_delta`
 * with the stop reason and CUMULATIVE usage (may come more than once: the last one wins), and
 * `message_stop`. Errors inside the stream are `event: error`.
 */
import {
  asArray,
  asRecord,
  asString,
  BadRequestError,
  isRecord,
  type JsonRecord,
  strongestCacheControl,
  textOf,
} from '../json';
import type {
  ConversationMessage,
  Frame,
  HttpError,
  ParsedRequest,
  Plan,
  RenderContext,
  WireFormat,
} from '../plan';
import type { UsageNumbers, UsageReport } from '../types';
import { outputTotal, RunningUsage } from '../usage';
import { blocksOf, controlFrame, rawFrame, retryAfterHeader, splitInPieces } from './common';

/** Usage as `message_start` carries it. */
export function anthropicStartUsage(n: UsageNumbers, outputTokens: number): JsonRecord {
  return {
    input_tokens: n.inputNoCache,
    cache_creation_input_tokens: n.cacheWrite5m + n.cacheWrite1h,
    cache_read_input_tokens: n.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: n.cacheWrite5m, ephemeral_1h_input_tokens: n.cacheWrite1h },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

/** Usage as `message_delta` carries it (cumulative; no lifetime split). */
export function anthropicDeltaUsage(n: UsageNumbers): JsonRecord {
  return {
    input_tokens: n.inputNoCache,
    cache_creation_input_tokens: n.cacheWrite5m + n.cacheWrite1h,
    cache_read_input_tokens: n.cacheRead,
    output_tokens: outputTotal(n),
  };
}

function parseRequest(body: unknown): ParsedRequest {
  const b = asRecord(body);
  const model = asString(b.model);
  if (model === '') throw new BadRequestError('model: Field required');
  const messages: ConversationMessage[] = [];
  if (b.system !== undefined) messages.push({ role: 'system', text: textOf(b.system) });
  const toolNames = new Map<string, string>();
  for (const raw of asArray(b.messages)) {
    const m = asRecord(raw);
    const role = asString(m.role);
    if (typeof m.content === 'string') {
      messages.push({ role: role === 'assistant' ? 'assistant' : 'user', text: m.content });
      continue;
    }
    const texts: string[] = [];
    for (const part of asArray(m.content).filter(isRecord)) {
      if (part.type === 'tool_use') toolNames.set(asString(part.id), asString(part.name));
      else if (part.type === 'tool_result') {
        messages.push({
          role: 'tool',
          text: textOf(part.content),
          toolName: toolNames.get(asString(part.tool_use_id)),
        });
      } else if (part.type === 'text') texts.push(asString(part.text));
    }
    if (texts.length > 0 || role === 'assistant') {
      messages.push({ role: role === 'assistant' ? 'assistant' : 'user', text: texts.join('') });
    }
  }
  return {
    provider: 'anthropic',
    model,
    stream: b.stream === true,
    includeUsage: true,
    messages,
    tools: asArray(b.tools)
      .filter(isRecord)
      .map((t) => ({ name: asString(t.name), parameters: t.input_schema })),
    promptJson: JSON.stringify({ system: b.system ?? null, messages: b.messages ?? [] }),
    cacheControl: strongestCacheControl(body),
  };
}

function render(plan: Plan, ctx: RenderContext): Frame[] {
  const frames: Frame[] = [];
  const emit = (type: string, payload: JsonRecord, usage?: UsageReport): void => {
    frames.push({ kind: 'data', event: type, data: { type, ...payload }, usage });
  };
  const running = new RunningUsage(plan.usage);
  const startNumbers: UsageNumbers = { ...plan.usage, outputText: 1, reasoning: 0 };
  const startUsage = anthropicStartUsage(plan.usage, 1);
  emit(
    'message_start',
    {
      message: {
        id: `msg_${ctx.responseKey}`,
        type: 'message',
        role: 'assistant',
        model: plan.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: startUsage,
      },
    },
    { wire: startUsage, numbers: startNumbers, carrier: 'message_start' },
  );
  const messageDelta = (
    stopReason: string | null,
    numbers: UsageNumbers,
    wire: unknown = anthropicDeltaUsage(numbers),
  ) =>
    emit(
      'message_delta',
      { delta: { stop_reason: stopReason, stop_sequence: null }, usage: wire },
      { wire, numbers, carrier: 'message_delta' },
    );

  let index = -1;
  let open: 'text' | 'thinking' | undefined;
  let pinged = false;
  let toolCalls = 0;
  const start = (block: JsonRecord): void => {
    index++;
    emit('content_block_start', { index, content_block: block });
    if (!pinged) {
      emit('ping', {});
      pinged = true;
    }
  };
  const close = (): void => {
    if (open === 'thinking') {
      emit('content_block_delta', {
        index,
        delta: { type: 'signature_delta', signature: `mock-signature-${ctx.responseKey}-${index}` },
      });
    }
    if (open) emit('content_block_stop', { index });
    open = undefined;
  };
  const ensure = (kind: 'text' | 'thinking'): void => {
    if (open === kind) return;
    close();
    start(kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' });
    open = kind;
  };

  for (const event of plan.events) {
    running.add(event);
    switch (event.type) {
      case 'text':
        ensure('text');
        emit('content_block_delta', { index, delta: { type: 'text_delta', text: event.text } });
        break;
      case 'reasoning':
        ensure('thinking');
        emit('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: event.text } });
        break;
      case 'tool-call': {
        close();
        const id = event.id ?? `toolu_${ctx.responseKey}_${toolCalls}`;
        toolCalls++;
        start({ type: 'tool_use', id, name: event.name, input: {} });
        emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
        for (const piece of splitInPieces(JSON.stringify(event.args))) {
          emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
        }
        emit('content_block_stop', { index });
        break;
      }
      case 'usage':
        messageDelta(null, running.snapshot(event.usage));
        break;
      case 'raw':
        frames.push(rawFrame(event));
        break;
      case 'stream-error': {
        const error =
          event.kind === 'overloaded'
            ? { type: 'overloaded_error', message: event.message ?? 'Overloaded' }
            : { type: 'api_error', message: event.message ?? 'Internal server error' };
        frames.push({ kind: 'data', event: 'error', data: { type: 'error', error }, streamError: true });
        return frames;
      }
      default: {
        const frame = controlFrame(event);
        if (frame) frames.push(frame);
      }
    }
    if (plan.usageMode === 'repeat' && (event.type === 'text' || event.type === 'reasoning')) {
      messageDelta(null, running.snapshot());
    }
  }
  close();
  const stopReason = toolCalls > 0 ? 'tool_use' : plan.finish === 'length' ? 'max_tokens' : 'end_turn';
  const finalWire = plan.rawUsage ?? anthropicDeltaUsage(plan.usage);
  messageDelta(stopReason, plan.usage, finalWire);
  if (plan.usageMode === 'repeat') messageDelta(stopReason, plan.usage, finalWire);
  emit('message_stop', {});
  return frames;
}

function renderJson(plan: Plan, ctx: RenderContext): { body: unknown; usage: UsageReport } {
  const blocks = blocksOf(plan.events);
  const content = blocks.map((b, index) =>
    b.kind === 'text'
      ? { type: 'text', text: b.text }
      : b.kind === 'reasoning'
        ? { type: 'thinking', thinking: b.text, signature: `mock-signature-${ctx.responseKey}-${index}` }
        : { type: 'tool_use', id: b.id ?? `toolu_${ctx.responseKey}_${index}`, name: b.name, input: b.args },
  );
  const toolCalls = blocks.some((b) => b.kind === 'tool-call');
  const wire = plan.rawUsage ?? anthropicStartUsage(plan.usage, outputTotal(plan.usage));
  return {
    body: {
      id: `msg_${ctx.responseKey}`,
      type: 'message',
      role: 'assistant',
      model: plan.model,
      content,
      stop_reason: toolCalls ? 'tool_use' : plan.finish === 'length' ? 'max_tokens' : 'end_turn',
      stop_sequence: null,
      usage: wire,
    },
    usage: { wire, numbers: plan.usage, carrier: 'response' },
  };
}

const ANTHROPIC_ERRORS: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: [
    'rate_limit_error',
    'This request would exceed the rate limit for your organization of 30,000 input tokens per minute. Please try again later.',
  ],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

function httpError(status: number, opts: { message?: string; retryAfter?: number | string }): HttpError {
  const [type, message] = ANTHROPIC_ERRORS[status] ?? ANTHROPIC_ERRORS[status >= 500 ? 500 : 400]!;
  const headers: Record<string, string> = { 'request-id': 'req_mock', ...retryAfterHeader(opts.retryAfter) };
  if (status === 429) {
    headers['anthropic-ratelimit-input-tokens-limit'] = '30000';
    headers['anthropic-ratelimit-input-tokens-remaining'] = '0';
  }
  return {
    status,
    headers,
    body: { type: 'error', error: { type, message: opts.message ?? message }, request_id: 'req_mock' },
  };
}

export const anthropic: WireFormat = {
  provider: 'anthropic',
  framing: 'event-and-data',
  responseId: (key) => `msg_${key}`,
  parseRequest,
  render,
  renderJson,
  httpError,
};
