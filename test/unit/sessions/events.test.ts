/**
 * The v1 event schema (events.ts), bound by bound: what a log line may hold and what makes it a
 * bad line. Each limit is taken at the limit (kept) and one past it (refused).
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { LOG_VERSION, sessionEventSchema } from '../../../src/core/sessions/events';

const AT = '2026-01-02T10:00:00.000Z';
const U = {
  inputTokens: 10,
  inputTokenDetails: { noCacheTokens: 5, cacheReadTokens: 3, cacheWriteTokens: 2 },
  outputTokens: 7,
  outputTokenDetails: { textTokens: 6, reasoningTokens: 1 },
  totalTokens: 17,
  source: 'provider',
};
const PRICE = { input: '1', cacheRead: '2', cacheWrite: '3', cacheWrite1h: '4', output: '5' };

const BASE = {
  'session.created': { sessionId: 's', title: 't', provider: 'p', model: 'm' },
  'session.renamed': { title: 't' },
  'turn.started': { turnId: 't', index: 0 },
  'turn.ended': { turnId: 't', status: 'completed' },
  'request.started': { requestId: 'r', provider: 'p', model: 'm', purpose: 'chat' },
  'request.usage': { requestId: 'r', usage: U, cost: { pico: '1', basis: 'computed' }, final: true },
  'request.ended': { requestId: 'r', status: 'completed' },
  message: { message: { role: 'user', content: 'hi' } },
};

function event(type: string, over: Record<string, unknown> = {}) {
  return { v: 1, at: AT, type, ...BASE[type], ...over };
}

/** The schema keeps it, exactly as given. */
function keeps(e: object): void {
  const r = sessionEventSchema.safeParse(e);
  assert.ok(r.success, `refused: ${JSON.stringify(e).slice(0, 200)} ${r.success ? '' : r.error.message}`);
  assert.deepStrictEqual(r.data, e);
}

/** The schema refuses it. */
function refuses(e: object): void {
  assert.equal(sessionEventSchema.safeParse(e).success, false, `kept: ${JSON.stringify(e).slice(0, 200)}`);
}

const usageWith = (over: object) => event('request.usage', { usage: { ...U, ...over } });
const costWith = (over: object) =>
  event('request.usage', { cost: { pico: '1', basis: 'computed', ...over } });

