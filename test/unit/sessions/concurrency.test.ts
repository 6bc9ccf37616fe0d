import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SessionStore } from '../../../src/core/sessions/store';
import { tempStorage } from './helpers';

const run = promisify(execFile);

describe('two processes appending to one session', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('never interleave within a line: every line of both loads, none is lost', async () => {
    const store = await SessionStore.open(dir);
    await (await store.create({ title: 'shared', provider: 'p', model: 'm', sessionId: 'shared' })).close();
    const child = join(__dirname, 'appendChild.ts');
    const spawn = (tag: string) =>
      run(process.execPath, ['--import', 'tsx', child, dir, tag, '150'], { timeout: 60_000 });
    await Promise.all([spawn('a'), spawn('b'), spawn('c')]);

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
    const lines = (await fs.readFile(join(dir, 'sessions', 'shared.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 1 + 3 * 150);
  });
});
