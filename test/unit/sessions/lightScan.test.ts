/**
 * The light scan (`lightScan.ts`) against the full load: on any log, the state it folds gives the
 * same summary (totals, context window, spending rows, turns, requests, times, title) and the same
 * problems, and every line it takes by itself is one JSON.parse + zod accept with the same v and at.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { contextWindow, sessionTotals } from '../../../src/core/ledger/derive';
import { foldEvents, type SessionState } from '../../../src/core/ledger/ledger';
import { bucketedSpendRows, bucketRows, spendRows } from '../../../src/core/ledger/spendRows';
import { sessionEventSchema } from '../../../src/core/sessions/events';
import { checkedMessageLine, LightSink, skipJsonValue } from '../../../src/core/sessions/lightScan';
import { parseLog } from '../../../src/core/sessions/parseLog';
import { ProblemList } from '../../../src/core/sessions/problems';

const text = fc.oneof(
  { arbitrary: fc.stringMatching(/^[ -~]{0,12}$/), weight: 12 },
  fc.string({ unit: 'binary-ascii', maxLength: 12 }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'a"b', 'a\\b', 'tab\there', 'ünï', '\u2028', 'x'.repeat(201), 'z'.repeat(4001)),
);
const asciiId = fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/);
const id = fc.oneof({ arbitrary: fc.constantFrom('t0', 't1', 'r0', 'r1', 'r2'), weight: 8 }, asciiId, text);
const count = fc.oneof(
  { arbitrary: fc.nat(), weight: 40 },
  fc.constantFrom(0, 1e12 - 1, 1e12, 1e12 + 1, 999_999_999_999, -1, 1.5, 2 ** 53),
);
const version = fc.oneof({ arbitrary: fc.constant(1), weight: 10 }, fc.constantFrom(0, -1, 2, 1.5, 1e9));
const at = fc.oneof(
  {
    arbitrary: fc
      .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
      .map((d) => d.toISOString()),
    weight: 6,
  },
  text,
);
const usage = fc.record(
  {
    inputTokens: count,
    inputTokenDetails: fc.record(
      { noCacheTokens: count, cacheReadTokens: count, cacheWriteTokens: count, cacheWrite1hTokens: count },
      { requiredKeys: ['noCacheTokens', 'cacheReadTokens', 'cacheWriteTokens'] },
    ),
    outputTokens: count,
    outputTokenDetails: fc.record({ textTokens: count, reasoningTokens: count }),
    totalTokens: count,
    source: fc.constantFrom('provider', 'estimated', 'legacy', 'other'),
    raw: fc.jsonValue({ maxDepth: 2 }),
  },
  {
    requiredKeys: [
      'inputTokens',
      'inputTokenDetails',
      'outputTokens',
      'outputTokenDetails',
      'totalTokens',
      'source',
    ],
  },
);
const cost = fc.record(
  {
    pico: fc.oneof(
      fc.constant(null),
      fc.bigInt({ min: 0n, max: 10n ** 31n }).map(String),
      fc.constant('1.5'),
    ),
    basis: fc.constantFrom('computed', 'reported', 'legacy', 'unknown', 'free'),
    catalog: text,
  },
  { requiredKeys: ['pico', 'basis'] },
);
const status = fc.constantFrom('completed', 'interrupted', 'failed', 'streaming', 'running');
/** Message bodies near the edge of what zod accepts: duplicate roles, no content, odd keys. */
const messageBody = fc.oneof(
  {
    arbitrary: fc.record(
      {
        role: fc.constantFrom('user', 'assistant', 'tool', 'system', 'robot'),
        content: fc.oneof(fc.jsonValue({ maxDepth: 5 }), text),
        providerOptions: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['role'] },
    ),
    weight: 6,
  },
  fc.jsonValue({ maxDepth: 2 }),
);
const rawMessage = fc.constantFrom(
  '{"role":"user","content":"a","role":"robot"}',
  '{"role":"robot","content":"a","role":"user"}',
  '{"role":"user","content":"a","__proto__":{"x":1}}',
  '{"role":"user","content":"a","r\\u006fle":"robot"}',
  '{"role":"user","content":[1,2.5e3,-0,{"a":[true,false,null]}]}',
  '{"role":"user","content":"\\ud800 \\u00e9 \\n"}',
  '{"role":"user","content":"bad \\x escape"}',
  '{"role":"user","content":01}',
  '{"role":"user","content":[1,]}',
  '{"role":"user","content":[[[[[[[[1]]]]]]]]}',
  '{"role":"user","content":"a"} ',
  '{"role":"user" ,"content":"a"}',
  '{"role":"user","content":"ünïcode"}',
);

