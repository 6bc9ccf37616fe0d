/**
 * The fast path at its edges, line by line: every bound of the schema (ids, texts, counts,
 * versions, times) taken exactly at the limit and one past it, and every optional part present
 * and absent. At the limit the fast path returns the event zod returns; past it, it steps aside.
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { sessionEventSchema } from '../../../src/core/sessions/events';
import { parseCanonicalEvent } from '../../../src/core/sessions/fastEvent';

const AT = '2026-01-02T10:00:00.000Z';

/** The canonical line of `body` (as the writer writes it) and the fast path's answer. */
function fast(body: Record<string, unknown>): unknown {
  return parseCanonicalEvent(JSON.stringify({ v: 1, at: AT, ...body }));
}

/** The fast path takes the canonical line and returns exactly what zod returns. */
function takes(body: Record<string, unknown>): void {
  const event = sessionEventSchema.parse({ v: 1, at: AT, ...body });
  const line = JSON.stringify(event);
  assert.deepStrictEqual(parseCanonicalEvent(line), event, line);
}

const U = {
  inputTokens: 10,
  inputTokenDetails: { noCacheTokens: 5, cacheReadTokens: 3, cacheWriteTokens: 2 },
  outputTokens: 7,
  outputTokenDetails: { textTokens: 6, reasoningTokens: 1 },
  totalTokens: 17,
  source: 'provider',
};
const C = { pico: '123', basis: 'computed' };

function usageLine(over: { usage?: object; cost?: object; final?: boolean } = {}) {
  return { type: 'request.usage', requestId: 'r1', usage: U, cost: C, final: true, ...over };
}

