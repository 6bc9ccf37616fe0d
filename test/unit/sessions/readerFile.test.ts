/**
 * `readSessionFile` (src/core/sessions/reader.ts) on one file at a time: what each broken file is
 * reported as (exact messages), when a file is left alone, when a fold checkpoint is written and
 * when a checkpoint's tail is enough, and `turnRowsOfFile`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { foldEvents } from '../../../src/core/ledger/ledger';
import { spendRows } from '../../../src/core/ledger/spendRows';
import {
  CHECKPOINT_MIN_BYTES,
  CHECKPOINT_REFRESH_BYTES,
  checkpointPath,
} from '../../../src/core/sessions/checkpoint';
import { sessionEventSchema } from '../../../src/core/sessions/events';
import { type Layout, layoutOf } from '../../../src/core/sessions/layout';
import {
  keepTornAside,
  placeholderSession,
  type ReadContext,
  readSessionFile,
  type SessionFile,
  turnRowsOfFile,
} from '../../../src/core/sessions/reader';
import {
  cost,
  EVENT_AT,
  FIXTURES,
  eventLine as line,
  memoryLogger,
  paddingLine as padding,
  tempStorage,
  usage,
} from './helpers';

const AT = EVENT_AT;
const created = (extra: Record<string, unknown> = {}) =>
  line({
    type: 'session.created',
    sessionId: 'x',
    title: 'T',
    provider: 'openai',
    model: 'gpt-4o',
    ...extra,
  });
const turn = (i: number) =>
  [
    line({ type: 'turn.started', turnId: `t${i}`, index: i }),
    line({
      type: 'request.started',
      requestId: `r${i}`,
      turnId: `t${i}`,
      provider: 'openai',
      model: 'gpt-4o',
    }),
    line({
      type: 'request.usage',
      requestId: `r${i}`,
      usage: usage(100, 0, 0, 10),
      cost: cost(1000n),
      final: true,
    }),
    line({ type: 'request.ended', requestId: `r${i}`, status: 'completed' }),
    line({ type: 'turn.ended', turnId: `t${i}`, status: 'completed' }),
  ].join('\n');

describe('reading one session file', () => {
  let dir: string;
  let layout: Layout;
  const NOW = new Date('2026-04-01T12:00:00.000Z');
  const STAMP = '20260401T120000000Z';

  const file = (name: string, kind: SessionFile['kind'] = 'log'): SessionFile => ({
    sessionId: name.replace(/\.jsonl$|\.json$/, '').replace(/^message-history-/, ''),
    path: join(layout.sessions, name),
    kind,
  });
  const ctx = (extra: Partial<ReadContext> = {}): ReadContext => ({ layout, now: () => NOW, ...extra });
  const problemsOf = (r: Awaited<ReturnType<typeof readSessionFile>>) =>
    (r.ok ? r.loaded.problems : r.problems).map(
      (p) => `${p.kind}: ${p.message}${p.keptAt ? ` @ ${p.keptAt}` : ''}`,
    );

  beforeEach(async () => {
    dir = await tempStorage();
    layout = layoutOf(dir);
    await fs.mkdir(layout.sessions, { recursive: true });
  });
  afterEach(async () => {
    await fs.chmod(layout.sessions, 0o755).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a missing file is skipped without a problem', async () => {
    for (const light of [false, true]) {
      const r = await readSessionFile(file('gone.jsonl'), ctx(), { light });
      assert.deepEqual(r, { ok: false, problems: [], skipped: true });
    }
  });

  for (const [what, bytes, why] of [
    ['an empty file', '', 'is empty'],
    ['a file of blank lines', '\n  \n\n', 'holds no lines'],
    ['a file of prose', 'dear diary\nit rained\n', 'holds no session record'],
  ] as const) {
    for (const light of [false, true]) {
      it(`${what} is moved aside as unreadable${light ? ' (light)' : ''}`, async () => {
        const f = file('bad.jsonl');
        await fs.writeFile(f.path, bytes);
        const logger = memoryLogger();
        const r = await readSessionFile(f, ctx({ logger }), { light });
        const keptAt = join(layout.aside, `bad.jsonl.${STAMP}.unreadable`);
        assert.deepEqual(problemsOf(r), [`unreadable: bad.jsonl ${why}: moved aside @ ${keptAt}`]);
        assert.equal(await fs.readFile(keptAt, 'utf8'), bytes);
        assert.deepEqual(
          logger.lines.map((l) => [l.level, l.msg, l.data]),
          [['warn', `bad.jsonl ${why}: moved aside`, { file: f.path, keptAt }]],
        );
      });
    }
  }

  it('a file with no whole line is left alone while it may be new, and only then', async () => {
    const f = file('new.jsonl');
    await fs.writeFile(f.path, '{"v":1,"at":"2026');
    const asked: [string, number][] = [];
    const mayBeNew = (g: SessionFile, mtimeMs: number) => {
      asked.push([g.path, mtimeMs]);
      return true;
    };
    const r = await readSessionFile(f, ctx({ mayBeNew }));
    assert.deepEqual(r, { ok: false, problems: [], skipped: true });
    assert.deepEqual(asked, [[f.path, (await fs.stat(f.path)).mtimeMs]]);
    // A whole line that is not a record: not being created, so moved aside.
    await fs.writeFile(f.path, 'junk\n');
    const second = await readSessionFile(f, ctx({ mayBeNew }));
    assert.deepEqual(problemsOf(second), [
      `unreadable: new.jsonl holds no session record: moved aside @ ${join(layout.aside, `new.jsonl.${STAMP}.unreadable`)}`,
    ]);
  });

  it('a folder is not a session file (light or not); one that cannot be moved is left in place', async () => {
    const f = file('dir.jsonl');
    await fs.mkdir(f.path);
    const r = await readSessionFile(f, ctx({ logger: memoryLogger() }), { light: true });
    assert.deepEqual(problemsOf(r), [
      `unreadable: dir.jsonl cannot be read: not a regular file: moved aside @ ${join(layout.aside, `dir.jsonl.${STAMP}.unreadable`)}`,
    ]);
    await fs.rm(layout.aside, { recursive: true });
    await fs.mkdir(f.path);
    await fs.writeFile(layout.aside, 'a file where the aside folder would be');
    const logger = memoryLogger();
    const left = await readSessionFile(f, ctx({ logger }));
    assert.deepEqual(problemsOf(left), [
      'unreadable: dir.jsonl cannot be read: not a regular file: left in place (it could not be moved)',
    ]);
    assert.equal(left.ok, false);
    assert.equal(!left.ok && left.skipped, false);
    assert.deepEqual(
      logger.lines.map((l) => [l.level, l.msg]),
      [
        ['warn', 'could not move an unreadable session file aside'],
        ['warn', 'dir.jsonl cannot be read: not a regular file: left in place (it could not be moved)'],
      ],
    );
    assert.ok((await fs.stat(f.path)).isDirectory());
  });

  it('a FIFO named like a session file is refused at once, never waited on (light, full and rows)', async () => {
    const f = file('pipe.jsonl');
    execFileSync('mkfifo', [f.path]);
    const logger = memoryLogger();
    // Nothing ever writes to the pipe: a blocking open would wait until the test times out.
    assert.deepEqual(turnRowsOfFile(f), []);
    const light = await readSessionFile(f, ctx({ logger }), { light: true });
    assert.deepEqual(problemsOf(light), [
      `unreadable: pipe.jsonl cannot be read: not a regular file: moved aside @ ${join(layout.aside, `pipe.jsonl.${STAMP}.unreadable`)}`,
    ]);
    const g = file('pipe2.jsonl');
    execFileSync('mkfifo', [g.path]);
    const full = await readSessionFile(g, ctx({ logger, checkpoints: true }));
    assert.deepEqual(problemsOf(full), [
      `unreadable: pipe2.jsonl cannot be read: not a regular file: moved aside @ ${join(layout.aside, `pipe2.jsonl.${STAMP}.unreadable`)}`,
    ]);
  });

  it('a failure this reader does not know is reported and the file left in place', async () => {
    const f = file('odd.jsonl');
    await fs.writeFile(f.path, `${created()}\n`);
    const logger = memoryLogger();
    const now = () => {
      throw new Error('no clock\nsecond line');
    };
    const r = await readSessionFile(f, ctx({ logger, now }));
    assert.deepEqual(r, {
      ok: false,
      skipped: false,
      problems: [
        {
          file: f.path,
          kind: 'unreadable',
          message: 'odd.jsonl could not be loaded (no clock): left in place',
        },
      ],
    });
    assert.deepEqual(logger.lines, [
      {
        level: 'error',
        msg: 'odd.jsonl could not be loaded (no clock): left in place',
        data: { file: f.path },
      },
    ]);
    assert.equal(await fs.readFile(f.path, 'utf8'), `${created()}\n`);
    const quiet = await readSessionFile(f, {
      layout,
      now: () => {
        throw 'a string';
      },
    });
    assert.deepEqual(!quiet.ok && quiet.problems.map((p) => p.message), [
      'odd.jsonl could not be loaded (a string): left in place',
    ]);
  });

  it('a message history that is not JSON, or not a message history, is moved aside', async () => {
    const f = file('message-history-h.json', 'history');
    await fs.writeFile(f.path, '{"messages": [');
    assert.deepEqual(problemsOf(await readSessionFile(f, ctx())), [
      `unreadable: message-history-h.json is not JSON: moved aside @ ${join(layout.aside, `message-history-h.json.${STAMP}.unreadable`)}`,
    ]);
    await fs.writeFile(f.path, '{"messages": 3}');
    const later = ctx({ now: () => new Date('2026-04-01T12:00:01.000Z') });
    assert.deepEqual(problemsOf(await readSessionFile(f, later)), [
      `unreadable: message-history-h.json is not a message history (no messages or tokenUsage array): moved aside @ ${join(layout.aside, 'message-history-h.json.20260401T120001000Z.unreadable')}`,
    ]);
  });

  it('a message history loads with its hash, writable, of its own format', async () => {
    const f = file('message-history-mh-two.json', 'history');
    await fs.copyFile(join(FIXTURES, 'message-history-two-turns.json'), f.path);
    const r = await readSessionFile(f, ctx());
    assert.ok(r.ok);
    assert.equal(r.loaded.format, 'message-history');
    assert.equal(r.loaded.readOnly, false);
    assert.equal(r.loaded.state.sessionId, 'mh-two');
    assert.equal(r.loaded.state.turns.length, 2);
    assert.equal(r.parsed, null);
    assert.equal(r.newestVersion, 0);
    assert.equal(
      r.sha256,
      createHash('sha256')
        .update(await fs.readFile(f.path))
        .digest('hex'),
    );
    assert.equal(r.size, (await fs.stat(f.path)).size);
  });

  it('a v1 log: its file name is its id, a torn tail is kept aside, format-0 lines are counted', async () => {
    const f = file('named.jsonl');
    await fs.writeFile(
      f.path,
      `${created({ approximate: true })}\n{"type":"meta","title":"old"}\n{"type":"meta","title":"older"}\n${turn(0)}\n{"v":1,"at`,
    );
    for (const light of [false, true]) {
      const r = await readSessionFile(f, ctx(), { light });
      assert.ok(r.ok);
      assert.equal(r.loaded.state.sessionId, 'named');
      assert.equal(r.loaded.state.approximate, true);
      assert.equal(r.loaded.format, 'v1');
      assert.equal(r.loaded.readOnly, false);
      assert.equal(r.sha256, null);
      assert.equal(r.converted, null);
      assert.equal(r.newestVersion, 1);
      assert.deepEqual(problemsOf(r), [
        `torn-tail: the last line was cut off (10 bytes, no newline, not a whole record): ignored @ ${join(layout.aside, `named.${STAMP}.torn`)}`,
        'bad-line: 2 format-0 lines in a v1 log skipped',
      ]);
    }
    assert.deepEqual(await fs.readdir(layout.aside), [`named.${STAMP}.torn`], 'kept once');
  });

  it('a session not created approximate is not approximate', async () => {
    const f = file('plain.jsonl');
    await fs.writeFile(f.path, `${created()}\n${turn(0)}\n`);
    for (const light of [false, true]) {
      const r = await readSessionFile(f, ctx(), { light });
      assert.ok(r.ok);
      assert.equal(r.loaded.state.approximate, false);
      assert.deepEqual(r.loaded.problems, []);
    }
  });

  it('a torn tail that cannot be kept aside says so', async () => {
    const f = file('torn.jsonl');
    await fs.writeFile(f.path, `${created()}\n{"v":`);
    await fs.writeFile(layout.aside, 'not a folder');
    const r = await readSessionFile(f, ctx());
    assert.deepEqual(problemsOf(r), [
      'torn-tail: the last line was cut off (5 bytes, no newline, not a whole record): ignored (and it could not be copied aside)',
    ]);
  });

  it('a log of a newer version loads read-only, whether or not it has lines it cannot read', async () => {
    const f = file('new.jsonl');
    await fs.writeFile(
      f.path,
      `${created()}\n${line({ type: 'turn.started', turnId: 't0', index: 0 }, 3)}\n`,
    );
    for (const light of [false, true]) {
      const r = await readSessionFile(f, ctx(), { light });
      assert.ok(r.ok);
      assert.equal(r.loaded.readOnly, true);
      assert.equal(r.newestVersion, 3);
      assert.deepEqual(problemsOf(r), [
        'newer-version: written by a newer Tally (log version 3; this build writes 1): read-only',
      ]);
    }
    await fs.writeFile(f.path, `{"v":2,"at":"${AT}","type":"x.y"}\n`);
    const r = await readSessionFile(f, ctx());
    assert.ok(r.ok);
    assert.equal(r.loaded.readOnly, true);
    assert.deepEqual(problemsOf(r), [
      'newer-version: 1 lines of log version 2 could not be read by this build (version 1); they stay in the file',
    ]);
  });

  it('a format-0 log converts, with its hash', async () => {
    const f = file('f0-demo.jsonl');
    await fs.copyFile(join(FIXTURES, 'format0-per-request.jsonl'), f.path);
    const r = await readSessionFile(f, ctx());
    assert.ok(r.ok);
    assert.equal(r.loaded.format, 'v0');
    assert.equal(r.loaded.readOnly, false);
    assert.equal(r.newestVersion, 0);
    assert.equal(
      r.sha256,
      createHash('sha256')
        .update(await fs.readFile(f.path))
        .digest('hex'),
    );
    assert.ok(r.converted && r.converted.events.length > 0);
  });

  describe('fold checkpoints', () => {
    const exists = (p: string) =>
      fs.stat(p).then(
        () => true,
        () => false,
      );
    const ck = () => checkpointPath(layout, 'big');
    /** A clean log of exactly `size` bytes. */
    async function bigLog(size: number, extra = ''): Promise<SessionFile> {
      const f = file('big.jsonl');
      const head = `${created()}\n${turn(0)}\n`;
      const tail = extra ? `${extra}\n` : '';
      const pad = padding(head.length + tail.length, size);
      await fs.writeFile(f.path, `${head}${pad}\n${tail}`);
      assert.equal((await fs.stat(f.path)).size, size);
      return f;
    }

    it('is written for a clean log of at least 256 KiB, read in full, when asked to', async () => {
      let f = await bigLog(CHECKPOINT_MIN_BYTES - 1);
      await readSessionFile(f, ctx({ checkpoints: true }));
      assert.equal(await exists(ck()), false, 'one byte short');
      f = await bigLog(CHECKPOINT_MIN_BYTES);
      await readSessionFile(f, ctx({ checkpoints: false }));
      await readSessionFile(f, ctx({ checkpoints: true }), { light: true });
      assert.equal(await exists(ck()), false, 'not asked for, or a light read');
      await readSessionFile(f, ctx({ checkpoints: true }));
      const header = JSON.parse((await fs.readFile(ck(), 'utf8')).split('\n')[0]!);
      assert.equal(header.logBytes, CHECKPOINT_MIN_BYTES);
      assert.equal(header.lines, 7);
      assert.equal(header.newestVersion, 1);
    });

    for (const [what, extra] of [
      ['a bad line', 'oops'],
      ['a format-0 line', '{"type":"meta","title":"x"}'],
      ['a newer version', line({ type: 'turn.started', turnId: 't9', index: 9 }, 2)],
    ] as const) {
      it(`is not written for a log with ${what}`, async () => {
        const f = await bigLog(CHECKPOINT_MIN_BYTES + 100, extra);
        await readSessionFile(f, ctx({ checkpoints: true }));
        assert.equal(await exists(ck()), false);
      });
    }

    it('is not written for a log whose last line lacks its newline', async () => {
      const f = await bigLog(CHECKPOINT_MIN_BYTES + 100);
      await fs.truncate(f.path, CHECKPOINT_MIN_BYTES + 99);
      const r = await readSessionFile(f, ctx({ checkpoints: true }));
      assert.ok(r.ok && r.parsed?.needsNewline);
      assert.equal(await exists(ck()), false);
    });

    it('is used when the log is long enough; the tail after it is folded on top', async () => {
      const f = await bigLog(CHECKPOINT_MIN_BYTES);
      await readSessionFile(f, ctx({ checkpoints: true }));
      await fs.appendFile(f.path, `${turn(1)}\nbroken\n`);
      const logger = memoryLogger();
      const r = await readSessionFile(f, ctx({ checkpoints: true, logger }));
      assert.ok(r.ok);
      assert.deepEqual(
        logger.lines.map((l) => [l.msg, l.data]),
        [
          [
            'session read from its checkpoint',
            { sessionId: 'big', checkpointBytes: CHECKPOINT_MIN_BYTES, tailBytes: turn(1).length + 8 },
          ],
        ],
      );
      assert.deepEqual(problemsOf(r), ['bad-line: line 13 skipped: not JSON']);
      assert.equal(r.loaded.state.turns.length, 2);
      assert.equal(r.loaded.state.sessionId, 'big');
      assert.equal(r.size, CHECKPOINT_MIN_BYTES + turn(1).length + 8);
      assert.equal(r.parsed?.goodLength, r.size);
      assert.equal(r.parsed?.lines, 7 + 6);
      assert.equal(r.newestVersion, 1);
      assert.equal(r.sha256, null);
      const full = await readSessionFile(f, ctx());
      assert.ok(full.ok);
      assert.deepEqual(r.loaded, full.loaded);
    });

    it('a newer line after it makes the session read-only; format-0 lines make it read in full', async () => {
      const f = await bigLog(CHECKPOINT_MIN_BYTES);
      await readSessionFile(f, ctx({ checkpoints: true }));
      await fs.appendFile(f.path, `${line({ type: 'turn.started', turnId: 't1', index: 1 }, 2)}\n`);
      const r = await readSessionFile(f, ctx({ checkpoints: true }));
      assert.ok(r.ok);
      assert.equal(r.loaded.readOnly, true);
      assert.equal(r.newestVersion, 2);
      assert.deepEqual(problemsOf(r), [
        'newer-version: written by a newer Tally (log version 2; this build writes 1): read-only',
      ]);
      await fs.appendFile(f.path, `{"v":3,"at":"${AT}","type":"x.y"}\n`);
      const skipped = await readSessionFile(f, ctx({ checkpoints: true }));
      assert.deepEqual(problemsOf(skipped), [
        'newer-version: 1 lines of log version 3 could not be read by this build (version 1); they stay in the file',
      ]);
      await fs.appendFile(f.path, '{"type":"meta","title":"x"}\n');
      const logger = memoryLogger();
      const all = await readSessionFile(f, ctx({ checkpoints: true, logger }));
      assert.ok(all.ok);
      assert.deepEqual(logger.lines, []);
      assert.equal(all.loaded.format, 'v1');
      assert.equal(all.loaded.state.turns.length, 2);
      assert.deepEqual(problemsOf(all), [
        'newer-version: 1 lines of log version 3 could not be read by this build (version 1); they stay in the file',
        'bad-line: 1 format-0 lines in a v1 log skipped',
      ]);
    });

    it('a torn tail after it is kept aside and reported', async () => {
      const f = await bigLog(CHECKPOINT_MIN_BYTES);
      await readSessionFile(f, ctx({ checkpoints: true }));
      await fs.appendFile(f.path, '{"v":1,');
      const r = await readSessionFile(f, ctx({ checkpoints: true }));
      assert.deepEqual(problemsOf(r), [
        `torn-tail: the last line was cut off (7 bytes, no newline, not a whole record): ignored @ ${join(layout.aside, `big.${STAMP}.torn`)}`,
      ]);
      assert.ok(r.ok);
      assert.equal(r.parsed?.goodLength, CHECKPOINT_MIN_BYTES);
      await fs.writeFile(layout.aside + '.x', '');
      await fs.rm(layout.aside, { recursive: true });
      await fs.writeFile(layout.aside, 'not a folder');
      const again = await readSessionFile(f, ctx({ checkpoints: true }));
      assert.deepEqual(problemsOf(again), [
        'torn-tail: the last line was cut off (7 bytes, no newline, not a whole record): ignored (and it could not be copied aside)',
      ]);
    });

    it('is written again once a megabyte has been appended after it, cleanly', async () => {
      const f = await bigLog(CHECKPOINT_MIN_BYTES);
      await readSessionFile(f, ctx({ checkpoints: true }));
      const before = await fs.readFile(ck(), 'utf8');
      const grow = padding(0, CHECKPOINT_REFRESH_BYTES - 1);
      await fs.appendFile(f.path, `${grow}\n`);
      await readSessionFile(f, ctx({ checkpoints: true }));
      assert.equal(await fs.readFile(ck(), 'utf8'), before, 'one byte short of a megabyte');
      await fs.appendFile(f.path, `${turn(1)}\n`);
      const r = await readSessionFile(f, ctx({ checkpoints: true }));
      assert.ok(r.ok);
      const size = (await fs.stat(f.path)).size;
      const header = JSON.parse((await fs.readFile(ck(), 'utf8')).split('\n')[0]!);
      assert.equal(header.logBytes, size);
      assert.equal(header.lines, 13);
      assert.equal(header.head, JSON.parse(before.split('\n')[0]!).head);
      const logger = memoryLogger();
      const third = await readSessionFile(f, ctx({ checkpoints: true, logger }));
      assert.equal(logger.lines[0]?.data?.checkpointBytes, size);
      assert.ok(third.ok);
      assert.deepEqual(third.loaded, r.loaded);
      assert.equal(third.parsed?.lines, 13);
      assert.equal(third.newestVersion, 1);
      assert.equal(third.loaded.state.turns.length, 2);
    });
    for (const [what, extra] of [
      ['a bad line', 'oops\n'],
      ['a newer line', `${line({ type: 'turn.started', turnId: 't9', index: 9 }, 2)}\n`],
      ['a last line without its newline', turn(1)],
    ] as const) {
      it(`is not written again after a megabyte that holds ${what}`, async () => {
        const f = await bigLog(CHECKPOINT_MIN_BYTES);
        await readSessionFile(f, ctx({ checkpoints: true }));
        const before = await fs.readFile(ck(), 'utf8');
        await fs.appendFile(f.path, `${padding(0, CHECKPOINT_REFRESH_BYTES)}\n${extra}`);
        const r = await readSessionFile(f, ctx({ checkpoints: true }));
        assert.ok(r.ok);
        assert.equal(await fs.readFile(ck(), 'utf8'), before);
      });
    }
  });

  describe('keeping a torn tail aside', () => {
    it('reuses an identical copy, and ignores other sessions’ and other kinds of files', async () => {
      const f = file('s.jsonl');
      const logger = memoryLogger();
      await fs.mkdir(layout.aside, { recursive: true });
      await fs.writeFile(join(layout.aside, 'other.1.torn'), 'abc');
      await fs.writeFile(join(layout.aside, 's.1.unreadable'), 'abc');
      await fs.writeFile(join(layout.aside, 's.2.torn'), 'abd');
      await fs.writeFile(join(layout.aside, 's.3.torn'), 'abcd');
      const first = await keepTornAside(f, Buffer.from('abc'), layout, NOW, logger);
      assert.equal(first, join(layout.aside, `s.${STAMP}.torn`));
      assert.deepEqual(logger.lines, [
        {
          level: 'info',
          msg: 'kept a torn last line aside',
          data: { file: f.path, keptAt: first, bytes: 3 },
        },
      ]);
      const again = await keepTornAside(f, Buffer.from('abc'), layout, new Date(0), logger);
      assert.equal(again, first);
      assert.equal(logger.lines.length, 1);
      // Another tail at the very same time does not overwrite the first copy.
      const other = await keepTornAside(f, Buffer.from('xyz!'), layout, NOW, logger);
      assert.equal(other, null);
      assert.equal(await fs.readFile(first!, 'utf8'), 'abc');
      assert.equal(logger.lines[1]?.level, 'warn');
      assert.equal(logger.lines[1]?.msg, 'could not keep a torn last line aside');
      assert.match(String((logger.lines[1]?.data as { error?: unknown } | undefined)?.error), /EEXIST/);
    });
  });

  it('turnRowsOfFile: the spending rows of a log, a format-0 log or a message history; none when unreadable', async () => {
    const log = file('rows.jsonl');
    await fs.writeFile(log.path, `${created()}\n${turn(0)}\n${turn(1)}\n`);
    const expected = spendRows(
      foldEvents(
        'rows',
        `${created()}\n${turn(0)}\n${turn(1)}`
          .split('\n')
          .map((l) => sessionEventSchema.parse(JSON.parse(l))),
      ),
    );
    assert.equal(expected.length, 2);
    assert.deepEqual(turnRowsOfFile(log), expected);
    const newer = file('newer.jsonl');
    await fs.writeFile(newer.path, `{"v":2,"at":"${AT}","type":"x.y"}\n${created()}\n${turn(0)}\n`);
    assert.equal(turnRowsOfFile(newer).length, 1);
    const f0 = file('f0.jsonl');
    await fs.copyFile(join(FIXTURES, 'format0-per-request.jsonl'), f0.path);
    const counts = (rows: ReturnType<typeof turnRowsOfFile>) =>
      rows.map((r) => [r.requests, r.unknownCostRequests, r.costPico]);
    assert.deepEqual(counts(turnRowsOfFile(f0)), [
      [2, 2, 0n],
      [1, 1, 0n],
    ]);
    assert.deepEqual(counts(turnRowsOfFile(f0, () => cost(7n))), [
      [2, 0, 14n],
      [1, 0, 7n],
    ]);
    const h = file('message-history-mh-two.json', 'history');
    await fs.copyFile(join(FIXTURES, 'message-history-two-turns.json'), h.path);
    assert.equal(
      turnRowsOfFile(h).reduce((n, r) => n + r.turns, 0),
      2,
    );
    await fs.writeFile(h.path, '{"messages": [');
    assert.deepEqual(turnRowsOfFile(h), []);
    await fs.writeFile(h.path, '{"title": "no messages"}');
    assert.deepEqual(turnRowsOfFile(h), []);
    assert.deepEqual(turnRowsOfFile(file('gone.jsonl')), []);
  });

  it('a placeholder is an empty, read-only v1 session with the problems given', () => {
    const problems = [{ file: '/f', kind: 'unreadable' as const, message: 'm' }];
    const p = placeholderSession('id', problems);
    assert.equal(p.readOnly, true);
    assert.equal(p.format, 'v1');
    assert.equal(p.problems, problems);
    assert.equal(p.state.sessionId, 'id');
    assert.deepEqual(p.state.turns, []);
  });
});
