/**
 * The index (src/core/sessions/sessionIndex.ts) at its edges: the byte layout of the spending
 * rows on every path (little- or big-endian machine, aligned or not), rows decoded once, and what
 * the summary check and `readIndex` make of entries of every wrong shape.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { foldEvents } from '../../../src/core/ledger/ledger';
import type { SpendRow } from '../../../src/core/ledger/spendRows';
import { LOG_VERSION, sessionEventSchema } from '../../../src/core/sessions/events';
import {
  bytesToFields,
  decodeSpend,
  type EncodedSpend,
  encodeSpend,
  fieldsToBytes,
  flyweightSpendRows,
  INDEX_VERSION,
  parseSummary,
  readIndex,
  summarize,
  summarySchema,
} from '../../../src/core/sessions/sessionIndex';
import { cost, indexSummary, spendRow, tempStorage, usage } from './helpers';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A summary as it stands in index.json (plain JSON), with `over` replacing its fields. */
function summary(over: Record<string, unknown> = {}): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(indexSummary(encodeSpend([row()]), { turns: 1, requests: 1, costPico: '15', ...over })),
  );
}

const row = (over: Partial<SpendRow> = {}) => spendRow(over, 1, 'estimated');

/** `parseSummary`'s answer, held to zod's: the summary zod returns, or null when zod refuses. */
function checked(raw: unknown): ReturnType<typeof parseSummary> {
  const got = parseSummary(raw);
  const z = summarySchema.safeParse(raw);
  assert.deepEqual(got, z.success ? z.data : null);
  return got;
}

/** The little-endian bytes of `fields`, written one by one (the index's layout). */
function littleEndianBytes(fields: Uint32Array | Float64Array): Buffer {
  const b = Buffer.alloc(fields.byteLength);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < fields.length; i++) {
    if (fields instanceof Float64Array) view.setFloat64(i * 8, fields[i]!, true);
    else view.setUint32(i * 4, fields[i]!, true);
  }
  return b;
}

/** `bytes` copied to `offset` of a fresh memory block (room to spare after them). */
function placedAt(bytes: Buffer, offset: number): Buffer {
  const b = Buffer.from(new ArrayBuffer(offset + bytes.length + 16), offset, bytes.length);
  bytes.copy(b);
  return b;
}

const narrow = new Uint32Array([0, 1, 0x01020304, 2 ** 31, 2 ** 32 - 1, 7]);
const wide = new Float64Array([0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 2 ** 53, 0.5]);

describe('the index spending bytes', () => {
  it('are the fields little-endian: their own memory on a little-endian machine, else written out', () => {
    for (const fields of [narrow, wide]) {
      const expected = littleEndianBytes(fields);
      const native = fieldsToBytes(fields);
      assert.deepEqual(native, expected);
      assert.equal(native.buffer === fields.buffer, LITTLE_ENDIAN, 'not copied when it need not be');
      const portable = fieldsToBytes(fields, false);
      assert.deepEqual(portable, expected);
      assert.notEqual(portable.buffer, fields.buffer);
    }
    assert.deepEqual(fieldsToBytes(new Uint32Array(0), false), Buffer.alloc(0));
  });

  it('read back the same on every path: viewed when aligned, else read out', () => {
    for (const [fields, width, offsets] of [
      [narrow, 4, [0, 4, 8, 1, 2, 3]],
      [wide, 8, [0, 8, 16, 1, 4]],
    ] as const) {
      const bytes = littleEndianBytes(fields);
      for (const offset of offsets) {
        const placed = placedAt(bytes, offset);
        const viewed = LITTLE_ENDIAN && offset % width === 0;
        const got = bytesToFields(placed, width === 8);
        assert.deepEqual(got, fields, `${width * 8}-bit at ${offset}`);
        assert.equal(got.buffer === placed.buffer, viewed, `${width * 8}-bit at ${offset}: viewed`);
        const portable = bytesToFields(placed, width === 8, false);
        assert.deepEqual(portable, fields, `${width * 8}-bit at ${offset}, big-endian machine`);
        assert.notEqual(portable.buffer, placed.buffer);
      }
    }
  });

  it('hold a cost as its high and low 32 bits (fields 18 and 19)', () => {
    const fieldsOf = (costPico: bigint) =>
      [...bytesToFields(Buffer.from(encodeSpend([row({ costPico })]).rows, 'base64'), false)].slice(18);
    assert.deepEqual(fieldsOf(0n), [0, 0]);
    assert.deepEqual(fieldsOf(7n), [0, 7]);
    assert.deepEqual(fieldsOf(2n ** 32n - 1n), [0, 2 ** 32 - 1]);
    assert.deepEqual(fieldsOf(2n ** 32n), [1, 0]);
    assert.deepEqual(fieldsOf(5n * 2n ** 32n + 7n), [5, 7]);
    for (const costPico of [0n, 7n, 2n ** 32n, 5n * 2n ** 32n + 7n, 2n ** 63n + 1n]) {
      assert.deepEqual(decodeSpend(encodeSpend([row({ costPico })])), [row({ costPico })]);
    }
  });

  it('are decoded once, however often the rows are read', () => {
    const { keys, rows } = encodeSpend([row(), row({ turns: 0 })]);
    let reads = 0;
    const e = {
      keys,
      get rows() {
        reads++;
        return rows;
      },
    } as EncodedSpend;
    assert.deepEqual(decodeSpend(e), [row(), row({ turns: 0 })]);
    assert.deepEqual(decodeSpend(e), [row(), row({ turns: 0 })]);
    assert.deepEqual(
      [...flyweightSpendRows([{ spend: e, extra: {} }])].map((r) => r.turns),
      [0, 0],
      'one reused row',
    );
    assert.equal(reads, 1);
  });

  it('that are not whole rows do not decode', () => {
    const truncated = { name: 'RangeError', message: 'truncated spending rows' };
    const one = Buffer.from(encodeSpend([row()]).rows, 'base64');
    assert.throws(
      () => decodeSpend({ keys: [['a', 'b']], rows: one.subarray(0, 76).toString('base64') }),
      truncated,
    );
    assert.throws(
      () => decodeSpend({ keys: [['a', 'b']], rows: one.toString('base64'), wide: true }),
      truncated,
    );
    assert.deepEqual(decodeSpend({ keys: [], rows: '' }), []);
  });
});

