/**
 * The index file (src/core/sessions/sessionIndex.ts) below the store: spending rows encoded and
 * decoded exactly (32- and 64-bit, before 1970, costs past 2^32), the checks on encoded rows,
 * what `readIndex` keeps of a damaged index, and the layout `writeIndex` writes.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { foldEvents } from '../../../src/core/ledger/ledger';
import type { SpendRow } from '../../../src/core/ledger/spendRows';
import { LOG_VERSION, sessionEventSchema } from '../../../src/core/sessions/events';
import {
  decodeSpend,
  encodeSpend,
  flyweightSpendRows,
  forEachSpendRow,
  INDEX_VERSION,
  parseSummary,
  readIndex,
  type SessionSummary,
  summarize,
  writeIndex,
} from '../../../src/core/sessions/sessionIndex';
import { cost, spendRow as row, indexSummary as summaryOf, tempStorage, usage } from './helpers';

describe('the index spending rows', () => {
  it('round-trip every field, in 32-bit fields when they fit', () => {
    const rows = [
      row(),
      row({ provider: 'openai', model: 'gpt-4o', usage: { ...row().usage, source: 'estimated' } }, 2),
      row({}, 3),
    ];
    const e = encodeSpend(rows);
    assert.deepEqual(e.keys, [
      ['anthropic', 'claude-sonnet-4-5'],
      ['openai', 'gpt-4o'],
    ]);
    assert.equal(e.wide, undefined);
    assert.equal('bucket' in e, false);
    assert.equal(Buffer.from(e.rows, 'base64').length, 3 * 20 * 4);
    assert.deepEqual(decodeSpend(e), rows);
    assert.deepEqual(decodeSpend(encodeSpend([])), []);
  });

  it('keep a bucket width, and put it on every decoded row', () => {
    const e = encodeSpend([row()], 900_000);
    assert.equal(e.bucket, 900_000);
    assert.deepEqual(decodeSpend(e), [{ ...row(), span: 900_000 }]);
  });

  it('stay exact before 1970, for costs past 2^32 and counts past 2^32 (64-bit)', () => {
    const old = row({ start: Date.parse('1950-06-01T00:00:00.000Z'), costPico: 2n ** 40n + 7n });
    const e = encodeSpend([old]);
    assert.equal(e.wide, undefined, 'a large cost is two 32-bit halves');
    assert.deepEqual(decodeSpend(e), [old]);
    const exactly = row({ costPico: 2n ** 32n });
    assert.deepEqual(decodeSpend(encodeSpend([exactly])), [exactly]);
    const below = row({ costPico: 2n ** 32n - 1n });
    assert.deepEqual(decodeSpend(encodeSpend([below])), [below]);
    const big = row({ unknownCostTokens: 2 ** 32 });
    const w = encodeSpend([big, row()]);
    assert.equal(w.wide, true);
    assert.equal(Buffer.from(w.rows, 'base64').length, 2 * 20 * 8);
    assert.deepEqual(decodeSpend(w), [big, row()]);
    const edge = row({ unknownCostTokens: 2 ** 32 - 1 });
    assert.equal(encodeSpend([edge]).wide, undefined);
    const noHour = row();
    delete noHour.usage.inputTokenDetails.cacheWrite1hTokens;
    assert.equal(decodeSpend(encodeSpend([noHour]))[0]?.usage.inputTokenDetails.cacheWrite1hTokens, 0);
  });

  it('are decoded as objects of the caller’s shape, or as one reused row', () => {
    const e = encodeSpend([row(), row({}, 2)]);
    const got: (SpendRow & { sessionId: string })[] = [];
    forEachSpendRow(e, { sessionId: 'a' }, (r) => got.push(r));
    assert.deepEqual(got, [
      { ...row(), sessionId: 'a' },
      { ...row({}, 2), sessionId: 'a' },
    ]);
    assert.notEqual(got[0], got[1]);
    const b = encodeSpend([row({}, 3)], 900_000);
    const seen: unknown[] = [];
    let first: unknown;
    for (const r of flyweightSpendRows([
      { spend: b, extra: { sessionId: 'b' } },
      { spend: e, extra: { sessionId: 'a' } },
    ])) {
      first ??= r;
      assert.equal(r, first, 'one object');
      seen.push(structuredClone(r));
    }
    assert.deepEqual(seen, [
      { ...row({}, 3), span: 900_000, sessionId: 'b' },
      { ...row(), span: undefined, sessionId: 'a' },
      { ...row({}, 2), span: undefined, sessionId: 'a' },
    ]);
  });

  it('are refused by the summary check when damaged', () => {
    const good = encodeSpend([row()]);
    assert.ok(parseSummary(summaryOf(good)));
    assert.ok(parseSummary(summaryOf(encodeSpend([row({ unknownCostTokens: 2 ** 40 })]))));
    const bytes = Buffer.from(good.rows, 'base64');
    const bad: [string, unknown][] = [
      ['null', null],
      ['a string', 'rows'],
      ['keys that are not a list', { ...good, keys: {} }],
      ['rows that are not a string', { ...good, rows: 5 }],
      ['wide that is not true', { ...good, wide: false }],
      ['a bucket of 0', { ...good, bucket: 0 }],
      ['a fractional bucket', { ...good, bucket: 1.5 }],
      ['a key of one string', { ...good, keys: [['anthropic']] }],
      ['a key of three strings', { ...good, keys: [['a', 'b', 'c']] }],
      ['a key of numbers', { ...good, keys: [['a', 1]] }],
      ['a key that is a string', { ...good, keys: ['ab'] }],
      ['a key index past the keys', { ...good, keys: [] }],
      ['a truncated row', { ...good, rows: bytes.subarray(0, 76).toString('base64') }],
      ['a source index past the sources', { ...good, rows: withField(bytes, 17, 3).toString('base64') }],
      ['a wide row with a fraction', { ...encodeSpend([row({ unknownCostTokens: 1.5 })]) }],
      ['a wide row with a negative', { ...encodeSpend([row({ unknownCostTokens: -1 })]) }],
    ];
    for (const [what, spend] of bad) assert.equal(parseSummary(summaryOf(spend)), null, what);
    assert.ok(parseSummary(summaryOf({ ...good, rows: withField(bytes, 17, 2).toString('base64') })));
    assert.ok(parseSummary(summaryOf({ ...good, bucket: 1 })));
    assert.ok(parseSummary(summaryOf({ ...good, wide: undefined })));
  });
});

function withField(bytes: Buffer, field: number, value: number): Buffer {
  const b = Buffer.from(bytes);
  b.writeUInt32LE(value, field * 4);
  return b;
}

describe('the index file', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await tempStorage();
    path = join(dir, 'index.json');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const entry = (id: string, extra: Partial<SessionSummary> = {}) =>
    ({
      ...summaryOf(encodeSpend([row()], 900_000)),
      sessionId: id,
      file: `sessions/${id}.jsonl`,
      ...extra,
    }) as SessionSummary;

  it('is written one summary a line, atomically, and read back', async () => {
    await writeIndex(path, [entry('a'), entry('b')], [entry('c', { deletedAt: 'd' })]);
    const text = await fs.readFile(path, 'utf8');
    assert.equal(
      text,
      `{"version":${INDEX_VERSION},\n"sessions":[\n${JSON.stringify(entry('a'))},\n${JSON.stringify(entry('b'))}\n],\n"trash":[\n${JSON.stringify(entry('c', { deletedAt: 'd' }))}\n]}\n`,
    );
    assert.deepEqual(await fs.readdir(dir), ['index.json']);
    const r = await readIndex(path);
    assert.equal(r.whole, true);
    assert.deepEqual([...r.entries.keys()], ['a', 'b']);
    assert.deepEqual([...r.trash.keys()], ['sessions/c.jsonl']);
    assert.deepEqual(r.entries.get('a'), entry('a'));
    await writeIndex(path, []);
    assert.equal(
      await fs.readFile(path, 'utf8'),
      `{"version":${INDEX_VERSION},\n"sessions":[\n\n],\n"trash":[\n\n]}\n`,
    );
    assert.deepEqual(await readIndex(path), { entries: new Map(), trash: new Map(), whole: true });
  });

  it('a write that cannot rename leaves no temporary file and throws', async () => {
    await fs.mkdir(join(path, 'x'), { recursive: true });
    await assert.rejects(writeIndex(path, [entry('a')]));
    assert.deepEqual(await fs.readdir(dir), ['index.json']);
  });

  it('is empty and not whole when missing, not JSON, or of another version; drops bad entries', async () => {
    const empty = { entries: new Map(), trash: new Map(), whole: false };
    assert.deepEqual(await readIndex(path), empty);
    await fs.writeFile(path, '{"version":4,');
    assert.deepEqual(await readIndex(path), empty);
    await fs.writeFile(path, JSON.stringify({ version: 3, sessions: [entry('a')] }));
    assert.deepEqual(await readIndex(path), empty);
    await fs.writeFile(
      path,
      JSON.stringify({ version: INDEX_VERSION, sessions: [entry('a'), { sessionId: 'b' }] }),
    );
    const r = await readIndex(path);
    assert.deepEqual([...r.entries.keys()], ['a']);
    assert.equal(r.whole, false);
    await fs.writeFile(path, JSON.stringify({ version: INDEX_VERSION, sessions: [entry('a')], trash: [1] }));
    const t = await readIndex(path);
    assert.equal(t.trash.size, 0);
    assert.equal(t.whole, false);
    await fs.writeFile(path, JSON.stringify({ version: INDEX_VERSION, sessions: [entry('a')] }));
    assert.equal((await readIndex(path)).whole, true);
  });

  it('summarizes a session: times, context model, import hash, its own copies of long strings', () => {
    const at = '2026-03-01T09:00:00.000Z';
    const ev = (b: Record<string, unknown>) => sessionEventSchema.parse({ v: LOG_VERSION, at, ...b });
    const title = 'a title longer than thirteen characters';
    const state = foldEvents('s', [
      ev({
        type: 'session.created',
        sessionId: 's',
        title,
        provider: 'openai',
        model: 'gpt-4o',
        importedFrom: { file: '/f', sha256: 'abc' },
      }),
      ev({ type: 'turn.started', turnId: 't0', index: 0 }),
      ev({
        type: 'request.started',
        requestId: 'r0',
        turnId: 't0',
        provider: 'openai',
        model: 'gpt-4o-mini-2024-07-18',
      }),
      ev({
        type: 'request.usage',
        requestId: 'r0',
        usage: usage(100, 0, 0, 10),
        cost: cost(77n),
        final: true,
      }),
    ]);
    state.updatedAt = '';
    const s = summarize(
      { state, readOnly: true, format: 'v1', problems: [] },
      { rel: 'sessions/s.jsonl', size: 5, mtimeMs: 6 },
      null,
    );
    assert.equal(s.title, title);
    assert.equal(s.updatedAt, at, 'no update: the creation time');
    assert.equal(s.contextModel, 'gpt-4o-mini-2024-07-18');
    assert.equal(s.contextTokens, 110);
    assert.equal(s.importedSha256, 'abc');
    assert.equal(s.costPico, '77');
    assert.equal(s.readOnly, true);
    assert.equal(s.deletedAt, null);
    assert.equal(s.spend.bucket, 900_000);
    assert.equal(
      summarize(
        { state, readOnly: false, format: 'v1', problems: [] },
        { rel: 'r', size: 1, mtimeMs: 1 },
        'given',
        'when',
      ).importedSha256,
      'given',
    );
    const bare = foldEvents('b', [
      ev({ type: 'session.created', sessionId: 'b', title: 't', provider: 'p', model: 'm' }),
    ]);
    const b = summarize(
      { state: bare, readOnly: false, format: 'v1', problems: [] },
      { rel: 'r', size: 1, mtimeMs: 1 },
      null,
      'gone',
    );
    assert.equal(b.contextModel, null);
    assert.equal(b.importedSha256, null);
    assert.equal(b.deletedAt, 'gone');
    assert.ok(parseSummary(JSON.parse(JSON.stringify(b))));
  });
});
