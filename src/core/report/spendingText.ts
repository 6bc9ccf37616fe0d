/** Text and CSV renderings of the spending report (`tally report`, `tally report --csv`). */
import { csvField } from './export';
import type { SpendingGroupJson, SpendingReportJson, SpendingTotalsJson } from './spending';
import { formatCost, formatTokens } from './text';

const HEAD = ['Turns', 'Req', 'Input', 'Cache read', 'Cache write', 'Output', 'Reasoning', 'Total', 'Cost'];

function cells(t: SpendingTotalsJson): string[] {
  return [
    formatTokens(t.turns),
    formatTokens(t.requests),
    formatTokens(t.inputTokens),
    formatTokens(t.inputTokenDetails.cacheReadTokens),
    formatTokens(t.inputTokenDetails.cacheWriteTokens),
    formatTokens(t.outputTokens),
    formatTokens(t.outputTokenDetails.reasoningTokens),
    formatTokens(t.totalTokens),
    formatCost(t),
  ];
}

/** The readable table: one row per group, then the total; unknown prices said apart. */
export function renderSpendingText(r: SpendingReportJson): string {
  const first = r.by.charAt(0).toUpperCase() + r.by.slice(1);
  const rows = [[first, ...HEAD], ...r.groups.map((g) => [g.label, ...cells(g)])];
  const totalAt = rows.length;
  rows.push(['Total', ...cells(r.total)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => (i === 0 || i === row.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out: string[] = [];
  const range =
    r.since || r.until ? ` · ${r.since ?? 'the beginning'} to ${r.until ?? 'today'}` : ' · all time';
  out.push(`Spending by ${r.by}${range} · time zone ${r.timeZone} · ${r.total.sessions} sessions`);
  out.push('');
  rows.forEach((row, i) => {
    if (i === totalAt && totalAt > 1) out.push(rule);
    out.push(line(row));
    if (i === 0) out.push(rule);
  });
  if (r.total.unknownCostRequests > 0) {
    out.push('');
    out.push(
      `Unknown prices: ${formatTokens(r.total.unknownCostRequests)} requests (${formatTokens(r.total.unknownCostTokens)} tokens) are not in the cost.`,
    );
  }
  return out.join('\n');
}

const CSV_HEAD = [
  'group',
  'label',
  'turns',
  'requests',
  'sessions',
  'inputTokens',
  'noCacheTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'cacheWrite1hTokens',
  'outputTokens',
  'textTokens',
  'reasoningTokens',
  'totalTokens',
  'cost',
  'unknownCostRequests',
  'unknownCostTokens',
];

function csvRow(key: string, label: string, t: SpendingTotalsJson): string {
  return [
    key,
    label,
    t.turns,
    t.requests,
    t.sessions,
    t.inputTokens,
    t.inputTokenDetails.noCacheTokens,
    t.inputTokenDetails.cacheReadTokens,
    t.inputTokenDetails.cacheWriteTokens,
    t.inputTokenDetails.cacheWrite1hTokens,
    t.outputTokens,
    t.outputTokenDetails.textTokens,
    t.outputTokenDetails.reasoningTokens,
    t.totalTokens,
    t.cost,
    t.unknownCostRequests,
    t.unknownCostTokens,
  ]
    .map(csvField)
    .join(',');
}

/** CSV: a header, one line per group, the total last (group `total`); cost is the exact decimal. */
export function spendingCsv(r: SpendingReportJson): string {
  const lines = [CSV_HEAD.join(',')];
  for (const g of r.groups as SpendingGroupJson[]) lines.push(csvRow(g.key, g.label, g));
  lines.push(csvRow('total', 'Total', r.total));
  return `${lines.join('\n')}\n`;
}
