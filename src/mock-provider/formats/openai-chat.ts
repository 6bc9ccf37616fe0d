/**
 * Chat Completions, `POST /v1/chat/completions` (OpenAI) and `POST /compat/v1/chat/completions`
 * (an OpenAI-compatible server: Ollama, LM Studio, vLLM, OpenRouter).
 *
 * Wire: `data: <json>` chunks of `chat.completion.chunk`, ended by `data: [DONE]`.
 * OpenAI sends usage only with `stream_options.include_usage`: every chunk then has
 * `"usage": null` and one last chunk with `"choices": []` carries the usage. `prompt_tokens`
 * includes `prompt_tokens_details.cached_tokens`; `completion_tokens` includes
 * `completion_tokens_details.reasoning_tokens`. OpenAI streams no reasoning text here.
 *
 * The compatible variant streams reasoning as `delta.reasoning_content`, sends a leaner usage
 * object, can repeat usage in every chunk (`usageMode: 'repeat'`), leave it out (`none`), or
 * add OpenRouter's charged `cost`.
 */
import { asArray, asRecord, asString, BadRequestError, isRecord, type JsonRecord, textOf } from '../json';
import type { ConversationMessage, Frame, ParsedRequest, Plan, RenderContext, WireFormat } from '../plan';
import type { ProviderId, UsageNumbers, UsageReport } from '../types';
import { inputTotal, outputTotal, RunningUsage } from '../usage';
import { blocksOf, controlFrame, rawFrame, splitInPieces } from './common';
import { openaiHttpError } from './openai-errors';

