/** Invariants of the wire renderers for any script: usage snapshots are cumulative and end at the plan's numbers. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PROVIDER_IDS, type ScriptEvent, type UsageNumbers } from '../../../src/mock-provider';
import { FORMATS } from '../../../src/mock-provider/formats';
import type { Plan, RenderContext } from '../../../src/mock-provider/plan';
import { outputOf } from '../../../src/mock-provider/usage';

const word = fc.constantFrom(' a', ' bb', ' ccc', 'd', ' e f');
const event: fc.Arbitrary<ScriptEvent> = fc.oneof(
  word.map((text) => ({ type: 'text' as const, text })),
  word.map((text) => ({ type: 'reasoning' as const, text })),
  fc.record({
    type: fc.constant('tool-call' as const),
    name: fc.constantFrom('list_files', 'read'),
    args: fc.constant({}),
  }),
);
const count = fc.nat({ max: 100_000 });
const extra: fc.Arbitrary<Omit<UsageNumbers, 'outputText' | 'reasoning'>> = fc.record({
  inputNoCache: count,
  cacheRead: count,
  cacheWrite5m: count,
  cacheWrite1h: count,
});

const ctx = (): RenderContext => ({
  responseKey: 'p',
  created: 0,
  includeUsage: true,
  rememberItem: () => {},
});

describe('mock provider: renderers for any script', () => {
  for (const provider of PROVIDER_IDS) {
    it(`${provider}: the last usage report is the plan's numbers; running output never goes down`, () => {
      fc.assert(
        fc.property(
          fc.array(event, { maxLength: 12 }),
          extra,
          fc.constantFrom('final', 'repeat'),
          (events, input, mode) => {
            const usage: UsageNumbers = { ...input, ...outputOf(events) };
            const plan: Plan = { model: 'm', events, usage, usageMode: mode, finish: 'stop' };
            const frames = FORMATS[provider].render(plan, ctx());
            const reports = frames.flatMap((f) => (f.kind === 'data' && f.usage ? [f.usage] : []));
            assert.ok(reports.length > 0);
            assert.deepEqual(reports.at(-1)!.numbers, usage);
            const outputs = reports
              .filter((r) => r.carrier !== 'message_start')
              .map((r) => r.numbers.outputText + r.numbers.reasoning);
            outputs.forEach((o, i) => {
              assert.ok(i === 0 || o >= outputs[i - 1]!, `${outputs}`);
            });
            for (const f of frames) if (f.kind === 'data') JSON.parse(JSON.stringify(f.data));
            // The unary form reports the same numbers.
            assert.deepEqual(FORMATS[provider].renderJson(plan, ctx()).usage?.numbers, usage);
          },
        ),
        { numRuns: 80 },
      );
    });
  }
});
