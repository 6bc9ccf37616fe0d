// Renders the webviews with sample host messages in headless Chromium and saves screenshots
// to .artifacts/webview/ (dark, light and high-contrast themes; a tool loop, an interrupted
// turn, an unknown price, 10,000 turns). Also reports CSP violations and page errors.
//
//   npx tsx scripts/webview-preview.mjs            all scenarios
//   npx tsx scripts/webview-preview.mjs usage      only the scenarios whose name contains "usage"
//   npx tsx scripts/webview-preview.mjs --serve    keep the harness up to open it in a browser
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildWebview,
  launchChromium,
  openView,
  post,
  posted,
  repoRoot,
  startHarness,
  violations,
} from '../test/webview/harness.ts';
import { sampleChat, sampleUsage } from '../test/webview/samples.ts';

const out = join(repoRoot, '.artifacts/webview');
mkdirSync(out, { recursive: true });
const filter = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '';

const bundle = await buildWebview();
console.log(`dist/webview.js: ${(bundle.bytes / 1024).toFixed(1)} KB`);

const big = sampleUsage({
  turns: 10_000,
  interrupted: [9_996, 120],
  failed: [9_990],
  unknownPrice: [9_998, 4000],
});
const small = sampleUsage({ turns: 12, interrupted: [10], failed: [7], unknownPrice: [11], running: false });
const streamingChat = () => {
  const s = sampleChat({ trusted: false, running: true });
  return {
    ...s,
    items: [
      ...s.items.slice(0, 5),
      { kind: 'user', id: 'u9', turnId: 't9', text: 'Now explain the gauge.' },
      {
        kind: 'assistant',
        id: 'a9',
        turnId: 't9',
        requestId: 'r20',
        text: 'The gauge shows the **latest request**',
      },
    ],
  };
};

/** name → how to produce it. */
const scenarios = [
  ...['dark', 'light', 'hc'].map((theme) => ({
    name: `chat-${theme}`,
    view: 'chat',
    theme,
    height: 1900,
    run: (page) =>
      post(
        page,
        { type: 'init', view: 'chat', trusted: true },
        { type: 'chat.snapshot', snapshot: sampleChat() },
      ),
  })),
  {
    name: 'chat-restricted-streaming-dark',
    view: 'chat',
    theme: 'dark',
    height: 800,
    run: async (page) => {
      await post(page, { type: 'chat.snapshot', snapshot: streamingChat() });
      await post(page, {
        type: 'chat.append',
        items: [],
        deltas: [
          {
            id: 'a9',
            text: "'s prompt plus its output against the model's limit:\n\n```ts\nconst used = last.input + last.output;\n",
          },
        ],
        running: true,
      });
    },
  },
  {
    name: 'chat-empty-light',
    view: 'chat',
    theme: 'light',
    height: 500,
    run: (page) =>
      post(page, {
        type: 'chat.snapshot',
        snapshot: {
          sessionId: null,
          title: '',
          items: [],
          running: false,
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          trusted: true,
        },
      }),
  },
  ...['dark', 'light', 'hc'].map((theme) => ({
    name: `usage-10k-${theme}`,
    view: 'usage',
    theme,
    height: 1000,
    width: 720,
    run: (page) => post(page, { type: 'usage.snapshot', snapshot: big }),
  })),
  {
    name: 'usage-narrow-focus-dark',
    view: 'usage',
    theme: 'dark',
    width: 340,
    height: 1000,
    run: async (page) => {
      await post(page, { type: 'usage.snapshot', snapshot: small });
      await post(page, { type: 'usage.focusTurn', turnId: 'turn-8' });
    },
  },
  {
    name: 'usage-empty-dark',
    view: 'usage',
    theme: 'dark',
    height: 400,
    run: (page) => post(page, { type: 'usage.snapshot', snapshot: null }),
  },
];

const harness = await startHarness();
if (process.argv.includes('--serve')) {
  console.log(`harness at ${harness.url('chat', 'dark')} (and view=usage, theme=light|hc); Ctrl-C to stop`);
} else {
  const browser = await launchChromium();
  let problems = 0;
  try {
    for (const s of scenarios) {
      if (filter && !s.name.includes(filter)) continue;
      const { page, errors } = await openView(browser, harness, s.view, s.theme, {
        width: s.width,
        height: s.height,
      });
      await s.run(page);
      await page.evaluate(() => document.fonts.ready);
      await page.waitForTimeout(150);
      const file = join(out, `${s.name}.png`);
      await page.screenshot({ path: file, fullPage: false });
      const v = await violations(page);
      const sent = (await posted(page)).map((m) => m.type);
      problems += v.length + errors.length;
      console.log(
        `${s.name}.png  posted: ${sent.join(', ')}${v.length ? `  CSP: ${v.join(' | ')}` : ''}${errors.length ? `  errors: ${errors.join(' | ')}` : ''}`,
      );
      await page.close();
    }
  } finally {
    await browser.close();
    await harness.close();
  }
  console.log(`screenshots in ${out}`);
  if (problems > 0) process.exitCode = 1;
}
