/**
 * Broken provider streams through the real AI SDK clients and the turn loop: a recorded stream
 * cut at every byte boundary (ended cleanly, or reset), garbage events, missing usage, a usage
 * object of the wrong shape, a server that stalls forever, and HTTP errors with each provider's
 * error body. Every request ends completed or failed with the usage known so far and one clear
 * line, never a throw or a hang.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '../../../src/core/agent/providers';
import { runTurn, type TurnResult, type TurnWriter } from '../../../src/core/agent/turn';
import { Workspace } from '../../../src/core/agent/workspace';
import {
  applyEvent,
  emptySession,
  type RequestRecord,
  type SessionState,
} from '../../../src/core/ledger/ledger';
import { loadPricing, type Pricing } from '../../../src/core/pricing/pricing';
import { type EventBody, LOG_VERSION, sessionEventSchema } from '../../../src/core/sessions/events';
import type { ProviderKind } from '../../../src/core/usage/providers';
import {
  type MockProvider,
  type ProviderId,
  type ScriptInput,
  startMockProvider,
} from '../../../src/mock-provider';
import { cliEntry } from '../../support/cliBundle';

const KEY = ['sk', 'ant', 'streams-fake-key-0123456789abcdef'].join('-');
const WIRE = join(__dirname, '../../fixtures/wire');
/**
 * Where to cut: every byte boundary with TALLY_CUT_EVERY_BYTE=1 (about 16,000 turns, minutes);
 * by default every boundary within a byte of a line break (where the SSE parser's state
 * changes) plus 20 seeded random ones.
 */
const EVERY_BYTE = process.env.TALLY_CUT_EVERY_BYTE === '1';
const CUT_SEED = 91;

function cutPoints(full: Buffer): number[] {
  if (EVERY_BYTE) return Array.from({ length: full.length + 1 }, (_, k) => k);
  const at = new Set<number>([0, full.length]);
  for (let i = 0; i < full.length; i++) {
    if (full[i] !== 0x0a) continue;
    for (let d = -1; d <= 1; d++) if (i + d >= 0 && i + d <= full.length) at.add(i + d);
  }
  let x = CUT_SEED;
  for (let n = 0; n < 20; n++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    at.add(x % (full.length + 1));
  }
  return [...at].sort((a, b) => a - b);
}

/** A writer that validates and folds in memory (the disk is not what is tested here). */
function memoryWriter(): TurnWriter & { state: SessionState } {
  const state = emptySession('s');
  return {
    state,
    append: async (body: EventBody) => {
      const e = sessionEventSchema.parse({ ...body, v: LOG_VERSION, at: new Date().toISOString() });
      applyEvent(state, e);
      return e;
    },
  };
}

const CASES: { kind: ProviderKind; wire: ProviderId; model: string; fixture: string }[] = [
  {
    kind: 'anthropic',
    wire: 'anthropic',
    model: 'claude-sonnet-4-5',
    fixture: 'anthropic/text-cache-1h.sse',
  },
  { kind: 'google', wire: 'google', model: 'gemini-2.5-flash', fixture: 'google/thoughts-text-cached.sse' },
  {
    kind: 'openai',
    wire: 'openai-responses',
    model: 'gpt-4o',
    fixture: 'openai-responses/incomplete-max-output.sse',
  },
  {
    kind: 'openai-chat',
    wire: 'openai-chat',
    model: 'gpt-4o',
    fixture: 'openai-chat/text-include-usage.sse',
  },
  {
    kind: 'openai-compatible',
    wire: 'openai-compatible',
    model: 'llama3',
    fixture: 'openai-compatible/openrouter-cost.sse',
  },
];

/** Checks that hold for every request of every turn here. */
function assertSettled(r: TurnResult, state: SessionState, where: string): RequestRecord[] {
  assert.ok(['completed', 'failed'].includes(r.status), `${where}: ${r.status} ${r.error ?? ''}`);
  if (r.status === 'failed') {
    assert.ok(r.error && r.error.length > 0, `${where}: a failure says why`);
    assert.equal(r.error.split('\n').length, 1, `${where}: one line: ${r.error}`);
    assert.ok(r.error.length < 600, `${where}: short: ${r.error}`);
    assert.doesNotMatch(r.error, /streams-fake-key/);
  }
  const reqs = [...state.requests.values()];
  assert.ok(reqs.length >= 1, where);
  for (const q of reqs) {
    assert.notEqual(q.status, 'streaming', `${where}: request left open`);
    assert.ok(q.usage, `${where}: request without usage`);
    assert.ok(q.final, `${where}: the last snapshot is final`);
    for (const v of [q.usage.inputTokens, q.usage.outputTokens, q.usage.totalTokens]) {
      assert.ok(Number.isInteger(v) && v >= 0, `${where}: usage ${v}`);
    }
  }
  assert.equal(
    state.turns.every((t) => t.status !== 'running'),
    true,
    `${where}: turn left running`,
  );
  return reqs;
}