describe('the v1 event schema', () => {
  it('is version 1', () => {
    assert.equal(LOG_VERSION, 1);
  });

  it('every kind of event as this build writes it', () => {
    for (const type of Object.keys(BASE)) keeps(event(type));
    refuses(event('turn.paused'));
  });

  it('v is a positive integer; at is 1 to 64 characters', () => {
    keeps(event('turn.started', { v: 2 }));
    refuses(event('turn.started', { v: 0 }));
    refuses(event('turn.started', { v: 1.5 }));
    keeps(event('turn.started', { at: 'a' }));
    keeps(event('turn.started', { at: 'a'.repeat(64) }));
    refuses(event('turn.started', { at: '' }));
    refuses(event('turn.started', { at: 'a'.repeat(65) }));
  });

  it('ids are 1 to 200 characters', () => {
    for (const [type, key] of [
      ['session.created', 'sessionId'],
      ['turn.started', 'turnId'],
      ['turn.ended', 'turnId'],
      ['request.started', 'requestId'],
      ['request.started', 'turnId'],
      ['request.usage', 'requestId'],
      ['request.ended', 'requestId'],
      ['message', 'turnId'],
    ]) {
      keeps(event(type, { [key]: 'i' }));
      keeps(event(type, { [key]: 'i'.repeat(200) }));
      refuses(event(type, { [key]: '' }));
      refuses(event(type, { [key]: 'i'.repeat(201) }));
    }
  });

  it('counts are integers from 0 to 1e12', () => {
    keeps(event('turn.started', { index: 1e12 }));
    refuses(event('turn.started', { index: 1e12 + 1 }));
    refuses(event('turn.started', { index: -1 }));
    refuses(event('turn.started', { index: 0.5 }));
    const top = ['inputTokens', 'outputTokens', 'totalTokens'];
    for (const f of top) {
      keeps(usageWith({ [f]: 1e12 }));
      refuses(usageWith({ [f]: 1e12 + 1 }));
      refuses(usageWith({ [f]: -1 }));
    }
    for (const f of ['noCacheTokens', 'cacheReadTokens', 'cacheWriteTokens', 'cacheWrite1hTokens']) {
      keeps(usageWith({ inputTokenDetails: { ...U.inputTokenDetails, [f]: 1e12 } }));
      refuses(usageWith({ inputTokenDetails: { ...U.inputTokenDetails, [f]: 1e12 + 1 } }));
      refuses(usageWith({ inputTokenDetails: { ...U.inputTokenDetails, [f]: -1 } }));
    }
    for (const f of ['textTokens', 'reasoningTokens']) {
      keeps(usageWith({ outputTokenDetails: { ...U.outputTokenDetails, [f]: 1e12 } }));
      refuses(usageWith({ outputTokenDetails: { ...U.outputTokenDetails, [f]: 1e12 + 1 } }));
    }
  });

  it('usage: details required, 1-hour writes and raw optional, three sources', () => {
    keeps(usageWith({ raw: { anything: [1, 'x'] } }));
    keeps(usageWith({ inputTokenDetails: { ...U.inputTokenDetails, cacheWrite1hTokens: 0 } }));
    for (const source of ['provider', 'estimated', 'legacy']) keeps(usageWith({ source }));
    refuses(usageWith({ source: 'guess' }));
    refuses(usageWith({ inputTokenDetails: { noCacheTokens: 5, cacheReadTokens: 3 } }));
    refuses(usageWith({ outputTokenDetails: { textTokens: 6 } }));
    refuses(event('request.usage', { final: 'yes' }));
  });

  it('cost: up to 30 digits of pico or null, four bases, catalog ≤ 200, applied prices', () => {
    keeps(costWith({ pico: '0' }));
    keeps(costWith({ pico: '9'.repeat(30) }));
    keeps(costWith({ pico: null, basis: 'unknown' }));
    for (const pico of ['', '9'.repeat(31), '1.5', '-1', 'x1', '1x', ' 1']) refuses(costWith({ pico }));
    for (const basis of ['computed', 'reported', 'legacy', 'unknown']) keeps(costWith({ basis }));
    refuses(costWith({ basis: 'free' }));
    keeps(costWith({ catalog: 'c'.repeat(200) }));
    refuses(costWith({ catalog: 'c'.repeat(201) }));
    keeps(costWith({ price: PRICE }));
    keeps(costWith({ price: { ...PRICE, tierStart: 200000 } }));
    keeps(costWith({ price: { ...PRICE, tierStart: 0 } }));
    refuses(costWith({ price: { ...PRICE, tierStart: -1 } }));
    refuses(costWith({ price: { ...PRICE, tierStart: 1.5 } }));
    for (const k of Object.keys(PRICE)) {
      const { [k]: _, ...rest } = PRICE;
      refuses(costWith({ price: rest }));
    }
  });

  it('session.created: title ≤ 500, provider ≤ 100, model ≤ 200, importedFrom and approximate optional', () => {
    keeps(
      event('session.created', { title: 't'.repeat(500), provider: 'p'.repeat(100), model: 'm'.repeat(200) }),
    );
    refuses(event('session.created', { title: 't'.repeat(501) }));
    refuses(event('session.created', { provider: 'p'.repeat(101) }));
    refuses(event('session.created', { model: 'm'.repeat(201) }));
    keeps(event('session.created', { title: '', provider: '', model: '' }));
    keeps(
      event('session.created', {
        importedFrom: { file: 'f'.repeat(4096), sha256: 'h'.repeat(128) },
        approximate: true,
      }),
    );
    keeps(event('session.created', { approximate: false }));
    refuses(event('session.created', { importedFrom: { file: 'f'.repeat(4097), sha256: 'h' } }));
    refuses(event('session.created', { importedFrom: { file: 'f', sha256: 'h'.repeat(129) } }));
    refuses(event('session.created', { importedFrom: { file: 'f' } }));
    keeps(event('session.renamed', { title: 't'.repeat(500) }));
    refuses(event('session.renamed', { title: 't'.repeat(501) }));
  });

  it('request.started: provider ≤ 100, model ≤ 200, five purposes, chat by default', () => {
    keeps(event('request.started', { provider: 'p'.repeat(100), model: 'm'.repeat(200) }));
    refuses(event('request.started', { provider: 'p'.repeat(101) }));
    refuses(event('request.started', { model: 'm'.repeat(201) }));
    for (const purpose of ['chat', 'title', 'summary', 'compaction', 'subagent'])
      keeps(event('request.started', { purpose }));
    refuses(event('request.started', { purpose: 'other' }));
    const { purpose: _, ...noPurpose } = event('request.started');
    assert.equal(sessionEventSchema.parse(noPurpose).purpose, 'chat');
  });

  it('ends: three statuses each (not streaming, not running), errors ≤ 4000', () => {
    for (const status of ['completed', 'interrupted', 'failed']) {
      keeps(event('turn.ended', { status }));
      keeps(event('request.ended', { status }));
    }
    refuses(event('turn.ended', { status: 'running' }));
    refuses(event('request.ended', { status: 'streaming' }));
    for (const type of ['turn.ended', 'request.ended']) {
      keeps(event(type, { status: 'failed', error: 'e'.repeat(4000) }));
      refuses(event(type, { status: 'failed', error: 'e'.repeat(4001) }));
    }
  });

  it('message: four roles, any content, extra fields kept', () => {
    for (const role of ['system', 'user', 'assistant', 'tool'])
      keeps(event('message', { message: { role, content: [1] } }));
    keeps(event('message', { message: { role: 'assistant', content: [], providerOptions: { x: 1 } } }));
    refuses(event('message', { message: { role: 'robot', content: '' } }));
  });
});
