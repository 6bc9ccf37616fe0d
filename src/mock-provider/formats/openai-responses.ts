/**
 * OpenAI Responses API, `POST /v1/responses` with `stream: true`.
 *
 * Wire: `event: <type>` + `data: <json>` with a `sequence_number`; no `[DONE]`. Usage arrives
 * only in the terminal event (`response.completed`, `response.incomplete` or `response.failed`):
 * `input_tokens` includes `input_tokens_details.cached_tokens`, `output_tokens` includes
 * `output_tokens_details.reasoning_tokens`. There is no interim usage on this wire.
 */
import { asArray, asRecord, asString, BadRequestError, isRecord, type JsonRecord, textOf } from '../json';
import type {
  ConversationMessage,
  Frame,
  ItemStore,
  ParsedRequest,
  Plan,
  RenderContext,
  WireFormat,
} from '../plan';
import type { UsageNumbers, UsageReport } from '../types';
import { inputTotal, outputTotal, RunningUsage } from '../usage';
import { blocksOf, controlFrame, rawFrame, splitInPieces } from './common';
import { openaiHttpError } from './openai-errors';

export function responsesUsage(n: UsageNumbers): JsonRecord {
  const inputDetails: JsonRecord = { cached_tokens: n.cacheRead };
  const written = n.cacheWrite5m + n.cacheWrite1h;
  if (written > 0) inputDetails.cache_write_tokens = written;
  return {
    input_tokens: inputTotal(n),
    input_tokens_details: inputDetails,
    output_tokens: outputTotal(n),
    output_tokens_details: { reasoning_tokens: n.reasoning },
    total_tokens: inputTotal(n) + outputTotal(n),
  };
}

function parseRequest(body: unknown, _path: string, items: ItemStore): ParsedRequest {
  const b = asRecord(body);
  const model = asString(b.model);
  if (model === '') throw new BadRequestError("Missing required parameter: 'model'.");
  const input = b.input;
  const messages: ConversationMessage[] = [];
  if (typeof b.instructions === 'string') messages.push({ role: 'system', text: b.instructions });
  const toolNames = new Map<string, string>();
  const list = typeof input === 'string' ? [{ role: 'user', content: input }] : asArray(input);
  for (const raw of list) {
    let item = asRecord(raw);
    if (item.type === 'item_reference') {
      // The SDK references only output items (the model's own); unknown ones stay assistant turns.
      item = asRecord(items.get(asString(item.id)) ?? { type: 'message', role: 'assistant', content: '' });
    }
    const type = asString(item.type, 'message');
    if (type === 'message') {
      const role = asString(item.role);
      messages.push({
        role:
          role === 'developer' || role === 'system' ? 'system' : role === 'assistant' ? 'assistant' : 'user',
        text: textOf(item.content),
      });
    } else if (type === 'function_call') {
      toolNames.set(asString(item.call_id), asString(item.name));
      messages.push({ role: 'assistant', text: '' });
    } else if (type === 'function_call_output') {
      messages.push({
        role: 'tool',
        text: typeof item.output === 'string' ? item.output : JSON.stringify(item.output),
        toolName: toolNames.get(asString(item.call_id)),
      });
    }
  }
  return {
    provider: 'openai-responses',
    model,
    stream: b.stream === true,
    includeUsage: true,
    messages,
    tools: asArray(b.tools)
      .filter((t) => isRecord(t) && t.type === 'function')
      .map((t) => ({ name: asString(asRecord(t).name), parameters: asRecord(t).parameters })),
    promptJson: JSON.stringify(input ?? ''),
    cacheControl: 'none',
  };
}

function responseObject(
  plan: Plan,
  ctx: RenderContext,
  status: string,
  output: JsonRecord[],
  usage: JsonRecord | null,
  extra: JsonRecord = {},
): JsonRecord {
  return {
    id: `resp_${ctx.responseKey}`,
    object: 'response',
    created_at: ctx.created,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: plan.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
    ...extra,
  };
}

