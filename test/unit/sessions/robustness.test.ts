import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { sessionTotals } from '../../../src/core/ledger/derive';
import { foldEvents, type RequestRecord } from '../../../src/core/ledger/ledger';
import { sessionEventSchema } from '../../../src/core/sessions/events';
import { parseLog } from '../../../src/core/sessions/parseLog';
import { ProblemList } from '../../../src/core/sessions/problems';
import { SessionStore } from '../../../src/core/sessions/store';
import { cost, exists, FIXTURES, recordTurn, tempStorage, usage } from './helpers';

/** Records `turns` turns into a fresh session and returns the log's bytes. */
async function recordedLog(dir: string, id: string, turns: number): Promise<Buffer> {
  const store = await SessionStore.open(dir);
  const w = await store.create({
    title: 'Cut me',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    sessionId: id,
  });
  for (let i = 0; i < turns; i++)
    await recordTurn(w, i, usage(1000 + i, 2000 * i, 10, 100 + i, 7), cost(BigInt(1000 + i)));
  await w.close();
  return fs.readFile(join(dir, 'sessions', `${id}.jsonl`));
}

/** The totals of the events on the complete lines of `bytes` (those ending with a newline). */
function totalsOfCompleteLines(bytes: Buffer, extraWholeLine: boolean) {
  const text = bytes.toString('utf8');
  const lines = text.split('\n');
  const complete = lines.slice(0, -1);
  if (extraWholeLine) complete.push(lines[lines.length - 1]!);
  const events = complete.filter((l) => l.trim()).map((l) => sessionEventSchema.parse(JSON.parse(l)));
  return sessionTotals(foldEvents('x', events));
}

function isWholeJson(s: string): boolean {
  try {
    sessionEventSchema.parse(JSON.parse(s));
    return true;
  } catch {
    return false;
  }
}

