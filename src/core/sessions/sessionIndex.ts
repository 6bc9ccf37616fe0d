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
});

/** Bumped when the summary's shape changes: an index of another version is rebuilt. */
export const INDEX_VERSION = 1;

const indexSchema = z.object({ version: z.literal(INDEX_VERSION), sessions: z.array(z.unknown()) });

/** The summary of a loaded session, its numbers from derive.ts. */
export function summarize(
  loaded: LoadedSession,
  file: { rel: string; size: number; mtimeMs: number },
  importedSha256: string | null,
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
  };
}

/**
 * The cached summaries by session id. Missing, unparsable or of another version: empty (and
 * `rebuilt` says so); a single bad entry is dropped (its session is summarized again).
 */
export async function readIndex(
  path: string,
): Promise<{ entries: Map<string, SessionSummary>; whole: boolean }> {
  const entries = new Map<string, SessionSummary>();
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return { entries, whole: false };
  }
  let parsed: z.infer<typeof indexSchema>;
  try {
    parsed = indexSchema.parse(JSON.parse(text));
  } catch {
    return { entries, whole: false };
  }
  for (const raw of parsed.sessions) {
    const e = summarySchema.safeParse(raw);
    if (e.success) entries.set(e.data.sessionId, e.data);
  }
  return { entries, whole: entries.size === parsed.sessions.length };
}

/** Writes the index atomically: a temp file beside it, synced, then renamed over it. */
export async function writeIndex(path: string, sessions: readonly SessionSummary[]): Promise<void> {
  const tmp = join(dirname(path), `.index.${process.pid}.${Date.now()}.tmp`);
  const text = `${JSON.stringify({ version: INDEX_VERSION, sessions }, null, 1)}\n`;
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
