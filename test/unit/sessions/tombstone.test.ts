/**
 * Tombstones (tombstone.ts): a deleted session's turns and requests with their final usage and
 * cost, no messages; the names of the trash and how they are read back.
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { sessionTotals } from '../../../src/core/ledger/derive';
import { emptySession, foldEvents } from '../../../src/core/ledger/ledger';
import { layoutOf } from '../../../src/core/sessions/layout';
import {
  stampToIso,
  tombstoneEvents,
  trashFiles,
  writeTombstone,
} from '../../../src/core/sessions/tombstone';
import { cost, tempStorage, usage } from './helpers';

const at = (s: number) => `2026-01-02T10:00:${String(s).padStart(2, '0')}.000Z`;

function ev(sec: number, body: object) {
  return { v: 1, at: at(sec), ...body };
}

/** A session with two turns, a session-level request, messages, a streaming request and errors. */
function session() {
  const u1 = { ...usage(100, 20, 5, 30, 2), raw: { id: 'x' } };
  const u2 = usage(7, 0, 0, 3);
  return foldEvents('s1', [
    ev(0, {
      type: 'session.created',
      sessionId: 's1',
      title: 'Title',
      provider: 'anthropic',
      model: 'claude',
      importedFrom: { file: '/old.json', sha256: 'abc' },
      approximate: true,
    }),
    ev(1, { type: 'message', message: { role: 'user', content: 'hello' } }),
    ev(2, { type: 'turn.started', turnId: 't0', index: 0 }),
    ev(3, { type: 'message', turnId: 't0', message: { role: 'user', content: 'q' } }),
    ev(4, {
      type: 'request.started',
      requestId: 'r0',
      turnId: 't0',
      provider: 'anthropic',
      model: 'claude',
      purpose: 'chat',
    }),
    ev(5, { type: 'request.usage', requestId: 'r0', usage: u1, cost: cost(123n), final: false }),
    ev(6, { type: 'request.usage', requestId: 'r0', usage: u1, cost: cost(456n), final: true }),
    ev(7, { type: 'request.ended', requestId: 'r0', status: 'failed', error: 'overloaded' }),
    ev(8, {
      type: 'request.started',
      requestId: 'r1',
      turnId: 't0',
      provider: 'anthropic',
      model: 'claude',
      purpose: 'title',
    }),
    ev(9, { type: 'turn.ended', turnId: 't0', status: 'interrupted', error: 'stopped' }),
    ev(10, { type: 'turn.started', turnId: 't1', index: 1 }),
    ev(11, {
      type: 'request.started',
      requestId: 'r2',
      turnId: 't1',
      provider: 'openai',
      model: 'gpt',
      purpose: 'chat',
    }),
    ev(12, { type: 'request.usage', requestId: 'r2', usage: u2, cost: cost(null), final: false }),
    ev(13, {
      type: 'request.started',
      requestId: 'r3',
      turnId: 'gone',
      provider: 'openai',
      model: 'gpt',
      purpose: 'summary',
    }),
    ev(14, { type: 'request.ended', requestId: 'r3', status: 'completed' }),
    ev(15, { type: 'request.ended', requestId: 'r1', status: 'completed' }),
  ]);
}

