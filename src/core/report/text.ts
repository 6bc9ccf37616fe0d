/** Text renderings of the stats object (`tally stats`, "Show Session Stats", copy as Markdown). */
import type { CostJson, RequestStatsJson, SessionStatsJson, UsageJson } from './stats';

export function formatTokens(n: number): string {
  return n.toLocaleString('en-US');
}

/** `$0.003702` (the exact decimal), `unknown`, or `$0.01 + unknown` when some prices are unknown. */
export function formatCost(c: CostJson): string {
  if (c.cost === null) return 'unknown';
  return c.unknownCostRequests > 0 ? `$${c.cost} + unknown` : `$${c.cost}`;
}

/** `11.2k`, `200k`, `1.05M`: the short form of the status bar and gauge. */
export function formatShortTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${+(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${+(n / 1_000_000).toFixed(2)}M`;
}

export function formatContextWindow(cw: SessionStatsJson['contextWindow']): string {
  if (cw.limitTokens === null) return `${formatTokens(cw.usedTokens)} tokens (model limit unknown)`;
  return `${formatTokens(cw.usedTokens)} / ${formatTokens(cw.limitTokens)} tokens (${cw.percent}%)`;
}

interface Column {
  title: string;
  right: boolean;
}

const COLUMNS: Column[] = [
  { title: 'Turn', right: true },
  { title: 'Status', right: false },
  { title: 'Model', right: false },
  { title: 'Req', right: true },
  { title: 'Input', right: true },
  { title: 'Cache read', right: true },
  { title: 'Cache write', right: true },
  { title: 'Output', right: true },
  { title: 'Reasoning', right: true },
  { title: 'Total', right: true },
  { title: 'Cost', right: false },
];

function usageCells(u: UsageJson): string[] {
  return [
    formatTokens(u.inputTokens),
    formatTokens(u.inputTokenDetails.cacheReadTokens),
    formatTokens(u.inputTokenDetails.cacheWriteTokens),
    formatTokens(u.outputTokens),
    formatTokens(u.outputTokenDetails.reasoningTokens),
    formatTokens(u.totalTokens),
  ];
}

function statusText(status: string, source: UsageJson['source']): string {
  return source === 'provider' ? status : `${status} (${source})`;
}

function requestRow(r: RequestStatsJson, label: string): string[] {
  const purpose = r.purpose === 'chat' ? '' : ` [${r.purpose}]`;
  return [
    label,
    statusText(r.status, r.usage.source) + purpose,
    r.model,
    '',
    ...usageCells(r.usage),
    formatCost(r),
  ];
}

function table(rows: string[][], separatorsBefore: Set<number>): string {
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (COLUMNS[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(COLUMNS.map((c) => c.title)), rule];
  rows.forEach((r, i) => {
    if (separatorsBefore.has(i)) out.push(rule);
    out.push(line(r));
  });
  return out.join('\n');
}

/** The readable table of `tally stats` (one row per turn; per request too with `requests`). */
export function renderStatsText(s: SessionStatsJson, opts: { requests?: boolean } = {}): string {
  const rows: string[][] = [];
  for (const t of s.turns) {
    rows.push([
      String(t.index + 1),
      statusText(t.status, t.usage.source),
      t.model,
      String(t.requests.length),
      ...usageCells(t.usage),
      formatCost(t),
    ]);
    if (opts.requests) {
      t.requests.forEach((r, i) => {
        rows.push(requestRow(r, `${t.index + 1}.${i + 1}`));
      });
    }
  }
  for (const r of s.sessionRequests) rows.push(requestRow(r, 'session'));
  const totalAt = rows.length;
  rows.push(['Total', '', '', String(s.total.requests), ...usageCells(s.total), formatCost(s.total)]);
  const head = [
    `Session ${s.sessionId}${s.title ? `  "${s.title}"` : ''}`,
    `Model ${s.model || 'unknown'}${s.provider ? ` (${s.provider})` : ''} · ${s.total.turns} turns · ${s.total.requests} requests · updated ${s.updatedAt || 'never'}`,
  ];
  if (s.approximate) head.push('Approximate: this log recorded cumulative usage; totals were reconstructed.');
  return [
    ...head,
    '',
    table(rows, new Set([totalAt])),
    '',
    `Context window: ${formatContextWindow(s.contextWindow)}`,
    `Total cost: ${formatCost(s.total)}`,
  ].join('\n');
}

/** A Markdown rendering for "Copy as Markdown". */
export function renderStatsMarkdown(s: SessionStatsJson): string {
  const head =
    '| Turn | Status | Model | Requests | Input | Cache read | Cache write | Output | Reasoning | Total | Cost |';
  const rule = '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|';
  const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = s.turns.map(
    (t) =>
      `| ${t.index + 1} | ${statusText(t.status, t.usage.source)} | ${cell(t.model)} | ${t.requests.length} | ${usageCells(t.usage).join(' | ')} | ${formatCost(t)} |`,
  );
  rows.push(
    `| **Total** | | | ${s.total.requests} | ${usageCells(s.total).join(' | ')} | **${formatCost(s.total)}** |`,
  );
  return [
    `### ${cell(s.title || s.sessionId)}`,
    '',
    head,
    rule,
    ...rows,
    '',
    `Context window: ${formatContextWindow(s.contextWindow)}`,
    '',
  ].join('\n');
}
