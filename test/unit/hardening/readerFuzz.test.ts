/**
 * Hostile and broken session files: arbitrary bytes, and valid logs mutated the ways disks,
 * editors and people break them (torn and flipped bytes, huge / negative / NaN / null numbers,
 * unknown event types, `__proto__` keys, unknown versions, empty and binary files, megabyte
 * lines), plus broken old formats. Loading never throws, never shows NaN or a negative total,
 * reports and keeps a bad file, and every other session still loads with its exact numbers.
 *
 * Seeds and run counts are printed; TALLY_FUZZ_SEED and TALLY_FUZZ_RUNS (a multiplier) replay
 * or widen a run.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { sessionTotals, turnTotals } from '../../../src/core/ledger/derive';
import { foldEvents, type SessionState } from '../../../src/core/ledger/ledger';
import { type SessionEvent, sessionEventSchema } from '../../../src/core/sessions/events';
import { parseLog } from '../../../src/core/sessions/parseLog';
import { ProblemList } from '../../../src/core/sessions/problems';
import { SessionStore } from '../../../src/core/sessions/store';
import { cost, FIXTURES, recordTurn, tempStorage, usage } from '../sessions/helpers';

const SEED = Number(process.env.TALLY_FUZZ_SEED ?? 1_207_007);
const SCALE = Number(process.env.TALLY_FUZZ_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

/** Every total is a finite, non-negative number (bigint for money). */
function assertSaneTotals(s: SessionState): void {
  const check = (t: ReturnType<typeof sessionTotals>, where: string) => {
    const u = t.usage;
    for (const [k, v] of Object.entries({
      inputTokens: u.inputTokens,
      noCache: u.inputTokenDetails.noCacheTokens,
      cacheRead: u.inputTokenDetails.cacheReadTokens,
      cacheWrite: u.inputTokenDetails.cacheWriteTokens,
      outputTokens: u.outputTokens,
      text: u.outputTokenDetails.textTokens,
      reasoning: u.outputTokenDetails.reasoningTokens,
      totalTokens: u.totalTokens,
    })) {
      assert.ok(Number.isFinite(v) && v >= 0, `${where}: ${k} is ${v}`);
    }
    assert.ok(t.cost.knownPico >= 0n, `${where}: cost ${t.cost.knownPico}`);
  };
  check(sessionTotals(s), 'session');
  for (const t of s.turns) check(turnTotals(s, t), `turn ${t.turnId}`);
}

function assertNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  for (const k of ['polluted', 'isAdmin', 'x', 'v', 'type'])
    assert.equal(probe[k], undefined, `Object.prototype.${k} was set`);
}

/** What a correct reader loads: JSON.parse + the schema on each whole line, folded in order. */
function oracle(bytes: Buffer): SessionState {
  const text = bytes.toString('latin1');
  const last = text.lastIndexOf('\n');
  const segments = text
    .slice(0, last + 1)
    .split('\n')
    .slice(0, -1);
  const tail = text.slice(last + 1);
  const events: SessionEvent[] = [];
  const take = (latin: string) => {
    const raw = Buffer.from(latin, 'latin1');
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return false;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json) || !('v' in json)) return false;
    if (!require('node:buffer').isUtf8(raw)) return false;
    const r = sessionEventSchema.safeParse(json);
    if (r.success) events.push(r.data);
    return r.success;
  };
  for (const s of segments) take(s);
  if (tail.trim() !== '') take(tail);
  return foldEvents('x', events);
}

// --- mutations of a valid log ---

