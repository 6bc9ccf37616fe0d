/**
 * Two Tally windows (or the editor and `tally run`) writing one session at once: lines never
 * interleave, every record is counted once, and each writer's state is the file's state, its
 * own appends and the other's alike.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { sessionTotals } from '../../../src/core/ledger/derive';
import { SessionStore } from '../../../src/core/sessions/store';
import { tempStorage } from './helpers';

const run = promisify(execFile);
const CHILD = join(__dirname, 'appendChild.ts');

/** A child process's stdout, line by line. */
function lines(child: ChildProcessWithoutNullStreams): AsyncIterator<string> {
  return createInterface({ input: child.stdout })[Symbol.asyncIterator]();
}

describe('two processes appending to one session', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('never interleave within a line, even for 50 kB lines: every line of three processes loads', async () => {
    const store = await SessionStore.open(dir);
    await (await store.create({ title: 'shared', provider: 'p', model: 'm', sessionId: 'shared' })).close();
    const spawnOne = (tag: string) =>
      run(process.execPath, ['--import', 'tsx', CHILD, dir, tag, '150', 'messages'], { timeout: 60_000 });
    await Promise.all([spawnOne('a'), spawnOne('b'), spawnOne('c')]);

    const loaded = await store.load('shared');
    assert.ok(loaded);
    assert.deepEqual(loaded.problems, []);
    const seen = new Map<string, number[]>();
    for (const m of loaded.state.messages) {
      const [tag, i] = String(m.message.content).split(':');
      seen.set(tag!, [...(seen.get(tag!) ?? []), Number(i)]);
    }
    for (const tag of ['a', 'b', 'c']) {
      // Each process's own appends stay in its order.
      assert.deepEqual(
        seen.get(tag),
        Array.from({ length: 150 }, (_, i) => i),
        tag,
      );
    }
    const text = (await fs.readFile(join(dir, 'sessions', 'shared.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.equal(text.length, 1 + 3 * 150);
  });

  it('10,000 records each from two processes: every line parses, each counts once, and both see the final totals', async () => {
    // 5,000 requests each: a request.started and a final request.usage line apiece.
    const N = 5_000;
    const store = await SessionStore.open(dir);
    await (await store.create({ title: 'shared', provider: 'p', model: 'm', sessionId: 'shared' })).close();
    const children = ['a', 'b'].map((tag) =>
      spawn(process.execPath, ['--import', 'tsx', CHILD, dir, tag, String(N), 'requests']),
    );
    const errors = children.map((c) => {
      let err = '';
      c.stderr.on('data', (b) => {
        err += b;
      });
      return () => err;
    });
    const outs = children.map(lines);
    for (const [i, out] of outs.entries()) {
      const first = await out.next();
      assert.equal(first.value, 'appended', errors[i]!());
    }
    // Both are done appending: now each folds what the other wrote and reports its totals.
    for (const c of children) c.stdin.write('go\n');
    const reported = await Promise.all(outs.map(async (o) => JSON.parse((await o.next()).value as string)));
    await Promise.all(children.map((c) => new Promise((r) => c.once('close', r))));

    const file = join(dir, 'sessions', 'shared.jsonl');
    const raw = (await fs.readFile(file, 'utf8')).split('\n');
    assert.equal(raw.pop(), '', 'the log ends with a newline');
    assert.equal(raw.length, 1 + 2 * 10_000);
    const ids = new Set<string>();
    for (const l of raw) {
      const e = JSON.parse(l) as { type: string; requestId?: string };
      if (e.type === 'request.started') {
        assert.ok(!ids.has(e.requestId!), `${e.requestId} started twice`);
        ids.add(e.requestId!);
      }
    }
    assert.equal(ids.size, 2 * N);

    // Each process's input tokens are 1..N and output 1 per request.
    const expectedTokens = 2 * ((N * (N + 1)) / 2 + N);
    const expectedCost = String(2 * ((N * (N + 1)) / 2));
    const loaded = await store.load('shared');
    assert.ok(loaded);
    assert.deepEqual(loaded.problems, []);
    const t = sessionTotals(loaded.state);
    assert.equal(loaded.state.requests.size, 2 * N);
    assert.equal(t.usage.totalTokens, expectedTokens);
    assert.equal(t.cost.knownPico.toString(), expectedCost);
    for (const r of reported) {
      assert.deepEqual(r, { requests: 2 * N, totalTokens: expectedTokens, cost: expectedCost });
    }
  });
});
