import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A vendor usage object (or stream) kept under test/fixtures/usage, with where it came from. */
export interface UsageFixture {
  source: string;
  provider: string;
  usage?: Record<string, unknown>;
  events?: unknown[];
}

/** Reads test/fixtures/usage/<name>.json. */
export function usageFixture(name: string): UsageFixture {
  const path = join(__dirname, '..', '..', 'fixtures', 'usage', `${name}.json`);
  return JSON.parse(readFileSync(path, 'utf8')) as UsageFixture;
}

/** The JSON data of each event of a recorded stream test/fixtures/wire/<provider>/<name>.sse (`[DONE]` left out). */
export function wireEvents(provider: string, name: string): Record<string, unknown>[] {
  const text = readFileSync(join(__dirname, '..', '..', 'fixtures', 'wire', provider, name), 'utf8');
  return text
    .split(/\r?\n\r?\n/)
    .map((block) =>
      block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n'),
    )
    .filter((data) => data !== '' && data !== '[DONE]')
    .map((data) => JSON.parse(data) as Record<string, unknown>);
}
