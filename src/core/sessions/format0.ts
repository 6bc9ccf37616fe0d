/**
 * Format 0: the earlier version of our own log (README.md, "Format 0"). JSONL without `v`:
 * `meta`, `turn` (the end of turn N) and `usage` records, where `inputTokens` includes the cache
 * reads (`cachedInputTokens`) and cache writes. Converted to v1 events in memory on every load;
 * the file itself is never changed.
 *
 * Logs whose usage records were running totals for the session are detected (see
 * `looksCumulative`) and counted once: each turn gets one request holding the growth of the
 * totals during that turn, so the session total is exactly the last record.
 */
import { z } from 'zod';
import type { Usage } from '../usage/types';
import { type ConvertContext, type Converted, EventList, epochMsToIso, isoOr, priceOr } from './convert';

const count = z.number().int().nonnegative().max(1e12);
const ms = z.number().nonnegative().max(8.64e15);

export const format0Meta = z.object({
  type: z.literal('meta'),
  sessionId: z.string().min(1).max(200).optional(),
  title: z.string().max(500).default(''),
  model: z.string().max(200).default(''),
  provider: z.string().max(100).default(''),
  createdAt: z.union([z.string().max(64), ms]).optional(),
});

export const format0Turn = z.object({
  type: z.literal('turn'),
  turn: count,
  status: z.enum(['completed', 'interrupted', 'failed']),
  timestamp: ms.optional(),
});

export const format0Usage = z.object({
  type: z.literal('usage'),
  turn: count,
  requestId: z.string().min(1).max(200).optional(),
  model: z.string().max(200).default(''),
  inputTokens: count,
  outputTokens: count,
  totalTokens: count,
  cachedInputTokens: count.optional(),
  reasoningTokens: count.optional(),
  cacheWriteTokens: count.optional(),
  timestamp: ms.optional(),
});

export const format0Record = z.discriminatedUnion('type', [format0Meta, format0Turn, format0Usage]);

export type Format0Record = z.infer<typeof format0Record>;
export type Format0Usage = z.infer<typeof format0Usage>;
type Format0Turn = z.infer<typeof format0Turn>;

/** The `type`s of format 0: a line without `v` and with one of these is a format-0 record. */
export const FORMAT0_TYPES: ReadonlySet<string> = new Set(['meta', 'turn', 'usage']);

const FIELDS = [
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cachedInputTokens',
  'reasoningTokens',
  'cacheWriteTokens',
] as const;
type Field = (typeof FIELDS)[number];

function field(r: Format0Usage, f: Field): number {
  return r[f] ?? 0;
}

/**
 * A guess that a log's usage records were running totals for the session rather than one per
 * request: no record has a request id, there are at least 2, every record is at least the one
 * before it in every field, and at least one grew. (A log of per-request records whose prompts
 * and answers happen to grow every time looks the same, hence "approximate".)
 */
export function looksCumulative(records: readonly Format0Usage[]): boolean {
  if (records.length < 2 || records.some((r) => r.requestId !== undefined)) return false;
  let grew = false;
  for (let i = 1; i < records.length; i++) {
    const prev = records[i - 1]!;
    const cur = records[i]!;
    for (const f of FIELDS) {
      if (field(cur, f) < field(prev, f)) return false;
      if (field(cur, f) > field(prev, f)) grew = true;
    }
  }
  return grew;
}

