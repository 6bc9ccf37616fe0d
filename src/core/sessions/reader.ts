/**
 * Reads one session file (a v1 log, a format-0 log or a message history) into ledger state,
 * whatever is wrong with it. Nothing here throws for bad data:
 *
 * - a torn last line is ignored, reported and copied to `aside/<id>.<time>.torn`;
 * - bad lines are skipped and reported (they stay in the file);
 * - a file that cannot be read, or holds no record at all, is moved to `aside/` and reported;
 * - a log of a newer version loads what this build can read, read-only.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { applyEvent, emptySession, foldEvents, type SessionState } from '../ledger/ledger';
import { type SpendRow, spendRows } from '../ledger/spendRows';
import { type Logger, noopLogger } from '../log';
import {
  CHECKPOINT_MIN_BYTES,
  CHECKPOINT_REFRESH_BYTES,
  type Checkpoint,
  endHash,
  headHash,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint';
import type { ConvertContext, Converted, PriceFn } from './convert';
import { READ_NO_WAIT, readRegularFileSync } from './durableFile';
import { LOG_VERSION, type SessionEvent } from './events';
import { convertFormat0 } from './format0';
import { fileStamp, type Layout } from './layout';
import { LightSink } from './lightScan';
import { convertMessageHistory, isMessageHistory } from './messageHistory';
import { type ParsedLog, parseLog } from './parseLog';
import { type Problem, ProblemList } from './problems';

/** The format a session was read from. */
export type SessionFormat = 'v1' | 'v0' | 'message-history';

/** A session as loaded: its state, whether it may be written, and what was wrong with its file. */
export interface LoadedSession {
  state: SessionState;
  /** Never written to: a log from a newer version of Tally. */
  readOnly: boolean;
  format: SessionFormat;
  problems: Problem[];
}

/** Where a session lives: its own log, or an older tool's message-history file. */
export interface SessionFile {
  sessionId: string;
  path: string;
  kind: 'log' | 'history';
}

export interface ReadContext {
  layout: Layout;
  logger?: Logger;
  price?: PriceFn;
  now?: () => Date;
  /** A file that holds nothing yet but may be being created right now: leave it alone. */
  mayBeNew?: (f: SessionFile, mtimeMs: number) => boolean;
  /**
   * Use and keep fold checkpoints (checkpoint.ts): a long log is then read from where its
   * checkpoint ends. Off for readers that must see every byte (imports, audits, index rebuilds).
   */
  checkpoints?: boolean;
}

export type ReadResult =
  | {
      ok: true;
      loaded: LoadedSession;
      size: number;
      mtimeMs: number;
      /** The bytes' hash, for `importedFrom` (old formats only: a v1 log is never imported). */
      sha256: string | null;
      /** For a JSONL log: where the complete records end, the torn tail, a missing newline. */
      parsed: ParsedLog | null;
      /** For an old format: the converted events. */
      converted: Converted | null;
      /** The newest `v` in the log (0 for old formats). */
      newestVersion: number;
    }
  | { ok: false; problems: Problem[]; skipped: boolean };

/**
 * Reads a session file; see the module comment for what happens to bad data. `light`: a v1 log's
 * state holds what a summary needs and no conversation (`lightScan.ts`), for the session list;
 * the problems found are the same.
 */
export async function readSessionFile(
  f: SessionFile,
  ctx: ReadContext,
  opts: { light?: boolean } = {},
): Promise<ReadResult> {
  try {
    return await readSessionFileOrThrow(f, ctx, opts.light === true);
  } catch (e) {
    // A case this reader does not know yet must not take the list down with it: the file is
    // reported and left as it is (never moved, never written), and everything else loads.
    const problems = new ProblemList(f.path);
    const message = `${basename(f.path)} could not be loaded (${String((e as Error)?.message ?? e).split('\n')[0]}): left in place`;
    problems.add('unreadable', message);
    (ctx.logger ?? noopLogger).error(message, { file: f.path });
    return { ok: false, problems: problems.done(), skipped: false };
  }
}

