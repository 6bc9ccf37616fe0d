/**
 * The session index, `<storage>/index.json`: one summary per session so the list is fast. It is
 * a cache: an entry is rebuilt when its file's size or mtime changed, the whole index when it is
 * missing or does not parse, and it is written (atomically: temp file + rename) by
 * `SessionStore.list`, never by an append. The numbers come from `derive.ts`.
 */
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { contextWindow, sessionTotals } from '../ledger/derive';
import { type SpendRow, spendRows } from '../ledger/spendRows';
import type { UsageTotals } from '../usage/types';
import type { LoadedSession, SessionFormat } from './reader';

/** What the session list shows for one session. */
export interface SessionSummary {
  sessionId: string;
  title: string;
  provider: string;
  model: string;
  createdAt: string;
  updatedAt: string;
  turns: number;
  requests: number;
  /** Session usage (sum of every request's latest snapshot). */
  usage: UsageTotals;
  /** Sum of the known request costs, pico-dollars as a decimal string. */
  costPico: string;
  /** Requests with usage but no known price (the cost is then partly unknown, never $0). */
  unknownCostRequests: number;
  /** Context window used by the latest conversation request, and that request's model. */
  contextTokens: number;
  contextModel: string | null;
  approximate: boolean;
  readOnly: boolean;
  format: SessionFormat;
  /** How many problems loading its file found (the session's `load` lists them). */
  problems: number;
  /** The content hash of the file it was imported from, if any (for idempotent import). */
  importedSha256: string | null;
  /** The file, relative to the storage folder, and its size and mtime when summarized. */
  file: string;
  size: number;
  mtimeMs: number;
  /** Deleted sessions kept as a tombstone in `sessions/trash/`: when it was deleted; null otherwise. */
  deletedAt: string | null;
  /** The spending rows (`spendRows`), encoded compactly: `decodeSpend` turns them back. */
  spend: EncodedSpend;
}

/**
 * Spending rows as stored in the index: the (provider, model) pairs once, then one array of
 * numbers per row (see `ROW_FIELDS`); the cost is a number while it is a safe integer, else a
 * decimal string, so it stays exact.
 */
export interface EncodedSpend {
  keys: [provider: string, model: string][];
  rows: (number | string)[][];
}

/** The order of a stored row's fields. */
const ROW_FIELDS = 18;
const SOURCES = ['provider', 'legacy', 'estimated'] as const;

/** Encodes spending rows for the index. */
export function encodeSpend(rows: readonly SpendRow[]): EncodedSpend {
  const keys: [string, string][] = [];
  const keyIndex = new Map<string, number>();
  const out: (number | string)[][] = [];
  for (const r of rows) {
    const k = `${r.provider}\u0000${r.model}`;
    let ki = keyIndex.get(k);
    if (ki === undefined) {
      ki = keys.length;
      keys.push([r.provider, r.model]);
      keyIndex.set(k, ki);
    }
    const u = r.usage;
    const cost = r.costPico <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r.costPico) : r.costPico.toString();
    out.push([
      r.start,
      ki,
      r.turns,
      r.requests,
      r.pricedRequests,
      r.unknownCostRequests,
      r.unknownCostTokens,
      u.inputTokens,
      u.inputTokenDetails.noCacheTokens,
      u.inputTokenDetails.cacheReadTokens,
      u.inputTokenDetails.cacheWriteTokens,
      u.inputTokenDetails.cacheWrite1hTokens ?? 0,
      u.outputTokens,
      u.outputTokenDetails.textTokens,
      u.outputTokenDetails.reasoningTokens,
      u.totalTokens,
      SOURCES.indexOf(u.source),
      cost,
    ]);
  }
  return { keys, rows: out };
}

/** Decodes the index's spending rows (validated when the index was read). */
export function decodeSpend(e: EncodedSpend): SpendRow[] {
  const out: SpendRow[] = new Array(e.rows.length);
  for (let i = 0; i < e.rows.length; i++) {
    const r = e.rows[i] as number[];
    const [provider, model] = e.keys[r[1]!]!;
    const cost = r[17] as number | string;
    out[i] = {
      start: r[0]!,
      provider,
      model,
      turns: r[2]!,
      requests: r[3]!,
      pricedRequests: r[4]!,
      unknownCostRequests: r[5]!,
      unknownCostTokens: r[6]!,
      usage: {
        inputTokens: r[7]!,
        inputTokenDetails: {
          noCacheTokens: r[8]!,
          cacheReadTokens: r[9]!,
          cacheWriteTokens: r[10]!,
          cacheWrite1hTokens: r[11]!,
        },
        outputTokens: r[12]!,
        outputTokenDetails: { textTokens: r[13]!, reasoningTokens: r[14]! },
        totalTokens: r[15]!,
        source: SOURCES[r[16]!]!,
      },
      costPico: BigInt(cost),
    };
  }
  return out;
}

