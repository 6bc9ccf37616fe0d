/**
 * The writer under stress: another writer appending to the same log, a writer that died
 * mid-line, a disk that fills up or fails, and a crash that left a turn running.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sessionTotals } from '../../../src/core/ledger/derive';
import type { SessionState } from '../../../src/core/ledger/ledger';
import { SessionStore } from '../../../src/core/sessions/store';
import { realWriterIO, SessionWriteError, type WriterIO } from '../../../src/core/sessions/writer';
import { cost, recordTurn, tempStorage, usage } from '../sessions/helpers';

/** What a state says, in a form that compares with deepEqual. */
function summary(s: SessionState) {
  return {
    turns: s.turns.map((t) => [t.turnId, t.status, t.requestIds]),
    requests: [...s.requests.values()].map((r) => [
      r.requestId,
      r.seq,
      r.status,
      r.final,
      r.usage?.totalTokens,
    ]),
    messages: s.messages.length,
    total: sessionTotals(s).usage.totalTokens,
    cost: sessionTotals(s).cost.knownPico,
  };
}

function errno(code: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: injected`);
  e.code = code;
  return e;
}

/** A disk that fails the writes `plan` names (1-based), with a code, or by writing `partial` bytes then failing. */
function failingIO(plan: Record<number, { code: string; partial?: number }>): WriterIO & { writes: number } {
  const io = {
    writes: 0,
    write: async (h: Parameters<WriterIO['write']>[0], buf: Buffer) => {
      io.writes++;
      const f = plan[io.writes];
      if (!f) return realWriterIO.write(h, buf);
      if (f.partial) await realWriterIO.write(h, buf.subarray(0, f.partial));
      throw errno(f.code);
    },
    datasync: realWriterIO.datasync,
  };
  return io;
}

describe('hardening: the session writer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const logOf = () => join(dir, 'sessions', 'two.jsonl');

  it("each writer's state is the file's state: it folds what the other appended, in file order", async () => {
    const a = await SessionStore.open(dir);
    const b = await SessionStore.open(dir);
    const wa = await a.create({ title: 't', provider: 'p', model: 'm', sessionId: 'two' });
    const wb = await b.openWriter('two');
    for (let i = 0; i < 6; i++) {
      const w = i % 2 ? wb : wa;
      await recordTurn(w, i, usage(100 + i, 10, 0, 5), cost(BigInt(7 + i)));
      await w.append({ type: 'message', message: { role: 'user', content: `m${i}` } });
    }
    await wa.refresh();
    await wb.refresh();
    const loaded = (await a.load('two'))!;
    assert.deepEqual(summary(wa.state), summary(loaded.state));
    assert.deepEqual(summary(wb.state), summary(loaded.state));
    assert.equal(loaded.state.turns.length, 6);
    // A repeated refresh folds nothing twice.
    assert.equal(await wa.refresh(), 0);
    assert.deepEqual(summary(wa.state), summary(loaded.state));
    await wa.close();
    await wb.close();
  });

  it('an append after a partial line that a dead writer left is written again on its own line', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'two' });
    await recordTurn(w, 0, usage(100, 0, 0, 5), cost(1n));
    const before = await fs.readFile(logOf());
    // Another process died in the middle of its line.
    await fs.appendFile(logOf(), '{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"turn.star');
    await recordTurn(w, 1, usage(200, 0, 0, 5), cost(2n));
    await w.close();
    const after = await fs.readFile(logOf());
    assert.ok(after.subarray(0, before.length).equals(before), 'nothing saved before was changed');
    const loaded = (await store.load('two'))!;
    assert.deepEqual(summary(loaded.state), summary(w.state));
    assert.equal(loaded.state.turns.length, 2);
    assert.equal(sessionTotals(loaded.state).usage.totalTokens, 105 + 205);
    // The torn bytes (glued to the first line written after them) stay in the file as one bad line.
    assert.deepEqual(
      loaded.problems.map((p) => p.kind),
      ['bad-line'],
    );
  });

  for (const code of ['ENOSPC', 'EACCES', 'EIO']) {
    it(`a failing disk (${code}, persistent): one clear error, nothing saved before is lost or changed`, async () => {
      // The disk fills up (or fails) after the first turn was saved.
      let failing = false;
      const io: WriterIO = {
        write: (h, buf) => (failing ? Promise.reject(errno(code)) : realWriterIO.write(h, buf)),
        datasync: realWriterIO.datasync,
      };
      const store = await SessionStore.open(dir, { io });
      const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'two' });
      await recordTurn(w, 0, usage(100, 0, 0, 5), cost(1n));
      const before = await fs.readFile(logOf());
      failing = true;
      const err = await w
        .append({ type: 'turn.started', turnId: 't1', index: 1 })
        .then(() => null)
        .catch((e: unknown) => e);
      assert.ok(err instanceof SessionWriteError, String(err));
      assert.equal(err.code, code);
      assert.equal(err.message.split('\n').length, 1);
      assert.match(err.message, new RegExp(`could not save session two \\(write: ${code}\\)`));
      assert.match(err.message, /what was saved before is kept/);
      if (code === 'ENOSPC') assert.match(err.message, /the disk is full; free some space/);
      if (code === 'EACCES') assert.match(err.message, /permission denied/);
      assert.ok((await fs.readFile(logOf())).equals(before));
      assert.equal(w.state.turns.length, 1);
      await w.close();
      assert.deepEqual(summary((await store.load('two'))!.state), summary(w.state));
      assert.deepEqual((await store.load('two'))!.problems, []);
    });
  }

  it('a transient failure (EIO once, nothing written) is retried and the append succeeds', async () => {
    const store = await SessionStore.open(dir, { io: failingIO({ 3: { code: 'EIO' } }) });
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'two' });
    await recordTurn(w, 0, usage(100, 0, 0, 5), cost(1n));
    await w.close();
    const loaded = (await store.load('two'))!;
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(summary(loaded.state), summary(w.state));
    assert.equal(sessionTotals(loaded.state).usage.totalTokens, 105);
  });

  it('a short write (part of a line on disk) fails that append; the next one starts a fresh line', async () => {
    const store = await SessionStore.open(dir, { io: failingIO({ 4: { code: 'ENOSPC', partial: 25 } }) });
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'two' });
    await w.append({ type: 'turn.started', turnId: 't0', index: 0 });
    await w.append({
      type: 'request.started',
      requestId: 'r0',
      turnId: 't0',
      provider: 'p',
      model: 'm',
      purpose: 'chat',
    });
    const before = await fs.readFile(logOf());
    await assert.rejects(
      w.append({
        type: 'request.usage',
        requestId: 'r0',
        usage: usage(100, 0, 0, 5),
        cost: cost(1n),
        final: true,
      }),
      SessionWriteError,
    );
    assert.ok((await fs.readFile(logOf())).length > before.length, 'part of the line reached the file');
    // Recording goes on (the space came back): the retry of the same snapshot counts once.
    await w.append({
      type: 'request.usage',
      requestId: 'r0',
      usage: usage(100, 0, 0, 5),
      cost: cost(1n),
      final: true,
    });
    await w.append({ type: 'request.ended', requestId: 'r0', status: 'completed' });
    await w.append({ type: 'turn.ended', turnId: 't0', status: 'completed' });
    await w.close();
    const after = await fs.readFile(logOf());
    assert.ok(after.subarray(0, before.length).equals(before));
    const loaded = (await store.load('two'))!;
    assert.deepEqual(
      loaded.problems.map((p) => p.kind),
      ['bad-line'],
    );
    assert.deepEqual(summary(loaded.state), summary(w.state));
    assert.equal(sessionTotals(loaded.state).usage.totalTokens, 105);
    assert.equal(loaded.state.turns[0]!.status, 'completed');
  });

  it('opening a session a dead process left mid-turn closes its turn and request, keeping the usage saved', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'two' });
    await recordTurn(w, 0, usage(100, 0, 0, 5), cost(1n));
    await w.append({ type: 'turn.started', turnId: 't1', index: 1 });
    await w.append({
      type: 'request.started',
      requestId: 'r1',
      turnId: 't1',
      provider: 'p',
      model: 'm',
      purpose: 'chat',
    });
    await w.append({
      type: 'request.usage',
      requestId: 'r1',
      usage: usage(300, 0, 0, 0),
      cost: cost(3n),
      final: false,
    });
    const before = await fs.readFile(logOf());
    await w.close(); // as if the process had died here: its lease is gone too

    const again = await SessionStore.open(dir);
    const w2 = await again.openWriter('two');
    const after = await fs.readFile(logOf());
    assert.ok(after.subarray(0, before.length).equals(before));
    const tail = after
      .subarray(before.length)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      tail.map((e) => [e.type, e.requestId ?? e.turnId, e.status]),
      [
        ['request.ended', 'r1', 'interrupted'],
        ['turn.ended', 't1', 'interrupted'],
      ],
    );
    assert.match(tail[1].error, /crash or a kill/);
    const r1 = w2.state.requests.get('r1')!;
    assert.equal(r1.usage?.inputTokens, 300, 'the input usage written before the crash is kept');
    assert.equal(sessionTotals(w2.state).usage.totalTokens, 105 + 300);
    await w2.close();
    // A second open finds nothing left to close.
    const w3 = await again.openWriter('two');
    assert.ok((await fs.readFile(logOf())).equals(after));
    await w3.close();
  });

  it('a running turn of another live process is left alone (its lease names a live pid)', async () => {
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 't', provider: 'p', model: 'm', sessionId: 'two' });
    await w.append({ type: 'turn.started', turnId: 't1', index: 0 });
    await w.close();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await fs.mkdir(join(dir, 'sessions', 'writers'), { recursive: true });
      await fs.writeFile(
        join(dir, 'sessions', 'writers', `two~${other.pid}~abcd`),
        JSON.stringify({ pid: other.pid, host: hostname(), start: null }),
      );
      const before = await fs.readFile(logOf());
      const w2 = await store.openWriter('two');
      assert.ok((await fs.readFile(logOf())).equals(before), 'nothing was appended');
      assert.equal(w2.state.turns[0]!.status, 'running');
      await w2.close();
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    // Once that process is gone, its lease is stale: the turn is closed.
    const w3 = await store.openWriter('two');
    assert.equal(w3.state.turns[0]!.status, 'interrupted');
    await w3.close();
    assert.deepEqual(await fs.readdir(join(dir, 'sessions', 'writers')), []);
  });
});