/** Converts a format-0 log's records (in file order) into v1 events. */
export function convertFormat0(records: readonly Format0Record[], ctx: ConvertContext): Converted {
  const metas = records.filter((r): r is z.infer<typeof format0Meta> => r.type === 'meta');
  const usages = records.filter((r): r is Format0Usage => r.type === 'usage');
  const turnLines = records.filter((r): r is Format0Turn => r.type === 'turn');
  const meta = metas[0];
  // Meta records carry no timestamp (zod drops unknown keys).
  const firstTime = records.map((r) => (r as { timestamp?: number }).timestamp).find((t) => t !== undefined);
  const createdAt = isoOr(meta?.createdAt, epochMsToIso(firstTime, ctx.fallbackTime));
  const provider = meta?.provider ?? '';
  const model = meta?.model || usages[0]?.model || '';
  if (meta?.sessionId !== undefined && meta.sessionId !== ctx.sessionId) {
    ctx.problems.add(
      'legacy-mismatch',
      `the log says its session is ${meta.sessionId}; it is loaded as ${ctx.sessionId}, after its file name`,
    );
  }

  const out = new EventList(ctx.problems);
  out.push(createdAt, {
    type: 'session.created',
    sessionId: ctx.sessionId,
    title: meta?.title ?? '',
    provider,
    model,
  });
  for (const m of metas.slice(1)) {
    out.push(isoOr(m.createdAt, createdAt), { type: 'session.renamed', title: m.title });
  }

  const cumulative = looksCumulative(usages);
  let duplicates = 0;
  if (cumulative) {
    ctx.problems.add(
      'cumulative-detected',
      `the ${usages.length} usage records look like running totals for the session (no request ids, each at least ` +
        'the one before in every field): counted once, each turn holding the growth during it; numbers are approximate',
    );
    convertCumulative(usages, turnLines, provider, createdAt, ctx, out);
  } else {
    duplicates = convertPerRequest(records, provider, createdAt, ctx, out);
  }
  const requests = out.events.filter((e) => e.type === 'request.started').length;
  const turns = out.events.filter((e) => e.type === 'turn.started').length;
  return {
    events: out.events,
    approximate: cumulative,
    notes: [
      `format 0: ${turns} turns, ${requests} requests from ${usages.length} usage records` +
        (cumulative ? ' (cumulative records, counted once)' : ''),
      ...(duplicates > 0 ? [`${duplicates} repeated identical usage lines counted once`] : []),
    ],
  };
}

function convertPerRequest(
  records: readonly Format0Record[],
  provider: string,
  createdAt: string,
  ctx: ConvertContext,
  out: EventList,
): number {
  const turns = new Set<number>();
  const startTurn = (n: number, at: string): void => {
    if (turns.has(n)) return;
    turns.add(n);
    out.push(at, { type: 'turn.started', turnId: turnIdOf(n), index: n });
  };
  const seenLines = new Set<string>();
  const requests = new Set<string>();
  const perTurn = new Map<number, number>();
  let duplicates = 0;
  for (const r of records) {
    if (r.type === 'meta') continue;
    const at = epochMsToIso(r.timestamp, createdAt);
    if (r.type === 'turn') {
      startTurn(r.turn, at);
      out.push(at, { type: 'turn.ended', turnId: turnIdOf(r.turn), status: r.status });
      continue;
    }
    if (r.requestId === undefined) {
      // Without a request id, an identical repeated line is the same record written twice.
      const key = JSON.stringify(r);
      if (seenLines.has(key)) {
        duplicates++;
        continue;
      }
      seenLines.add(key);
    }
    startTurn(r.turn, at);
    const k = perTurn.get(r.turn) ?? 0;
    const requestId = r.requestId ?? `v0-${r.turn}-${k}`;
    if (r.requestId === undefined) perTurn.set(r.turn, k + 1);
    const model = r.model;
    if (!requests.has(requestId)) {
      requests.add(requestId);
      out.push(at, {
        type: 'request.started',
        requestId,
        turnId: turnIdOf(r.turn),
        provider,
        model,
        purpose: 'chat',
      });
    }
    const usage = format0ToUsage(r, ctx, `turn ${r.turn}`);
    out.push(at, {
      type: 'request.usage',
      requestId,
      usage,
      cost: priceOr(ctx, usage, model, provider),
      final: true,
    });
    out.push(at, { type: 'request.ended', requestId, status: 'completed' });
  }
  return duplicates;
}

