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
import { bucketedSpendRows, SPEND_BUCKET_MS, type SpendRow } from '../ledger/spendRows';
import type { UsageTotals } from '../usage/types';
import { readRegularFile, writeDurably } from './durableFile';
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
  /**
   * The spending rows (`spendRows`) summed per provider, model and UTC quarter-hour
   * (`bucketRows`), encoded compactly: `decodeSpend` turns them back.
   */
  spend: EncodedSpend;
}

/**
 * Spending rows as stored in the index: the (provider, model) pairs once, then the rows as one
 * base64 string of fixed-width little-endian 32-bit fields, `ROW_FIELDS` per row (the start and
 * the cost each as two halves, so they stay exact). A session with a count that does not fit 32
 * bits is stored `wide` (64-bit floats, exact up to 2^53). Decoding is a typed-array view, no
 * parsing: a 100,000-turn report reads its rows in milliseconds.
 */
export interface EncodedSpend {
  keys: [provider: string, model: string][];
  rows: string;
  wide?: boolean;
  /** The rows are sums per UTC time bucket of this many ms (`bucketRows`); absent: one per turn. */
  bucket?: number;
}

const ROW_FIELDS = 20;
const SOURCES = ['provider', 'legacy', 'estimated'] as const;
const TWO32 = 4_294_967_296;
const TWO32N = 4_294_967_296n;
/** Added to starts so that times before 1970 stay positive (any year after −2400 fits). */
const START_OFFSET = 2 ** 47;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Writes row `r`'s fields at `o` of `f`. */
function putRow(f: Float64Array, o: number, r: SpendRow, ki: number): void {
  const u = r.usage;
  const d = u.inputTokenDetails;
  const start = r.start + START_OFFSET;
  const cost = r.costPico;
  f[o] = Math.floor(start / TWO32);
  f[o + 1] = start % TWO32;
  f[o + 2] = ki;
  f[o + 3] = r.turns;
  f[o + 4] = r.requests;
  f[o + 5] = r.pricedRequests;
  f[o + 6] = r.unknownCostRequests;
  f[o + 7] = r.unknownCostTokens;
  f[o + 8] = u.inputTokens;
  f[o + 9] = d.noCacheTokens;
  f[o + 10] = d.cacheReadTokens;
  f[o + 11] = d.cacheWriteTokens;
  f[o + 12] = d.cacheWrite1hTokens ?? 0;
  f[o + 13] = u.outputTokens;
  f[o + 14] = u.outputTokenDetails.textTokens;
  f[o + 15] = u.outputTokenDetails.reasoningTokens;
  f[o + 16] = u.totalTokens;
  f[o + 17] = SOURCES.indexOf(u.source);
  f[o + 18] = Number(cost / TWO32N);
  f[o + 19] = Number(cost % TWO32N);
}

/** Encodes spending rows for the index (`bucket`: they are `bucketRows` of that width). */
export function encodeSpend(rows: readonly SpendRow[], bucket?: number): EncodedSpend {
  const keys: [string, string][] = [];
  const keyIndex = new Map<string, number>();
  const values = new Float64Array(rows.length * ROW_FIELDS);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const k = `${r.provider}\u0000${r.model}`;
    let ki = keyIndex.get(k);
    if (ki === undefined) {
      ki = keys.length;
      keys.push([own(r.provider), own(r.model)]);
      keyIndex.set(k, ki);
    }
    putRow(values, i * ROW_FIELDS, r, ki);
  }
  // 32-bit fields when every value fits (the common case), else the 64-bit floats themselves.
  let wide = false;
  for (const v of values) {
    if (!(v >= 0 && v < TWO32 && Number.isInteger(v))) {
      wide = true;
      break;
    }
  }
  return {
    keys,
    rows: fieldsToBytes(wide ? values : new Uint32Array(values)).toString('base64'),
    ...(wide ? { wide: true } : {}),
    ...(bucket === undefined ? {} : { bucket }),
  };
}

/**
 * The fields as the index stores them, little-endian. On a little-endian machine (`littleEndian`,
 * the default: this one's) that is the fields' own memory, not copied; otherwise each field is
 * written out.
 */
export function fieldsToBytes(fields: Uint32Array | Float64Array, littleEndian = LITTLE_ENDIAN): Buffer {
  if (littleEndian) return Buffer.from(fields.buffer, fields.byteOffset, fields.byteLength);
  const bytes = Buffer.alloc(fields.byteLength);
  const wide = fields instanceof Float64Array;
  for (let i = 0; i < fields.length; i++) {
    if (wide) bytes.writeDoubleLE(fields[i]!, i * 8);
    else bytes.writeUInt32LE(fields[i]!, i * 4);
  }
  return bytes;
}

