/**
 * The index sums spending per session, provider, model and UTC quarter-hour. These tests hold
 * a report over those sums to the report over the per-turn rows, exactly (tokens, bigint
 * pico-dollars, turns, sessions), for every grouping, day filters and zones whose offsets are
 * :30 and :45, change with DST, or were not whole quarter-hours (Monrovia's −0:44:30 until 1972,
 * Kiritimati's −10:40 until 1979: there a local midnight cuts a quarter-hour and the report
 * reads that session's own rows).
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import fc from 'fast-check';
import { emptyTotals } from '../../../src/core/ledger/derive';
import {
  bucketRows,
  isoMs,
  SPEND_BUCKET_MS,
  type SpendRow,
  spendRows,
} from '../../../src/core/ledger/spendRows';
import { collectSummaries, summaryRows } from '../../../src/core/report/collect';
import {
  GROUP_BY,
  type ReportRow,
  reportRowsOf,
  type SpendingOptions,
  spendingReport,
} from '../../../src/core/report/spending';
import { SessionStore } from '../../../src/core/sessions/store';
import { cost, recordTurn, tempStorage, usage } from '../sessions/helpers';

const ZONES = [
  'UTC',
  'Asia/Kathmandu',
  'America/St_Johns',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Europe/Paris',
  'America/Havana',
  'Africa/Monrovia',
  'Pacific/Kiritimati',
  'Asia/Kolkata',
];

/** Windows the turns fall in: around DST changes, and where odd offsets were in force. */
const WINDOWS: [string, string][] = [
  ['2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z'], // US DST starts (St. John's, Havana)
  ['2026-03-28T00:00:00Z', '2026-03-30T00:00:00Z'], // EU DST starts
  ['2026-04-04T00:00:00Z', '2026-04-06T00:00:00Z'], // Lord Howe and Chatham DST end
  ['2025-12-31T00:00:00Z', '2026-01-02T00:00:00Z'],
  ['1970-03-01T00:00:00Z', '1970-03-03T00:00:00Z'], // Monrovia at −0:44:30
  ['1975-06-01T00:00:00Z', '1975-06-03T00:00:00Z'], // Kiritimati at −10:40
];

/** Local midnights inside a UTC quarter-hour: Monrovia (−0:44:30) and Kiritimati (−10:40). */
const ODD_MIDNIGHTS = ['1970-03-02T00:44:30Z', '1975-06-02T10:40:00Z'].map((d) => Date.parse(d));

const turnArb = fc.record({
  session: fc.constantFrom('s1', 's2', 's3'),
  window: fc.integer({ min: 0, max: WINDOWS.length - 1 }),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  // Turns near a quarter-hour's edges, or near a local midnight inside one.
  snap: fc.option(fc.integer({ min: -2_000, max: 2_000 }), { nil: undefined }),
  near: fc.option(fc.tuple(fc.constantFrom(...ODD_MIDNIGHTS), fc.integer({ min: -600_000, max: 600_000 })), {
    nil: undefined,
    freq: 3,
  }),
  provider: fc.constantFrom('anthropic', 'openai'),
  model: fc.constantFrom('m1', 'm2'),
  tokens: fc.integer({ min: 0, max: 5_000_000 }),
  pico: fc.option(fc.bigInt({ min: 0n, max: 10n ** 20n }), { nil: null }),
  firstOfTurn: fc.boolean(),
});

type TurnSpec = typeof turnArb extends fc.Arbitrary<infer T> ? T : never;

function rowOf(t: TurnSpec): SpendRow {
  const [from, to] = WINDOWS[t.window]!.map((d) => Date.parse(d)) as [number, number];
  let start = Math.floor(from + t.at * (to - from));
  if (t.snap !== undefined) start = Math.round(start / SPEND_BUCKET_MS) * SPEND_BUCKET_MS + t.snap;
  if (t.near !== undefined) start = t.near[0] + t.near[1];
  const usage = emptyTotals();
  usage.inputTokens = t.tokens;
  usage.inputTokenDetails.noCacheTokens = t.tokens;
  usage.totalTokens = t.tokens + 7;
  usage.outputTokens = 7;
  usage.outputTokenDetails.textTokens = 7;
  return {
    start,
    provider: t.provider,
    model: t.model,
    turns: t.firstOfTurn ? 1 : 0,
    requests: 1,
    pricedRequests: 1,
    unknownCostRequests: t.pico === null ? 1 : 0,
    unknownCostTokens: t.pico === null ? usage.totalTokens : 0,
    usage,
    costPico: t.pico ?? 0n,
  };
}

/** A day `YYYY-MM-DD` inside the windows, for --since / --until. */
const dayArb = fc
  .tuple(fc.integer({ min: 0, max: WINDOWS.length - 1 }), fc.integer({ min: -1, max: 3 }))
  .map(([w, d]) => new Date(Date.parse(WINDOWS[w]![0]) + d * 86_400_000).toISOString().slice(0, 10));

