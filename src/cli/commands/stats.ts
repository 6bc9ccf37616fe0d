import { sessionStats } from '../../core/report/stats';
import { renderStatsText } from '../../core/report/text';
import { parse, usageError } from '../args';
import { loadSessionOrFail, openStoreForReading, pricingFrom } from '../context';
import { print, printJson, warn } from '../output';

/** `tally stats <sessionId> [--storage DIR] [--requests] [--json]`. */
export async function statsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    storage: { type: 'string' },
    json: { type: 'boolean' },
    requests: { type: 'boolean' },
    prices: { type: 'string' },
  });
  if (positionals.length !== 1) throw usageError('stats takes one session id');
  const pricing = await pricingFrom(values.prices);
  const store = await openStoreForReading(values.storage, pricing);
  const loaded = await loadSessionOrFail(store, positionals[0]!);
  for (const p of loaded.problems) warn(`${p.kind}: ${p.message}`);
  const stats = sessionStats(loaded.state, pricing.contextLimit(loaded.state.model, loaded.state.provider));
  if (values.json) printJson({ ...stats, readOnly: loaded.readOnly, format: loaded.format });
  else print(renderStatsText(stats, { requests: values.requests ?? false }));
  return 0;
}
