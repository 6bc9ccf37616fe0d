/**
 * "Appears whole or not at all": a converted log and a tombstone are written to a temp file that
 * is synced and closed before it is renamed (or linked) into place, and the folder is synced
 * after. The file system calls are watched through `fs.promises` to check that order.
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { foldEvents } from '../../../src/core/ledger/ledger';
import { syncDir } from '../../../src/core/sessions/durableFile';
import { writeConvertedLog } from '../../../src/core/sessions/importing';
import { layoutOf } from '../../../src/core/sessions/layout';
import { writeTombstone } from '../../../src/core/sessions/tombstone';
import { tempStorage } from './helpers';

const NOW = new Date('2026-02-03T04:05:06.007Z');

/** Records open / write / sync / close / rename / link / unlink calls made through fs.promises. */
function watchFs(root: string) {
  const calls: string[] = [];
  const name = (p: string) => (p === root ? '<dir>' : p.startsWith(root) ? basename(p) : p);
  const saved = { open: fs.open, rename: fs.rename, link: fs.link, unlink: fs.unlink };
  fs.open = async (path, flags, ...rest) => {
    const h = await saved.open.call(fs, path, flags, ...rest);
    const p = name(String(path));
    calls.push(`open ${p} ${flags}`);
    const { writeFile, sync, close } = h;
    h.writeFile = async (...a) => {
      calls.push(`write ${p}`);
      return writeFile.apply(h, a);
    };
    h.sync = async () => {
      calls.push(`sync ${p}`);
      return sync.call(h);
    };
    h.close = async () => {
      calls.push(`close ${p}`);
      return close.call(h);
    };
    return h;
  };
  fs.rename = async (a, b) => {
    calls.push(`rename ${name(a)} ${name(b)}`);
    return saved.rename.call(fs, a, b);
  };
  fs.link = async (a, b) => {
    calls.push(`link ${name(a)} ${name(b)}`);
    return saved.link.call(fs, a, b);
  };
  fs.unlink = async (a) => {
    calls.push(`unlink ${name(a)}`);
    return saved.unlink.call(fs, a);
  };
  return {
    calls,
    restore: () => Object.assign(fs, saved),
  };
}

describe('writing whole files durably', () => {
  let dir: string;
  let watch: ReturnType<typeof watchFs>;
  beforeEach(async () => {
    dir = await tempStorage();
    await fs.mkdir(join(dir, 'sessions', 'trash'), { recursive: true });
  });
  afterEach(async () => {
    watch?.restore();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const converted = {
    events: [{ v: 1, at: '2026-01-01T00:00:00.000Z', type: 'turn.started', turnId: 't', index: 0 }],
    approximate: false,
    notes: [],
  };
  const from = { file: '/x', sha256: 'h' };

  it("a converted log ('create'): temp file written, synced, closed, linked into place, unlinked, folder synced", async () => {
    const layout = layoutOf(dir);
    watch = watchFs(layout.sessions);
    await writeConvertedLog(layout, 's', converted, from, 'create', NOW);
    watch.restore();
    const tmp = '.s.20260203T040506007Z.tmp';
    assert.deepEqual(watch.calls, [
      `open ${tmp} wx`,
      `write ${tmp}`,
      `sync ${tmp}`,
      `close ${tmp}`,
      `link ${tmp} s.jsonl`,
      `unlink ${tmp}`,
      'open <dir> r',
      'sync <dir>',
      'close <dir>',
    ]);
  });

  it("a converted log ('replace'): renamed over the old one, folder synced", async () => {
    const layout = layoutOf(dir);
    await fs.writeFile(join(layout.sessions, 's.jsonl'), 'old\n');
    watch = watchFs(layout.sessions);
    await writeConvertedLog(layout, 's', converted, from, 'replace', NOW);
    watch.restore();
    const tmp = '.s.20260203T040506007Z.tmp';
    assert.deepEqual(watch.calls.slice(3), [
      `close ${tmp}`,
      `rename ${tmp} s.jsonl`,
      'open <dir> r',
      'sync <dir>',
      'close <dir>',
    ]);
  });

  it('a tombstone: temp file written, synced, closed, renamed, trash synced', async () => {
    const layout = layoutOf(dir);
    const s = foldEvents('s', [
      {
        v: 1,
        at: '2026-01-01T00:00:00.000Z',
        type: 'session.created',
        sessionId: 's',
        title: '',
        provider: '',
        model: '',
      },
    ]);
    watch = watchFs(layout.trash);
    await writeTombstone(layout, s, NOW);
    watch.restore();
    const target = 's.jsonl.20260203T040506007Z';
    const tmp = `${target}.${process.pid}.tmp`;
    assert.deepEqual(watch.calls, [
      `open ${tmp} wx`,
      `write ${tmp}`,
      `sync ${tmp}`,
      `close ${tmp}`,
      `rename ${tmp} ${target}`,
      'open <dir> r',
      'sync <dir>',
      'close <dir>',
    ]);
  });

  it('syncDir closes the folder even when its sync fails, and says nothing', async () => {
    watch = watchFs(dir);
    const open = fs.open;
    fs.open = async (...a) => {
      const h = await open(...a);
      h.sync = async () => {
        watch.calls.push('sync fails');
        throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
      };
      return h;
    };
    await syncDir(dir);
    watch.restore();
    assert.deepEqual(watch.calls, ['open <dir> r', 'sync fails', 'close <dir>']);
  });
});