const NUMBERS = [
  '1e400',
  '-1',
  '-0',
  '1e13',
  '9007199254740993',
  'NaN',
  'null',
  '"5"',
  '1.5',
  '1e-7',
  '[]',
  '{}',
  'true',
];
const LINES = [
  '{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"bogus.event","requestId":"r0"}',
  '{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"request.started","requestId":"__proto__","provider":"p","model":"m"}',
  '{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"turn.started","turnId":"constructor","index":0}',
  '{"__proto__":{"polluted":true},"v":1,"at":"2026-01-01T00:00:00.000Z","type":"turn.started","turnId":"tp","index":0}',
  '{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"message","message":{"role":"user","content":"x","__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}}}}',
  '{"v":2,"at":"2026-01-01T00:00:00.000Z","type":"turn.started","turnId":"t-new","index":0}',
  '{"v":7,"at":"2026-01-01T00:00:00.000Z","type":"hologram","turnId":"t-new"}',
  '{"v":0,"at":"x","type":"turn.started","turnId":"t0","index":0}',
  '{"v":-1,"at":"x","type":"turn.started","turnId":"t0","index":0}',
  '{"v":"1","at":"x","type":"turn.started","turnId":"t0","index":0}',
  '{"v":1e400,"at":"x","type":"turn.started","turnId":"t0","index":0}',
  '{}',
  '[]',
  'null',
  '"a string"',
  '{"type":"usage","turn":0,"inputTokens":-5,"outputTokens":1e300}',
  '\u0000\u0001\u0002\u00ff\u00fe',
  `{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"message","message":{"role":"user","content":"${'x'.repeat(1_100_000)}"}}`,
  `{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"message","message":{"role":"user","content":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`,
  'y'.repeat(1_100_000),
];

type Mutation =
  | { kind: 'cut'; at: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'number'; at: number; value: string }
  | { kind: 'insert'; at: number; line: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'delete'; at: number }
  | { kind: 'swap'; at: number; with: number };

const unit = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: unit }),
  fc.record({ kind: fc.constant('flip' as const), at: unit, bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('number' as const), at: unit, value: fc.constantFrom(...NUMBERS) }),
  fc.record({ kind: fc.constant('insert' as const), at: unit, line: fc.nat(LINES.length - 1) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: unit }),
  fc.record({ kind: fc.constant('delete' as const), at: unit }),
  fc.record({ kind: fc.constant('swap' as const), at: unit, with: unit }),
);

function mutate(valid: Buffer, ms: Mutation[]): Buffer {
  let buf = valid;
  for (const m of ms) {
    const lines = buf.toString('latin1').split('\n');
    const li = Math.floor(m.at * lines.length);
    switch (m.kind) {
      case 'cut':
        buf = buf.subarray(0, Math.floor(m.at * buf.length));
        continue;
      case 'flip': {
        if (buf.length === 0) continue;
        buf = Buffer.from(buf);
        const i = Math.floor(m.at * buf.length);
        buf[i] = buf[i]! ^ (1 << m.bit);
        continue;
      }
      case 'number': {
        const line = lines[li] ?? '';
        const nums = [...line.matchAll(/:(\d+)/g)];
        const hit = nums[Math.floor(m.at * 1e6) % Math.max(1, nums.length)];
        if (!hit || hit.index === undefined) continue;
        lines[li] = `${line.slice(0, hit.index + 1)}${m.value}${line.slice(hit.index + hit[0].length)}`;
        break;
      }
      case 'insert':
        lines.splice(li, 0, Buffer.from(LINES[m.line]!, 'utf8').toString('latin1'));
        break;
      case 'duplicate':
        lines.splice(li, 0, lines[li] ?? '');
        break;
      case 'delete':
        lines.splice(li, 1);
        break;
      case 'swap': {
        const j = Math.floor(m.with * lines.length);
        [lines[li], lines[j]] = [lines[j] ?? '', lines[li] ?? ''];
        break;
      }
    }
    buf = Buffer.from(lines.join('\n'), 'latin1');
  }
  return buf;
}