/**
 * The fields of little-endian bytes (`wide`: 64-bit floats, else 32-bit counts), whole fields
 * only. Viewed where they are when the machine is little-endian and they are aligned (always, in
 * practice: a decoded buffer is either in Node's 8-byte aligned pool or its own memory); else each
 * field is read out, correct on any machine and any alignment.
 */
export function bytesToFields(
  bytes: Buffer,
  wide: boolean,
  littleEndian = LITTLE_ENDIAN,
): Uint32Array | Float64Array {
  const width = wide ? 8 : 4;
  const n = bytes.length / width;
  if (littleEndian && bytes.byteOffset % width === 0) {
    return wide
      ? new Float64Array(bytes.buffer, bytes.byteOffset, n)
      : new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  }
  const out = wide ? new Float64Array(n) : new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = wide ? bytes.readDoubleLE(i * 8) : bytes.readUInt32LE(i * 4);
  return out;
}

/** The decoded fields of encoded rows (memoized: validation and reading decode once). */
const decoded = new WeakMap<EncodedSpend, Uint32Array | Float64Array>();

function fieldsOf(e: EncodedSpend): Uint32Array | Float64Array {
  const hit = decoded.get(e);
  if (hit) return hit;
  const bytes = Buffer.from(e.rows, 'base64');
  const wide = e.wide === true;
  if (bytes.length % ((wide ? 8 : 4) * ROW_FIELDS) !== 0) throw new RangeError('truncated spending rows');
  const out = bytesToFields(bytes, wide);
  decoded.set(e, out);
  return out;
}

function fill(row: SpendRow, f: Uint32Array | Float64Array, o: number, e: EncodedSpend): void {
  const key = e.keys[f[o + 2]!]!;
  const u = row.usage;
  row.start = f[o]! * TWO32 + f[o + 1]! - START_OFFSET;
  row.provider = key[0];
  row.model = key[1];
  row.turns = f[o + 3]!;
  row.requests = f[o + 4]!;
  row.pricedRequests = f[o + 5]!;
  row.unknownCostRequests = f[o + 6]!;
  row.unknownCostTokens = f[o + 7]!;
  u.inputTokens = f[o + 8]!;
  u.inputTokenDetails.noCacheTokens = f[o + 9]!;
  u.inputTokenDetails.cacheReadTokens = f[o + 10]!;
  u.inputTokenDetails.cacheWriteTokens = f[o + 11]!;
  u.inputTokenDetails.cacheWrite1hTokens = f[o + 12]!;
  u.outputTokens = f[o + 13]!;
  u.outputTokenDetails.textTokens = f[o + 14]!;
  u.outputTokenDetails.reasoningTokens = f[o + 15]!;
  u.totalTokens = f[o + 16]!;
  u.source = SOURCES[f[o + 17]!]!;
  row.costPico = BigInt(f[o + 18]!) * TWO32N + BigInt(f[o + 19]!);
  if (e.bucket !== undefined) row.span = e.bucket;
  else if (row.span !== undefined) row.span = undefined; // a reused row (flyweight)
}

function blankRow(): SpendRow {
  return {
    start: 0,
    provider: '',
    model: '',
    turns: 0,
    requests: 0,
    pricedRequests: 0,
    unknownCostRequests: 0,
    unknownCostTokens: 0,
    usage: {
      inputTokens: 0,
      inputTokenDetails: { noCacheTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0 },
      outputTokens: 0,
      outputTokenDetails: { textTokens: 0, reasoningTokens: 0 },
      totalTokens: 0,
      source: 'provider',
    },
    costPico: 0n,
  };
}

/**
 * Decodes the index's spending rows into objects of the caller's shape, one each: `extra`'s
 * fields are copied into each row (the session it belongs to).
 */
export function forEachSpendRow<X extends object>(
  e: EncodedSpend,
  extra: X,
  push: (r: SpendRow & X) => void,
): void {
  const f = fieldsOf(e);
  for (let o = 0; o < f.length; o += ROW_FIELDS) {
    const row = blankRow();
    fill(row, f, o, e);
    push(Object.assign(row, extra));
  }
}

