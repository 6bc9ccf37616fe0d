/**
 * An older tool's whole-file `message-history-<sessionId>.json` (DESIGN.md, "Formats read"),
 * converted to v1 events in memory. The rules:
 *
 * - Each `tokenUsage` entry is one turn (its `stepIndex` is the turn's index) holding one request
 *   whose usage source is `legacy`. Two entries with one `stepIndex` are snapshots of that turn:
 *   the last one counts.
 * - `inputTokens`, `outputTokens` and `totalTokens` are kept as recorded even where the details
 *   do not add up to them (that tool counted cache writes outside `inputTokens`); every
 *   disagreement is reported.
 * - `estimatedCost` is the turn's cost, basis `legacy`, exact to the pico; without it the price
 *   callback is used if there is one, else the cost is unknown.
 * - No `tokenUsage`: the messages load with no usage at all (no turns, no zeros).
 * - `timestamp` is epoch ms, or a small `performance.now()` value: then `updatedAt` is used.
 */
import { z } from 'zod';
import { usdToPico } from '../money';
import type { Usage } from '../usage/types';
import {
  type ConvertContext,
  type Converted,
  EventList,
  epochMsToIso,
  isoOr,
  priceOr,
  zodSummary,
} from './convert';
import type { Cost } from './events';

const count = z.number().int().nonnegative().max(1e12);

const fileSchema = z.object({
  sessionId: z.string().optional().catch(undefined),
  modelId: z.string().optional().catch(undefined),
  title: z.string().optional().catch(undefined),
  createdAt: z.unknown().optional(),
  updatedAt: z.unknown().optional(),
  messages: z.array(z.unknown()).optional().catch(undefined),
  tokenUsage: z.array(z.unknown()).optional().catch(undefined),
});

const entrySchema = z.object({
  stepIndex: count.optional(),
  inputTokens: count,
  outputTokens: count,
  totalTokens: count.optional(),
  cachedInputTokens: count.optional(),
  reasoningTokens: count.optional(),
  inputTokenDetails: z
    .object({
      noCacheTokens: count.optional(),
      cacheReadTokens: count.optional(),
      cacheWriteTokens: count.optional(),
    })
    .optional(),
  outputTokenDetails: z
    .object({ textTokens: count.optional(), reasoningTokens: count.optional() })
    .optional(),
  timestamp: z.number().optional(),
  estimatedCost: z.number().optional(),
});
type Entry = z.infer<typeof entrySchema>;

const messageSchema = z
  .object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.unknown() })
  .passthrough();
type Message = z.infer<typeof messageSchema>;

/** Whether a parsed JSON value has the shape of a message history at all. */
export function isMessageHistory(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  return Array.isArray(o.messages) || Array.isArray(o.tokenUsage);
}

const PROVIDER = '';

/** Converts a parsed message-history file into v1 events. Call `isMessageHistory` first. */
export function convertMessageHistory(json: unknown, ctx: ConvertContext): Converted {
  const file = fileSchema.parse(json);
  const createdAt = isoOr(file.createdAt, ctx.fallbackTime);
  const updatedAt = isoOr(file.updatedAt, createdAt);
  const model = (file.modelId ?? '').slice(0, 200);
  if (file.sessionId !== undefined && file.sessionId !== ctx.sessionId) {
    ctx.problems.add(
      'legacy-mismatch',
      `the file says its session is ${file.sessionId}; it is loaded as ${ctx.sessionId}, after its file name`,
    );
  }

  const messages: Message[] = [];
  (file.messages ?? []).forEach((m, i) => {
    const parsed = messageSchema.safeParse(m);
    if (parsed.success) messages.push(parsed.data);
    else ctx.problems.add('bad-line', `messages[${i}] skipped: ${zodSummary(parsed.error)}`);
  });

  // One turn per stepIndex, in order of first appearance; a repeated stepIndex replaces.
  const turns = new Map<number, { entry: Entry; raw: unknown }>();
  (file.tokenUsage ?? []).forEach((raw, i) => {
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      ctx.problems.add('bad-line', `tokenUsage[${i}] skipped: ${zodSummary(parsed.error)}`);
      return;
    }
    const step = parsed.data.stepIndex ?? i;
    if (turns.has(step)) {
      ctx.problems.add(
        'legacy-mismatch',
        `tokenUsage has more than one entry for turn ${step}; the last one counts`,
      );
    }
    turns.set(step, { entry: parsed.data, raw });
  });

  const out = new EventList(ctx.problems);
  const title = (file.title ?? firstUserText(messages) ?? '').slice(0, 500);
  out.push(createdAt, {
    type: 'session.created',
    sessionId: ctx.sessionId,
    title,
    provider: PROVIDER,
    model,
  });

  // Messages: those before the first user message belong to the session; the k-th user
  // message opens the k-th turn, and what follows it belongs to that turn.
  const byTurn: Message[][] = [[]];
  for (const m of messages) {
    if (m.role === 'user') byTurn.push([]);
    byTurn[byTurn.length - 1]!.push(m);
  }
  const sessionMessages = byTurn[0]!;
  const turnMessages = byTurn.slice(1);
  for (const m of sessionMessages) out.push(createdAt, { type: 'message', message: m });

  let k = 0;
  for (const [step, { entry, raw }] of turns) {
    const at = epochMsToIso(entry.timestamp, updatedAt);
    const turnId = `turn-${step}`;
    const requestId = `legacy-${step}`;
    out.push(at, { type: 'turn.started', turnId, index: step });
    for (const m of turnMessages[k] ?? []) out.push(at, { type: 'message', turnId, message: m });
    k++;
    const usage = legacyUsage(entry, raw, ctx, `turn ${step}`);
    out.push(at, { type: 'request.started', requestId, turnId, provider: PROVIDER, model, purpose: 'chat' });
    out.push(at, {
      type: 'request.usage',
      requestId,
      usage,
      cost: legacyCost(entry, usage, model, ctx),
      final: true,
    });
    out.push(at, { type: 'request.ended', requestId, status: 'completed' });
    out.push(at, { type: 'turn.ended', turnId, status: 'completed' });
  }
  // User messages beyond the recorded turns (or all of them, without tokenUsage): no usage.
  for (const ms of turnMessages.slice(k))
    for (const m of ms) out.push(updatedAt, { type: 'message', message: m });

  const notes = [
    turns.size > 0
      ? `message history: ${turns.size} turns with legacy usage, ${messages.length} messages`
      : `message history without tokenUsage: ${messages.length} messages, no usage recorded`,
  ];
  return { events: out.events, approximate: false, notes };
}

