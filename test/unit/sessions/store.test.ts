import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { contextWindow, sessionTotals, turnTotals } from '../../../src/core/ledger/derive';
import { SessionStore } from '../../../src/core/sessions/store';
import { cost, exists, memoryLogger, recordTurn, tempStorage, usage } from './helpers';

describe('session store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a recorded session loads back with the same turns, usage, costs and context window', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 'Round trip', provider: 'anthropic', model: 'claude-sonnet-4-5' });
    await recordTurn(w, 0, usage(2000, 1000, 80, 300, 100), cost(12_300_000_000n));
    await recordTurn(w, 1, usage(500, 3080, 0, 50), cost(null));
    await w.append({ type: 'message', turnId: 't1', message: { role: 'user', content: 'héllo ✓' } });
    const before = w.state;
    await w.close();

    const loaded = await store.load(w.sessionId);
    assert.ok(loaded);
    assert.equal(loaded.format, 'v1');
    assert.equal(loaded.readOnly, false);
    assert.deepEqual(loaded.problems, []);
    assert.equal(loaded.state.title, 'Round trip');
    assert.equal(loaded.state.turns.length, 2);
    assert.deepEqual(sessionTotals(loaded.state), sessionTotals(before));
    const totals = sessionTotals(loaded.state);
    assert.equal(totals.usage.inputTokens, 3080 + 3580);
    assert.equal(totals.usage.outputTokens, 400 + 50);
    assert.equal(totals.cost.knownPico, 12_300_000_000n);
    assert.equal(totals.cost.unknownCount, 1);
    assert.equal(turnTotals(loaded.state, loaded.state.turns[0]!).usage.totalTokens, 3480);
    assert.equal(contextWindow(loaded.state, null).usedTokens, 3580 + 50);
    assert.deepEqual(contextWindow(loaded.state, 200_000), contextWindow(before, 200_000));
    assert.equal(loaded.state.messages[0]?.message.content, 'héllo ✓');
  });

  it('writes one complete line per event, each with v and at', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'lines' });
    await recordTurn(w, 0, usage(10, 0, 0, 5), cost(1n));
    await w.close();
    const text = await fs.readFile(join(dir, 'sessions', 'lines.jsonl'), 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 7);
    for (const l of lines) {
      const e = JSON.parse(l);
      assert.equal(e.v, 1);
      assert.match(e.at, /^\d{4}-\d\d-\d\dT/);
    }
  });

  it("the writer's state is always the fold of what it appended", async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm' });
    await recordTurn(w, 0, usage(100, 0, 0, 10), cost(5n));
    assert.equal(sessionTotals(w.state).usage.totalTokens, 110);
    assert.equal(w.state.turns[0]?.status, 'completed');
    await w.close();
  });

  it('appends made without awaiting are written in order, each on its own line', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'queue' });
    const pending = [];
    for (let i = 0; i < 50; i++) pending.push(w.append({ type: 'turn.started', turnId: `t${i}`, index: i }));
    await Promise.all(pending);
    await w.close();
    const lines = (await fs.readFile(join(dir, 'sessions', 'queue.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.deepEqual(
      lines.slice(1).map((l) => JSON.parse(l).index),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it('an invalid event is refused and nothing is written', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'invalid' });
    const file = join(dir, 'sessions', 'invalid.jsonl');
    const size = (await fs.stat(file)).size;
    await assert.rejects(w.append({ type: 'turn.started', turnId: 't0', index: -1 }));
    await assert.rejects(
      w.append({
        type: 'request.usage',
        requestId: 'r',
        usage: usage(1, 0, 0, 1),
        cost: { pico: '-5', basis: 'computed' },
        final: true,
      }),
    );
    assert.equal((await fs.stat(file)).size, size);
    // The queue goes on after a refusal.
    await w.append({ type: 'turn.started', turnId: 't0', index: 0 });
    await w.close();
    await assert.rejects(w.append({ type: 'turn.started', turnId: 't1', index: 1 }), /closed/);
  });

  it('a repeated usage line for one request counts once, and the last snapshot wins', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'repeat' });
    await w.append({ type: 'turn.started', turnId: 't0', index: 0 });
    await w.append({
      type: 'request.started',
      requestId: 'r0',
      turnId: 't0',
      provider: 'p',
      model: 'm',
      purpose: 'chat',
    });
    const u = usage(1000, 0, 0, 0);
    for (let i = 0; i < 3; i++)
      await w.append({ type: 'request.usage', requestId: 'r0', usage: u, cost: cost(7n), final: false });
    await w.append({
      type: 'request.usage',
      requestId: 'r0',
      usage: usage(1000, 0, 0, 200),
      cost: cost(9n),
      final: true,
    });
    await w.append({
      type: 'request.usage',
      requestId: 'r0',
      usage: usage(1000, 0, 0, 200),
      cost: cost(9n),
      final: true,
    });
    await w.close();
    // And a line duplicated by hand in the file (a replayed write) changes nothing either.
    const file = join(dir, 'sessions', 'repeat.jsonl');
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    await fs.appendFile(file, `${lines[lines.length - 1]}\n${lines[3]}\n`);
    const loaded = await store.load('repeat');
    assert.ok(loaded);
    const totals = sessionTotals(loaded.state);
    assert.equal(totals.usage.inputTokens, 1000);
    assert.equal(totals.usage.outputTokens, 200);
    assert.equal(totals.cost.knownPico, 9n);
    assert.equal(loaded.state.requests.size, 1);
  });

  it('continues a session with openWriter, and refuses a second writer', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'cont' });
    await recordTurn(w, 0, usage(100, 0, 0, 10), cost(3n));
    await assert.rejects(store.openWriter('cont'), /already open/);
    await w.close();
    const w2 = await store.openWriter('cont');
    assert.equal(w2.state.turns.length, 1);
    await recordTurn(w2, 1, usage(200, 100, 0, 20), cost(4n));
    await w2.close();
    const loaded = await store.load('cont');
    assert.equal(sessionTotals(loaded!.state).cost.knownPico, 7n);
    await assert.rejects(store.openWriter('nope'), /no session/);
    await assert.rejects(
      store.create({ title: 'x', provider: 'p', model: 'm', sessionId: 'cont' }),
      /already exists/,
    );
    await assert.rejects(
      store.create({ title: 'x', provider: 'p', model: 'm', sessionId: '../evil' }),
      /session id/,
    );
    assert.equal(await store.load('missing'), null);
    assert.equal(await store.load('../../etc/passwd'), null);
  });

  it('rename appends session.renamed; delete moves the log to trash', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 'Old', provider: 'p', model: 'm', sessionId: 'ren' });
    await store.rename('ren', 'New while open');
    await w.close();
    await store.rename('ren', 'New');
    const file = join(dir, 'sessions', 'ren.jsonl');
    const types = (await fs.readFile(file, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    assert.deepEqual(types, ['session.created', 'session.renamed', 'session.renamed']);
    assert.equal((await store.load('ren'))?.state.title, 'New');

    assert.equal(await store.delete('ren'), true);
    assert.equal(await exists(file), false);
    const trash = await fs.readdir(join(dir, 'sessions', 'trash'));
    assert.equal(trash.length, 1);
    assert.match(trash[0]!, /^ren\.jsonl\./);
    assert.equal(await store.load('ren'), null);
    assert.equal((await store.list()).sessions.length, 0);
    assert.equal(await store.delete('ren'), false);
  });

  it('logs a debug line for every usage save, naming the request', async () => {
    const logger = memoryLogger();
    const store = await SessionStore.open(dir, { logger });
    const w = await store.create({ title: 't', provider: 'p', model: 'm' });
    await recordTurn(w, 0, usage(100, 0, 0, 10), cost(3n));
    await w.close();
    const saves = logger.lines.filter((l) => l.level === 'debug' && l.msg === 'usage saved');
    assert.equal(saves.length, 2);
    assert.equal(saves[0]?.data?.requestId, 'r0');
    assert.equal(saves[0]?.data?.final, false);
    assert.equal(saves[1]?.data?.final, true);
    assert.equal(saves[1]?.data?.durable, true);
    assert.equal(typeof saves[1]?.data?.at, 'string');
  });

  it('syncs to disk before acknowledging events that end something, and on request', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm' });
    const probe = await fs.open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const original = proto.datasync;
    const synced: string[] = [];
    let last = '';
    const append = w.append.bind(w);
    w.append = (body, opts) => {
      last = body.type + ('final' in body ? `:${body.final}` : '');
      return append(body, opts);
    };
    proto.datasync = function (this: unknown) {
      synced.push(last);
      return original.call(this);
    };
    try {
      await recordTurn(w, 0, usage(100, 0, 0, 10), cost(3n));
      assert.deepEqual(synced, ['request.usage:true', 'request.ended', 'turn.ended']);
      synced.length = 0;
      await w.append({ type: 'message', message: { role: 'user', content: 'x' } }, { durable: true });
      await w.append({ type: 'turn.ended', turnId: 't0', status: 'completed' }, { durable: false });
      assert.deepEqual(synced, ['message']);
    } finally {
      proto.datasync = original;
      await w.close();
    }
  });

  it('recording appends only: earlier bytes of the log never change', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'append-only' });
    const file = join(dir, 'sessions', 'append-only.jsonl');
    let previous = await fs.readFile(file);
    for (let i = 0; i < 5; i++) {
      await recordTurn(w, i, usage(100 * i, 0, 0, 10), cost(1n));
      await store.rename('append-only', `title ${i}`);
      const now = await fs.readFile(file);
      assert.ok(now.length > previous.length);
      assert.ok(now.subarray(0, previous.length).equals(previous));
      previous = now;
    }
    await w.close();
  });
});
