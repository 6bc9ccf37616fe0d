/**
 * kill -9 at any moment: the seeded 30-kill version of `npm run chaos` (scripts/chaos.ts). The
 * real recorder (`tally run`) runs in child processes against the local model server and is
 * killed at random moments; after every run the session must load, keep every acknowledged
 * append, count nothing twice, add up, and continue cleanly.
 */
import assert from 'node:assert/strict';
import { runChaos } from '../../../scripts/chaos';

const SEED = Number(process.env.TALLY_CHAOS_SEED ?? 20260107);

describe('crashes: kill -9 at seeded random moments', function () {
  this.timeout(240_000);

  it(`30 kills (seed ${SEED}): every session loads, no acknowledged append is lost, totals add up, sessions continue`, async () => {
    const r = await runChaos({ kills: 30, seed: SEED, workers: 2, chain: 10 });
    console.log(
      `      chaos seed ${r.seed}: ${r.kills} kills, ${r.runs} runs, ${r.sessionsLoaded} loads, ` +
        `${r.acked} acks checked, ${r.ackedLost} lost, ${r.tornKeptAside} torn tails kept aside, ` +
        `${r.danglingClosed} dangling turns closed, ${r.seconds} s`,
    );
    assert.deepEqual(r.failures, []);
    assert.equal(r.kills, 30);
    assert.equal(r.ackedLost, 0);
    assert.ok(r.acked > 100, `only ${r.acked} acknowledged appends: the kills came too early`);
    assert.ok(r.danglingClosed > 0, 'no run was killed mid-turn');
    assert.ok(r.sessions >= 3);
  });
});
