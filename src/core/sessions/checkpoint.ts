/**
 * Fold checkpoints: a cache of a long session's folded state, so that reopening it reads only
 * what was appended since, not the whole log.
 *
 *   <dir>/cache/checkpoints/<id>.json    line 1: the header; line 2: the folded state
 *
 * The log stays the truth. A checkpoint says "the first `logBytes` bytes of the log fold to this
 * state", and is used only when it still describes the log in front of it:
 * - the log is at least `logBytes` long, and its first and last 4 KiB before `logBytes` hash as
 *   they did (logs are append-only; a log replaced by another, cut shorter or rewritten under the
 *   same name fails this);
 * - the state's own hash matches (a truncated or edited cache file fails this);
 * - it was written by this format (`CHECKPOINT_VERSION`) for this fold (`FOLD_VERSION`, bumped
 *   whenever the ledger's fold changes what it makes of the same events).
 * Anything else, and the log is read in full, as it would be with no cache at all, and the
 * checkpoint is written again. Writing one is best effort: a read-only storage folder loads the
 * same, only slower. Only a clean prefix is checkpointed (a v1 log without bad lines, torn tail,
 * old-format or newer-version lines), so the problems a full read would report are the tail's.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MessageRecord, RequestRecord, SessionState, TurnRecord } from '../ledger/ledger';
import type { Logger } from '../log';
import type { Usage } from '../usage/types';
import { readRegularFile } from './durableFile';
import type { Cost } from './events';
import type { Layout } from './layout';

export const CHECKPOINT_VERSION = 1;
/** Bump when `applyEvent` (src/core/ledger/ledger.ts) folds the same events differently. */
export const FOLD_VERSION = 1;
/** A log shorter than this is read in full every time: its checkpoint would save nothing. */
export const CHECKPOINT_MIN_BYTES = 256 * 1024;
/** A checkpoint is written again once this much has been appended after it. */
export const CHECKPOINT_REFRESH_BYTES = 1024 * 1024;
/** How much of the log's head and of the covered part's end are hashed to recognise the log. */
const EDGE = 4096;

interface Header {
  kind: 'tally.checkpoint';
  version: number;
  fold: number;
  sessionId: string;
  /** Bytes of the log the state covers; they end with a newline. */
  logBytes: number;
  /** Lines in those bytes (blank ones too), so the tail's problems name the right line. */
  lines: number;
  newestVersion: number;
  head: string;
  end: string;
  body: string;
}

/** A usable checkpoint: the state of the first `logBytes` bytes. */
export interface Checkpoint {
  state: SessionState;
  logBytes: number;
  lines: number;
  newestVersion: number;
  /** The hash of the log's first 4 KiB (or fewer), which a checkpoint written after this one keeps. */
  head: string;
}

export function checkpointPath(layout: Layout, sessionId: string): string {
  return join(layout.checkpoints, `${sessionId}.json`);
}

function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The hash that recognises a log by its first bytes, from bytes that start at the log's start. */
export function headHash(start: Buffer): string {
  return sha256(start.subarray(0, EDGE));
}

/** The hash of the `EDGE` bytes (or fewer) that end where `bytes` ends. */
export function endHash(bytes: Buffer): string {
  return sha256(bytes.subarray(Math.max(0, bytes.length - EDGE)));
}

/** The hashes of the log's first `EDGE` bytes and of the `EDGE` bytes before `logBytes`. */
async function edges(fh: fs.FileHandle, logBytes: number): Promise<{ head: string; end: string }> {
  const n = Math.min(EDGE, logBytes);
  const head = Buffer.alloc(n);
  const end = Buffer.alloc(n);
  await readFully(fh, head, 0);
  await readFully(fh, end, logBytes - n);
  return { head: sha256(head), end: sha256(end) };
}

async function readFully(fh: fs.FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error('the log is shorter than its checkpoint');
    done += bytesRead;
  }
}

/**
 * The checkpoint of `sessionId` if it still describes the open log `fh` of `size` bytes; null
 * (and the reason, for the log) when there is none or it does not.
 */
