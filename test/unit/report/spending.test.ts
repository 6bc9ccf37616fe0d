/**
 * The spending report: every grouping, time zone edges (a turn across midnight, DST, +05:45, a
 * 30-minute DST shift), ISO weeks, filters, unknown prices, and totals that add up exactly.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emptyTotals } from '../../../src/core/ledger/derive';
import {
  GROUP_BY,
  isoWeekOfDay,
  type ReportRow,
  SpendingOptionError,
  spendingReport,
  ZoneCalendar,
} from '../../../src/core/report/spending';

function row(start: string | number, p: Partial<ReportRow> & { tokens?: number; pico?: bigint | null } = {}) {
  const tokens = p.tokens ?? 100;
  const usage = emptyTotals();
  usage.inputTokens = tokens;
  usage.inputTokenDetails.noCacheTokens = tokens;
  usage.totalTokens = tokens;
  const unknown = p.pico === null;
  const r: ReportRow = {
    start: typeof start === 'number' ? start : Date.parse(start),
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    turns: 1,
    requests: 1,
    pricedRequests: 1,
    unknownCostRequests: unknown ? 1 : 0,
    unknownCostTokens: unknown ? tokens : 0,
    usage,
    costPico: unknown ? 0n : (p.pico ?? 1_000_000n),
    sessionId: 's1',
    sessionTitle: 'One',
    workspace: '/work/a',
    deleted: false,
  };
  const { tokens: _t, pico: _p, ...rest } = p;
  return { ...r, ...rest };
}

const keys = (rows: ReportRow[], by: (typeof GROUP_BY)[number], tz: string) =>
  spendingReport(rows, { by, tz }).groups.map((g) => g.key);

describe('spending report', () => {
  describe('days in a time zone', () => {
    it('a turn that runs past midnight belongs to the day it started, in the chosen zone', () => {
      // 23:50 in Paris (UTC+1 in January): the turn started on the 2nd, though its requests ran on the 3rd.
      const r = row('2026-01-02T22:50:00Z');
      assert.deepEqual(keys([r], 'day', 'Europe/Paris'), ['2026-01-02']);
      assert.deepEqual(keys([r], 'day', 'UTC'), ['2026-01-02']);
      assert.deepEqual(keys([r], 'day', 'Asia/Tokyo'), ['2026-01-03']);
      assert.deepEqual(keys([r], 'day', 'America/Los_Angeles'), ['2026-01-02']);
    });

    it('a +05:45 zone (Kathmandu) changes day at 18:15 UTC', () => {
      const before = row('2026-01-01T18:14:59.999Z');
      const after = row('2026-01-01T18:15:00Z');
      assert.deepEqual(keys([before, after], 'day', 'Asia/Kathmandu'), ['2026-01-01', '2026-01-02']);
      // Per-UTC-hour buckets could not tell these apart; the rows keep the turn's start.
      assert.deepEqual(keys([before, after], 'day', 'UTC'), ['2026-01-01']);
    });

    it('a +09:30 and a −03:30 zone', () => {
      const r = row('2026-06-10T14:29:00Z');
      assert.deepEqual(keys([r], 'day', 'Australia/Darwin'), ['2026-06-10']); // 23:59
      assert.deepEqual(keys([row('2026-06-10T14:30:00Z')], 'day', 'Australia/Darwin'), ['2026-06-11']);
      assert.deepEqual(keys([row('2026-01-10T03:29:00Z')], 'day', 'America/St_Johns'), ['2026-01-09']);
      assert.deepEqual(keys([row('2026-01-10T03:30:00Z')], 'day', 'America/St_Johns'), ['2026-01-10']);
    });

    it('across the spring-forward and fall-back transitions (New York)', () => {
      const tz = 'America/New_York';
      // 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC. Midnight was 05:00 UTC (EST).
      assert.deepEqual(keys([row('2026-03-08T04:59:59Z')], 'day', tz), ['2026-03-07']);
      assert.deepEqual(keys([row('2026-03-08T05:00:00Z')], 'day', tz), ['2026-03-08']);
      // The next midnight is 04:00 UTC (EDT).
      assert.deepEqual(keys([row('2026-03-09T03:59:59Z')], 'day', tz), ['2026-03-08']);
      assert.deepEqual(keys([row('2026-03-09T04:00:00Z')], 'day', tz), ['2026-03-09']);
      // 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00 UTC; that day lasts 25 hours.
      assert.deepEqual(keys([row('2026-11-01T03:59:59Z')], 'day', tz), ['2026-10-31']);
      assert.deepEqual(keys([row('2026-11-01T04:00:00Z')], 'day', tz), ['2026-11-01']);
      assert.deepEqual(keys([row('2026-11-02T04:59:59Z')], 'day', tz), ['2026-11-01']);
      assert.deepEqual(keys([row('2026-11-02T05:00:00Z')], 'day', tz), ['2026-11-02']);
    });

    it('inside the hour where the offset changes, each instant gets its own offset', () => {
      const cal = new ZoneCalendar('Europe/Paris');
      // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
      assert.equal(cal.offsetAt(Date.parse('2026-03-29T00:59:59Z')), 3_600_000);
      assert.equal(cal.offsetAt(Date.parse('2026-03-29T01:00:00Z')), 7_200_000);
      assert.equal(cal.localMs(Date.parse('2026-03-29T00:30:00Z')), Date.parse('2026-03-29T01:30:00Z'));
      assert.equal(cal.localMs(Date.parse('2026-03-29T01:30:00Z')), Date.parse('2026-03-29T03:30:00Z'));
    });

    it('a 30-minute DST shift (Lord Howe Island: +10:30 / +11)', () => {
      const tz = 'Australia/Lord_Howe';
      // Standard time (+10:30) in June: midnight is 13:30 UTC the day before.
      assert.deepEqual(keys([row('2026-06-14T13:29:00Z')], 'day', tz), ['2026-06-14']);
      assert.deepEqual(keys([row('2026-06-14T13:30:00Z')], 'day', tz), ['2026-06-15']);
      // Daylight time (+11) in January: midnight is 13:00 UTC.
      assert.deepEqual(keys([row('2026-01-14T12:59:00Z')], 'day', tz), ['2026-01-14']);
      assert.deepEqual(keys([row('2026-01-14T13:00:00Z')], 'day', tz), ['2026-01-15']);
    });
  });

  describe('weeks and months', () => {
    it('ISO weeks start on Monday, in the zone', () => {
      // Monday 2026-01-05 00:30 in Tokyo is Sunday 15:30 UTC: another week there than in UTC.
      const r = row('2026-01-04T15:30:00Z');
      assert.deepEqual(keys([r], 'week', 'Asia/Tokyo'), ['2026-W02']);
      assert.deepEqual(keys([r], 'week', 'UTC'), ['2026-W01']);
    });

    it('the ISO week-year differs from the calendar year at its edges', () => {
      const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
      assert.equal(isoWeekOfDay(day('2025-12-29')), '2026-W01'); // a Monday, week 1 of 2026
      assert.equal(isoWeekOfDay(day('2025-12-28')), '2025-W52'); // the Sunday before
      assert.equal(isoWeekOfDay(day('2027-01-01')), '2026-W53'); // a Friday
      assert.equal(isoWeekOfDay(day('2027-01-04')), '2027-W01');
      assert.equal(isoWeekOfDay(day('2021-01-03')), '2020-W53');
      assert.equal(isoWeekOfDay(day('1969-12-29')), '1970-W01');
    });

    it('months in the zone', () => {
      const r = row('2026-01-31T23:30:00Z');
      assert.deepEqual(keys([r], 'month', 'UTC'), ['2026-01']);
      assert.deepEqual(keys([r], 'month', 'Europe/Berlin'), ['2026-02']);
    });
  });

  describe('groupings', () => {
    const rows = [
      row('2026-01-02T10:00:00Z', { model: 'gpt-4o', provider: 'openai', pico: 3n, sessionId: 'a' }),
      row('2026-01-02T11:00:00Z', {
        model: 'claude-sonnet-4-5',
        pico: 5n,
        sessionId: 'b',
        workspace: '/w/b',
      }),
      row('2026-01-03T11:00:00Z', {
        model: 'llama3',
        provider: 'openai-compatible',
        pico: null,
        sessionId: 'c',
        sessionTitle: 'Gone',
        deleted: true,
      }),
    ];

    it('by model and provider: costs and unknown prices apart', () => {
      const m = spendingReport(rows, { by: 'model', tz: 'UTC' });
      assert.deepEqual(
        m.groups.map((g) => [g.key, g.cost, g.unknownCostRequests]),
        [
          ['claude-sonnet-4-5', '0.000000000005', 0],
          ['gpt-4o', '0.000000000003', 0],
          ['llama3', null, 1], // unknown, never $0
        ],
      );
      assert.equal(m.total.cost, '0.000000000008');
      assert.equal(m.total.unknownCostRequests, 1);
      assert.equal(m.total.unknownCostTokens, 100);
      const p = spendingReport(rows, { by: 'provider', tz: 'UTC' });
      assert.deepEqual(
        p.groups.map((g) => g.key),
        ['anthropic', 'openai', 'openai-compatible'],
      );
    });

    it('by workspace and by session (deleted sessions still count)', () => {
      const w = spendingReport(rows, { by: 'workspace', tz: 'UTC' });
      assert.deepEqual(
        w.groups.map((g) => [g.key, g.sessions]),
        [
          ['/w/b', 1],
          ['/work/a', 2],
        ],
      );
      const s = spendingReport(rows, { by: 'session', tz: 'UTC' });
      assert.deepEqual(
        s.groups.map((g) => [g.key, g.label]),
        [
          ['b', 'One'],
          ['a', 'One'],
          ['c', 'Gone (deleted)'],
        ],
      );
      assert.equal(s.total.sessions, 3);
      assert.equal(s.total.turns, 3);
    });

    it('since and until are inclusive local days', () => {
      const r = spendingReport(rows, { by: 'day', tz: 'UTC', since: '2026-01-03', until: '2026-01-03' });
      assert.deepEqual(
        r.groups.map((g) => g.key),
        ['2026-01-03'],
      );
      assert.equal(r.total.requests, 1);
      // In Honolulu (−10) the 3rd's 11:00 UTC is still the 3rd, the 2nd's 10:00 UTC is the 2nd (00:00).
      const h = spendingReport(rows, { by: 'day', tz: 'Pacific/Honolulu', until: '2026-01-02' });
      assert.equal(h.total.requests, 2);
    });

    it('bad options are one clear error', () => {
      assert.throws(() => spendingReport([], { by: 'day', tz: 'Mars/Olympus' }), SpendingOptionError);
      assert.throws(() => spendingReport([], { by: 'day', since: '2026-02-30' }), /since must be a date/);
      assert.throws(
        () => spendingReport([], { by: 'day', since: '2026-02-03', until: '2026-02-01' }),
        /after/,
      );
      assert.throws(() => spendingReport([], { by: 'year' as 'day' }), /by must be one of/);
    });
  });

  it('for every grouping and zone, the groups add up to the total exactly, and to the rows', () => {
    const zones = ['UTC', 'Asia/Kathmandu', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham'];
    const rowArb = fc.record({
      start: fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') }),
      tokens: fc.integer({ min: 0, max: 1_000_000 }),
      pico: fc.option(fc.bigInt({ min: 0n, max: 10n ** 15n }), { nil: null }),
      model: fc.constantFrom('a', 'b', 'c'),
      sessionId: fc.constantFrom('s1', 's2', 's3', 's4'),
      workspace: fc.constantFrom('/w1', '/w2'),
    });
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 40 }),
        fc.constantFrom(...GROUP_BY),
        fc.constantFrom(...zones),
        (spec, by, tz) => {
          const rows = spec.map((s) => row(s.start, { ...s }));
          const r = spendingReport(rows, { by, tz });
          let pico = 0n;
          let tokens = 0;
          let turns = 0;
          for (const g of r.groups) {
            pico += toPico(g.cost);
            tokens += g.totalTokens;
            turns += g.turns;
          }
          const expected = rows.reduce((a, x) => a + x.costPico, 0n);
          assert.equal(pico, expected);
          assert.equal(toPico(r.total.cost), expected);
          assert.equal(
            tokens,
            rows.reduce((a, x) => a + x.usage.totalTokens, 0),
          );
          assert.equal(r.total.turns, turns);
          assert.equal(r.total.turns, rows.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});

function toPico(cost: string | null): bigint {
  if (cost === null) return 0n;
  const [w, f = ''] = cost.split('.');
  return BigInt(w!) * 10n ** 12n + BigInt(f.padEnd(12, '0'));
}
