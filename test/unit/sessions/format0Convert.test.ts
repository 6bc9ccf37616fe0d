/**
 * Format 0 → v1 events, converter by converter (README.md, "Format 0"): the exact events, the
 * exact problems and notes, per-request logs and cumulative ones.
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import {
  convertFormat0,
  format0Record,
  format0ToUsage,
  looksCumulative,
} from '../../../src/core/sessions/format0';
import { ProblemList } from '../../../src/core/sessions/problems';

const FALLBACK = '2026-05-05T05:05:05.005Z';
const T0 = 1767603600000; // 2026-01-05T09:00:00.000Z
const iso = (ms: number) => new Date(ms).toISOString();

function records(...raw: object[]) {
  return raw.map((r) => format0Record.parse(r));
}

function convert(recs, opts: { sessionId?: string; price?: unknown } = {}) {
  const problems = new ProblemList('/f0.jsonl');
  const out = convertFormat0(recs, {
    sessionId: opts.sessionId ?? 'f0',
    problems,
    fallbackTime: FALLBACK,
    price: opts.price,
  });
  return { ...out, problems: problems.done().map((p) => `${p.kind}: ${p.message}`) };
}

const usageRec = (turn: number, i: number, o: number, extra: object = {}) => ({
  type: 'usage',
  turn,
  model: 'm',
  inputTokens: i,
  outputTokens: o,
  totalTokens: i + o,
  ...extra,
});

describe('format 0 conversion', () => {
  it('per request: one turn per turn number, request ids kept or made up per turn, exact usage', () => {
    const recs = records(
      {
        type: 'meta',
        sessionId: 'f0',
        title: 'T',
        model: 'gpt-4o',
        provider: 'openai',
        createdAt: '2026-01-05T09:00:00Z',
      },
      usageRec(0, 100, 10, {
        cachedInputTokens: 30,
        cacheWriteTokens: 20,
        reasoningTokens: 4,
        timestamp: T0 + 1000,
      }),
      usageRec(0, 200, 20, { timestamp: T0 + 2000 }),
      usageRec(0, 200, 20, { timestamp: T0 + 2000 }),
      { type: 'turn', turn: 0, status: 'completed', timestamp: T0 + 3000 },
      usageRec(1, 50, 5, { requestId: 'rq', model: 'gpt-4o-mini', timestamp: T0 + 4000 }),
      usageRec(1, 60, 6, { requestId: 'rq', model: 'gpt-4o-mini', timestamp: T0 + 5000 }),
      usageRec(1, 70, 7),
    );
    const out = convert(recs);
    assert.equal(out.approximate, false);
    assert.deepEqual(out.problems, []);
    assert.deepEqual(out.notes, [
      'format 0: 2 turns, 4 requests from 6 usage records',
      '1 repeated identical usage lines counted once',
    ]);
    const lines = out.events.map((e) => {
      const { v, at, type, ...rest } = e;
      assert.equal(v, 1);
      if (type === 'request.usage')
        return [at, type, rest.requestId, rest.usage.inputTokens, rest.cost, rest.final];
      return [at, type, ...Object.values(rest)];
    });
    const c = { pico: null, basis: 'unknown' };
    assert.deepEqual(lines, [
      ['2026-01-05T09:00:00.000Z', 'session.created', 'f0', 'T', 'openai', 'gpt-4o'],
      [iso(T0 + 1000), 'turn.started', 'turn-0', 0],
      [iso(T0 + 1000), 'request.started', 'v0-0-0', 'turn-0', 'openai', 'm', 'chat'],
      [iso(T0 + 1000), 'request.usage', 'v0-0-0', 100, c, true],
      [iso(T0 + 1000), 'request.ended', 'v0-0-0', 'completed'],
      [iso(T0 + 2000), 'request.started', 'v0-0-1', 'turn-0', 'openai', 'm', 'chat'],
      [iso(T0 + 2000), 'request.usage', 'v0-0-1', 200, c, true],
      [iso(T0 + 2000), 'request.ended', 'v0-0-1', 'completed'],
      [iso(T0 + 3000), 'turn.ended', 'turn-0', 'completed'],
      [iso(T0 + 4000), 'turn.started', 'turn-1', 1],
      [iso(T0 + 4000), 'request.started', 'rq', 'turn-1', 'openai', 'gpt-4o-mini', 'chat'],
      [iso(T0 + 4000), 'request.usage', 'rq', 50, c, true],
      [iso(T0 + 4000), 'request.ended', 'rq', 'completed'],
      [iso(T0 + 5000), 'request.usage', 'rq', 60, c, true],
      [iso(T0 + 5000), 'request.ended', 'rq', 'completed'],
      // No timestamp: the session's creation time.
      ['2026-01-05T09:00:00.000Z', 'request.started', 'v0-1-0', 'turn-1', 'openai', 'm', 'chat'],
      ['2026-01-05T09:00:00.000Z', 'request.usage', 'v0-1-0', 70, c, true],
      ['2026-01-05T09:00:00.000Z', 'request.ended', 'v0-1-0', 'completed'],
    ]);
    assert.deepEqual(out.events[3].usage, {
      inputTokens: 100,
      inputTokenDetails: { noCacheTokens: 50, cacheReadTokens: 30, cacheWriteTokens: 20 },
      outputTokens: 10,
      outputTokenDetails: { textTokens: 6, reasoningTokens: 4 },
      totalTokens: 110,
      source: 'provider',
      raw: recs[1],
    });
  });

  it('a turn line before any usage starts the turn; the price callback gets the usage, model and provider', () => {
    const seen = [];
    const price = (u, model, provider) => {
      seen.push([u.inputTokens, model, provider]);
      return { pico: String(u.inputTokens * 1000), basis: 'computed' };
    };
    const out = convert(
      records(
        { type: 'turn', turn: 3, status: 'failed', timestamp: T0 },
        usageRec(3, 40, 4, { requestId: 'a', timestamp: T0 + 10 }),
      ),
      { price },
    );
    assert.deepEqual(seen, [[40, 'm', '']]);
    assert.deepEqual(
      out.events.map((e) => [e.at, e.type]),
      [
        [iso(T0), 'session.created'],
        [iso(T0), 'turn.started'],
        [iso(T0), 'turn.ended'],
        [iso(T0 + 10), 'request.started'],
        [iso(T0 + 10), 'request.usage'],
        [iso(T0 + 10), 'request.ended'],
      ],
    );
    assert.deepEqual(out.events[0], {
      v: 1,
      at: iso(T0),
      type: 'session.created',
      sessionId: 'f0',
      title: '',
      provider: '',
      model: 'm',
    });
    assert.deepEqual(out.events[2], {
      v: 1,
      at: iso(T0),
      type: 'turn.ended',
      turnId: 'turn-3',
      status: 'failed',
    });
    assert.deepEqual(out.events[4].cost, { pico: '40000', basis: 'computed' });
    assert.deepEqual(out.notes, ['format 0: 1 turns, 1 requests from 1 usage records']);
  });

  it('the creation time: meta createdAt (ISO or epoch ms), else the first timestamp, else the fallback', () => {
    const created = (recs) => convert(records(...recs)).events[0].at;
    assert.equal(
      created([{ type: 'meta', createdAt: T0 + 7 }, usageRec(0, 1, 1, { timestamp: T0 })]),
      iso(T0 + 7),
    );
    assert.equal(
      created([{ type: 'meta' }, usageRec(0, 1, 1), usageRec(0, 2, 1, { timestamp: T0 + 9 })]),
      iso(T0 + 9),
    );
    assert.equal(
      created([{ type: 'meta', createdAt: 'garbage' }, usageRec(0, 1, 1, { timestamp: T0 })]),
      iso(T0),
    );
    assert.equal(created([{ type: 'meta' }, usageRec(0, 1, 1)]), FALLBACK);
    assert.equal(created([]), FALLBACK);
  });

  it('later metas are renames at their own time; an id that disagrees with the file name is reported', () => {
    const out = convert(
      records(
        { type: 'meta', sessionId: 'other', title: 'First', model: 'mm', createdAt: T0 },
        { type: 'meta', title: 'Second', createdAt: T0 + 60000 },
        { type: 'meta', title: 'Third' },
      ),
    );
    assert.deepEqual(out.events, [
      {
        v: 1,
        at: iso(T0),
        type: 'session.created',
        sessionId: 'f0',
        title: 'First',
        provider: '',
        model: 'mm',
      },
      { v: 1, at: iso(T0 + 60000), type: 'session.renamed', title: 'Second' },
      { v: 1, at: iso(T0), type: 'session.renamed', title: 'Third' },
    ]);
    assert.deepEqual(out.problems, [
      'legacy-mismatch: the log says its session is other; it is loaded as f0, after its file name',
    ]);
    assert.deepEqual(out.notes, ['format 0: 0 turns, 0 requests from 0 usage records']);
    assert.deepEqual(convert(records({ type: 'meta', sessionId: 'f0' })).problems, []);
  });

  it('cumulative: one request per turn holding the growth during it, the last record counted once', () => {
    const recs = records(
      { type: 'meta', provider: 'openai', createdAt: T0 },
      usageRec(9, 100, 10, { timestamp: T0 + 1000 }),
      usageRec(9, 300, 30, { cachedInputTokens: 50, timestamp: T0 + 2000 }),
      { type: 'turn', turn: 9, status: 'completed', timestamp: T0 + 2500 },
      usageRec(10, 700, 80, {
        cachedInputTokens: 250,
        reasoningTokens: 5,
        cacheWriteTokens: 10,
        model: 'm2',
      }),
      { type: 'turn', turn: 10, status: 'interrupted' },
      { type: 'turn', turn: 11, status: 'failed', timestamp: T0 + 9000 },
    );
    const out = convert(recs);
    assert.equal(out.approximate, true);
    assert.deepEqual(out.problems, [
      'cumulative-detected: the 3 usage records look like running totals for the session (no request ids, each at ' +
        'least the one before in every field): counted once, each turn holding the growth during it; numbers are approximate',
    ]);
    assert.deepEqual(out.notes, [
      'format 0: 3 turns, 2 requests from 3 usage records (cumulative records, counted once)',
    ]);
    assert.deepEqual(
      out.events.map((e) => [e.at, e.type, e.requestId ?? e.turnId ?? e.sessionId]),
      [
        [iso(T0), 'session.created', 'f0'],
        [iso(T0 + 2000), 'turn.started', 'turn-9'],
        [iso(T0 + 2000), 'request.started', 'v0-cumulative-9'],
        [iso(T0 + 2000), 'request.usage', 'v0-cumulative-9'],
        [iso(T0 + 2000), 'request.ended', 'v0-cumulative-9'],
        [iso(T0 + 2500), 'turn.ended', 'turn-9'],
        // No timestamp on turn 10's record: it keeps the session's creation time.
        [iso(T0), 'turn.started', 'turn-10'],
        [iso(T0), 'request.started', 'v0-cumulative-10'],
        [iso(T0), 'request.usage', 'v0-cumulative-10'],
        [iso(T0), 'request.ended', 'v0-cumulative-10'],
        [iso(T0), 'turn.ended', 'turn-10'],
        // A turn with no usage record: started and ended at its end line's time.
        [iso(T0 + 9000), 'turn.started', 'turn-11'],
        [iso(T0 + 9000), 'turn.ended', 'turn-11'],
      ],
    );
    const [u9, u10] = out.events.filter((e) => e.type === 'request.usage');
    assert.deepEqual(u9.usage, {
      inputTokens: 300,
      inputTokenDetails: { noCacheTokens: 250, cacheReadTokens: 50, cacheWriteTokens: 0 },
      outputTokens: 30,
      outputTokenDetails: { textTokens: 30, reasoningTokens: 0 },
      totalTokens: 330,
      source: 'provider',
      raw: { cumulative: true, through: recs[2] },
    });
    assert.deepEqual(u9.cost, { pico: null, basis: 'unknown' });
    assert.equal(u9.final, true);
    assert.deepEqual(u10.usage, {
      inputTokens: 400,
      inputTokenDetails: { noCacheTokens: 190, cacheReadTokens: 200, cacheWriteTokens: 10 },
      outputTokens: 50,
      outputTokenDetails: { textTokens: 45, reasoningTokens: 5 },
      totalTokens: 450,
      source: 'provider',
      raw: { cumulative: true, through: recs[4] },
    });
    const started = out.events.filter((e) => e.type === 'request.started');
    assert.deepEqual(
      started.map((e) => [e.turnId, e.provider, e.model, e.purpose]),
      [
        ['turn-9', 'openai', 'm', 'chat'],
        ['turn-10', 'openai', 'm2', 'chat'],
      ],
    );
    assert.deepEqual(
      out.events.filter((e) => e.type === 'request.ended').map((e) => e.status),
      ['completed', 'completed'],
    );
    assert.deepEqual(
      out.events.filter((e) => e.type === 'turn.ended').map((e) => e.status),
      ['completed', 'interrupted', 'failed'],
    );
  });

  it('cumulative: a turn whose records did not grow the totals gets no request', () => {
    const out = convert(
      records(
        usageRec(0, 10, 1, { timestamp: T0 }),
        usageRec(1, 10, 1, { timestamp: T0 + 5 }),
        usageRec(2, 12, 1),
      ),
    );
    assert.equal(out.approximate, true);
    assert.deepEqual(
      out.events.filter((e) => e.type === 'request.usage').map((e) => [e.requestId, e.usage.inputTokens]),
      [
        ['v0-cumulative-0', 10],
        ['v0-cumulative-2', 2],
      ],
    );
    assert.deepEqual(
      out.events.filter((e) => e.type === 'turn.started').map((e) => [e.at, e.index]),
      [
        [iso(T0), 0],
        [iso(T0 + 5), 1],
        [iso(T0), 2],
      ],
    );
  });

  it('cumulative conversion reports no mismatch for growth that does not add up', () => {
    // Per request the second record's total would be reported; as growth it is not checked.
    const out = convert(records(usageRec(0, 10, 1), { ...usageRec(0, 20, 2), totalTokens: 40 }));
    assert.equal(out.approximate, true);
    assert.deepEqual(
      out.problems.filter((p) => p.startsWith('legacy-mismatch')),
      [],
    );
  });
});

describe('looksCumulative at its edges', () => {
  const rec = (i: number, o: number, extra: object = {}) => format0Record.parse(usageRec(0, i, o, extra));

  it('two records that grow are enough; one is not', () => {
    assert.equal(looksCumulative([rec(1, 1), rec(1, 2)]), true);
    assert.equal(looksCumulative([rec(1, 1)]), false);
    assert.equal(looksCumulative([]), false);
  });

  it('equal fields are allowed beside growth; a shrink anywhere, or a request id anywhere, refuses', () => {
    assert.equal(
      looksCumulative([
        rec(5, 1, { reasoningTokens: 1 }),
        rec(5, 1, { reasoningTokens: 2 }),
        rec(5, 1, { reasoningTokens: 2 }),
      ]),
      true,
    );
    assert.equal(
      looksCumulative([rec(5, 1, { cacheWriteTokens: 2 }), rec(6, 2, { cacheWriteTokens: 1 })]),
      false,
    );
    assert.equal(looksCumulative([rec(5, 1, { reasoningTokens: 1 }), rec(6, 2)]), false);
    assert.equal(looksCumulative([rec(1, 1, { requestId: 'x' }), rec(2, 2)]), false);
    assert.equal(looksCumulative([rec(1, 1), rec(1, 1), rec(1, 1)]), false);
  });
});

describe('format0ToUsage', () => {
  function run(r: object, where: string | null) {
    const problems = new ProblemList('/f');
    const u = format0ToUsage(
      format0Record.parse(r),
      { sessionId: 's', problems, fallbackTime: FALLBACK },
      where,
    );
    return { u, problems: problems.done().map((p) => `${p.kind}: ${p.message}`) };
  }

  it('cache tokens beyond the prompt and reasoning beyond the output give 0 and are reported', () => {
    const { u, problems } = run(
      usageRec(0, 10, 3, { cachedInputTokens: 8, cacheWriteTokens: 4, reasoningTokens: 5, totalTokens: 99 }),
      'turn 0',
    );
    assert.deepEqual(u.inputTokenDetails, { noCacheTokens: 0, cacheReadTokens: 8, cacheWriteTokens: 4 });
    assert.deepEqual(u.outputTokenDetails, { textTokens: 0, reasoningTokens: 5 });
    assert.equal(u.totalTokens, 99);
    assert.deepEqual(problems, [
      'legacy-mismatch: turn 0: cache tokens (8 read + 4 written) exceed inputTokens 10',
      'legacy-mismatch: turn 0: reasoningTokens 5 exceed outputTokens 3',
      'legacy-mismatch: turn 0: totalTokens 99 is not inputTokens + outputTokens (13); kept',
    ]);
    assert.deepEqual(
      run(usageRec(0, 10, 3, { cachedInputTokens: 8, cacheWriteTokens: 4 }), null).problems,
      [],
    );
  });

  it('parts that fit exactly are not reported', () => {
    const { u, problems } = run(
      usageRec(0, 12, 5, { cachedInputTokens: 8, cacheWriteTokens: 4, reasoningTokens: 5 }),
      'turn 0',
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(u.inputTokenDetails, { noCacheTokens: 0, cacheReadTokens: 8, cacheWriteTokens: 4 });
    assert.deepEqual(u.outputTokenDetails, { textTokens: 0, reasoningTokens: 5 });
  });
});

describe('format-0 records: what a line may hold', () => {
  const ok = (r: object) => format0Record.safeParse(r).success;

  it('meta: everything but type optional, with defaults; bounded texts; createdAt ISO (≤ 64) or epoch ms', () => {
    assert.deepEqual(format0Record.parse({ type: 'meta' }), {
      type: 'meta',
      title: '',
      model: '',
      provider: '',
    });
    assert.equal(
      ok({
        type: 'meta',
        sessionId: 'i'.repeat(200),
        title: 't'.repeat(500),
        model: 'm'.repeat(200),
        provider: 'p'.repeat(100),
      }),
      true,
    );
    assert.equal(ok({ type: 'meta', sessionId: '' }), false);
    assert.equal(ok({ type: 'meta', sessionId: 'i'.repeat(201) }), false);
    assert.equal(ok({ type: 'meta', title: 't'.repeat(501) }), false);
    assert.equal(ok({ type: 'meta', model: 'm'.repeat(201) }), false);
    assert.equal(ok({ type: 'meta', provider: 'p'.repeat(101) }), false);
    assert.equal(ok({ type: 'meta', createdAt: 'c'.repeat(64) }), true);
    assert.equal(ok({ type: 'meta', createdAt: 'c'.repeat(65) }), false);
    assert.equal(ok({ type: 'meta', createdAt: 8.64e15 }), true);
    assert.equal(ok({ type: 'meta', createdAt: 0 }), true);
    assert.equal(ok({ type: 'meta', createdAt: 8.64e15 + 1 }), false);
    assert.equal(ok({ type: 'meta', createdAt: -1 }), false);
  });

  it('turn: a count and one of three statuses, timestamp optional', () => {
    assert.deepEqual(format0Record.parse({ type: 'turn', turn: 1e12, status: 'interrupted' }), {
      type: 'turn',
      turn: 1e12,
      status: 'interrupted',
    });
    for (const status of ['completed', 'failed']) assert.equal(ok({ type: 'turn', turn: 0, status }), true);
    assert.equal(ok({ type: 'turn', turn: 0, status: 'running' }), false);
    assert.equal(ok({ type: 'turn', turn: 1e12 + 1, status: 'failed' }), false);
    assert.equal(ok({ type: 'turn', turn: -1, status: 'failed' }), false);
    assert.equal(ok({ type: 'turn', turn: 0.5, status: 'failed' }), false);
    assert.equal(ok({ type: 'turn', turn: 0, status: 'failed', timestamp: -1 }), false);
  });

  it('usage: three counts required, the details optional, requestId 1 to 200 characters', () => {
    assert.deepEqual(
      format0Record.parse({ type: 'usage', turn: 0, inputTokens: 1, outputTokens: 2, totalTokens: 3 }),
      {
        type: 'usage',
        turn: 0,
        model: '',
        inputTokens: 1,
        outputTokens: 2,
        totalTokens: 3,
      },
    );
    const u = { type: 'usage', turn: 0, inputTokens: 1, outputTokens: 2, totalTokens: 3 };
    assert.equal(ok({ ...u, requestId: 'r'.repeat(200), model: 'm'.repeat(200) }), true);
    assert.equal(ok({ ...u, requestId: '' }), false);
    assert.equal(ok({ ...u, requestId: 'r'.repeat(201) }), false);
    assert.equal(ok({ ...u, model: 'm'.repeat(201) }), false);
    for (const f of [
      'inputTokens',
      'outputTokens',
      'totalTokens',
      'cachedInputTokens',
      'reasoningTokens',
      'cacheWriteTokens',
    ]) {
      assert.equal(ok({ ...u, [f]: 1e12 }), true, f);
      assert.equal(ok({ ...u, [f]: 1e12 + 1 }), false, f);
      assert.equal(ok({ ...u, [f]: -1 }), false, f);
    }
    const { totalTokens: _, ...noTotal } = u;
    assert.equal(ok(noTotal), false);
  });
});