/**
 * The rows of many encoded sessions as ONE reused object, refilled for each row: no allocation per
 * row, for reports over 100,000 turns. A yielded row is valid until the next one; copy what you keep.
 */
export function* flyweightSpendRows<X extends object>(
  items: Iterable<{ spend: EncodedSpend; extra: X }>,
): Generator<SpendRow & X> {
  const row = blankRow() as SpendRow & X;
  for (const { spend, extra } of items) {
    Object.assign(row, extra);
    const f = fieldsOf(spend);
    for (let o = 0; o < f.length; o += ROW_FIELDS) {
      fill(row, f, o, spend);
      yield row;
    }
  }
}

/** Decodes the index's spending rows. */
export function decodeSpend(e: EncodedSpend): SpendRow[] {
  const out: SpendRow[] = [];
  forEachSpendRow(e, {}, (r) => out.push(r));
  return out;
}

/** Checks an index entry's spending rows: keys, whole rows, key and source indexes in range. */
function validSpend(v: unknown): v is EncodedSpend {
  if (typeof v !== 'object' || v === null) return false;
  const { keys, rows, wide, bucket } = v as {
    keys?: unknown;
    rows?: unknown;
    wide?: unknown;
    bucket?: unknown;
  };
  if (!Array.isArray(keys) || typeof rows !== 'string' || (wide !== undefined && wide !== true)) return false;
  if (bucket !== undefined && !(Number.isSafeInteger(bucket) && (bucket as number) > 0)) return false;
  for (const k of keys) {
    if (!Array.isArray(k) || k.length !== 2 || typeof k[0] !== 'string' || typeof k[1] !== 'string')
      return false;
  }
  let f: Uint32Array | Float64Array;
  try {
    f = fieldsOf(v as EncodedSpend);
  } catch {
    return false; // not whole rows
  }
  for (let o = 0; o < f.length; o += ROW_FIELDS) {
    if (!(f[o + 2]! < keys.length && f[o + 17]! < SOURCES.length)) return false;
  }
  if (wide) for (const x of f) if (!Number.isSafeInteger(x) || x < 0) return false;
  return true;
}

const count = z.number().int().nonnegative();