function render(plan: Plan, ctx: RenderContext): Frame[] {
  const frames: Frame[] = [];
  let seq = 0;
  const emit = (type: string, payload: JsonRecord): void => {
    frames.push({ kind: 'data', event: type, data: { type, sequence_number: seq++, ...payload } });
  };
  const output: JsonRecord[] = [];
  const response = (status: string, usage: JsonRecord | null, extra: JsonRecord = {}): JsonRecord =>
    responseObject(plan, ctx, status, status === 'in_progress' ? [] : output, usage, extra);
  emit('response.created', { response: response('in_progress', null) });
  emit('response.in_progress', { response: response('in_progress', null) });

  const running = new RunningUsage(plan.usage);
  let open: { kind: 'text' | 'reasoning'; item: JsonRecord; index: number; text: string } | undefined;
  let itemCount = 0;
  const close = (): void => {
    if (!open) return;
    const { item, index, text } = open;
    const itemId = asString(item.id);
    if (open.kind === 'text') {
      const part = { type: 'output_text', annotations: [], logprobs: [], text };
      emit('response.output_text.done', {
        item_id: itemId,
        output_index: index,
        content_index: 0,
        text,
        logprobs: [],
      });
      emit('response.content_part.done', { item_id: itemId, output_index: index, content_index: 0, part });
      const done = { ...item, status: 'completed', content: [part] };
      emit('response.output_item.done', { output_index: index, item: done });
      output.push(done);
      ctx.rememberItem(itemId, done);
    } else {
      const part = { type: 'summary_text', text };
      emit('response.reasoning_summary_text.done', {
        item_id: itemId,
        output_index: index,
        summary_index: 0,
        text,
      });
      emit('response.reasoning_summary_part.done', {
        item_id: itemId,
        output_index: index,
        summary_index: 0,
        part,
      });
      const done = { ...item, summary: [part] };
      emit('response.output_item.done', { output_index: index, item: done });
      output.push(done);
      ctx.rememberItem(itemId, done);
    }
    open = undefined;
  };
  const openBlock = (kind: 'text' | 'reasoning'): NonNullable<typeof open> => {
    if (open?.kind === kind) return open;
    close();
    const index = itemCount++;
    const item: JsonRecord =
      kind === 'text'
        ? {
            id: `msg_${ctx.responseKey}_${index}`,
            type: 'message',
            status: 'in_progress',
            content: [],
            role: 'assistant',
          }
        : { id: `rs_${ctx.responseKey}_${index}`, type: 'reasoning', summary: [] };
    emit('response.output_item.added', { output_index: index, item });
    const itemId = asString(item.id);
    if (kind === 'text') {
      const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
      emit('response.content_part.added', { item_id: itemId, output_index: index, content_index: 0, part });
    } else {
      const part = { type: 'summary_text', text: '' };
      emit('response.reasoning_summary_part.added', {
        item_id: itemId,
        output_index: index,
        summary_index: 0,
        part,
      });
    }
    open = { kind, item, index, text: '' };
    return open;
  };

  let failed: { code: string; message: string } | undefined;
  for (const event of plan.events) {
    running.add(event);
    switch (event.type) {
      case 'text': {
        const block = openBlock('text');
        block.text += event.text;
        emit('response.output_text.delta', {
          item_id: block.item.id,
          output_index: block.index,
          content_index: 0,
          delta: event.text,
          logprobs: [],
        });
        break;
      }
      case 'reasoning': {
        const block = openBlock('reasoning');
        block.text += event.text;
        emit('response.reasoning_summary_text.delta', {
          item_id: block.item.id,
          output_index: block.index,
          summary_index: 0,
          delta: event.text,
        });
        break;
      }
      case 'tool-call': {
        close();
        const index = itemCount++;
        const itemId = `fc_${ctx.responseKey}_${index}`;
        const callId = event.id ?? `call_${ctx.responseKey}_${index}`;
        const args = JSON.stringify(event.args);
        const item = {
          id: itemId,
          type: 'function_call',
          status: 'in_progress',
          arguments: '',
          call_id: callId,
          name: event.name,
        };
        emit('response.output_item.added', { output_index: index, item });
        for (const piece of splitInPieces(args)) {
          emit('response.function_call_arguments.delta', {
            item_id: itemId,
            output_index: index,
            delta: piece,
          });
        }
        emit('response.function_call_arguments.done', {
          item_id: itemId,
          output_index: index,
          arguments: args,
        });
        const done = { ...item, status: 'completed', arguments: args };
        emit('response.output_item.done', { output_index: index, item: done });
        output.push(done);
        ctx.rememberItem(itemId, done);
        break;
      }
      case 'raw':
        frames.push(rawFrame(event));
        break;
      case 'usage':
        break;
      case 'stream-error':
        close();
        failed = {
          code: 'server_error',
          message:
            event.message ?? 'The server had an error while processing your request. Sorry about that!',
        };
        break;
      default: {
        const frame = controlFrame(event);
        if (frame) frames.push(frame);
      }
    }
    if (failed) break;
  }
  close();

  const numbers = failed ? running.snapshot() : plan.usage;
  const wire = plan.usageMode === 'none' ? null : (plan.rawUsage ?? responsesUsage(numbers));
  let type: string;
  let terminal: JsonRecord;
  if (failed) {
    type = 'response.failed';
    terminal = response('failed', wire as JsonRecord | null, { error: failed });
  } else if (plan.finish === 'length') {
    type = 'response.incomplete';
    terminal = response('incomplete', wire as JsonRecord | null, {
      incomplete_details: { reason: 'max_output_tokens' },
    });
  } else {
    type = 'response.completed';
    terminal = response('completed', wire as JsonRecord | null);
  }
  frames.push({
    kind: 'data',
    event: type,
    data: { type, sequence_number: seq++, response: terminal },
    usage: wire === null ? undefined : { wire, numbers, carrier: type },
    streamError: failed !== undefined,
  });
  return frames;
}

