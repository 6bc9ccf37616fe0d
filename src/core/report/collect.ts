/**
 * Reads the spending rows of many storage folders (one per workspace) from their session
 * indexes: a report reads no log unless a session changed since it was indexed.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SpendRow } from '../ledger/spendRows';
import type { Logger } from '../log';
import type { PriceFn } from '../sessions/convert';
import type { Problem } from '../sessions/problems';
import { type SessionFile, turnRowsOfFile } from '../sessions/reader';
import {
  type EncodedSpend,
  flyweightSpendRows,
  forEachSpendRow,
  type SessionSummary,
} from '../sessions/sessionIndex';
import { SessionStore } from '../sessions/store';
import { workspaceOfJson } from './discover';
import type { ReportRow } from './spending';

/** A storage folder and the workspace it belongs to. */
export interface StorageSource {
  dir: string;
  workspace: string;
}

export interface CollectedSpending {
  rows: ReportRow[];
  /** Sessions read (live and deleted). */
  sessions: number;
  deleted: number;
  problems: Problem[];
}

/**
 * What each row of a summary carries: its session, and how to read that session's per-turn rows
 * (from its file in storage folder `dir`, once) should a report need them.
 */
export function summaryExtra(
  s: SessionSummary,
  workspace: string,
  dir: string,
  price?: PriceFn,
): {
  sessionId: string;
  sessionTitle: string;
  workspace: string;
  deleted: boolean;
  turnRows: () => SpendRow[];
} {
  let rows: SpendRow[] | undefined;
  const file: SessionFile = {
    sessionId: s.sessionId,
    path: path.join(dir, s.file),
    kind: s.format === 'message-history' ? 'history' : 'log',
  };
  return {
    sessionId: s.sessionId,
    sessionTitle: s.title,
    workspace,
    deleted: s.deletedAt !== null,
    turnRows: () => {
      rows ??= turnRowsOfFile(file, price);
      return rows;
    },
  };
}

/**
 * Appends the report rows of one session summary (live or a tombstone) to `out`; `dir` is the
 * storage folder it was listed from.
 */
export function rowsOfSummary(
  s: SessionSummary,
  workspace: string,
  out: ReportRow[] = [],
  dir = workspace,
  price?: PriceFn,
): ReportRow[] {
  forEachSpendRow(s.spend, summaryExtra(s, workspace, dir, price), (r) => out.push(r));
  return out;
}

/**
 * The report rows of an open store (the editor's workspace): its sessions and its deleted
 * sessions' tombstones, from the index. Pass them to `spendingReport` for the Spending view.
 */
export async function storeRows(store: SessionStore, workspace: string): Promise<ReportRow[]> {
  const list = await store.list();
  const out: ReportRow[] = [];
  for (const s of list.sessions) rowsOfSummary(s, workspace, out, store.dir, store.price);
  for (const s of list.deleted) rowsOfSummary(s, workspace, out, store.dir, store.price);
  return out;
}

/**
 * The workspace of a storage folder: `<hash>/workspace.json` beside it when it is an editor's
 * `<hash>/tally.tally`, else the folder itself.
 */
export async function workspaceOfStorage(dir: string): Promise<string> {
  const text = await fs.readFile(path.join(path.dirname(dir), 'workspace.json'), 'utf8').catch(() => null);
  return (text && workspaceOfJson(text)) || dir;
}

type CollectOptions = {
  price?: PriceFn;
  logger?: Logger;
  onProgress?: (done: number, total: number) => void;
};
type Listed = Awaited<ReturnType<SessionStore['list']>>;

/** Opens each source's store in turn, hands its session list (index first) to `take`, and counts. */
async function eachList(
  sources: readonly StorageSource[],
  opts: CollectOptions,
  out: { sessions: number; deleted: number; problems: Problem[] },
  take: (list: Listed, src: StorageSource, dir: string) => void,
): Promise<void> {
  let done = 0;
  for (const src of sources) {
    const store = await SessionStore.open(src.dir, {
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.price ? { price: opts.price } : {}),
    });
    try {
      const list = await store.list();
      out.problems.push(...list.problems);
      take(list, src, store.dir);
      out.sessions += list.sessions.length + list.deleted.length;
      out.deleted += list.deleted.length;
    } finally {
      await store.close();
    }
    opts.onProgress?.(++done, sources.length);
  }
}

/** Reads every source's sessions (index first) into report rows. */
export async function collectSpending(
  sources: readonly StorageSource[],
  opts: CollectOptions = {},
): Promise<CollectedSpending> {
  const out: CollectedSpending = { rows: [], sessions: 0, deleted: 0, problems: [] };
  await eachList(sources, opts, out, (list, src, dir) => {
    for (const s of list.sessions) rowsOfSummary(s, src.workspace, out.rows, dir, opts.price);
    for (const s of list.deleted) rowsOfSummary(s, src.workspace, out.rows, dir, opts.price);
  });
  return out;
}

/** Sessions read from storage folders, not yet turned into rows. */
export interface CollectedSummaries {
  items: {
    spend: EncodedSpend;
    extra: ReturnType<typeof summaryExtra>;
  }[];
  sessions: number;
  deleted: number;
  problems: Problem[];
}

/** Reads every source's session summaries (index first), for `summaryRows`' one-object walk. */
export async function collectSummaries(
  sources: readonly StorageSource[],
  opts: CollectOptions = {},
): Promise<CollectedSummaries> {
  const out: CollectedSummaries = { items: [], sessions: 0, deleted: 0, problems: [] };
  await eachList(sources, opts, out, (list, src, dir) => {
    for (const s of [...list.sessions, ...list.deleted]) {
      out.items.push({ spend: s.spend, extra: summaryExtra(s, src.workspace, dir, opts.price) });
    }
  });
  return out;
}

/**
 * The report rows of collected summaries, for `spendingReport`, as one reused object (no
 * allocation per row): each row is valid until the next is read.
 */
export function summaryRows(c: CollectedSummaries): Iterable<ReportRow> {
  return flyweightSpendRows(c.items);
}