describe('spending summed per UTC quarter-hour (the index) reports exactly as per turn', () => {
  it('any rows, any grouping, any day filter, in zones of every kind of offset', () => {
    let splits = 0;
    fc.assert(
      fc.property(
        fc.array(turnArb, { maxLength: 40 }),
        fc.constantFrom(...GROUP_BY),
        fc.constantFrom(...ZONES),
        fc.option(dayArb, { nil: null }),
        fc.option(dayArb, { nil: null }),
        (turns, by, tz, a, b) => {
          const [since, until] = a && b && a > b ? [b, a] : [a, b];
          const opts: SpendingOptions = { by, tz, since, until };
          const perTurn: ReportRow[] = [];
          const summed: ReportRow[] = [];
          for (const id of ['s1', 's2', 's3']) {
            const rows = turns.filter((t) => t.session === id).map(rowOf);
            const session = { sessionId: id, title: `Session ${id}`, deleted: id === 's3' };
            perTurn.push(...reportRowsOf(rows, session, '/w'));
            const turnRows = () => {
              splits++;
              return rows;
            };
            for (const r of reportRowsOf(bucketRows(rows), session, '/w')) summed.push({ ...r, turnRows });
          }
          assert.deepStrictEqual(spendingReport(summed, opts), spendingReport(perTurn, opts));
        },
      ),
      { numRuns: 1500 },
    );
    // Monrovia and Kiritimati's midnights cut quarter-hours: the session's own rows were read.
    assert.ok(splits > 10, `split ${splits} times`);
  });

  it('bucketed rows are the per-turn rows summed: every count, the usage, the cost', () => {
    fc.assert(
      fc.property(fc.array(turnArb, { maxLength: 30 }), (turns) => {
        const rows = turns.map(rowOf);
        const sums = bucketRows(rows);
        for (const s of sums) {
          assert.equal(s.span, SPEND_BUCKET_MS);
          assert.equal(s.start % SPEND_BUCKET_MS, 0);
          const parts = rows.filter(
            (r) =>
              r.start >= s.start &&
              r.start < s.start + SPEND_BUCKET_MS &&
              r.provider === s.provider &&
              r.model === s.model,
          );
          assert.equal(
            s.costPico,
            parts.reduce((x, r) => x + r.costPico, 0n),
          );
          assert.equal(
            s.usage.totalTokens,
            parts.reduce((x, r) => x + r.usage.totalTokens, 0),
          );
          assert.equal(
            s.turns,
            parts.reduce((x, r) => x + r.turns, 0),
          );
          assert.equal(
            s.unknownCostRequests,
            parts.reduce((x, r) => x + r.unknownCostRequests, 0),
          );
        }
        assert.equal(
          sums.reduce((x, r) => x + r.requests, 0),
          rows.length,
        );
      }),
      { numRuns: 300 },
    );
  });

  describe('through a storage folder (its index, a tombstone, the logs read back where needed)', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await tempStorage();
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('equals the per-turn report of the sessions as loaded, in Monrovia 1970 and Kathmandu', async () => {
      // Turns every 7 minutes across Monrovia's local midnight (00:44:30 UTC) and Kathmandu's (18:15 UTC).
      let clock = 0;
      const store = await SessionStore.open(dir, { now: () => new Date(clock) });
      const states = [];
      const starts = [Date.parse('1970-03-01T23:58:00Z'), Date.parse('2026-03-01T17:50:00Z')];
      for (const [k, t0] of starts.entries()) {
        for (const id of [`a${k}`, `b${k}`]) {
          clock = t0;
          const w = await store.create({ title: id, provider: 'anthropic', model: 'm', sessionId: id });
          for (let i = 0; i < 12; i++) {
            clock = t0 + i * 7 * 60_000 + (id.startsWith('b') ? 150_000 : 0);
            await recordTurn(w, i, usage(1000 + i, 10, 5, 300 + i), cost(BigInt(i) * 1_000_003n), {
              model: i % 3 ? 'm' : 'n',
            });
          }
          states.push({ id, state: w.state, deleted: id === 'b0' });
          await w.close();
        }
      }
      await store.delete('b0'); // its tombstone keeps its spending
      await store.list();
      const perTurn = states.flatMap((s) =>
        reportRowsOf(spendRows(s.state), { sessionId: s.id, title: s.id, deleted: s.deleted }, '/w'),
      );
      for (const tz of ['Africa/Monrovia', 'Asia/Kathmandu', 'UTC', 'America/St_Johns']) {
        for (const by of GROUP_BY) {
          for (const [since, until] of [
            [null, null],
            ['1970-03-02', '1970-03-02'],
            ['2026-03-02', null],
          ] as const) {
            const opts = { by, tz, since, until };
            const collected = await collectSummaries([{ dir, workspace: '/w' }]);
            const got = spendingReport(summaryRows(collected), opts);
            const want = spendingReport(perTurn, opts);
            // Sessions are titled by id in `perTurn`, as the store titled them.
            assert.deepStrictEqual(got, want, `${tz} ${by} ${since} ${until}`);
          }
        }
      }
    });
  });
});

describe('reading an ISO time', () => {
  it('isoMs answers as Date.parse, on times as the log writes them and near misses', () => {
    const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true })
            .map((d) => d.toISOString()),
          fc
            .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(3))
            .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`),
          fc.string({ minLength: 24, maxLength: 24 }),
        ),
        (s) => {
          assert.ok(Object.is(isoMs(s), Date.parse(s)), s);
        },
      ),
      { numRuns: 5000 },
    );
    for (const s of [
      '2024-02-29T00:00:00.000Z',
      '2023-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '0050-01-01T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
    ])
      assert.ok(Object.is(isoMs(s), Date.parse(s)), s);
  });
});
