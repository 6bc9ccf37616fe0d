/**
 * What a webview sends is untrusted input: every message kind with wrong types, missing fields,
 * extra fields, 10 MB payloads and prototype-pollution keys is rejected with a reason, and
 * nothing it sends can change Object.prototype.
 */
import assert from 'node:assert/strict';
import { MAX_MESSAGE_BYTES, parseWebviewMessage } from '../../../src/extension/webviewMessages';

/** One valid message of each kind. */
const VALID: Record<string, Record<string, unknown>> = {
  ready: { type: 'ready', view: 'chat' },
  'chat.send': { type: 'chat.send', text: 'hello' },
  'chat.stop': { type: 'chat.stop' },
  'chat.approve': { type: 'chat.approve', toolCallId: 'call-1', approved: true },
  'chat.selectModel': { type: 'chat.selectModel' },
  'chat.openTurn': { type: 'chat.openTurn', turnId: 't-1' },
  'session.new': { type: 'session.new' },
  'session.switch': { type: 'session.switch' },
  'usage.export': { type: 'usage.export', format: 'csv' },
  'usage.copyMarkdown': { type: 'usage.copyMarkdown' },
};

const FREE_TEXT = new Set(['text', 'toolCallId', 'turnId']);
const WRONG_VALUES: unknown[] = [
  null,
  undefined,
  0,
  -1,
  1.5,
  Number.NaN,
  '',
  'x',
  true,
  [],
  {},
  ['chat'],
  { a: 1 },
];
const BIG = 'x'.repeat(10 * 1024 * 1024);

function rejected(raw: unknown, why?: RegExp): string {
  const r = parseWebviewMessage(raw);
  if (r.ok) assert.fail(`accepted: ${JSON.stringify(r.message).slice(0, 200)}`);
  if (r.ok) return '';
  assert.ok(r.reason.length > 0 && r.reason.length < 500, `a short reason: ${r.reason.slice(0, 100)}`);
  if (why) assert.match(r.reason, why);
  return r.reason;
}

function assertClean(): void {
  const probe = {} as Record<string, unknown>;
  for (const k of ['polluted', 'isAdmin', 'type', 'view', 'text']) assert.equal(probe[k], undefined, k);
}

describe('hardening: messages from a webview', () => {
  afterEach(assertClean);

  it('every kind: the valid message is accepted as it is', () => {
    for (const [kind, msg] of Object.entries(VALID)) {
      const r = parseWebviewMessage(structuredClone(msg));
      assert.ok(r.ok, kind);
      assert.deepEqual(r.message, msg);
    }
  });

  it('every kind: each field with a wrong type is rejected, naming the field', () => {
    let cases = 0;
    for (const msg of Object.values(VALID)) {
      for (const field of Object.keys(msg)) {
        for (const wrong of WRONG_VALUES) {
          if (JSON.stringify(wrong) === JSON.stringify(msg[field])) continue;
          // Any non-empty string is a valid prompt or id.
          if (FREE_TEXT.has(field) && typeof wrong === 'string' && wrong !== '') continue;
          const reason = rejected({ ...msg, [field]: wrong });
          if (field !== 'type') assert.match(reason, new RegExp(field), reason);
          cases++;
        }
      }
    }
    assert.ok(cases > 150, `${cases} cases`);
  });

  it('every kind: each missing field is rejected', () => {
    for (const msg of Object.values(VALID)) {
      for (const field of Object.keys(msg)) {
        const { [field]: _, ...rest } = msg;
        rejected(rest);
      }
    }
  });

  it('every kind: an extra field is rejected (strict objects)', () => {
    for (const msg of Object.values(VALID)) {
      rejected({ ...msg, extra: 1 }, /extra|Unrecognized/i);
      rejected({ ...msg, command: 'rm -rf /' });
    }
  });

  it('every kind: a 10 MB payload is rejected before any parsing', () => {
    for (const msg of Object.values(VALID)) {
      const started = performance.now();
      rejected({ ...msg, blob: BIG }, /too large/);
      const key = Object.keys(msg).find((k) => k !== 'type') ?? 'type';
      rejected({ ...msg, [key]: BIG }, /too large/);
      assert.ok(performance.now() - started < 5000);
    }
    rejected({ type: 'chat.send', text: 'x'.repeat(MAX_MESSAGE_BYTES) }, /too large/);
    // A prompt just under the limit of the schema, but past the message cap, is refused too.
    rejected({ type: 'chat.send', text: '\u{1F600}'.repeat(300_000) });
  });

  it('every kind: prototype-pollution keys are rejected, at any depth, and pollute nothing', () => {
    for (const msg of Object.values(VALID)) {
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        // As JSON.parse (and structured cloning) deliver them: own keys.
        const raw = JSON.parse(`{"${key}":{"polluted":true},${JSON.stringify(msg).slice(1)}`);
        rejected(raw, /prototype-pollution|Unrecognized/);
        const nested = JSON.parse(
          `{"type":${JSON.stringify(msg.type)},"x":{"y":{"${key}":{"polluted":true}}}}`,
        );
        rejected(nested);
      }
    }
    assertClean();
  });

  it('what is not a message at all is rejected: primitives, arrays, unknown kinds, cycles, bigints', () => {
    for (const raw of [
      null,
      undefined,
      0,
      'ready',
      true,
      [],
      [VALID.ready],
      { type: 'nope' },
      { type: 1 },
      {},
    ]) {
      rejected(raw);
    }
    const cyclic: Record<string, unknown> = { type: 'chat.stop' };
    cyclic.self = cyclic;
    rejected(cyclic, /not serializable/);
    rejected({ type: 'chat.send', text: 10n }, /not serializable/);
    let deep: unknown = { type: 'chat.stop' };
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    rejected(deep);
  });

  it('strings: empty text, over-long ids and an unknown view or format are rejected', () => {
    rejected({ type: 'chat.send', text: '' });
    rejected({ type: 'chat.send', text: 'x'.repeat(200_001) });
    rejected({ type: 'chat.approve', toolCallId: 'x'.repeat(201), approved: true });
    rejected({ type: 'chat.openTurn', turnId: '' });
    rejected({ type: 'ready', view: 'settings' });
    rejected({ type: 'usage.export', format: 'xml' });
  });
});
