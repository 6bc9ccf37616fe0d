/**
 * CLI: `node dist/mock-provider.js [--port N] [--delay MS]` starts the mock model server on
 * 127.0.0.1, prints the base URL per provider, and runs until SIGINT/SIGTERM.
 */
import { startMockProvider } from './server';
import { PROVIDER_IDS } from './types';

function option(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`${name} needs a non-negative integer\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write('usage: mock-provider [--port N] [--delay MS]\n');
    return;
  }
  const server = await startMockProvider({
    port: option('--port') ?? 0,
    chunkDelayMs: option('--delay') ?? 15,
  });
  const lines = [
    `Tally mock provider listening on ${server.url}`,
    ...PROVIDER_IDS.map((p) => `${p}: ${server.baseURLs[p]}`),
    `openai: ${server.baseURLs['openai-responses']}`,
    `log: ${server.url}/_mock/log`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
