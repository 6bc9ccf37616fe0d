/**
 * Who is writing a session right now. Every open `SessionWriter` holds a lease: a small file
 * `sessions/writers/<sessionId>~<pid>~<token>` naming its process (pid, host, and on Linux the
 * process's start time, so a reused pid is not taken for the old process). A lease whose process
 * is gone (a crash, kill -9) is stale and is removed by whoever finds it.
 *
 * Leases do not serialize appends (one `write()` per line on an O_APPEND file does that). They
 * answer one question when a session is opened for writing: is another live process writing it?
 * If not, a turn still `running` in the log was left by a process that died, and is closed; a
 * torn last line is nobody's line in progress, and may be cut off. If so, both are left alone.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Layout } from './layout';

interface LeaseBody {
  pid: number;
  host: string;
  /** The process's start time (Linux /proc/<pid>/stat field 22), if known. */
  start: string | null;
}

/** The writers' folder under `sessions/`. */
export function leaseDir(layout: Layout): string {
  return join(layout.sessions, 'writers');
}

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall: starttime
  } catch {
    return null;
  }
}

/** Whether the process a lease names is still running (a lease from another host counts as live). */
export function isLive(body: LeaseBody): boolean {
  if (body.host !== hostname()) return true;
  if (body.pid === process.pid) return true;
  try {
    process.kill(body.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (body.start === null) return true;
  const now = procStart(body.pid);
  return now === null || now === body.start;
}

/** A lease this process holds on one session; `release` removes it. */
export interface Lease {
  readonly path: string;
  release(): Promise<void>;
}

/** Takes a lease on a session for this process. Best effort: a folder that cannot be written yields a no-op lease. */
export async function takeLease(layout: Layout, sessionId: string): Promise<Lease> {
  const dir = leaseDir(layout);
  const path = join(dir, `${sessionId}~${process.pid}~${randomBytes(4).toString('hex')}`);
  const body: LeaseBody = { pid: process.pid, host: hostname(), start: procStart(process.pid) };
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path, JSON.stringify(body), { flag: 'wx' });
  } catch {
    return { path, release: async () => {} };
  }
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      await fs.rm(path).catch(() => undefined);
    },
  };
}

/**
 * The leases other live processes (or other writers of this process) hold on a session, other
 * than `own`. Stale leases found on the way are removed.
 */
export async function otherLiveWriters(layout: Layout, sessionId: string, own?: string): Promise<number> {
  const dir = leaseDir(layout);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let live = 0;
  const prefix = `${sessionId}~`;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const path = join(dir, name);
    if (path === own) continue;
    let body: LeaseBody | null = null;
    try {
      const j = JSON.parse(await fs.readFile(path, 'utf8')) as Partial<LeaseBody>;
      if (typeof j.pid === 'number' && typeof j.host === 'string')
        body = { pid: j.pid, host: j.host, start: typeof j.start === 'string' ? j.start : null };
    } catch {
      // Being written this instant, or garbage: a lease without a body is judged by its name.
    }
    const pid = Number(name.slice(prefix.length).split('~')[0]);
    body ??= { pid, host: hostname(), start: null };
    if (isLive(body)) live++;
    else await fs.rm(path).catch(() => undefined);
  }
  return live;
}
