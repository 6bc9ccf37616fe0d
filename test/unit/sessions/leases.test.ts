/**
 * Leases (leases.ts): who is writing a session right now, and how a crashed writer's lease is
 * told from a live one (pid, host, process start time).
 */
// @ts-nocheck
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { layoutOf } from '../../../src/core/sessions/layout';
import { isLive, leaseDir, otherLiveWriters, takeLease } from '../../../src/core/sessions/leases';
import { exists, tempStorage } from './helpers';

/** A pid above pid_max: no such process. */
const DEAD = 99_999_999;

/** Field 22 of /proc/<pid>/stat (the process's start time), for a command name without spaces. */
function startOf(pid: number | 'self'): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').trim().split(' ')[21];
}

describe('leases', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempStorage();
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('leaseDir is sessions/writers', () => {
    assert.equal(leaseDir(layoutOf(dir)), join(dir, 'sessions', 'writers'));
  });

  describe('isLive', () => {
    const here = hostname();

    it('a lease from another host is live whatever its pid', () => {
      assert.equal(isLive({ pid: DEAD, host: `${here}-other`, start: 'x' }), true);
    });

    it("this process's own pid is live, whatever start time it names", () => {
      assert.equal(isLive({ pid: process.pid, host: here, start: 'not-mine' }), true);
    });

    it('a pid with no process is not live', () => {
      assert.equal(isLive({ pid: DEAD, host: here, start: null }), false);
      assert.equal(isLive({ pid: DEAD, host: here, start: '1' }), false);
    });

    it('a running pid is live when its start time matches or is not known, not when it differs (a reused pid)', () => {
      const pid = process.ppid;
      assert.equal(isLive({ pid, host: here, start: startOf(pid) }), true);
      assert.equal(isLive({ pid, host: here, start: null }), true);
      assert.equal(isLive({ pid, host: here, start: `${startOf(pid)}0` }), false);
    });
  });

  describe('takeLease', () => {
    it('writes <id>~<pid>~<token> naming this process, and release removes it once', async () => {
      const layout = layoutOf(dir);
      const lease = await takeLease(layout, 's1');
      const name = lease.path.slice(leaseDir(layout).length + 1);
      assert.match(name, new RegExp(`^s1~${process.pid}~[0-9a-f]{8}$`));
      assert.deepEqual(JSON.parse(await fs.readFile(lease.path, 'utf8')), {
        pid: process.pid,
        host: hostname(),
        start: startOf('self'),
      });
      const other = await takeLease(layout, 's1');
      assert.notEqual(other.path, lease.path);
      await lease.release();
      assert.equal(await exists(lease.path), false);
      // A second release does nothing, even if something is at that path again.
      await fs.writeFile(lease.path, 'x');
      await lease.release();
      assert.equal(await exists(lease.path), true);
      assert.equal(await exists(other.path), true);
    });

    it('a folder that cannot be written gives a lease that does nothing', async () => {
      const layout = layoutOf(dir);
      await fs.writeFile(layout.sessions, 'a file where the folder should be');
      const lease = await takeLease(layout, 's1');
      assert.match(lease.path, /s1~\d+~[0-9a-f]{8}$/);
      await lease.release();
      assert.equal(await fs.readFile(layout.sessions, 'utf8'), 'a file where the folder should be');
    });
  });

  describe('otherLiveWriters', () => {
    it('is 0 without a writers folder', async () => {
      assert.equal(await otherLiveWriters(layoutOf(dir), 's1'), 0);
    });

    it("counts other live leases of this session, skips its own and other sessions', removes stale ones", async () => {
      const layout = layoutOf(dir);
      const own = await takeLease(layout, 's1');
      const w = leaseDir(layout);
      const put = (name: string, body: string) => fs.writeFile(join(w, name), body);
      const ppid = process.ppid;
      await put(`s1~${ppid}~live`, JSON.stringify({ pid: ppid, host: hostname(), start: startOf(ppid) }));
      await put('s1~1~elsewhere', JSON.stringify({ pid: DEAD, host: 'another-machine', start: null }));
      await put(`s1~${ppid}~reused`, JSON.stringify({ pid: ppid, host: hostname(), start: 'older' }));
      await put(`s1~${DEAD}~garbage`, '{"pid":');
      await put(`s1~${ppid}~noBody`, '');
      await put(`s1~${DEAD}~badFields`, JSON.stringify({ pid: String(ppid), host: hostname() }));
      await put(`s1~${ppid}~numericStart`, JSON.stringify({ pid: ppid, host: hostname(), start: 12 }));
      await put(`s10~${DEAD}~x`, '');
      await put(`s~${DEAD}~x`, '');
      assert.equal(await otherLiveWriters(layout, 's1', own.path), 4);
      assert.deepEqual(
        (await fs.readdir(w)).sort(),
        [
          own.path.slice(w.length + 1),
          's1~1~elsewhere',
          `s1~${ppid}~live`,
          `s1~${ppid}~noBody`,
          `s1~${ppid}~numericStart`,
          `s10~${DEAD}~x`,
          `s~${DEAD}~x`,
        ].sort(),
      );
      // Without `own`, this process's own lease counts too.
      assert.equal(await otherLiveWriters(layout, 's1'), 5);
    });
  });
});
