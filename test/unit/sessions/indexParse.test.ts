/** The index's hand-written summary check (`parseSummary`) answers exactly as its zod schema does. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emptyTotals } from '../../../src/core/ledger/derive';
import { encodeSpend, parseSummary, summarySchema } from '../../../src/core/sessions/sessionIndex';

const base = () => ({
  sessionId: 's',
  title: 'Title',
  provider: 'anthropic',
  model: 'm',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:01:00.000Z',
  turns: 2,
  requests: 3,
  usage: emptyTotals() as Record<string, unknown>,
  costPico: '123',
  unknownCostRequests: 0,
  contextTokens: 10,
  contextModel: null as string | null,
  approximate: false,
  readOnly: false,
  format: 'v1',
  problems: 0,
  importedSha256: null as string | null,
  file: 'sessions/s.jsonl',
  size: 100,
  mtimeMs: 1.5,
  deletedAt: null as string | null,
  spend: encodeSpend([]) as unknown,
});

const odd = fc.oneof(
  fc.jsonValue({ maxDepth: 1 }),
  fc.constantFrom(undefined, -1, 1.5, 2 ** 60, '', 'v9', 'legacy', '12a', '1'.repeat(41), null, true, [], {}),
);
const path = fc.constantFrom(
  ...Object.keys(base()).map((k) => [k]),
  ['usage', 'inputTokens'],
  ['usage', 'source'],
  ['usage', 'inputTokenDetails', 'cacheWrite1hTokens'],
  ['usage', 'inputTokenDetails', 'noCacheTokens'],
  ['usage', 'outputTokenDetails', 'reasoningTokens'],
  ['usage', 'outputTokenDetails'],
  ['spend', 'keys'],
  ['spend', 'bucket'],
  ['extra'],
  ['usage', 'extra'],
);

describe('the index summary check', () => {
  it('accepts and strips exactly as zod does', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(path, odd), { maxLength: 3 }), (edits) => {
        const s = JSON.parse(JSON.stringify(base()));
        for (const [p, v] of edits) {
          let o = s;
          for (const k of p.slice(0, -1)) {
            if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
            o = o[k];
          }
          if (v === undefined) delete o[p[p.length - 1]!];
          else o[p[p.length - 1]!] = v;
        }
        const z = summarySchema.safeParse(s);
        assert.deepStrictEqual(parseSummary(s), z.success ? z.data : null);
      }),
      { numRuns: 3000 },
    );
    assert.ok(parseSummary(JSON.parse(JSON.stringify(base()))));
  });
});
