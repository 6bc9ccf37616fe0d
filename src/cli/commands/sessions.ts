import { costJson } from '../../core/report/stats';
import { formatCost, formatTokens } from '../../core/report/text';
import { parse } from '../args';
import { openStoreForReading, pricingFrom } from '../context';
import { print, printJson, warn } from '../output';

/** `tally sessions [--storage DIR] [--json]`: the sessions, newest first. */
export async function sessionsCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    storage: { type: 'string' },
    json: { type: 'boolean' },
    prices: { type: 'string' },
  });
  const pricing = await pricingFrom(values.prices);
  const store = await openStoreForReading(values.storage, pricing);
  const { sessions, problems } = await store.list();
  for (const p of problems) warn(`${p.kind}: ${p.message}`);
  const rows = sessions.map((s) => {
    const cost = costJson({ knownPico: BigInt(s.costPico), unknownCount: s.unknownCostRequests }, s.requests);
    return {
      sessionId: s.sessionId,
      title: s.title,
      provider: s.provider,
      model: s.model,
      createdAt: s.createdAt,
      updated: s.updatedAt,
      updatedAt: s.updatedAt,
      turns: s.turns,
      requests: s.requests,
      totalTokens: s.usage.totalTokens,
      ...cost,
      contextWindow: {
        usedTokens: s.contextTokens,
        limitTokens: pricing.contextLimit(s.model, s.provider),
      },
      approximate: s.approximate,
      readOnly: s.readOnly,
      format: s.format,
    };
  });
  if (values.json) {
    printJson(rows);
    return 0;
  }
  if (rows.length === 0) {
    print('No sessions.');
    return 0;
  }
  const table = [['Session', 'Updated', 'Model', 'Turns', 'Tokens', 'Cost', 'Title']];
  for (const r of rows) {
    table.push([
      r.sessionId,
      r.updated.replace('T', ' ').slice(0, 16),
      r.model,
      String(r.turns),
      formatTokens(r.totalTokens),
      formatCost(r),
      r.title + (r.readOnly ? ' (read-only)' : '') + (r.approximate ? ' (approximate)' : ''),
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const right = new Set([3, 4]);
  for (const row of table) {
    print(
      row
        .map((c, i) =>
          i === row.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!),
        )
        .join('  ')
        .trimEnd(),
    );
  }
  return 0;
}
