/**
 * The session store: one append-only JSONL event log per session under a storage folder
 * (layout in `layout.ts`), an index that makes the list fast, and old formats read in place.
 * README.md beside this file describes the formats and the rules.
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs, statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { emptySession } from '../ledger/ledger';
import { type Logger, noopLogger } from '../log';
import { removeCheckpoint } from './checkpoint';
import type { ConvertContext, Converted, PriceFn } from './convert';
import { readRegularFile, syncDir } from './durableFile';
import { LOG_VERSION, sessionEventSchema } from './events';
import { keepLegacyOriginal, recognizeOldFile, writeConvertedLog } from './importing';
import {
  fileStamp,
  historyFileId,
  isSafeSessionId,
  type Layout,
  LOG_SUFFIX,
  layoutOf,
  logFileId,
} from './layout';
import { type Lease, otherLiveWriters, takeLease } from './leases';
import { type Problem, ProblemList } from './problems';
import {
  type LoadedSession,
  placeholderSession,
  type ReadContext,
  type ReadResult,
  readSessionFile,
  type SessionFile,
} from './reader';
import { readIndex, type SessionSummary, summarize, writeIndex } from './sessionIndex';
import { trashFiles, writeTombstone } from './tombstone';
import { faultIOFromEnv, SessionWriter, type WriterIO } from './writer';

export interface StoreOptions {
  logger?: Logger;
  /** Prices the requests of old formats that carry no cost; without it their cost is unknown. */
  price?: PriceFn;
  /** The clock (tests). */
  now?: () => Date;
  /** The storage calls of appends (tests inject failing disks here). */
  io?: WriterIO;
}

export interface CreateOptions {
  title: string;
  provider: string;
  model: string;
  /** Default: a new UUID. Must be usable as a file name (letters, digits, `.`, `_`, `-`). */
  sessionId?: string;
}

/** The sessions, newest first, and what was wrong with files read to build the list. */
export interface SessionList {
  sessions: SessionSummary[];
  problems: Problem[];
  /** Deleted sessions (tombstones in `sessions/trash/`): their spending still counts in reports. */
  deleted: SessionSummary[];
}

export interface DeleteOptions {
  /** Forget its spending too: no tombstone is kept, and earlier tombstones of this id are removed. */
  purge?: boolean;
}

export interface ImportResult {
  sessionId: string;
  /** False when the same file (same sha256) was imported before: nothing changed. */
  created: boolean;
  /** What was converted and what did not add up, one line each. */
  report: string[];
}

/**
 * Session files `list()` has in hand at once. Their bytes are read synchronously (cheaper in CPU
 * for many small files); what overlaps is the rest (keeping a torn tail aside, moving a file).
 */
const LIST_CONCURRENCY = 8;

/** A file whose bytes appeared within this long may be a session being created right now. */
const NEW_FILE_GRACE_MS = 60_000;

