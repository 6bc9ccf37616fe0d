/**
 * The store's paths that mutation testing found unpinned, each with its exact outcome: unsafe
 * ids that must never reach the disk, titles cut to 500, a log that appears, grows or vanishes
 * while it is being created or opened, what is closed (and logged) when continuing, purging,
 * the tombstone cache of the list, and what imports report.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { sessionTotals } from '../../../src/core/ledger/derive';
import type { PriceFn } from '../../../src/core/sessions/convert';
import { READ_NO_WAIT } from '../../../src/core/sessions/durableFile';
import { SessionStore, type StoreOptions } from '../../../src/core/sessions/store';
import { cost, exists, FIXTURES, memoryLogger, recordTurn, tempStorage, usage } from './helpers';

const T0 = new Date('2026-01-02T10:00:00.000Z');
const STAMP = '20260102T100000000Z';

/** A store on `dir` with a recording logger. */
async function openStore(dir: string, opts: StoreOptions = {}) {
  const logger = memoryLogger();
  const store = await SessionStore.open(dir, { logger, ...opts });
  return { store, logger };
}

/** A closed session `id` with one whole turn (110 tokens). */
async function recorded(store: SessionStore, id: string, title = 't'): Promise<void> {
  const w = await store.create({ title, provider: 'p', model: 'm', sessionId: id });
  await recordTurn(w, 1, usage(100, 0, 0, 10), cost(5n));
  await w.close();
}

/** The info lines of a logger with this message (their data). */
function infos(logger: ReturnType<typeof memoryLogger>, msg: string) {
  return logger.lines.filter((l) => l.level === 'info' && l.msg === msg).map((l) => l.data);
}

/** The writers' lease files left in the store. */
function leases(dir: string): Promise<string[]> {
  return fs.readdir(join(dir, 'sessions', 'writers')).catch(() => [] as string[]);
}

/** One v1 event line, as another process would append it. */
function line(body: Record<string, unknown>): string {
  return `${JSON.stringify({ v: 1, at: T0.toISOString(), ...body })}\n`;
}

/**
 * Runs `body` while every `fs.open(path, flags)` (the store's and the reader's) goes through
 * `around`: another process acting at that very instant, or a disk that fails. Restored after.
 */
async function whileOpening<R>(
  path: string,
  flags: string | number,
  around: (n: number, open: () => Promise<FileHandle>) => Promise<FileHandle>,
  body: () => Promise<R>,
): Promise<R> {
  const api = fs as unknown as { open: typeof fs.open };
  const real = api.open;
  let n = 0;
  api.open = ((p: string, f: string | number, m?: number) =>
    p === path && f === flags ? around(++n, () => real(p, f, m)) : real(p, f, m)) as typeof fs.open;
  try {
    return await body();
  } finally {
    api.open = real;
  }
}

