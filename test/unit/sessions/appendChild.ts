/**
 * A child process for the concurrency test: opens a session of the store in argv[2] and appends
 * argv[4] large message events tagged with argv[3], as another Tally window would.
 */
import { SessionStore } from '../../../src/core/sessions/store';

async function main(): Promise<void> {
  const [dir, tag, count] = process.argv.slice(2);
  const store = await SessionStore.open(dir!);
  const w = await store.openWriter('shared');
  const pending = [];
  for (let i = 0; i < Number(count); i++) {
    const content = `${tag}:${i}:${'x'.repeat(20_000 + ((i * 7919) % 30_000))}`;
    pending.push(
      w.append({ type: 'message', message: { role: 'user', content } }, { durable: i % 10 === 0 }),
    );
  }
  await Promise.all(pending);
  await w.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
