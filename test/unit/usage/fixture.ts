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