export class SessionStore {
  /** The storage folder. */
  readonly dir: string;
  private readonly layout: Layout;
  private readonly logger: Logger;
  /** Prices old formats' requests (also when a report reads a session's per-turn rows again). */
  readonly price: PriceFn | undefined;
  private readonly now: () => Date;
  private readonly io: WriterIO;
  private readonly writers = new Map<string, SessionWriter>();
  /** Sessions being created / opened for writing right now (no second writer meanwhile). */
  private readonly creating = new Set<string>();
  private readonly opening = new Set<string>();
  private listing: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, opts: StoreOptions) {
    this.dir = dir;
    this.layout = layoutOf(dir);
    this.logger = opts.logger ?? noopLogger;
    this.price = opts.price;
    this.now = opts.now ?? (() => new Date());
    this.io = faultIOFromEnv(opts.io);
  }

  /** Opens the store in `dir`, creating its `sessions/` folder (a read-only folder still reads). */
  static async open(dir: string, opts: StoreOptions = {}): Promise<SessionStore> {
    const store = new SessionStore(resolve(dir), opts);
    try {
      await fs.mkdir(store.layout.sessions, { recursive: true });
    } catch (e) {
      store.logger.warn('could not create the sessions folder; reading only', { dir, error: String(e) });
    }
    return store;
  }

  /**
   * The sessions, newest first (by last update), from the index; a session whose log changed
   * since it was indexed is read again, and the index rewritten when anything changed.
   */
  list(): Promise<SessionList> {
    const run = this.listing.then(() => this.listNow());
    this.listing = run.catch(() => undefined);
    return run;
  }

  /**
   * Loads a session whatever is wrong with its file (problems are reported in the result, bad
   * files moved or copied aside); null when there is no session of that id.
   */
  async load(sessionId: string): Promise<LoadedSession | null> {
    if (!isSafeSessionId(sessionId)) return null;
    const f = await this.locate(sessionId);
    if (!f) return null;
    const r = await readSessionFile(f, { ...this.readContext(), checkpoints: true });
    if (r.ok) return r.loaded;
    return r.skipped ? null : placeholderSession(sessionId, r.problems);
  }

  /** Starts a new session: writes (and syncs) its `session.created` and returns its writer. */
  async create(o: CreateOptions): Promise<SessionWriter> {
    const sessionId = o.sessionId ?? randomUUID();
    if (!isSafeSessionId(sessionId))
      throw new Error(`"${sessionId}" cannot be a session id (not a safe file name)`);
    const body = {
      type: 'session.created' as const,
      sessionId,
      title: o.title.slice(0, 500),
      provider: o.provider,
      model: o.model,
    };
    sessionEventSchema.parse({ ...body, v: LOG_VERSION, at: this.now().toISOString() });
    if (this.creating.has(sessionId) || (await this.locate(sessionId))) {
      throw new Error(`session ${sessionId} already exists`);
    }
    this.creating.add(sessionId);
    try {
      const file = this.logPath(sessionId);
      const handle = await fs.open(file, 'ax+').catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EEXIST' ? new Error(`session ${sessionId} already exists`) : e;
      });
      const lease = await takeLease(this.layout, sessionId);
      const writer = this.newWriter(sessionId, file, handle, emptySession(sessionId), 0, lease, false);
      try {
        await writer.append(body);
      } catch (e) {
        await writer.close();
        throw e;
      }
      await syncDir(this.layout.sessions);
      this.writers.set(sessionId, writer);
      return writer;
    } finally {
      this.creating.delete(sessionId);
    }
  }

  /**
   * Opens a session to continue it. A torn last line is kept aside, then cut off, so the next
   * append starts on a fresh line. A session in an old format is first converted to a v1 log
   * (the old file is kept; see README.md). Refuses a read-only session (newer version), an
   * unreadable one, and one already open for writing in this store.
   *
   * When no other live process holds the session (leases.ts), whatever a dead process left open
   * is closed: each request still streaming gets `request.ended` interrupted, each turn still
   * running `turn.ended` interrupted (their usage saved so far stays as it is). With another live
   * writer, its running turn may be real, so nothing is closed and no torn tail is cut.
   */
  async openWriter(sessionId: string): Promise<SessionWriter> {
    if (!isSafeSessionId(sessionId)) throw new Error(`no session "${sessionId}"`);
    if (this.writers.has(sessionId) || this.opening.has(sessionId)) {
      throw new Error(`session ${sessionId} is already open for writing`);
    }
    this.opening.add(sessionId);
    let lease: Lease | null = null;
    try {
      lease = await takeLease(this.layout, sessionId);
      for (let attempt = 0; attempt < 3; attempt++) {
        const opened = await this.tryOpenWriter(sessionId, lease);
        if (opened) {
          const { writer, alone } = opened;
          lease = null; // the writer owns it now
          if (alone) await this.closeDangling(writer);
          this.writers.set(sessionId, writer);
          return writer;
        }
      }
      throw new Error(
        `session ${sessionId} keeps changing while it is opened (another process is writing it)`,
      );
    } finally {
      await lease?.release();
      this.opening.delete(sessionId);
    }
  }

  /** Closes the requests and turns a dead process left open (see `openWriter`). */
  private async closeDangling(writer: SessionWriter): Promise<void> {
    const why = 'the process recording it ended before it did (a crash or a kill)';
    const s = writer.state;
    const requests = [...s.requests.values()].filter((r) => r.status === 'streaming');
    const turns = s.turns.filter((t) => t.status === 'running');
    if (requests.length === 0 && turns.length === 0) return;
    try {
      for (const r of requests)
        await writer.append({
          type: 'request.ended',
          requestId: r.requestId,
          status: 'interrupted',
          error: why,
        });
      for (const t of turns)
        await writer.append({ type: 'turn.ended', turnId: t.turnId, status: 'interrupted', error: why });
    } catch (e) {
      await writer.close();
      throw e;
    }
    this.logger.info('closed what a previous process left open', {
      sessionId: writer.sessionId,
      requests: requests.length,
      turns: turns.length,
    });
  }

  /** Renames a session (appends `session.renamed`). */
  async rename(sessionId: string, title: string): Promise<void> {
    const open = this.writers.get(sessionId);
    if (open) {
      await open.append({ type: 'session.renamed', title: title.slice(0, 500) });
      return;
    }
    const writer = await this.openWriter(sessionId);
    try {
      await writer.append({ type: 'session.renamed', title: title.slice(0, 500) });
    } finally {
      await writer.close();
    }
  }

  /**
   * Deletes a session: its conversation goes, its spending stays. A tombstone (the session's turns
   * and requests with their usage and cost, no messages; tombstone.ts) is written to
   * `sessions/trash/` first, then the session's files are removed. A file that cannot be read is
   * moved to the trash as it is instead. With `purge`, nothing is kept: the files are removed and
   * so are earlier tombstones of this id (reports forget its spending). False when there was
   * nothing to delete.
   */
  async delete(sessionId: string, opts: DeleteOptions = {}): Promise<boolean> {
    if (!isSafeSessionId(sessionId)) return false;
    await this.writers.get(sessionId)?.close();
    const files = (await this.sessionFiles()).get(sessionId) ?? [];
    // A cache of what is being deleted: never of use again (a new log under this id is another).
    await removeCheckpoint(this.layout, sessionId);
    if (opts.purge) {
      const tombstones = trashFiles(await readdirOrEmpty(this.layout.trash)).filter(
        (t) => t.sessionId === sessionId,
      );
      for (const f of files) await fs.rm(f.path, { force: true });
      for (const t of tombstones) await fs.rm(join(this.layout.trash, t.name), { force: true });
      if (files.length + tombstones.length === 0) return false;
      await syncDir(this.layout.sessions);
      this.logger.info('session purged (conversation and spending)', { sessionId });
      return true;
    }
    if (files.length === 0) return false;
    const r = await readSessionFile(files[0]!, this.readContext());
    const now = this.now();
    if (r.ok) {
      const keptAt = await writeTombstone(this.layout, r.loaded.state, now);
      for (const f of files) await fs.rm(f.path, { force: true });
      await syncDir(this.layout.sessions);
      this.logger.info('session deleted; its spending kept as a tombstone', { sessionId, keptAt });
      return true;
    }
    // Nothing readable to make a tombstone of: keep the bytes in the trash as they are.
    await fs.mkdir(this.layout.trash, { recursive: true });
    const stamp = fileStamp(now);
    for (const f of files) {
      if (await exists(f.path))
        await fs.rename(f.path, join(this.layout.trash, `${basename(f.path)}.${stamp}`));
    }
    this.logger.info('session moved to trash', { sessionId, files: files.map((f) => f.path) });
    return true;
  }

  /**
   * Converts an old-format file (a message history or a format-0 log) into a v1 session with
   * `importedFrom: { file, sha256 }`. Importing the same content twice changes nothing.
   * Throws (with a clear message) for a file that is not an old-format session.
   */
  async importFile(path: string): Promise<ImportResult> {
    const file = resolve(path);
    const buf = await readRegularFile(file);
    const sha256 = sha256Of(buf);
    const { sessions, problems: listed } = await this.list();
    const prior = sessions.find((s) => s.importedSha256 === sha256);
    if (prior) {
      return {
        sessionId: prior.sessionId,
        created: false,
        report: [
          `already imported as session ${prior.sessionId} (same content, sha256 ${sha256.slice(0, 12)}…)`,
        ],
      };
    }

    const ownLogId = dirname(file) === this.layout.sessions ? logFileId(basename(file)) : null;
    if (ownLogId) {
      // One of our own logs: a format-0 one is converted in place (the original kept in legacy/).
      const r = await readSessionFile({ sessionId: ownLogId, path: file, kind: 'log' }, this.readContext());
      if (!r.ok) {
        // Listing just now may have moved an unreadable file aside: say why, not that it vanished.
        const why = r.problems.length > 0 ? r.problems : listed.filter((p) => p.file === file);
        if (why.length === 0 && (await exists(file))) {
          throw new Error(`${basename(file)} holds no record yet (a session being created?)`);
        }
        throw new Error(why.map((p) => p.message).join('; ') || 'the file disappeared');
      }
      if (r.loaded.format === 'v1') throw new Error('it is already a v1 session log: nothing to import');
      await this.convertInPlace({ sessionId: ownLogId, path: file, kind: 'log' }, r);
      return { sessionId: ownLogId, created: true, report: reportOf(r.converted!, r.loaded.problems) };
    }

    const problems = new ProblemList(file);
    const fallbackTime = new Date((await fs.stat(file)).mtimeMs).toISOString();
    const inStorage = dirname(file) === this.dir || dirname(file) === this.layout.sessions;
    const { claimedId, convert } = recognizeOldFile(file, buf, problems, inStorage);

    const notes: string[] = [];
    let sessionId = claimedId;
    if (
      sessionId === undefined ||
      !isSafeSessionId(sessionId) ||
      (await this.idTakenByAnother(sessionId, file))
    ) {
      const fresh = randomUUID();
      if (sessionId !== undefined)
        notes.push(`session id ${sessionId} is taken or unusable here; imported as ${fresh}`);
      sessionId = fresh;
    }
    const ctx: ConvertContext = {
      sessionId,
      problems,
      fallbackTime,
      ...(this.price ? { price: this.price } : {}),
    };
    const converted = convert(ctx);
    await writeConvertedLog(this.layout, sessionId, converted, { file, sha256 }, 'create', this.now());
    this.logger.info('imported an old-format file', { file, sessionId });
    return { sessionId, created: true, report: [...notes, ...reportOf(converted, problems.done())] };
  }

  /** Closes every open writer. */
  async close(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.close()));
  }

  // --- internals ---

  private logPath(sessionId: string): string {
    return join(this.layout.sessions, `${sessionId}${LOG_SUFFIX}`);
  }

  private readContext(): ReadContext {
    return {
      layout: this.layout,
      logger: this.logger,
      now: this.now,
      ...(this.price ? { price: this.price } : {}),
      mayBeNew: (f, mtimeMs) =>
        this.creating.has(f.sessionId) ||
        this.writers.has(f.sessionId) ||
        this.now().getTime() - mtimeMs < NEW_FILE_GRACE_MS,
    };
  }

  /** The file a session is read from: its log, else a message history (sessions/ before the top). */
  private async locate(sessionId: string): Promise<SessionFile | null> {
    const candidates: SessionFile[] = [
      { sessionId, path: this.logPath(sessionId), kind: 'log' },
      { sessionId, path: join(this.layout.sessions, `message-history-${sessionId}.json`), kind: 'history' },
      { sessionId, path: join(this.dir, `message-history-${sessionId}.json`), kind: 'history' },
    ];
    for (const c of candidates) {
      if (await exists(c.path)) return c;
    }
    return null;
  }

  /** Every session file by id, in the order `locate` prefers them. */
  private async sessionFiles(): Promise<Map<string, SessionFile[]>> {
    const out = new Map<string, SessionFile[]>();
    const add = (f: SessionFile) => out.set(f.sessionId, [...(out.get(f.sessionId) ?? []), f]);
    const inSessions = await readdirOrEmpty(this.layout.sessions);
    for (const name of inSessions) {
      const id = logFileId(name);
      if (id) add({ sessionId: id, path: join(this.layout.sessions, name), kind: 'log' });
    }
    for (const name of inSessions) {
      const id = historyFileId(name);
      if (id) add({ sessionId: id, path: join(this.layout.sessions, name), kind: 'history' });
    }
    for (const name of await readdirOrEmpty(this.dir)) {
      const id = historyFileId(name);
      if (id) add({ sessionId: id, path: join(this.dir, name), kind: 'history' });
    }
    return out;
  }

  private async listNow(): Promise<SessionList> {
    const { entries, trash, whole } = await readIndex(this.layout.index);
    let changed = !whole;
    const problems: Problem[] = [];
    const sessions: SessionSummary[] = [];
    const ctx = this.readContext();
    // Each session's file is checked (and read again when it changed), a few in hand at a time;
    // the results are taken in the listing's order, so problems come out as they would one by one.
    const live = await inOrder(
      [...(await this.sessionFiles())],
      LIST_CONCURRENCY,
      async ([sessionId, files]) => {
        const f = files[0]!;
        const rel = relative(this.dir, f.path);
        const cached = entries.get(sessionId);
        const st = cached ? statOrNull(f.path) : null; // nothing to compare with: read it
        if (st && cached && cached.file === rel && cached.size === st.size && cached.mtimeMs === st.mtimeMs) {
          return { cached };
        }
        const r = await readSessionFile(f, ctx, { light: true });
        return { read: r, rel };
      },
    );
    for (const x of live) {
      if (x.cached) {
        sessions.push(x.cached);
        continue;
      }
      changed = true;
      const r = x.read;
      if (!r.ok) {
        problems.push(...r.problems);
        continue;
      }
      problems.push(...r.loaded.problems);
      sessions.push(summarize(r.loaded, { rel: x.rel, size: r.size, mtimeMs: r.mtimeMs }, null));
    }
    if (sessions.length !== entries.size) changed = true;
    sessions.sort((a, b) =>
      a.updatedAt === b.updatedAt
        ? a.sessionId.localeCompare(b.sessionId)
        : a.updatedAt < b.updatedAt
          ? 1
          : -1,
    );
    const deleted: SessionSummary[] = [];
    const dead = await inOrder(
      trashFiles(await readdirOrEmpty(this.layout.trash)),
      LIST_CONCURRENCY,
      async (t) => {
        const path = join(this.layout.trash, t.name);
        const rel = relative(this.dir, path);
        const st = statOrNull(path);
        const cached = trash.get(rel);
        if (st && cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return { cached };
        const r = await readSessionFile({ sessionId: t.sessionId, path, kind: t.kind }, ctx, { light: true });
        return { read: r, rel, deletedAt: t.deletedAt };
      },
    );
    for (const x of dead) {
      if (x.cached) {
        deleted.push(x.cached);
        continue;
      }
      changed = true;
      const r = x.read;
      if (!r.ok) continue; // an unreadable tombstone was moved aside and reported in the log
      deleted.push(summarize(r.loaded, { rel: x.rel, size: r.size, mtimeMs: r.mtimeMs }, null, x.deletedAt));
    }
    if (deleted.length !== trash.size) changed = true;
    if (changed) {
      await writeIndex(this.layout.index, sessions, deleted).catch((e) =>
        this.logger.warn('could not write the session index', { error: String(e) }),
      );
    }
    return { sessions, problems, deleted };
  }

  private async idTakenByAnother(sessionId: string, file: string): Promise<boolean> {
    if (this.writers.has(sessionId) || this.creating.has(sessionId)) return true;
    const f = await this.locate(sessionId);
    return f !== null && f.path !== file;
  }

  private newWriter(
    sessionId: string,
    file: string,
    handle: FileHandle,
    state: ReturnType<typeof emptySession>,
    offset: number,
    lease: Lease,
    suspectTail: boolean,
  ): SessionWriter {
    return new SessionWriter({
      sessionId,
      file,
      handle,
      state,
      offset,
      suspectTail,
      io: this.io,
      logger: this.logger,
      now: this.now,
      onClose: async () => {
        if (this.writers.get(sessionId)?.file === file) this.writers.delete(sessionId);
        await lease.release();
      },
    });
  }

  /**
   * One attempt to open a writer; null when the log changed under us (try again). `alone`: no
   * other live process holds a lease on the session.
   */
  private async tryOpenWriter(
    sessionId: string,
    lease: Lease,
  ): Promise<{ writer: SessionWriter; alone: boolean } | null> {
    let f = await this.locate(sessionId);
    if (!f) throw new Error(`no session "${sessionId}"`);
    let r = await readSessionFile(f, { ...this.readContext(), checkpoints: true });
    if (r.ok && r.loaded.format !== 'v1') {
      await this.convertInPlace(f, r);
      f = { sessionId, path: this.logPath(sessionId), kind: 'log' };
      r = await readSessionFile(f, this.readContext());
    }
    if (!r.ok) {
      if (r.skipped && !(await exists(f.path))) return null;
      if (r.skipped) throw new Error(`session ${sessionId} has no events yet (it is being created)`);
      throw new Error(
        `session ${sessionId} cannot be continued: ${r.problems.map((p) => p.message).join('; ')}`,
      );
    }
    if (r.loaded.readOnly) {
      throw new Error(
        `session ${sessionId} is read-only: it was written by a newer version of Tally (log version ` +
          `${r.newestVersion}; this build writes version ${LOG_VERSION})`,
      );
    }
    const parsed = r.parsed!;
    const alone = (await otherLiveWriters(this.layout, sessionId, lease.path)) === 0;
    const handle = await fs.open(f.path, 'a+');
    let size = r.size;
    try {
      const unclean = parsed.torn !== null || parsed.needsNewline;
      // Fixing the last line is only safe on the bytes that were read: if the log grew since
      // (another process appending), read it again. A clean log needs no fix and opens as is.
      if (unclean && (await handle.stat()).size !== r.size) {
        await handle.close();
        return null;
      }
      const keptAt = r.loaded.problems.find((p) => p.kind === 'torn-tail')?.keptAt;
      if (unclean && !alone) {
        // Another live writer: the partial line may be its write in progress. A newline lands
        // after that write (appends do not interleave) or ends a dead one's torn bytes; either
        // way the log then ends cleanly, and is read again.
        await handle.write('\n');
        await handle.close();
        return null;
      }
      if (parsed.torn && keptAt) {
        // The torn bytes are safe in aside/: cut them off so the next line starts clean.
        await handle.truncate(parsed.goodLength);
        await handle.datasync();
        size = parsed.goodLength;
        this.logger.info('cut a torn last line after keeping it aside', { sessionId, keptAt });
      } else if (unclean) {
        // No copy aside (or a whole last line without its newline): keep the bytes in place.
        await handle.write('\n');
        await handle.datasync();
        size = r.size + 1;
      }
    } catch (e) {
      await handle.close();
      throw e;
    }
    const writer = this.newWriter(sessionId, f.path, handle, r.loaded.state, size, lease, false);
    return { writer, alone };
  }

  /**
   * Turns a session read from an old format into a v1 log at `sessions/<id>.jsonl`. A format-0
   * log there is first linked (or copied) into `sessions/legacy/`, then replaced atomically by
   * the v1 log; a message history stays where it is (the v1 log now takes precedence).
   */
  private async convertInPlace(f: SessionFile, r: Extract<ReadResult, { ok: true }>): Promise<void> {
    const source = f.kind === 'log' ? await keepLegacyOriginal(f, this.layout, this.now()) : f.path;
    await writeConvertedLog(
      this.layout,
      f.sessionId,
      r.converted!,
      { file: source, sha256: r.sha256 ?? '' },
      f.kind === 'log' ? 'replace' : 'create',
      this.now(),
    );
    this.logger.info('converted an old-format session to a v1 log', {
      sessionId: f.sessionId,
      from: f.path,
      keptAt: source,
    });
  }
}

function reportOf(converted: Converted, problems: readonly Problem[]): string[] {
  return [...converted.notes, ...problems.map((p) => `${p.kind}: ${p.message}`)];
}

function sha256Of(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** `fn` over `items`, at most `limit` at a time; the results in the items' order. */
async function inOrder<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The file's size and mtime, or null (synchronous: a list checks thousands of files in a row). */
function statOrNull(path: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