describe('hardening: broken provider streams', function () {
  this.timeout(EVERY_BYTE ? 0 : 180_000);
  let pricing: Pricing;
  let dir: string;
  let ws: Workspace;

  before(async () => {
    pricing = await loadPricing();
    dir = mkdtempSync(join(tmpdir(), 'tally-streams-'));
    ws = await Workspace.open(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** One turn whose requests are answered by `respond` (a custom fetch: no sockets). */
  function turnWith(
    c: (typeof CASES)[number],
    respond: (signal?: AbortSignal | null) => Response,
    extra: { idleTimeoutMs?: number; maxRetries?: number } = {},
  ) {
    const writer = memoryWriter();
    const done = runTurn({
      writer,
      model: createModel({
        kind: c.kind,
        model: c.model,
        apiKey: KEY,
        baseURL: 'http://127.0.0.1:9/v1',
        fetch: async (_url, init) => respond(init?.signal),
      }),
      provider: c.kind,
      modelId: c.model,
      prompt: 'Hello',
      workspace: ws,
      policy: { allowWrites: false, allowCommands: false },
      approve: async () => true,
      price: (u, reported) => pricing.price(u, c.model, c.kind, reported),
      maxRetries: 0,
      maxSteps: 2,
      secrets: [KEY],
      ...extra,
    });
    return { writer, done };
  }

  /**
   * An SSE response of `bytes`, then a clean end, a reset, or nothing more (a stall). Like a real
   * connection it delivers what arrived before a reset, and an abort ends it.
   */
  function sse(bytes: Buffer, end: 'close' | 'reset' | 'stall', signal?: AbortSignal | null): Response {
    let sent = false;
    let stalled: ((e: unknown) => void) | undefined;
    signal?.addEventListener('abort', () => stalled?.(signal.reason), { once: true });
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (!sent) {
          sent = true;
          if (bytes.length) return ctl.enqueue(new Uint8Array(bytes));
        }
        if (end === 'close') return ctl.close();
        // A reset comes as an event of its own after the bytes before it, as on a real socket.
        if (end === 'reset')
          return new Promise<void>((r) => setImmediate(r)).then(() => ctl.error(new TypeError('terminated')));
        return new Promise<void>((_, reject) => {
          stalled = reject;
        });
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }

  for (const c of CASES) {
    it(`${c.kind}: ${c.fixture} cut ${EVERY_BYTE ? 'at every byte boundary' : 'around every line break and at random'}, ended cleanly and reset: settled, usage known so far`, async () => {
      const full = readFileSync(join(WIRE, c.fixture));
      const text = full.toString('utf8');
      // Where the provider's input usage is complete on the wire (the early-input providers).
      const inputAt =
        c.kind === 'anthropic'
          ? text.indexOf('\n\n', text.indexOf('message_start')) + 2
          : c.kind === 'google'
            ? text.indexOf('\r\n\r\n', text.indexOf('promptTokenCount')) + 4
            : Number.POSITIVE_INFINITY;
      const completeRun = turnWith(c, () => sse(full, 'close'));
      const complete = await completeRun.done;
      assert.equal(complete.status, 'completed', complete.error);
      const whole = assertSettled(complete, completeRun.writer.state, 'whole stream')[0]!;
      assert.equal(whole.usage!.source, 'provider');
      let cuts = 0;
      const t0 = performance.now();
      const points = cutPoints(full);
      for (const k of points) {
        for (const end of ['close', 'reset'] as const) {
          const { writer, done } = turnWith(c, () => sse(full.subarray(0, k), end));
          const r = await done;
          const [q] = assertSettled(r, writer.state, `${c.fixture} cut at ${k} (${end})`);
          cuts++;
          if (k >= inputAt && q) {
            // The input usage was on the wire: it is kept whatever came after.
            assert.equal(
              q.usage!.inputTokenDetails.noCacheTokens,
              whole.usage!.inputTokenDetails.noCacheTokens,
              `${c.fixture} cut at ${k} (${end}): input kept`,
            );
            assert.equal(
              q.usage!.inputTokenDetails.cacheReadTokens,
              whole.usage!.inputTokenDetails.cacheReadTokens,
            );
          }
        }
      }
      assert.equal(cuts, 2 * points.length);
      console.log(`      ${cuts} cuts in ${Math.round(performance.now() - t0)} ms`);
    });
  }

  it('every provider: a stream that stalls forever fails after the idle timeout, never hangs', async () => {
    for (const c of CASES) {
      const full = readFileSync(join(WIRE, c.fixture));
      const started = Date.now();
      const { writer, done } = turnWith(
        c,
        (signal) => sse(full.subarray(0, Math.floor(full.length / 2)), 'stall', signal),
        {
          idleTimeoutMs: 200,
        },
      );
      const r = await done;
      assertSettled(r, writer.state, `${c.kind} stall`);
      assert.equal(r.status, 'failed');
      assert.match(r.error!, /stalled/);
      assert.ok(Date.now() - started < 10_000);
    }
  });

  describe('through the local model server', () => {
    let mock: MockProvider;
    before(async () => {
      mock = await startMockProvider();
    });
    after(() => mock.close());
    beforeEach(() => mock.reset());

    async function viaMock(
      c: (typeof CASES)[number],
      script: ScriptInput,
      extra: { idleTimeoutMs?: number } = {},
    ) {
      mock.enqueue(c.wire, script);
      const writer = memoryWriter();
      const r = await runTurn({
        writer,
        model: createModel({ kind: c.kind, model: c.model, apiKey: KEY, baseURL: mock.baseURLs[c.wire] }),
        provider: c.kind,
        modelId: c.model,
        prompt: 'Hello',
        workspace: ws,
        policy: { allowWrites: false, allowCommands: false },
        approve: async () => true,
        price: (u, reported) => pricing.price(u, c.model, c.kind, reported),
        maxRetries: 0,
        maxSteps: 2,
        secrets: [KEY],
        ...extra,
      });
      await mock.settled();
      return { r, state: writer.state };
    }

    const garbage: [string, ScriptInput][] = [
      [
        'a chunk that is not JSON',
        { events: [{ type: 'text', text: 'Hi ' }, { type: 'malformed' }, { type: 'text', text: 'there' }] },
      ],
      [
        'an unknown event',
        {
          events: [
            { type: 'raw', data: '{"type":"hologram","x":1}' },
            { type: 'text', text: 'Hi' },
          ],
        },
      ],
      [
        'binary garbage',
        {
          events: [
            { type: 'text', text: 'Hi' },
            { type: 'raw', data: '\u0000\u00ff\u0001garbage' },
          ],
        },
      ],
      ['no usage at all', { events: [{ type: 'text', text: 'Hi there' }], usageMode: 'none' }],
      [
        'usage with strings',
        {
          events: [{ type: 'text', text: 'Hi' }],
          rawUsage: { input_tokens: 'lots', prompt_tokens: 'x', promptTokenCount: 'y' },
        },
      ],
      [
        'negative usage',
        {
          events: [{ type: 'text', text: 'Hi' }],
          rawUsage: {
            input_tokens: -5,
            output_tokens: -1,
            prompt_tokens: -5,
            completion_tokens: -1,
            promptTokenCount: -5,
            candidatesTokenCount: -1,
          },
        },
      ],
      [
        'huge usage',
        {
          events: [{ type: 'text', text: 'Hi' }],
          rawUsage: {
            input_tokens: 1e300,
            output_tokens: 1e300,
            prompt_tokens: 1e300,
            completion_tokens: 1e300,
            promptTokenCount: 1e300,
          },
        },
      ],
      ['usage null', { events: [{ type: 'text', text: 'Hi' }], rawUsage: null }],
      ['usage an array', { events: [{ type: 'text', text: 'Hi' }], rawUsage: [1, 2, 3] }],
      ['usage a string', { events: [{ type: 'text', text: 'Hi' }], rawUsage: 'ten tokens' }],
      [
        'an error event mid-stream',
        {
          events: [
            { type: 'text', text: 'Hi' },
            { type: 'stream-error', kind: 'overloaded' },
          ],
        },
      ],
      ['a cut mid-stream', { events: [{ type: 'text', text: 'Hi' }, { type: 'cut' }] }],
      ['a cut before anything', { events: [{ type: 'cut' }] }],
    ];
    for (const c of CASES) {
      it(`${c.kind}: garbage events, missing usage and usage of the wrong shape settle with sane numbers`, async () => {
        for (const [name, script] of garbage) {
          const { r, state } = await viaMock(c, script);
          assertSettled(r, state, `${c.kind}: ${name}`);
        }
      });

      it(`${c.kind}: HTTP errors with the provider's own body: failed, one line with the provider's message, no key`, async () => {
        for (const status of [400, 401, 403, 404, 413, 429, 500, 502, 503, 529]) {
          const { r, state } = await viaMock(c, {
            error: { status, message: `boom ${status} from the provider` },
          });
          assertSettled(r, state, `${c.kind} ${status}`);
          assert.equal(r.status, 'failed');
          assert.match(r.error!, new RegExp(String(status)));
          assert.match(r.error!, new RegExp(`boom ${status} from the provider`));
        }
        // A body that is not the provider's shape at all (a proxy's HTML page).
        const { r } = await viaMock(c, {
          error: { status: 502, body: '<html><body>Bad gateway</body></html>' },
        });
        assert.equal(r.status, 'failed');
        assert.equal(r.error!.split('\n').length, 1);
      });

      it(`${c.kind}: a server that stalls forever fails as stalled after the idle timeout`, async () => {
        const started = Date.now();
        const { r, state } = await viaMock(
          c,
          { events: [{ type: 'text', text: 'Hi' }, { type: 'stall' }] },
          { idleTimeoutMs: 300 },
        );
        assertSettled(r, state, `${c.kind} stall`);
        assert.match(r.error!, /stalled/);
        assert.ok(Date.now() - started < 10_000);
      });
    }

    it('tally run --timeout 1 on a server that stalls: exit 1, one line saying it stalled', async () => {
      const entry = await cliEntry();
      const storage = join(dir, 'storage');
      const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            entry,
            'run',
            '--storage',
            storage,
            '--workspace',
            dir,
            '--provider',
            'anthropic',
            '--model',
            'claude-sonnet-4-5',
            '--base-url',
            mock.baseURLs.anthropic,
            '--timeout',
            '1',
            'Tell me [[stall]] [[tools:0]]',
          ],
          { env: { ...process.env, ANTHROPIC_API_KEY: KEY, TALLY_LOG: 'warn' } },
        );
        let stderr = '';
        child.stderr.on('data', (b) => (stderr += b));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      assert.equal(out.code, 1, out.stderr);
      const lines = out.stderr.trim().split('\n');
      assert.match(lines[0]!, /^session /);
      assert.equal(lines.filter((l) => l.startsWith('tally:')).length, 1, out.stderr);
      assert.match(out.stderr, /tally: anthropic: the request stalled \(no data from anthropic for 1 s\)/);
    });
  });

  describe('a server that closes the connection', () => {
    let server: Server;
    let port = 0;
    let accepted = 0;
    before(async () => {
      // Accepts, reads the request, and closes without a byte: a keep-alive race or a proxy dropping it.
      server = createServer((sock) => {
        accepted++;
        sock.once('data', () => sock.destroy());
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      port = (server.address() as { port: number }).port;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('before answering: retried, then failed with a line that says the connection was closed', async () => {
      const writer = memoryWriter();
      accepted = 0;
      const r = await runTurn({
        writer,
        model: createModel({
          kind: 'anthropic',
          model: 'claude-sonnet-4-5',
          apiKey: KEY,
          baseURL: `http://127.0.0.1:${port}/v1`,
        }),
        provider: 'anthropic',
        modelId: 'claude-sonnet-4-5',
        prompt: 'Hello',
        workspace: ws,
        policy: { allowWrites: false, allowCommands: false },
        approve: async () => true,
        price: (u, reported) => pricing.price(u, 'claude-sonnet-4-5', 'anthropic', reported),
        maxRetries: 1,
        secrets: [KEY],
      });
      assertSettled(r, writer.state, 'closed connection');
      assert.equal(r.status, 'failed');
      assert.equal(accepted, 2, 'one retry');
      assert.match(r.error!, /the connection was closed before the answer began/);
    });
  });
});
