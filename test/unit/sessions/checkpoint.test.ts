/**
 * Fold checkpoints (src/core/sessions/checkpoint.ts): a long session reopens from its checkpoint
 * plus the bytes after it, with exactly the state and problems a full read of the log gives;
 * a checkpoint that no longer describes its log is never used.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { foldEvents } from '../../../src/core/ledger/ledger';
import type { Logger } from '../../../src/core/log';
import {
  CHECKPOINT_MIN_BYTES,
  CHECKPOINT_REFRESH_BYTES,
  checkpointPath,
  restoreState,
  storeState,
} from '../../../src/core/sessions/checkpoint';
import { LOG_VERSION, type SessionEvent, sessionEventSchema } from '../../../src/core/sessions/events';
import { layoutOf } from '../../../src/core/sessions/layout';
import { readSessionFile } from '../../../src/core/sessions/reader';
import { SessionStore } from '../../../src/core/sessions/store';
import { tempStorage } from './helpers';

const T0 = Date.parse('2026-03-01T09:00:00.000Z');

/** A varied session: renames, turns of 1–3 requests, a title request, failures, unknown prices, 1-hour cache writes, raw usage, messages with non-ASCII text, orphans. */
function events(sessionId: string, turns: number, from = 0): SessionEvent[] {
  let clock = T0 + from * 10_000;
  const at = () => {
    clock += 7;
    return new Date(clock).toISOString();
  };
  const e = (body: Record<string, unknown>) =>
    sessionEventSchema.parse({ v: LOG_VERSION, at: at(), ...body }) as SessionEvent;
  const out: SessionEvent[] = [];
  if (from === 0) {
    out.push(
      e({
        type: 'session.created',
        sessionId,
        title: 'Checkpoint',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
      }),
    );
    out.push(
      e({
        type: 'request.started',
        requestId: 'title',
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
        purpose: 'title',
      }),
    );
    out.push(
      e({
        type: 'request.usage',
        requestId: 'title',
        usage: usageOf(40, 0, 0, 8),
        cost: { pico: '52000000', basis: 'computed' },
        final: true,
      }),
    );
    out.push(e({ type: 'request.ended', requestId: 'title', status: 'completed' }));
  }
  for (let i = from; i < from + turns; i++) {
    const turnId = `turn-${i}`;
    out.push(e({ type: 'turn.started', turnId, index: i }));
    out.push(e({ type: 'message', turnId, message: { role: 'user', content: `question ${i} — é ✓` } }));
    const requests = 1 + (i % 3);
    for (let k = 0; k < requests; k++) {
      const requestId = `req-${i}-${k}`;
      out.push(
        e({
          type: 'request.started',
          requestId,
          turnId,
          provider: 'anthropic',
          model: k === 2 ? 'claude-opus-4-1' : 'claude-sonnet-4-5',
        }),
      );
      const u = usageOf(1000 + i, 20_000 + k, i % 5 === 0 ? 600 : 0, 300 + k, i % 4 === 0 ? 1 : 0);
      if (i % 5 === 0) u.inputTokenDetails.cacheWrite1hTokens = 200;
      const input = {
        ...u,
        outputTokens: 0,
        outputTokenDetails: { textTokens: 0, reasoningTokens: 0 },
        totalTokens: u.inputTokens,
      };
      const price = {
        input: '3000000',
        cacheRead: '300000',
        cacheWrite: '3750000',
        cacheWrite1h: '6000000',
        output: '15000000',
        ...(k === 1 ? { tierStart: 200_000 } : {}),
      };
      const cost =
        i % 7 === 3
          ? { pico: null, basis: 'unknown' }
          : {
              pico: String(19_000_000 + i * 13 + k),
              basis: 'computed',
              catalog: 'genai-prices@0.1.8',
              price,
            };
      out.push(e({ type: 'request.usage', requestId, usage: input, cost, final: false }));
      const raw =
        i % 6 === 0
          ? { input_tokens: 1000 + i, cache_creation: { ephemeral_1h_input_tokens: 200 } }
          : i % 6 === 1
            ? null
            : undefined;
      out.push(
        e({
          type: 'request.usage',
          requestId,
          usage: raw === undefined ? u : { ...u, raw },
          cost,
          final: true,
        }),
      );
      const failed = i % 11 === 5 && k === requests - 1;
      out.push(
        e({
          type: 'request.ended',
          requestId,
          status: failed ? 'failed' : 'completed',
          ...(failed ? { error: 'anthropic: 529 overloaded' } : {}),
        }),
      );
    }
    out.push(
      e({
        type: 'message',
        turnId,
        message: { role: 'assistant', content: [{ type: 'text', text: `answer ${i}` }] },
      }),
    );
    if (i % 13 === 4)
      out.push(
        e({
          type: 'request.usage',
          requestId: 'never-started',
          usage: usageOf(1, 0, 0, 1),
          cost: { pico: '1', basis: 'computed' },
          final: true,
        }),
      );
    if (i % 17 === 2) out.push(e({ type: 'session.renamed', title: `Renamed at ${i}` }));
    out.push(
      e({
        type: 'turn.ended',
        turnId,
        status: i % 11 === 5 ? 'failed' : 'completed',
        ...(i % 11 === 5 ? { error: 'the provider failed' } : {}),
      }),
    );
  }
  return out;
}

