import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sessionEventSchema } from '../../../src/core/sessions/events';
import { parseCanonicalEvent } from '../../../src/core/sessions/fastEvent';
import { parseLog } from '../../../src/core/sessions/parseLog';
import { ProblemList } from '../../../src/core/sessions/problems';

/** The line as the loader hands it to the fast path: its bytes, one char per byte. */
function asLoaderSees(line: string): string {
  return Buffer.from(line, 'utf8').toString('latin1');
}

const text = fc.oneof(
  { arbitrary: fc.stringMatching(/^[ -~]{0,12}$/), weight: 12 },
  fc.string({ unit: 'binary-ascii', maxLength: 12 }),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.constantFrom(
    '',
    'a"b',
    'a\\b',
    'tab\there',
    'ünï',
    '\u2028',
    'x'.repeat(65),
    'y'.repeat(201),
    'z'.repeat(4001),
  ),
);
const asciiId = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/);
const id = fc.oneof({ arbitrary: asciiId, weight: 8 }, text);
const count = fc.oneof(
  { arbitrary: fc.nat(), weight: 40 },
  fc.constantFrom(0, 1e12, 1e12 + 1, 9_999_999_999_999, -1, 1.5, 2 ** 53),
  fc.double(),
);
const version = fc.oneof(
  { arbitrary: fc.constant(1), weight: 10 },
  fc.constantFrom(0, -1, 2, 1.5, 1e9, 2 ** 60),
);
const at = fc.oneof(
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  text,
);
const tricky = fc.constantFrom(
  { x: { y: 1 }, cost: { pico: null, basis: 'unknown' }, final: true },
  '},"cost":{"pico":null,"basis":"unknown"},"final":true}',
  [1, { a: '}' }],
  null,
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
    source: fc.constantFrom('provider', 'estimated', 'legacy', 'provider', 'other'),
    raw: fc.oneof(fc.jsonValue({ maxDepth: 2 }), tricky),
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
      fc.constantFrom('-1', '1.5', ''),
    ),
    basis: fc.constantFrom('computed', 'reported', 'legacy', 'unknown', 'free'),
    catalog: text,
    price: fc.record(
      { input: text, cacheRead: text, cacheWrite: text, cacheWrite1h: text, output: text, tierStart: count },
      { requiredKeys: ['input', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'output'] },
    ),
  },
  { requiredKeys: ['pico', 'basis'] },
);
const status = fc.constantFrom('completed', 'interrupted', 'failed', 'completed', 'streaming', 'running');

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
  fc.record({ v: version, at, type: fc.constant('session.renamed'), title: text }),
);

/** The line as the writer would write it (zod output, schema key order) when valid, else as is. */
function serialize(e: unknown, shuffle: boolean, extra: boolean): string {
  const parsed = sessionEventSchema.safeParse(e);
  let obj = (parsed.success ? parsed.data : e) as Record<string, unknown>;
  if (shuffle) obj = Object.fromEntries(Object.entries(obj).reverse());
  if (extra) obj = { ...obj, extra: 1 };
  return JSON.stringify(obj);
}

describe('the fast path of loading', () => {
  it('agrees exactly with JSON.parse + zod on any line, or steps aside', () => {
    let taken = 0;
    fc.assert(
      fc.property(event, fc.boolean(), fc.boolean(), (e, shuffle, extra) => {
        const line = serialize(e, shuffle, extra);
        const fast = parseCanonicalEvent(asLoaderSees(line));
        const slow = sessionEventSchema.safeParse(JSON.parse(line));
        if (fast !== undefined) {
          assert.ok(slow.success, `fast path accepted an invalid line: ${line}`);
          assert.deepStrictEqual(fast, slow.data);
          taken++;
        }
      }),
      { numRuns: 3000 },
    );
    // The generator is near the boundary often enough that both sides of it are exercised.
    assert.ok(taken > 150, `fast path taken ${taken} times`);
  });

  it('takes every valid canonical ASCII line of the common kinds', () => {
    fc.assert(
      fc.property(event, (e) => {
        const parsed = sessionEventSchema.safeParse(e);
        fc.pre(parsed.success && parsed.data.type !== 'session.renamed' && parsed.data.v < 1e9);
        const line = JSON.stringify(parsed.data);
        fc.pre(/^[\x20-\x7e]*$/.test(line) && !line.includes('\\'));
        assert.deepStrictEqual(parseCanonicalEvent(line), sessionEventSchema.parse(JSON.parse(line)));
      }),
      { numRuns: 2000 },
    );
  });

  it('the loader returns the same events as JSON.parse + zod, line for line', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        const lines = events.map((e) => serialize(e, false, false));
        const problems = new ProblemList('x');
        const parsed = parseLog(Buffer.from(`${lines.join('\n')}\n`, 'utf8'), problems);
        const expected = lines.flatMap((l) => {
          const r = sessionEventSchema.safeParse(JSON.parse(l));
          return r.success ? [r.data] : [];
        });
        assert.deepStrictEqual(parsed.events, expected);
      }),
      { numRuns: 300 },
    );
  });
});