describe('the index summary check, for entries of every wrong shape', () => {
  const notObjects = [null, undefined, 5, 'x', true, []];

  it('refuses a summary, a usage or token details that are not objects, without throwing', () => {
    for (const v of notObjects) {
      assert.equal(checked(v), null, `summary ${String(v)}`);
      for (const edit of [
        (s: Record<string, unknown>) => {
          s.usage = v;
        },
        (s: Record<string, unknown>) => {
          (s.usage as Record<string, unknown>).inputTokenDetails = v;
        },
        (s: Record<string, unknown>) => {
          (s.usage as Record<string, unknown>).outputTokenDetails = v;
        },
      ]) {
        const s = summary();
        edit(s);
        assert.equal(checked(s), null, `${edit} ${String(v)}`);
      }
    }
    assert.equal(checked(summary())?.sessionId, 's');
  });

  it('keeps an mtime of 0 or a fraction; refuses a negative, infinite or non-number one', () => {
    assert.equal(checked(summary({ mtimeMs: 0 }))?.mtimeMs, 0);
    assert.equal(checked(summary({ mtimeMs: 1.5 }))?.mtimeMs, 1.5);
    for (const mtimeMs of [-1, -0.5, Number.POSITIVE_INFINITY, Number.NaN, '5', null, true, [1]]) {
      const s = summary();
      s.mtimeMs = mtimeMs;
      assert.equal(checked(s), null, String(mtimeMs));
    }
  });

  it('refuses spending rows of a wrong shape or out of range', () => {
    const good = encodeSpend([row()]);
    const bytes = Buffer.from(good.rows, 'base64');
    const two = Buffer.from(encodeSpend([row(), row()]).rows, 'base64');
    const withField = (b: Buffer, field: number, value: number) => {
      const c = Buffer.from(b);
      c.writeUInt32LE(value, field * 4);
      return c.toString('base64');
    };
    const wideRow = encodeSpend([row({ unknownCostTokens: 2 ** 40 })]);
    const wideBytes = Buffer.from(wideRow.rows, 'base64');
    const wideWith = (field: number, value: number) => {
      const c = Buffer.from(wideBytes);
      c.writeDoubleLE(value, field * 8);
      return c.toString('base64');
    };
    const bad: [string, unknown][] = [
      ['rows that are a list', { keys: [], rows: [] }],
      ['a key whose provider is a number', { ...good, keys: [[1, 'm']] }],
      ['a key that is null', { ...good, keys: [null] }],
      ['keys that are null', { ...good, keys: null }],
      ['spend that is a list', []],
      ['a key index equal to the keys', { ...good, rows: withField(bytes, 2, 1) }],
      ['a second row past the keys', { ...good, rows: withField(two, 22, 1) }],
      ['a second row past the sources', { ...good, rows: withField(two, 37, 3) }],
      ['a truncated 32-bit row', { ...good, rows: bytes.subarray(0, 76).toString('base64') }],
      ['a 32-bit row read as wide', { ...good, wide: true }],
      ['a truncated wide row', { ...wideRow, rows: wideBytes.subarray(0, 152).toString('base64') }],
      ['a wide key index past the keys', { ...wideRow, rows: wideWith(2, 1) }],
      ['a wide key index that is a fraction', { ...wideRow, rows: wideWith(2, 0.5) }],
      ['a wide key index that is NaN', { ...wideRow, rows: wideWith(2, Number.NaN) }],
      ['a wide source index past the sources', { ...wideRow, rows: wideWith(17, 3) }],
      ['a wide count that is negative', { ...wideRow, rows: wideWith(3, -1) }],
      ['a wide count past 2^53', { ...wideRow, rows: wideWith(3, 2 ** 53) }],
      ['a wide count that is a fraction', { ...wideRow, rows: wideWith(3, 0.5) }],
    ];
    for (const [what, spend] of bad) assert.equal(checked(summary({ spend })), null, what);
    const ok: [string, unknown][] = [
      ['no rows', encodeSpend([])],
      ['one row', good],
      ['two rows', { ...good, rows: two.toString('base64') }],
      ['the last source', { ...good, rows: withField(bytes, 17, 2) }],
      ['a wide row', wideRow],
      ['a wide count of 2^53 - 1', { ...wideRow, rows: wideWith(3, 2 ** 53 - 1) }],
    ];
    for (const [what, spend] of ok) assert.deepEqual(checked(summary({ spend }))?.spend, spend, what);
  });
});