describe('loading damaged session files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a log cut at every byte offset loses at most the line being written, and says so', async () => {
    // Every offset through the parser that load() uses (the file system part, keeping the torn
    // bytes aside, is covered below and by the property test through the store).
    const full = await recordedLog(dir, 'full', 3);
    for (let k = 0; k <= full.length; k++) {
      const cut = full.subarray(0, k);
      const problems = new ProblemList('cut.jsonl');
      const parsed = parseLog(cut, problems);
      const tail = cut.subarray(cut.lastIndexOf(0x0a) + 1);
      const whole = tail.length > 0 && isWholeJson(tail.toString('utf8'));
      assert.deepEqual(problems.done(), [], `offset ${k}`);
      assert.deepEqual(parsed.torn, tail.length > 0 && !whole ? tail : null, `offset ${k}`);
      assert.equal(parsed.needsNewline, whole, `offset ${k}`);
      assert.equal(parsed.goodLength, whole ? k : k - tail.length, `offset ${k}`);
      const totals = sessionTotals(foldEvents('x', parsed.events));
      assert.deepEqual(totals, totalsOfCompleteLines(cut, whole), `offset ${k}`);
    }
  });

  it('a cut log loads through the store with its torn bytes kept aside', async () => {
    const full = await recordedLog(dir, 'full', 2);
    const store = await SessionStore.open(dir);
    const file = join(dir, 'sessions', 'cut.jsonl');
    const lines = full.toString('utf8').split('\n');
    // Cut inside the session.created line, inside the final usage line, and just before a newline.
    const offsets = [40, lines.slice(0, 9).join('\n').length + 1 + 150, full.length - 1, full.length];
    for (const k of offsets) {
      const cut = full.subarray(0, k);
      await fs.writeFile(file, cut);
      const old = new Date(Date.now() - 3_600_000);
      await fs.utimes(file, old, old);
      const loaded = await store.load('cut');
      const tail = cut.subarray(cut.lastIndexOf(0x0a) + 1);
      if (k === 40) {
        // Not even session.created is whole: the file is moved aside, not lost.
        assert.equal(loaded?.problems[0]?.kind, 'unreadable');
        assert.deepEqual(await fs.readFile(loaded!.problems[0]!.keptAt!), cut);
        continue;
      }
      const whole = tail.length === 0 || isWholeJson(tail.toString('utf8'));
      assert.deepEqual(sessionTotals(loaded!.state), totalsOfCompleteLines(cut, whole && tail.length > 0));
      const torn = loaded!.problems.filter((p) => p.kind === 'torn-tail');
      assert.equal(torn.length, whole ? 0 : 1, `offset ${k}`);
      if (torn[0]) assert.deepEqual(await fs.readFile(torn[0].keptAt!), tail);
    }
  });

  it('property: for any cut of any log, every request completed before the cut loads exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(50_000), fc.nat(50_000), fc.nat(5000), fc.nat(9000)), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (turns, where) => {
          const d = await tempStorage();
          try {
            const store = await SessionStore.open(d);
            const w = await store.create({ title: 'p', provider: 'p', model: 'm', sessionId: 's' });
            const ends: number[] = [];
            const file = join(d, 'sessions', 's.jsonl');
            for (const [i, [plain, read, write, out]] of turns.entries()) {
              await recordTurn(w, i, usage(plain, read, write, out), cost(BigInt(plain + out)));
              ends.push((await fs.stat(file)).size);
            }
            await w.close();
            const full = await fs.readFile(file);
            const k = Math.floor(where * full.length);
            await fs.writeFile(file, full.subarray(0, k));
            const loaded = await store.load('s');
            const done = ends.filter((e) => e <= k).length;
            if (!loaded || loaded.problems.some((p) => p.kind === 'unreadable')) {
              assert.equal(done, 0);
              return;
            }
            // Every turn whose last line was on disk before the cut is there, with its numbers.
            for (let i = 0; i < done; i++) {
              const r: RequestRecord | undefined = loaded.state.requests.get(`r${i}`);
              const [plain, read, write, out] = turns[i]!;
              assert.deepEqual(r?.usage, usage(plain, read, write, out));
              assert.equal(r?.costPico, BigInt(plain + out));
            }
            // Continuing the session after the cut starts on a fresh line: no problem afterwards.
            const w2 = await store.openWriter('s');
            await recordTurn(w2, 99, usage(1, 0, 0, 1), cost(2n));
            await w2.close();
            const again = await store.load('s');
            assert.deepEqual(again?.problems, []);
            assert.ok(again?.state.requests.get('r99')?.final);
          } finally {
            await fs.rm(d, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a torn tail is kept aside once, and cut off only when a writer opens the session', async () => {
    const full = await recordedLog(dir, 'torn', 2);
    const file = join(dir, 'sessions', 'torn.jsonl');
    const torn = Buffer.from('{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"turn.sta');
    await fs.writeFile(file, Buffer.concat([full, torn]));
    const store = await SessionStore.open(dir);

    const first = await store.load('torn');
    const second = await store.load('torn');
    const problem = first?.problems.find((p) => p.kind === 'torn-tail');
    assert.ok(problem?.keptAt);
    assert.equal(second?.problems.find((p) => p.kind === 'torn-tail')?.keptAt, problem.keptAt);
    assert.deepEqual(await fs.readFile(problem.keptAt), torn);
    assert.equal((await fs.readdir(join(dir, 'sessions', 'aside'))).length, 1);
    // Loading never changes the log.
    assert.equal((await fs.stat(file)).size, full.length + torn.length);

    const w = await store.openWriter('torn');
    assert.equal((await fs.stat(file)).size, full.length);
    await recordTurn(w, 2, usage(5, 0, 0, 5), cost(1n));
    await w.close();
    const after = await store.load('torn');
    assert.deepEqual(after?.problems, []);
    assert.equal(after?.state.turns.length, 3);
    assert.deepEqual(await fs.readFile(problem.keptAt), torn);
  });

  it('when nothing can be kept aside, nothing is cut or moved: the bytes stay in place', async () => {
    const full = await recordedLog(dir, 'stuck', 1);
    const file = join(dir, 'sessions', 'stuck.jsonl');
    await fs.writeFile(file, Buffer.concat([full, Buffer.from('{"v":1,"at":"20')]));
    await fs.writeFile(join(dir, 'sessions', 'garbage.jsonl'), 'not a log\n');
    // aside/ cannot be created: a file stands in its way.
    await fs.writeFile(join(dir, 'sessions', 'aside'), 'in the way');
    const store = await SessionStore.open(dir);
    const loaded = await store.load('stuck');
    const torn = loaded?.problems.find((p) => p.kind === 'torn-tail');
    assert.ok(torn);
    assert.equal(torn.keptAt, undefined);
    assert.match(torn.message, /could not be copied aside/);
    const { problems } = await store.list();
    const unreadable = problems.find((p) => p.kind === 'unreadable');
    assert.equal(unreadable?.keptAt, undefined);
    assert.match(unreadable!.message, /left in place/);
    assert.ok(await exists(join(dir, 'sessions', 'garbage.jsonl')));

    const w = await store.openWriter('stuck');
    await recordTurn(w, 1, usage(5, 0, 0, 5), cost(1n));
    await w.close();
    const text = await fs.readFile(file, 'utf8');
    assert.ok(text.includes('{"v":1,"at":"20\n'));
    const after = await store.load('stuck');
    assert.deepEqual(
      after?.problems.map((p) => p.kind),
      ['bad-line'],
    );
    assert.equal(after?.state.turns.length, 2);
  });

  it('a whole last line without its newline counts, and the next append starts on a new line', async () => {
    const full = await recordedLog(dir, 'nonl', 1);
    const file = join(dir, 'sessions', 'nonl.jsonl');
    await fs.writeFile(file, full.subarray(0, full.length - 1));
    const store = await SessionStore.open(dir);
    const loaded = await store.load('nonl');
    assert.deepEqual(loaded?.problems, []);
    assert.equal(loaded?.state.turns[0]?.status, 'completed');
    const w = await store.openWriter('nonl');
    await recordTurn(w, 1, usage(5, 0, 0, 5), cost(1n));
    await w.close();
    const again = await store.load('nonl');
    assert.deepEqual(again?.problems, []);
    assert.equal(again?.state.turns.length, 2);
  });

  it('bad lines in the middle are skipped and reported by line, never thrown, and stay in the file', async () => {
    const full = await recordedLog(dir, 'bad', 2);
    const lines = full.toString('utf8').trimEnd().split('\n');
    const bad = [
      lines[0],
      'not json at all',
      lines[1],
      '{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"turn.started","turnId":"tx","index":-3}',
      lines[2],
      '[1,2,3]',
      '{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"no.such.event"}',
      '{"hello":"world"}',
      '{"v":1,"at":"2026-01-01T00:00:00.000Z","type":"request.usage","requestId":"r0","usage":{"inputTokens":"NaN"},"cost":{"pico":null,"basis":"unknown"},"final":true}',
      ...lines.slice(3),
    ];
    const file = join(dir, 'sessions', 'bad.jsonl');
    const bytes = Buffer.concat([
      Buffer.from(`${bad.slice(0, 4).join('\n')}\n`),
      Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]),
      Buffer.from(`${bad.slice(4).join('\n')}\n`),
    ]);
    await fs.writeFile(file, bytes);
    const store = await SessionStore.open(dir);
    const loaded = await store.load('bad');
    assert.ok(loaded);
    const kinds = loaded.problems.map((p) => p.kind);
    assert.deepEqual(kinds, Array(7).fill('bad-line'));
    assert.match(loaded.problems[0]!.message, /^line 2 /);
    assert.match(loaded.problems[2]!.message, /^line 5 .*UTF-8/);
    const reference = sessionTotals(
      foldEvents(
        'bad',
        lines.map((l) => sessionEventSchema.parse(JSON.parse(l))),
      ),
    );
    assert.deepEqual(sessionTotals(loaded.state), reference);
    for (const n of [0, 1]) assert.equal(loaded.state.turns[n]?.status, 'completed');
    assert.deepEqual(await fs.readFile(file), bytes);
  });

  it('floods of bad lines are summed up after the first twenty', async () => {
    await recordedLog(dir, 'flood', 1);
    const file = join(dir, 'sessions', 'flood.jsonl');
    await fs.appendFile(file, 'garbage\n'.repeat(100));
    const loaded = await SessionStore.open(dir).then((s) => s.load('flood'));
    assert.equal(loaded?.problems.length, 21);
    assert.match(loaded!.problems[20]!.message, /80 more .*100 in all/);
  });

  it('unreadable files are moved aside and reported; every other session still loads', async () => {
    await recordedLog(dir, 'good', 2);
    const sessions = join(dir, 'sessions');
    const old = new Date(Date.now() - 3_600_000);
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    await fs.writeFile(join(sessions, 'garbage.jsonl'), garbage);
    await fs.writeFile(join(sessions, 'prose.jsonl'), 'Dear diary,\ntoday I wrote no JSON.\n');
    await fs.writeFile(join(sessions, 'empty.jsonl'), '');
    await fs.utimes(join(sessions, 'empty.jsonl'), old, old);
    await fs.mkdir(join(sessions, 'folder.jsonl'));
    await fs.writeFile(join(dir, 'message-history-broken.json'), '{"messages": [');
    await fs.writeFile(join(dir, 'message-history-other.json'), '{"some": "json"}');
    // A file that appeared this very minute and holds nothing yet may be a session being created.
    await fs.writeFile(join(sessions, 'newborn.jsonl'), '');

    const store = await SessionStore.open(dir);
    const { sessions: list, problems } = await store.list();
    assert.deepEqual(
      list.map((s) => s.sessionId),
      ['good'],
    );
    const unreadable = problems.filter((p) => p.kind === 'unreadable');
    assert.equal(unreadable.length, 6, JSON.stringify(problems));
    for (const p of unreadable) {
      assert.ok(p.keptAt, p.message);
      assert.ok(await exists(p.keptAt));
      assert.equal(await exists(p.file), false);
    }
    assert.ok(await exists(join(sessions, 'newborn.jsonl')));
    assert.equal((await store.load('good'))?.state.turns.length, 2);
    const kept = await fs.readdir(join(sessions, 'aside'));
    const garbageCopy = kept.find((n) => n.startsWith('garbage.jsonl.'));
    assert.ok(garbageCopy);
    assert.deepEqual(await fs.readFile(join(sessions, 'aside', garbageCopy)), garbage);
  });

  it('loading an unreadable session by id reports it instead of throwing', async () => {
    await fs.mkdir(join(dir, 'sessions'), { recursive: true });
    await fs.writeFile(join(dir, 'sessions', 'junk.jsonl'), Buffer.from([0, 1, 2, 3, 10, 0, 0]));
    const store = await SessionStore.open(dir);
    const loaded = await store.load('junk');
    assert.ok(loaded);
    assert.equal(loaded.readOnly, true);
    assert.equal(loaded.problems[0]?.kind, 'unreadable');
    assert.equal(loaded.state.requests.size, 0);
    assert.equal(await store.load('junk'), null);
  });

  it('a log from a newer version loads what it can, read-only, and is never written', async () => {
    await fs.mkdir(join(dir, 'sessions'), { recursive: true });
    const file = join(dir, 'sessions', 'v2-newer.jsonl');
    const bytes = Buffer.concat([
      await fs.readFile(join(FIXTURES, 'v2-newer.jsonl')),
      Buffer.from('{"v":2,"at":"2026-03-01T10:00:04.000Z","type":"turn.star'),
    ]);
    await fs.writeFile(file, bytes);
    const store = await SessionStore.open(dir);
    const loaded = await store.load('v2-newer');
    assert.ok(loaded);
    assert.equal(loaded.readOnly, true);
    assert.equal(loaded.format, 'v1');
    assert.deepEqual(loaded.problems.map((p) => p.kind).sort(), ['newer-version', 'torn-tail']);
    assert.match(
      loaded.problems.find((p) => p.kind === 'newer-version')!.message,
      /1 lines of log version 2/,
    );
    const totals = sessionTotals(loaded.state);
    assert.equal(totals.usage.inputTokens, 1200);
    assert.equal(totals.cost.knownPico, 3_800_000_000n);
    assert.equal(loaded.state.turns[0]?.status, 'completed');

    await assert.rejects(store.openWriter('v2-newer'), /read-only.*newer version.*log version 2/);
    await assert.rejects(store.rename('v2-newer', 'x'), /read-only/);
    const { sessions } = await store.list();
    assert.equal(sessions[0]?.readOnly, true);
    assert.deepEqual(await fs.readFile(file), bytes);
  });
});
