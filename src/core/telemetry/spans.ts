/**
 * Spans, one per ended turn (`invoke_agent tally`) with one child per request (`chat <model>`),
 * made from the ledger's recorded times and usage with the OpenTelemetry trace SDK, and sent with
 * its OTLP/HTTP exporter. Attributes follow the GenAI conventions (`gen_ai.usage.input_tokens`,
 * …) plus Tally's session, workspace and cost; no prompt or answer is ever an attribute.
 */
import { type Attributes, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { turnTotals } from '../ledger/derive';
import type { RequestRecord, SessionState, TurnRecord } from '../ledger/ledger';
import { picoToUsd } from '../money';
import { genAiProviderName } from './instruments';

/** Keeps ended spans until a pass sends them (nothing leaves on its own). */
class Collector implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function time(iso: string | undefined, fallback: string): Date {
  const t = Date.parse(iso ?? '');
  return new Date(Number.isFinite(t) ? t : Date.parse(fallback) || 0);
}

/** Builds and sends the spans of ended turns. */
export class TurnSpans {
  private readonly collector = new Collector();
  private readonly provider: BasicTracerProvider;

  constructor(
    resource: Record<string, string>,
    private readonly exporter: SpanExporter,
  ) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes(resource),
      spanProcessors: [this.collector],
    });
  }

  /** Adds a turn's span and its requests' spans; returns how many spans that was. */
  addTurn(s: SessionState, turn: TurnRecord, workspace: string): number {
    const tracer = this.provider.getTracer('tally');
    const own: Attributes = { 'tally.session.id': s.sessionId, 'tally.workspace': workspace };
    const totals = turnTotals(s, turn);
    const turnAttrs: Attributes = {
      ...own,
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'tally',
      'gen_ai.provider.name': genAiProviderName(s.provider),
      'gen_ai.usage.input_tokens': totals.usage.inputTokens,
      'gen_ai.usage.output_tokens': totals.usage.outputTokens,
      'tally.turn.id': turn.turnId,
      'tally.turn.index': turn.index,
      'tally.turn.status': turn.status,
      'tally.turn.requests': turn.requestIds.length,
    };
    if (totals.cost.unknownCount === 0) turnAttrs['tally.cost.usd'] = picoToUsd(totals.cost.knownPico);
    const root = tracer.startSpan('invoke_agent tally', {
      kind: SpanKind.INTERNAL,
      startTime: time(turn.startedAt, s.createdAt),
      attributes: turnAttrs,
    });
    if (turn.status === 'failed') root.setStatus({ code: SpanStatusCode.ERROR });
    const parent = trace.setSpan(context.active(), root);
    let n = 1;
    let end = time(turn.endedAt ?? turn.startedAt, s.createdAt);
    for (const id of turn.requestIds) {
      const r = s.requests.get(id);
      if (!r) continue;
      const span = tracer.startSpan(
        `chat ${r.model}`,
        {
          kind: SpanKind.CLIENT,
          startTime: time(r.startedAt, turn.startedAt),
          attributes: requestAttributes(r, own),
        },
        parent,
      );
      if (r.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: r.error ?? 'failed' });
      const rEnd = time(r.endedAt ?? r.startedAt, turn.startedAt);
      if (rEnd > end) end = rEnd;
      span.end(rEnd);
      n++;
    }
    root.end(end);
    return n;
  }

  /** Sends what was added; the error text, or null when the collector took it (or nothing was due). */
  async send(): Promise<string | null> {
    const spans = this.collector.spans;
    this.collector.spans = [];
    if (spans.length === 0) return null;
    return new Promise((resolve) => {
      this.exporter.export(spans, (r) =>
        resolve(
          r.code === ExportResultCode.SUCCESS
            ? null
            : (r.error?.message ?? 'the collector refused the spans'),
        ),
      );
    });
  }

  /** Drops what was added and not sent (a pass that failed before sending it). */
  discard(): void {
    this.collector.spans = [];
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
    await this.exporter.shutdown().catch(() => undefined);
  }
}

function requestAttributes(r: RequestRecord, own: Attributes): Attributes {
  const a: Attributes = {
    ...own,
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': genAiProviderName(r.provider),
    'gen_ai.request.model': r.model,
    'gen_ai.response.model': r.model,
    'tally.request.id': r.requestId,
    'tally.request.status': r.status,
    'tally.request.purpose': r.purpose,
  };
  const u = r.usage;
  if (u) {
    a['gen_ai.usage.input_tokens'] = u.inputTokens;
    a['gen_ai.usage.output_tokens'] = u.outputTokens;
    a['gen_ai.usage.cache_read.input_tokens'] = u.inputTokenDetails.cacheReadTokens;
    a['gen_ai.usage.cache_creation.input_tokens'] = u.inputTokenDetails.cacheWriteTokens;
    a['tally.usage.reasoning_tokens'] = u.outputTokenDetails.reasoningTokens;
    a['tally.usage.source'] = u.source;
    if (r.costPico !== null) a['tally.cost.usd'] = picoToUsd(r.costPico);
  }
  return a;
}
