/**
 * `npm run bench`: runs each benchmark module in turn and prints its figures. To add one,
 * export an async function from a module in bench/ and add it to the list below.
 */
import { benchEditor } from './editor';
import { benchRecording } from './recording';
import { benchReport } from './report';
import { benchStreaming } from './streaming';
import { benchWebview } from './webview';

const benches: { name: string; run: () => Promise<unknown> }[] = [
  { name: 'recording', run: () => benchRecording() },
  { name: 'streaming', run: () => benchStreaming() },
  { name: 'report', run: () => benchReport() },
  { name: 'webview', run: () => benchWebview() },
  { name: 'editor', run: () => benchEditor() },
];

async function main(): Promise<void> {
  for (const b of benches) {
    console.log(`\n=== ${b.name} ===\n`);
    await b.run();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
