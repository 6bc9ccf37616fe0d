import { collectSummaries, summaryRows } from '../../core/report/collect';
import { GROUP_BY, SpendingOptionError, spendingReport } from '../../core/report/spending';
import { renderSpendingText, spendingCsv } from '../../core/report/spendingText';
import { oneOf, parse, usageError } from '../args';
import { pricingFrom } from '../context';
import { print, printJson, stderrLogger, warn } from '../output';
import { progressAfterASecond, SOURCE_FLAGS, storageSources } from '../sources';

/**
 * `tally report [--by day|week|month|model|provider|workspace|session] [--since DATE] [--until DATE]
 * [--tz ZONE] [--json|--csv] [--storage DIR]… [--storage-root DIR]…`: spending across sessions
 * and workspaces, from the session indexes.
 */
export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...SOURCE_FLAGS,
    by: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    tz: { type: 'string' },
    json: { type: 'boolean' },
    csv: { type: 'boolean' },
    prices: { type: 'string' },
  });
  if (positionals.length > 0) throw usageError('report takes no arguments, only flags');
  if (values.json && values.csv) throw usageError('choose one of --json and --csv');
  const by = oneOf(values.by, GROUP_BY, '--by') ?? 'day';
  const options = { by, since: values.since ?? null, until: values.until ?? null, tz: values.tz ?? null };
  // Check the options before reading anything.
  try {
    spendingReport([], options);
  } catch (e) {
    if (e instanceof SpendingOptionError)
      throw usageError(/^(since|until|by) /.test(e.message) ? `--${e.message}` : e.message);
    throw e;
  }
  const pricing = await pricingFrom(values.prices);
  const sources = await storageSources(values);
  const progress = progressAfterASecond('reading storage folders');
  const collected = await collectSummaries(sources, {
    price: pricing.price,
    logger: stderrLogger(),
    onProgress: progress.update,
  });
  progress.done();
  for (const p of collected.problems) warn(`${p.kind}: ${p.message}`);
  const report = spendingReport(summaryRows(collected), options);
  if (values.json) printJson(report);
  else if (values.csv) process.stdout.write(spendingCsv(report));
  else if (sources.length === 0) print('No Tally storage folders found (pass --storage or --storage-root).');
  else print(renderSpendingText(report));
  return 0;
}