function renderJson(plan: Plan, ctx: RenderContext): { body: unknown; usage?: UsageReport } {
  const output: JsonRecord[] = blocksOf(plan.events).map((b, index) => {
    const key = `${ctx.responseKey}_${index}`;
    const item: JsonRecord =
      b.kind === 'text'
        ? {
            id: `msg_${key}`,
            type: 'message',
            status: 'completed',
            content: [{ type: 'output_text', annotations: [], logprobs: [], text: b.text }],
            role: 'assistant',
          }
        : b.kind === 'reasoning'
          ? { id: `rs_${key}`, type: 'reasoning', summary: [{ type: 'summary_text', text: b.text }] }
          : {
              id: `fc_${key}`,
              type: 'function_call',
              status: 'completed',
              arguments: JSON.stringify(b.args),
              call_id: b.id ?? `call_${key}`,
              name: b.name,
            };
    ctx.rememberItem(String(item.id), item);
    return item;
  });
  const wire = plan.usageMode === 'none' ? null : (plan.rawUsage ?? responsesUsage(plan.usage));
  const body =
    plan.finish === 'length'
      ? responseObject(plan, ctx, 'incomplete', output, wire as JsonRecord | null, {
          incomplete_details: { reason: 'max_output_tokens' },
        })
      : responseObject(plan, ctx, 'completed', output, wire as JsonRecord | null);
  return { body, usage: wire === null ? undefined : { wire, numbers: plan.usage, carrier: 'response' } };
}

export const openaiResponses: WireFormat = {
  provider: 'openai-responses',
  framing: 'event-and-data',
  responseId: (key) => `resp_${key}`,
  parseRequest,
  render,
  renderJson,
  httpError: openaiHttpError,
};
