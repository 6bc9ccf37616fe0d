import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { INDEX_VERSION } from '../../../src/core/sessions/sessionIndex';
import { SessionStore } from '../../../src/core/sessions/store';
import { cost, recordTurn, tempStorage, usage } from './helpers';

describe('session index', () => {
  let dir: string;
  let clock: number;
  const now = () => new Date(clock);
  beforeEach(async () => {
    dir = await tempStorage();
    clock = Date.parse('2026-02-01T12:00:00.000Z');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function threeSessions(store: SessionStore): Promise<void> {
    for (const [i, id] of ['older', 'newest', 'middle'].entries()) {
      clock = Date.parse('2026-02-01T12:00:00.000Z') + [0, 2, 1][i]! * 60_000;
      const w = await store.create({
        title: `Session ${id}`,
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        sessionId: id,
      });
      await recordTurn(w, 0, usage(1000, 500, 20, 100, 10), cost(i === 2 ? null : 7_000_000n), {
        model: 'claude-haiku-4-5',
      });
      await w.close();
    }
  }

  async function readIndexFile(): Promise<{
    version: number;
    sessions: { sessionId: string; title: string }[];
  }> {
    return JSON.parse(await fs.readFile(join(dir, 'index.json'), 'utf8'));
  }

  it('lists sessions newest first with totals, cost, context window and format', async () => {
    const store = await SessionStore.open(dir, { now });
    await threeSessions(store);
    const { sessions, problems } = await store.list();
    assert.deepEqual(problems, []);
    assert.deepEqual(
      sessions.map((s) => s.sessionId),
      ['newest', 'middle', 'older'],
    );
    const s = sessions[2]!;
    assert.equal(s.title, 'Session older');
    assert.equal(s.turns, 1);
    assert.equal(s.requests, 1);
    assert.equal(s.usage.inputTokens, 1520);
    assert.equal(s.usage.outputTokens, 110);
    assert.equal(s.costPico, '7000000');
    assert.equal(s.unknownCostRequests, 0);
    assert.equal(s.contextTokens, 1630);
    assert.equal(s.contextModel, 'claude-haiku-4-5');
    assert.equal(s.format, 'v1');
    assert.equal(s.readOnly, false);
    assert.equal(s.approximate, false);
    assert.equal(s.file, join('sessions', 'older.jsonl'));
    assert.equal(sessions[1]!.unknownCostRequests, 1);
    assert.equal(sessions[1]!.costPico, '0');
  });

  it('is written by list, atomically, and never by an append', async () => {
    const store = await SessionStore.open(dir, { now });
    await threeSessions(store);
    await assert.rejects(fs.stat(join(dir, 'index.json')));
    await store.list();
    const index = await readIndexFile();
    assert.equal(index.version, INDEX_VERSION);
    assert.equal(index.sessions.length, 3);
    assert.deepEqual(
      (await fs.readdir(dir)).filter((n) => n.endsWith('.tmp')),
      [],
    );
    const before = await fs.readFile(join(dir, 'index.json'));
    const w = await store.openWriter('older');
    await recordTurn(w, 1, usage(1, 0, 0, 1), cost(1n));
    await w.close();
    assert.deepEqual(await fs.readFile(join(dir, 'index.json')), before);
  });

  it('serves unchanged sessions from the index and rebuilds the entry of a log that changed', async () => {
    const store = await SessionStore.open(dir, { now });
    await threeSessions(store);
    await store.list();
    // Plant a marker in the cached entries: it shows only if the cache is what is served.
    const index = await readIndexFile();
    for (const s of index.sessions) s.title = `cached ${s.sessionId}`;
    await fs.writeFile(join(dir, 'index.json'), JSON.stringify(index));

    clock += 10 * 60_000;
    const w = await store.openWriter('older');
    await recordTurn(w, 1, usage(2000, 0, 0, 200), cost(3n));
    await w.close();
    const { sessions } = await store.list();
    const byId = new Map(sessions.map((s) => [s.sessionId, s]));
    assert.equal(byId.get('newest')?.title, 'cached newest');
    assert.equal(byId.get('middle')?.title, 'cached middle');
    assert.equal(byId.get('older')?.title, 'Session older');
    assert.equal(byId.get('older')?.turns, 2);
    assert.equal(byId.get('older')?.usage.outputTokens, 310);
    assert.equal(byId.get('older')?.costPico, '7000003');
    assert.equal(sessions[0]?.sessionId, 'older');
  });

  it('is rebuilt whole when missing, corrupt, or of another version', async () => {
    const store = await SessionStore.open(dir, { now });
    await threeSessions(store);
    const reference = (await store.list()).sessions;
    for (const damage of [
      '{"version":1,"sessions":[{"sessionId":',
      'null',
      '{"version":99,"sessions":[]}',
      '',
    ]) {
      if (damage === '') await fs.rm(join(dir, 'index.json'));
      else await fs.writeFile(join(dir, 'index.json'), damage);
      const { sessions, problems } = await store.list();
      assert.deepEqual(sessions, reference, `after ${JSON.stringify(damage)}`);
      assert.deepEqual(problems, []);
      assert.equal((await readIndexFile()).sessions.length, 3);
    }
  });

  it('drops sessions whose logs are gone, and picks up logs it has never seen', async () => {
    const store = await SessionStore.open(dir, { now });
    await threeSessions(store);
    await store.list();
    await fs.rm(join(dir, 'sessions', 'middle.jsonl'));
    const other = await SessionStore.open(dir, { now });
    const w = await other.create({ title: 'From elsewhere', provider: 'p', model: 'm', sessionId: 'fresh' });
    await w.close();
    const { sessions } = await store.list();
    assert.deepEqual(sessions.map((s) => s.sessionId).sort(), ['fresh', 'newest', 'older']);
    assert.deepEqual((await readIndexFile()).sessions.map((s) => s.sessionId).sort(), [
      'fresh',
      'newest',
      'older',
    ]);
  });
});