describe('tombstones', () => {
  it('stampToIso reads a file stamp back', () => {
    assert.equal(stampToIso('20260102T100000123Z'), '2026-01-02T10:00:00.123Z');
    assert.equal(stampToIso('19991231T235958999Z'), '1999-12-31T23:59:58.999Z');
  });

  it('trashFiles: logs and histories by deletion, the log preferred, unsafe or foreign names skipped, sorted', () => {
    const got = trashFiles([
      'b.jsonl.20260102T100000123Z',
      'message-history-b.json.20260102T100000123Z',
      'message-history-a.json.20260101T000000000Z',
      'a.jsonl.20260101T000000000Z.123.tmp',
      'a.jsonl.20260101T000000000Z',
      'message-history-c.json.20260103T000000000Z',
      '.hidden.jsonl.20260101T000000000Z',
      'x.jsonl',
      'notes.txt',
      'b.jsonl.20260105T000000000Z',
    ]);
    assert.deepEqual(got, [
      {
        sessionId: 'a',
        deletedAt: '2026-01-01T00:00:00.000Z',
        kind: 'log',
        name: 'a.jsonl.20260101T000000000Z',
      },
      {
        sessionId: 'b',
        deletedAt: '2026-01-02T10:00:00.123Z',
        kind: 'log',
        name: 'b.jsonl.20260102T100000123Z',
      },
      {
        sessionId: 'b',
        deletedAt: '2026-01-05T00:00:00.000Z',
        kind: 'log',
        name: 'b.jsonl.20260105T000000000Z',
      },
      {
        sessionId: 'c',
        deletedAt: '2026-01-03T00:00:00.000Z',
        kind: 'history',
        name: 'message-history-c.json.20260103T000000000Z',
      },
    ]);
    // A history alone is kept; a history after its log does not replace it.
    assert.deepEqual(
      trashFiles(['d.jsonl.20260101T000000000Z', 'message-history-d.json.20260101T000000000Z']).map(
        (f) => f.kind,
      ),
      ['log'],
    );
    assert.deepEqual(
      trashFiles(['message-history-d.json.20260101T000000000Z', 'message-history-d.json.20260101T000000000Z'])
        .length,
      1,
    );
  });

  it('tombstoneEvents: everything but the conversation, folding to the same numbers', () => {
    const s = session();
    const events = tombstoneEvents(s);
    assert.deepEqual(events, [
      {
        v: 1,
        at: at(0),
        type: 'session.created',
        sessionId: 's1',
        title: 'Title',
        provider: 'anthropic',
        // The session's model is the latest request's.
        model: 'gpt',
        importedFrom: { file: '/old.json', sha256: 'abc' },
        approximate: true,
      },
      { v: 1, at: at(2), type: 'turn.started', turnId: 't0', index: 0 },
      {
        v: 1,
        at: at(4),
        type: 'request.started',
        requestId: 'r0',
        turnId: 't0',
        provider: 'anthropic',
        model: 'claude',
        purpose: 'chat',
      },
      {
        v: 1,
        at: at(7),
        type: 'request.usage',
        requestId: 'r0',
        usage: s.requests.get('r0').usage,
        cost: { pico: '456', basis: 'computed', catalog: 'test' },
        final: true,
      },
      { v: 1, at: at(7), type: 'request.ended', requestId: 'r0', status: 'failed', error: 'overloaded' },
      {
        v: 1,
        at: at(8),
        type: 'request.started',
        requestId: 'r1',
        turnId: 't0',
        provider: 'anthropic',
        model: 'claude',
        purpose: 'title',
      },
      { v: 1, at: at(15), type: 'request.ended', requestId: 'r1', status: 'completed' },
      { v: 1, at: at(9), type: 'turn.ended', turnId: 't0', status: 'interrupted', error: 'stopped' },
      { v: 1, at: at(10), type: 'turn.started', turnId: 't1', index: 1 },
      {
        v: 1,
        at: at(11),
        type: 'request.started',
        requestId: 'r2',
        turnId: 't1',
        provider: 'openai',
        model: 'gpt',
        purpose: 'chat',
      },
      // Still streaming: its usage at its start, no end.
      {
        v: 1,
        at: at(11),
        type: 'request.usage',
        requestId: 'r2',
        usage: usage(7, 0, 0, 3),
        cost: { pico: null, basis: 'unknown' },
        final: false,
      },
      // A request whose turn is unknown belongs to the session.
      {
        v: 1,
        at: at(13),
        type: 'request.started',
        requestId: 'r3',
        provider: 'openai',
        model: 'gpt',
        purpose: 'summary',
      },
      { v: 1, at: at(14), type: 'request.ended', requestId: 'r3', status: 'completed' },
    ]);
    assert.equal(events[3].usage.raw.id, 'x');
    const back = foldEvents('s1', events);
    assert.deepEqual(sessionTotals(back), sessionTotals(s));
    assert.equal(back.messages.length, 0);
    assert.equal(back.approximate, true);
  });

  it('a session without creation time starts at its last update, or at the epoch', () => {
    const s = emptySession('e');
    s.updatedAt = at(30);
    assert.deepEqual(tombstoneEvents(s), [
      { v: 1, at: at(30), type: 'session.created', sessionId: 'e', title: '', provider: '', model: '' },
    ]);
    assert.equal(tombstoneEvents(emptySession('e'))[0].at, '1970-01-01T00:00:00.000Z');
    // A request or turn record without a time of its own takes the session's.
    s.turns.push({
      turnId: 't',
      index: 0,
      startedAt: '',
      endedAt: undefined,
      status: 'running',
      error: undefined,
      requestIds: [],
    });
    assert.deepEqual(tombstoneEvents(s)[1], {
      v: 1,
      at: at(30),
      type: 'turn.started',
      turnId: 't',
      index: 0,
    });
  });

  it('writeTombstone writes the events as a log in the trash, leaving no temp file', async () => {
    const dir = await tempStorage();
    try {
      const layout = layoutOf(dir);
      const s = session();
      const path = await writeTombstone(layout, s, new Date('2026-03-04T05:06:07.089Z'));
      assert.equal(path, join(dir, 'sessions', 'trash', 's1.jsonl.20260304T050607089Z'));
      const text = await fs.readFile(path, 'utf8');
      assert.equal(
        text,
        tombstoneEvents(s)
          .map((e) => `${JSON.stringify(e)}\n`)
          .join(''),
      );
      assert.deepEqual(await fs.readdir(layout.trash), ['s1.jsonl.20260304T050607089Z']);
      // The same instant again: the temp file is created exclusively, and the rename replaces.
      await fs.writeFile(`${path}.${process.pid}.tmp`, 'left over');
      await assert.rejects(writeTombstone(layout, s, new Date('2026-03-04T05:06:07.089Z')), {
        code: 'EEXIST',
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('writeTombstone removes its temp file when the rename fails', async () => {
    const dir = await tempStorage();
    try {
      const layout = layoutOf(dir);
      const target = join(layout.trash, 's1.jsonl.20260304T050607089Z');
      await fs.mkdir(join(target, 'sub'), { recursive: true });
      await assert.rejects(writeTombstone(layout, session(), new Date('2026-03-04T05:06:07.089Z')));
      assert.deepEqual(await fs.readdir(layout.trash), ['s1.jsonl.20260304T050607089Z']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
