import * as path from 'node:path';
import { CliError, parse, usageError } from '../args';
import { openStoreForWriting, pricingFrom } from '../context';
import { print } from '../output';

/** `tally import <file> [--storage DIR]`: an old-format file becomes a session; twice changes nothing. */
export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    storage: { type: 'string' },
    prices: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw usageError('import takes one file');
  const pricing = await pricingFrom(values.prices);
  const store = await openStoreForWriting(values.storage, pricing);
  const file = path.resolve(positionals[0]!);
  const result = await store.importFile(file).catch((e: Error) => {
    throw new CliError(`cannot import ${file}: ${e.message}`);
  });
  if (values.json) print(JSON.stringify(result, null, 2));
  else {
    print(`${result.created ? 'Imported' : 'Already imported'} ${file} as session ${result.sessionId}`);
    for (const line of result.report) print(`  ${line}`);
  }
  return 0;
}
