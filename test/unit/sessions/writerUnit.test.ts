/**
 * The session writer on its own (writer.ts), built on a temp file: what each append writes,
 * syncs, logs and acknowledges, the exact one-line errors of a failing disk, the retries, and
 * the test hooks (TALLY_WRITE_FAULT, TALLY_ACK_FD).
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { closeSync, promises as fs, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptySession } from '../../../src/core/ledger/ledger';
import {
  describeWriteFailure,
  faultIOFromEnv,
  isDurableByDefault,
  realWriterIO,
  SessionWriteError,
  SessionWriter,
} from '../../../src/core/sessions/writer';
import { cost, memoryLogger, tempStorage, usage } from './helpers';

const NOW = new Date('2026-01-02T03:04:05.006Z');
const AT = NOW.toISOString();

function errno(code: string, message = `${code}: injected`): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = code;
  return e;
}

/** A disk that counts its calls and fails as `plan` says (by write number, 1-based). */
function spyIO(plan: Record<number, (h, buf: Buffer) => Promise<number>> = {}, syncFails?: Error) {
  const io = {
    writes: 0,
    syncs: 0,
    write: async (h, buf: Buffer) => {
      io.writes++;
      const f = plan[io.writes];
      return f ? f(h, buf) : realWriterIO.write(h, buf);
    },
    datasync: async (h) => {
      io.syncs++;
      if (syncFails) throw syncFails;
      return realWriterIO.datasync(h);
    },
  };
  return io;
}