function usageOf(noCache: number, cacheRead: number, cacheWrite: number, text: number, reasoning = 0) {
  const inputTokens = noCache + cacheRead + cacheWrite;
  return {
    inputTokens,
    inputTokenDetails: {
      noCacheTokens: noCache,
      cacheReadTokens: cacheRead,
      cacheWriteTokens: cacheWrite,
    } as {
      noCacheTokens: number;
      cacheReadTokens: number;
      cacheWriteTokens: number;
      cacheWrite1hTokens?: number;
    },
    outputTokens: text + reasoning,
    outputTokenDetails: { textTokens: text, reasoningTokens: reasoning },
    totalTokens: inputTokens + text + reasoning,
    source: 'provider' as const,
  };
}

const lines = (es: SessionEvent[]) => es.map((e) => `${JSON.stringify(e)}\n`).join('');

/** Captures what the store logs, to tell a read from the checkpoint from a full one. */
function recorder(): Logger & { said: string[] } {
  const said: string[] = [];
  const note = (msg: string, data?: Record<string, unknown>) =>
    said.push(data?.why ? `${msg}: ${data.why}` : msg);
  return { said, debug: note, info: note, warn: note, error: note };
}

describe('fold checkpoints', () => {
  let dir: string;
  let log: string;
  const id = 'long';

  /** The state and problems of a full read of the log, with no checkpoint involved. */
  async function fullRead() {
    const r = await readSessionFile({ sessionId: id, path: log, kind: 'log' }, { layout: layoutOf(dir) });
    assert.ok(r.ok);
    return r.loaded;
  }

  async function open() {
    const logger = recorder();
    const store = await SessionStore.open(dir, { logger });
    return { store, logger };
  }

  beforeEach(async () => {
    dir = await tempStorage();
    await fs.mkdir(join(dir, 'sessions'));
    log = join(dir, 'sessions', `${id}.jsonl`);
    await fs.writeFile(log, lines(events(id, 400)));
    assert.ok((await fs.stat(log)).size > CHECKPOINT_MIN_BYTES, 'the log is long enough for a checkpoint');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a long log reopens from its checkpoint with the very state and problems of a full read', async () => {
    const { store, logger } = await open();
    const first = await store.load(id);
    const ckpt = await fs.stat(checkpointPath(layoutOf(dir), id));
    assert.ok(ckpt.size < (await fs.stat(log)).size / 2, 'the checkpoint is much smaller than the log');
    assert.ok(!logger.said.includes('session read from its checkpoint'));
    const second = await store.load(id);
    assert.ok(logger.said.includes('session read from its checkpoint'));
    const full = await fullRead();
    assert.deepEqual(second, full);
    assert.deepEqual(first, full);
    assert.equal(full.state.turns.length, 400);
    assert.equal(full.state.orphans, 31);
    assert.equal(full.state.title, 'Renamed at 393');
  });

  it('folds what was appended after the checkpoint, and opens a writer that continues the log', async () => {
    const { store: first } = await open();
    await first.load(id);
    await fs.appendFile(log, lines(events(id, 20, 400)));
    const w = await first.openWriter(id);
    await w.append({ type: 'turn.started', turnId: 'turn-420', index: 420 });
    await w.append({ type: 'turn.ended', turnId: 'turn-420', status: 'interrupted' });
    await w.close();
    await first.close();
    const { store, logger } = await open();
    const loaded = await store.load(id);
    assert.ok(logger.said.includes('session read from its checkpoint'));
    assert.deepEqual(loaded, await fullRead());
    assert.equal(loaded?.state.turns.length, 421);
    assert.equal(loaded?.state.turns.at(-1)?.status, 'interrupted');
  });

  it('writes a new checkpoint once a megabyte has been appended after it', async () => {
    const { store } = await open();
    await store.load(id);
    const header = async () =>
      JSON.parse((await fs.readFile(checkpointPath(layoutOf(dir), id), 'utf8')).split('\n')[0]!);
    const before = (await header()).logBytes;
    assert.equal(before, (await fs.stat(log)).size);
    await fs.appendFile(log, lines(events(id, 20, 400)));
    await store.load(id);
    assert.equal((await header()).logBytes, before, 'a short tail leaves the checkpoint as it is');
    let n = 420;
    while ((await fs.stat(log)).size - before < CHECKPOINT_REFRESH_BYTES) {
      await fs.appendFile(log, lines(events(id, 100, n)));
      n += 100;
    }
    await store.load(id);
    assert.equal((await header()).logBytes, (await fs.stat(log)).size);
    assert.deepEqual(await store.load(id), await fullRead());
  });

  for (const [what, change, why] of [
    [
      'a log rewritten at the same length',
      async (file: string) => {
        const b = await fs.readFile(file);
        const at = b.lastIndexOf('"index":399');
        b.write('"index":398', at); // the same bytes count, another number
        await fs.writeFile(file, b);
      },
      'the log changed',
    ],
    [
      'a log replaced by another session of the same id',
      async (file: string) => {
        const other = lines(events(id, 420)).replace(/Checkpoint/, 'Checkpoinu');
        await fs.writeFile(file, other);
      },
      'the log changed',
    ],
    [
      'a log cut shorter',
      async (file: string) => {
        const text = await fs.readFile(file, 'utf8');
        await fs.writeFile(file, text.slice(0, text.lastIndexOf('\n', text.length / 2) + 1));
      },
      'the log is shorter than the checkpoint',
    ],
  ] as const) {
    it(`is not used for ${what}: the log is read in full`, async () => {
      const { store, logger } = await open();
      await store.load(id);
      await change(log);
      const loaded = await store.load(id);
      assert.ok(logger.said.includes(`fold checkpoint not used: ${why}`), logger.said.join('\n'));
      assert.ok(!logger.said.includes('session read from its checkpoint'));
      assert.deepEqual(loaded, await fullRead());
    });
  }

  for (const [what, damage, why] of [
    [
      'a flipped digit in its state',
      (t: string) => t.replace(/,24180,/, ',24181,').replace(/("turns":\[\["turn-0",)0/, '$11'),
      'the state does not match its hash',
    ],
    ['a cut-off file', (t: string) => t.slice(0, t.length / 2), 'the state does not match its hash'],
    ['no header', () => 'garbage', 'no header line'],
    ['a header that is not JSON', (t: string) => `{${t}`, 'header is not JSON'],
    [
      'another session’s checkpoint',
      (t: string) => t.replace(`"sessionId":"${id}"`, '"sessionId":"other"'),
      'another format, fold or session',
    ],
  ] as const) {
    it(`is not used with ${what}, and is written again`, async () => {
      const { store, logger } = await open();
      await store.load(id);
      const file = checkpointPath(layoutOf(dir), id);
      const good = await fs.readFile(file, 'utf8');
      const bad = damage(good);
      assert.notEqual(bad, good);
      await fs.writeFile(file, bad);
      assert.deepEqual(await store.load(id), await fullRead());
      assert.ok(logger.said.includes(`fold checkpoint not used: ${why}`), logger.said.join('\n'));
      assert.equal(await fs.readFile(file, 'utf8'), good, 'the full read wrote it again');
    });
  }

  it('a torn line and a bad line after the checkpoint are reported as a full read reports them', async () => {
    const { store } = await open();
    await store.load(id);
    await fs.appendFile(
      log,
      `${lines(events(id, 2, 400))}{"v":1,"at":"bad"}\n${lines(events(id, 1, 402))}{"v":1,"at":"2026-`,
    );
    const loaded = await store.load(id);
    const full = await fullRead();
    const plain = (ps: { kind: string; message: string }[]) => ps.map((p) => `${p.kind}: ${p.message}`);
    assert.deepEqual(plain(loaded?.problems ?? []), plain(full.problems));
    assert.match(plain(full.problems).join('\n'), /bad-line: line \d+ skipped/);
    assert.match(plain(full.problems).join('\n'), /torn-tail/);
    assert.deepEqual(loaded?.state, full.state);
    // Continuing cuts the torn bytes (kept aside) and appends after the last whole line.
    const w = await store.openWriter(id);
    await w.append({ type: 'session.renamed', title: 'After the tear' });
    await w.close();
    const after = await store.load(id);
    assert.equal(after?.state.title, 'After the tear');
    assert.equal(after?.state.turns.length, 403);
  });

  it('a storage folder where no checkpoint can be written loads the same, only without one', async () => {
    await fs.writeFile(join(dir, 'cache'), 'a file where the cache folder would be');
    const { store, logger } = await open();
    assert.deepEqual(await store.load(id), await fullRead());
    assert.deepEqual(await store.load(id), await fullRead());
    assert.ok(logger.said.some((s) => s.startsWith('fold checkpoint not written')));
  });

  it('is removed with its session', async () => {
    const { store } = await open();
    await store.load(id);
    await store.delete(id);
    await assert.rejects(fs.stat(checkpointPath(layoutOf(dir), id)), { code: 'ENOENT' });
  });

  it('a short log gets no checkpoint', async () => {
    await fs.writeFile(log, lines(events(id, 3)));
    const { store } = await open();
    await store.load(id);
    await assert.rejects(fs.stat(checkpointPath(layoutOf(dir), id)), { code: 'ENOENT' });
  });

  it('round trip: any folded state is restored exactly from its stored form (property)', () => {
    const body = fc.record({ turns: fc.integer({ min: 0, max: 25 }), from: fc.integer({ min: 0, max: 50 }) });
    fc.assert(
      fc.property(body, ({ turns, from }) => {
        const es = events('p', turns);
        const extra = events('p', turns % 4, from + turns);
        const state = foldEvents('p', [...es, ...extra]);
        const stored = JSON.parse(JSON.stringify(storeState(state)));
        assert.deepEqual(restoreState(stored), state);
      }),
      { numRuns: 60, seed: 42 },
    );
  });
});
