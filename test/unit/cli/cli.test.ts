/**
 * The CLI as scripts use it: a separate process, its exit code, stdout and stderr. The commands,
 * flags, exit codes and JSON shapes tested here are contracts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockProvider, startMockProvider } from '../../../src/mock-provider';
import { cliEntry } from '../../support/cliBundle';

let ENTRY = '';

const ROOT = join(__dirname, '..', '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tally(
  args: string[],
  env: Record<string, string> = {},
  opts: { signalAfterOutput?: NodeJS.Signals } = {},
) {
  return new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [ENTRY, ...args], {
      cwd: ROOT,
      env: { ...process.env, TALLY_LOG: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (b) => {
      stdout += b;
      if (opts.signalAfterOutput && !signalled && stdout.length > 0) {
        signalled = true;
        child.kill(opts.signalAfterOutput);
      }
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('tally CLI', function () {
  this.timeout(60_000);
  let dir: string;
  let storage: string;
  let ws: string;
  let mock: MockProvider;
  const key = {
    ANTHROPIC_API_KEY: ['sk', 'ant', 'test-secret-value-0123456789'].join('-'),
    OPENAI_API_KEY: 'sk-test-0123456789abcdefghij',
  };

  before(async () => {
    mock = await startMockProvider();
    ENTRY = await cliEntry();
  });
  after(async () => mock.close());
  beforeEach(() => {
    mock.reset();
    dir = mkdtempSync(join(tmpdir(), 'tally-cli-'));
    storage = join(dir, 'storage');
    ws = join(dir, 'ws');
    mkdirSync(ws);
    writeFileSync(join(ws, 'readme.txt'), 'hi');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (prompt: string, extra: string[] = [], provider = 'anthropic', model = 'claude-sonnet-4-5') =>
    tally(
      [
        'run',
        '--storage',
        storage,
        '--workspace',
        ws,
        '--provider',
        provider,
        '--model',
        model,
        '--base-url',
        mock.baseURLs[provider === 'anthropic' ? 'anthropic' : 'openai-chat'],
        '--json',
        ...extra,
        prompt,
      ],
      key,
    );

  it('run against a server that reports no usage: the built CLI loads its tokenizer file and records an estimate', async () => {
    const r = await run('Hi there [[usage:none]] [[tools:0]]', [], 'openai-chat', 'gpt-4o-mini');
    assert.equal(r.code, 0, r.stderr);
    const turn = JSON.parse(r.stdout);
    const usage = turn.turn.requests[0].usage;
    assert.equal(usage.source, 'estimated');
    // The answer is counted with o200k: exactly the tokens of the text the server streamed.
    const { countTokens } = await import('../../../src/core/usage/estimate');
    assert.equal(turn.text, 'Hello from the Tally mock model. You said: "Hi there".');
    assert.equal(usage.outputTokens, countTokens(turn.text));
    assert.equal(usage.outputTokens, 15);
    assert.ok(usage.inputTokens > 10);
  });

  it('run → stats: the turn JSON, the stats JSON and the text table show the same numbers; continue adds up', async () => {
    const first = await run('What is here? [[tools:2]]');
    assert.equal(first.code, 0, first.stderr);
    const r1 = JSON.parse(first.stdout);
    assert.equal(r1.status, 'completed');
    assert.match(first.stderr, new RegExp(`session ${r1.sessionId}`));
    assert.equal(r1.turn.requests.length, 3);

    const stats1 = await tally(['stats', r1.sessionId, '--storage', storage, '--json']);
    assert.equal(stats1.code, 0, stats1.stderr);
    const s1 = JSON.parse(stats1.stdout);
    assert.deepEqual(
      Object.keys(s1)
        .filter((k) => ['sessionId', 'title', 'model', 'turns', 'total', 'contextWindow'].includes(k))
        .sort(),
      ['contextWindow', 'model', 'sessionId', 'title', 'total', 'turns'],
    );
    assert.equal(s1.total.totalTokens, r1.total.totalTokens);
    assert.equal(s1.turns[0].costUsd, r1.turn.costUsd);
    const logged = mock.log.reduce((a, e) => a + Object.values(e.usage!).reduce((x, y) => x + y, 0), 0);
    assert.equal(s1.total.totalTokens, logged);
    for (const k of [
      'inputTokens',
      'outputTokens',
      'totalTokens',
      'inputTokenDetails',
      'outputTokenDetails',
      'source',
    ]) {
      assert.ok(k in s1.turns[0].usage, k);
      assert.ok(k in s1.turns[0].requests[0].usage, k);
    }
    assert.ok(s1.contextWindow.limitTokens > 0);

    const text = await tally(['stats', r1.sessionId, '--storage', storage]);
    const totalLine = text.stdout.split('\n').find((l) => l.startsWith('Total '))!;
    assert.ok(totalLine.includes(s1.total.totalTokens.toLocaleString('en-US')), totalLine);
    assert.ok(totalLine.includes(`$${s1.total.cost}`), totalLine);

    const second = await run('And now? [[tools:0]]', ['--session', r1.sessionId]);
    assert.equal(second.code, 0, second.stderr);
    const s2 = JSON.parse((await tally(['stats', r1.sessionId, '--storage', storage, '--json'])).stdout);
    assert.equal(s2.turns.length, 2);
    const last = mock.log.at(-1)!.usage!;
    assert.equal(s2.total.totalTokens, s1.total.totalTokens + Object.values(last).reduce((x, y) => x + y, 0));
    // The total is exactly the sum of the turns' exact costs.
    const pico = (d: string) => BigInt(d.replace('.', '').padEnd(d.indexOf('.') + 13, '0'));
    assert.equal(pico(s2.total.cost), pico(s2.turns[0].cost) + pico(s2.turns[1].cost));

    const list = JSON.parse((await tally(['sessions', '--storage', storage, '--json'])).stdout);
    assert.equal(list.length, 1);
    assert.equal(list[0].sessionId, r1.sessionId);
    assert.equal(list[0].totalTokens, s2.total.totalTokens);
    assert.equal(list[0].costUsd, s2.total.costUsd);
  });

  it('export: one row per request, CSV and JSON, to stdout or a file', async () => {
    const r = JSON.parse((await run('Hi [[tools:1]]')).stdout);
    const csv = await tally(['export', r.sessionId, '--storage', storage, '--format', 'csv']);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trim().split('\n');
    assert.equal(lines.length, 1 + 2);
    assert.match(lines[0]!, /^sessionId,/);
    const out = join(dir, 'all.json');
    const json = await tally(['export', '--all', '--storage', storage, '--format', 'json', '--out', out]);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((x: { requestId: string }) => x.requestId),
      r.turn.requests.map((x: { requestId: string }) => x.requestId),
    );
  });

  it('import: an old message-history file becomes a session; importing it twice changes nothing', async () => {
    const file = join(dir, 'message-history-11111111-2222-3333-4444-555555555555.json');
    writeFileSync(
      file,
      JSON.stringify({
        project: 'demo',
        sessionId: '11111111-2222-3333-4444-555555555555',
        modelId: 'gpt-4o',
        title: 'Old one',
        createdAt: '2026-01-02T10:00:00.000Z',
        updatedAt: '2026-01-02T10:30:00.000Z',
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
        tokenUsage: [
          {
            stepIndex: 0,
            inputTokens: 3000,
            outputTokens: 400,
            totalTokens: 3400,
            cachedInputTokens: 1000,
            reasoningTokens: 100,
            inputTokenDetails: { noCacheTokens: 2000, cacheReadTokens: 1000, cacheWriteTokens: 80 },
            outputTokenDetails: { textTokens: 300, reasoningTokens: 100 },
            timestamp: 1767348000000,
            estimatedCost: 0.0123,
          },
        ],
      }),
    );
    const a = await tally(['import', file, '--storage', storage]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /Imported/);
    const before = readdirSync(join(storage, 'sessions')).sort();
    const bytes = before.map((f) =>
      f.endsWith('.jsonl') ? readFileSync(join(storage, 'sessions', f), 'utf8') : '',
    );
    const b = await tally(['import', file, '--storage', storage]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /Already imported/);
    assert.deepEqual(readdirSync(join(storage, 'sessions')).sort(), before);
    assert.deepEqual(
      before.map((f) => (f.endsWith('.jsonl') ? readFileSync(join(storage, 'sessions', f), 'utf8') : '')),
      bytes,
    );
    const s = JSON.parse(
      (await tally(['stats', '11111111-2222-3333-4444-555555555555', '--storage', storage, '--json'])).stdout,
    );
    assert.equal(s.total.totalTokens, 3400);
    assert.equal(s.total.cost, '0.0123');
    assert.equal(s.contextWindow.usedTokens, 3400);
    assert.equal(s.turns[0].usage.source, 'legacy');
  });

  describe('errors: one clear line, a non-zero exit, nothing changed on disk', () => {
    it('unknown session', async () => {
      await run('Hi [[tools:0]]');
      const r = await tally(['stats', 'nope', '--storage', storage]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /no session "nope"/);
      assert.equal(r.stdout, '');
    });

    it('unreadable storage folder: not created', async () => {
      const missing = join(dir, 'missing');
      const r = await tally(['sessions', '--storage', missing]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /does not exist/);
      assert.equal(existsSync(missing), false);
    });

    it('bad price file', async () => {
      const prices = join(dir, 'prices.json');
      writeFileSync(prices, '{"models": {"x": {"inputPerMtok": 3}}}');
      const r = await run('Hi [[tools:0]]', ['--prices', prices]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /price file/i);
      assert.equal(existsSync(join(storage, 'sessions')), false, 'no session was started');
    });

    it('bad flags and unknown commands exit 2', async () => {
      assert.equal((await tally(['stats'])).code, 2);
      assert.equal((await tally(['frobnicate'])).code, 2);
      assert.equal((await tally(['sessions', '--storage', storage, '--bogus'])).code, 2);
      assert.equal(
        (await tally(['run', '--storage', storage, '--provider', 'nope', '--model', 'm', 'hi'])).code,
        2,
      );
      assert.equal((await tally(['export', 'x', '--storage', storage, '--format', 'xml'])).code, 2);
    });

    it('a missing key: no session is written, and the message names the variable', async () => {
      const r = await tally(
        [
          'run',
          '--storage',
          storage,
          '--workspace',
          ws,
          '--provider',
          'anthropic',
          '--model',
          'claude-sonnet-4-5',
          'hi',
        ],
        { ANTHROPIC_API_KEY: '' },
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /ANTHROPIC_API_KEY/);
      assert.equal(existsSync(join(storage, 'sessions')), false);
    });

    it('an unreachable server: the request fails with a clear line and the key is never printed', async () => {
      const r = await tally(
        [
          'run',
          '--storage',
          storage,
          '--workspace',
          ws,
          '--provider',
          'anthropic',
          '--model',
          'claude-sonnet-4-5',
          '--base-url',
          `http://127.0.0.1:${await freePort()}/v1`,
          'hi',
        ],
        key,
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot reach the server/);
      assert.doesNotMatch(r.stdout + r.stderr, /test-secret/);
    });
  });

  it('SIGINT stops the turn: exit 130, the turn is recorded as interrupted with its input usage', async () => {
    const r = await tally(
      [
        'run',
        '--storage',
        storage,
        '--workspace',
        ws,
        '--provider',
        'anthropic',
        '--model',
        'claude-sonnet-4-5',
        '--base-url',
        mock.baseURLs.anthropic,
        'Tell me [[stall]] [[tools:0]]',
      ],
      key,
      { signalAfterOutput: 'SIGINT' },
    );
    assert.equal(r.code, 130, r.stderr);
    const id = /session (\S+)/.exec(r.stderr)![1]!;
    const s = JSON.parse((await tally(['stats', id, '--storage', storage, '--json'])).stdout);
    assert.equal(s.turns[0].status, 'interrupted');
    assert.equal(s.turns[0].requests[0].status, 'interrupted');
    assert.ok(s.total.inputTokens > 0);
  });
});