/** The shape of a summary in the index (`parseSummary` checks it by hand, faster). */
export const summarySchema = z.object({
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

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const SOURCE_NAMES: readonly unknown[] = SOURCES;
const FORMATS: readonly unknown[] = ['v1', 'v0', 'message-history'];
const PICO = /^\d{1,40}$/;
/**
 * Whether `v`'s properties can be read. An array passes: it has none of a summary's fields, so
 * their checks refuse it, as zod does.
 */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * `summarySchema.safeParse(raw)`, by hand: a list reads a thousand summaries and zod took most of
 * the time. The summary (known keys only, as zod returns it), or null. A property test holds the
 * two to the same answer.
 */
export function parseSummary(o: unknown): SessionSummary | null {
  if (!isObject(o)) return null;
  const u = o.usage;
  if (!isObject(u)) return null;
  const i = u.inputTokenDetails;
  const x = u.outputTokenDetails;
  if (!isObject(i) || !isObject(x)) return null;
  if (
    !(
      isStr(o.sessionId) &&
      isStr(o.title) &&
      isStr(o.provider) &&
      isStr(o.model) &&
      isStr(o.createdAt) &&
      isStr(o.updatedAt) &&
      isCount(o.turns) &&
      isCount(o.requests) &&
      isCount(u.inputTokens) &&
      isCount(i.noCacheTokens) &&
      isCount(i.cacheReadTokens) &&
      isCount(i.cacheWriteTokens) &&
      (i.cacheWrite1hTokens === undefined || isCount(i.cacheWrite1hTokens)) &&
      isCount(u.outputTokens) &&
      isCount(x.textTokens) &&
      isCount(x.reasoningTokens) &&
      isCount(u.totalTokens) &&
      SOURCE_NAMES.includes(u.source) &&
      isStr(o.costPico) &&
      PICO.test(o.costPico) &&
      isCount(o.unknownCostRequests) &&
      isCount(o.contextTokens) &&
      isStrOrNull(o.contextModel) &&
      typeof o.approximate === 'boolean' &&
      typeof o.readOnly === 'boolean' &&
      FORMATS.includes(o.format) &&
      isCount(o.problems) &&
      isStrOrNull(o.importedSha256) &&
      isStr(o.file) &&
      isCount(o.size) &&
      Number.isFinite(o.mtimeMs) && // false for anything not a number
      (o.mtimeMs as number) >= 0 &&
      isStrOrNull(o.deletedAt) &&
      validSpend(o.spend)
    )
  )
    return null;
  const inputTokenDetails: UsageTotals['inputTokenDetails'] = {
    noCacheTokens: i.noCacheTokens as number,
    cacheReadTokens: i.cacheReadTokens as number,
    cacheWriteTokens: i.cacheWriteTokens as number,
  };
  if (i.cacheWrite1hTokens !== undefined)
    inputTokenDetails.cacheWrite1hTokens = i.cacheWrite1hTokens as number;
  return {
    sessionId: o.sessionId as string,
    title: o.title as string,
    provider: o.provider as string,
    model: o.model as string,
    createdAt: o.createdAt as string,
    updatedAt: o.updatedAt as string,
    turns: o.turns as number,
    requests: o.requests as number,
    usage: {
      inputTokens: u.inputTokens as number,
      inputTokenDetails,
      outputTokens: u.outputTokens as number,
      outputTokenDetails: {
        textTokens: x.textTokens as number,
        reasoningTokens: x.reasoningTokens as number,
      },
      totalTokens: u.totalTokens as number,
      source: u.source as UsageTotals['source'],
    },
    costPico: o.costPico as string,
    unknownCostRequests: o.unknownCostRequests as number,
    contextTokens: o.contextTokens as number,
    contextModel: o.contextModel as string | null,
    approximate: o.approximate as boolean,
    readOnly: o.readOnly as boolean,
    format: o.format as SessionFormat,
    problems: o.problems as number,
    importedSha256: o.importedSha256 as string | null,
    file: o.file as string,
    size: o.size as number,
    mtimeMs: o.mtimeMs as number,
    deletedAt: o.deletedAt as string | null,
    spend: o.spend as EncodedSpend,
  };
}

/** Bumped when the summary's shape changes: an index of another version is rebuilt. */
export const INDEX_VERSION = 4;

const indexSchema = z.object({
  version: z.literal(INDEX_VERSION),
  sessions: z.array(z.unknown()),
  /** Tombstones of deleted sessions (their spending still counts in reports). */
  trash: z.array(z.unknown()).optional(),
});

/**
 * A copy of `s` that does not point into a larger string: a value read from a log by a regular
 * expression is a slice of the whole log's text, and a summary holding it would keep that text
 * (hundreds of kilobytes a session) alive as long as the summary.
 */
function own<S extends string | null>(s: S): S {
  return (s === null || s.length < 13 ? s : JSON.parse(JSON.stringify(s))) as S;
}

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
    sessionId: own(s.sessionId),
    title: own(s.title),
    provider: own(s.provider),
    model: own(s.model),
    createdAt: own(s.createdAt),
    updatedAt: own(s.updatedAt || s.createdAt),
    turns: s.turns.length,
    requests: s.requests.size,
    usage: totals.usage,
    costPico: totals.cost.knownPico.toString(),
    unknownCostRequests: totals.cost.unknownCount,
    contextTokens: window.usedTokens,
    // The window's request is one of `s.requests` (contextWindow picks it from them).
    contextModel: window.requestId === null ? null : own(s.requests.get(window.requestId)!.model),
    approximate: s.approximate,
    readOnly: loaded.readOnly,
    format: loaded.format,
    problems: loaded.problems.length,
    importedSha256: importedSha256 ?? s.importedFrom?.sha256 ?? null,
    file: file.rel,
    size: file.size,
    mtimeMs: file.mtimeMs,
    deletedAt,
    spend: encodeSpend(bucketedSpendRows(s), SPEND_BUCKET_MS),
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
  let parsed: z.infer<typeof indexSchema>;
  try {
    parsed = indexSchema.parse(JSON.parse((await readRegularFile(path)).toString('utf8')));
  } catch {
    return { entries, trash, whole: false }; // missing, unreadable, not JSON, or not this version
  }
  const tombstones = parsed.trash ?? [];
  for (const raw of parsed.sessions) {
    const e = parseSummary(raw);
    if (e) entries.set(e.sessionId, e);
  }
  for (const raw of tombstones) {
    const e = parseSummary(raw);
    if (e) trash.set(e.file, e);
  }
  return {
    entries,
    trash,
    whole: entries.size === parsed.sessions.length && trash.size === tombstones.length,
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
  await writeDurably({ tmp, text, flag: 'w', place: (t) => fs.rename(t, path) });
}
