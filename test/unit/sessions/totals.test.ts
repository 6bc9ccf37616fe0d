import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { sessionTotals, turnTotals } from '../../../src/core/ledger/derive';
import { SessionStore } from '../../../src/core/sessions/store';
import type { Usage } from '../../../src/core/usage/types';
import { cost, tempStorage, usage } from './helpers';

interface Snapshot {
  turn: number;
  request: number;
  parts: [number, number, number, number, number];
  priced: boolean;
  final: boolean;
  repeat: number;
}

const snapshot: fc.Arbitrary<Snapshot> = fc.record({
  turn: fc.nat(3),
  request: fc.nat(4),
  parts: fc.tuple(fc.nat(200_000), fc.nat(200_000), fc.nat(20_000), fc.nat(30_000), fc.nat(30_000)),
  priced: fc.boolean(),
  final: fc.boolean(),
  repeat: fc.integer({ min: 1, max: 3 }),
});

const usageOf = (s: Snapshot): Usage => usage(...s.parts);
const picoOf = (s: Snapshot): bigint | null => (s.priced ? BigInt(s.parts[0] * 3 + s.parts[3] * 15) : null);

/** The oracle: per request, the last final snapshot, or the last one when none was final. */
function effective(snaps: readonly Snapshot[]): Map<string, Snapshot> {
  const out = new Map<string, Snapshot>();
  for (const s of snaps) {
    const key = `${s.turn}/${s.request}`;
    const prev = out.get(key);
    if (prev?.final && !s.final) continue;
    out.set(key, s);
  }
  return out;
}

describe('totals over recorded snapshots (property)', () => {
  it('equal the sums of their parts, repeated snapshots counting once, before and after a reload', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(snapshot, { minLength: 1, maxLength: 25 }),
        fc.nat(),
        async (snaps, dupSeed) => {
          const dir = await tempStorage();
          try {
            const store = await SessionStore.open(dir);
            const w = await store.create({ title: 'prop', provider: 'p', model: 'm', sessionId: 'prop' });
            const started = new Set<string>();
            for (const s of snaps) {
              const turnId = `t${s.turn}`;
              const requestId = `r${s.turn}-${s.request}`;
              if (!started.has(turnId)) {
                started.add(turnId);
                await w.append({ type: 'turn.started', turnId, index: s.turn });
              }
              if (!started.has(requestId)) {
                started.add(requestId);
                await w.append({
                  type: 'request.started',
                  requestId,
                  turnId,
                  provider: 'p',
                  model: 'm',
                  purpose: 'chat',
                });
              }
              for (let i = 0; i < s.repeat; i++) {
                await w.append(
                  {
                    type: 'request.usage',
                    requestId,
                    usage: usageOf(s),
                    cost: cost(picoOf(s)),
                    final: s.final,
                  },
                  { durable: false },
                );
              }
            }
            await w.close();

            const eff = [...effective(snaps).values()];
            const expected = {
              input: eff.reduce((a, s) => a + usageOf(s).inputTokens, 0),
              cacheRead: eff.reduce((a, s) => a + s.parts[1], 0),
              output: eff.reduce((a, s) => a + usageOf(s).outputTokens, 0),
              total: eff.reduce((a, s) => a + usageOf(s).totalTokens, 0),
              pico: eff.reduce((a, s) => a + (picoOf(s) ?? 0n), 0n),
              unknown: eff.filter((s) => !s.priced).length,
            };
            const check = (state: NonNullable<Awaited<ReturnType<typeof store.load>>>['state']) => {
              const t = sessionTotals(state);
              assert.equal(t.usage.inputTokens, expected.input);
              assert.equal(t.usage.inputTokenDetails.cacheReadTokens, expected.cacheRead);
              assert.equal(t.usage.outputTokens, expected.output);
              assert.equal(t.usage.totalTokens, expected.total);
              assert.equal(t.cost.knownPico, expected.pico);
              assert.equal(t.cost.unknownCount, expected.unknown);
              // The session is the sum of its turns, exactly.
              let turnSum = 0;
              let turnPico = 0n;
              for (const turn of state.turns) {
                const tt = turnTotals(state, turn);
                turnSum += tt.usage.totalTokens;
                turnPico += tt.cost.knownPico;
              }
              assert.equal(turnSum, t.usage.totalTokens);
              assert.equal(turnPico, t.cost.knownPico);
            };
            check(w.state);
            check((await store.load('prop'))!.state);

            // Any line written twice or three times over (a replayed write) changes nothing.
            const file = join(dir, 'sessions', 'prop.jsonl');
            const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
            const at = 1 + (dupSeed % (lines.length - 1));
            lines.splice(at, 0, lines[at]!, lines[at]!);
            await fs.writeFile(file, `${lines.join('\n')}\n`);
            check((await store.load('prop'))!.state);
          } finally {
            await fs.rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
