/**
 * Where a store keeps its files, under the storage folder the editor (or the CLI) gives it:
 *
 *   <dir>/index.json                       the session index (a cache, rebuilt from the logs)
 *   <dir>/sessions/<id>.jsonl              one append-only event log per session
 *   <dir>/sessions/aside/                  torn tails and unreadable files, kept rather than deleted
 *   <dir>/sessions/trash/                  deleted sessions
 *   <dir>/sessions/legacy/                 format-0 logs that were converted when continued
 *   <dir>/cache/checkpoints/<id>.json      a long session's folded state (a cache: checkpoint.ts)
 *   <dir>/message-history-<id>.json        an older tool's files (also read from sessions/)
 */
import { join } from 'node:path';

export interface Layout {
  dir: string;
  sessions: string;
  aside: string;
  trash: string;
  legacy: string;
  index: string;
  checkpoints: string;
}

export function layoutOf(dir: string): Layout {
  const sessions = join(dir, 'sessions');
  return {
    dir,
    sessions,
    aside: join(sessions, 'aside'),
    trash: join(sessions, 'trash'),
    legacy: join(sessions, 'legacy'),
    index: join(dir, 'index.json'),
    checkpoints: join(dir, 'cache', 'checkpoints'),
  };
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** A session id that is safe as a file name (no separators, no leading dot, at most 200 chars). */
export function isSafeSessionId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..');
}

export const LOG_SUFFIX = '.jsonl';
const HISTORY_RE = /^message-history-(.+)\.json$/;

/** The session id in a `message-history-<id>.json` file name, or null. */
export function historyFileId(name: string): string | null {
  const m = HISTORY_RE.exec(name);
  return m && isSafeSessionId(m[1]!) ? m[1]! : null;
}

/** The session id in a `<id>.jsonl` file name, or null. */
export function logFileId(name: string): string | null {
  if (!name.endsWith(LOG_SUFFIX)) return null;
  const id = name.slice(0, -LOG_SUFFIX.length);
  return isSafeSessionId(id) ? id : null;
}

/** A timestamp usable in a file name: `20260102T100000123Z`. */
export function fileStamp(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}
