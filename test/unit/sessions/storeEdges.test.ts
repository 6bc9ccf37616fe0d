/**
 * The store's less travelled paths, each with what the user (or the log) sees: a storage folder
 * that cannot hold `sessions/`, a first write that fails, a dead process's open turn that cannot
 * be closed, unreadable files being deleted, imported or continued, an index that cannot be
 * written, and a torn last line while another writer is live.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { sessionTotals } from '../../../src/core/ledger/derive';
import { SessionStore } from '../../../src/core/sessions/store';
import { realWriterIO, type WriterIO } from '../../../src/core/sessions/writer';
import { cost, exists, FIXTURES, memoryLogger, recordTurn, tempStorage, usage } from './helpers';

function failingWrites(): WriterIO {
  return {
    write: () => {
      const e: NodeJS.ErrnoException = new Error('ENOSPC: injected');
      e.code = 'ENOSPC';
      return Promise.reject(e);
    },
    datasync: (h) => realWriterIO.datasync(h),
  };
}

/** The writers' lease files left in the store (a writer that was closed leaves none). */
function leases(dir: string): Promise<string[]> {
  return fs.readdir(join(dir, 'sessions', 'writers')).catch(() => [] as string[]);
}

describe('session store: edges', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a storage path that is a file: opening warns and reads nothing; creating fails with the system error', async () => {
    const file = join(dir, 'not-a-folder');
    await fs.writeFile(file, 'x');
    const logger = memoryLogger();
    const store = await SessionStore.open(file, { logger });
    const warn = logger.lines.find((l) => l.level === 'warn');
    assert.equal(warn?.msg, 'could not create the sessions folder; reading only');
    assert.equal(warn?.data?.dir, file);
    assert.match(String(warn?.data?.error), /ENOTDIR|EEXIST/);
    assert.equal(await store.load('any'), null);
    await assert.rejects(
      store.create({ title: 't', provider: 'p', model: 'm', sessionId: 's' }),
      (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR',
    );
    assert.equal(await fs.readFile(file, 'utf8'), 'x');
  });

  it('a first write that fails: create rejects, and the writer it opened is closed (its lease released)', async () => {
    const store = await SessionStore.open(dir, { io: failingWrites() });
    await assert.rejects(store.create({ title: 't', provider: 'p', model: 'm', sessionId: 's' }), /ENOSPC/);
    assert.deepEqual(await leases(dir), []);
    // (An open writer does hold one.)
    const ok = await (await SessionStore.open(dir)).create({ title: 't', provider: 'p', model: 'm' });
    assert.equal((await leases(dir)).length, 1);
    await ok.close();
    assert.deepEqual(await leases(dir), []);
  });

  it('a dead process left a turn open and closing it fails: openWriter rejects, keeps the log, holds nothing', async () => {
    const first = await SessionStore.open(dir);
    const w = await first.create({ title: 't', provider: 'p', model: 'm', sessionId: 'dead' });
    await recordTurn(w, 1, usage(100, 0, 0, 10), cost(5n));
    await w.append({ type: 'turn.started', turnId: 't2', index: 2 });
    await w.close();
    const log = join(dir, 'sessions', 'dead.jsonl');
    const before = await fs.readFile(log);

    const broken = await SessionStore.open(dir, { io: failingWrites() });
    await assert.rejects(broken.openWriter('dead'), /ENOSPC/);
    assert.deepEqual(await fs.readFile(log), before);
    assert.deepEqual(await leases(dir), []);
    // Nothing of the failed open is left behind: the next store opens it and closes the turn.
    const next = await SessionStore.open(dir);
    const again = await next.openWriter('dead');
    assert.equal(again.state.turns.at(-1)?.status, 'interrupted');
    assert.equal(sessionTotals(again.state).usage.totalTokens, 110);
    await again.close();
  });

  it('deleting a session whose file cannot be read: it is moved aside or, failing that, to the trash', async () => {
    const logger = memoryLogger();
    const store = await SessionStore.open(dir, { logger, now: () => new Date('2026-01-02T10:00:00.000Z') });
    const bad = join(dir, 'sessions', 'bad.jsonl');
    await fs.writeFile(bad, 'hello\n');
    // aside/ cannot be made (a file is in the way), so the bytes go to the trash as they are.
    await fs.writeFile(join(dir, 'sessions', 'aside'), 'in the way');
    assert.equal(await store.delete('bad'), true);
    assert.equal(await exists(bad), false);
    const trash = await fs.readdir(join(dir, 'sessions', 'trash'));
    assert.deepEqual(trash, ['bad.jsonl.20260102T100000000Z']);
    assert.equal(await fs.readFile(join(dir, 'sessions', 'trash', trash[0]!), 'utf8'), 'hello\n');
    const info = logger.lines.find((l) => l.msg === 'session moved to trash');
    assert.deepEqual(info?.data, { sessionId: 'bad', files: [bad] });

    // With aside/ available, reading it moves it there and there is nothing left for the trash.
    await fs.rm(join(dir, 'sessions', 'aside'));
    await fs.writeFile(join(dir, 'sessions', 'worse.jsonl'), 'still not a session\n');
    assert.equal(await store.delete('worse'), true);
    assert.deepEqual(await fs.readdir(join(dir, 'sessions', 'aside')), [
      'worse.jsonl.20260102T100000000Z.unreadable',
    ]);
    assert.deepEqual(await fs.readdir(join(dir, 'sessions', 'trash')), ['bad.jsonl.20260102T100000000Z']);
  });

  it('importing a format-0 log already in sessions/ converts it in place; an unreadable one is refused with why', async () => {
    const store = await SessionStore.open(dir);
    const own = join(dir, 'sessions', 'old0.jsonl');
    const original = await fs.readFile(join(FIXTURES, 'format0-cumulative.jsonl'));
    await fs.writeFile(own, original);
    const r = await store.importFile(own);
    assert.equal(r.sessionId, 'old0');
    assert.equal(r.created, true);
    assert.ok(
      r.report.some((l) => /cumulative-detected/.test(l)),
      r.report.join('\n'),
    );
    const loaded = (await store.load('old0'))!;
    assert.equal(loaded.format, 'v1');
    assert.equal(sessionTotals(loaded.state).usage.totalTokens, 6420);
    const legacy = await fs.readdir(join(dir, 'sessions', 'legacy'));
    assert.equal(legacy.length, 1);
    assert.deepEqual(await fs.readFile(join(dir, 'sessions', 'legacy', legacy[0]!)), original);

    await fs.writeFile(join(dir, 'sessions', 'junk.jsonl'), 'not json\n');
    await assert.rejects(
      store.importFile(join(dir, 'sessions', 'junk.jsonl')),
      /^Error: junk\.jsonl holds no session record: moved aside$/,
    );
  });

  it('an index that cannot be written: the list is still right and the failure is a warning', async () => {
    const logger = memoryLogger();
    const store = await SessionStore.open(dir, { logger });
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'a' });
    await recordTurn(w, 1, usage(10, 0, 0, 5), cost(1n));
    await w.close();
    await fs.mkdir(join(dir, 'index.json'));
    const list = await store.list();
    assert.deepEqual(
      list.sessions.map((s) => [s.sessionId, s.usage.totalTokens]),
      [['a', 15]],
    );
    const warn = logger.lines.find((l) => l.msg === 'could not write the session index');
    assert.ok(warn, JSON.stringify(logger.lines));
  });

  it('continuing: an unreadable log is refused with its problem, a missing one is unknown', async () => {
    const store = await SessionStore.open(dir, { now: () => new Date('2026-01-02T10:00:00.000Z') });
    await fs.writeFile(join(dir, 'sessions', 'nope.jsonl'), '\n\n');
    await fs.utimes(join(dir, 'sessions', 'nope.jsonl'), new Date(0), new Date(0));
    await assert.rejects(
      store.openWriter('nope'),
      /session nope cannot be continued: nope\.jsonl holds no lines/,
    );
    await assert.rejects(store.openWriter('ghost'), /no session|ghost/);
  });

  it('continuing while another writer is live and the log ends in a partial line: a newline ends it, nothing is cut', async () => {
    const a = await SessionStore.open(dir);
    const wa = await a.create({ title: 't', provider: 'p', model: 'm', sessionId: 'both' });
    await recordTurn(wa, 1, usage(100, 0, 0, 10), cost(5n));
    const log = join(dir, 'sessions', 'both.jsonl');
    // The other writer's line, half written (as if it were in the middle of its write).
    await fs.appendFile(log, '{"v":1,"at":"2026-01-0');
    const b = await SessionStore.open(dir);
    const wb = await b.openWriter('both');
    const text = await fs.readFile(log, 'utf8');
    assert.ok(text.endsWith('{"v":1,"at":"2026-01-0\n'), JSON.stringify(text.slice(-40)));
    await recordTurn(wb, 2, usage(1, 0, 0, 1), cost(1n));
    const loaded = (await b.load('both'))!;
    assert.equal(sessionTotals(loaded.state).usage.totalTokens, 112);
    assert.deepEqual(
      loaded.problems.map((p) => p.kind),
      ['bad-line'],
    );
    // Reading kept a copy of the partial line aside (as for any torn tail); the log keeps it too.
    const aside = await fs.readdir(join(dir, 'sessions', 'aside'));
    assert.equal(aside.length, 1);
    assert.equal(
      await fs.readFile(join(dir, 'sessions', 'aside', aside[0]!), 'utf8'),
      '{"v":1,"at":"2026-01-0',
    );
    await wb.close();
    await wa.close();
  });

  it('a FIFO where the index, a checkpoint or an imported file would be read is refused at once', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'long' });
    await recordTurn(w, 1, usage(100, 0, 0, 10), cost(5n));
    // Long enough (≥ 256 KiB) for a load to look for its checkpoint.
    await w.append({
      type: 'message',
      turnId: 't1',
      message: { role: 'user', content: 'x'.repeat(300_000) },
    });
    await w.close();
    await fs.mkdir(join(dir, 'cache', 'checkpoints'), { recursive: true });
    execFileSync('mkfifo', [join(dir, 'cache', 'checkpoints', 'long.json')]);
    execFileSync('mkfifo', [join(dir, 'index.json')]);
    // Nothing ever writes to these pipes: a blocking read would wait until the test times out.
    const list = await store.list();
    assert.deepEqual(
      list.sessions.map((x) => [x.sessionId, x.usage.totalTokens]),
      [['long', 110]],
    );
    assert.ok((await fs.stat(join(dir, 'index.json'))).isFile(), 'the index was written anew');
    assert.equal(sessionTotals((await store.load('long'))!.state).usage.totalTokens, 110);
    const pipe = join(dir, 'import-me.json');
    execFileSync('mkfifo', [pipe]);
    await assert.rejects(store.importFile(pipe), /import-me\.json is not a regular file/);
  });
});
