/**
 * Tombstones: what is left of a deleted session. Deleting a session removes its conversation
 * but keeps its spending, so reports still add up: the tombstone is a v1 log of the session's
 * turns and requests with their final usage and cost, and no `message` event.
 *
 *   <storage>/sessions/trash/<id>.jsonl.<time>     a tombstone (or, before tombstones, a whole log)
 *
 * Its numbers fold to exactly the session's (same usage objects, same cost records).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { SessionState } from '../ledger/ledger';
import { syncDir, writeDurably } from './durableFile';
import { type EventBody, LOG_VERSION, type SessionEvent, sessionEventSchema } from './events';
import { fileStamp, isSafeSessionId, type Layout, LOG_SUFFIX } from './layout';

/** A file in `sessions/trash/` that holds a deleted session: its id, when, and how to read it. */
export interface TrashFile {
  sessionId: string;
  /** When it was deleted (ISO), from the file name. */
  deletedAt: string;
  kind: 'log' | 'history';
  name: string;
}

const STAMP = '(\\d{8}T\\d{9}Z)';
const TRASHED_LOG = new RegExp(`^(.+)\\${LOG_SUFFIX}\\.${STAMP}$`);
const TRASHED_HISTORY = new RegExp(`^message-history-(.+)\\.json\\.${STAMP}$`);

/** `20260102T100000123Z` → `2026-01-02T10:00:00.123Z`. */
export function stampToIso(stamp: string): string {
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}.${stamp.slice(15, 18)}Z`;
}

/**
 * The deleted sessions among `names` (a listing of the trash). Sessions deleted before tombstones
 * existed left their whole files there, a message history beside its log: the log is read, once.
 */
export function trashFiles(names: readonly string[]): TrashFile[] {
  const byDeletion = new Map<string, TrashFile>();
  for (const name of names) {
    const log = TRASHED_LOG.exec(name);
    const history = log ? null : TRASHED_HISTORY.exec(name);
    const m = log ?? history;
    if (!m || !isSafeSessionId(m[1]!)) continue;
    const f: TrashFile = {
      sessionId: m[1]!,
      deletedAt: stampToIso(m[2]!),
      kind: log ? 'log' : 'history',
      name,
    };
    const key = `${f.sessionId}\u0000${m[2]}`;
    const prior = byDeletion.get(key);
    if (!prior || f.kind === 'log') byDeletion.set(key, f);
  }
  return [...byDeletion.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The events of a session's tombstone: everything but the conversation. */
export function tombstoneEvents(s: SessionState): SessionEvent[] {
  const out: SessionEvent[] = [];
  const at0 = s.createdAt || s.updatedAt || new Date(0).toISOString();
  const push = (at: string, body: EventBody) =>
    out.push(sessionEventSchema.parse({ ...body, v: LOG_VERSION, at: at || at0 }));
  push(at0, {
    type: 'session.created',
    sessionId: s.sessionId,
    title: s.title,
    provider: s.provider,
    model: s.model,
    ...(s.importedFrom ? { importedFrom: s.importedFrom } : {}),
    ...(s.approximate ? { approximate: true } : {}),
  });
  // `turnId`: the turn the request is listed under (a request started before its turn was, is the session's).
  const request = (id: string, turnId?: string) => {
    const r = s.requests.get(id);
    if (!r) return;
    push(r.startedAt, {
      type: 'request.started',
      requestId: r.requestId,
      ...(turnId === undefined ? {} : { turnId }),
      provider: r.provider,
      model: r.model,
      purpose: r.purpose,
    });
    if (r.usage && r.cost) {
      push(r.endedAt ?? r.startedAt, {
        type: 'request.usage',
        requestId: r.requestId,
        usage: r.usage,
        cost: r.cost,
        final: r.final,
      });
    }
    if (r.status !== 'streaming') {
      push(r.endedAt ?? r.startedAt, {
        type: 'request.ended',
        requestId: r.requestId,
        status: r.status,
        ...(r.error ? { error: r.error } : {}),
      });
    }
  };
  for (const t of s.turns) {
    push(t.startedAt, { type: 'turn.started', turnId: t.turnId, index: t.index });
    for (const id of t.requestIds) request(id, t.turnId);
    if (t.status !== 'running') {
      push(t.endedAt ?? t.startedAt, {
        type: 'turn.ended',
        turnId: t.turnId,
        status: t.status,
        ...(t.error ? { error: t.error } : {}),
      });
    }
  }
  for (const id of s.sessionRequestIds) request(id);
  return out;
}

/** Writes a session's tombstone into the trash (temp file, sync, rename); returns its path. */
export async function writeTombstone(layout: Layout, s: SessionState, now: Date): Promise<string> {
  await fs.mkdir(layout.trash, { recursive: true });
  const target = join(layout.trash, `${s.sessionId}${LOG_SUFFIX}.${fileStamp(now)}`);
  const tmp = `${target}.${process.pid}.tmp`;
  const text = tombstoneEvents(s)
    .map((e) => `${JSON.stringify(e)}\n`)
    .join('');
  await writeDurably({ tmp, text, place: (t) => fs.rename(t, target) });
  await syncDir(layout.trash);
  return target;
}