describe('the fast path at its bounds', () => {
  it('the head: v from 1 to 9 digits, at of 1 to 64 characters', () => {
    assert.deepStrictEqual(
      parseCanonicalEvent(`{"v":1,"at":"${AT}","type":"turn.started","turnId":"t","index":0}`),
      {
        v: 1,
        at: AT,
        type: 'turn.started',
        turnId: 't',
        index: 0,
      },
    );
    assert.equal(
      parseCanonicalEvent(`{"v":999999999,"at":"x","type":"turn.started","turnId":"t","index":3}`).v,
      999999999,
    );
    assert.equal(
      parseCanonicalEvent(`{"v":1000000000,"at":"x","type":"turn.started","turnId":"t","index":3}`),
      undefined,
    );
    assert.equal(
      parseCanonicalEvent(`{"v":0,"at":"x","type":"turn.started","turnId":"t","index":3}`),
      undefined,
    );
    assert.equal(
      parseCanonicalEvent(`{"v":1,"at":"","type":"turn.started","turnId":"t","index":3}`),
      undefined,
    );
    assert.equal(
      parseCanonicalEvent(`{"v":1,"at":"${'a'.repeat(64)}","type":"turn.started","turnId":"t","index":3}`).at,
      'a'.repeat(64),
    );
    assert.equal(
      parseCanonicalEvent(`{"v":1,"at":"${'a'.repeat(65)}","type":"turn.started","turnId":"t","index":3}`),
      undefined,
    );
    assert.equal(
      parseCanonicalEvent(` {"v":1,"at":"x","type":"turn.started","turnId":"t","index":3}`),
      undefined,
    );
  });

  it('steps aside for the kinds it does not build', () => {
    assert.equal(fast({ type: 'session.renamed', title: 'x' }), undefined);
    assert.equal(fast({ type: 'message', message: { role: 'user', content: 'hi' } }), undefined);
    assert.equal(
      fast({ type: 'session.created', sessionId: 's', title: '', provider: '', model: '' }),
      undefined,
    );
  });

  it('turn.started: ids of 1 to 200 characters, counts up to 1e12', () => {
    takes({ type: 'turn.started', turnId: 'i'.repeat(200), index: 1e12 });
    assert.equal(fast({ type: 'turn.started', turnId: 'i'.repeat(201), index: 0 }), undefined);
    assert.equal(fast({ type: 'turn.started', turnId: '', index: 0 }), undefined);
    assert.equal(fast({ type: 'turn.started', turnId: 't', index: 1e12 + 1 }), undefined);
    assert.equal(fast({ type: 'turn.started', turnId: 't', index: 1.5 }), undefined);
    assert.equal(
      parseCanonicalEvent(`{"v":1,"at":"x","type":"turn.started","turnId":"t","index":0}x`),
      undefined,
    );
  });

  it('turn.ended and request.ended: with and without an error of at most 4000 characters', () => {
    for (const [type, key] of [
      ['turn.ended', 'turnId'],
      ['request.ended', 'requestId'],
    ]) {
      takes({ type, [key]: 'x', status: 'interrupted' });
      takes({ type, [key]: 'x', status: 'failed', error: 'e'.repeat(4000) });
      takes({ type, [key]: 'x'.repeat(200), status: 'completed', error: '' });
      assert.equal(fast({ type, [key]: 'x', status: 'failed', error: 'e'.repeat(4001) }), undefined);
      assert.equal(fast({ type, [key]: 'x'.repeat(201), status: 'failed' }), undefined);
      assert.equal(fast({ type, [key]: '', status: 'failed' }), undefined);
      assert.equal(fast({ type, [key]: 'x', status: 'running' }), undefined);
    }
    assert.deepStrictEqual(fast({ type: 'turn.ended', turnId: 't', status: 'failed', error: 'boom' }), {
      v: 1,
      at: AT,
      type: 'turn.ended',
      turnId: 't',
      status: 'failed',
      error: 'boom',
    });
    assert.deepStrictEqual(fast({ type: 'request.ended', requestId: 'r', status: 'completed' }), {
      v: 1,
      at: AT,
      type: 'request.ended',
      requestId: 'r',
      status: 'completed',
    });
  });

  it('request.started: turnId optional, provider ≤ 100, model ≤ 200, purpose defaults to chat', () => {
    takes({ type: 'request.started', requestId: 'r', provider: 'p'.repeat(100), model: 'm'.repeat(200) });
    takes({
      type: 'request.started',
      requestId: 'r',
      turnId: 't'.repeat(200),
      provider: '',
      model: '',
      purpose: 'title',
    });
    assert.deepStrictEqual(
      parseCanonicalEvent(
        `{"v":1,"at":"x","type":"request.started","requestId":"r","provider":"p","model":"m"}`,
      ),
      { v: 1, at: 'x', type: 'request.started', requestId: 'r', provider: 'p', model: 'm', purpose: 'chat' },
    );
    assert.deepStrictEqual(
      fast({
        type: 'request.started',
        requestId: 'r',
        turnId: 't',
        provider: 'p',
        model: 'm',
        purpose: 'subagent',
      }),
      {
        v: 1,
        at: AT,
        type: 'request.started',
        requestId: 'r',
        turnId: 't',
        provider: 'p',
        model: 'm',
        purpose: 'subagent',
      },
    );
    assert.equal(
      fast({ type: 'request.started', requestId: 'r', provider: 'p'.repeat(101), model: 'm' }),
      undefined,
    );
    assert.equal(
      fast({ type: 'request.started', requestId: 'r', provider: 'p', model: 'm'.repeat(201) }),
      undefined,
    );
    assert.equal(
      fast({ type: 'request.started', requestId: 'r', turnId: '', provider: 'p', model: 'm' }),
      undefined,
    );
    assert.equal(
      fast({ type: 'request.started', requestId: 'r', turnId: 't'.repeat(201), provider: 'p', model: 'm' }),
      undefined,
    );
    assert.equal(fast({ type: 'request.started', requestId: '', provider: 'p', model: 'm' }), undefined);
  });

  it('request.usage: every count up to 1e12, each one past it steps aside', () => {
    takes(usageLine());
    const big = {
      inputTokens: 1e12,
      inputTokenDetails: {
        noCacheTokens: 1e12,
        cacheReadTokens: 1e12,
        cacheWriteTokens: 1e12,
        cacheWrite1hTokens: 1e12,
      },
      outputTokens: 1e12,
      outputTokenDetails: { textTokens: 1e12, reasoningTokens: 1e12 },
      totalTokens: 1e12,
      source: 'legacy',
    };
    takes(usageLine({ usage: big }));
    const paths = [
      ['inputTokens'],
      ['inputTokenDetails', 'noCacheTokens'],
      ['inputTokenDetails', 'cacheReadTokens'],
      ['inputTokenDetails', 'cacheWriteTokens'],
      ['inputTokenDetails', 'cacheWrite1hTokens'],
      ['outputTokens'],
      ['outputTokenDetails', 'textTokens'],
      ['outputTokenDetails', 'reasoningTokens'],
      ['totalTokens'],
    ];
    for (const p of paths) {
      const u = structuredClone(big);
      if (p.length === 1) u[p[0]] = 1e12 + 1;
      else u[p[0]][p[1]] = 1e12 + 1;
      assert.equal(fast(usageLine({ usage: u })), undefined, p.join('.'));
    }
  });

  it('request.usage: cacheWrite1hTokens and raw are kept only when present', () => {
    const with1h = { ...U, inputTokenDetails: { ...U.inputTokenDetails, cacheWrite1hTokens: 0 } };
    const got = fast(usageLine({ usage: with1h }));
    assert.deepStrictEqual(got.usage.inputTokenDetails, {
      noCacheTokens: 5,
      cacheReadTokens: 3,
      cacheWriteTokens: 2,
      cacheWrite1hTokens: 0,
    });
    const plain = fast(usageLine());
    assert.deepStrictEqual(plain, {
      v: 1,
      at: AT,
      type: 'request.usage',
      requestId: 'r1',
      usage: U,
      cost: C,
      final: true,
    });
    assert.ok(!('raw' in plain.usage));
    assert.ok(!('cacheWrite1hTokens' in plain.usage.inputTokenDetails));
    const raw = { a: [1, '}'], b: null };
    assert.deepStrictEqual(fast(usageLine({ usage: { ...U, raw } })).usage.raw, raw);
    takes(usageLine({ usage: { ...U, raw: null } }));
    // A raw value that is not JSON (the regex takes anything there) steps aside.
    const line = JSON.stringify({ v: 1, at: AT, ...usageLine({ usage: { ...U, raw: 1 } }) }).replace(
      '"raw":1',
      '"raw":01',
    );
    assert.equal(parseCanonicalEvent(line), undefined);
  });

  it('request.usage: the cost, unknown or priced, with catalog ≤ 200 and the applied prices', () => {
    assert.deepStrictEqual(fast(usageLine({ cost: { pico: null, basis: 'unknown' }, final: false })).cost, {
      pico: null,
      basis: 'unknown',
    });
    assert.equal(fast(usageLine({ final: false })).final, false);
    const price = { input: '1', cacheRead: '2', cacheWrite: '3', cacheWrite1h: '4', output: '5' };
    const priced = { pico: '9'.repeat(30), basis: 'reported', catalog: 'c'.repeat(200), price };
    assert.deepStrictEqual(fast(usageLine({ cost: priced })).cost, priced);
    takes(usageLine({ cost: { ...priced, price: { ...price, tierStart: 200000 } } }));
    assert.deepStrictEqual(
      fast(usageLine({ cost: { ...priced, price: { ...price, tierStart: 0 } } })).cost.price,
      {
        ...price,
        tierStart: 0,
      },
    );
    assert.equal(fast(usageLine({ cost: { ...priced, catalog: 'c'.repeat(201) } })), undefined);
    assert.equal(fast(usageLine({ cost: { ...priced, pico: '9'.repeat(31) } })), undefined);
    assert.equal(fast(usageLine({ requestId: '' })), undefined);
    assert.equal(fast({ ...usageLine(), requestId: 'r'.repeat(201) }), undefined);
    takes({ ...usageLine(), requestId: 'r'.repeat(200) });
  });
});
