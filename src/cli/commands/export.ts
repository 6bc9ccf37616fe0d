import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { exportRows, toCsv } from '../../core/report/export';
import { sessionStats } from '../../core/report/stats';
import { CliError, oneOf, parse, usageError } from '../args';
import { loadSessionOrFail, openStoreForReading, pricingFrom } from '../context';
import { print, warn } from '../output';

/** `tally export <sessionId|--all> --format csv|json [--out FILE]`: one row per request. */
export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    storage: { type: 'string' },
    all: { type: 'boolean' },
    format: { type: 'string' },
    out: { type: 'string' },
    prices: { type: 'string' },
  });
  const format = oneOf(values.format, ['csv', 'json'] as const, '--format');
  if (!format) throw usageError('export needs --format csv|json');
  if (values.all ? positionals.length !== 0 : positionals.length !== 1) {
    throw usageError('export takes one session id, or --all');
  }
  const pricing = await pricingFrom(values.prices);
  const store = await openStoreForReading(values.storage, pricing);
  const ids = values.all ? (await store.list()).sessions.map((s) => s.sessionId) : [positionals[0]!];
  const rows = [];
  for (const id of ids) {
    const loaded = await loadSessionOrFail(store, id);
    for (const p of loaded.problems) warn(`${p.kind}: ${p.message}`);
    rows.push(
      ...exportRows(
        sessionStats(loaded.state, pricing.contextLimit(loaded.state.model, loaded.state.provider)),
      ),
    );
  }
  const text = format === 'csv' ? toCsv(rows) : `${JSON.stringify(rows, null, 2)}\n`;
  if (!values.out) {
    print(text);
    return 0;
  }
  const out = path.resolve(values.out);
  // Written beside, then renamed: a failed export never leaves half a file.
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, out);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new CliError(`cannot write ${out}: ${(e as Error).message}`);
  }
  process.stderr.write(`Exported ${rows.length} requests to ${out}\n`);
  return 0;
}
