/**
 * The checkpoint file itself (src/core/sessions/checkpoint.ts), without the store: which header
 * and which log it accepts, why it refuses the others (the reason is logged), what restoring a
 * stored state checks, and that writing one never throws nor leaves a temporary file behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { foldEvents, type SessionState } from '../../../src/core/ledger/ledger';
import {
  CHECKPOINT_VERSION,
  checkpointPath,
  endHash,
  FOLD_VERSION,
  headHash,
  readCheckpoint,
  removeCheckpoint,
  restoreState,
  type StoredState,
  storeState,
  writeCheckpoint,
} from '../../../src/core/sessions/checkpoint';
import { LOG_VERSION, type SessionEvent, sessionEventSchema } from '../../../src/core/sessions/events';
import { type Layout, layoutOf } from '../../../src/core/sessions/layout';
import { cost, memoryLogger, tempStorage, usage } from './helpers';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function ev(body: Record<string, unknown>, at = '2026-03-01T09:00:00.000Z'): SessionEvent {
  return sessionEventSchema.parse({ v: LOG_VERSION, at, ...body }) as SessionEvent;
}

/** A small state with a turn of two requests, a session request, a message and a rename. */
function smallState(id = 's1'): SessionState {
  const u = usage(10, 20, 5, 7, 3);
  u.inputTokenDetails.cacheWrite1hTokens = 2;
  return foldEvents(id, [
    ev({
      type: 'session.created',
      sessionId: id,
      title: 'T',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    }),
    ev({
      type: 'request.started',
      requestId: 'title',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      purpose: 'title',
    }),
    ev({ type: 'request.usage', requestId: 'title', usage: usage(1, 0, 0, 1), cost: cost(5n), final: true }),
    ev({ type: 'turn.started', turnId: 't0', index: 0 }, '2026-03-01T09:00:01.000Z'),
    ev({ type: 'message', turnId: 't0', message: { role: 'user', content: 'hi' } }),
    ev({
      type: 'request.started',
      requestId: 'r0',
      turnId: 't0',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    }),
    ev({
      type: 'request.usage',
      requestId: 'r0',
      usage: { ...u, raw: { a: 1 } },
      cost: cost(null),
      final: false,
    }),
    ev({
      type: 'request.started',
      requestId: 'r1',
      turnId: 't0',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    }),
    ev({ type: 'request.usage', requestId: 'r1', usage: u, cost: cost(123n), final: true }),
    ev(
      { type: 'request.ended', requestId: 'r1', status: 'failed', error: 'boom' },
      '2026-03-01T09:00:02.000Z',
    ),
    ev(
      { type: 'turn.ended', turnId: 't0', status: 'failed', error: 'it failed' },
      '2026-03-01T09:00:03.000Z',
    ),
  ]);
}

