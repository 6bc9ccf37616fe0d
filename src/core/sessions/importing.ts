/**
 * Turning an old-format session into a v1 log: recognizing the file, keeping a format-0 original
 * in `legacy/`, and writing the converted events as a new log that appears whole or not at all
 * (temp file, synced, then linked or renamed into place). README.md, "Continuing and importing".
 */
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import type { ConvertContext, Converted } from './convert';
import { syncDir, writeDurably } from './durableFile';
import { LOG_VERSION, type SessionEvent, sessionEventSchema } from './events';
import { convertFormat0 } from './format0';
import { fileStamp, historyFileId, type Layout, LOG_SUFFIX, logFileId } from './layout';
import { convertMessageHistory, isMessageHistory } from './messageHistory';
import { parseLog } from './parseLog';
import type { ProblemList } from './problems';
import type { SessionFile } from './reader';

export interface OldFile {
  /** The session id the file names for itself (inside, or in its file name), if any. */
  claimedId: string | undefined;
  convert: (ctx: ConvertContext) => Converted;
}

/**
 * What kind of old file `buf` is. Throws, with a message for the user, for a v1 log or a file
 * that is no session at all. A message history in the storage folder keeps its file name's id
 * (it is listed under it already).
 */
export function recognizeOldFile(
  file: string,
  buf: Buffer,
  problems: ProblemList,
  inStorage: boolean,
): OldFile {
  const json = tryJson(buf);
  if (json !== undefined && isMessageHistory(json)) {
    const inside = (json as { sessionId?: unknown }).sessionId;
    const nameId = historyFileId(basename(file)) ?? undefined;
    const claimedId = inStorage && nameId ? nameId : typeof inside === 'string' ? inside : nameId;
    return { claimedId, convert: (ctx) => convertMessageHistory(json, ctx) };
  }
  const parsed = parseLog(buf, problems);
  if (parsed.events.length > 0) throw new Error('it is already a v1 session log: nothing to import');
  if (parsed.format0.length === 0) {
    throw new Error('it is not an old-format session (neither a message history nor a format-0 log)');
  }
  const meta = parsed.format0.find((r) => r.type === 'meta');
  return {
    claimedId: meta?.sessionId ?? logFileId(basename(file)) ?? undefined,
    convert: (ctx) => convertFormat0(parsed.format0, ctx),
  };
}

/** Keeps a format-0 log's bytes in `legacy/` (a hard link, else a copy); returns where. */
export async function keepLegacyOriginal(f: SessionFile, layout: Layout, now: Date): Promise<string> {
  await fs.mkdir(layout.legacy, { recursive: true });
  const kept = join(layout.legacy, `${f.sessionId}.${fileStamp(now)}.v0.jsonl`);
  await fs.link(f.path, kept).catch(() => fs.copyFile(f.path, kept, fs.constants.COPYFILE_EXCL));
  return kept;
}

/**
 * Writes converted events as the v1 log of `sessionId`, its `session.created` carrying
 * `importedFrom` (and `approximate` for a reconstruction). `create` fails if the log exists;
 * `replace` atomically replaces it (a format-0 log whose original was kept first).
 */
export async function writeConvertedLog(
  layout: Layout,
  sessionId: string,
  converted: Converted,
  importedFrom: { file: string; sha256: string },
  mode: 'create' | 'replace',
  now: Date,
): Promise<void> {
  const events: SessionEvent[] = [...converted.events];
  const first = events[0];
  if (first?.type === 'session.created') events.shift();
  const created = sessionEventSchema.parse({
    title: '',
    provider: '',
    model: '',
    ...(first?.type === 'session.created' ? first : {}),
    v: LOG_VERSION,
    at: first?.at ?? now.toISOString(),
    type: 'session.created',
    sessionId,
    importedFrom,
    ...(converted.approximate ? { approximate: true } : {}),
  });
  events.unshift(created);

  const target = join(layout.sessions, `${sessionId}${LOG_SUFFIX}`);
  const tmp = join(layout.sessions, `.${sessionId}.${fileStamp(now)}.tmp`);
  await writeDurably({
    tmp,
    text: events.map((e) => `${JSON.stringify(e)}\n`).join(''),
    place: async (t) => {
      if (mode === 'replace') return fs.rename(t, target);
      // A new session never takes the place of one that exists: link, which refuses to replace.
      await fs.link(t, target).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EEXIST' ? new Error(`session ${sessionId} already exists`) : e;
      });
      await fs.unlink(t);
    },
  });
  await syncDir(layout.sessions);
}

function tryJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return undefined;
  }
}
