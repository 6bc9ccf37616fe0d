/**
 * Which path of the light scan (`lightScan.ts`) takes each line, and what it folds there. The
 * property tests in lightScan.test.ts hold the scan to the full load's results whatever path a line
 * takes; these pin that the lines Tally writes take the usual (fastest) path, that each other path
 * takes exactly its own lines, and that the message checker reads nothing past a line's end.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { foldEvents, type SessionState } from '../../../src/core/ledger/ledger';
import {
  checkedMessageLine,
  type LightPaths,
  LightSink,
  skipJsonValue,
} from '../../../src/core/sessions/lightScan';
import { parseLog } from '../../../src/core/sessions/parseLog';
import { ProblemList } from '../../../src/core/sessions/problems';
import { SessionStore } from '../../../src/core/sessions/store';
import { cost, tempStorage, usage } from './helpers';

/** The light scan of a log's text: its state, the lines each path took, the problems. */
function scan(text: string | Buffer) {
  const buf = Buffer.from(text);
  const problems = new ProblemList('f');
  // As the reader does: bytes above 0x7f may stand in strings only when the whole log is UTF-8.
  const sink = new LightSink('s', isUtf8(buf));
  parseLog(buf, problems, sink);
  return { state: sink.state, paths: sink.paths, problems: problems.done() };
}

/**
 * A state as the light scan keeps it: no conversation, no ends of turns and requests (only their
 * time), a cost without where its prices came from.
 */
function light(s: SessionState) {
  const requests = [...s.requests.values()].map(({ endedAt, status, error, ...r }) => ({
    ...r,
    cost: r.cost && { pico: r.cost.pico, basis: r.cost.basis },
  }));
  const turns = s.turns.map(({ endedAt, status, error, ...t }) => t);
  const { messages, orphans, turnsById, ...rest } = s;
  return { ...rest, requests, turns, turnIds: [...turnsById.keys()] };
}

/** The light scan of `text` folds what the full load folds (conversation and price details aside). */
function assertFoldsAsFullLoad(text: string | Buffer): LightPaths {
  const r = scan(text);
  const full = new ProblemList('f');
  const parsed = parseLog(Buffer.from(text), full);
  assert.deepStrictEqual(light(r.state), light(foldEvents('s', parsed.events)));
  assert.deepStrictEqual(r.problems, full.done());
  assert.equal(r.state.messages.length, 0, 'the light scan keeps no conversation');
  return r.paths;
}

const paths = (p: Partial<LightPaths>): LightPaths => ({
  usual: 0,
  checked: 0,
  canonical: 0,
  general: 0,
  ...p,
});

const AT = '2026-03-01T10:00:00.000Z';
const line = (o: Record<string, unknown>) => `${JSON.stringify({ v: 1, at: AT, ...o })}\n`;
const FIRST = line({ type: 'turn.started', turnId: 't0', index: 0 });
/** A content value nested `n` arrays deep. */
const nested = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n);