export async function readCheckpoint(
  layout: Layout,
  sessionId: string,
  fh: fs.FileHandle,
  size: number,
  logger?: Logger,
): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = (await readRegularFile(checkpointPath(layout, sessionId))).toString('utf8');
  } catch {
    return null;
  }
  const reject = (why: string) => {
    logger?.info('fold checkpoint not used', { sessionId, why });
    return null;
  };
  const nl = text.indexOf('\n');
  if (nl < 0) return reject('no header line');
  let header: Header;
  try {
    header = JSON.parse(text.slice(0, nl)) as Header;
  } catch {
    return reject('header is not JSON');
  }
  if (
    header?.kind !== 'tally.checkpoint' ||
    header.version !== CHECKPOINT_VERSION ||
    header.fold !== FOLD_VERSION ||
    header.sessionId !== sessionId ||
    !Number.isSafeInteger(header.logBytes) ||
    header.logBytes <= 0 ||
    !Number.isSafeInteger(header.lines) ||
    !Number.isSafeInteger(header.newestVersion)
  ) {
    return reject('another format, fold or session');
  }
  if (header.logBytes > size) return reject('the log is shorter than the checkpoint');
  let seen: { head: string; end: string };
  try {
    seen = await edges(fh, header.logBytes);
  } catch (e) {
    // The log shrank after its size was taken (or cannot be read): a full read will tell.
    return reject((e as Error).message);
  }
  if (seen.head !== header.head || seen.end !== header.end) return reject('the log changed');
  const body = text.slice(nl + 1).replace(/\n$/, '');
  if (sha256(body) !== header.body) return reject('the state does not match its hash');
  let state: SessionState;
  try {
    state = restoreState(JSON.parse(body) as StoredState);
  } catch (e) {
    return reject(`the state cannot be restored (${(e as Error).message})`);
  }
  return {
    state,
    logBytes: header.logBytes,
    lines: header.lines,
    newestVersion: header.newestVersion,
    head: header.head,
  };
}

/**
 * Writes the checkpoint of a log's first `logBytes` bytes (which end with a newline) folded to
 * `state`; `end` is `endHash` of the bytes that end at `logBytes`. The state is serialised before
 * this returns its promise (it may change afterwards); the file goes to a temporary name, then
 * is renamed over the old one. Never throws.
 */
export function writeCheckpoint(
  layout: Layout,
  c: Checkpoint & { end: string },
  logger?: Logger,
): Promise<void> {
  const sessionId = c.state.sessionId;
  let body: string;
  try {
    body = JSON.stringify(storeState(c.state));
  } catch (e) {
    logger?.info('fold checkpoint not written', { sessionId, why: (e as Error).message });
    return Promise.resolve();
  }
  return saveCheckpoint(layout, c, body, logger);
}

async function saveCheckpoint(
  layout: Layout,
  c: Checkpoint & { end: string },
  body: string,
  logger?: Logger,
): Promise<void> {
  const sessionId = c.state.sessionId;
  const file = checkpointPath(layout, sessionId);
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const header: Header = {
      kind: 'tally.checkpoint',
      version: CHECKPOINT_VERSION,
      fold: FOLD_VERSION,
      sessionId,
      logBytes: c.logBytes,
      lines: c.lines,
      newestVersion: c.newestVersion,
      head: c.head,
      end: c.end,
      body: sha256(body),
    };
    await fs.mkdir(dirname(file), { recursive: true });
    await fs.writeFile(temp, `${JSON.stringify(header)}\n${body}\n`);
    await fs.rename(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    logger?.info('fold checkpoint not written', { sessionId, why: (e as Error).message });
  }
}

/** Removes a session's checkpoint (the session was deleted or its log replaced). */
export async function removeCheckpoint(layout: Layout, sessionId: string): Promise<void> {
  await fs.rm(checkpointPath(layout, sessionId), { force: true }).catch(() => undefined);
}

// --- the state as compact JSON ---
//
// Rows, not objects: a record is an array of its fields in a fixed order, repeated strings
// (provider, model, status, price…) are indexes into one table, and turns name their requests
// by position. The same 10,000-turn state is about a quarter of the size of its objects' JSON
// and parses about five times faster, which is the point of a checkpoint.