describe('the session writer, unit by unit', () => {
  describe('isDurableByDefault', () => {
    it('syncs what ends something or names the session, not what starts or is partial', () => {
      const e = (body) => ({ v: 1, at: AT, ...body });
      assert.equal(isDurableByDefault(e({ type: 'request.usage', final: true })), true);
      assert.equal(isDurableByDefault(e({ type: 'request.usage', final: false })), false);
      for (const type of ['request.ended', 'turn.ended', 'session.created', 'session.renamed'])
        assert.equal(isDurableByDefault(e({ type })), true, type);
      for (const type of ['turn.started', 'request.started', 'message'])
        assert.equal(isDurableByDefault(e({ type })), false, type);
    });
  });

  describe('describeWriteFailure', () => {
    it('one line per known code: what happened, what to do, and that what was saved is kept', () => {
      const cases = {
        ENOSPC: 'the disk is full; free some space, then continue the session',
        EDQUOT: 'the disk quota is used up; free some space, then continue the session',
        EACCES: 'permission denied; check that the storage folder can be written',
        EPERM: 'permission denied; check that the storage folder can be written',
        EROFS: 'the storage folder is on a read-only file system',
        EIO: 'the disk reported an I/O error; check the disk, then continue the session',
      };
      for (const [code, hint] of Object.entries(cases)) {
        const err = describeWriteFailure('s1', 'write', errno(code));
        assert.ok(err instanceof SessionWriteError);
        assert.ok(err instanceof Error);
        assert.equal(err.name, 'SessionWriteError');
        assert.equal(err.sessionId, 's1');
        assert.equal(err.code, code);
        assert.equal(
          err.message,
          `could not save session s1 (write: ${code}): ${hint}; what was saved before is kept`,
        );
      }
    });

    it("an unknown code or no code: the error's own message on one line", () => {
      const unknown = describeWriteFailure('s1', 'sync', errno('EWEIRD', 'EWEIRD: odd\n   thing\thappened'));
      assert.equal(unknown.code, 'EWEIRD');
      assert.equal(
        unknown.message,
        'could not save session s1 (sync: EWEIRD): EWEIRD: odd thing happened; what was saved before is kept',
      );
      const noCode = describeWriteFailure('s1', 'write', new Error('boom'));
      assert.equal(noCode.code, undefined);
      assert.equal(noCode.message, 'could not save session s1 (write): boom; what was saved before is kept');
      const numeric = describeWriteFailure('s1', 'write', Object.assign(new Error('n'), { code: 5 }));
      assert.equal(numeric.code, undefined);
      assert.equal(numeric.message, 'could not save session s1 (write): n; what was saved before is kept');
      assert.equal(
        describeWriteFailure('s1', 'write', 'a string\nthrown').message,
        'could not save session s1 (write): a string thrown; what was saved before is kept',
      );
      assert.equal(
        describeWriteFailure('s1', 'write', null).message,
        'could not save session s1 (write): null; what was saved before is kept',
      );
    });
  });

  describe('faultIOFromEnv (TALLY_WRITE_FAULT)', () => {
    const saved = process.env.TALLY_WRITE_FAULT;
    afterEach(() => {
      if (saved === undefined) delete process.env.TALLY_WRITE_FAULT;
      else process.env.TALLY_WRITE_FAULT = saved;
    });

    function base() {
      const calls = [];
      return {
        calls,
        write: async (_h, buf) => {
          calls.push(`write ${buf.length}`);
          return buf.length;
        },
        datasync: async () => {
          calls.push('sync');
        },
      };
    }

    async function outcomes(io, n: number) {
      const out = [];
      for (let i = 0; i < n; i++) {
        out.push(
          await io.write(null, Buffer.from('ab')).then(
            (b) => `ok ${b}`,
            (e) => `${e.code} ${e.message}`,
          ),
        );
      }
      return out;
    }

    it('without it, or when it does not parse, the disk is the real one', () => {
      const b = base();
      delete process.env.TALLY_WRITE_FAULT;
      assert.equal(faultIOFromEnv(b), b);
      assert.equal(faultIOFromEnv(), realWriterIO);
      for (const v of ['', 'eio:2', 'EIO:x', 'EIO:2:twice', ' EIO:2', 'EIO:2 ', 'EIO2']) {
        process.env.TALLY_WRITE_FAULT = v;
        assert.equal(faultIOFromEnv(b), b, v);
      }
    });

    it('<CODE>:<N> fails the N-th append and every later one', async () => {
      process.env.TALLY_WRITE_FAULT = 'ENOSPC:2';
      const b = base();
      const io = faultIOFromEnv(b);
      assert.deepEqual(await outcomes(io, 4), [
        'ok 2',
        'ENOSPC ENOSPC: injected fault, write',
        'ENOSPC ENOSPC: injected fault, write',
        'ENOSPC ENOSPC: injected fault, write',
      ]);
      await io.datasync(null);
      assert.deepEqual(b.calls, ['write 2', 'sync']);
    });

    it('<CODE>:<N>:once fails only the N-th', async () => {
      process.env.TALLY_WRITE_FAULT = 'EIO:1:once';
      const b = base();
      assert.deepEqual(await outcomes(faultIOFromEnv(b), 3), [
        'EIO EIO: injected fault, write',
        'ok 2',
        'ok 2',
      ]);
      assert.deepEqual(b.calls, ['write 2', 'write 2']);
    });
  });

  describe('appends', () => {
    let dir: string;
    let file: string;
    beforeEach(async () => {
      dir = await tempStorage();
      file = join(dir, 's1.jsonl');
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    async function writer(opts: { io?; suspectTail?: boolean; content?: string } = {}) {
      if (opts.content !== undefined) await fs.writeFile(file, opts.content);
      const handle = await fs.open(file, 'a+');
      const logger = memoryLogger();
      const closes = [];
      const offset = opts.content === undefined ? 0 : opts.content.lastIndexOf('\n') + 1;
      const w = new SessionWriter({
        sessionId: 's1',
        file,
        handle,
        state: emptySession('s1'),
        offset,
        logger,
        now: () => NOW,
        onClose: () => {
          closes.push('closed');
        },
        io: opts.io,
        suspectTail: opts.suspectTail,
      });
      return { w, logger, closes, handle };
    }

    const lines = async () => (await fs.readFile(file, 'utf8')).split('\n');

    it('writes one validated line with v and at, folds it, and returns the event', async () => {
      const { w } = await writer();
      const e = await w.append({ type: 'request.started', requestId: 'r', provider: 'p', model: 'm' });
      const expected = {
        v: 1,
        at: AT,
        type: 'request.started',
        requestId: 'r',
        provider: 'p',
        model: 'm',
        purpose: 'chat',
      };
      assert.deepEqual(e, expected);
      assert.deepEqual(await lines(), [JSON.stringify(expected), '']);
      assert.equal(w.state.requests.get('r').purpose, 'chat');
      assert.equal(w.state.sessionRequestIds.length, 1);
      await w.close();
    });

    it('syncs by default what ends something, and as `durable` says otherwise', async () => {
      const io = spyIO();
      const { w } = await writer({ io });
      const syncsAfter = async (body, opts?) => {
        const before = io.syncs;
        await w.append(body, opts);
        return io.syncs - before;
      };
      assert.equal(
        await syncsAfter({ type: 'session.created', sessionId: 's1', title: '', provider: '', model: '' }),
        1,
      );
      assert.equal(await syncsAfter({ type: 'turn.started', turnId: 't', index: 0 }), 0);
      assert.equal(await syncsAfter({ type: 'turn.started', turnId: 't2', index: 1 }, { durable: true }), 1);
      assert.equal(
        await syncsAfter({ type: 'turn.ended', turnId: 't2', status: 'completed' }, { durable: false }),
        0,
      );
      assert.equal(await syncsAfter({ type: 'turn.ended', turnId: 't', status: 'completed' }, {}), 1);
      await w.close();
    });

    it('logs every usage save at debug level with its numbers', async () => {
      const { w, logger } = await writer();
      await w.append({ type: 'request.started', requestId: 'r', provider: 'p', model: 'm' });
      await w.append({
        type: 'request.usage',
        requestId: 'r',
        usage: usage(10, 2, 1, 5, 1),
        cost: cost(42n),
        final: false,
      });
      await w.append({
        type: 'request.usage',
        requestId: 'r',
        usage: usage(10, 2, 1, 5, 1, 'estimated'),
        cost: cost(null),
        final: true,
      });
      assert.deepEqual(logger.lines, [
        {
          level: 'debug',
          msg: 'usage saved',
          data: {
            sessionId: 's1',
            requestId: 'r',
            at: AT,
            final: false,
            source: 'provider',
            inputTokens: 13,
            outputTokens: 6,
            totalTokens: 19,
            costPico: '42',
            costBasis: 'computed',
            durable: false,
          },
        },
        {
          level: 'debug',
          msg: 'usage saved',
          data: {
            sessionId: 's1',
            requestId: 'r',
            at: AT,
            final: true,
            source: 'estimated',
            inputTokens: 13,
            outputTokens: 6,
            totalTokens: 19,
            costPico: null,
            costBasis: 'unknown',
            durable: true,
          },
        },
      ]);
      await w.close();
    });

    it('an event that fails the schema rejects, writes nothing, and the writer goes on', async () => {
      const { w } = await writer();
      await assert.rejects(w.append({ type: 'turn.started', turnId: '', index: 0 }), { name: 'ZodError' });
      assert.equal(await fs.readFile(file, 'utf8'), '');
      await w.append({ type: 'turn.started', turnId: 't', index: 0 });
      assert.equal(w.state.turns.length, 1);
      await w.close();
    });

    it('close waits for appends, closes once, then appends reject and refresh folds nothing', async () => {
      const { w, closes } = await writer();
      const pending = w.append({ type: 'turn.started', turnId: 't', index: 0 });
      await w.close();
      await pending;
      await w.close();
      assert.deepEqual(closes, ['closed']);
      await assert.rejects(w.append({ type: 'turn.started', turnId: 'u', index: 1 }), {
        message: 'session s1: the writer is closed',
      });
      await fs.appendFile(
        file,
        `${JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId: 'x', index: 2 })}\n`,
      );
      assert.equal(await w.refresh(), 0);
      assert.equal(w.state.turns.length, 1);
    });

    it('onClose runs even when closing the file fails', async () => {
      const { w, closes, handle } = await writer();
      const real = handle.close.bind(handle);
      handle.close = async () => {
        await real();
        throw errno('EIO');
      };
      await assert.rejects(w.close(), { code: 'EIO' });
      assert.deepEqual(closes, ['closed']);
    });

    it('flush waits for every append made so far, failed ones included', async () => {
      const { w } = await writer({ io: spyIO({ 1: async () => Promise.reject(errno('ENOSPC')) }) });
      const a = w.append({ type: 'turn.started', turnId: 't', index: 0 }).catch((e) => e.code);
      const b = w.append({ type: 'turn.started', turnId: 'u', index: 1 });
      await w.flush();
      assert.equal(await a, 'ENOSPC');
      assert.equal(w.state.turns.length, 1);
      await b;
      await w.close();
    });

    it("refresh folds other writers' complete lines (a partial one waits), and warns about unreadable ones", async () => {
      const { w, logger } = await writer();
      await w.append({ type: 'turn.started', turnId: 'mine', index: 0 });
      const other = JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId: 'theirs', index: 1 });
      await fs.appendFile(file, `${other}\nnot json\n${other.slice(0, 10)}`);
      assert.equal(await w.refresh(), 1);
      assert.deepEqual(
        w.state.turns.map((t) => t.turnId),
        ['mine', 'theirs'],
      );
      assert.deepEqual(logger.lines, [
        {
          level: 'warn',
          msg: 'a line appended to the session could not be read',
          // Line 3 of the file: after ours and the other writer's first.
          data: { sessionId: 's1', problem: 'line 3 skipped: not JSON' },
        },
      ]);
      await fs.appendFile(file, `${other.slice(10).replace('theirs', 'thrice')}\n`);
      assert.equal(await w.refresh(), 1);
      assert.equal(await w.refresh(), 0);
      assert.deepEqual(
        w.state.turns.map((t) => t.turnId),
        ['mine', 'theirs', 'thrice'],
      );
      await w.close();
    });

    it('an append after lines another process wrote folds them first, in file order', async () => {
      const { w } = await writer();
      await w.append({ type: 'turn.started', turnId: 'a', index: 0 });
      await fs.appendFile(
        file,
        `${JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId: 'b', index: 1 })}\n`,
      );
      await w.append({ type: 'turn.started', turnId: 'c', index: 2 });
      assert.deepEqual(
        w.state.turns.map((t) => t.turnId),
        ['a', 'b', 'c'],
      );
      // Its own line is folded once.
      assert.equal(await w.refresh(), 0);
      assert.equal(w.state.turns.length, 3);
      await w.close();
    });

    it('a suspect tail gets a fresh line before the first append; a clean end does not', async () => {
      const partial = '{"v":1,"at":"x","type":"tu';
      const { w } = await writer({ content: partial, suspectTail: true });
      await w.append({ type: 'turn.started', turnId: 't', index: 0 });
      const line = JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId: 't', index: 0 });
      assert.equal(await fs.readFile(file, 'utf8'), `${partial}\n${line}\n`);
      await w.close();

      const clean = `${line}\n`;
      const second = await writer({ content: clean, suspectTail: true });
      await second.w.append({ type: 'turn.started', turnId: 'u', index: 1 });
      assert.equal(
        await fs.readFile(file, 'utf8'),
        `${line}\n${JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId: 'u', index: 1 })}\n`,
      );
      await second.w.close();
    });

    it('without a suspect tail, an append glued to a dead writer’s partial line is written again, once', async () => {
      const partial = '{"v":1,"at":"x","type":"tu';
      const { w, logger } = await writer({ content: partial });
      await w.append({ type: 'turn.started', turnId: 't', index: 0 });
      const line = JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId: 't', index: 0 });
      assert.equal(await fs.readFile(file, 'utf8'), `${partial}${line}\n\n${line}\n`);
      assert.deepEqual(
        w.state.turns.map((t) => t.turnId),
        ['t'],
      );
      assert.deepEqual(
        logger.lines.filter((l) => l.level === 'warn'),
        [
          {
            level: 'warn',
            msg: 'a line appended to the session could not be read',
            data: { sessionId: 's1', problem: 'line 1 skipped: not JSON' },
          },
          {
            level: 'warn',
            msg: 'appended after a partial line; writing the event again on its own line',
            data: { sessionId: 's1' },
          },
        ],
      );
      await w.close();
    });

    it('a log that keeps ending in a partial line fails the append with one clear line', async () => {
      // Every write lands glued to someone else's bytes.
      const glue = async (h, buf: Buffer) => {
        const junk = Buffer.from('zz');
        const out =
          buf[0] === 0x0a
            ? Buffer.concat([buf.subarray(0, 1), junk, buf.subarray(1)])
            : Buffer.concat([junk, buf]);
        await realWriterIO.write(h, out);
        return buf.length;
      };
      const io = spyIO({ 1: glue, 2: glue });
      const { w } = await writer({ io });
      await assert.rejects(w.append({ type: 'turn.started', turnId: 't', index: 0 }), {
        name: 'SessionWriteError',
        code: undefined,
        message:
          'could not save session s1 (write): the log keeps ending in a partial line; what was saved before is kept',
      });
      assert.equal(io.writes, 2);
      await w.close();
    });

    it('a transient error with nothing written is retried twice, logged, then reported', async () => {
      const fail = async () => Promise.reject(errno('EAGAIN'));
      const io = spyIO({ 1: fail, 2: fail, 3: fail });
      const { w, logger } = await writer({ io });
      const started = Date.now();
      await assert.rejects(w.append({ type: 'turn.started', turnId: 't', index: 0 }), {
        name: 'SessionWriteError',
        code: 'EAGAIN',
        message: 'could not save session s1 (write: EAGAIN): EAGAIN: injected; what was saved before is kept',
      });
      assert.equal(io.writes, 3);
      // It waits 25 ms, then 50 ms, before trying again.
      assert.ok(Date.now() - started >= 70, `retried after ${Date.now() - started} ms`);
      assert.deepEqual(logger.lines, [
        {
          level: 'info',
          msg: 'session write failed; retrying',
          data: { sessionId: 's1', code: 'EAGAIN', attempt: 0 },
        },
        {
          level: 'info',
          msg: 'session write failed; retrying',
          data: { sessionId: 's1', code: 'EAGAIN', attempt: 1 },
        },
        {
          level: 'info',
          msg: 'session write failed',
          data: { sessionId: 's1', type: 'turn.started', error: 'Error: EAGAIN: injected' },
        },
      ]);
      assert.equal(await fs.readFile(file, 'utf8'), '');
      // Two failures, then the disk answers: the append succeeds.
      const io2 = spyIO({ 1: fail, 2: async () => Promise.reject(errno('ETIMEDOUT')) });
      const second = await writer({ io: io2 });
      await second.w.append({ type: 'turn.started', turnId: 't', index: 0 });
      assert.equal(io2.writes, 3);
      assert.equal(second.w.state.turns.length, 1);
      await w.close();
      await second.w.close();
    });

    for (const code of ['EINTR', 'EBUSY', 'EIO']) {
      it(`${code} is transient: retried`, async () => {
        const io = spyIO({ 1: async () => Promise.reject(errno(code)) });
        const { w } = await writer({ io });
        await w.append({ type: 'turn.started', turnId: 't', index: 0 });
        assert.equal(io.writes, 2);
        await w.close();
      });
    }

    it('a lasting error, an error without code, or a transient one after bytes landed is not retried', async () => {
      for (const [fail, code] of [
        [async () => Promise.reject(errno('ENOSPC')), 'ENOSPC'],
        [async () => Promise.reject(new Error('boom')), undefined],
        [
          async (h, buf) => {
            await realWriterIO.write(h, buf.subarray(0, 5));
            throw errno('EIO');
          },
          'EIO',
        ],
      ]) {
        const io = spyIO({ 1: fail });
        const { w } = await writer({ io });
        await assert.rejects(w.append({ type: 'turn.started', turnId: 't', index: 0 }), { code });
        assert.equal(io.writes, 1);
        await w.close();
        await fs.rm(file);
      }
    });

    it('a transient error is not retried when the file cannot be checked', async () => {
      const io = spyIO({ 1: async () => Promise.reject(errno('EIO')) });
      const { w, handle } = await writer({ io });
      handle.stat = async () => Promise.reject(errno('EBADF'));
      await assert.rejects(w.append({ type: 'turn.started', turnId: 't', index: 0 }), { code: 'EIO' });
      assert.equal(io.writes, 1);
      await w.close();
    });

    it('refresh folds what is there when the file is shorter than its size said (a tail cut meanwhile)', async () => {
      const { w, handle } = await writer();
      const line = JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId: 'x', index: 0 });
      await fs.appendFile(file, `${line}\n`);
      const stat = handle.stat.bind(handle);
      handle.stat = async () => ({ ...(await stat()), size: line.length + 1 + 40 });
      assert.equal(await w.refresh(), 1);
      assert.deepEqual(
        w.state.turns.map((t) => t.turnId),
        ['x'],
      );
      await w.close();
    });

    it('a SessionWriteError from the disk layer is passed on as it is', async () => {
      const own = new SessionWriteError('s1', 'EX', 'already described');
      const { w } = await writer({ io: spyIO({ 1: async () => Promise.reject(own) }) });
      const got = await w.append({ type: 'turn.started', turnId: 't', index: 0 }).catch((e) => e);
      assert.equal(got, own);
      await w.close();
    });

    it('a short write fails that append (ESHORT); the next starts on a fresh line', async () => {
      const short = async (h, buf: Buffer) => realWriterIO.write(h, buf.subarray(0, 4));
      const { w } = await writer({ io: spyIO({ 1: short }) });
      await assert.rejects(w.append({ type: 'turn.started', turnId: 't', index: 0 }), (e) => {
        assert.equal(e.code, 'ESHORT');
        assert.match(
          e.message,
          /^could not save session s1 \(write: ESHORT\): short write \(4 of \d+ bytes\); what was saved before is kept$/,
        );
        return true;
      });
      await w.append({ type: 'turn.started', turnId: 't', index: 0 });
      const line = JSON.stringify({ v: 1, at: AT, type: 'turn.started', turnId: 't', index: 0 });
      assert.equal(await fs.readFile(file, 'utf8'), `${line.slice(0, 4)}\n${line}\n`);
      assert.equal(w.state.turns.length, 1);
      await w.close();
    });

    it('a failed sync rejects (sync: CODE), though the line is in the file and in state', async () => {
      const io = spyIO({}, errno('EIO'));
      const { w, logger } = await writer({ io });
      await assert.rejects(w.append({ type: 'turn.ended', turnId: 't', status: 'failed' }), {
        code: 'EIO',
        message:
          'could not save session s1 (sync: EIO): the disk reported an I/O error; check the disk, then continue the session; what was saved before is kept',
      });
      assert.equal(io.syncs, 1);
      assert.equal((await lines()).length, 2);
      assert.equal(w.state.orphans, 1);
      assert.deepEqual(logger.lines, [
        {
          level: 'info',
          msg: 'session sync failed',
          data: { sessionId: 's1', error: 'Error: EIO: injected' },
        },
      ]);
      await w.close();
    });
  });

  describe('TALLY_ACK_FD', () => {
    let dir: string;
    const saved = process.env.TALLY_ACK_FD;
    beforeEach(async () => {
      dir = await tempStorage();
    });
    afterEach(async () => {
      if (saved === undefined) delete process.env.TALLY_ACK_FD;
      else process.env.TALLY_ACK_FD = saved;
      await fs.rm(dir, { recursive: true, force: true });
    });

    async function run(fdValue: string | undefined, append: (w) => Promise<void>) {
      if (fdValue === undefined) delete process.env.TALLY_ACK_FD;
      else process.env.TALLY_ACK_FD = fdValue;
      const handle = await fs.open(join(dir, 'log.jsonl'), 'a+');
      const w = new SessionWriter({
        sessionId: 's1',
        file: join(dir, 'log.jsonl'),
        handle,
        state: emptySession('s1'),
        offset: 0,
        logger: memoryLogger(),
        now: () => NOW,
        onClose: () => {},
      });
      await append(w);
      await w.close();
    }

    it('reports each acknowledged append as `<id> <type>[ final|partial]`', async () => {
      const ackFile = join(dir, 'acks');
      const fd = openSync(ackFile, 'w');
      try {
        await run(String(fd), async (w) => {
          await w.append({ type: 'session.renamed', title: 'x' });
          await w.append({ type: 'turn.started', turnId: 't', index: 0 });
          await w.append({ type: 'request.started', requestId: 'r', turnId: 't', provider: 'p', model: 'm' });
          await w.append({
            type: 'request.usage',
            requestId: 'r',
            usage: usage(1, 0, 0, 1),
            cost: cost(1n),
            final: false,
          });
          await w.append({
            type: 'request.usage',
            requestId: 'r',
            usage: usage(1, 0, 0, 1),
            cost: cost(1n),
            final: true,
          });
          await w.append({ type: 'message', turnId: 't', message: { role: 'user', content: 'q' } });
          await w.append({ type: 'message', message: { role: 'system', content: 's' } });
          await assert.rejects(w.append({ type: 'turn.started', turnId: '', index: 0 }));
        });
      } finally {
        closeSync(fd);
      }
      assert.equal(
        readFileSync(ackFile, 'utf8'),
        [
          's1 session.renamed',
          't turn.started',
          'r request.started',
          'r request.usage partial',
          'r request.usage final',
          't message',
          's1 message',
          '',
        ].join('\n'),
      );
    });

    it('a descriptor that is gone is ignored; stdio and non-numbers are never used', async () => {
      const fd = openSync(join(dir, 'gone'), 'w');
      closeSync(fd);
      await run(String(fd), (w) => w.append({ type: 'turn.started', turnId: 't', index: 0 }).then(() => {}));
      for (const v of ['x', '1.5', '']) {
        await run(v, (w) => w.append({ type: 'turn.started', turnId: 't', index: 0 }).then(() => {}));
      }
    });
  });
});
