/**
 * `readSessionFile` and `turnRowsOfFile` (reader.ts) on the cases the other reader tests leave
 * open, each with its exact outcome: what is thrown as something other than an Error, when a
 * checkpoint is looked for (log kind, the 256 KiB bound, light reads) and what a read from one
 * parses, what the fallback full read is given, the default clock, what is opened, synced and
 * closed for a torn tail, what is logged when a file cannot be moved, and rows of odd files.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { foldEvents } from '../../../src/core/ledger/ledger';
import {
  CHECKPOINT_MIN_BYTES,
  CHECKPOINT_REFRESH_BYTES,
  checkpointPath,
  endHash,
  headHash,
  writeCheckpoint,
} from '../../../src/core/sessions/checkpoint';
import { sessionEventSchema } from '../../../src/core/sessions/events';
import type { Layout } from '../../../src/core/sessions/layout';
import {
  type ReadContext,
  type ReadResult,
  readSessionFile,
  type SessionFile,
  turnRowsOfFile,
} from '../../../src/core/sessions/reader';
import {
  EVENT_AT,
  eachStorage,
  FIXTURES,
  eventLine as line,
  memoryLogger,
  paddingLine as padding,
} from './helpers';

const AT = EVENT_AT;
const NOW = new Date('2026-04-01T12:00:00.000Z');
const STAMP = '20260401T120000000Z';

const created = () =>
  line({ type: 'session.created', sessionId: 'x', title: 'T', provider: 'openai', model: 'gpt-4o' });
const started = (i: number) => line({ type: 'turn.started', turnId: `t${i}`, index: i });

/** Records open / sync / close calls made through fs.promises on paths under `root`, until restored. */
function watchHandles(root: string) {
  const calls: string[] = [];
  const real = fs.open;
  const api = fs as unknown as { open: unknown };
  api.open = async (path: string, ...rest: unknown[]) => {
    const h = (await (real as (...a: unknown[]) => Promise<FileHandle>)(path, ...rest)) as FileHandle;
    if (!String(path).startsWith(root)) return h;
    const p = basename(String(path));
    calls.push(`open ${p}`);
    const { sync, close } = h;
    h.sync = () => {
      calls.push(`sync ${p}`);
      return sync.call(h);
    };
    h.close = () => {
      calls.push(`close ${p}`);
      return close.call(h);
    };
    return h;
  };
  return { calls, restore: () => (api.open = real) };
}