const event = fc.oneof(
  fc.record({ v: version, at, type: fc.constant('turn.started'), turnId: id, index: count }),
  fc.record(
    { v: version, at, type: fc.constant('turn.ended'), turnId: id, status, error: text },
    { requiredKeys: ['v', 'at', 'type', 'turnId', 'status'] },
  ),
  fc.record(
    {
      v: version,
      at,
      type: fc.constant('request.started'),
      requestId: id,
      turnId: id,
      provider: text,
      model: text,
      purpose: fc.constantFrom('chat', 'title', 'summary', 'compaction', 'subagent', 'other'),
    },
    { requiredKeys: ['v', 'at', 'type', 'requestId', 'provider', 'model'] },
  ),
  fc.record(
    { v: version, at, type: fc.constant('request.ended'), requestId: id, status, error: text },
    { requiredKeys: ['v', 'at', 'type', 'requestId', 'status'] },
  ),
  fc.record({
    v: version,
    at,
    type: fc.constant('request.usage'),
    requestId: id,
    usage,
    cost,
    final: fc.boolean(),
  }),
  fc.record(
    { v: version, at, type: fc.constant('message'), turnId: id, message: messageBody },
    { requiredKeys: ['v', 'at', 'type', 'message'] },
  ),
  fc.record({
    v: version,
    at,
    type: fc.constant('session.created'),
    sessionId: id,
    title: text,
    provider: text,
    model: text,
    approximate: fc.boolean(),
  }),
);

/** A log line: as the writer writes it (zod output, schema order) when valid, else as is; sometimes altered. */
const line = fc.oneof(
  {
    arbitrary: fc
      .tuple(event, fc.constantFrom('plain', 'plain', 'plain', 'shuffle', 'extra'))
      .map(([e, how]) => {
        const parsed = sessionEventSchema.safeParse(e);
        let obj = (parsed.success ? parsed.data : e) as Record<string, unknown>;
        if (how === 'shuffle') obj = Object.fromEntries(Object.entries(obj).reverse());
        if (how === 'extra') obj = { ...obj, extra: 1 };
        return JSON.stringify(obj);
      }),
    weight: 12,
  },
  fc
    .tuple(at, fc.option(id, { nil: undefined }), rawMessage)
    .map(
      ([a, t, m]) =>
        `{"v":1,"at":${JSON.stringify(a)},"type":"message"${t === undefined ? '' : `,"turnId":${JSON.stringify(t)}`},"message":${m}}`,
    ),
  fc.constantFrom('', 'not json', '{"v":1}', '{"type":"usage","turn":0}'),
);

/** What a summary is made of. */
function summaryOf(s: SessionState) {
  const w = contextWindow(s, null);
  return {
    title: s.title,
    provider: s.provider,
    model: s.model,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    importedFrom: s.importedFrom,
    approximate: s.approximate,
    turns: s.turns.length,
    requests: s.requests.size,
    totals: sessionTotals(s),
    window: [w.usedTokens, w.requestId === null ? null : s.requests.get(w.requestId)?.model],
    spend: spendRows(s),
  };
}

