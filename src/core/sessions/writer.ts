/**
 * Appends events to one session's log. Each event is validated, written as one complete line in
 * one `write()` on a file opened with O_APPEND (so two processes appending cannot interleave
 * within a line), and applied to `state`, which is therefore always the fold of what is on disk.
 * Appends of one session run one after another (a promise queue). Events that end something
 * are synced before the append resolves, so "acknowledged" means "on disk".
 *
 * Saving costs the same at turn 10 and at turn 10,000: nothing is read or rewritten.
 */
import type { FileHandle } from 'node:fs/promises';
import { applyEvent, type SessionState } from '../ledger/ledger';
import type { Logger } from '../log';
import { type EventBody, LOG_VERSION, type SessionEvent, sessionEventSchema } from './events';

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

export interface WriterInit {
  sessionId: string;
  file: string;
  handle: FileHandle;
  state: SessionState;
  logger: Logger;
  now: () => Date;
  onClose: () => void;
}

/** The one writer of a session in this process. Get it from `SessionStore.create` or `openWriter`. */
export class SessionWriter {
  readonly sessionId: string;
  /** The log's path. */
  readonly file: string;
  /** The session as recorded so far (the fold of every event in the log). */
  readonly state: SessionState;
  private readonly handle: FileHandle;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly onClose: () => void;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;

  constructor(init: WriterInit) {
    this.sessionId = init.sessionId;
    this.file = init.file;
    this.state = init.state;
    this.handle = init.handle;
    this.logger = init.logger;
    this.now = init.now;
    this.onClose = init.onClose;
  }

  /**
   * Validates the event (adding `v` and `at`), appends it as one line, syncs it when it ends
   * something (see `AppendOptions`), applies it to `state`, and returns it. Rejects without
   * writing anything when the event fails the schema.
   */
  append(body: EventBody, opts: AppendOptions = {}): Promise<SessionEvent> {
    if (this.closed) return Promise.reject(new Error(`session ${this.sessionId}: the writer is closed`));
    const run = this.queue.then(() => this.write(body, opts));
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
      this.onClose();
    }
  }

  private async write(body: EventBody, opts: AppendOptions): Promise<SessionEvent> {
    if (this.failure)
      throw new Error(`session ${this.sessionId}: an earlier write failed (${this.failure.message})`);
    const event = sessionEventSchema.parse({ ...body, v: LOG_VERSION, at: this.now().toISOString() });
    const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
    const durable = opts.durable ?? isDurableByDefault(event);
    try {
      const { bytesWritten } = await this.handle.write(line, 0, line.length);
      if (bytesWritten !== line.length)
        throw new Error(`short write (${bytesWritten} of ${line.length} bytes)`);
      if (durable) await this.handle.datasync();
    } catch (e) {
      // The line may be partly on disk: refuse further appends, so nothing lands after a torn
      // line; reopening the session keeps the torn bytes aside and starts on a fresh line.
      this.failure = e as Error;
      this.logger.error('session write failed', {
        sessionId: this.sessionId,
        type: event.type,
        error: String(e),
      });
      throw e;
    }
    applyEvent(this.state, event);
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
}
