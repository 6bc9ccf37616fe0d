/**
 * A child process for the concurrency tests: another Tally window writing the same session.
 *
 *   appendChild.ts <storage> <tag> <count> messages   appends <count> large message events
 *   appendChild.ts <storage> <tag> <count> requests   appends <count> requests (started + final
 *       usage of <tag-base + i> input tokens and 1 output token), prints "appended", waits for
 *       a line on stdin, folds what the other process appended (`refresh`), and prints its
 *       writer's totals as JSON.
 */
import { createInterface } from 'node:readline';
import { sessionTotals } from '../../../src/core/ledger/derive';
import { SessionStore } from '../../../src/core/sessions/store';

async function main(): Promise<void> {
  const [dir, tag, countArg, mode] = process.argv.slice(2);
  const count = Number(countArg);
  const store = await SessionStore.open(dir!);
  const w = await store.openWriter('shared');
  const pending: Promise<unknown>[] = [];
  if (mode === 'requests') {
    for (let i = 0; i < count; i++) {
      const requestId = `${tag}-${i}`;
      const input = i + 1;
      pending.push(
        w.append({ type: 'request.started', requestId, provider: 'p', model: 'm', purpose: 'chat' }),
        w.append(
          {
            type: 'request.usage',
            requestId,
            usage: {
              inputTokens: input,
              inputTokenDetails: { noCacheTokens: input, cacheReadTokens: 0, cacheWriteTokens: 0 },
              outputTokens: 1,
              outputTokenDetails: { textTokens: 1, reasoningTokens: 0 },
              totalTokens: input + 1,
              source: 'provider',
            },
            cost: { pico: String(input), basis: 'computed' },
            final: true,
          },
          { durable: i % 1000 === 999 },
        ),
      );
    }
    await Promise.all(pending);
    process.stdout.write('appended\n');
    const rl = createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => rl.once('line', () => resolve()));
    rl.close();
    await w.refresh();
    const t = sessionTotals(w.state);
    process.stdout.write(
      `${JSON.stringify({ requests: w.state.requests.size, totalTokens: t.usage.totalTokens, cost: t.cost.knownPico.toString() })}\n`,
    );
  } else {
    for (let i = 0; i < count; i++) {
      const content = `${tag}:${i}:${'x'.repeat(20_000 + ((i * 7919) % 30_000))}`;
      pending.push(
        w.append({ type: 'message', message: { role: 'user', content } }, { durable: i % 10 === 0 }),
      );
    }
    await Promise.all(pending);
  }
  await w.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