describe('session store: mutation-found cases', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('opening a storage folder that does not exist yet creates it and its sessions/, without a warning', async () => {
    const deep = join(dir, 'not', 'yet');
    const { store, logger } = await openStore(deep);
    assert.ok((await fs.stat(join(deep, 'sessions'))).isDirectory());
    assert.deepEqual(logger.lines, []);
    await recorded(store, 'a');
    assert.equal((await store.load('a'))?.state.title, 't');
  });

  it('an id that is not a safe file name never reaches the disk (load, openWriter, delete)', async () => {
    const { store } = await openStore(dir);
    await recorded(store, 'x');
    // What `../x` would name if it were used as a file name: a real session log, and a checkpoint.
    await fs.copyFile(join(dir, 'sessions', 'x.jsonl'), join(dir, 'x.jsonl'));
    await fs.mkdir(join(dir, 'cache'), { recursive: true });
    await fs.writeFile(join(dir, 'cache', 'x.json'), 'kept');
    assert.equal(await store.load('../x'), null);
    await assert.rejects(store.openWriter('../x'), { message: 'no session "../x"' });
    assert.equal(await store.delete('../x'), false);
    assert.equal(await store.delete('../x', { purge: true }), false);
    assert.equal(await fs.readFile(join(dir, 'cache', 'x.json'), 'utf8'), 'kept');
    assert.ok(await exists(join(dir, 'x.jsonl')));
    assert.deepEqual(await leases(dir), []);
    assert.deepEqual((await fs.readdir(join(dir, 'sessions'))).sort(), ['writers', 'x.jsonl']);
  });

  it('titles are cut to 500 characters when creating, renaming an open session and renaming a closed one', async () => {
    const { store } = await openStore(dir);
    const w = await store.create({ title: 'a'.repeat(600), provider: 'p', model: 'm', sessionId: 'long' });
    assert.equal(w.state.title, 'a'.repeat(500));
    await store.rename('long', 'b'.repeat(600));
    assert.equal(w.state.title, 'b'.repeat(500));
    await w.close();
    await store.rename('long', 'c'.repeat(600));
    assert.equal((await store.load('long'))?.state.title, 'c'.repeat(500));
    // Renaming a closed session closes the writer it opened: nothing is held afterwards.
    assert.deepEqual(await leases(dir), []);
    const again = await store.openWriter('long');
    await again.close();
  });

  it('creating an id that exists only as a message history is refused, and no log is made', async () => {
    const { store } = await openStore(dir);
    await fs.copyFile(
      join(FIXTURES, 'message-history-two-turns.json'),
      join(dir, 'sessions', 'message-history-mh-two.json'),
    );
    await assert.rejects(store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'mh-two' }), {
      message: 'session mh-two already exists',
    });
    assert.equal(await exists(join(dir, 'sessions', 'mh-two.jsonl')), false);
  });

  it('a log that appears between the check and the open: create says the session exists and leaves it alone', async () => {
    const { store } = await openStore(dir);
    const log = join(dir, 'sessions', 'race.jsonl');
    await whileOpening(
      log,
      'ax+',
      async (_, open) => {
        await fs.writeFile(log, 'theirs\n');
        return open();
      },
      () =>
        assert.rejects(store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'race' }), {
          message: 'session race already exists',
        }),
    );
    assert.equal(await fs.readFile(log, 'utf8'), 'theirs\n');
    assert.deepEqual(await leases(dir), []);
  });

  it('purging removes the files and earlier tombstones of that id only, once; the id can then be created again', async () => {
    const { store, logger } = await openStore(dir, { now: () => T0 });
    const trash = join(dir, 'sessions', 'trash');
    await recorded(store, 'other');
    assert.equal(await store.delete('other'), true);
    await recorded(store, 'p');
    assert.equal(await store.delete('p'), true);
    assert.deepEqual(infos(logger, 'session deleted; its spending kept as a tombstone'), [
      { sessionId: 'other', keptAt: join(trash, `other.jsonl.${STAMP}`) },
      { sessionId: 'p', keptAt: join(trash, `p.jsonl.${STAMP}`) },
    ]);
    // A new session under the same id: one log, one earlier tombstone.
    await recorded(store, 'p');
    assert.equal(await store.delete('p', { purge: true }), true);
    assert.deepEqual(await fs.readdir(trash), [`other.jsonl.${STAMP}`]);
    assert.equal(await exists(join(dir, 'sessions', 'p.jsonl')), false);
    assert.deepEqual(infos(logger, 'session purged (conversation and spending)'), [{ sessionId: 'p' }]);
    // Nothing left of it: nothing to purge.
    assert.equal(await store.delete('p', { purge: true }), false);
    assert.equal(await store.delete('never', { purge: true }), false);
    assert.equal(infos(logger, 'session purged (conversation and spending)').length, 1);
    // A tombstone alone is purged too.
    assert.equal(await store.delete('other', { purge: true }), true);
    assert.deepEqual(await fs.readdir(trash), []);
    await recorded(store, 'p');
    assert.equal(sessionTotals((await store.load('p'))!.state).usage.totalTokens, 110);
  });

  it('a message history in sessions/ is listed under its id, and purged with its id', async () => {
    const { store } = await openStore(dir);
    const history = join(dir, 'sessions', 'message-history-mh-two.json');
    await fs.copyFile(join(FIXTURES, 'message-history-two-turns.json'), history);
    const { sessions, problems } = await store.list();
    assert.deepEqual(
      problems.map((p) => [p.file, p.kind]),
      [[history, 'legacy-mismatch']],
    );
    assert.deepEqual(
      sessions.map((s) => [s.sessionId, s.format, s.file, s.usage.totalTokens]),
      [['mh-two', 'message-history', join('sessions', 'message-history-mh-two.json'), 7250]],
    );
    assert.equal(await store.delete('mh-two', { purge: true }), true);
    assert.equal(await exists(history), false);
  });

  describe('continuing (openWriter)', () => {
    it('a session closed cleanly is continued as it is: nothing appended, nothing reported closed', async () => {
      const { store, logger } = await openStore(dir);
      await recorded(store, 'clean');
      const log = join(dir, 'sessions', 'clean.jsonl');
      const before = await fs.readFile(log);
      const w = await store.openWriter('clean');
      await w.close();
      assert.deepEqual(await fs.readFile(log), before);
      assert.deepEqual(infos(logger, 'closed what a previous process left open'), []);
    });

    it('a request left streaming outside any turn is closed as interrupted, and the log says how many', async () => {
      const { store, logger } = await openStore(dir);
      const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'dangling' });
      await w.append({
        type: 'request.started',
        requestId: 'r0',
        provider: 'p',
        model: 'm',
        purpose: 'title',
      });
      await w.close();
      const again = await store.openWriter('dangling');
      assert.equal(again.state.requests.get('r0')?.status, 'interrupted');
      await again.close();
      assert.deepEqual(infos(logger, 'closed what a previous process left open'), [
        { sessionId: 'dangling', requests: 1, turns: 0 },
      ]);
    });

    it('a torn last line after a bad line is cut (kept aside first), and the log says where it is kept', async () => {
      const { store, logger } = await openStore(dir);
      await recorded(store, 'torn');
      const log = join(dir, 'sessions', 'torn.jsonl');
      await fs.appendFile(log, 'not json\n');
      const good = await fs.readFile(log);
      await fs.appendFile(log, '{"v":1,"at":"2026-0');
      const w = await store.openWriter('torn');
      await w.close();
      assert.deepEqual(await fs.readFile(log), good);
      const [keptAt] = await fs.readdir(join(dir, 'sessions', 'aside'));
      assert.deepEqual(infos(logger, 'cut a torn last line after keeping it aside'), [
        { sessionId: 'torn', keptAt: join(dir, 'sessions', 'aside', keptAt!) },
      ]);
    });

    it('a whole last line without its newline gets one, and the appends after it read back without a warning', async () => {
      const { store, logger } = await openStore(dir);
      await recorded(store, 'nl');
      const log = join(dir, 'sessions', 'nl.jsonl');
      const started = line({ type: 'turn.started', turnId: 't5', index: 5 });
      await fs.appendFile(log, started.trimEnd());
      // Continuing closes the running turn t5: an append right after the added newline.
      const w = await store.openWriter('nl');
      await w.append({ type: 'turn.started', turnId: 't6', index: 6 });
      await w.close();
      assert.deepEqual(
        logger.lines.filter((l) => l.level === 'warn' || l.level === 'error'),
        [],
      );
      const text = await fs.readFile(log, 'utf8');
      assert.ok(text.includes(`${started}{`), 'the line got its newline');
      const loaded = (await store.load('nl'))!;
      assert.deepEqual(loaded.problems, []);
      assert.deepEqual(
        loaded.state.turns.map((t) => [t.turnId, t.status]),
        [
          ['t1', 'completed'],
          ['t5', 'interrupted'],
          ['t6', 'running'],
        ],
      );
    });

    it('a disk error while adding the missing newline: openWriter rejects with it and holds nothing', async () => {
      const { store } = await openStore(dir);
      await recorded(store, 'eio');
      const log = join(dir, 'sessions', 'eio.jsonl');
      await fs.appendFile(log, line({ type: 'turn.started', turnId: 't5', index: 5 }).trimEnd());
      const before = await fs.readFile(log);
      const failingWrite = async (_: number, open: () => Promise<FileHandle>) => {
        const h = await open();
        return new Proxy(h, {
          get: (t, k) => {
            if (k === 'write') return () => Promise.reject(new Error('EIO: injected'));
            const v = Reflect.get(t, k);
            return typeof v === 'function' ? v.bind(t) : v;
          },
        });
      };
      await whileOpening(log, 'a+', failingWrite, () =>
        assert.rejects(store.openWriter('eio'), { message: 'EIO: injected' }),
      );
      assert.deepEqual(await fs.readFile(log), before);
      assert.deepEqual(await leases(dir), []);
      // Not left open: a later attempt (on a working disk) goes ahead.
      const w = await store.openWriter('eio');
      await w.close();
    });

    it('a partial last line completed while the log is opened is read again, not cut', async () => {
      const { store, logger } = await openStore(dir);
      await recorded(store, 'grow');
      const log = join(dir, 'sessions', 'grow.jsonl');
      const theirs = line({ type: 'turn.started', turnId: 't9', index: 9 });
      await fs.appendFile(log, theirs.slice(0, 20));
      const w = await whileOpening(
        log,
        'a+',
        async (n, open) => {
          if (n === 1) await fs.appendFile(log, theirs.slice(20));
          return open();
        },
        () => store.openWriter('grow'),
      );
      await w.close();
      assert.ok((await fs.readFile(log, 'utf8')).includes(theirs));
      assert.deepEqual(
        w.state.turns.map((t) => [t.turnId, t.status]),
        [
          ['t1', 'completed'],
          ['t9', 'interrupted'],
        ],
      );
      assert.deepEqual(infos(logger, 'cut a torn last line after keeping it aside'), []);
    });

    it('a log that keeps growing while it is opened: three tries, then a clear refusal', async () => {
      const { store } = await openStore(dir);
      await recorded(store, 'busy');
      const log = join(dir, 'sessions', 'busy.jsonl');
      await fs.appendFile(log, '{"v":1,');
      let opens = 0;
      await whileOpening(
        log,
        'a+',
        async (n, open) => {
          opens = n;
          // Another process keeps appending to its partial line (four times, then it stops).
          if (n <= 4) await fs.appendFile(log, 'x');
          return open();
        },
        () =>
          assert.rejects(store.openWriter('busy'), {
            message: 'session busy keeps changing while it is opened (another process is writing it)',
          }),
      );
      assert.equal(opens, 3);
      assert.deepEqual(await leases(dir), []);
    });

    it('an empty log (a session being created this instant) cannot be continued yet, and stays', async () => {
      const { store } = await openStore(dir);
      const log = join(dir, 'sessions', 'new.jsonl');
      await fs.writeFile(log, '');
      await assert.rejects(store.openWriter('new'), {
        message: 'session new has no events yet (it is being created)',
      });
      assert.ok(await exists(log));
      assert.deepEqual(await leases(dir), []);
    });

    it('a log deleted while it is being opened: the session is then unknown', async () => {
      const { store } = await openStore(dir);
      await recorded(store, 'gone');
      const log = join(dir, 'sessions', 'gone.jsonl');
      await whileOpening(
        log,
        READ_NO_WAIT,
        async (n, open) => {
          if (n === 1) await fs.rm(log);
          return open();
        },
        () => assert.rejects(store.openWriter('gone'), { message: 'no session "gone"' }),
      );
      assert.deepEqual(await leases(dir), []);
    });
  });

  describe('the list', () => {
    /** Rewrites the tombstone with another title, and gives it this mtime. */
    async function retitle(path: string, from: string, to: string, mtime: Date): Promise<void> {
      const text = await fs.readFile(path, 'utf8');
      assert.ok(text.includes(`"title":"${from}"`));
      await fs.writeFile(path, text.replace(`"title":"${from}"`, `"title":"${to}"`));
      await fs.utimes(path, mtime, mtime);
    }

    it('an unchanged tombstone comes from the index; a changed size or mtime reads it again', async () => {
      const { store } = await openStore(dir, { now: () => T0 });
      await recorded(store, 'gone', 'one');
      await store.delete('gone');
      const tomb = join(dir, 'sessions', 'trash', `gone.jsonl.${STAMP}`);
      const index = join(dir, 'index.json');
      const titles = async () => (await store.list()).deleted.map((d) => [d.sessionId, d.title, d.deletedAt]);
      await fs.utimes(tomb, T0, T0);
      assert.deepEqual(await titles(), [['gone', 'one', T0.toISOString()]]);
      // Listed again unchanged: taken from the index, which is not rewritten.
      await fs.utimes(index, new Date(0), new Date(0));
      assert.deepEqual(await titles(), [['gone', 'one', T0.toISOString()]]);
      assert.equal((await fs.stat(index)).mtimeMs, 0);
      // Another size, same mtime.
      await retitle(tomb, 'one', 'three', T0);
      assert.deepEqual(await titles(), [['gone', 'three', T0.toISOString()]]);
      // Same size, another mtime.
      await retitle(tomb, 'three', 'seven', new Date(T0.getTime() + 1000));
      assert.deepEqual(await titles(), [['gone', 'seven', T0.toISOString()]]);
    });

    it('an index entry is used only while its file, size and mtime all match', async () => {
      const { store } = await openStore(dir);
      await recorded(store, 'a', 'real');
      const index = join(dir, 'index.json');
      await store.list();
      const edits: [string, (e: Record<string, unknown>) => void][] = [
        ['file', (e) => (e.file = 'sessions/other.jsonl')],
        ['size', (e) => (e.size = (e.size as number) + 1)],
        ['mtime', (e) => (e.mtimeMs = (e.mtimeMs as number) + 1000)],
      ];
      for (const [what, edit] of edits) {
        const json = JSON.parse(await fs.readFile(index, 'utf8'));
        json.sessions[0].title = 'stale';
        edit(json.sessions[0]);
        await fs.writeFile(index, JSON.stringify(json));
        const [s] = (await store.list()).sessions;
        assert.deepEqual([s!.title, s!.file], ['real', join('sessions', 'a.jsonl')], what);
      }
    });

    it('lists the newest first, and sessions updated at the same time by id', async () => {
      const clock = { t: T0.getTime() };
      const { store } = await openStore(dir, { now: () => new Date(clock.t) });
      for (const id of ['e', 'c', 'a', 'd', 'b']) await recorded(store, id);
      clock.t += 60_000;
      await recorded(store, 'z');
      assert.deepEqual(
        (await store.list()).sessions.map((s) => s.sessionId),
        ['z', 'a', 'b', 'c', 'd', 'e'],
      );
    });

    it('an empty log is left alone for a minute (it may be a session being created), then moved aside', async () => {
      const log = join(dir, 'sessions', 'new.jsonl');
      for (const [age, kept] of [
        [59_999, true],
        [60_000, false],
      ] as const) {
        const { store } = await openStore(dir, { now: () => new Date(T0.getTime() + age) });
        await fs.writeFile(log, '');
        await fs.utimes(log, T0, T0);
        const { problems } = await store.list();
        assert.equal(await exists(log), kept, `${age} ms old`);
        assert.equal(problems.length, kept ? 0 : 1, `${age} ms old`);
        await fs.rm(log, { force: true });
      }
    });

    it('closing the store closes its open writers (their leases go)', async () => {
      const { store } = await openStore(dir);
      await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'a' });
      await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'b' });
      assert.equal((await leases(dir)).length, 2);
      await store.close();
      assert.deepEqual(await leases(dir), []);
    });

    it('an index that cannot be written: the warning carries the error', async () => {
      const { store, logger } = await openStore(dir);
      await recorded(store, 'a');
      await fs.mkdir(join(dir, 'index.json'));
      await store.list();
      const warns = logger.lines.filter((l) => l.msg === 'could not write the session index');
      assert.equal(warns.length, 1);
      assert.deepEqual(Object.keys(warns[0]!.data!), ['error']);
      assert.match(String(warns[0]!.data!.error), /^Error: EISDIR: .*index\.json'$/);
    });
  });

  describe('importing', () => {
    async function incoming(name: string, json: Record<string, unknown>): Promise<string> {
      await fs.mkdir(join(dir, 'incoming'), { recursive: true });
      const path = join(dir, 'incoming', name);
      await fs.writeFile(path, JSON.stringify(json));
      return path;
    }
    async function twoTurns(): Promise<Record<string, unknown>> {
      return JSON.parse(await fs.readFile(join(FIXTURES, 'message-history-two-turns.json'), 'utf8'));
    }

    it('the same content again: the report names the session and the start of the hash', async () => {
      const { store } = await openStore(dir);
      const source = join(FIXTURES, 'message-history-mh-demo.json');
      const sha = createHash('sha256')
        .update(await fs.readFile(source))
        .digest('hex');
      await store.importFile(source);
      assert.deepEqual(await store.importFile(source), {
        sessionId: 'mh-demo',
        created: false,
        report: [`already imported as session mh-demo (same content, sha256 ${sha.slice(0, 12)}…)`],
      });
    });

    it('an own log that the index still lists as fine but is now unreadable: refused with its own problem', async () => {
      const { store } = await openStore(dir);
      await recorded(store, 'v');
      const log = join(dir, 'sessions', 'v.jsonl');
      await fs.utimes(log, T0, T0);
      await store.list();
      const { size } = await fs.stat(log);
      await fs.writeFile(log, `${'x'.repeat(size - 1)}\n`);
      await fs.utimes(log, T0, T0);
      await assert.rejects(store.importFile(log), {
        message: 'v.jsonl holds no session record: moved aside',
      });
    });

    it('an own log the list just moved aside: refused with what the list found about that file only', async () => {
      const { store } = await openStore(dir);
      await fs.writeFile(join(dir, 'sessions', 'a.jsonl'), 'not json\n');
      await fs.writeFile(join(dir, 'sessions', 'b.jsonl'), 'not json either\n');
      await assert.rejects(store.importFile(join(dir, 'sessions', 'a.jsonl')), {
        message: 'a.jsonl holds no session record: moved aside',
      });
    });

    it('an own log that is empty and new (being created): refused as such, left in place', async () => {
      const { store } = await openStore(dir);
      const log = join(dir, 'sessions', 'empty.jsonl');
      await fs.writeFile(log, '');
      await assert.rejects(store.importFile(log), {
        message: 'empty.jsonl holds no record yet (a session being created?)',
      });
      assert.ok(await exists(log));
    });

    it('a history naming no id gets a new one without a note, and its unpriced requests priced', async () => {
      const price: PriceFn = (u) => ({
        pico: String(u.inputTokens * 1000),
        basis: 'computed',
        catalog: 'test',
      });
      const { store } = await openStore(dir, { price });
      const json = await twoTurns();
      delete json.sessionId;
      delete (json.tokenUsage as Record<string, unknown>[])[1]!.estimatedCost;
      const r = await store.importFile(await incoming('export.json', json));
      assert.equal(r.created, true);
      assert.match(r.sessionId, /^[0-9a-f-]{36}$/);
      assert.ok(!r.report.some((l) => l.includes('session id')), r.report.join('\n'));
      const s = (await store.load(r.sessionId))!.state;
      assert.deepEqual(
        [...s.requests.values()].map((q) => q.cost?.basis),
        ['legacy', 'computed'],
      );
      assert.equal(sessionTotals(s).cost.knownPico, 12_300_000_000n + 3_600_000n);
    });

    it('an id held by an open writer is taken even when its log is gone', async () => {
      const { store } = await openStore(dir);
      const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'held' });
      await fs.rm(join(dir, 'sessions', 'held.jsonl'));
      const r = await store.importFile(
        await incoming('export.json', { ...(await twoTurns()), sessionId: 'held' }),
      );
      await w.close();
      assert.notEqual(r.sessionId, 'held');
      assert.equal(r.report[0], `session id held is taken or unusable here; imported as ${r.sessionId}`);
    });

    it('a history in the storage folder keeps its own id: the file found under it is itself', async () => {
      const { store } = await openStore(dir);
      const history = join(dir, 'message-history-mh-two.json');
      await fs.copyFile(join(FIXTURES, 'message-history-two-turns.json'), history);
      const r = await store.importFile(history);
      assert.equal(r.sessionId, 'mh-two');
      assert.ok(!r.report.some((l) => l.includes('session id')), r.report.join('\n'));
      assert.equal((await store.load('mh-two'))?.format, 'v1');
    });
  });
});
