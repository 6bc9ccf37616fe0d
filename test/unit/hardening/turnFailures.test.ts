/**
 * A turn when saving fails (a full disk, a failing write) and when a turn was cut off between a
 * tool call and its result: the user gets one clear line, nothing saved is lost, the session
 * goes on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelMessage } from 'ai';
import { createModel } from '../../../src/core/agent/providers';
import { type AgentEvent, closeToolCalls, runTurn } from '../../../src/core/agent/turn';
import { Workspace } from '../../../src/core/agent/workspace';
import { sessionTotals } from '../../../src/core/ledger/derive';
import { loadPricing, type Pricing } from '../../../src/core/pricing/pricing';
import { SessionStore } from '../../../src/core/sessions/store';
import { realWriterIO, type WriterIO } from '../../../src/core/sessions/writer';
import type { ProviderKind } from '../../../src/core/usage/providers';
import { type MockProvider, type ProviderId, startMockProvider } from '../../../src/mock-provider';
import { cliEntry } from '../../support/cliBundle';

const KEY = ['sk', 'ant', 'hardening-fake-key-0123456789'].join('-');

describe('hardening: a turn when saving fails, and after a cut-off tool call', function () {
  this.timeout(60_000);
  let mock: MockProvider;
  let pricing: Pricing;
  let dir: string;
  let ws: Workspace;

  before(async () => {
    mock = await startMockProvider();
    pricing = await loadPricing();
  });
  after(async () => mock.close());
  beforeEach(async () => {
    mock.reset();
    dir = await fs.mkdtemp(join(tmpdir(), 'tally-hardening-'));
    mkdirSync(join(dir, 'ws'));
    writeFileSync(join(dir, 'ws', 'notes.md'), 'hello\n');
    ws = await Workspace.open(join(dir, 'ws'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  function turn(
    writer: Awaited<ReturnType<SessionStore['create']>>,
    prompt: string,
    kind: ProviderKind = 'anthropic',
    extra: { signal?: AbortSignal; onEvent?: (e: AgentEvent) => void } = {},
  ) {
    const wire: ProviderId = kind === 'openai' ? 'openai-responses' : (kind as ProviderId);
    const model = kind === 'google' ? 'gemini-2.5-flash' : 'claude-sonnet-4-5';
    return runTurn({
      writer,
      model: createModel({ kind, model, apiKey: KEY, baseURL: mock.baseURLs[wire] }),
      provider: kind,
      modelId: model,
      prompt,
      workspace: ws,
      policy: { allowWrites: false, allowCommands: false },
      approve: async () => true,
      price: (u, reported) => pricing.price(u, model, kind, reported),
      secrets: [KEY],
      ...extra,
    });
  }

  /** A disk that refuses every write from the `from`-th on (1-based), until `heal()`. */
  function fullDisk(from: number, code = 'ENOSPC') {
    let n = 0;
    let healed = false;
    const io: WriterIO = {
      write: (h, buf) => {
        n++;
        if (!healed && n >= from) {
          const e: NodeJS.ErrnoException = new Error(`${code}: no space left on device, write`);
          e.code = code;
          return Promise.reject(e);
        }
        return realWriterIO.write(h, buf);
      },
      datasync: realWriterIO.datasync,
    };
    return { io, heal: () => (healed = true) };
  }

  it('a disk that fills up mid-turn: the turn resolves failed with one line, nothing saved is lost, the session goes on', async () => {
    // Write 1 is session.created; the turn's writes start at 2. Fill the disk at the 6th.
    const disk = fullDisk(6);
    const store = await SessionStore.open(join(dir, 'storage'), { io: disk.io });
    const w = await store.create({ title: 't', provider: 'anthropic', model: 'claude-sonnet-4-5' });
    const events: AgentEvent[] = [];
    const r = await turn(w, 'Look around [[tools:2]]', 'anthropic', { onEvent: (e) => events.push(e) });
    assert.equal(r.status, 'failed');
    assert.equal(r.error!.split('\n').length, 1);
    assert.match(r.error!, /could not save session .* \(write: ENOSPC\): the disk is full; free some space/);
    assert.equal(events.at(-1)?.type, 'turn-end');
    const file = join(dir, 'storage', 'sessions', `${w.sessionId}.jsonl`);
    const saved = await fs.readFile(file);
    await w.close();
    await mock.settled();

    // Everything written before the disk filled loads; the turn is still open on disk.
    const loaded = (await store.load(w.sessionId))!;
    assert.deepEqual(loaded.problems, []);
    assert.equal(loaded.state.turns.length, 1);

    // The disk has room again: continuing closes the dead turn and records a new one after it.
    disk.heal();
    const w2 = await store.openWriter(w.sessionId);
    assert.equal(w2.state.turns[0]!.status, 'interrupted');
    const r2 = await turn(w2, 'Again [[tools:0]]');
    assert.equal(r2.status, 'completed', r2.error);
    await w2.close();
    const after = await fs.readFile(file);
    assert.ok(after.subarray(0, saved.length).equals(saved), 'nothing saved before was rewritten');
    const final = (await store.load(w.sessionId))!;
    assert.equal(final.state.turns.length, 2);
    assert.equal(final.state.turns[1]!.status, 'completed');
    assert.equal(sessionTotals(final.state).usage.totalTokens, sessionTotals(w2.state).usage.totalTokens);
  });

  it('a write that fails once mid-turn: the turn is marked failed in the log, with the message', async () => {
    // The 5th write fails with EIO, and so do its two retries (nothing landed); then the disk is fine.
    let n = 0;
    const glitch: WriterIO = {
      write: (h, b) => {
        n++;
        if (n >= 5 && n <= 7) {
          const e: NodeJS.ErrnoException = new Error('EIO: i/o error, write');
          e.code = 'EIO';
          return Promise.reject(e);
        }
        return realWriterIO.write(h, b);
      },
      datasync: realWriterIO.datasync,
    };
    const store = await SessionStore.open(join(dir, 'storage'), { io: glitch });
    const w = await store.create({ title: 't', provider: 'anthropic', model: 'claude-sonnet-4-5' });
    const r = await turn(w, 'Look around [[tools:1]]');
    assert.equal(r.status, 'failed');
    assert.match(r.error!, /EIO/);
    await w.close();
    await mock.settled();
    const loaded = (await store.load(w.sessionId))!;
    const t = loaded.state.turns[0]!;
    assert.equal(t.status, 'failed');
    assert.match(t.error!, /could not save session/);
    assert.ok([...loaded.state.requests.values()].every((q) => q.status !== 'streaming'));
  });

  it('tally run on a full disk prints one clear line and exits 1; the key is never printed', async () => {
    const entry = await cliEntry();
    const storage = join(dir, 'storage');
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          entry,
          'run',
          '--storage',
          storage,
          '--workspace',
          join(dir, 'ws'),
          '--provider',
          'anthropic',
          '--model',
          'claude-sonnet-4-5',
          '--base-url',
          mock.baseURLs.anthropic,
          'Look around [[tools:1]]',
        ],
        { env: { ...process.env, ANTHROPIC_API_KEY: KEY, TALLY_LOG: 'warn', TALLY_WRITE_FAULT: 'ENOSPC:4' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b) => (stdout += b));
      child.stderr.on('data', (b) => (stderr += b));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(out.code, 1, out.stderr);
    const lines = out.stderr.trim().split('\n');
    assert.match(lines[0]!, /^session \S+$/);
    assert.equal(lines.length, 2, out.stderr);
    assert.match(lines[1]!, /^tally: could not save session \S+ \(write: ENOSPC\): the disk is full/);
    assert.doesNotMatch(out.stdout + out.stderr, /hardening-fake-key/);
  });

  it('a turn stopped between a tool call and its result: the next turn still goes through (every provider refuses an unanswered call)', async () => {
    const store = await SessionStore.open(join(dir, 'storage'));
    const w = await store.create({ title: 't', provider: 'google', model: 'gemini-2.5-flash' });
    const stop = new AbortController();
    const first = await turn(w, 'Look around [[tools:2]]', 'google', {
      signal: stop.signal,
      // Stop as soon as the model asked for a tool: the call is saved, its result never is.
      onEvent: (e) => {
        if (e.type === 'tool-call') stop.abort(new Error('stopped by the user'));
      },
    });
    assert.equal(first.status, 'interrupted', first.error);
    const second = await turn(w, 'Go on [[tools:0]]', 'google');
    assert.equal(second.status, 'completed', second.error);
    await w.close();
  });

  it('closeToolCalls answers every unanswered call, and leaves a whole history alone', () => {
    const call = (id: string) => ({
      type: 'tool-call' as const,
      toolCallId: id,
      toolName: 'read_file',
      input: {},
    });
    const result = (id: string) => ({
      type: 'tool-result' as const,
      toolCallId: id,
      toolName: 'read_file',
      output: { type: 'text' as const, value: 'x' },
    });
    const whole: ModelMessage[] = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: [call('a')] },
      { role: 'tool', content: [result('a')] },
      { role: 'assistant', content: 'done' },
    ];
    assert.deepEqual(closeToolCalls(whole), whole);
    const cut: ModelMessage[] = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: [call('a'), call('b')] },
      { role: 'tool', content: [result('a')] },
      { role: 'assistant', content: [call('c')] },
      { role: 'user', content: 'again' },
    ];
    const fixed = closeToolCalls(cut);
    assert.equal(fixed.length, 6);
    const ids = (m: ModelMessage) =>
      Array.isArray(m.content) ? m.content.map((p) => ('toolCallId' in p ? p.toolCallId : '')) : [];
    assert.deepEqual(ids(fixed[2]!), ['a', 'b']);
    assert.equal(fixed[4]!.role, 'tool');
    assert.deepEqual(ids(fixed[4]!), ['c']);
    assert.equal(fixed[5]!.role, 'user');
  });
});