function convertCumulative(
  usages: readonly Format0Usage[],
  turnLines: readonly Format0Turn[],
  provider: string,
  createdAt: string,
  ctx: ConvertContext,
  out: EventList,
): void {
  interface Growth {
    delta: Record<Field, number>;
    model: string;
    at: string;
    through: Format0Usage;
  }
  const growth = new Map<number, Growth>();
  let prev: Format0Usage | undefined;
  for (const r of usages) {
    const g = growth.get(r.turn) ?? {
      delta: Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<Field, number>,
      model: r.model,
      at: createdAt,
      through: r,
    };
    for (const f of FIELDS) g.delta[f] += field(r, f) - (prev ? field(prev, f) : 0);
    g.model = r.model;
    g.at = epochMsToIso(r.timestamp, g.at);
    g.through = r;
    growth.set(r.turn, g);
    prev = r;
  }
  const ends = new Map(turnLines.map((t) => [t.turn, t]));
  const turnNumbers = [...new Set([...growth.keys(), ...ends.keys()])].sort((a, b) => a - b);
  for (const n of turnNumbers) {
    const g = growth.get(n);
    const end = ends.get(n);
    const at = g?.at ?? epochMsToIso(end?.timestamp, createdAt);
    out.push(at, { type: 'turn.started', turnId: turnIdOf(n), index: n });
    if (g && FIELDS.some((f) => g.delta[f] > 0)) {
      const requestId = `v0-cumulative-${n}`;
      const record: Format0Usage = { ...g.through, ...g.delta };
      const usage = format0ToUsage(record, ctx, null);
      usage.raw = { cumulative: true, through: g.through };
      out.push(at, {
        type: 'request.started',
        requestId,
        turnId: turnIdOf(n),
        provider,
        model: g.model,
        purpose: 'chat',
      });
      out.push(at, {
        type: 'request.usage',
        requestId,
        usage,
        cost: priceOr(ctx, usage, g.model, provider),
        final: true,
      });
      out.push(at, { type: 'request.ended', requestId, status: 'completed' });
    }
    if (end)
      out.push(epochMsToIso(end.timestamp, at), {
        type: 'turn.ended',
        turnId: turnIdOf(n),
        status: end.status,
      });
  }
}

function turnIdOf(n: number): string {
  return `turn-${n}`;
}

/**
 * A format-0 record as normalized usage (`provider` source). Cache reads and writes are part of
 * `inputTokens`; reasoning is part of `outputTokens`. Totals are kept as recorded; where the
 * parts do not fit (and `where` is given), the mismatch is reported.
 */
export function format0ToUsage(r: Format0Usage, ctx: ConvertContext, where: string | null): Usage {
  const cacheRead = r.cachedInputTokens ?? 0;
  const cacheWrite = r.cacheWriteTokens ?? 0;
  const reasoning = r.reasoningTokens ?? 0;
  const report = (msg: string) => where !== null && ctx.problems.add('legacy-mismatch', `${where}: ${msg}`);
  let noCache = r.inputTokens - cacheRead - cacheWrite;
  if (noCache < 0) {
    report(`cache tokens (${cacheRead} read + ${cacheWrite} written) exceed inputTokens ${r.inputTokens}`);
    noCache = 0;
  }
  let text = r.outputTokens - reasoning;
  if (text < 0) {
    report(`reasoningTokens ${reasoning} exceed outputTokens ${r.outputTokens}`);
    text = 0;
  }
  if (r.totalTokens !== r.inputTokens + r.outputTokens) {
    report(
      `totalTokens ${r.totalTokens} is not inputTokens + outputTokens (${r.inputTokens + r.outputTokens}); kept`,
    );
  }
  return {
    inputTokens: r.inputTokens,
    inputTokenDetails: { noCacheTokens: noCache, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite },
    outputTokens: r.outputTokens,
    outputTokenDetails: { textTokens: text, reasoningTokens: reasoning },
    totalTokens: r.totalTokens,
    source: 'provider',
    raw: r,
  };
}
