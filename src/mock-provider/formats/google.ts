/**
 * Gemini, `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`.
 *
 * Wire: `data: <json>` chunks of `GenerateContentResponse`, framed with CRLF, no sentinel.
 * `usageMetadata` repeats in every chunk with CUMULATIVE counts (the last one is the total):
 * `promptTokenCount` includes `cachedContentTokenCount`; `thoughtsTokenCount` is NOT part of
 * `candidatesTokenCount` but is billed as output. Thoughts are parts with `thought: true`;
 * function calls come whole as `functionCall` parts; the last chunk has `finishReason`
 * (`STOP` also after function calls).
 */
import { asArray, asRecord, asString, BadRequestError, isRecord, type JsonRecord, textOf } from '../json';
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
import { RunningUsage } from '../usage';
import { blocksOf, controlFrame, rawFrame, retryAfterHeader } from './common';

export function geminiUsage(n: UsageNumbers): JsonRecord {
  const prompt = n.inputNoCache + n.cacheRead + n.cacheWrite5m + n.cacheWrite1h;
  const usage: JsonRecord = {
    promptTokenCount: prompt,
    candidatesTokenCount: n.outputText,
    totalTokenCount: prompt + n.outputText + n.reasoning,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
  if (n.cacheRead > 0) {
    usage.cachedContentTokenCount = n.cacheRead;
    usage.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: n.cacheRead }];
  }
  if (n.reasoning > 0) usage.thoughtsTokenCount = n.reasoning;
  return usage;
}

/** `models/gemini-2.5-flash:streamGenerateContent` → `gemini-2.5-flash`. */
export function geminiModelFromPath(path: string): string {
  const m = /\/models\/([^/:?]+):/.exec(path);
  return m ? decodeURIComponent(m[1]!) : '';
}

function toolResultText(response: unknown): string {
  const r = asRecord(response);
  return typeof r.content === 'string' ? r.content : JSON.stringify(response ?? null);
}

function parseRequest(body: unknown, path: string): ParsedRequest {
  const b = asRecord(body);
  const model = geminiModelFromPath(path);
  if (model === '') throw new BadRequestError('Invalid model path.');
  const messages: ConversationMessage[] = [];
  if (b.systemInstruction !== undefined)
    messages.push({ role: 'system', text: textOf(asRecord(b.systemInstruction).parts) });
  for (const raw of asArray(b.contents)) {
    const c = asRecord(raw);
    const texts: string[] = [];
    for (const part of asArray(c.parts).filter(isRecord)) {
      if (isRecord(part.functionResponse)) {
        const fr = part.functionResponse;
        messages.push({ role: 'tool', text: toolResultText(fr.response), toolName: asString(fr.name) });
      } else if (typeof part.text === 'string' && part.thought !== true) texts.push(part.text);
    }
    if (texts.length > 0 || c.role === 'model') {
      messages.push({ role: c.role === 'model' ? 'assistant' : 'user', text: texts.join('') });
    }
  }
  return {
    provider: 'google',
    model,
    stream: path.includes(':streamGenerateContent'),
    includeUsage: true,
    messages,
    tools: asArray(b.tools)
      .flatMap((t) => asArray(asRecord(t).functionDeclarations))
      .filter(isRecord)
      .map((f) => ({ name: asString(f.name), parameters: f.parameters })),
    promptJson: JSON.stringify({
      systemInstruction: b.systemInstruction ?? null,
      contents: b.contents ?? [],
    }),
    cacheControl: 'none',
  };
}