function firstUserText(messages: readonly Message[]): string | undefined {
  const m = messages.find((x) => x.role === 'user' && typeof x.content === 'string');
  if (!m) return undefined;
  const text = (m.content as string).replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/**
 * A tokenUsage entry as normalized usage, source `legacy`, its totals as recorded. Where the
 * details and the totals disagree, says so (and keeps both).
 */
function legacyUsage(e: Entry, raw: unknown, ctx: ConvertContext, where: string): Usage {
  const report = (msg: string) => ctx.problems.add('legacy-mismatch', `${where}: ${msg}`);
  const totalTokens = e.totalTokens ?? e.inputTokens + e.outputTokens;
  if (e.totalTokens === undefined)
    report(`no totalTokens; taken as inputTokens + outputTokens (${totalTokens})`);
  const d = e.inputTokenDetails ?? {};
  const cacheRead = d.cacheReadTokens ?? e.cachedInputTokens ?? 0;
  const cacheWrite = d.cacheWriteTokens ?? 0;
  const noCache = d.noCacheTokens ?? Math.max(0, e.inputTokens - cacheRead);
  const o = e.outputTokenDetails ?? {};
  const reasoning = o.reasoningTokens ?? e.reasoningTokens ?? 0;
  const text = o.textTokens ?? Math.max(0, e.outputTokens - reasoning);

  const inputSum = noCache + cacheRead + cacheWrite;
  if (inputSum !== e.inputTokens) {
    report(
      `input details add up to ${inputSum} (${noCache} plain + ${cacheRead} cache read + ${cacheWrite} cache write) ` +
        `but inputTokens is ${e.inputTokens}; kept as recorded`,
    );
  }
  if (text + reasoning !== e.outputTokens) {
    report(
      `output details add up to ${text + reasoning} but outputTokens is ${e.outputTokens}; kept as recorded`,
    );
  }
  if (e.inputTokens + e.outputTokens !== totalTokens) {
    report(
      `inputTokens + outputTokens is ${e.inputTokens + e.outputTokens} but totalTokens is ${totalTokens}; kept`,
    );
  }
  if (
    e.cachedInputTokens !== undefined &&
    d.cacheReadTokens !== undefined &&
    e.cachedInputTokens !== d.cacheReadTokens
  ) {
    report(
      `cachedInputTokens ${e.cachedInputTokens} and cacheReadTokens ${d.cacheReadTokens} disagree; the latter kept`,
    );
  }
  if (
    e.reasoningTokens !== undefined &&
    o.reasoningTokens !== undefined &&
    e.reasoningTokens !== o.reasoningTokens
  ) {
    report(
      `reasoningTokens ${e.reasoningTokens} and outputTokenDetails ${o.reasoningTokens} disagree; the latter kept`,
    );
  }
  return {
    inputTokens: e.inputTokens,
    inputTokenDetails: { noCacheTokens: noCache, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite },
    outputTokens: e.outputTokens,
    outputTokenDetails: { textTokens: text, reasoningTokens: reasoning },
    totalTokens,
    source: 'legacy',
    raw,
  };
}

/** `estimatedCost` (USD float) exactly as pico-dollars, basis `legacy`; not re-priced. */
function legacyCost(e: Entry, usage: Usage, model: string, ctx: ConvertContext): Cost {
  const usd = e.estimatedCost;
  if (usd === undefined) return priceOr(ctx, usage, model, PROVIDER);
  // (zod's number is finite already)
  if (usd < 0 || usd > 1e9) {
    ctx.problems.add('legacy-mismatch', `estimatedCost ${usd} is not an amount; cost unknown`);
    return { pico: null, basis: 'unknown' };
  }
  return { pico: usdToPico(usd).toString(), basis: 'legacy' };
}
