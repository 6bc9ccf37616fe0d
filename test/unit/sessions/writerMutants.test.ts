/**
 * The session writer's edges that the other writer tests leave open, each with its exact
 * outcome: which TALLY_ACK_FD values are used, multi-digit TALLY_WRITE_FAULT counts, what a
 * suspect tail costs, the common append that reads nothing, and how `catchUp` reads (to the size
 * it was given, through short reads, past a shrunk file, looking for its own line).
 */
import assert from 'node:assert/strict';
import fsSync, { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { emptySession } from '../../../src/core/ledger/ledger';
import type { EventBody } from '../../../src/core/sessions/events';
import {
  faultIOFromEnv,
  realWriterIO,
  SessionWriter,
  type WriterIO,
} from '../../../src/core/sessions/writer';
import { memoryLogger, tempStorage } from './helpers';

const NOW = new Date('2026-01-02T03:04:05.006Z');
const AT = NOW.toISOString();

/** The line the writer writes for a `turn.started` (with its newline). */
function turnLine(turnId: string, index: number): string {
  return `${JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId, index })}\n`;
}

type ShortRead = (buf: Buffer, offset: number, length: number, position: number) => Promise<unknown>;

const turn = (turnId: string, index: number): EventBody => ({ type: 'turn.started', turnId, index });

function errno(code: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: injected`);
  e.code = code;
  return e;
}

/** A disk that records every buffer it is given, and writes it, or does what `plan` says for that write (1-based). */
function recordingIO(plan: Record<number, (h: FileHandle, buf: Buffer) => Promise<number>> = {}) {
  const written: string[] = [];
  const io: WriterIO = {
    write: async (h, buf) => {
      written.push(buf.toString('utf8'));
      const f = plan[written.length];
      return f ? f(h, buf) : realWriterIO.write(h, buf);
    },
    datasync: (h) => realWriterIO.datasync(h),
  };
  return { io, written };
}

describe('session writer: mutation-found cases', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await tempStorage();
    file = join(dir, 's1.jsonl');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A writer on `file`, which holds `content` first; `offset` defaults to its last line boundary. */
  async function writer(opts: { io?: WriterIO; suspectTail?: boolean; content?: string } = {}) {
    const content = opts.content ?? '';
    await fs.writeFile(file, content);
    const handle = await fs.open(file, 'a+');
    const logger = memoryLogger();
    const w = new SessionWriter({
      sessionId: 's1',
      file,
      handle,
      state: emptySession('s1'),
      offset: content.lastIndexOf('\n') + 1,
      logger,
      now: () => NOW,
      onClose: () => {},
      io: opts.io,
      suspectTail: opts.suspectTail,
    });
    return { w, logger, handle };
  }

  const turnIds = (w: SessionWriter) => w.state.turns.map((t) => t.turnId);
  const text = () => fs.readFile(file, 'utf8');

  describe('TALLY_ACK_FD', () => {
    const saved = process.env.TALLY_ACK_FD;
    afterEach(() => {
      if (saved === undefined) delete process.env.TALLY_ACK_FD;
      else process.env.TALLY_ACK_FD = saved;
    });

    /** The `writeSync` calls made while a writer built with TALLY_ACK_FD=`value` appends (none reach a descriptor). */
    async function ackCalls(value: string | undefined, body: EventBody = turn('t', 0)): Promise<unknown[][]> {
      if (value === undefined) delete process.env.TALLY_ACK_FD;
      else process.env.TALLY_ACK_FD = value;
      const { w } = await writer();
      const calls: unknown[][] = [];
      const real = fsSync.writeSync;
      fsSync.writeSync = ((...args: unknown[]) => {
        calls.push(args);
        return 0;
      }) as typeof fsSync.writeSync;
      try {
        await w.append(body);
      } finally {
        fsSync.writeSync = real;
      }
      await w.close();
      return calls;
    }

    it('unset, stdio (0, 1, 2) or not a whole number: nothing is written anywhere', async () => {
      for (const v of [undefined, '0', '1', '2', '2.0', '3.5', '-4', 'x', '']) {
        assert.deepEqual(await ackCalls(v), [], String(v));
      }
    });

    it('a descriptor above 2 gets the acknowledgement', async () => {
      assert.deepEqual(await ackCalls('3'), [[3, 't turn.started\n']]);
    });

    it('a message whose turnId key is there but undefined is acknowledged under the session id', async () => {
      const body = { type: 'message', turnId: undefined, message: { role: 'user', content: 'q' } } as const;
      const calls = await ackCalls('7', body);
      assert.deepEqual(calls, [[7, 's1 message\n']]);
    });
  });

  describe('TALLY_WRITE_FAULT', () => {
    const saved = process.env.TALLY_WRITE_FAULT;
    afterEach(() => {
      if (saved === undefined) delete process.env.TALLY_WRITE_FAULT;
      else process.env.TALLY_WRITE_FAULT = saved;
    });

    it('a count of several digits: the 12th write fails, not the first eleven', async () => {
      process.env.TALLY_WRITE_FAULT = 'ENOSPC:12';
      const ok: WriterIO = { write: async (_h, buf) => buf.length, datasync: async () => {} };
      const io = faultIOFromEnv(ok);
      assert.notEqual(io, ok);
      const out: string[] = [];
      for (let i = 0; i < 13; i++) {
        out.push(
          await io.write(null as unknown as FileHandle, Buffer.from('ab')).then(
            (n) => `ok ${n}`,
            (e: NodeJS.ErrnoException) => `${e.code}`,
          ),
        );
      }
      assert.deepEqual(out, [...Array(11).fill('ok 2'), 'ENOSPC', 'ENOSPC']);
    });
  });

  describe('appends', () => {
    it('a suspect tail costs one write: the newline and the line together', async () => {
      const partial = '{"v":1,"at":"x","type":"tu';
      const { io, written } = recordingIO();
      const { w, logger } = await writer({ io, content: partial, suspectTail: true });
      await w.append(turn('t', 0));
      assert.deepEqual(written, [`\n${turnLine('t', 0)}`]);
      // The partial line is now a whole (unreadable) line: reported once.
      assert.deepEqual(logger.lines, [
        {
          level: 'warn',
          msg: 'a line appended to the session could not be read',
          data: { sessionId: 's1', problem: 'line 1 skipped: not JSON' },
        },
      ]);
      assert.equal(await text(), `${partial}\n${turnLine('t', 0)}`);
      await w.close();
    });

    it('after a good append the writer trusts the end of the file again (no check before the next)', async () => {
      // A dead writer leaves a partial line after ours: the next append lands glued to it and is
      // written again, which is what an append does when it does not expect a partial line.
      const { io, written } = recordingIO();
      const { w } = await writer({ io });
      await w.append(turn('a', 0));
      await fs.appendFile(file, 'zz');
      await w.append(turn('b', 1));
      assert.deepEqual(written, [turnLine('a', 0), turnLine('b', 1), `\n${turnLine('b', 1)}`]);
      assert.equal(await text(), `${turnLine('a', 0)}zz${turnLine('b', 1)}\n${turnLine('b', 1)}`);
      assert.deepEqual(turnIds(w), ['a', 'b']);
      await w.close();
    });

    it('after a failed write, complete lines others appended meanwhile are folded and no newline is added', async () => {
      const { io, written } = recordingIO({ 1: async () => Promise.reject(errno('ENOSPC')) });
      const { w } = await writer({ io });
      await assert.rejects(w.append(turn('a', 0)), { code: 'ENOSPC' });
      await fs.appendFile(file, turnLine('o', 1));
      await w.append(turn('b', 2));
      assert.deepEqual(written, [turnLine('a', 0), turnLine('b', 2)]);
      assert.equal(await text(), `${turnLine('o', 1)}${turnLine('b', 2)}`);
      assert.deepEqual(turnIds(w), ['o', 'b']);
      await w.close();
    });

    it('an append nobody else raced reads nothing back from the file', async () => {
      const { w, handle } = await writer();
      let reads = 0;
      const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<unknown>;
      (handle as unknown as { read: unknown }).read = (...a: unknown[]) => {
        reads++;
        return read(...a);
      };
      await w.append(turn('a', 0));
      await w.append(turn('b', 1));
      assert.equal(reads, 0);
      assert.deepEqual(turnIds(w), ['a', 'b']);
      assert.equal(await w.refresh(), 0);
      await w.close();
    });

    it('a disk that reports the line written but keeps nothing: the append fails at once, saying so', async () => {
      const nothing = async (_h: FileHandle, buf: Buffer) => buf.length;
      const { io, written } = recordingIO({ 1: nothing, 2: nothing });
      const { w } = await writer({ io });
      await assert.rejects(w.append(turn('t', 0)), {
        name: 'SessionWriteError',
        message:
          'could not save session s1 (write): the log is shorter than what was written to it (another program cut it, ' +
          'or the disk lost the write); reopen the session; what was saved before is kept',
      });
      assert.deepEqual(written, [turnLine('t', 0)]);
      assert.deepEqual(turnIds(w), []);
      assert.equal(await text(), '');
      await w.close();
    });

    it('a log another program cut shorter: the next append fails, saying so, instead of retrying', async () => {
      const { w } = await writer();
      await w.append(turn('a', 0));
      await w.append(turn('b', 1));
      await fs.truncate(file, 0);
      await assert.rejects(w.append(turn('c', 2)), {
        name: 'SessionWriteError',
        message:
          'could not save session s1 (write): the log is shorter than what was written to it (another program cut it, ' +
          'or the disk lost the write); reopen the session; what was saved before is kept',
      });
      assert.deepEqual(turnIds(w), ['a', 'b']);
      await w.close();
    });

    it('a line of the same length as ours is not taken for ours', async () => {
      // Another process's line lands first, then ours glued to its partial bytes.
      const other = turnLine('u', 1);
      assert.equal(other.length, turnLine('t', 0).length);
      const glued = async (h: FileHandle, buf: Buffer) => {
        await realWriterIO.write(h, Buffer.concat([Buffer.from(`${other}zz`), buf]));
        return buf.length;
      };
      const { io, written } = recordingIO({ 1: glued });
      const { w } = await writer({ io });
      await w.append(turn('t', 0));
      assert.deepEqual(written, [turnLine('t', 0), `\n${turnLine('t', 0)}`]);
      assert.deepEqual(turnIds(w), ['u', 't']);
      await w.close();
    });
  });

  describe('refresh', () => {
    it('a log that shrank below what was folded folds nothing', async () => {
      const { w } = await writer();
      await w.append(turn('a', 0));
      await w.append(turn('b', 1));
      await fs.truncate(file, 10);
      assert.equal(await w.refresh(), 0);
      assert.deepEqual(turnIds(w), ['a', 'b']);
      await w.close();
    });

    it('reads up to the size it saw; what was appended after that waits for the next refresh', async () => {
      const { w, handle } = await writer({ content: turnLine('a', 0) });
      await fs.appendFile(file, turnLine('b', 1) + turnLine('c', 2));
      const stat = handle.stat.bind(handle);
      const seen = turnLine('a', 0).length + turnLine('b', 1).length;
      (handle as unknown as { stat: unknown }).stat = async () => ({ ...(await stat()), size: seen });
      assert.equal(await w.refresh(), 1);
      assert.deepEqual(turnIds(w), ['b']);
      (handle as unknown as { stat: unknown }).stat = stat;
      assert.equal(await w.refresh(), 1);
      assert.deepEqual(turnIds(w), ['b', 'c']);
      await w.close();
    });

    it('short reads from the disk are continued where they stopped', async () => {
      const { w, handle } = await writer({ content: turnLine('a', 0) });
      await fs.appendFile(file, turnLine('b', 1) + turnLine('c', 2));
      const read = handle.read.bind(handle) as ShortRead;
      const shortRead: ShortRead = (b, o, l, p) => read(b, o, Math.min(l, 16), p);
      (handle as unknown as { read: ShortRead }).read = shortRead;
      assert.equal(await w.refresh(), 2);
      assert.deepEqual(turnIds(w), ['b', 'c']);
      await w.close();
    });
  });
});
