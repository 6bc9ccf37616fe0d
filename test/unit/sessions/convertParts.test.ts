/**
 * What the converters share (`convert.ts`) and how loading reports problems (`problems.ts`):
 * the clock rules for old timestamps, the pricing callback, the validation of converted events,
 * and the cap of 20 problems of one kind per file.
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import {
  EventList,
  epochMsToIso,
  isoOr,
  priceOr,
  UNKNOWN_COST,
  zodSummary,
} from '../../../src/core/sessions/convert';
import { PROBLEMS_PER_KIND, ProblemList } from '../../../src/core/sessions/problems';
import { usage } from './helpers';

const FALLBACK = '2026-05-05T05:05:05.005Z';

function ctx(price?: unknown) {
  return { sessionId: 's', problems: new ProblemList('/f'), fallbackTime: FALLBACK, price };
}

describe('converters: what they share', () => {
  describe('epochMsToIso', () => {
    it('takes epoch milliseconds from 1e11 (March 1973) up to the last valid Date', () => {
      assert.equal(epochMsToIso(1e11, FALLBACK), '1973-03-03T09:46:40.000Z');
      assert.equal(epochMsToIso(1767603605000, FALLBACK), '2026-01-05T09:00:05.000Z');
      assert.equal(epochMsToIso(8.64e15, FALLBACK), '+275760-09-13T00:00:00.000Z');
    });

    it('falls back for performance.now() readings, non-numbers and times past the last Date', () => {
      assert.equal(epochMsToIso(1e11 - 1, FALLBACK), FALLBACK);
      assert.equal(epochMsToIso(1234.5, FALLBACK), FALLBACK);
      assert.equal(epochMsToIso(8.64e15 + 1, FALLBACK), FALLBACK);
      assert.equal(epochMsToIso(Number.NaN, FALLBACK), FALLBACK);
      assert.equal(epochMsToIso(Number.POSITIVE_INFINITY, FALLBACK), FALLBACK);
      assert.equal(epochMsToIso('1767603605000', FALLBACK), FALLBACK);
      assert.equal(epochMsToIso(undefined, FALLBACK), FALLBACK);
    });
  });

  describe('isoOr', () => {
    it('normalizes a parsable string of at most 64 characters to ISO', () => {
      assert.equal(isoOr('2026-01-02T10:00:00Z', FALLBACK), '2026-01-02T10:00:00.000Z');
      const padded = `Jan 2 2026 10:00:00 GMT${' '.repeat(41)}`;
      assert.equal(padded.length, 64);
      assert.equal(isoOr(padded, FALLBACK), '2026-01-02T10:00:00.000Z');
    });

    it('takes a number as epoch milliseconds, with the same floor', () => {
      assert.equal(isoOr(1767603605000, FALLBACK), '2026-01-05T09:00:05.000Z');
      assert.equal(isoOr(5000, FALLBACK), FALLBACK);
    });

    it('falls back for an empty, too long, unparsable or non-string value', () => {
      assert.equal(isoOr('', FALLBACK), FALLBACK);
      assert.equal(isoOr(`Jan 2 2026 10:00:00 GMT${' '.repeat(42)}`, FALLBACK), FALLBACK);
      assert.equal(isoOr('yesterday', FALLBACK), FALLBACK);
      assert.equal(isoOr(null, FALLBACK), FALLBACK);
      assert.equal(isoOr({}, FALLBACK), FALLBACK);
    });
  });

  describe('priceOr', () => {
    const u = usage(10, 2, 3, 4, 1);

    it('without a callback the cost is unknown (never $0), one frozen record', () => {
      assert.equal(priceOr(ctx(), u, 'gpt-4o', 'openai'), UNKNOWN_COST);
      assert.deepEqual(UNKNOWN_COST, { pico: null, basis: 'unknown' });
      assert.ok(Object.isFrozen(UNKNOWN_COST));
    });

    it('passes usage, model and provider to the callback and keeps its cost, validated', () => {
      const calls = [];
      const c = priceOr(
        ctx((...args) => {
          calls.push(args);
          return { pico: '1500', basis: 'computed', catalog: 'test', extra: 1 };
        }),
        u,
        'gpt-4o',
        'openai',
      );
      assert.deepEqual(calls, [[u, 'gpt-4o', 'openai']]);
      assert.deepEqual(c, { pico: '1500', basis: 'computed', catalog: 'test' });
    });

    it('a callback that throws or returns something that is not a cost gives unknown', () => {
      const thrown = priceOr(
        ctx(() => {
          throw new Error('no price');
        }),
        u,
        'm',
        'p',
      );
      assert.equal(thrown, UNKNOWN_COST);
      assert.equal(
        priceOr(
          ctx(() => ({ pico: '-1', basis: 'computed' })),
          u,
          'm',
          'p',
        ),
        UNKNOWN_COST,
      );
    });
  });

  describe('EventList', () => {
    it('adds v and at and keeps a valid event as zod returns it', () => {
      const problems = new ProblemList('/f');
      const list = new EventList(problems);
      list.push('2026-01-01T00:00:00.000Z', {
        type: 'request.started',
        requestId: 'r',
        provider: 'p',
        model: 'm',
      });
      assert.deepEqual(list.events, [
        {
          v: 1,
          at: '2026-01-01T00:00:00.000Z',
          type: 'request.started',
          requestId: 'r',
          provider: 'p',
          model: 'm',
          purpose: 'chat',
        },
      ]);
      assert.deepEqual(problems.done(), []);
    });

    it('reports an event that fails the schema as a bad line, and keeps nothing of it', () => {
      const problems = new ProblemList('/f');
      const list = new EventList(problems);
      list.push('', { type: 'turn.started', turnId: '', index: -1 });
      assert.deepEqual(list.events, []);
      assert.deepEqual(problems.done(), [
        {
          file: '/f',
          kind: 'bad-line',
          message:
            'a converted turn.started event failed the schema: at: Too small: expected string to have >=1 characters; ' +
            'turnId: Too small: expected string to have >=1 characters; index: Too small: expected number to be >=0',
        },
      ]);
    });
  });

  it('zodSummary: at most three issues, dotted paths, (root) for the value itself', () => {
    const issues = [
      { path: [], message: 'a' },
      { path: ['x', 0, 'y'], message: 'b' },
      { path: ['z'], message: 'c' },
      { path: ['w'], message: 'd' },
    ];
    assert.equal(zodSummary({ issues }), '(root): a; x.0.y: b; z: c');
  });
});

describe('problems: one list per file', () => {
  it('keeps 20 of one kind one by one, then one summary line for the rest', () => {
    assert.equal(PROBLEMS_PER_KIND, 20);
    const list = new ProblemList('/log');
    for (let i = 1; i <= 23; i++) list.add('bad-line', `line ${i}`);
    list.add('torn-tail', 'cut off', '/aside/x.torn');
    list.add('legacy-mismatch', 'odd');
    assert.equal(list.items.length, 22);
    assert.deepEqual(list.items[19], { file: '/log', kind: 'bad-line', message: 'line 20' });
    assert.deepEqual(list.items.slice(20), [
      { file: '/log', kind: 'torn-tail', message: 'cut off', keptAt: '/aside/x.torn' },
      { file: '/log', kind: 'legacy-mismatch', message: 'odd' },
    ]);
    assert.ok(!('keptAt' in list.items[21]));
    const done = list.done();
    assert.equal(done.length, 23);
    assert.deepEqual(done[22], { file: '/log', kind: 'bad-line', message: '3 more of these (23 in all)' });
  });

  it('exactly 20 of one kind is no overflow; 21 is one more', () => {
    const list = new ProblemList('/log');
    for (let i = 0; i < 20; i++) list.add('unreadable', 'u');
    assert.equal(list.done().length, 20);
    list.add('unreadable', 'u');
    assert.deepEqual(list.done().slice(20), [
      { file: '/log', kind: 'unreadable', message: '1 more of these (21 in all)' },
    ]);
  });
});