describe('hardening: hostile and broken session files', function () {
  this.timeout(180_000);
  let dir: string;
  let valid: Buffer;
  /** The good sessions of the storage folder and their exact totals. */
  const good = new Map<string, { tokens: number; pico: bigint }>();

  before(async () => {
    console.log(`      fuzz seed ${SEED} (TALLY_FUZZ_SEED), run scale ${SCALE} (TALLY_FUZZ_RUNS)`);
    dir = await tempStorage();
    const store = await SessionStore.open(dir);
    const w = await store.create({ title: 'good', provider: 'anthropic', model: 'm', sessionId: 'good-v1' });
    for (let i = 0; i < 4; i++) {
      await recordTurn(w, i, usage(1000 + i, 500 * i, 7, 40 + i, 3), cost(BigInt(10_000 + i)));
      await w.append({
        type: 'message',
        turnId: `t${i}`,
        message: { role: 'user', content: `question ${i}` },
      });
    }
    await w.close();
    valid = await fs.readFile(join(dir, 'sessions', 'good-v1.jsonl'));
    for (const f of ['format0-per-request.jsonl', 'message-history-mh-demo.json']) {
      const target = f.endsWith('.json') ? join(dir, f) : join(dir, 'sessions', 'f0-demo.jsonl');
      await fs.copyFile(join(FIXTURES, f), target);
    }
    await store.list(); // the index: later lists read only the file that changed
    for (const id of ['good-v1', 'f0-demo', 'mh-demo']) {
      const t = sessionTotals((await store.load(id))!.state);
      good.set(id, { tokens: t.usage.totalTokens, pico: t.cost.knownPico });
    }
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it(`parseLog: arbitrary bytes never throw, and what loads is valid with sane totals (${runs(3000)} runs)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const buf = Buffer.from(bytes);
        const parsed = parseLog(buf, new ProblemList('f'));
        for (const e of parsed.events) sessionEventSchema.parse(e);
        const s = foldEvents('x', parsed.events);
        assertSaneTotals(s);
        assertNoPollution();
      }),
      { seed: SEED, numRuns: runs(3000) },
    );
  });

  it(`parseLog: mutated valid logs load exactly what JSON.parse + the schema accept (${runs(600)} runs)`, () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (ms) => {
        const buf = mutate(valid, ms);
        const parsed = parseLog(buf, new ProblemList('f'));
        const s = foldEvents('x', parsed.events);
        assertSaneTotals(s);
        assertNoPollution();
        const want = sessionTotals(oracle(buf));
        const got = sessionTotals(s);
        assert.deepEqual(got.usage, want.usage);
        assert.equal(got.cost.knownPico, want.cost.knownPico);
        assert.equal(s.requests.size, oracle(buf).requests.size);
      }),
      { seed: SEED + 1, numRuns: runs(600) },
    );
  });

  /**
   * Puts `bytes` in the storage folder as a session file, loads it and lists the folder: never a
   * throw, sane totals, a bad file reported and kept byte for byte, the good sessions exact.
   */
  async function throughTheStore(name: string, bytes: Buffer, id: string, oracleOf?: Buffer): Promise<void> {
    // Files look a few minutes old, so nothing is taken for a session being created right now.
    const store = await SessionStore.open(dir, { now: () => new Date(Date.now() + 5 * 60_000) });
    const file = name.endsWith('.json') ? join(dir, name) : join(dir, 'sessions', name);
    await fs.writeFile(file, bytes);
    try {
      const loaded = await store.load(id);
      const list = await store.list();
      assertNoPollution();
      for (const [gid, want] of good) {
        const s = list.sessions.find((x) => x.sessionId === gid);
        assert.ok(s, `${gid} is listed`);
        assert.equal(s.usage.totalTokens, want.tokens, gid);
        assert.equal(BigInt(s.costPico), want.pico, gid);
        const again = (await store.load(gid))!;
        assert.equal(sessionTotals(again.state).usage.totalTokens, want.tokens);
      }
      if (loaded) {
        assertSaneTotals(loaded.state);
        if (oracleOf && loaded.format === 'v1' && !loaded.problems.some((p) => p.kind === 'unreadable'))
          assert.equal(
            sessionTotals(loaded.state).usage.totalTokens,
            sessionTotals(oracle(oracleOf)).usage.totalTokens,
          );
      }
      const unreadable = [...(loaded?.problems ?? []), ...list.problems].find((p) => p.kind === 'unreadable');
      if (unreadable) {
        // Reported and kept: moved aside with every byte.
        assert.ok(unreadable.keptAt, unreadable.message);
        assert.ok((await fs.readFile(unreadable.keptAt)).equals(bytes), 'the bad file is kept as it was');
        await fs.rm(unreadable.keptAt);
      } else if (!loaded) {
        assert.fail(`${name} neither loaded nor was reported`);
      }
      for (const p of list.problems) assert.equal(p.file, file, `a problem in another file: ${p.message}`);
    } finally {
      await fs.rm(file, { force: true });
      await store.close();
    }
  }

  it(`the store: arbitrary bytes as a log (${runs(120)} runs), binary and empty files`, async () => {
    await throughTheStore('empty.jsonl', Buffer.alloc(0), 'empty');
    await throughTheStore('binary.jsonl', Buffer.from([0, 1, 2, 255, 254, 10, 0, 10]), 'binary');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        await throughTheStore('fuzz.jsonl', Buffer.from(bytes), 'fuzz');
      }),
      { seed: SEED + 2, numRuns: runs(120) },
    );
  });

  it(`the store: mutated valid logs (${runs(150)} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (ms) => {
        const buf = mutate(valid, ms);
        await throughTheStore('fuzz.jsonl', buf, 'fuzz', buf);
      }),
      { seed: SEED + 3, numRuns: runs(150) },
    );
  });

  const anyJson = fc.oneof(
    fc.constantFrom(-1, -0.5, 1e300, 1e13, 0.1, null, 'NaN', true, [], {}, '__proto__'),
    fc.integer(),
    fc.double(),
    fc.string(),
  );
  const entry = fc.dictionary(
    fc.constantFrom(
      'stepIndex',
      'inputTokens',
      'outputTokens',
      'totalTokens',
      'cachedInputTokens',
      'reasoningTokens',
      'timestamp',
      'estimatedCost',
      '__proto__',
    ),
    anyJson,
  );
  const history = fc.record(
    {
      sessionId: fc.oneof(fc.string(), anyJson),
      modelId: fc.oneof(fc.string(), anyJson),
      title: fc.oneof(fc.string(), anyJson),
      createdAt: anyJson,
      updatedAt: anyJson,
      messages: fc.oneof(
        fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'tool', 'x'), content: anyJson })),
        anyJson,
      ),
      tokenUsage: fc.oneof(fc.array(fc.oneof(entry, anyJson), { maxLength: 6 }), anyJson),
    },
    { requiredKeys: [] },
  );

  it(`the store: broken message-history files (${runs(150)} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(history, async (h) => {
        await throughTheStore('message-history-fuzz.json', Buffer.from(JSON.stringify(h)), 'fuzz');
      }),
      { seed: SEED + 4, numRuns: runs(150) },
    );
  });

  const format0Line = fc.oneof(
    fc.record(
      {
        type: fc.constantFrom('usage', 'meta', 'turn'),
        turn: anyJson,
        requestId: fc.oneof(fc.string(), anyJson),
        inputTokens: anyJson,
        outputTokens: anyJson,
        totalTokens: anyJson,
        cachedInputTokens: anyJson,
        reasoningTokens: anyJson,
        cacheWriteTokens: anyJson,
        timestamp: anyJson,
        status: fc.oneof(fc.constantFrom('completed', 'failed'), anyJson),
        createdAt: anyJson,
      },
      { requiredKeys: ['type'] },
    ),
    fc.record({
      type: fc.constant('usage'),
      turn: fc.nat(5),
      inputTokens: fc.nat(1e6),
      outputTokens: fc.nat(1e6),
    }),
  );

  it(`the store: broken format-0 logs (${runs(120)} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(format0Line, { minLength: 1, maxLength: 8 }), async (ls) => {
        const bytes = Buffer.from(`${ls.map((l) => JSON.stringify(l)).join('\n')}\n`);
        await throughTheStore('fuzz.jsonl', bytes, 'fuzz');
      }),
      { seed: SEED + 5, numRuns: runs(120) },
    );
  });
});
