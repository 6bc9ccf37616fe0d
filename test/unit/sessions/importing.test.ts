/**
 * importing.ts: recognizing an old file (and refusing what is not one), keeping a format-0
 * original, and writing a converted log that appears whole or not at all.
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { syncDir } from '../../../src/core/sessions/durableFile';
import {
  keepLegacyOriginal,
  recognizeOldFile,
  writeConvertedLog,
} from '../../../src/core/sessions/importing';
import type { layoutOf } from '../../../src/core/sessions/layout';
import { ProblemList } from '../../../src/core/sessions/problems';
import { eachStorage } from './helpers';

const NOW = new Date('2026-02-03T04:05:06.007Z');
const FALLBACK = '2026-05-05T05:05:05.005Z';

function recognize(name: string, content: unknown, inStorage = false) {
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  return recognizeOldFile(`/some/where/${name}`, Buffer.from(text), new ProblemList(name), inStorage);
}

function ctx(sessionId = 'x') {
  return { sessionId, problems: new ProblemList('/f'), fallbackTime: FALLBACK };
}

describe('importing old files', () => {
  describe('recognizeOldFile', () => {
    const history = { sessionId: 'inside', messages: [{ role: 'user', content: 'hi' }] };

    it('a message history claims the id inside it, else its file name; in the storage folder, its file name', () => {
      assert.equal(recognize('message-history-named.json', history).claimedId, 'inside');
      assert.equal(recognize('message-history-named.json', history, true).claimedId, 'named');
      assert.equal(recognize('message-history-named.json', { messages: [] }).claimedId, 'named');
      assert.equal(
        recognize('message-history-named.json', { sessionId: 7, messages: [] }).claimedId,
        'named',
      );
      assert.equal(recognize('export.json', history, true).claimedId, 'inside');
      assert.equal(recognize('export.json', { messages: [] }).claimedId, undefined);
      const converted = recognize('export.json', history).convert(ctx('given'));
      assert.deepEqual(
        converted.events.map((e) => e.type),
        ['session.created', 'message'],
      );
      assert.equal(converted.events[0].sessionId, 'given');
    });

    it('a format-0 log claims its meta sessionId, else its file name, else nothing', () => {
      const meta = '{"type":"meta","sessionId":"m1","title":"T"}\n';
      const use = '{"type":"usage","turn":0,"inputTokens":5,"outputTokens":1,"totalTokens":6}\n';
      assert.equal(recognize('file-id.jsonl', meta + use).claimedId, 'm1');
      assert.equal(recognize('file-id.jsonl', use).claimedId, 'file-id');
      assert.equal(recognize('file-id.log', use).claimedId, undefined);
      const converted = recognize('file-id.jsonl', meta + use).convert(ctx('c'));
      assert.deepEqual(
        converted.events.map((e) => e.type),
        ['session.created', 'turn.started', 'request.started', 'request.usage', 'request.ended'],
      );
      assert.equal(converted.events[0].title, 'T');
    });

    it('refuses a v1 log and a file that is no session, saying which', () => {
      const v1 = `${JSON.stringify({ v: 1, at: FALLBACK, type: 'turn.started', turnId: 't', index: 0 })}\n`;
      assert.throws(() => recognize('a.jsonl', v1), {
        message: 'it is already a v1 session log: nothing to import',
      });
      for (const junk of ['hello\n', '{"a":1}', '']) {
        assert.throws(() => recognize('a.jsonl', junk), {
          message: 'it is not an old-format session (neither a message history nor a format-0 log)',
        });
      }
    });
  });

  describe('on disk', () => {
    let dir: string;
    let layout: ReturnType<typeof layoutOf>;
    eachStorage((d, l) => {
      dir = d;
      layout = l;
    });

    it('keepLegacyOriginal links the log into legacy/, stamped', async () => {
      const path = join(layout.sessions, 'old.jsonl');
      await fs.writeFile(path, 'v0 bytes\n');
      const kept = await keepLegacyOriginal({ sessionId: 'old', path }, layout, NOW);
      assert.equal(kept, join(layout.legacy, 'old.20260203T040506007Z.v0.jsonl'));
      assert.equal(await fs.readFile(kept, 'utf8'), 'v0 bytes\n');
      assert.equal((await fs.stat(kept)).ino, (await fs.stat(path)).ino);
    });

    it('keepLegacyOriginal copies when it cannot link (another file system)', async function () {
      if (!existsSync('/dev/shm')) this.skip();
      const other = await fs.mkdtemp('/dev/shm/tally-legacy-');
      try {
        const path = join(other, 'old.jsonl');
        await fs.writeFile(path, 'v0 bytes\n');
        const kept = await keepLegacyOriginal({ sessionId: 'old', path }, layout, NOW);
        assert.equal(await fs.readFile(kept, 'utf8'), 'v0 bytes\n');
        assert.notEqual((await fs.stat(kept)).dev, (await fs.stat(path)).dev);
        // A second copy at the same instant refuses to overwrite the first.
        await assert.rejects(keepLegacyOriginal({ sessionId: 'old', path }, layout, NOW), { code: 'EEXIST' });
      } finally {
        await fs.rm(other, { recursive: true, force: true });
      }
    });

    const converted = (events, approximate = false) => ({ events, approximate, notes: [] });
    const created = {
      v: 1,
      at: '2026-01-01T00:00:00.000Z',
      type: 'session.created',
      sessionId: 'old-id',
      title: 'Old',
      provider: 'openai',
      model: 'gpt-4o',
    };
    const turn = { v: 1, at: '2026-01-01T00:00:01.000Z', type: 'turn.started', turnId: 't', index: 0 };
    const from = { file: '/x/old.json', sha256: 'f00' };

    async function logLines(id: string) {
      const text = await fs.readFile(join(layout.sessions, `${id}.jsonl`), 'utf8');
      assert.ok(text.endsWith('\n'));
      return text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
    }

    it('writeConvertedLog: session.created takes the new id and importedFrom, the rest follows as converted', async () => {
      await writeConvertedLog(layout, 'new-id', converted([created, turn]), from, 'create', NOW);
      assert.deepEqual(await logLines('new-id'), [
        { ...created, sessionId: 'new-id', importedFrom: from },
        turn,
      ]);
      assert.deepEqual(await fs.readdir(layout.sessions), ['new-id.jsonl']);
    });

    it('writeConvertedLog: approximate is said; without a session.created one is made at the first event, or now', async () => {
      await writeConvertedLog(layout, 'a', converted([turn], true), from, 'create', NOW);
      assert.deepEqual(await logLines('a'), [
        {
          v: 1,
          at: turn.at,
          type: 'session.created',
          sessionId: 'a',
          title: '',
          provider: '',
          model: '',
          importedFrom: from,
          approximate: true,
        },
        turn,
      ]);
      await writeConvertedLog(layout, 'b', converted([]), from, 'create', NOW);
      assert.deepEqual(await logLines('b'), [
        {
          v: 1,
          at: NOW.toISOString(),
          type: 'session.created',
          sessionId: 'b',
          title: '',
          provider: '',
          model: '',
          importedFrom: from,
        },
      ]);
    });

    it("writeConvertedLog: 'create' refuses an existing session and leaves no temp file; 'replace' replaces", async () => {
      const target = join(layout.sessions, 'taken.jsonl');
      await fs.writeFile(target, 'original\n');
      await assert.rejects(writeConvertedLog(layout, 'taken', converted([created]), from, 'create', NOW), {
        message: 'session taken already exists',
      });
      assert.equal(await fs.readFile(target, 'utf8'), 'original\n');
      assert.deepEqual(await fs.readdir(layout.sessions), ['taken.jsonl']);
      await writeConvertedLog(layout, 'taken', converted([created]), from, 'replace', NOW);
      assert.deepEqual(await logLines('taken'), [{ ...created, sessionId: 'taken', importedFrom: from }]);
      assert.deepEqual(await fs.readdir(layout.sessions), ['taken.jsonl']);
    });

    it("writeConvertedLog: a failed 'replace' (the target is a folder) leaves no temp file", async () => {
      await fs.mkdir(join(layout.sessions, 'dir.jsonl', 'inside'), { recursive: true });
      await assert.rejects(writeConvertedLog(layout, 'dir', converted([created]), from, 'replace', NOW));
      assert.deepEqual(await fs.readdir(layout.sessions), ['dir.jsonl']);
    });

    it('writeConvertedLog: a temp file of the same instant is never overwritten', async () => {
      const tmp = join(layout.sessions, '.busy.20260203T040506007Z.tmp');
      await fs.writeFile(tmp, 'someone else');
      await assert.rejects(writeConvertedLog(layout, 'busy', converted([created]), from, 'create', NOW), {
        code: 'EEXIST',
      });
      assert.equal(await fs.readFile(tmp, 'utf8'), 'someone else');
    });

    it('syncDir is best effort: a missing folder is no error', async () => {
      await syncDir(join(dir, 'missing'));
      await syncDir(dir);
    });
  });
});
