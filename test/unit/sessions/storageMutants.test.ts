/**
 * Small storage helpers on the cases their own tests leave open: file names that only start or
 * end like a session's, leases of processes that cannot be signalled or have no /proc entry,
 * the legacy folder that exists already, link errors other than EEXIST, a converted log without
 * its own `session.created`, and what `writeDurably` / `readRegularFile` / `syncDir` close.
 */
import assert from 'node:assert/strict';
import fsSync, { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  readRegularFile,
  readRegularFileSync,
  syncDir,
  writeDurably,
} from '../../../src/core/sessions/durableFile';
import { keepLegacyOriginal, writeConvertedLog } from '../../../src/core/sessions/importing';
import { historyFileId, isSafeSessionId, type Layout } from '../../../src/core/sessions/layout';
import { isLive } from '../../../src/core/sessions/leases';
import { eachStorage } from './helpers';

const NOW = new Date('2026-02-03T04:05:06.007Z');

type Open = (...a: unknown[]) => Promise<FileHandle>;

/** Counts handles opened and closed through fs.promises while `body` runs. */
async function openCloseCount(body: () => Promise<unknown>): Promise<{ opened: number; closed: number }> {
  const api = fs as unknown as { open: Open };
  const real = api.open;
  const n = { opened: 0, closed: 0 };
  api.open = async (...a: unknown[]) => {
    const h = await real(...a);
    n.opened++;
    const close = h.close;
    h.close = () => {
      n.closed++;
      return close.call(h);
    };
    return h;
  };
  try {
    await body().catch(() => undefined);
  } finally {
    api.open = real;
  }
  return n;
}

describe('storage helpers: mutation-found cases', () => {
  let dir: string;
  let layout: Layout;
  eachStorage((d, l) => {
    dir = d;
    layout = l;
  });

  describe('layout', () => {
    it('a session id must be safe to its end', () => {
      assert.equal(isSafeSessionId('ab'), true);
      assert.equal(isSafeSessionId('ab/c'), false);
      assert.equal(isSafeSessionId('ab c'), false);
      assert.equal(isSafeSessionId('a'.repeat(200)), true);
      assert.equal(isSafeSessionId('a'.repeat(201)), false);
    });

    it('a history file name is matched whole', () => {
      assert.equal(historyFileId('message-history-a.json'), 'a');
      assert.equal(historyFileId('old-message-history-a.json'), null);
      assert.equal(historyFileId('message-history-a.json.bak'), null);
    });
  });

  describe('isLive', () => {
    const kill = process.kill;
    afterEach(() => {
      process.kill = kill;
    });
    // A pid above Linux's pid_max: no /proc entry, whatever runs.
    const PID = 2 ** 23;

    it('a process that exists but cannot be signalled (EPERM) is live', () => {
      process.kill = (() => {
        throw Object.assign(new Error('EPERM'), { code: 'EPERM' });
      }) as typeof process.kill;
      assert.equal(isLive({ pid: PID, host: hostname(), start: '1' }), true);
    });

    it('a live process whose start time cannot be read is taken for the one the lease names', () => {
      process.kill = (() => true) as typeof process.kill;
      assert.equal(isLive({ pid: PID, host: hostname(), start: '12345' }), true);
    });
  });

  describe('importing', () => {
    it('the legacy folder may exist already', async () => {
      const f = { sessionId: 's', path: join(layout.sessions, 's.jsonl'), kind: 'log' as const };
      await fs.writeFile(f.path, '{"type":"meta"}\n');
      const first = await keepLegacyOriginal(f, layout, NOW);
      const second = await keepLegacyOriginal(f, layout, new Date(NOW.getTime() + 1));
      assert.deepEqual((await fs.readdir(layout.legacy)).sort(), [
        's.20260203T040506007Z.v0.jsonl',
        's.20260203T040506008Z.v0.jsonl',
      ]);
      assert.notEqual(first, second);
    });

    it('a link that fails for another reason than EEXIST fails with that error', async () => {
      const api = fs as unknown as { link: unknown };
      const real = api.link;
      api.link = async () =>
        Promise.reject(Object.assign(new Error('EPERM: no links here'), { code: 'EPERM' }));
      try {
        await assert.rejects(
          writeConvertedLog(
            layout,
            's',
            { events: [], approximate: false, notes: [] },
            { file: 'f', sha256: 'h' },
            'create',
            NOW,
          ),
          { code: 'EPERM', message: 'EPERM: no links here' },
        );
      } finally {
        api.link = real;
      }
    });

    it('a converted log that does not start with session.created: its first event lends nothing to it', async () => {
      const first = {
        v: 1,
        at: '2026-01-01T00:00:00.000Z',
        type: 'request.started',
        requestId: 'r',
        provider: 'p',
        model: 'm',
        purpose: 'chat',
      } as const;
      await writeConvertedLog(
        layout,
        's',
        { events: [first], approximate: false, notes: [] },
        { file: 'f', sha256: 'h' },
        'create',
        NOW,
      );
      const [created] = (await fs.readFile(join(layout.sessions, 's.jsonl'), 'utf8')).split('\n');
      const c = JSON.parse(created!);
      assert.equal(c.type, 'session.created');
      assert.equal(c.provider, '');
      assert.equal(c.model, '');
      assert.equal(c.title, '');
    });
  });

  describe('durable files', () => {
    it('readRegularFile and syncDir close what they open, also when they fail', async () => {
      const file = join(dir, 'f');
      await fs.writeFile(file, 'x');
      assert.deepEqual(await openCloseCount(() => readRegularFile(file)), { opened: 1, closed: 1 });
      assert.deepEqual(await openCloseCount(() => readRegularFile(dir)), { opened: 1, closed: 1 });
      assert.deepEqual(await openCloseCount(() => syncDir(dir)), { opened: 1, closed: 1 });
    });

    it('readRegularFileSync closes what it opens, also when it refuses', async () => {
      const file = join(dir, 'f');
      await fs.writeFile(file, 'x');
      const real = { openSync: fsSync.openSync, closeSync: fsSync.closeSync };
      const fds: string[] = [];
      fsSync.openSync = ((...a: Parameters<typeof fsSync.openSync>) => {
        const fd = real.openSync(...a);
        fds.push(`open ${fd}`);
        return fd;
      }) as typeof fsSync.openSync;
      fsSync.closeSync = (fd: number) => {
        fds.push(`close ${fd}`);
        real.closeSync(fd);
      };
      try {
        assert.equal(readRegularFileSync(file).buf.toString(), 'x');
        assert.throws(() => readRegularFileSync(dir), { message: 'not a regular file' });
      } finally {
        Object.assign(fsSync, real);
      }
      assert.equal(fds.length, 4);
      assert.deepEqual(fds.slice(1, 2), [fds[0]!.replace('open', 'close')]);
      assert.deepEqual(fds.slice(3, 4), [fds[2]!.replace('open', 'close')]);
    });

    it('a place that moved the temporary file and then failed: its own error is passed on', async () => {
      const tmp = join(dir, 't.tmp');
      const boom = new Error('placed, then failed');
      await assert.rejects(
        writeDurably({
          tmp,
          text: 'x',
          place: async (t) => {
            await fs.rename(t, join(dir, 'target'));
            throw boom;
          },
        }),
        (e) => e === boom,
      );
      assert.equal(await fs.readFile(join(dir, 'target'), 'utf8'), 'x');
    });
  });
});