describe('the light scan of a log', () => {
  it('folds the same summary and reports the same problems as the full load, on any log', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.boolean(), (lines, torn) => {
        const buf = Buffer.from(`${lines.join('\n')}${torn ? '' : '\n'}`, 'utf8');
        const full = new ProblemList('f');
        const parsed = parseLog(buf, full);
        const light = new ProblemList('f');
        const sink = new LightSink('x', isUtf8(buf));
        const lp = parseLog(buf, light, sink);
        assert.deepStrictEqual(light.done(), full.done());
        assert.deepStrictEqual(
          { ...lp, events: undefined, torn: lp.torn?.toString('hex') },
          {
            ...parsed,
            eventCount: parsed.events.length,
            events: undefined,
            torn: parsed.torn?.toString('hex'),
          },
        );
        const state = foldEvents('x', parsed.events);
        assert.equal(sink.state.approximate, state.approximate);
        assert.deepStrictEqual(summaryOf(sink.state), summaryOf(state));
        // What the index keeps: the per-turn rows summed per quarter-hour, built in one pass.
        assert.deepStrictEqual(bucketedSpendRows(state), bucketRows(spendRows(state)));
      }),
      { numRuns: 1500 },
    );
  });

  it('checks by itself only message lines that JSON.parse + zod accept, with the same v and at', () => {
    let taken = 0;
    fc.assert(
      fc.property(line, (l) => {
        const t = Buffer.from(`${l}\n`, 'utf8').toString('latin1');
        const skip = checkedMessageLine(t, 0, t.length - 1, isUtf8(Buffer.from(l, 'utf8')));
        if (!skip) return;
        taken++;
        const slow = sessionEventSchema.safeParse(JSON.parse(l));
        assert.ok(slow.success, `took an invalid line: ${l}`);
        assert.equal(slow.data.v, skip.v);
        assert.equal(slow.data.at, skip.at);
      }),
      { numRuns: 3000 },
    );
    assert.ok(taken > 100, `taken ${taken} times`);
  });

  it('skips a JSON value exactly where JSON.parse says it ends, or steps aside', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom('', ']', ',1', 'x'), (v, tail) => {
        const json = JSON.stringify(v);
        const t = Buffer.from(json + tail, 'utf8').toString('latin1');
        const end = skipJsonValue(t, 0, t.length, true);
        if (end >= 0) assert.equal(end, Buffer.byteLength(json));
      }),
      { numRuns: 2000 },
    );
    for (const bad of ['01', '[1,]', '{"a":1,}', '"\\x"', '1.', '-', 'tru', '{"a" :1}', '[1 ]']) {
      assert.equal(skipJsonValue(bad, 0, bad.length, true) === bad.length, false, bad);
    }
  });

  it('vouches for every value JSON.stringify writes, and for nothing JSON.parse refuses (values with an edit)', () => {
    const edits = fc.constantFrom(
      '',
      '"',
      '\\',
      ',',
      ':',
      '[',
      ']',
      '{',
      '}',
      'e',
      'E',
      '+',
      '-',
      '.',
      '0',
      'u',
      'x',
      '\n',
      ' ',
      '\u00e9',
      't',
      'f',
      'n',
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.nat(2), edits, (v, at, del, ins) => {
        const json = JSON.stringify(v);
        const whole = Buffer.from(json, 'utf8').toString('latin1');
        assert.equal(skipJsonValue(whole, 0, whole.length, true), whole.length, json);
        const k = at % (json.length + 1);
        const edited = json.slice(0, k) + ins + json.slice(k + del);
        const t = Buffer.from(edited, 'utf8').toString('latin1');
        const end = skipJsonValue(t, 0, t.length, true);
        if (end === t.length) {
          accepted++;
          assert.doesNotThrow(() => JSON.parse(edited), edited);
        }
      }),
      { numRuns: 4000 },
    );
    assert.ok(accepted > 400, `accepted ${accepted}`);
    const good = ['1e5', '1E+5', '-0.5e-3', '0', '-0', '12.50', '"\\u00e9\\/"', '"\\b\\f\\n\\r\\t\\"\\\\"'];
    for (const g of [...good, 'true', 'false', 'null', '[true,false,null]', '{"a":[],"b":{}}', '[]', '{}']) {
      assert.equal(skipJsonValue(g, 0, g.length, true), g.length, g);
    }
    const bad = [
      '1e',
      '1e+',
      '-a',
      '"\\u12"',
      '"\\u12g4"',
      '"a\u0001"',
      'nul',
      'fals',
      'truex',
      '[1,2',
      '{"a"}',
      '{"a":}',
      '{1:2}',
      '"é"',
    ];
    for (const b of bad) assert.notEqual(skipJsonValue(b, 0, b.length, b !== '"é"'), b.length, b);
    // Bytes above 0x7f (UTF-8 in a latin1 string) only when the caller checked the bytes.
    const e = Buffer.from('"é"', 'utf8').toString('latin1');
    assert.equal(skipJsonValue(e, 0, e.length, true), e.length);
    assert.equal(skipJsonValue(e, 0, e.length, false), -1);
    // Nesting: 64 levels are vouched for, 65 step aside.
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    assert.equal(skipJsonValue(deep(64), 0, 128, true), 128);
    assert.equal(skipJsonValue(deep(65), 0, 130, true), -1);
  });
});