export function chatUsage(n: UsageNumbers): JsonRecord {
  const promptDetails: JsonRecord = { cached_tokens: n.cacheRead, audio_tokens: 0 };
  const written = n.cacheWrite5m + n.cacheWrite1h;
  if (written > 0) promptDetails.cache_write_tokens = written;
  return {
    prompt_tokens: inputTotal(n),
    completion_tokens: outputTotal(n),
    total_tokens: inputTotal(n) + outputTotal(n),
    prompt_tokens_details: promptDetails,
    completion_tokens_details: {
      reasoning_tokens: n.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Ollama/vLLM-style lean usage; with `cost`, OpenRouter's usage accounting object. */
export function compatUsage(n: UsageNumbers, cost: number | undefined): JsonRecord {
  const usage: JsonRecord = {
    prompt_tokens: inputTotal(n),
    completion_tokens: outputTotal(n),
    total_tokens: inputTotal(n) + outputTotal(n),
  };
  const written = n.cacheWrite5m + n.cacheWrite1h;
  if (n.cacheRead > 0 || written > 0 || cost !== undefined) {
    usage.prompt_tokens_details = {
      cached_tokens: n.cacheRead,
      ...(written > 0 ? { cache_write_tokens: written } : {}),
      ...(cost !== undefined ? { audio_tokens: 0 } : {}),
    };
  }
  if (n.reasoning > 0 || cost !== undefined) {
    usage.completion_tokens_details = {
      reasoning_tokens: n.reasoning,
      ...(cost !== undefined ? { image_tokens: 0 } : {}),
    };
  }
  if (cost !== undefined) {
    usage.cost = cost;
    usage.is_byok = false;
    usage.cost_details = { upstream_inference_cost: null };
  }
  return usage;
}

function parseChatRequest(provider: ProviderId, body: unknown): ParsedRequest {
  const b = asRecord(body);
  const model = asString(b.model);
  if (model === '') throw new BadRequestError('you must provide a model parameter');
  const toolNames = new Map<string, string>();
  const messages: ConversationMessage[] = [];
  for (const raw of asArray(b.messages)) {
    const m = asRecord(raw);
    const role = asString(m.role);
    for (const call of asArray(m.tool_calls)) {
      const c = asRecord(call);
      toolNames.set(asString(c.id), asString(asRecord(c.function).name));
    }
    if (role === 'tool') {
      messages.push({
        role: 'tool',
        text: textOf(m.content),
        toolName: toolNames.get(asString(m.tool_call_id)),
      });
    } else {
      messages.push({
        role:
          role === 'system' || role === 'developer' ? 'system' : role === 'assistant' ? 'assistant' : 'user',
        text: textOf(m.content),
      });
    }
  }
  return {
    provider,
    model,
    stream: b.stream === true,
    includeUsage: asRecord(b.stream_options).include_usage === true,
    messages,
    tools: asArray(b.tools)
      .filter(isRecord)
      .map((t) => asRecord(t.function))
      .map((f) => ({ name: asString(f.name), parameters: f.parameters })),
    promptJson: JSON.stringify(b.messages ?? []),
    cacheControl: 'none',
  };
}

function renderChat(compatible: boolean, plan: Plan, ctx: RenderContext): Frame[] {
  const frames: Frame[] = [];
  const id = `chatcmpl-${ctx.responseKey}`;
  const running = new RunningUsage(plan.usage);
  const wantUsage = plan.usageMode === 'repeat' || (plan.usageMode === 'final' && ctx.includeUsage);
  const usageWire = (n: UsageNumbers): JsonRecord => (compatible ? compatUsage(n, plan.cost) : chatUsage(n));
  const base = (): JsonRecord => ({
    id,
    object: 'chat.completion.chunk',
    created: ctx.created,
    model: plan.model,
    ...(compatible ? {} : { service_tier: 'default' }),
    system_fingerprint: 'fp_mock',
  });
  /** A chunk with one choice; usage `null` (OpenAI + include_usage), running (repeat) or absent. */
  const choiceChunk = (delta: JsonRecord, finishReason: string | null = null): void => {
    const data: JsonRecord = {
      ...base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    let usage: UsageReport | undefined;
    if (plan.usageMode === 'repeat') {
      const numbers = running.snapshot();
      data.usage = usageWire(numbers);
      usage = { wire: data.usage, numbers, carrier: 'chunk' };
    } else if (!compatible && ctx.includeUsage) {
      data.usage = null;
    }
    frames.push({ kind: 'data', data, usage });
  };
  const usageChunk = (numbers: UsageNumbers, wire: unknown = usageWire(numbers)): void => {
    frames.push({
      kind: 'data',
      data: { ...base(), choices: [], usage: wire },
      usage: { wire, numbers, carrier: 'usage-chunk' },
    });
  };

  const role = { role: 'assistant', ...(compatible ? {} : { refusal: null }) };
  // A stream that starts with a tool call carries the role in the tool call's first chunk.
  let rolePending =
    plan.events.find((e) => e.type === 'text' || e.type === 'tool-call')?.type === 'tool-call';
  if (!rolePending) choiceChunk({ ...role, content: '' });
  let toolIndex = 0;
  let ended = false;
  for (const event of plan.events) {
    running.add(event);
    switch (event.type) {
      case 'text':
        choiceChunk({ content: event.text });
        break;
      case 'reasoning':
        if (compatible) choiceChunk({ reasoning_content: event.text });
        break;
      case 'tool-call': {
        const index = toolIndex++;
        const callId = event.id ?? `call_${ctx.responseKey}_${index}`;
        choiceChunk({
          ...(rolePending ? { ...role, content: null } : {}),
          tool_calls: [
            { index, id: callId, type: 'function', function: { name: event.name, arguments: '' } },
          ],
        });
        rolePending = false;
        for (const piece of splitInPieces(JSON.stringify(event.args))) {
          choiceChunk({ tool_calls: [{ index, function: { arguments: piece } }] });
        }
        break;
      }
      case 'usage':
        usageChunk(running.snapshot(event.usage));
        break;
      case 'raw':
        frames.push(rawFrame(event));
        break;
      case 'stream-error': {
        const message =
          event.message ??
          (event.kind === 'overloaded'
            ? 'The engine is currently overloaded, please try again later.'
            : 'The server had an error while processing your request. Sorry about that!');
        frames.push({
          kind: 'data',
          data: { error: { message, type: 'server_error', param: null, code: null } },
          streamError: true,
        });
        ended = true;
        break;
      }
      default: {
        const frame = controlFrame(event);
        if (frame) frames.push(frame);
      }
    }
    if (ended) return frames;
  }
  const finish = toolIndex > 0 ? 'tool_calls' : plan.finish === 'length' ? 'length' : 'stop';
  // Ollama and vLLM repeat an empty content (Ollama also the role) in the finishing chunk.
  choiceChunk(compatible ? { role: 'assistant', content: '' } : {}, finish);
  if (wantUsage) usageChunk(plan.usage, plan.rawUsage ?? usageWire(plan.usage));
  frames.push({ kind: 'text', text: 'data: [DONE]\n\n' });
  return frames;
}

function renderChatJson(
  compatible: boolean,
  plan: Plan,
  ctx: RenderContext,
): { body: unknown; usage?: UsageReport } {
  const blocks = blocksOf(plan.events);
  const text = blocks.flatMap((b) => (b.kind === 'text' ? [b.text] : [])).join('');
  const reasoning = blocks.flatMap((b) => (b.kind === 'reasoning' ? [b.text] : [])).join('');
  const toolCalls = blocks.flatMap((b, index) =>
    b.kind === 'tool-call'
      ? [
          {
            id: b.id ?? `call_${ctx.responseKey}_${index}`,
            type: 'function',
            function: { name: b.name, arguments: JSON.stringify(b.args) },
          },
        ]
      : [],
  );
  const message: JsonRecord = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    ...(compatible ? {} : { refusal: null, annotations: [] }),
    ...(compatible && reasoning !== '' ? { reasoning_content: reasoning } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
  const finish = toolCalls.length > 0 ? 'tool_calls' : plan.finish === 'length' ? 'length' : 'stop';
  const wire =
    plan.usageMode === 'none'
      ? undefined
      : (plan.rawUsage ?? (compatible ? compatUsage(plan.usage, plan.cost) : chatUsage(plan.usage)));
  const body: JsonRecord = {
    id: `chatcmpl-${ctx.responseKey}`,
    object: 'chat.completion',
    created: ctx.created,
    model: plan.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
    ...(wire === undefined ? {} : { usage: wire }),
    ...(compatible ? {} : { service_tier: 'default' }),
    system_fingerprint: 'fp_mock',
  };
  return { body, usage: wire === undefined ? undefined : { wire, numbers: plan.usage, carrier: 'response' } };
}

export const openaiChat: WireFormat = {
  provider: 'openai-chat',
  framing: 'data',
  responseId: (key) => `chatcmpl-${key}`,
  parseRequest: (body) => parseChatRequest('openai-chat', body),
  render: (plan, ctx) => renderChat(false, plan, ctx),
  renderJson: (plan, ctx) => renderChatJson(false, plan, ctx),
  httpError: openaiHttpError,
};

export const openaiCompatible: WireFormat = {
  provider: 'openai-compatible',
  framing: 'data',
  responseId: (key) => `chatcmpl-${key}`,
  parseRequest: (body) => parseChatRequest('openai-compatible', body),
  render: (plan, ctx) => renderChat(true, plan, ctx),
  renderJson: (plan, ctx) => renderChatJson(true, plan, ctx),
  httpError: openaiHttpError,
};