/** [input, noCache, cacheRead, cacheWrite, cacheWrite1h | null, output, text, reasoning, total, source, raw?] */
type UsageRow = (number | null | unknown)[];
/** [requestId, turnId | null, provider, model, purpose, startedAt, endedAt | null, status, usage | null, cost | null, final, error | null] */
type RequestRow = [
  string,
  string | null,
  number,
  number,
  number,
  string,
  string | null,
  number,
  UsageRow | null,
  [string | null, number] | null,
  boolean,
  string | null,
];
/** [turnId, index, startedAt, endedAt | null, status, error | null, request positions] */
type TurnRow = [string, number, string, string | null, number, string | null, number[]];
/** [turnId | null, at, message] */
type MessageRow = [string | null, string, MessageRecord['message']];

export interface StoredState {
  session: [string, string, string, string, string, string];
  importedFrom: { file: string; sha256: string } | null;
  approximate: boolean;
  orphans: number;
  /** Repeated strings; a cost's `basis`, `catalog` and `price` together are one JSON entry. */
  strings: string[];
  turns: TurnRow[];
  /** In `seq` order. */
  requests: RequestRow[];
  /** Positions in `requests`. */
  sessionRequests: number[];
  messages: MessageRow[];
}

class Strings {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  of(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

function usageRow(u: Usage): UsageRow {
  const d = u.inputTokenDetails;
  const o = u.outputTokenDetails;
  const row: UsageRow = [
    u.inputTokens,
    d.noCacheTokens,
    d.cacheReadTokens,
    d.cacheWriteTokens,
    d.cacheWrite1hTokens === undefined ? null : d.cacheWrite1hTokens,
    u.outputTokens,
    o.textTokens,
    o.reasoningTokens,
    u.totalTokens,
    u.source,
  ];
  if ('raw' in u) row.push(u.raw);
  return row;
}

/** The state as the checkpoint stores it (exported for the round-trip property test). */
export function storeState(s: SessionState): StoredState {
  const strings = new Strings();
  const requests = [...s.requests.values()].sort((a, b) => a.seq - b.seq);
  const position = new Map(requests.map((r, i) => [r.requestId, i]));
  const at = (id: string) => {
    const i = position.get(id);
    if (i === undefined) throw new Error(`request ${id} is not in the session`);
    return i;
  };
  return {
    session: [s.sessionId, s.title, s.provider, s.model, s.createdAt, s.updatedAt],
    importedFrom: s.importedFrom ?? null,
    approximate: s.approximate,
    orphans: s.orphans,
    strings: strings.list,
    turns: s.turns.map((t) => [
      t.turnId,
      t.index,
      t.startedAt,
      t.endedAt ?? null,
      strings.of(t.status),
      t.error ?? null,
      t.requestIds.map(at),
    ]),
    requests: requests.map((r) => {
      let cost: [string | null, number] | null = null;
      if (r.cost) {
        const { pico, ...meta } = r.cost;
        cost = [pico, strings.of(JSON.stringify(meta))];
      }
      return [
        r.requestId,
        r.turnId ?? null,
        strings.of(r.provider),
        strings.of(r.model),
        strings.of(r.purpose),
        r.startedAt,
        r.endedAt ?? null,
        strings.of(r.status),
        r.usage ? usageRow(r.usage) : null,
        cost,
        r.final,
        r.error ?? null,
      ];
    }),
    sessionRequests: s.sessionRequestIds.map(at),
    messages: s.messages.map((m) => [m.turnId ?? null, m.at, m.message]),
  };
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function restoreUsage(row: UsageRow): Usage {
  for (let i = 0; i < 9; i++)
    check(i === 4 ? row[i] === null || isCount(row[i]) : isCount(row[i]), 'a count');
  const details: Usage['inputTokenDetails'] = {
    noCacheTokens: row[1] as number,
    cacheReadTokens: row[2] as number,
    cacheWriteTokens: row[3] as number,
  };
  if (row[4] !== null) details.cacheWrite1hTokens = row[4] as number;
  const usage: Usage = {
    inputTokens: row[0] as number,
    inputTokenDetails: details,
    outputTokens: row[5] as number,
    outputTokenDetails: { textTokens: row[6] as number, reasoningTokens: row[7] as number },
    totalTokens: row[8] as number,
    source: row[9] as Usage['source'],
  };
  check(usage.source === 'provider' || usage.source === 'estimated' || usage.source === 'legacy', 'a source');
  if (row.length > 10) usage.raw = row[10];
  return usage;
}

/** Rebuilds the state with every field in place, as the fold makes it, checking what it relies on. */
export function restoreState(j: StoredState): SessionState {
  check(Array.isArray(j.session) && j.session.length === 6, 'the session row');
  for (const v of j.session) check(typeof v === 'string', 'the session row');
  check(
    Array.isArray(j.strings) && Array.isArray(j.turns) && Array.isArray(j.requests),
    'strings, turns or requests',
  );
  check(Array.isArray(j.messages) && Array.isArray(j.sessionRequests), 'messages or session requests');
  const strings = j.strings;
  const word = (i: number): string => {
    const w = strings[i];
    check(typeof w === 'string', 'a string index');
    return w as string;
  };
  const costMeta = new Map<number, Omit<Cost, 'pico'>>();
  const meta = (i: number) => {
    let m = costMeta.get(i);
    if (!m) {
      m = JSON.parse(word(i)) as Omit<Cost, 'pico'>;
      costMeta.set(i, m);
    }
    return m;
  };
  const requests = new Map<string, RequestRecord>();
  const ids: string[] = [];
  j.requests.forEach((r, seq) => {
    check(Array.isArray(r) && r.length === 12 && typeof r[0] === 'string', 'a request row');
    let cost: Cost | null = null;
    let costPico: bigint | null = null;
    if (r[9] !== null) {
      const [pico, m] = r[9];
      check(pico === null || (typeof pico === 'string' && /^\d{1,30}$/.test(pico)), 'a cost');
      const { basis, catalog, price } = meta(m);
      cost = { pico, basis };
      if (catalog !== undefined) cost.catalog = catalog;
      if (price !== undefined) cost.price = price;
      if (pico !== null) costPico = BigInt(pico);
    }
    const record: RequestRecord = {
      requestId: r[0],
      turnId: r[1] ?? undefined,
      provider: word(r[2]),
      model: word(r[3]),
      purpose: word(r[4]) as RequestRecord['purpose'],
      startedAt: r[5],
      endedAt: r[6] ?? undefined,
      status: word(r[7]) as RequestRecord['status'],
      usage: r[8] === null ? null : restoreUsage(r[8]),
      cost,
      costPico,
      final: r[10] === true,
      error: r[11] ?? undefined,
      seq,
    };
    requests.set(record.requestId, record);
    ids.push(record.requestId);
  });
  const idAt = (i: number): string => {
    const id = ids[i];
    check(id !== undefined, 'a request position');
    return id as string;
  };
  const turns: TurnRecord[] = j.turns.map((t) => {
    check(
      Array.isArray(t) && t.length === 7 && typeof t[0] === 'string' && Array.isArray(t[6]),
      'a turn row',
    );
    return {
      turnId: t[0],
      index: t[1],
      startedAt: t[2],
      endedAt: t[3] ?? undefined,
      status: word(t[4]) as TurnRecord['status'],
      error: t[5] ?? undefined,
      requestIds: t[6].map(idAt),
    };
  });
  const [sessionId, title, provider, model, createdAt, updatedAt] = j.session;
  return {
    sessionId,
    title,
    provider,
    model,
    createdAt,
    updatedAt,
    importedFrom: j.importedFrom ?? undefined,
    turns,
    turnsById: new Map(turns.map((t) => [t.turnId, t])),
    requests,
    sessionRequestIds: j.sessionRequests.map(idAt),
    messages: j.messages.map((m) => ({ turnId: m[0] ?? undefined, at: m[1], message: m[2] })),
    approximate: j.approximate === true,
    orphans: j.orphans,
  };
}
