/**
 * Appends events to one session's log. Each event is validated, written as one complete line in
 * one `write()` on a file opened with O_APPEND (so two processes appending cannot interleave
 * within a line), and folded into `state`. Appends of one session run one after another (a
 * promise queue). Events that end something are synced before the append resolves, so
 * "acknowledged" means "on disk".
 *
 * `state` is the fold of the FILE, not only of this writer's appends: the writer remembers how
 * many bytes of the log it has folded, and when the file has grown by more than its own line
 * (another window, or `tally run`, appending to the same session) it reads the new complete
 * lines and folds them in file order. `refresh()` does the same on demand.
 *
 * Saving costs the same at turn 10 and at turn 10,000: nothing earlier is read or rewritten.
 */
import { fstatSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { applyEvent, type SessionState } from '../ledger/ledger';
import type { Logger } from '../log';
import { type EventBody, LOG_VERSION, type SessionEvent, sessionEventSchema } from './events';
import { parseLog } from './parseLog';
import { ProblemList } from './problems';

export interface AppendOptions {
  /**
   * Sync the file before resolving. Default: true for events that end something (a final usage
   * snapshot, `request.ended`, `turn.ended`) and for `session.*`; false otherwise.
   */
  durable?: boolean;
}

/** Whether an event is synced by default: it ends something, or names the session. */
export function isDurableByDefault(e: SessionEvent): boolean {
  switch (e.type) {
    case 'request.usage':
      return e.final;
    case 'request.ended':
    case 'turn.ended':
    case 'session.created':
    case 'session.renamed':
      return true;
    default:
      return false;
  }
}

/**
 * The two storage calls an append makes, injectable so tests can make them fail (ENOSPC, EIO,
 * EACCES, short writes) the way a full or failing disk does.
 */
export interface WriterIO {
  /** Writes `buf` at the end of the file; returns the bytes written. */
  write(handle: FileHandle, buf: Buffer): Promise<number>;
  datasync(handle: FileHandle): Promise<void>;
}

export const realWriterIO: WriterIO = {
  write: async (handle, buf) => (await handle.write(buf, 0, buf.length)).bytesWritten,
  datasync: (handle) => handle.datasync(),
};

/** A failed save, with one line for the user that says what happened and what to do. */
export class SessionWriteError extends Error {
  override readonly name = 'SessionWriteError';
  constructor(
    readonly sessionId: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full; free some space, then continue the session',
  EDQUOT: 'the disk quota is used up; free some space, then continue the session',
  EACCES: 'permission denied; check that the storage folder can be written',
  EPERM: 'permission denied; check that the storage folder can be written',
  EROFS: 'the storage folder is on a read-only file system',
  EIO: 'the disk reported an I/O error; check the disk, then continue the session',
};

/** Errors worth one more try when no byte of the line reached the file. */
const TRANSIENT = new Set(['EAGAIN', 'EINTR', 'EBUSY', 'EIO', 'ETIMEDOUT']);
const RETRIES = 2;

/** The session `what` failed with `e`: one line, what was kept, what to do. */
export function describeWriteFailure(sessionId: string, what: string, e: unknown): SessionWriteError {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const hint = (code && HINTS[code]) ?? `${err?.message ?? String(e)}`.replace(/\s+/g, ' ');
  return new SessionWriteError(
    sessionId,
    code,
    `could not save session ${sessionId} (${what}${code ? `: ${code}` : ''}): ${hint}; what was saved before is kept`,
  );
}

export interface WriterInit {
  sessionId: string;
  file: string;
  /** The log, opened for appending and reading ('a+'). */
  handle: FileHandle;
  state: SessionState;
  /** Bytes of the log that `state` is the fold of (ends on a line boundary). */
  offset: number;
  logger: Logger;
  now: () => Date;
  onClose: () => Promise<void> | void;
  io?: WriterIO;
  /** The log may end in a partial line (a failed write, a torn tail left in place): start a fresh line. */
  suspectTail?: boolean;
}

/**
 * Test hook (documented in README.md): with TALLY_ACK_FD=<fd> in the environment, every append
 * that resolved is reported as one line `<id> <type>[ final|partial]` on that file descriptor,
 * after its write (and its sync, when durable) returned. The crash harness uses it to know what
 * was acknowledged when it killed the process.
 */
function ackFd(): number | null {
  const v = process.env.TALLY_ACK_FD;
  const fd = v === undefined ? Number.NaN : Number(v);
  return Number.isSafeInteger(fd) && fd > 2 ? fd : null;
}

/**
 * Test hook (documented in README.md): TALLY_WRITE_FAULT=<CODE>:<N>[:once] makes the N-th append
 * of this process (1-based) and every later one fail with that error code, or only the N-th with
 * `once`: a disk that fills up, or a glitch. It acts through `WriterIO`, like a real failure.
 */
export function faultIOFromEnv(base: WriterIO = realWriterIO): WriterIO {
  const m = /^([A-Z]+):(\d+)(:once)?$/.exec(process.env.TALLY_WRITE_FAULT ?? '');
  if (!m) return base;
  const code = m[1]!;
  const at = Number(m[2]);
  const once = m[3] !== undefined;
  let n = 0;
  return {
    write: (h, buf) => {
      n++;
      if (n === at || (!once && n > at)) {
        const e: NodeJS.ErrnoException = new Error(`${code}: injected fault, write`);
        e.code = code;
        return Promise.reject(e);
      }
      return base.write(h, buf);
    },
    datasync: (h) => base.datasync(h),
  };
}

/** The writer of a session in this process. Get it from `SessionStore.create` or `openWriter`. */
export class SessionWriter {
  readonly sessionId: string;
  /** The log's path. */
  readonly file: string;
  /** The session as recorded so far: the fold of every complete line of the log. */
  readonly state: SessionState;
  private readonly handle: FileHandle;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly onClose: () => Promise<void> | void;
  private readonly io: WriterIO;
  private readonly ack: number | null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bytes of the file folded into `state` (always at a line boundary). */
  private offset: number;
  /** The file may end in a partial line: the next append checks and starts a fresh line. */
  private suspect: boolean;
  private closed = false;

  constructor(init: WriterInit) {
    this.sessionId = init.sessionId;
    this.file = init.file;
    this.state = init.state;
    this.handle = init.handle;
    this.offset = init.offset;
    this.logger = init.logger;
    this.now = init.now;
    this.onClose = init.onClose;
    this.io = init.io ?? realWriterIO;
    this.suspect = init.suspectTail ?? false;
    this.ack = ackFd();
  }

  /**
   * Validates the event (adding `v` and `at`), appends it as one line, syncs it when it ends
   * something (see `AppendOptions`), folds it (and anything another process appended before it)
   * into `state`, and returns it. Rejects without writing anything when the event fails the
   * schema; rejects with a `SessionWriteError` when the disk refuses (the writer stays usable:
   * a later append starts on a fresh line, and nothing already saved is touched).
   */
  append(body: EventBody, opts: AppendOptions = {}): Promise<SessionEvent> {
    if (this.closed) return Promise.reject(new Error(`session ${this.sessionId}: the writer is closed`));
    const run = this.queue.then(() => this.write(body, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Folds whatever other processes appended since the last append; resolves to the events folded. */
  refresh(): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    const run = this.queue.then(async () => {
      const st = await this.handle.stat();
      return (await this.catchUp(st.size, null)).folded;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for every append made so far. */
  async flush(): Promise<void> {
    await this.queue;
  }

  /** Waits for pending appends, then closes the file. Appending afterwards rejects. */
  async close(): Promise<void> {
    if (this.closed) return this.queue.then(() => undefined);
    this.closed = true;
    await this.queue;
    try {
      await this.handle.close();
    } finally {
      await this.onClose();
    }
  }

  private async write(body: EventBody, opts: AppendOptions): Promise<SessionEvent> {
    const event = sessionEventSchema.parse({ ...body, v: LOG_VERSION, at: this.now().toISOString() });
    const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
    const durable = opts.durable ?? isDurableByDefault(event);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.writeLine(line, event);
        break;
      } catch (e) {
        this.suspect = true;
        const code = (e as NodeJS.ErrnoException).code;
        if (attempt < RETRIES && code && TRANSIENT.has(code) && (await this.nothingLanded())) {
          this.logger.info('session write failed; retrying', { sessionId: this.sessionId, code, attempt });
          await new Promise((r) => setTimeout(r, 25 * (attempt + 1)));
          continue;
        }
        // Logged at info: the error itself goes to the caller, which shows it once.
        this.logger.info('session write failed', {
          sessionId: this.sessionId,
          type: event.type,
          error: String(e),
        });
        throw e instanceof SessionWriteError ? e : describeWriteFailure(this.sessionId, 'write', e);
      }
    }
    if (durable) {
      try {
        await this.io.datasync(this.handle);
      } catch (e) {
        // The line is in the file (and in `state`), but not known to be on the disk.
        this.logger.info('session sync failed', { sessionId: this.sessionId, error: String(e) });
        throw describeWriteFailure(this.sessionId, 'sync', e);
      }
    }
    this.acknowledge(event);
    if (event.type === 'request.usage') {
      this.logger.debug('usage saved', {
        sessionId: this.sessionId,
        requestId: event.requestId,
        at: event.at,
        final: event.final,
        source: event.usage.source,
        inputTokens: event.usage.inputTokens,
        outputTokens: event.usage.outputTokens,
        totalTokens: event.usage.totalTokens,
        costPico: event.cost.pico,
        costBasis: event.cost.basis,
        durable,
      });
    }
    return event;
  }

  /** Writes one line and folds it (with anything appended before it by others) into `state`. */
  private async writeLine(line: Buffer, event: SessionEvent): Promise<void> {
    let out = line;
    if (this.suspect) {
      // After a failed write (or a torn tail left in place) the file may end mid-line: fold
      // what is complete, and if bytes remain after the last newline, start a fresh line.
      const st = await this.handle.stat();
      const { tail } = await this.catchUp(st.size, null);
      if (tail > 0) out = Buffer.concat([Buffer.from('\n'), line]);
    }
    for (let glued = 0; ; glued++) {
      const before = this.offset;
      const written = await this.io.write(this.handle, out);
      if (written !== out.length) {
        const e: NodeJS.ErrnoException = new Error(`short write (${written} of ${out.length} bytes)`);
        e.code = 'ESHORT';
        throw e;
      }
      this.suspect = false;
      // A synchronous fstat: microseconds, and no thread-pool round trip on every append.
      const st = fstatSync(this.handle.fd);
      if (st.size < before + out.length) {
        // Not ours to mend: what this writer folded is no longer all in the file.
        throw new Error(
          'the log is shorter than what was written to it (another program cut it, or the disk lost the write); reopen the session',
        );
      }
      if (st.size === before + out.length && out === line) {
        // Nobody else appended: the common case, no read.
        applyEvent(this.state, event);
        this.offset = st.size;
        return;
      }
      const { foundOwn } = await this.catchUp(st.size, line);
      if (foundOwn) return;
      // Our line landed glued to bytes another process left unfinished (it died mid-write):
      // that line is unreadable, so write ours again on a fresh line.
      if (glued >= 1) throw new Error('the log keeps ending in a partial line');
      this.logger.warn('appended after a partial line; writing the event again on its own line', {
        sessionId: this.sessionId,
      });
      out = Buffer.concat([Buffer.from('\n'), line]);
    }
  }

  /**
   * Reads the log from `offset` to `size`, folds its complete lines in file order, and moves
   * `offset` past the last newline. `own`: a line this writer just wrote, looked for among them.
   */
  private async catchUp(
    size: number,
    own: Buffer | null,
  ): Promise<{ folded: number; tail: number; foundOwn: boolean }> {
    if (size <= this.offset) return { folded: 0, tail: 0, foundOwn: false };
    const buf = Buffer.alloc(size - this.offset);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.handle.read(buf, got, buf.length - got, this.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const chunk = buf.subarray(0, got);
    const last = chunk.lastIndexOf(0x0a);
    const complete = chunk.subarray(0, last + 1);
    let foundOwn = false;
    if (own) {
      for (let start = 0; start < complete.length; ) {
        const end = complete.indexOf(0x0a, start);
        if (end - start + 1 === own.length && complete.subarray(start, end + 1).equals(own)) {
          foundOwn = true;
          break;
        }
        start = end + 1;
      }
    }
    let problems = new ProblemList(this.file);
    let parsed = parseLog(complete, problems);
    if (problems.items.length > 0) {
      // Rare (another process wrote a bad line): read again to name lines as in the whole file.
      problems = new ProblemList(this.file);
      parsed = parseLog(complete, problems, undefined, await this.linesBefore(this.offset));
    }
    for (const e of parsed.events) applyEvent(this.state, e);
    for (const p of problems.done())
      this.logger.warn('a line appended to the session could not be read', {
        sessionId: this.sessionId,
        problem: p.message,
      });
    this.offset += complete.length;
    return { folded: parsed.events.length, tail: chunk.length - complete.length, foundOwn };
  }

  /** How many lines the log holds before byte `end` (its newlines). */
  private async linesBefore(end: number): Promise<number> {
    const buf = Buffer.alloc(end);
    await this.handle.read(buf, 0, end, 0);
    let lines = 0;
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) lines++;
    return lines;
  }

  /** After a failed write: whether the file is as it was (no byte of the line landed). */
  private async nothingLanded(): Promise<boolean> {
    try {
      return (await this.handle.stat()).size === this.offset;
    } catch {
      return false;
    }
  }

  private acknowledge(event: SessionEvent): void {
    if (this.ack === null) return;
    const id =
      'requestId' in event
        ? event.requestId
        : 'turnId' in event && event.turnId
          ? event.turnId
          : this.sessionId;
    const kind = event.type === 'request.usage' ? (event.final ? ' final' : ' partial') : '';
    try {
      writeSync(this.ack, `${id} ${event.type}${kind}\n`);
    } catch {
      // The harness went away: nothing to tell.
    }
  }
}
