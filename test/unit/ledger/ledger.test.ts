import assert from 'node:assert/strict';
import fc from 'fast-check';
import { contextWindow, sessionTotals, turnTotals } from '../../../src/core/ledger/derive';
import { foldEvents } from '../../../src/core/ledger/ledger';
import type { SessionEvent } from '../../../src/core/sessions/events';
import { ev, usage } from '../../support/events';

describe('ledger', () => {
  it('sums a turn of three requests and takes the context window from the latest request only', () => {
    const s = foldEvents('s1', [
      ev.created(),
      ev.turn('t1', 0),
      ev.req('r1', 't1'),
      ev.usage('r1', usage({ noCache: 1000, text: 50 }), 3_000_000_000n),
      ev.reqEnd('r1'),
      ev.req('r2', 't1'),
      ev.usage('r2', usage({ noCache: 100, cacheRead: 1000, text: 40, reasoning: 10 }), 1_000_000_000n),
      ev.reqEnd('r2'),
      ev.req('r3', 't1'),
      ev.usage('r3', usage({ noCache: 200, cacheRead: 1100, cacheWrite: 30, text: 70 }), 2_000_000_000n),
      ev.reqEnd('r3'),
      ev.turnEnd('t1'),
    ]);
    const turn = turnTotals(s, s.turns[0]!);
    assert.equal(turn.usage.inputTokens, 1000 + 1100 + 1330);
    assert.equal(turn.usage.inputTokenDetails.cacheReadTokens, 2100);
    assert.equal(turn.usage.inputTokenDetails.cacheWriteTokens, 30);
    assert.equal(turn.usage.outputTokens, 50 + 50 + 70);
    assert.equal(turn.usage.outputTokenDetails.reasoningTokens, 10);
    assert.equal(turn.cost.knownPico, 6_000_000_000n);
    // The window holds the latest prompt (cache included) plus its output, not the turn's sum.
    const cw = contextWindow(s, 128_000);
    assert.equal(cw.usedTokens, 1330 + 70);
    assert.equal(cw.percent, 1.1);
    assert.equal(cw.requestId, 'r3');
    assert.equal(s.turns[0]!.status, 'completed');
  });

  it('replaces an earlier snapshot with a later one and never lets a stale partial undo a final one', () => {
    const s = foldEvents('s1', [
      ev.created(),
      ev.turn('t1', 0),
      ev.req('r1', 't1'),
      ev.usage('r1', usage({ noCache: 500 }), 1n, false),
      ev.usage('r1', usage({ noCache: 500, text: 20 }), 2n, true),
      ev.usage('r1', usage({ noCache: 500 }), 1n, false),
    ]);
    const r = s.requests.get('r1')!;
    assert.equal(r.usage!.outputTokens, 20);
    assert.equal(r.costPico, 2n);
    assert.equal(sessionTotals(s).usage.totalTokens, 520);
  });

  it('keeps unknown prices apart from known ones and counts title requests in the session total', () => {
    const s = foldEvents('s1', [
      ev.created(),
      ev.turn('t1', 0),
      ev.req('r1', 't1'),
      ev.usage('r1', usage({ noCache: 10, text: 1 }), null),
      ev.req('title', 't1', 'title'),
      ev.usage('title', usage({ noCache: 5, text: 3 }), 7n),
    ]);
    const total = sessionTotals(s);
    assert.deepEqual(total.cost, { knownPico: 7n, unknownCount: 1 });
    assert.equal(total.usage.totalTokens, 19);
    // A title call has a prompt of its own: it is not the conversation's window.
    assert.equal(contextWindow(s, null).usedTokens, 11);
    assert.equal(contextWindow(s, null).percent, null);
  });

  it('counts events that refer to unknown requests or turns instead of throwing', () => {
    const s = foldEvents('s1', [ev.created(), ev.usage('nope', usage({ noCache: 1 }), 1n), ev.turnEnd('x')]);
    assert.equal(s.orphans, 2);
    assert.equal(sessionTotals(s).usage.totalTokens, 0);
  });

  const snapshot = fc.record({
    req: fc.integer({ min: 0, max: 5 }),
    noCache: fc.nat(100_000),
    cacheRead: fc.nat(100_000),
    cacheWrite: fc.nat(10_000),
    text: fc.nat(10_000),
    reasoning: fc.nat(10_000),
    pico: fc.option(fc.bigInt({ min: 0n, max: 10n ** 13n })),
    final: fc.boolean(),
  });

  it('totals equal the sums of their parts for any sequence of snapshots, and repeats count once', () => {
    fc.assert(
      fc.property(fc.array(snapshot, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (snaps, repeat) => {
        const events: SessionEvent[] = [ev.created(), ev.turn('t0', 0), ev.turn('t1', 1)];
        for (let i = 0; i < 6; i++) events.push(ev.req(`r${i}`, i % 2 ? 't1' : 't0'));
        // The model of the truth: per request, the last final snapshot, else the last one.
        const expected = new Map<number, (typeof snaps)[number]>();
        for (const sn of snaps) {
          const e = ev.usage(`r${sn.req}`, usage(sn), sn.pico, sn.final);
          for (let k = 0; k < repeat; k++) events.push(e);
          const prev = expected.get(sn.req);
          if (!(prev?.final && !sn.final)) expected.set(sn.req, sn);
        }
        const s = foldEvents('s1', events);
        const total = sessionTotals(s);
        let tokens = 0;
        let pico = 0n;
        let unknown = 0;
        for (const sn of expected.values()) {
          tokens += sn.noCache + sn.cacheRead + sn.cacheWrite + sn.text + sn.reasoning;
          if (sn.pico === null) unknown++;
          else pico += sn.pico;
        }
        assert.equal(total.usage.totalTokens, tokens);
        assert.equal(total.cost.knownPico, pico);
        assert.equal(total.cost.unknownCount, unknown);
        const t0 = turnTotals(s, s.turns[0]!);
        const t1 = turnTotals(s, s.turns[1]!);
        assert.equal(t0.usage.totalTokens + t1.usage.totalTokens, total.usage.totalTokens);
        assert.equal(t0.cost.knownPico + t1.cost.knownPico, total.cost.knownPico);
        assert.equal(
          total.usage.inputTokens,
          total.usage.inputTokenDetails.noCacheTokens +
            total.usage.inputTokenDetails.cacheReadTokens +
            total.usage.inputTokenDetails.cacheWriteTokens,
        );
      }),
      { numRuns: 300 },
    );
  });
});
