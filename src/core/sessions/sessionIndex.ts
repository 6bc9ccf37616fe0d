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
 * Spending rows as stored in the index: the (provider, model) pairs once, then the rows as one
 * base64 string of unsigned LEB128 varints, `ROW_FIELDS` per row (the start as a delta from the
 * previous row's, the cost as two 32-bit halves so it stays exact). A tenth of the size of JSON
 * arrays, and decoded without JSON.parse: a 100,000-turn report reads it in milliseconds.
 */
export interface EncodedSpend {
  keys: [provider: string, model: string][];
  rows: string;
}

const ROW_FIELDS = 19;
const SOURCES = ['provider', 'legacy', 'estimated'] as const;
const TWO32 = 4_294_967_296;
const TWO32N = 4_294_967_296n;

/** A growing byte buffer of unsigned LEB128 varints. */
class VarintWriter {
  private buf = new Uint8Array(1024);
  private len = 0;

  push(n: number): void {
    if (this.len + 10 > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    while (n >= 128) {
      this.buf[this.len++] = (n % 128) + 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }

  base64(): string {
    return Buffer.from(this.buf.buffer, 0, this.len).toString('base64');
  }
}

/** Encodes spending rows for the index. */
export function encodeSpend(rows: readonly SpendRow[]): EncodedSpend {
  const keys: [string, string][] = [];
  const keyIndex = new Map<string, number>();
  const w = new VarintWriter();
  let prevStart = 0;
  for (const r of rows) {
    const k = `${r.provider}\u0000${r.model}`;
    let ki = keyIndex.get(k);
    if (ki === undefined) {
      ki = keys.length;
      keys.push([r.provider, r.model]);
      keyIndex.set(k, ki);
    }
    const u = r.usage;
    // Starts are zigzag-encoded deltas (rows are in session order, nearly always ascending).
    const delta = r.start - prevStart;
    prevStart = r.start;
    w.push(delta >= 0 ? delta * 2 : -delta * 2 - 1);
    w.push(ki);
    w.push(r.turns);
    w.push(r.requests);
    w.push(r.pricedRequests);
    w.push(r.unknownCostRequests);
    w.push(r.unknownCostTokens);
    w.push(u.inputTokens);
    w.push(u.inputTokenDetails.noCacheTokens);
    w.push(u.inputTokenDetails.cacheReadTokens);
    w.push(u.inputTokenDetails.cacheWriteTokens);
    w.push(u.inputTokenDetails.cacheWrite1hTokens ?? 0);
    w.push(u.outputTokens);
    w.push(u.outputTokenDetails.textTokens);
    w.push(u.outputTokenDetails.reasoningTokens);
    w.push(u.totalTokens);
    w.push(SOURCES.indexOf(u.source));
    // The cost as two 32-bit halves: exact for any amount below 2^64 pico-dollars ($18 million).
    const cost = r.costPico;
    w.push(cost < TWO32N ? 0 : Number(cost / TWO32N));
    w.push(cost < TWO32N ? Number(cost) : Number(cost % TWO32N));
  }
  return { keys, rows: w.base64() };
}

/** Walks the varints of encoded rows: `visit` gets each row's fields (reused array) and its start. */
function scanSpend(e: EncodedSpend, visit: (f: number[], start: number) => void): void {
  const b = Buffer.from(e.rows, 'base64');
  const f = new Array<number>(ROW_FIELDS);
  let i = 0;
  let start = 0;
  while (i < b.length) {
    for (let k = 0; k < ROW_FIELDS; k++) {
      let n = 0;
      let mul = 1;
      for (;;) {
        if (i >= b.length) throw new RangeError('truncated spending row');
        const byte = b[i++]!;
        n += (byte & 127) * mul;
        if (byte < 128) break;
        mul *= 128;
        if (mul > 2 ** 56) throw new RangeError('bad varint in a spending row');
      }
      f[k] = n;
    }
    const z = f[0]!;
    start += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    visit(f, start);
  }
}

/**
 * Decodes the index's spending rows into objects of the caller's shape in one pass: `extra`'s
 * fields are copied into each row (the session it belongs to), so no intermediate row is made.
 */
export function forEachSpendRow<X extends object>(
  e: EncodedSpend,
  extra: X,
  push: (r: SpendRow & X) => void,
): void {
  scanSpend(e, (f, start) => {
    const key = e.keys[f[1]!]!;
    push({
      start,
      provider: key[0],
      model: key[1],
      turns: f[2]!,
      requests: f[3]!,
      pricedRequests: f[4]!,
      unknownCostRequests: f[5]!,
      unknownCostTokens: f[6]!,
      usage: {
        inputTokens: f[7]!,
        inputTokenDetails: {
          noCacheTokens: f[8]!,
          cacheReadTokens: f[9]!,
          cacheWriteTokens: f[10]!,
          cacheWrite1hTokens: f[11]!,
        },
        outputTokens: f[12]!,
        outputTokenDetails: { textTokens: f[13]!, reasoningTokens: f[14]! },
        totalTokens: f[15]!,
        source: SOURCES[f[16]!]!,
      },
      costPico: f[17] === 0 ? BigInt(f[18]!) : BigInt(f[17]!) * TWO32N + BigInt(f[18]!),
      ...extra,
    });
  });
}

/** Decodes the index's spending rows. */
export function decodeSpend(e: EncodedSpend): SpendRow[] {
  const out: SpendRow[] = [];
  forEachSpendRow(e, {}, (r) => out.push(r));
  return out;
}

/** Checks an index entry's spending rows: keys, and rows that decode whole. */
function validSpend(v: unknown): v is EncodedSpend {
  if (typeof v !== 'object' || v === null) return false;
  const { keys, rows } = v as { keys?: unknown; rows?: unknown };
  if (!Array.isArray(keys) || typeof rows !== 'string') return false;
  for (const k of keys) {
    if (!Array.isArray(k) || k.length !== 2 || typeof k[0] !== 'string' || typeof k[1] !== 'string')
      return false;
  }
  try {
    const keyCount = keys.length;
    scanSpend(v as EncodedSpend, (f) => {
      if (f[1]! >= keyCount || f[16]! >= SOURCES.length || f[18]! >= TWO32)
        throw new RangeError('bad spending row');
    });
    return true;
  } catch {
    return false;
  }
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