/** Checks an index entry's spending rows by hand (zod is too slow for 100,000 rows). */
function validSpend(v: unknown): v is EncodedSpend {
  if (typeof v !== 'object' || v === null) return false;
  const { keys, rows } = v as { keys?: unknown; rows?: unknown };
  if (!Array.isArray(keys) || !Array.isArray(rows)) return false;
  for (const k of keys) {
    if (!Array.isArray(k) || k.length !== 2 || typeof k[0] !== 'string' || typeof k[1] !== 'string')
      return false;
  }
  for (const r of rows) {
    if (!Array.isArray(r) || r.length !== ROW_FIELDS) return false;
    for (let i = 0; i < ROW_FIELDS - 1; i++) {
      const n = r[i];
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || (n < 0 && i !== 0)) return false;
    }
    if ((r[1] as number) >= keys.length || (r[16] as number) >= SOURCES.length) return false;
    const c = r[17];
    if (typeof c === 'number' ? !Number.isSafeInteger(c) || c < 0 : !/^\d{1,40}$/.test(String(c)))
      return false;
  }
  return true;
}

const count = z.number().int().nonnegative();

const summarySchema = z.object({
  sessionId: z.string(),
  title: z.string(),
  provider: z.string(),
  model: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  turns: count,
  requests: count,
  usage: z.object({
    inputTokens: count,
    inputTokenDetails: z.object({
      noCacheTokens: count,
      cacheReadTokens: count,
      cacheWriteTokens: count,
      cacheWrite1hTokens: count.optional(),
    }),
    outputTokens: count,
    outputTokenDetails: z.object({ textTokens: count, reasoningTokens: count }),
    totalTokens: count,
    source: z.enum(['provider', 'estimated', 'legacy']),
  }),
  costPico: z.string().regex(/^\d{1,40}$/),
  unknownCostRequests: count,
  contextTokens: count,
  contextModel: z.string().nullable(),
  approximate: z.boolean(),
  readOnly: z.boolean(),
  format: z.enum(['v1', 'v0', 'message-history']),
  problems: count,
  importedSha256: z.string().nullable(),
  file: z.string(),
  size: count,
  mtimeMs: z.number().nonnegative(),
  deletedAt: z.string().nullable(),
  spend: z.custom<EncodedSpend>(validSpend),
});

/** Bumped when the summary's shape changes: an index of another version is rebuilt. */
export const INDEX_VERSION = 2;

const indexSchema = z.object({
  version: z.literal(INDEX_VERSION),
  sessions: z.array(z.unknown()),
  /** Tombstones of deleted sessions (their spending still counts in reports). */
  trash: z.array(z.unknown()).optional(),
});

/** The summary of a loaded session, its numbers from derive.ts. */
export function summarize(
  loaded: LoadedSession,
  file: { rel: string; size: number; mtimeMs: number },
  importedSha256: string | null,
  deletedAt: string | null = null,
): SessionSummary {
  const s = loaded.state;
  const totals = sessionTotals(s);
  const window = contextWindow(s, null);
  return {
    sessionId: s.sessionId,
    title: s.title,
    provider: s.provider,
    model: s.model,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt || s.createdAt,
    turns: s.turns.length,
    requests: s.requests.size,
    usage: totals.usage,
    costPico: totals.cost.knownPico.toString(),
    unknownCostRequests: totals.cost.unknownCount,
    contextTokens: window.usedTokens,
    contextModel: window.requestId === null ? null : (s.requests.get(window.requestId)?.model ?? null),
    approximate: s.approximate,
    readOnly: loaded.readOnly,
    format: loaded.format,
    problems: loaded.problems.length,
    importedSha256: importedSha256 ?? s.importedFrom?.sha256 ?? null,
    file: file.rel,
    size: file.size,
    mtimeMs: file.mtimeMs,
    deletedAt,
    spend: encodeSpend(spendRows(s)),
  };
}

/**
 * The cached summaries by session id, and the tombstones of deleted sessions by file. Missing,
 * unparsable or of another version: empty (and `whole` is false); a single bad entry is dropped
 * (its session is summarized again).
 */
export async function readIndex(path: string): Promise<{
  entries: Map<string, SessionSummary>;
  trash: Map<string, SessionSummary>;
  whole: boolean;
}> {
  const entries = new Map<string, SessionSummary>();
  const trash = new Map<string, SessionSummary>();
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return { entries, trash, whole: false };
  }
  let parsed: z.infer<typeof indexSchema>;
  try {
    parsed = indexSchema.parse(JSON.parse(text));
  } catch {
    return { entries, trash, whole: false };
  }
  for (const raw of parsed.sessions) {
    const e = summarySchema.safeParse(raw);
    if (e.success) entries.set(e.data.sessionId, e.data);
  }
  for (const raw of parsed.trash ?? []) {
    const e = summarySchema.safeParse(raw);
    if (e.success) trash.set(e.data.file, e.data);
  }
  return {
    entries,
    trash,
    whole: entries.size === parsed.sessions.length && trash.size === (parsed.trash ?? []).length,
  };
}

/**
 * Writes the index atomically: a temp file beside it, synced, then renamed over it. One session
 * a line: readable, and compact for the thousands of spending rows it may hold.
 */
export async function writeIndex(
  path: string,
  sessions: readonly SessionSummary[],
  trash: readonly SessionSummary[] = [],
): Promise<void> {
  const tmp = join(dirname(path), `.index.${process.pid}.${Date.now()}.tmp`);
  const lines = (list: readonly SessionSummary[]) => list.map((x) => JSON.stringify(x)).join(',\n');
  const text = `{"version":${INDEX_VERSION},\n"sessions":[\n${lines(sessions)}\n],\n"trash":[\n${lines(trash)}\n]}\n`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