describe('the light scan: which path takes a line', () => {
  it('takes every turn, request and message line Tally writes by the usual path', async () => {
    const dir = await tempStorage();
    try {
      let tick = 0;
      const now = () => new Date(Date.UTC(2026, 2, 1, 10, 0, tick++));
      const store = await SessionStore.open(dir, { now });
      const w = await store.create({
        title: 'paths',
        provider: 'anthropic',
        model: 'claude',
        sessionId: 'p',
      });
      const u1h = usage(100, 2000, 300, 50, 10);
      u1h.inputTokenDetails.cacheWrite1hTokens = 200;
      const price = {
        input: '3000000',
        cacheRead: '300000',
        cacheWrite: '3750000',
        cacheWrite1h: '6000000',
        output: '15000000',
      };
      const bodies = [
        { type: 'turn.started', turnId: 't0', index: 0 },
        { type: 'message', turnId: 't0', message: { role: 'user', content: 'What does this do?' } },
        {
          type: 'request.started',
          requestId: 'r0',
          turnId: 't0',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
        },
        {
          type: 'request.usage',
          requestId: 'r0',
          usage: usage(2400, 0, 0, 0),
          cost: cost(null),
          final: false,
        },
        {
          type: 'request.usage',
          requestId: 'r0',
          usage: u1h,
          cost: {
            pico: '9876543210',
            basis: 'computed',
            catalog: 'genai-prices@0.1.8',
            price: { ...price, tierStart: 0 },
          },
          final: true,
        },
        // A late partial snapshot after the final one: the fold keeps the final one.
        { type: 'request.usage', requestId: 'r0', usage: usage(1, 1, 1, 1), cost: cost(7n), final: false },
        { type: 'request.ended', requestId: 'r0', status: 'completed' },
        {
          type: 'message',
          turnId: 't0',
          message: {
            role: 'assistant',
            content: [
              { type: 'text', text: 'It reads a file.' },
              { type: 'tool-call', toolCallId: 'c1', toolName: 'read_file', input: { path: 'a.ts' } },
            ],
          },
        },
        {
          type: 'message',
          turnId: 't0',
          message: {
            role: 'tool',
            content: [
              {
                type: 'tool-result',
                toolCallId: 'c1',
                toolName: 'read_file',
                output: { type: 'text', value: 'x' },
              },
            ],
          },
        },
        {
          type: 'request.started',
          requestId: 'r1',
          provider: 'anthropic',
          model: 'claude-haiku-4-5',
          purpose: 'title',
        },
        { type: 'request.usage', requestId: 'r1', usage: usage(10, 0, 0, 5), cost: cost(5n), final: true },
        { type: 'request.ended', requestId: 'r1', status: 'failed', error: 'overloaded' },
        { type: 'turn.ended', turnId: 't0', status: 'failed', error: 'the provider said no' },
        { type: 'turn.started', turnId: 't1', index: 1 },
        { type: 'turn.ended', turnId: 't1', status: 'completed' },
      ];
      for (const b of bodies) await w.append(b as Parameters<typeof w.append>[0]);
      await w.close();
      await store.close();
      const text = await fs.readFile(join(dir, 'sessions', 'p.jsonl'), 'utf8');
      // Everything but session.created (a line of its own kind, once a session) by the usual path.
      assert.deepStrictEqual(assertFoldsAsFullLoad(text), paths({ usual: bodies.length, general: 1 }));
      const s = scan(text).state;
      const r0 = s.requests.get('r0')!;
      assert.equal(r0.final, true);
      assert.deepStrictEqual(r0.usage, u1h);
      assert.deepStrictEqual(r0.cost, { pico: '9876543210', basis: 'computed' });
      assert.equal(r0.costPico, 9876543210n);
      assert.equal(s.requests.get('r1')!.turnId, undefined);
      assert.deepStrictEqual(s.sessionRequestIds, ['r1']);
      assert.equal(s.requests.get('r1')!.purpose, 'title');
      assert.equal(s.updatedAt, JSON.parse(text.trimEnd().split('\n').at(-1)!).at);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('takes each line by its own path: usual, checked, canonical or general', () => {
    const u = usage(5, 0, 0, 3);
    const cases: [string, string, Partial<LightPaths>][] = [
      ['turn.ended', line({ type: 'turn.ended', turnId: 't0', status: 'interrupted' }), { usual: 1 }],
      [
        'request.started',
        line({ type: 'request.started', requestId: 'r', turnId: 't0', provider: 'p', model: 'm' }),
        { usual: 1 },
      ],
      ['request.ended', line({ type: 'request.ended', requestId: 'r', status: 'completed' }), { usual: 1 }],
      [
        'request.usage',
        line({ type: 'request.usage', requestId: 'r', usage: u, cost: cost(9n), final: true }),
        { usual: 1 },
      ],
      [
        'message',
        line({ type: 'message', message: { role: 'user', content: JSON.parse(nested(3)) } }),
        { usual: 1 },
      ],
      [
        'non-ASCII message',
        line({ type: 'message', message: { role: 'user', content: 'déjà vu' } }),
        { usual: 1 },
      ],
      [
        '4 deep',
        line({ type: 'message', message: { role: 'user', content: JSON.parse(nested(4)) } }),
        { checked: 1 },
      ],
      [
        'v12 message',
        `{"v":12,"at":"${AT}","type":"message","message":{"role":"user","content":"a"}}\n`,
        { checked: 1 },
      ],
      // Content nested deeper than the usual expression reads: the checker.
      [
        'deep message',
        line({ type: 'message', message: { role: 'user', content: JSON.parse(nested(5)) } }),
        { checked: 1 },
      ],
      [
        'odd key',
        line({ type: 'message', message: { role: 'user', content: 'a', 'x y': 1 } }),
        { checked: 1 },
      ],
      // A `raw` usage and a newer version: the full load's fast path.
      [
        'raw usage',
        line({
          type: 'request.usage',
          requestId: 'r',
          usage: { ...u, raw: { input_tokens: 5 } },
          cost: cost(9n),
          final: true,
        }),
        { canonical: 1 },
      ],
      [
        'v2 turn.ended',
        `{"v":2,"at":"${AT}","type":"turn.ended","turnId":"t0","status":"completed"}\n`,
        { canonical: 1 },
      ],
      [
        'v2 message',
        `{"v":2,"at":"${AT}","type":"message","message":{"role":"user","content":"a"}}\n`,
        { checked: 1 },
      ],
      // Another key order, whitespace, another event: JSON.parse + zod.
      [
        'content first',
        `{"v":1,"at":"${AT}","type":"message","message":{"content":"a","role":"user"}}\n`,
        { general: 1 },
      ],
      [
        'whitespace',
        `{"v":1,"at":"${AT}","type":"turn.ended","turnId":"t0", "status":"completed"}\n`,
        { general: 1 },
      ],
      ['session.renamed', line({ type: 'session.renamed', title: 'x' }), { general: 1 }],
    ];
    for (const [name, l, expected] of cases) {
      // Each after a first line, so no line of interest starts at offset 0.
      const got = assertFoldsAsFullLoad(FIRST + l);
      assert.deepStrictEqual(got, paths({ ...expected, usual: (expected.usual ?? 0) + 1 }), name);
    }
  });

  it('in a log that is not UTF-8, takes ASCII lines by the usual path and leaves the others to the general one', () => {
    const ascii = line({ type: 'message', message: { role: 'user', content: ['plain', 12.5, { a: null }] } });
    const latin1 = Buffer.from(
      line({ type: 'message', message: { role: 'user', content: 'caf\u00e9' } }),
      'latin1',
    );
    const log = Buffer.concat([Buffer.from(FIRST + ascii), latin1]);
    assert.deepStrictEqual(assertFoldsAsFullLoad(log), paths({ usual: 2 }));
    assert.equal(scan(log).problems.length, 1, 'the line that is not UTF-8 is a bad line');
  });

  it('keeps the latest time whichever path a line took, and no conversation', () => {
    const at = (s: number) => `2026-03-01T10:00:0${s}.000Z`;
    const l = (s: number, o: Record<string, unknown>) => `${JSON.stringify({ v: 1, at: at(s), ...o })}\n`;
    const msg = { role: 'user', content: 'a' };
    const logs: [string, string][] = [
      [
        l(2, { type: 'message', message: msg }) +
          l(1, { type: 'turn.ended', turnId: 't', status: 'completed' }),
        at(2),
      ],
      [
        l(1, { type: 'message', message: msg }) +
          l(3, { type: 'request.ended', requestId: 'r', status: 'failed' }),
        at(3),
      ],
      [
        l(4, { type: 'message', message: { role: 'user', content: JSON.parse(nested(6)) } }) +
          l(2, { type: 'message', message: msg }),
        at(4),
      ],
      [
        `{"v":1,"at":"${at(5)}","type":"message","message":{"content":"a","role":"user"}}\n${l(3, { type: 'message', message: msg })}`,
        at(5),
      ],
      [l(1, { type: 'message', message: msg }) + l(6, { type: 'message', message: msg }), at(6)],
    ];
    for (const [text, latest] of logs) {
      const r = scan(FIRST + text);
      assert.equal(r.state.updatedAt, latest, text);
      assert.equal(r.state.messages.length, 0);
      assertFoldsAsFullLoad(FIRST + text);
    }
  });

  it('keeps a final snapshot over a later partial one, and a later final over an earlier partial', () => {
    const start = line({ type: 'request.started', requestId: 'r', provider: 'p', model: 'm' });
    const snap = (input: number, final: boolean) =>
      line({
        type: 'request.usage',
        requestId: 'r',
        usage: usage(input, 0, 0, 1),
        cost: cost(BigInt(input)),
        final,
      });
    for (const [text, input, final] of [
      [start + snap(50, true) + snap(60, false), 50, true],
      [start + snap(50, false) + snap(60, true), 60, true],
      [start + snap(50, false) + snap(60, false), 60, false],
    ] as const) {
      const r = scan(text);
      const req = r.state.requests.get('r')!;
      assert.equal(req.usage!.inputTokens, input);
      assert.equal(req.final, final);
      assert.equal(req.costPico, BigInt(input));
      assertFoldsAsFullLoad(text);
    }
  });
});

describe('the message checker', () => {
  const check = (body: string, utf8 = true) => {
    const t = `{"v":1,"at":"${AT}","type":"message","turnId":"t0","message":{"role":"user"${body}}}\n`;
    return checkedMessageLine(t, 0, t.length - 1, utf8);
  };

  it('vouches for a message whose members JSON.parse + zod accept', () => {
    for (const body of [
      ',"content":"a"',
      ',"content":[],"x y":{"a":[true,false,null,-1.5e+3]}',
      `,"content":${nested(64)}`,
    ]) {
      assert.deepStrictEqual(check(body), { v: 1, at: AT }, body);
    }
    assert.deepStrictEqual(check(',"content":"é"'), { v: 1, at: AT });
  });

  it('steps aside for what JSON.parse or zod would decide otherwise', () => {
    for (const body of [
      '', // no content
      ',"other":1',
      ',"content":"a","role":"robot"', // JSON.parse keeps the last role
      ',"content":"a","__proto__":{}',
      ',"content":"a","r\\u006fle":"robot"',
      `,"content":${nested(65)}`,
      ',"content":"a",',
      ',"content":"a"}', // one brace too many
      ',"content" :"a"',
      ',content:"a"',
      ',"content":"a" ',
      ',"content":"a","b"',
    ]) {
      assert.equal(check(body), null, body);
    }
    // Bytes above 0x7f only where the caller checked they are UTF-8; ASCII either way.
    assert.equal(check(',"content":"é"', false), null);
    assert.deepStrictEqual(check(',"content":"a~"', false), { v: 1, at: AT });
    assert.equal(skipJsonValue('"\x80"', 0, 3, false), -1);
    assert.equal(skipJsonValue('"\x80"', 0, 3, true), 3);
    // A line that ends before its braces close.
    const cut = `{"v":1,"at":"${AT}","type":"message","message":{"role":"user","content":"a"\n`;
    assert.equal(checkedMessageLine(cut, 0, cut.length - 1, true), null);
    const t = `{"v":1,"at":"${AT}","type":"message","message":{"role":"user","content":"a"}}x\n`;
    assert.equal(checkedMessageLine(t, 0, t.length - 1, true), null);
    assert.deepStrictEqual(checkedMessageLine(t, 0, t.length - 2, true), { v: 1, at: AT });
  });

  it('reads no JSON past the end it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), (v, k) => {
        const json = JSON.stringify(v);
        // The text goes on past `end` with the rest of the value: a checker that read on would find it whole.
        const end = k % (json.length + 1);
        const r = skipJsonValue(json, 0, end, true);
        if (end === json.length) assert.equal(r, end, json);
        else {
          assert.ok(r <= end, `${json} cut at ${end}: ended at ${r}`);
          if (r >= 0) assert.doesNotThrow(() => JSON.parse(json.slice(0, r)), json.slice(0, r));
        }
      }),
      { numRuns: 3000 },
    );
    for (const [json, end] of [
      ['true', 3],
      ['null', 2],
      ['false', 4],
      ['"\\u00e9"', 6],
      ['"ab"', 3],
      ['123', 2],
      ['1.25', 3],
      ['1e10', 3],
      ['[1,2]', 4],
      ['{"a":1}', 6],
    ] as const) {
      const r = skipJsonValue(json, 0, end, true);
      assert.ok(r === -1 || (r <= end && r > 0), `${json} cut at ${end}: ${r}`);
    }
    assert.equal(skipJsonValue('123', 0, 2, true), 2);
    assert.equal(skipJsonValue('[1,2]', 0, 4, true), -1);
  });
});
