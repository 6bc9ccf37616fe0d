/**
 * message-history files → v1 events (README.md, "message-history files"): exact events,
 * exact problems, the title, the turns' messages, legacy usage and cost.
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { convertMessageHistory, isMessageHistory } from '../../../src/core/sessions/messageHistory';
import { ProblemList } from '../../../src/core/sessions/problems';

const FALLBACK = '2026-05-05T05:05:05.005Z';
const CREATED = '2026-01-02T10:00:00.000Z';
const UPDATED = '2026-01-02T10:30:00.000Z';
const T = 1767348000000; // 2026-01-02T10:00:00.000Z

function convert(json: object, opts: { price?: unknown; sessionId?: string } = {}) {
  const problems = new ProblemList('/mh.json');
  const out = convertMessageHistory(json, {
    sessionId: opts.sessionId ?? 'mh',
    problems,
    fallbackTime: FALLBACK,
    price: opts.price,
  });
  return { ...out, problems: problems.done().map((p) => `${p.kind}: ${p.message}`) };
}

const entry = (extra: object = {}) => ({ inputTokens: 100, outputTokens: 10, totalTokens: 110, ...extra });

describe('message-history conversion', () => {
  it('recognizes only an object with a messages or tokenUsage array', () => {
    assert.equal(isMessageHistory({ messages: [] }), true);
    assert.equal(isMessageHistory({ tokenUsage: [] }), true);
    assert.equal(isMessageHistory({ messages: {}, tokenUsage: 'x' }), false);
    assert.equal(isMessageHistory([{ messages: [] }]), false);
    assert.equal(isMessageHistory(null), false);
    assert.equal(isMessageHistory('messages'), false);
  });

  it('messages: before the first user message to the session, the k-th user message opens turn k', () => {
    const out = convert({
      sessionId: 'mh',
      modelId: 'gpt-4o',
      createdAt: CREATED,
      updatedAt: UPDATED,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'a1' },
        { role: 'user', content: 'two' },
        { role: 'user', content: 'three' },
        { role: 'tool', content: [] },
      ],
      tokenUsage: [entry({ stepIndex: 0, timestamp: T + 1000 }), entry({ stepIndex: 1, timestamp: 1234.5 })],
    });
    assert.deepEqual(out.problems, []);
    assert.equal(out.approximate, false);
    assert.deepEqual(out.notes, ['message history: 2 turns with legacy usage, 6 messages']);
    const at1 = new Date(T + 1000).toISOString();
    assert.deepEqual(
      out.events.map((e) => [e.at, e.type, e.turnId ?? null, e.message?.content ?? e.requestId ?? null]),
      [
        [CREATED, 'session.created', null, null],
        [CREATED, 'message', null, 'be brief'],
        [at1, 'turn.started', 'turn-0', null],
        [at1, 'message', 'turn-0', 'one'],
        [at1, 'message', 'turn-0', 'a1'],
        [at1, 'request.started', 'turn-0', 'legacy-0'],
        [at1, 'request.usage', null, 'legacy-0'],
        [at1, 'request.ended', null, 'legacy-0'],
        [at1, 'turn.ended', 'turn-0', null],
        // A performance.now() timestamp: updatedAt.
        [UPDATED, 'turn.started', 'turn-1', null],
        [UPDATED, 'message', 'turn-1', 'two'],
        [UPDATED, 'request.started', 'turn-1', 'legacy-1'],
        [UPDATED, 'request.usage', null, 'legacy-1'],
        [UPDATED, 'request.ended', null, 'legacy-1'],
        [UPDATED, 'turn.ended', 'turn-1', null],
        // Beyond the recorded turns: messages of the session, at updatedAt.
        [UPDATED, 'message', null, 'three'],
        [UPDATED, 'message', null, []],
      ],
    );
    assert.deepEqual(out.events[0], {
      v: 1,
      at: CREATED,
      type: 'session.created',
      sessionId: 'mh',
      title: 'one',
      provider: '',
      model: 'gpt-4o',
    });
    assert.deepEqual(out.events[5], {
      v: 1,
      at: at1,
      type: 'request.started',
      requestId: 'legacy-0',
      turnId: 'turn-0',
      provider: '',
      model: 'gpt-4o',
      purpose: 'chat',
    });
    assert.deepEqual(out.events[7], {
      v: 1,
      at: at1,
      type: 'request.ended',
      requestId: 'legacy-0',
      status: 'completed',
    });
    assert.deepEqual(out.events[8], {
      v: 1,
      at: at1,
      type: 'turn.ended',
      turnId: 'turn-0',
      status: 'completed',
    });
    assert.deepEqual(out.events[6].cost, { pico: null, basis: 'unknown' });
    assert.equal(out.events[6].final, true);
  });

  it('without tokenUsage: messages only, no turns, and the note says so', () => {
    const out = convert({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'yo' },
      ],
    });
    assert.deepEqual(
      out.events.map((e) => [e.at, e.type]),
      [
        [FALLBACK, 'session.created'],
        [FALLBACK, 'message'],
        [FALLBACK, 'message'],
      ],
    );
    assert.deepEqual(out.notes, ['message history without tokenUsage: 2 messages, no usage recorded']);
  });

  it('the title: the file title, else the first user text (spaces folded, 80 characters at most), else empty', () => {
    const title = (json) => convert(json).events[0].title;
    assert.equal(title({ title: 'Given', messages: [{ role: 'user', content: 'x' }] }), 'Given');
    assert.equal(title({ title: 't'.repeat(600), messages: [] }), 't'.repeat(500));
    assert.equal(
      title({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'parts' }] },
          { role: 'assistant', content: 'not me' },
          { role: 'user', content: '  fix\n\n the   parser  ' },
        ],
      }),
      'fix the parser',
    );
    assert.equal(title({ messages: [{ role: 'user', content: 'a'.repeat(80) }] }), 'a'.repeat(80));
    assert.equal(title({ messages: [{ role: 'user', content: 'a'.repeat(81) }] }), `${'a'.repeat(79)}…`);
    assert.equal(title({ messages: [{ role: 'assistant', content: 'x' }] }), '');
    assert.equal(title({ title: 5, messages: [] }), '');
  });

  it('the model is cut to 200 characters; times fall back from createdAt to the file mtime', () => {
    const out = convert({ modelId: 'm'.repeat(250), updatedAt: UPDATED, tokenUsage: [entry()] });
    assert.equal(out.events[0].model, 'm'.repeat(200));
    assert.equal(out.events[0].at, FALLBACK);
    assert.equal(out.events[1].at, UPDATED);
    const noUpdate = convert({ createdAt: CREATED, tokenUsage: [entry()] });
    assert.equal(noUpdate.events[1].at, CREATED);
    assert.equal(convert({ tokenUsage: [entry()] }).events[0].model, '');
  });

  it('reports an id that disagrees with the file name, bad messages and bad entries, and repeated steps', () => {
    const out = convert({
      sessionId: 'elsewhere',
      messages: [
        { role: 'user', content: 'ok' },
        { role: 'robot', content: 'no' },
      ],
      tokenUsage: [
        entry({ stepIndex: 2 }),
        { inputTokens: -1, outputTokens: 1 },
        entry({ stepIndex: 2, inputTokens: 7, totalTokens: 17 }),
      ],
    });
    assert.deepEqual(out.problems, [
      'legacy-mismatch: the file says its session is elsewhere; it is loaded as mh, after its file name',
      'bad-line: messages[1] skipped: role: Invalid option: expected one of "system"|"user"|"assistant"|"tool"',
      'bad-line: tokenUsage[1] skipped: inputTokens: Too small: expected number to be >=0',
      'legacy-mismatch: tokenUsage has more than one entry for turn 2; the last one counts',
    ]);
    const usages = out.events.filter((e) => e.type === 'request.usage');
    assert.deepEqual(
      usages.map((e) => [e.requestId, e.usage.inputTokens]),
      [['legacy-2', 7]],
    );
    assert.deepEqual(out.notes, ['message history: 1 turns with legacy usage, 1 messages']);
    assert.deepEqual(convert({ sessionId: 'mh', messages: [] }).problems, []);
  });

  it('an entry without stepIndex is the turn at its position', () => {
    const out = convert({ tokenUsage: [entry({ stepIndex: 5 }), entry()] });
    assert.deepEqual(
      out.events.filter((e) => e.type === 'turn.started').map((e) => [e.turnId, e.index]),
      [
        ['turn-5', 5],
        ['turn-1', 1],
      ],
    );
  });
});

describe('legacy usage and cost', () => {
  function one(e: object, opts = {}) {
    const out = convert({ tokenUsage: [e] }, opts);
    const u = out.events.find((x) => x.type === 'request.usage');
    return { usage: u.usage, cost: u.cost, problems: out.problems };
  }

  it('the DESIGN.md entry: details kept, figures kept, the cache write outside inputTokens reported', () => {
    const raw = {
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
    };
    const r = one(raw);
    assert.deepEqual(r.usage, {
      inputTokens: 3000,
      inputTokenDetails: { noCacheTokens: 2000, cacheReadTokens: 1000, cacheWriteTokens: 80 },
      outputTokens: 400,
      outputTokenDetails: { textTokens: 300, reasoningTokens: 100 },
      totalTokens: 3400,
      source: 'legacy',
      raw,
    });
    assert.deepEqual(r.cost, { pico: '12300000000', basis: 'legacy' });
    assert.deepEqual(r.problems, [
      'legacy-mismatch: turn 0: input details add up to 3080 (2000 plain + 1000 cache read + 80 cache write) but inputTokens is 3000; kept as recorded',
    ]);
  });

  it('without details: cachedInputTokens and reasoningTokens, the rest plain and text', () => {
    const r = one({
      inputTokens: 100,
      outputTokens: 10,
      totalTokens: 110,
      cachedInputTokens: 30,
      reasoningTokens: 4,
    });
    assert.deepEqual(r.usage.inputTokenDetails, {
      noCacheTokens: 70,
      cacheReadTokens: 30,
      cacheWriteTokens: 0,
    });
    assert.deepEqual(r.usage.outputTokenDetails, { textTokens: 6, reasoningTokens: 4 });
    assert.deepEqual(r.problems, []);
  });

  it('parts larger than the totals: plain and text are 0, every disagreement reported', () => {
    const r = one({ inputTokens: 10, outputTokens: 3, cachedInputTokens: 30, reasoningTokens: 4 });
    assert.deepEqual(r.usage.inputTokenDetails, {
      noCacheTokens: 0,
      cacheReadTokens: 30,
      cacheWriteTokens: 0,
    });
    assert.deepEqual(r.usage.outputTokenDetails, { textTokens: 0, reasoningTokens: 4 });
    assert.equal(r.usage.totalTokens, 13);
    assert.deepEqual(r.problems, [
      'legacy-mismatch: turn 0: no totalTokens; taken as inputTokens + outputTokens (13)',
      'legacy-mismatch: turn 0: input details add up to 30 (0 plain + 30 cache read + 0 cache write) but inputTokens is 10; kept as recorded',
      'legacy-mismatch: turn 0: output details add up to 4 but outputTokens is 3; kept as recorded',
    ]);
  });

  it('a total that is not input + output, and top-level counts that disagree with the details', () => {
    const r = one({
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 16,
      cachedInputTokens: 3,
      reasoningTokens: 1,
      inputTokenDetails: { cacheReadTokens: 4 },
      outputTokenDetails: { reasoningTokens: 2 },
    });
    assert.deepEqual(r.usage.inputTokenDetails, {
      noCacheTokens: 6,
      cacheReadTokens: 4,
      cacheWriteTokens: 0,
    });
    assert.deepEqual(r.usage.outputTokenDetails, { textTokens: 3, reasoningTokens: 2 });
    assert.equal(r.usage.totalTokens, 16);
    assert.deepEqual(r.problems, [
      'legacy-mismatch: turn 0: inputTokens + outputTokens is 15 but totalTokens is 16; kept',
      'legacy-mismatch: turn 0: cachedInputTokens 3 and cacheReadTokens 4 disagree; the latter kept',
      'legacy-mismatch: turn 0: reasoningTokens 1 and outputTokenDetails 2 disagree; the latter kept',
    ]);
    // Agreeing duplicates, or only one side present, say nothing.
    const agree = one({
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 15,
      cachedInputTokens: 4,
      reasoningTokens: 2,
      inputTokenDetails: { cacheReadTokens: 4 },
      outputTokenDetails: { reasoningTokens: 2 },
    });
    assert.deepEqual(agree.problems, []);
    assert.deepEqual(
      one({
        inputTokens: 10,
        outputTokens: 5,
        totalTokens: 15,
        inputTokenDetails: { cacheReadTokens: 4 },
        outputTokenDetails: { reasoningTokens: 2 },
      }).problems,
      [],
    );
  });

  it('estimatedCost: exact pico, 0 is a cost, unusable amounts are unknown and reported', () => {
    assert.deepEqual(one(entry({ estimatedCost: 0 })).cost, { pico: '0', basis: 'legacy' });
    assert.deepEqual(one(entry({ estimatedCost: 1e9 })).cost, {
      pico: '1000000000000000000000',
      basis: 'legacy',
    });
    for (const bad of [-0.01, 1e9 + 1]) {
      const r = one(entry({ estimatedCost: bad }));
      assert.deepEqual(r.cost, { pico: null, basis: 'unknown' });
      assert.deepEqual(r.problems, [`legacy-mismatch: estimatedCost ${bad} is not an amount; cost unknown`]);
    }
  });

  it('without estimatedCost the callback prices the turn (model of the file, no provider)', () => {
    const seen = [];
    const price = (u, model, provider) => {
      seen.push([u.inputTokens, model, provider]);
      return { pico: '77', basis: 'computed' };
    };
    const out = convert(
      { modelId: 'gpt-4o', tokenUsage: [entry(), entry({ estimatedCost: 0.5 })] },
      { price },
    );
    assert.deepEqual(seen, [[100, 'gpt-4o', '']]);
    assert.deepEqual(
      out.events.filter((e) => e.type === 'request.usage').map((e) => e.cost),
      [
        { pico: '77', basis: 'computed' },
        { pico: '500000000000', basis: 'legacy' },
      ],
    );
  });
});

describe('message-history fields of the wrong type', () => {
  it('are ignored one by one, never failing the file', () => {
    const out = convert({
      sessionId: 12,
      modelId: ['gpt'],
      title: { t: 1 },
      createdAt: true,
      updatedAt: 'not a date',
      messages: 'hello',
      tokenUsage: [entry({ stepIndex: 0 })],
    });
    assert.deepEqual(out.problems, []);
    assert.deepEqual(out.events[0], {
      v: 1,
      at: FALLBACK,
      type: 'session.created',
      sessionId: 'mh',
      title: '',
      provider: '',
      model: '',
    });
    assert.equal(out.events.filter((e) => e.type === 'message').length, 0);
    const noUsage = convert({ messages: [{ role: 'user', content: 'x' }], tokenUsage: { 0: entry() } });
    assert.deepEqual(noUsage.notes, ['message history without tokenUsage: 1 messages, no usage recorded']);
  });

  it('entries: counts from 0 to 1e12, stepIndex included; details of the wrong shape refuse the entry', () => {
    const problems = (e: object) =>
      convert({ tokenUsage: [e] }).problems.filter((p) => p.startsWith('bad-line'));
    assert.deepEqual(
      problems(entry({ stepIndex: 1e12, inputTokens: 1e12, outputTokens: 0, totalTokens: 1e12 })),
      [],
    );
    for (const bad of [
      { stepIndex: -1 },
      { stepIndex: 1e12 + 1 },
      { stepIndex: 0.5 },
      { outputTokens: 1e12 + 1 },
      { totalTokens: -1 },
      { cachedInputTokens: -1 },
      { reasoningTokens: 1.5 },
      { inputTokenDetails: { noCacheTokens: -1 } },
      { inputTokenDetails: { cacheWriteTokens: 'x' } },
      { outputTokenDetails: { textTokens: -1 } },
      { timestamp: 'yesterday' },
      { estimatedCost: '0.1' },
    ]) {
      assert.equal(problems(entry(bad)).length, 1, JSON.stringify(bad));
    }
    assert.equal(problems({ outputTokens: 1 }).length, 1);
  });
});
