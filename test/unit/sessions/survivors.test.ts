/**
 * Cases found by mutation testing of the session persistence code: the fast path takes a line
 * only from where its head ends, format-0 details (turn order, repeated lines with ids, where a
 * mismatch is), the id a format-0 import claims, and how a lease without a usable body is judged.
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parseCanonicalEvent } from '../../../src/core/sessions/fastEvent';
import { convertFormat0, format0Record } from '../../../src/core/sessions/format0';
import { recognizeOldFile } from '../../../src/core/sessions/importing';
import { layoutOf } from '../../../src/core/sessions/layout';
import { leaseDir, otherLiveWriters } from '../../../src/core/sessions/leases';
import { ProblemList } from '../../../src/core/sessions/problems';
import { tempStorage } from './helpers';

function convert(...raw: object[]) {
  const problems = new ProblemList('/f0');
  const out = convertFormat0(
    raw.map((r) => format0Record.parse(r)),
    { sessionId: 'f0', problems, fallbackTime: '2026-05-05T05:05:05.005Z' },
  );
  return { ...out, problems: problems.done().map((p) => `${p.kind}: ${p.message}`) };
}

describe('mutation-found: sessions', () => {
  it('the fast path reads the body right after the head, never further on', () => {
    assert.equal(
      parseCanonicalEvent('{"v":1,"at":"x","type":"turn.started"xx,"turnId":"t","index":0}'),
      undefined,
    );
  });

  it('format 0: no meta model and no usage gives an empty model', () => {
    assert.equal(convert({ type: 'meta' }).events[0].model, '');
  });

  it('format 0: a repeated line with a request id is another snapshot, not a duplicate', () => {
    const u = { type: 'usage', turn: 0, requestId: 'r', inputTokens: 5, outputTokens: 1, totalTokens: 6 };
    const out = convert(u, u);
    assert.equal(out.events.filter((e) => e.type === 'request.usage').length, 2);
    assert.deepEqual(out.notes, ['format 0: 1 turns, 1 requests from 2 usage records']);
  });

  it('format 0: a per-request mismatch says which turn', () => {
    const out = convert({
      type: 'usage',
      turn: 4,
      requestId: 'r',
      inputTokens: 5,
      outputTokens: 1,
      totalTokens: 7,
    });
    assert.deepEqual(out.problems, [
      'legacy-mismatch: turn 4: totalTokens 7 is not inputTokens + outputTokens (6); kept',
    ]);
  });

  it('format 0, cumulative: turns come out in numeric order whatever the record order', () => {
    const out = convert(
      { type: 'usage', turn: 10, inputTokens: 5, outputTokens: 1, totalTokens: 6 },
      { type: 'usage', turn: 9, inputTokens: 7, outputTokens: 2, totalTokens: 9 },
      { type: 'turn', turn: 2, status: 'completed' },
    );
    assert.equal(out.approximate, true);
    assert.deepEqual(
      out.events.filter((e) => e.type === 'turn.started').map((e) => e.index),
      [2, 9, 10],
    );
  });

  it('a format-0 import claims the id of its meta record even when the meta is not first', () => {
    const text =
      '{"type":"usage","turn":0,"inputTokens":5,"outputTokens":1,"totalTokens":6}\n' +
      '{"type":"meta","sessionId":"from-meta"}\n';
    assert.equal(
      recognizeOldFile('/x/file-id.jsonl', Buffer.from(text), new ProblemList('x'), false).claimedId,
      'from-meta',
    );
  });

  describe('leases without a usable body', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await tempStorage();
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('a body whose host is not a string is judged by the pid in the name', async () => {
      const w = leaseDir(layoutOf(dir));
      await fs.mkdir(w, { recursive: true });
      await fs.writeFile(join(w, 's1~99999999~h'), JSON.stringify({ pid: 99999999, host: 5 }));
      assert.equal(await otherLiveWriters(layoutOf(dir), 's1'), 0);
      assert.deepEqual(await fs.readdir(w), []);
    });

    it('the pid is the whole number between the first two ~', async () => {
      // 19999999 is above pid_max (no such process); its first digit, pid 1, always runs.
      const w = leaseDir(layoutOf(dir));
      await fs.mkdir(w, { recursive: true });
      await fs.writeFile(join(w, 's1~19999999~x'), '');
      assert.equal(await otherLiveWriters(layoutOf(dir), 's1'), 0);
      assert.deepEqual(await fs.readdir(w), []);
    });
  });
});
