/** Exports: one row per request, as CSV or JSON (`tally export`, "Export Session"). */
import type { SessionStatsJson } from './stats';

export interface ExportRow {
  sessionId: string;
  sessionTitle: string;
  turnIndex: number | null;
  turnId: string | null;
  turnStatus: string | null;
  requestId: string;
  requestStatus: string;
  provider: string;
  model: string;
  purpose: string;
  startedAt: string;
  endedAt: string | null;
  inputTokens: number;
  noCacheTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  textTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  source: string;
  costUsd: number | null;
  cost: string | null;
  costBasis: string;
}

export function exportRows(s: SessionStatsJson): ExportRow[] {
  const rows: ExportRow[] = [];
  const turnOf = [
    ...s.turns.flatMap((t) => t.requests.map((r) => ({ t, r }))),
    ...s.sessionRequests.map((r) => ({ t: null, r })),
  ];
  for (const { t, r } of turnOf) {
    rows.push({
      sessionId: s.sessionId,
      sessionTitle: s.title,
      turnIndex: t ? t.index : null,
      turnId: t ? t.turnId : null,
      turnStatus: t ? t.status : null,
      requestId: r.requestId,
      requestStatus: r.status,
      provider: r.provider,
      model: r.model,
      purpose: r.purpose,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      inputTokens: r.usage.inputTokens,
      noCacheTokens: r.usage.inputTokenDetails.noCacheTokens,
      cacheReadTokens: r.usage.inputTokenDetails.cacheReadTokens,
      cacheWriteTokens: r.usage.inputTokenDetails.cacheWriteTokens,
      cacheWrite1hTokens: r.usage.inputTokenDetails.cacheWrite1hTokens,
      outputTokens: r.usage.outputTokens,
      textTokens: r.usage.outputTokenDetails.textTokens,
      reasoningTokens: r.usage.outputTokenDetails.reasoningTokens,
      totalTokens: r.usage.totalTokens,
      source: r.usageKnown ? r.usage.source : 'none',
      costUsd: r.costUsd,
      cost: r.cost,
      costBasis: r.costBasis,
    });
  }
  return rows;
}

const CSV_COLUMNS: (keyof ExportRow)[] = [
  'sessionId',
  'sessionTitle',
  'turnIndex',
  'turnId',
  'turnStatus',
  'requestId',
  'requestStatus',
  'provider',
  'model',
  'purpose',
  'startedAt',
  'endedAt',
  'inputTokens',
  'noCacheTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'cacheWrite1hTokens',
  'outputTokens',
  'textTokens',
  'reasoningTokens',
  'totalTokens',
  'source',
  'cost',
  'costBasis',
];

/** One CSV field: quoted where needed; a text starting like a formula is defused for spreadsheets. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV of rows; the cost column is the exact decimal (USD). */
export function toCsv(rows: ExportRow[], header = true): string {
  const lines = rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(','));
  if (header) lines.unshift(CSV_COLUMNS.join(','));
  return `${lines.join('\n')}\n`;
}