describe('reading one session file: mutation-found cases', () => {
  let dir: string;
  let layout: Layout;

  const file = (name: string, kind: SessionFile['kind'] = 'log'): SessionFile => ({
    sessionId: name.replace(/\.jsonl$|\.json$/, '').replace(/^message-history-/, ''),
    path: join(layout.sessions, name),
    kind,
  });
  const ctx = (extra: Partial<ReadContext> = {}): ReadContext => ({ layout, now: () => NOW, ...extra });
  const problemsOf = (r: ReadResult) =>
    (r.ok ? r.loaded.problems : r.problems).map(
      (p) => `${p.kind}: ${p.message}${p.keptAt ? ` @ ${p.keptAt}` : ''}`,
    );
  const msgs = (logger: ReturnType<typeof memoryLogger>) => logger.lines.map((l) => l.msg);

  /** A clean log `big.jsonl` of exactly `size` bytes: created, one turn started, padding. */
  async function bigLog(size: number): Promise<SessionFile> {
    const f = file('big.jsonl');
    const head = `${created()}\n${started(0)}\n`;
    await fs.writeFile(f.path, `${head}${padding(head.length, size)}\n`);
    assert.equal((await fs.stat(f.path)).size, size);
    return f;
  }

  /** `big.jsonl` of `size` bytes with its checkpoint written by a full read. */
  async function checkpointed(size = CHECKPOINT_MIN_BYTES): Promise<SessionFile> {
    const f = await bigLog(size);
    await readSessionFile(f, ctx({ checkpoints: true }));
    await fs.access(checkpointPath(layout, 'big'));
    return f;
  }

  eachStorage((d, l) => {
    dir = d;
    layout = l;
  });

  it('something thrown that is not an Error (null) is reported by its string, the file left in place', async () => {
    const f = file('s.jsonl');
    await fs.writeFile(f.path, `${created()}\n`);
    const logger = memoryLogger();
    const now = () => {
      throw null;
    };
    const r = await readSessionFile(f, ctx({ logger, now }));
    assert.deepEqual(problemsOf(r), ['unreadable: s.jsonl could not be loaded (null): left in place']);
    assert.deepEqual(logger.lines, [
      { level: 'error', msg: 's.jsonl could not be loaded (null): left in place', data: { file: f.path } },
    ]);
    await fs.access(f.path);
  });

  describe('checkpoints', () => {
    it('a log of exactly 256 KiB is read from its checkpoint', async () => {
      const f = await checkpointed();
      const logger = memoryLogger();
      const r = await readSessionFile(f, ctx({ checkpoints: true, logger }));
      assert.deepEqual(logger.lines, [
        {
          level: 'debug',
          msg: 'session read from its checkpoint',
          data: { sessionId: 'big', checkpointBytes: CHECKPOINT_MIN_BYTES, tailBytes: 0 },
        },
      ]);
      assert.ok(r.ok);
      assert.equal(r.loaded.state.turns.length, 1);
    });

    it('a log under 256 KiB is read whole, even with a checkpoint that matches it', async () => {
      const f = file('big.jsonl');
      const head = `${created()}\n${started(0)}\n`;
      await fs.writeFile(f.path, `${head}${started(1)}\n`);
      // A checkpoint of the first two lines whose state names another session title.
      const state = foldEvents('big', [sessionEventSchema.parse(JSON.parse(created()))]);
      state.sessionId = 'big';
      state.title = 'from the checkpoint';
      const bytes = Buffer.from(head);
      await writeCheckpoint(layout, {
        state,
        logBytes: bytes.length,
        lines: 2,
        newestVersion: 1,
        head: headHash(bytes),
        end: endHash(bytes),
      });
      await fs.access(checkpointPath(layout, 'big'));
      const logger = memoryLogger();
      const r = await readSessionFile(f, ctx({ checkpoints: true, logger }));
      assert.deepEqual(logger.lines, []);
      assert.ok(r.ok);
      assert.equal(r.loaded.state.title, 'T');
      assert.equal(r.loaded.state.turns.length, 2);
    });

    it('a read from a checkpoint parses only the bytes after it', async () => {
      const f = await checkpointed();
      await fs.appendFile(f.path, `${started(1)}\n${started(2)}\n`);
      const r = await readSessionFile(f, ctx({ checkpoints: true }));
      assert.ok(r.ok && r.parsed);
      assert.equal(r.parsed.eventCount, 2);
      assert.deepEqual(
        r.parsed.events.map((e) => e.type),
        ['turn.started', 'turn.started'],
      );
      assert.equal(r.parsed.lines, 5);
      assert.equal(r.loaded.state.turns.length, 3);
    });

    it('a light read never looks for a checkpoint', async () => {
      const f = await checkpointed();
      const logger = memoryLogger();
      const r = await readSessionFile(f, ctx({ checkpoints: true, logger }), { light: true });
      assert.deepEqual(logger.lines, []);
      assert.ok(r.ok);
      assert.equal(r.loaded.state.turns.length, 1);
    });

    it('a message history is never checked against a checkpoint of the same id', async () => {
      await checkpointed();
      const f = file('message-history-big.json', 'history');
      const json = await fs.readFile(join(FIXTURES, 'message-history-two-turns.json'), 'utf8');
      await fs.writeFile(f.path, json.padEnd(CHECKPOINT_MIN_BYTES, ' '));
      const logger = memoryLogger();
      const r = await readSessionFile(f, ctx({ checkpoints: true, logger }));
      assert.ok(r.ok);
      assert.equal(r.loaded.format, 'message-history');
      assert.deepEqual(logger.lines, []);
    });

    it('format-0 lines after it: the full read keeps the context (a torn tail is still kept aside)', async () => {
      const f = await checkpointed();
      await fs.appendFile(f.path, '{"type":"meta","title":"x"}\n{"v":1,');
      const r = await readSessionFile(f, ctx({ checkpoints: true }));
      assert.deepEqual(problemsOf(r), [
        `torn-tail: the last line was cut off (7 bytes, no newline, not a whole record): ignored @ ${join(layout.aside, `big.${STAMP}.torn`)}`,
        'bad-line: 1 format-0 lines in a v1 log skipped',
      ]);
    });

    it('is written again after exactly a megabyte more', async () => {
      const f = await checkpointed();
      await fs.appendFile(f.path, `${padding(0, CHECKPOINT_REFRESH_BYTES)}\n`);
      await readSessionFile(f, ctx({ checkpoints: true }));
      const header = JSON.parse((await fs.readFile(checkpointPath(layout, 'big'), 'utf8')).split('\n')[0]!);
      assert.equal(header.logBytes, CHECKPOINT_MIN_BYTES + CHECKPOINT_REFRESH_BYTES);
    });
  });

  describe('without a clock in the context, now is used', () => {
    it('for the copy of a torn tail', async () => {
      const f = file('s.jsonl');
      await fs.writeFile(f.path, `${created()}\n{"v":1,`);
      const r = await readSessionFile(f, { layout });
      assert.ok(r.ok);
      const keptAt = r.loaded.problems[0]?.keptAt ?? '';
      assert.match(basename(keptAt), /^s\.\d{8}T\d{9}Z\.torn$/);
      assert.equal(await fs.readFile(keptAt, 'utf8'), '{"v":1,');
    });

    it('for the name of an unreadable file moved aside', async () => {
      const f = file('s.jsonl');
      await fs.writeFile(f.path, 'prose\n');
      const r = await readSessionFile(f, { layout });
      assert.equal(r.ok, false);
      const keptAt = (r.ok ? undefined : r.problems[0]?.keptAt) ?? '';
      assert.match(basename(keptAt), /^s\.jsonl\.\d{8}T\d{9}Z\.unreadable$/);
      assert.equal(await fs.readFile(keptAt, 'utf8'), 'prose\n');
    });
  });

  it('a torn tail: the log is closed, the copy is synced and closed', async () => {
    const f = file('s.jsonl');
    await fs.writeFile(f.path, `${created()}\n{"v":1,`);
    const watch = watchHandles(dir);
    try {
      await readSessionFile(f, ctx());
    } finally {
      watch.restore();
    }
    const torn = `s.${STAMP}.torn`;
    assert.deepEqual(watch.calls, [
      'open s.jsonl',
      'close s.jsonl',
      `open ${torn}`,
      `sync ${torn}`,
      `close ${torn}`,
    ]);
  });

  it('a file that cannot be moved aside: the warning names the file and the error', async () => {
    const f = file('s.jsonl');
    await fs.writeFile(f.path, 'prose\n');
    await fs.writeFile(layout.aside, 'not a folder');
    const logger = memoryLogger();
    const r = await readSessionFile(f, ctx({ logger }));
    assert.deepEqual(problemsOf(r), [
      'unreadable: s.jsonl holds no session record: left in place (it could not be moved)',
    ]);
    assert.equal(logger.lines.length, 2);
    const [moved] = logger.lines;
    assert.equal(moved?.level, 'warn');
    assert.equal(moved?.msg, 'could not move an unreadable session file aside');
    assert.deepEqual(Object.keys(moved?.data ?? {}), ['file', 'error']);
    assert.equal(moved?.data?.file, f.path);
    assert.match(String(moved?.data?.error), /^Error: EEXIST: .*mkdir/);
    assert.deepEqual(
      msgs(logger)[1],
      's.jsonl holds no session record: left in place (it could not be moved)',
    );
  });

  describe('turnRowsOfFile', () => {
    it('a history file holding JSON that is not a message history has no rows', async () => {
      const f = file('message-history-h.json', 'history');
      for (const text of ['null', '"text"', '[1]', '{"messages":3}']) {
        await fs.writeFile(f.path, text);
        assert.deepEqual(turnRowsOfFile(f), [], text);
      }
    });

    it('a log with a line of a newer version is v1: its format-0 lines give no rows, as when it is read', async () => {
      const f = file('s.jsonl');
      const format0 = await fs.readFile(join(FIXTURES, 'format0-per-request.jsonl'), 'utf8');
      await fs.writeFile(f.path, `{"v":3,"at":"${AT}","type":"x.y"}\n${format0}`);
      assert.deepEqual(turnRowsOfFile(f), []);
      const r = await readSessionFile(f, ctx());
      assert.ok(r.ok);
      assert.equal(r.loaded.format, 'v1');
      assert.equal(r.loaded.state.turns.length, 0);
    });
  });
});