async function readSessionFileOrThrow(f: SessionFile, ctx: ReadContext, light: boolean): Promise<ReadResult> {
  const logger = ctx.logger ?? noopLogger;
  const problems = new ProblemList(f.path);
  let buf: Buffer;
  let mtimeMs: number;
  let checkpoint: Checkpoint | null = null;
  try {
    if (light) {
      // The session list reads many files in a row: the synchronous calls cost a fraction of the
      // promise API's CPU time per file (the bytes come from the page cache either way).
      ({ buf, mtimeMs } = readRegularFileSync(f.path));
    } else {
      const fh = await fs.open(f.path, READ_NO_WAIT);
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw new Error('not a regular file');
        mtimeMs = st.mtimeMs;
        if (f.kind === 'log' && ctx.checkpoints && st.size >= CHECKPOINT_MIN_BYTES) {
          checkpoint = await readCheckpoint(ctx.layout, f.sessionId, fh, st.size, logger);
        }
        buf = await readFrom(fh, checkpoint?.logBytes ?? 0, st.size);
      } finally {
        await fh.close();
      }
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, problems: [], skipped: true };
    return unreadable(f, `cannot be read: ${(e as Error).message}`, problems, ctx, logger);
  }
  const now = (ctx.now ?? (() => new Date()))();
  if (checkpoint) {
    const r = await afterCheckpoint(f, ctx, checkpoint, buf, mtimeMs, problems, now, logger);
    if (r) return r;
    // Old-format lines after the checkpoint: nothing a checkpoint is for. Read it all.
    return readSessionFileOrThrow(f, { ...ctx, checkpoints: false }, light);
  }
  const convertCtx: ConvertContext = {
    sessionId: f.sessionId,
    problems,
    fallbackTime: new Date(mtimeMs).toISOString(),
    ...(ctx.price ? { price: ctx.price } : {}),
  };
  const base = { size: buf.length, mtimeMs };
  const sha256 = () => createHash('sha256').update(buf).digest('hex');

  if (f.kind === 'history') {
    let json: unknown;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch {
      return unreadable(f, 'is not JSON', problems, ctx, logger);
    }
    if (!isMessageHistory(json)) {
      return unreadable(
        f,
        'is not a message history (no messages or tokenUsage array)',
        problems,
        ctx,
        logger,
      );
    }
    const converted = convertMessageHistory(json, convertCtx);
    const state = fold(f.sessionId, converted.events, converted.approximate);
    const loaded: LoadedSession = {
      state,
      readOnly: false,
      format: 'message-history',
      problems: problems.done(),
    };
    return { ok: true, loaded, ...base, sha256: sha256(), parsed: null, converted, newestVersion: 0 };
  }

  const sink = light ? new LightSink(f.sessionId, isUtf8(buf)) : undefined;
  const parsed = parseLog(buf, problems, sink);
  if (parsed.eventCount === 0 && parsed.format0.length === 0 && parsed.newerSkipped === 0) {
    // Not one whole line yet: a session being created this instant, or one cut off at birth.
    if (parsed.goodLength === 0 && ctx.mayBeNew?.(f, mtimeMs))
      return { ok: false, problems: [], skipped: true };
    const why =
      buf.length === 0 ? 'is empty' : parsed.lines === 0 ? 'holds no lines' : 'holds no session record';
    return unreadable(f, why, problems, ctx, logger);
  }
  if (parsed.torn) await reportTorn(f, parsed.torn, ctx, problems, now, logger);

  if (parsed.eventCount > 0 || parsed.newerSkipped > 0) {
    if (parsed.format0.length > 0) {
      problems.add('bad-line', `${parsed.format0.length} format-0 lines in a v1 log skipped`);
    }
    const readOnly = parsed.newestVersion > LOG_VERSION;
    if (readOnly && parsed.newerSkipped === 0) {
      problems.add(
        'newer-version',
        `written by a newer Tally (log version ${parsed.newestVersion}; this build writes ${LOG_VERSION}): read-only`,
      );
    }
    let state: SessionState;
    if (sink) {
      state = sink.state;
      state.sessionId = f.sessionId;
    } else {
      // `approximate` comes from the log's own `session.created` (applyEvent sets it).
      state = fold(f.sessionId, parsed.events, false);
    }
    const loaded: LoadedSession = { state, readOnly, format: 'v1', problems: problems.done() };
    // A torn tail and format-0 lines are reported as problems, so a log without problems has
    // none; a last line without its newline is the one unclean thing that is no problem.
    const clean = loaded.problems.length === 0 && !parsed.needsNewline;
    if (ctx.checkpoints && !light && clean && !readOnly && buf.length >= CHECKPOINT_MIN_BYTES) {
      await writeCheckpoint(
        ctx.layout,
        {
          state,
          logBytes: buf.length,
          lines: parsed.lastWholeLine,
          newestVersion: parsed.newestVersion,
          head: headHash(buf),
          end: endHash(buf),
        },
        logger,
      );
    }
    return {
      ok: true,
      loaded,
      ...base,
      sha256: null,
      parsed,
      converted: null,
      newestVersion: parsed.newestVersion,
    };
  }

  const converted = convertFormat0(parsed.format0, convertCtx);
  const state = fold(f.sessionId, converted.events, converted.approximate);
  const loaded: LoadedSession = { state, readOnly: false, format: 'v0', problems: problems.done() };
  return { ok: true, loaded, ...base, sha256: sha256(), parsed, converted, newestVersion: 0 };
}

