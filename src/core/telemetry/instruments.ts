/**
 * The metrics Tally exports, one request at a time, from its final recorded usage. Names follow
 * the OpenTelemetry GenAI semantic conventions where they have one (`gen_ai.client.token.usage`,
 * `gen_ai.client.operation.duration`, and with the latest-experimental opt-in the per-class
 * `gen_ai.client.inference.usage.*` counters); Tally's own counters cover the rest
 * (`tally.token.usage` per token class, `tally.cost.usage` in USD). No prompt or answer is ever
 * an attribute.
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { picoToUsd } from '../money';
import type { Usage } from '../usage/types';

/** One ended request, as the exporter reads it from the ledger. */
export interface ExportedRequest {
  sessionId: string;
  /** The `tally.workspace` value (a hash of the folder, or its name when allowed). */
  workspace: string;
  provider: string;
  model: string;
  status: 'completed' | 'interrupted' | 'failed';
  startedAt: string;
  endedAt: string | null;
  usage: Usage;
  costPico: bigint | null;
}

/** The `gen_ai.provider.name` of a Tally provider (well-known values where one applies). */
export function genAiProviderName(provider: string): string {
  switch (provider) {
    case 'openai':
    case 'openai-chat':
      return 'openai';
    case 'anthropic':
      return 'anthropic';
    case 'google':
      return 'gcp.gemini';
    default:
      return provider || 'unknown';
  }
}

/** Bucket boundaries the conventions give for token histograms. */
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** Tally's instruments on one meter. */
export class TallyInstruments {
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;
  private readonly tallyTokens: Counter;
  private readonly tallyCost: Counter;
  private readonly latest: Record<string, Counter> | null;

  constructor(meter: Meter, opts: { genAiLatest: boolean }) {
    this.tokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    });
    this.duration = meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.tallyTokens = meter.createCounter('tally.token.usage', {
      description:
        'Tokens by billing class (input_no_cache, cache_read, cache_write, output_text, reasoning).',
      unit: '{token}',
    });
    this.tallyCost = meter.createCounter('tally.cost.usage', {
      description: 'Cost of requests with a known price, in USD (requests of unknown price are not counted).',
      unit: 'USD',
    });
    this.latest = opts.genAiLatest
      ? {
          input: meter.createCounter('gen_ai.client.inference.usage.input_tokens', {
            description: 'The number of input (prompt) tokens used, including cached tokens.',
            unit: '{token}',
          }),
          output: meter.createCounter('gen_ai.client.inference.usage.output_tokens', {
            description: 'The number of output (completion) tokens used, including reasoning tokens.',
            unit: '{token}',
          }),
          cacheRead: meter.createCounter('gen_ai.client.inference.usage.cache_read.input_tokens', {
            description: 'The number of input tokens read from the cache.',
            unit: '{token}',
          }),
          cacheWrite: meter.createCounter('gen_ai.client.inference.usage.cache_write.input_tokens', {
            description: 'The number of input tokens written to the cache.',
            unit: '{token}',
          }),
          reasoning: meter.createCounter('gen_ai.client.inference.usage.reasoning.output_tokens', {
            description: 'The number of reasoning output tokens.',
            unit: '{token}',
          }),
        }
      : null;
  }

  /** Records one request; returns how many data point updates that was. */
  record(r: ExportedRequest): number {
    let points = 0;
    const genAi: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': genAiProviderName(r.provider),
      'gen_ai.request.model': r.model,
      // The ledger records the model a request was made with; it is also the answer's model here.
      'gen_ai.response.model': r.model,
      'tally.workspace': r.workspace,
    };
    const u = r.usage;
    this.tokenUsage.record(u.inputTokens, { ...genAi, 'gen_ai.token.type': 'input' });
    this.tokenUsage.record(u.outputTokens, { ...genAi, 'gen_ai.token.type': 'output' });
    points += 2;
    const start = Date.parse(r.startedAt);
    const end = r.endedAt ? Date.parse(r.endedAt) : Number.NaN;
    if (Number.isFinite(start) && Number.isFinite(end) && end >= start) {
      this.duration.record(
        (end - start) / 1000,
        r.status === 'failed' ? { ...genAi, 'error.type': '_OTHER' } : genAi,
      );
      points++;
    }
    const own: Attributes = {
      'tally.session.id': r.sessionId,
      'tally.workspace': r.workspace,
      'gen_ai.provider.name': genAiProviderName(r.provider),
      'gen_ai.request.model': r.model,
    };
    const d = u.inputTokenDetails;
    const classes: [string, number][] = [
      ['input_no_cache', d.noCacheTokens],
      ['cache_read', d.cacheReadTokens],
      ['cache_write', d.cacheWriteTokens],
      ['output_text', u.outputTokenDetails.textTokens],
      ['reasoning', u.outputTokenDetails.reasoningTokens],
    ];
    for (const [type, n] of classes) {
      if (n <= 0) continue;
      this.tallyTokens.add(n, { ...own, 'tally.token.type': type });
      points++;
    }
    if (r.costPico !== null && r.costPico > 0n) {
      this.tallyCost.add(picoToUsd(r.costPico), own);
      points++;
    }
    if (this.latest) {
      const attrs: Attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': genAiProviderName(r.provider),
        'gen_ai.token.modality': 'text',
        'gen_ai.request.model': r.model,
        'gen_ai.response.model': r.model,
        'tally.workspace': r.workspace,
      };
      const l = this.latest;
      for (const [c, n] of [
        [l.input!, u.inputTokens],
        [l.output!, u.outputTokens],
        [l.cacheRead!, d.cacheReadTokens],
        [l.cacheWrite!, d.cacheWriteTokens],
        [l.reasoning!, u.outputTokenDetails.reasoningTokens],
      ] as [Counter, number][]) {
        if (n <= 0) continue;
        c.add(n, attrs);
        points++;
      }
    }
    return points;
  }
}
