/** Shared helpers for the session store tests: temp folders, usage and turn builders. */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyTotals } from '../../../src/core/ledger/derive';
import type { SpendRow } from '../../../src/core/ledger/spendRows';
import type { Logger } from '../../../src/core/log';
import { type Cost, LOG_VERSION, sessionEventSchema } from '../../../src/core/sessions/events';
import { type Layout, layoutOf } from '../../../src/core/sessions/layout';
import type { SessionWriter } from '../../../src/core/sessions/writer';
import type { Usage } from '../../../src/core/usage/types';

export const FIXTURES = join(__dirname, '../../fixtures/sessions');

/** A fresh storage folder under the OS temp folder; remove it with `fs.rm(dir, { recursive: true })`. */
export async function tempStorage(): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), 'tally-sessions-'));
}

/**
 * For each test of the calling `describe`: a fresh storage folder with its `sessions/` folder,
 * handed to `use`, and removed after the test.
 */
export function eachStorage(use: (dir: string, layout: Layout) => void): void {
  let dir = '';
  beforeEach(async () => {
    dir = await tempStorage();
    const layout = layoutOf(dir);
    await fs.mkdir(layout.sessions, { recursive: true });
    use(dir, layout);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
}

/** Provider usage that satisfies the invariants: input = plain + cache read + cache write. */
export function usage(
  plain: number,
  cacheRead: number,
  cacheWrite: number,
  text: number,
  reasoning = 0,
  source: Usage['source'] = 'provider',
): Usage {
  const inputTokens = plain + cacheRead + cacheWrite;
  const outputTokens = text + reasoning;
  return {
    inputTokens,
    inputTokenDetails: { noCacheTokens: plain, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite },
    outputTokens,
    outputTokenDetails: { textTokens: text, reasoningTokens: reasoning },
    totalTokens: inputTokens + outputTokens,
    source,
  };
}

export function cost(pico: bigint | null): Cost {
  return pico === null
    ? { pico: null, basis: 'unknown' }
    : { pico: pico.toString(), basis: 'computed', catalog: 'test' };
}

/** Records one whole turn of one request: started, input usage, final usage, ended. */
export async function recordTurn(
  w: SessionWriter,
  index: number,
  u: Usage,
  c: Cost,
  opts: { model?: string; inputFirst?: boolean } = {},
): Promise<void> {
  const turnId = `t${index}`;
  const requestId = `r${index}`;
  await w.append({ type: 'turn.started', turnId, index });
  await w.append({
    type: 'request.started',
    requestId,
    turnId,
    provider: 'anthropic',
    model: opts.model ?? 'claude-sonnet-4-5',
    purpose: 'chat',
  });
  if (opts.inputFirst !== false) {
    const input: Usage = { ...u, outputTokens: 0, outputTokenDetails: { textTokens: 0, reasoningTokens: 0 } };
    input.totalTokens = input.inputTokens;
    await w.append({ type: 'request.usage', requestId, usage: input, cost: c, final: false });
  }
  await w.append({ type: 'request.usage', requestId, usage: u, cost: c, final: true });
  await w.append({ type: 'request.ended', requestId, status: 'completed' });
  await w.append({ type: 'turn.ended', turnId, status: 'completed' });
}

/** A logger that remembers what it was told. */
export function memoryLogger(): Logger & {
  lines: { level: string; msg: string; data?: Record<string, unknown> }[];
} {
  const lines: { level: string; msg: string; data?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, data?: Record<string, unknown>) => {
    lines.push(data === undefined ? { level, msg } : { level, msg, data });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function exists(path: string): Promise<boolean> {
  return fs
    .stat(path)
    .then(() => true)
    .catch(() => false);
}

/** The time of `eventLine`'s lines. */
export const EVENT_AT = '2026-03-01T09:00:00.000Z';

/** One event line as the writer writes it (zod's output, schema order), at `EVENT_AT`. */
export function eventLine(body: Record<string, unknown>, v = LOG_VERSION): string {
  return JSON.stringify(sessionEventSchema.parse({ v, at: EVENT_AT, ...body }));
}

/** A message line that makes `used` bytes `total` bytes once it and its newline follow them. */
export function paddingLine(used: number, total: number): string {
  const empty = eventLine({ type: 'message', turnId: 't0', message: { role: 'user', content: '' } });
  return eventLine({
    type: 'message',
    turnId: 't0',
    message: { role: 'user', content: 'p'.repeat(total - used - empty.length - 1) },
  });
}

/** A spending row whose fields are 1…15 times `n` (so a misplaced field shows), of `source`. */
export function spendRow(
  over: Partial<SpendRow> = {},
  n = 1,
  source: SpendRow['usage']['source'] = 'legacy',
): SpendRow {
  return {
    start: Date.parse('2026-03-01T09:00:00.000Z'),
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    turns: n,
    requests: 2 * n,
    pricedRequests: 3 * n,
    unknownCostRequests: 4 * n,
    unknownCostTokens: 5 * n,
    usage: {
      inputTokens: 6 * n,
      inputTokenDetails: {
        noCacheTokens: 7 * n,
        cacheReadTokens: 8 * n,
        cacheWriteTokens: 9 * n,
        cacheWrite1hTokens: 10 * n,
      },
      outputTokens: 11 * n,
      outputTokenDetails: { textTokens: 12 * n, reasoningTokens: 13 * n },
      totalTokens: 14 * n,
      source,
    },
    costPico: BigInt(15 * n),
    ...over,
  };
}

/** A summary as index.json holds one, with these spending rows and `over` replacing fields. */
export function indexSummary(spend: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sessionId: 's',
    title: 'T',
    provider: 'p',
    model: 'm',
    createdAt: 'c',
    updatedAt: 'u',
    turns: 0,
    requests: 0,
    usage: emptyTotals(),
    costPico: '0',
    unknownCostRequests: 0,
    contextTokens: 0,
    contextModel: null,
    approximate: false,
    readOnly: false,
    format: 'v1',
    problems: 0,
    importedSha256: null,
    file: 'sessions/s.jsonl',
    size: 1,
    mtimeMs: 1,
    deletedAt: null,
    spend,
    ...over,
  };
}