describe('the fold checkpoint file', () => {
  let dir: string;
  let layout: Layout;
  let logPath: string;
  let log: Buffer;

  /** A log of `n` bytes, every byte distinct enough that a change anywhere changes a hash. */
  function logOf(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = 0x30 + ((i * 7) % 40);
    b[n - 1] = 0x0a;
    return b;
  }

  async function save(
    state: SessionState,
    logBytes: number,
    extra: Partial<{ lines: number; newestVersion: number }> = {},
  ) {
    await writeCheckpoint(layout, {
      state,
      logBytes,
      lines: extra.lines ?? 12,
      newestVersion: extra.newestVersion ?? 1,
      head: headHash(log),
      end: endHash(log.subarray(0, logBytes)),
    });
  }

  async function read(id = 's1', size = log.length) {
    const logger = memoryLogger();
    const fh = await fs.open(logPath, 'r');
    try {
      const c = await readCheckpoint(layout, id, fh, size, logger);
      const why = logger.lines.map((l) => `${l.level} ${l.msg}: ${JSON.stringify(l.data)}`);
      return { c, why };
    } finally {
      await fh.close();
    }
  }

  const refused = (why: string, id = 's1') => [
    `info fold checkpoint not used: ${JSON.stringify({ sessionId: id, why })}`,
  ];

  async function header(): Promise<Record<string, unknown>> {
    return JSON.parse((await fs.readFile(checkpointPath(layout, 's1'), 'utf8')).split('\n')[0]!);
  }

  /** Writes a checkpoint file by hand: `header` over a valid one, the body's hash made to match. */
  async function writeRaw(patch: Record<string, unknown>, body?: string): Promise<void> {
    const file = checkpointPath(layout, 's1');
    const [h, b] = (await fs.readFile(file, 'utf8')).split('\n');
    const theBody = body ?? b!;
    const head = { ...JSON.parse(h!), body: sha(theBody), ...patch };
    await fs.writeFile(file, `${JSON.stringify(head)}\n${theBody}\n`);
  }

  beforeEach(async () => {
    dir = await tempStorage();
    layout = layoutOf(dir);
    await fs.mkdir(layout.sessions, { recursive: true });
    logPath = join(layout.sessions, 's1.jsonl');
    log = logOf(20_000);
    await fs.writeFile(logPath, log);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('lives at cache/checkpoints/<id>.json', () => {
    assert.equal(checkpointPath(layoutOf('/x'), 'abc'), join('/x', 'cache', 'checkpoints', 'abc.json'));
  });

  it('hashes the first 4 KiB of a log, and the 4 KiB ending where the bytes end', () => {
    const b = logOf(10_000);
    assert.equal(headHash(b), sha(b.subarray(0, 4096)));
    assert.equal(endHash(b), sha(b.subarray(10_000 - 4096)));
    const short = logOf(100);
    assert.equal(headHash(short), sha(short));
    assert.equal(endHash(short), sha(short));
  });

  it('is written as a header line and a state line, and read back exactly', async () => {
    const state = smallState();
    await save(state, 12_000, { lines: 34, newestVersion: 1 });
    const text = await fs.readFile(checkpointPath(layout, 's1'), 'utf8');
    const [h, body, rest] = text.split('\n');
    assert.equal(rest, '');
    assert.deepEqual(JSON.parse(h!), {
      kind: 'tally.checkpoint',
      version: CHECKPOINT_VERSION,
      fold: FOLD_VERSION,
      sessionId: 's1',
      logBytes: 12_000,
      lines: 34,
      newestVersion: 1,
      head: sha(log.subarray(0, 4096)),
      end: sha(log.subarray(12_000 - 4096, 12_000)),
      body: sha(body!),
    });
    assert.deepEqual(JSON.parse(body!), JSON.parse(JSON.stringify(storeState(state))));
    assert.deepEqual(await fs.readdir(layout.checkpoints), ['s1.json'], 'no temporary file is left');
    const { c, why } = await read();
    assert.deepEqual(why, []);
    assert.deepEqual(c, {
      state,
      logBytes: 12_000,
      lines: 34,
      newestVersion: 1,
      head: sha(log.subarray(0, 4096)),
    });
  });

  it('covers a log shorter than 4 KiB by hashing all of it', async () => {
    log = logOf(1000);
    await fs.writeFile(logPath, log);
    await save(smallState(), 1000);
    const { c, why } = await read();
    assert.deepEqual(why, []);
    assert.equal(c?.logBytes, 1000);
    assert.equal(c?.head, sha(log));
  });

  it('is used while the log only grew, whatever changed between its head and its end', async () => {
    await save(smallState(), 12_000);
    const grown = Buffer.from(log);
    grown[4096] = 0x21; // just after the head
    grown[12_000 - 4097] = 0x21; // just before the end
    grown[15_000] = 0x21; // after the checkpoint
    await fs.writeFile(logPath, grown);
    const { c, why } = await read();
    assert.deepEqual(why, []);
    assert.equal(c?.logBytes, 12_000);
  });

  for (const at of [0, 4095, 12_000 - 4096, 11_999]) {
    it(`is refused when byte ${at} of the log changed`, async () => {
      await save(smallState(), 12_000);
      const changed = Buffer.from(log);
      changed[at] = 0x21;
      await fs.writeFile(logPath, changed);
      const { c, why } = await read();
      assert.equal(c, null);
      assert.deepEqual(why, refused('the log changed'));
    });
  }

  it('is used for a log of exactly its length, refused for a shorter one', async () => {
    await save(smallState(), 20_000);
    assert.equal((await read()).c?.logBytes, 20_000);
    const { c, why } = await read('s1', 19_999);
    assert.equal(c, null);
    assert.deepEqual(why, refused('the log is shorter than the checkpoint'));
  });

  it('is refused, not thrown, when the log turns out shorter than its size said', async () => {
    await save(smallState(), 20_000);
    await fs.truncate(logPath, 15_000);
    const { c, why } = await read('s1', 20_000);
    assert.equal(c, null);
    assert.deepEqual(why, refused('the log is shorter than its checkpoint'));
  });

  it('is nothing, silently, when there is none', async () => {
    const { c, why } = await read();
    assert.equal(c, null);
    assert.deepEqual(why, []);
  });

  for (const [what, patch] of [
    ['another kind', { kind: 'tally.other' }],
    ['another version', { version: CHECKPOINT_VERSION + 1 }],
    ['another fold', { fold: FOLD_VERSION + 1 }],
    ['another session', { sessionId: 's2' }],
    ['a fractional length', { logBytes: 100.5 }],
    ['a length of 0', { logBytes: 0 }],
    ['a negative length', { logBytes: -5 }],
    ['a length that is a string', { logBytes: '12000' }],
    ['fractional lines', { lines: 1.5 }],
    ['no line count', { lines: null }],
    ['a fractional version', { newestVersion: 1.5 }],
    ['no version', { newestVersion: 'one' }],
  ] as const) {
    it(`is refused with ${what} in its header`, async () => {
      await save(smallState(), 12_000);
      await writeRaw(patch);
      const { c, why } = await read();
      assert.equal(c, null);
      assert.deepEqual(why, refused('another format, fold or session'));
    });
  }

  it('is refused when its header is null or not JSON, or it has no newline', async () => {
    const file = checkpointPath(layout, 's1');
    await fs.mkdir(layout.checkpoints, { recursive: true });
    await fs.writeFile(file, 'null\n{}\n');
    assert.deepEqual((await read()).why, refused('another format, fold or session'));
    await fs.writeFile(file, '{"kind":\n{}\n');
    assert.deepEqual((await read()).why, refused('header is not JSON'));
    await fs.writeFile(file, '{"kind":"tally.checkpoint"}');
    assert.deepEqual((await read()).why, refused('no header line'));
  });

  it('accepts its state line with or without the final newline, and nothing more after it', async () => {
    await save(smallState(), 12_000);
    const file = checkpointPath(layout, 's1');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.slice(0, -1));
    assert.deepEqual((await read()).why, []);
    await fs.writeFile(file, `${text}\n`);
    assert.deepEqual((await read()).why, refused('the state does not match its hash'));
  });

  it('is refused, with the reason, when its state cannot be restored', async () => {
    await save(smallState(), 12_000);
    const stored = JSON.parse(JSON.stringify(storeState(smallState())));
    stored.requests[0][2] = 999;
    await writeRaw({}, JSON.stringify(stored));
    const { c, why } = await read();
    assert.equal(c, null);
    assert.deepEqual(why, refused('the state cannot be restored (a string index)'));
    await writeRaw({}, '{"session":');
    assert.match((await read()).why[0]!, /the state cannot be restored \(.*JSON/);
  });

  it('refuses an empty header line as not JSON, and works without a logger', async () => {
    await save(smallState(), 12_000);
    const file = checkpointPath(layout, 's1');
    await fs.writeFile(file, `\n${(await fs.readFile(file, 'utf8')).split('\n')[1]}\n`);
    assert.deepEqual((await read()).why, refused('header is not JSON'));
    const fh = await fs.open(logPath, 'r');
    try {
      assert.equal(await readCheckpoint(layout, 's1', fh, log.length), null);
    } finally {
      await fh.close();
    }
    const state = smallState();
    state.sessionRequestIds.push('ghost');
    await writeCheckpoint(layout, { state, logBytes: 1, lines: 1, newestVersion: 1, head: 'h', end: 'e' });
    await fs.rm(file);
    await fs.mkdir(join(file, 'x'), { recursive: true });
    await writeCheckpoint(layout, {
      state: smallState(),
      logBytes: 1,
      lines: 1,
      newestVersion: 1,
      head: 'h',
      end: 'e',
    });
    assert.deepEqual(await fs.readdir(layout.checkpoints), ['s1.json']);
  });

  it('is replaced whole by the next one, and removed on demand', async () => {
    await save(smallState(), 12_000);
    await save(smallState(), 16_000);
    assert.equal((await header()).logBytes, 16_000);
    assert.deepEqual(await fs.readdir(layout.checkpoints), ['s1.json']);
    await removeCheckpoint(layout, 's1');
    assert.deepEqual(await fs.readdir(layout.checkpoints), []);
    await removeCheckpoint(layout, 's1'); // none: no error
  });

  it('writing one never throws: a state it cannot store, a folder it cannot write', async () => {
    const logger = memoryLogger();
    const state = smallState();
    state.turns[0]!.requestIds.push('ghost');
    await writeCheckpoint(
      layout,
      { state, logBytes: 100, lines: 1, newestVersion: 1, head: 'h', end: 'e' },
      logger,
    );
    assert.deepEqual(logger.lines, [
      {
        level: 'info',
        msg: 'fold checkpoint not written',
        data: { sessionId: 's1', why: 'request ghost is not in the session' },
      },
    ]);
    await assert.rejects(fs.stat(layout.checkpoints), { code: 'ENOENT' });

    // The checkpoint's name taken by a folder: the rename fails, the temporary file is removed.
    await fs.mkdir(join(layout.checkpoints, 's1.json', 'x'), { recursive: true });
    const second = memoryLogger();
    await writeCheckpoint(
      layout,
      { state: smallState(), logBytes: 100, lines: 1, newestVersion: 1, head: 'h', end: 'e' },
      second,
    );
    assert.equal(second.lines.length, 1);
    assert.equal(second.lines[0]?.msg, 'fold checkpoint not written');
    assert.equal(second.lines[0]?.data?.sessionId, 's1');
    assert.match(String(second.lines[0]?.data?.why), /^E[A-Z]+: /);
    assert.deepEqual(await fs.readdir(layout.checkpoints), ['s1.json']);
  });
});

describe('restoring a stored state', () => {
  const good = (): StoredState => JSON.parse(JSON.stringify(storeState(smallState())));

  it('gives back every field as the fold makes it', () => {
    const state = smallState();
    assert.deepEqual(restoreState(good()), state);
    const r1 = restoreState(good()).requests.get('r1')!;
    assert.equal(r1.final, true);
    assert.equal(r1.costPico, 123n);
    assert.equal(r1.error, 'boom');
    assert.equal(r1.usage?.inputTokenDetails.cacheWrite1hTokens, 2);
    const r0 = restoreState(good()).requests.get('r0')!;
    assert.deepEqual(r0.cost, { pico: null, basis: 'unknown' });
    assert.equal(r0.costPico, null);
    assert.equal(r0.final, false);
    assert.deepEqual(r0.usage?.raw, { a: 1 });
    assert.equal('raw' in restoreState(good()).requests.get('r1')!.usage!, false);
    assert.deepEqual(restoreState(good()).turns[0]?.requestIds, ['r0', 'r1']);
  });

  it('stores each repeated string once, in the order first met', () => {
    const j = storeState(smallState());
    assert.deepEqual(j.strings, [
      'failed',
      JSON.stringify({ basis: 'computed', catalog: 'test' }),
      'anthropic',
      'claude-haiku-4-5',
      'title',
      'streaming',
      JSON.stringify({ basis: 'unknown' }),
      'claude-sonnet-4-5',
      'chat',
    ]);
    assert.deepEqual(j.sessionRequests, [0]);
    assert.equal(j.requests[0]?.[8]?.[4], null, 'no 1-hour cache write: null, not undefined');
    assert.equal(j.requests[2]?.[8]?.[4], 2);
    assert.deepEqual(j.turns[0]?.[6], [1, 2]);
  });

  it('stores requests in the order they started, whatever the map’s order', () => {
    const state = smallState();
    const entries = [...state.requests.entries()].reverse();
    state.requests = new Map(entries);
    const j = storeState(state);
    assert.deepEqual(
      j.requests.map((r) => r[0]),
      ['title', 'r0', 'r1'],
    );
    assert.deepEqual(restoreState(JSON.parse(JSON.stringify(j))), smallState());
  });

  it('keeps where a session was imported from, and a request that has no cost yet', () => {
    const state = foldEvents('imp', [
      ev({
        type: 'session.created',
        sessionId: 'imp',
        title: 'I',
        provider: 'openai',
        model: 'gpt-4o',
        importedFrom: { file: '/old.json', sha256: 'f'.repeat(64) },
        approximate: true,
      }),
      ev({ type: 'turn.started', turnId: 't0', index: 0 }),
      ev({ type: 'request.started', requestId: 'r0', turnId: 't0', provider: 'openai', model: 'gpt-4o' }),
    ]);
    const j = JSON.parse(JSON.stringify(storeState(state)));
    assert.deepEqual(j.importedFrom, { file: '/old.json', sha256: 'f'.repeat(64) });
    assert.equal(j.requests[0][9], null);
    const back = restoreState(j);
    assert.deepEqual(back, state);
    assert.equal(back.requests.get('r0')?.cost, null);
    assert.equal(back.requests.get('r0')?.usage, null);
  });

  it('takes only `true` as true, and null as absent', () => {
    const j = good();
    j.requests[2]![10] = 1 as unknown as boolean;
    (j as { approximate: unknown }).approximate = 'yes';
    j.importedFrom = null;
    const s = restoreState(j);
    assert.equal(s.requests.get('r1')?.final, false);
    assert.equal(s.approximate, false);
    assert.equal(s.importedFrom, undefined);
    const k = good();
    k.approximate = true;
    k.importedFrom = { file: '/a', sha256: 'b' };
    assert.equal(restoreState(k).approximate, true);
    assert.deepEqual(restoreState(k).importedFrom, { file: '/a', sha256: 'b' });
  });

  it('a usage without a 1-hour cache write count restores without the field', () => {
    const j = good();
    const row = j.requests[0]![8]!;
    assert.equal(row[4], null);
    const u = restoreState(j).requests.get('title')!.usage!;
    assert.equal('cacheWrite1hTokens' in u.inputTokenDetails, false);
    assert.equal(u.source, 'provider');
  });

  const broken: [string, (j: StoredState) => void, string][] = [
    ['a short session row', (j) => j.session.pop(), 'the session row'],
    [
      'a session row that is not an array',
      (j) => ((j as { session: unknown }).session = 'x'),
      'the session row',
    ],
    ['a number in the session row', (j) => ((j.session as unknown[])[3] = 3), 'the session row'],
    ['no strings', (j) => ((j as { strings: unknown }).strings = {}), 'strings, turns or requests'],
    ['no turns', (j) => ((j as { turns: unknown }).turns = null), 'strings, turns or requests'],
    ['no requests', (j) => ((j as { requests: unknown }).requests = 1), 'strings, turns or requests'],
    ['no messages', (j) => ((j as { messages: unknown }).messages = {}), 'messages or session requests'],
    [
      'no session requests',
      (j) => ((j as { sessionRequests: unknown }).sessionRequests = 'x'),
      'messages or session requests',
    ],
    ['a short request row', (j) => j.requests[1]!.pop(), 'a request row'],
    ['a long request row', (j) => (j.requests[1] as unknown[]).push(null), 'a request row'],
    [
      'a request row that is an object',
      (j) => ((j.requests as unknown[])[1] = { length: 12, 0: 'r0' }),
      'a request row',
    ],
    ['a request id that is a number', (j) => ((j.requests[1] as unknown[])[0] = 5), 'a request row'],
    ['a provider index past the table', (j) => (j.requests[1]![2] = 99), 'a string index'],
    ['a cost of a fraction', (j) => (j.requests[2]![9]![0] = '1.5'), 'a cost'],
    ['a cost that is empty', (j) => (j.requests[2]![9]![0] = ''), 'a cost'],
    ['a cost of 31 digits', (j) => (j.requests[2]![9]![0] = '1'.repeat(31)), 'a cost'],
    ['a cost that is a number', (j) => ((j.requests[2]![9] as unknown[])[0] = 123), 'a cost'],
    ['a negative count', (j) => (j.requests[2]![8]![0] = -1), 'a count'],
    ['a fractional count', (j) => (j.requests[2]![8]![8] = 1.5), 'a count'],
    ['a count that is a string', (j) => (j.requests[2]![8]![7] = '3'), 'a count'],
    ['a null count other than the 1-hour cache write', (j) => (j.requests[2]![8]![3] = null), 'a count'],
    ['a 1-hour cache write that is negative', (j) => (j.requests[2]![8]![4] = -2), 'a count'],
    ['an unknown usage source', (j) => (j.requests[2]![8]![9] = 'guess'), 'a source'],
    ['a short turn row', (j) => j.turns[0]!.pop(), 'a turn row'],
    ['a turn id that is a number', (j) => ((j.turns[0] as unknown[])[0] = 1), 'a turn row'],
    ['turn requests that are not a list', (j) => ((j.turns[0] as unknown[])[6] = 0), 'a turn row'],
    ['a turn row that is an object', (j) => ((j.turns as unknown[])[0] = { length: 7 }), 'a turn row'],
    [
      'a turn row that only looks like one',
      (j) => ((j.turns as unknown[])[0] = { length: 7, 0: 't0', 4: 0, 6: [] }),
      'a turn row',
    ],
    ['a long turn row', (j) => (j.turns[0] as unknown[]).push(null), 'a turn row'],
    ['a turn naming a request past the list', (j) => j.turns[0]![6].push(3), 'a request position'],
    ['a session request past the list', (j) => j.sessionRequests.push(-1), 'a request position'],
  ];
  for (const [what, damage, message] of broken) {
    it(`refuses ${what}: "${message}"`, () => {
      const j = good();
      damage(j);
      assert.throws(() => restoreState(j), { message });
    });
  }

  it('accepts the largest cost and a count of 0 in every place', () => {
    const j = good();
    j.requests[2]![9]![0] = '9'.repeat(30);
    j.requests[2]![8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 'legacy'];
    const r = restoreState(j).requests.get('r1')!;
    assert.equal(r.costPico, BigInt('9'.repeat(30)));
    assert.equal(r.usage?.inputTokenDetails.cacheWrite1hTokens, 0);
    assert.equal(r.usage?.source, 'legacy');
    j.requests[2]![8]![9] = 'estimated';
    assert.equal(restoreState(j).requests.get('r1')!.usage?.source, 'estimated');
  });
});