/** Keeps a torn last line aside and reports it (a full read and a read after a checkpoint alike). */
async function reportTorn(
  f: SessionFile,
  torn: Buffer,
  ctx: ReadContext,
  problems: ProblemList,
  now: Date,
  logger: Logger,
): Promise<void> {
  const keptAt = await keepTornAside(f, torn, ctx.layout, now, logger);
  problems.add(
    'torn-tail',
    `the last line was cut off (${torn.length} bytes, no newline, not a whole record): ignored` +
      (keptAt ? '' : ' (and it could not be copied aside)'),
    keptAt ?? undefined,
  );
}

/** The bytes of an open file from `position` to its end (`size` is what it had when opened). */
async function readFrom(fh: fs.FileHandle, position: number, size: number): Promise<Buffer> {
  if (position === 0) return fh.readFile();
  const chunks: Buffer[] = [];
  let at = position;
  let want = Math.max(size - position, 64 * 1024);
  for (;;) {
    const chunk = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(chunk, 0, want, at);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    at += bytesRead;
    want = 64 * 1024; // the log grew while it was read: take the rest too
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/**
 * A v1 log read from where its checkpoint ends: the checkpoint's state, with the events after it
 * folded on top. Null when the bytes after it hold old-format lines (the caller reads it all).
 */
async function afterCheckpoint(
  f: SessionFile,
  ctx: ReadContext,
  c: Checkpoint,
  tail: Buffer,
  mtimeMs: number,
  problems: ProblemList,
  now: Date,
  logger: Logger,
): Promise<ReadResult | null> {
  const parsed = parseLog(tail, problems, undefined, c.lines);
  if (parsed.format0.length > 0) return null;
  logger.debug('session read from its checkpoint', {
    sessionId: f.sessionId,
    checkpointBytes: c.logBytes,
    tailBytes: tail.length,
  });
  if (parsed.torn) await reportTorn(f, parsed.torn, ctx, problems, now, logger);
  const state = c.state;
  for (const e of parsed.events) applyEvent(state, e);
  state.sessionId = f.sessionId;
  const newestVersion = Math.max(c.newestVersion, parsed.newestVersion);
  const readOnly = newestVersion > LOG_VERSION;
  if (readOnly && parsed.newerSkipped === 0) {
    problems.add(
      'newer-version',
      `written by a newer Tally (log version ${newestVersion}; this build writes ${LOG_VERSION}): read-only`,
    );
  }
  const loaded: LoadedSession = { state, readOnly, format: 'v1', problems: problems.done() };
  const whole: ParsedLog = {
    ...parsed,
    newestVersion,
    goodLength: c.logBytes + parsed.goodLength,
    lines: c.lines + parsed.lines,
  };
  const clean = loaded.problems.length === 0 && !parsed.needsNewline; // a torn tail is a problem
  if (clean && !readOnly && parsed.goodLength >= CHECKPOINT_REFRESH_BYTES) {
    await writeCheckpoint(
      ctx.layout,
      {
        state,
        logBytes: whole.goodLength,
        lines: parsed.lastWholeLine,
        newestVersion,
        head: c.head,
        end: endHash(tail.subarray(0, parsed.goodLength)),
      },
      logger,
    );
  }
  return {
    ok: true,
    loaded,
    size: c.logBytes + tail.length,
    mtimeMs,
    sha256: null,
    parsed: whole,
    converted: null,
    newestVersion,
  };
}

function fold(sessionId: string, events: SessionEvent[], approximate: boolean): SessionState {
  const state = foldEvents(sessionId, events);
  // The file name is the session's identity: it is how the store finds the file again.
  state.sessionId = sessionId;
  if (approximate) state.approximate = true;
  return state;
}

/**
 * A session file's per-turn spending rows, read synchronously and without side effects (nothing
 * moved or copied aside; the list reported the file's problems). A report needs them for the rare
 * quarter-hour of the index that a local midnight cuts (an offset that is not a whole number of
 * quarter-hours, as some zones had before the 1980s). Empty when the file cannot be read.
 */
export function turnRowsOfFile(f: SessionFile, price?: PriceFn): SpendRow[] {
  let buf: Buffer;
  let mtimeMs: number;
  try {
    ({ buf, mtimeMs } = readRegularFileSync(f.path));
  } catch {
    return [];
  }
  const problems = new ProblemList(f.path);
  const convertCtx: ConvertContext = {
    sessionId: f.sessionId,
    problems,
    fallbackTime: new Date(mtimeMs).toISOString(),
    ...(price ? { price } : {}),
  };
  if (f.kind === 'history') {
    let json: unknown;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch {
      return [];
    }
    if (!isMessageHistory(json)) return [];
    return spendRows(foldEvents(f.sessionId, convertMessageHistory(json, convertCtx).events));
  }
  const parsed = parseLog(buf, problems);
  if (parsed.events.length > 0 || parsed.newerSkipped > 0)
    return spendRows(foldEvents(f.sessionId, parsed.events));
  return spendRows(foldEvents(f.sessionId, convertFormat0(parsed.format0, convertCtx).events));
}

/** A state for a session whose file could not be read: nothing in it, never written. */
export function placeholderSession(sessionId: string, problems: Problem[]): LoadedSession {
  return { state: emptySession(sessionId), readOnly: true, format: 'v1', problems };
}

async function unreadable(
  f: SessionFile,
  why: string,
  _lineProblems: ProblemList,
  ctx: ReadContext,
  logger: Logger,
): Promise<ReadResult> {
  // The file's own bad lines are not listed: it is moved aside whole, and that is the one problem.
  const problems = new ProblemList(f.path);
  const now = (ctx.now ?? (() => new Date()))();
  const target = join(ctx.layout.aside, `${basename(f.path)}.${fileStamp(now)}.unreadable`);
  let keptAt: string | undefined;
  try {
    await fs.mkdir(ctx.layout.aside, { recursive: true });
    await fs.rename(f.path, target);
    keptAt = target;
  } catch (e) {
    logger.warn('could not move an unreadable session file aside', { file: f.path, error: String(e) });
  }
  const message = `${basename(f.path)} ${why}: ${keptAt ? 'moved aside' : 'left in place (it could not be moved)'}`;
  problems.add('unreadable', message, keptAt);
  logger.warn(message, { file: f.path, keptAt });
  return { ok: false, problems: problems.done(), skipped: false };
}

/**
 * Copies a torn tail to `aside/<id>.<time>.torn`, unless an identical copy is already there
 * (loading the same torn log twice keeps one copy). Returns the copy's path, or null.
 */
export async function keepTornAside(
  f: SessionFile,
  torn: Buffer,
  layout: Layout,
  now: Date,
  logger: Logger,
): Promise<string | null> {
  try {
    await fs.mkdir(layout.aside, { recursive: true });
    const prefix = `${f.sessionId}.`;
    for (const name of await fs.readdir(layout.aside)) {
      if (!name.startsWith(prefix) || !name.endsWith('.torn')) continue;
      const p = join(layout.aside, name);
      const st = await fs.stat(p);
      if (st.size === torn.length && (await fs.readFile(p)).equals(torn)) return p;
    }
    const target = join(layout.aside, `${f.sessionId}.${fileStamp(now)}.torn`);
    await fs.writeFile(target, torn, { flag: 'wx' });
    const fh = await fs.open(target, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    logger.info('kept a torn last line aside', { file: f.path, keptAt: target, bytes: torn.length });
    return target;
  } catch (e) {
    logger.warn('could not keep a torn last line aside', { file: f.path, error: String(e) });
    return null;
  }
}