describe('the summary of a session', () => {
  const ev = (b: Record<string, unknown>) =>
    sessionEventSchema.parse({ v: LOG_VERSION, at: '2026-03-01T09:00:00.000Z', ...b });
  const contextModelOf = (events: Record<string, unknown>[]) =>
    summarize(
      {
        state: foldEvents('s', [
          ev({ type: 'session.created', sessionId: 's', title: 't', provider: 'p', model: 'session-model' }),
          ...events.map(ev),
        ]),
        readOnly: false,
        format: 'v1',
        problems: [],
      },
      { rel: 'sessions/s.jsonl', size: 1, mtimeMs: 1 },
      null,
    ).contextModel;

  it('names the model of the request whose context it shows, or none without one', () => {
    const started = (requestId: string, model: string) => ({
      type: 'request.started',
      requestId,
      turnId: 't0',
      provider: 'p',
      model,
    });
    const used = (requestId: string) => ({
      type: 'request.usage',
      requestId,
      usage: usage(10, 0, 0, 1),
      cost: cost(1n),
      final: true,
    });
    const turn = { type: 'turn.started', turnId: 't0', index: 0 };
    assert.equal(contextModelOf([]), null);
    assert.equal(contextModelOf([turn, started('r0', 'no-usage-yet')]), null);
    assert.equal(contextModelOf([turn, started('r0', 'first'), used('r0')]), 'first');
    assert.equal(
      contextModelOf([turn, started('r0', 'first'), used('r0'), started('r1', 'second'), used('r1')]),
      'second',
    );
  });
});

describe('the index file, damaged', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await tempStorage();
    path = join(dir, 'index.json');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const write = (o: unknown) => fs.writeFile(path, JSON.stringify(o));
  const none = { entries: new Map(), trash: new Map(), whole: false };

  it('is empty and not whole when it is missing, a folder, not JSON, or not an index', async () => {
    assert.deepEqual(await readIndex(path), none);
    await fs.mkdir(path);
    assert.deepEqual(await readIndex(path), none);
    await fs.rmdir(path);
    for (const text of [
      '',
      'null',
      '[]',
      `{"version":${INDEX_VERSION}}`,
      `{"version":"${INDEX_VERSION}","sessions":[]}`,
    ]) {
      await fs.writeFile(path, text);
      assert.deepEqual(await readIndex(path), none, text);
    }
    await write({ version: INDEX_VERSION, sessions: [], trash: {} });
    assert.deepEqual(await readIndex(path), none);
  });

  it('drops entries of every wrong shape, and is then not whole', async () => {
    const a = summary({ sessionId: 'a', file: 'sessions/a.jsonl' });
    const t = summary({ sessionId: 't', file: 'sessions/t.jsonl', deletedAt: 'd' });
    for (const v of notJson()) {
      await write({ version: INDEX_VERSION, sessions: [v, a], trash: [t] });
      assert.deepEqual(await readIndex(path), {
        entries: new Map([['a', parseSummary(a)]]),
        trash: new Map([['sessions/t.jsonl', parseSummary(t)]]),
        whole: false,
      });
      await write({ version: INDEX_VERSION, sessions: [a], trash: [t, v] });
      const r = await readIndex(path);
      assert.deepEqual([...r.entries.keys(), ...r.trash.keys(), r.whole], ['a', 'sessions/t.jsonl', false]);
    }
  });

  it('is whole with no trash list, an empty one, or one of good tombstones', async () => {
    const a = summary({ sessionId: 'a' });
    const t = summary({ sessionId: 't', file: 'sessions/t.jsonl', deletedAt: 'd' });
    await write({ version: INDEX_VERSION, sessions: [a] });
    assert.deepEqual(await readIndex(path), {
      entries: new Map([['a', parseSummary(a)]]),
      trash: new Map(),
      whole: true,
    });
    await write({ version: INDEX_VERSION, sessions: [], trash: [] });
    assert.deepEqual(await readIndex(path), { entries: new Map(), trash: new Map(), whole: true });
    await write({ version: INDEX_VERSION, sessions: [], trash: [t] });
    assert.deepEqual(await readIndex(path), {
      entries: new Map(),
      trash: new Map([['sessions/t.jsonl', parseSummary(t)]]),
      whole: true,
    });
  });
});

/** Entries that are no summary: JSON values of each other shape, and summaries with a hole. */
function notJson(): unknown[] {
  const noUsage = summary();
  delete noUsage.usage;
  return [null, 5, 'a', true, [], [summary()], {}, noUsage, summary({ usage: [] }), summary({ spend: null })];
}