function render(plan: Plan, ctx: RenderContext): Frame[] {
  const frames: Frame[] = [];
  const running = new RunningUsage(plan.usage);
  const responseId = ctx.responseKey;
  const withUsage = plan.usageMode !== 'none';
  const chunk = (candidate: JsonRecord | undefined, numbers: UsageNumbers, wireOverride?: unknown): void => {
    const data: JsonRecord = {};
    if (candidate) data.candidates = [{ ...candidate, index: 0 }];
    let usage: UsageReport | undefined;
    if (withUsage) {
      const wire = wireOverride ?? geminiUsage(numbers);
      data.usageMetadata = wire;
      usage = { wire, numbers, carrier: 'chunk' };
    }
    data.modelVersion = plan.model;
    data.responseId = responseId;
    frames.push({ kind: 'data', data, usage });
  };
  const part = (p: JsonRecord): JsonRecord => ({ content: { parts: [p], role: 'model' } });

  for (const event of plan.events) {
    running.add(event);
    switch (event.type) {
      case 'text':
        chunk(part({ text: event.text }), running.snapshot());
        break;
      case 'reasoning':
        chunk(part({ text: event.text, thought: true }), running.snapshot());
        break;
      case 'tool-call':
        chunk(part({ functionCall: { name: event.name, args: event.args } }), running.snapshot());
        break;
      case 'usage': {
        const numbers = running.snapshot(event.usage);
        const wire = geminiUsage(numbers);
        frames.push({
          kind: 'data',
          data: { usageMetadata: wire, modelVersion: plan.model, responseId },
          usage: { wire, numbers, carrier: 'chunk' },
        });
        break;
      }
      case 'raw':
        frames.push(rawFrame(event));
        break;
      case 'stream-error': {
        const error =
          event.kind === 'overloaded'
            ? {
                code: 503,
                message: event.message ?? 'The model is overloaded. Please try again later.',
                status: 'UNAVAILABLE',
              }
            : {
                code: 500,
                message:
                  event.message ??
                  'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
                status: 'INTERNAL',
              };
        frames.push({ kind: 'data', data: { error }, streamError: true });
        return frames;
      }
      default: {
        const frame = controlFrame(event);
        if (frame) frames.push(frame);
      }
    }
  }
  chunk(
    { ...part({ text: '' }), finishReason: plan.finish === 'length' ? 'MAX_TOKENS' : 'STOP' },
    plan.usage,
    plan.rawUsage,
  );
  return frames;
}

function renderJson(plan: Plan, ctx: RenderContext): { body: unknown; usage?: UsageReport } {
  const parts = blocksOf(plan.events).map((b) =>
    b.kind === 'text'
      ? { text: b.text }
      : b.kind === 'reasoning'
        ? { text: b.text, thought: true }
        : { functionCall: { name: b.name, args: b.args } },
  );
  const wire = plan.usageMode === 'none' ? undefined : (plan.rawUsage ?? geminiUsage(plan.usage));
  return {
    body: {
      candidates: [
        {
          content: { parts, role: 'model' },
          finishReason: plan.finish === 'length' ? 'MAX_TOKENS' : 'STOP',
          index: 0,
        },
      ],
      ...(wire === undefined ? {} : { usageMetadata: wire }),
      modelVersion: plan.model,
      responseId: ctx.responseKey,
    },
    usage: wire === undefined ? undefined : { wire, numbers: plan.usage, carrier: 'response' },
  };
}

const GOOGLE_ERRORS: Record<number, [string, string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: [
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  ],
  403: ['PERMISSION_DENIED', 'Method doesn\u2019t allow unregistered callers. Please use an API key.'],
  404: [
    'NOT_FOUND',
    'models/unknown is not found for API version v1beta, or is not supported for generateContent.',
  ],
  429: ['RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.'],
  500: [
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  ],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
};

function httpError(status: number, opts: { message?: string; retryAfter?: number | string }): HttpError {
  const [grpcStatus, message] = GOOGLE_ERRORS[status] ?? GOOGLE_ERRORS[status >= 500 ? 503 : 400]!;
  const error: JsonRecord = { code: status, message: opts.message ?? message, status: grpcStatus };
  if (status === 429) {
    error.details = [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          { quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests' },
        ],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${opts.retryAfter ?? 1}s` },
    ];
  }
  return { status, headers: retryAfterHeader(opts.retryAfter), body: { error } };
}

export const google: WireFormat = {
  provider: 'google',
  framing: 'data-crlf',
  responseId: (key) => key,
  parseRequest,
  render,
  renderJson,
  httpError,
};
