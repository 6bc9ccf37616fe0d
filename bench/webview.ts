/**
 * Webview benchmark: the size of the webview bundle (target <= 150 KB) and the usage panel's
 * first render of a 10,000-turn session in headless Chromium (target <= 200 ms), measured from
 * the snapshot message to laid-out DOM. The snapshot comes from the real ledger and stats code.
 * Also: a refreshed snapshot through window.postMessage (which adds the structured clone that
 * VS Code's own message passing does too), the same change as a `usage.patch`, and expanding
 * one turn at 10,000 turns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { HostToWebview } from '../src/shared/protocol';
import { buildWebview, launchChromium, openView, repoRoot, startHarness } from '../test/webview/harness';
import { sampleUsage } from '../test/webview/samples';

export interface WebviewBenchOptions {
  turns?: number;
  /** Fresh page loads measured (default 5). */
  runs?: number;
  print?: (line: string) => void;
}

export interface WebviewBenchResult {
  bundleBytes: number;
  bundleGzipBytes: number;
  /** Medians, ms. */
  handlerMs: number;
  firstRenderMs: number;
  nextFrameMs: number;
  postMessageMs: number;
  patchMs: number;
  expandMs: number;
  domRows: number;
  snapshotBytes: number;
}

interface RunFigures {
  handler: number;
  layout: number;
  frame: number;
  viaPost: number;
  patch: number;
  expand: number;
  rows: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;

/** Runs the webview benchmark and prints its figures; returns them too. */
export async function benchWebview(opts: WebviewBenchOptions = {}): Promise<WebviewBenchResult> {
  const turns = opts.turns ?? 10_000;
  const runs = opts.runs ?? 5;
  const p = opts.print ?? ((line: string) => console.log(line));
  const bundlePath = join(repoRoot, 'dist/webview.js');
  // `npm run bench` builds first; measure that bundle (build it only when it is missing).
  if (!existsSync(bundlePath)) await buildWebview();
  const bundle = readFileSync(bundlePath);
  const snapshot = sampleUsage({ turns, interrupted: [turns - 4], unknownPrice: [turns - 2] });
  const json = JSON.stringify({ type: 'usage.snapshot', snapshot });
  // What a running turn's update looks like as a patch: its one turn and the session figures.
  const st = snapshot.stats;
  const patch: HostToWebview = {
    type: 'usage.patch',
    patch: {
      sessionId: st.sessionId,
      turns: [st.turns[st.turns.length - 1]!],
      total: st.total,
      contextWindow: st.contextWindow,
      updatedAt: st.updatedAt,
      gauge: snapshot.gauge,
      running: true,
      budgetUsd: null,
    },
  };

  const harness = await startHarness();
  const browser = await launchChromium();
  const figures: RunFigures[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const { page, errors } = await openView(browser, harness, 'usage', 'dark', { width: 800, height: 900 });
      await page.evaluate(
        (arg: { s: string; p: string }) => {
          const w = window as unknown as { __json: string; __patch: unknown };
          w.__json = arg.s;
          w.__patch = JSON.parse(arg.p);
        },
        { s: json, p: JSON.stringify(patch) },
      );
      const f = await page.evaluate(async () => {
        const w = window as unknown as { __json: string };
        // (No named helper functions in here: tsx would wrap them in a __name() the page lacks.)
        // Parsing stands in for the host's message deserialization: not the webview's work.
        const data = JSON.parse(w.__json);
        await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
        const t0 = performance.now();
        window.dispatchEvent(new MessageEvent('message', { data }));
        const t1 = performance.now();
        document.body.getBoundingClientRect();
        const t2 = performance.now();
        await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));
        const t3 = performance.now();
        const rows = document.querySelectorAll('.tt-rows .tt-row').length;

        // Through postMessage, structured clone included; wait until a refreshed table is laid out.
        const again = JSON.parse(w.__json);
        again.snapshot.stats = { ...again.snapshot.stats };
        const p0 = performance.now();
        const done = new Promise<void>((ok) =>
          window.addEventListener('message', () => ok(), { once: true }),
        );
        window.postMessage(again, '*');
        await done;
        await new Promise((ok) => setTimeout(ok, 0));
        document.body.getBoundingClientRect();
        const p1 = performance.now();

        // A patch with the running turn's new figures, through postMessage.
        const q0 = performance.now();
        const patched = new Promise<void>((ok) =>
          window.addEventListener('message', () => ok(), { once: true }),
        );
        window.postMessage((window as unknown as { __patch: unknown }).__patch, '*');
        await patched;
        await new Promise((ok) => setTimeout(ok, 0));
        document.body.getBoundingClientRect();
        const q1 = performance.now();

        const row = document.querySelector<HTMLElement>('.tt-rows .tt-row.turn')!;
        const e0 = performance.now();
        row.click();
        document.body.getBoundingClientRect();
        const e1 = performance.now();
        return {
          handler: t1 - t0,
          layout: t2 - t0,
          frame: t3 - t0,
          viaPost: p1 - p0,
          patch: q1 - q0,
          expand: e1 - e0,
          rows,
        };
      });
      if (errors.length) throw new Error(`page errors: ${errors.join(' | ')}`);
      figures.push(f);
      await page.close();
    }
  } finally {
    await browser.close();
    await harness.close();
  }

  const r: WebviewBenchResult = {
    bundleBytes: bundle.length,
    bundleGzipBytes: gzipSync(bundle).length,
    handlerMs: median(figures.map((f) => f.handler)),
    firstRenderMs: median(figures.map((f) => f.layout)),
    nextFrameMs: median(figures.map((f) => f.frame)),
    postMessageMs: median(figures.map((f) => f.viaPost)),
    patchMs: median(figures.map((f) => f.patch)),
    expandMs: median(figures.map((f) => f.expand)),
    domRows: median(figures.map((f) => f.rows)),
    snapshotBytes: json.length,
  };
  const n = turns.toLocaleString('en-US');
  p(
    `webview bundle dist/webview.js: ${(r.bundleBytes / 1024).toFixed(1)} KB minified, ${(r.bundleGzipBytes / 1024).toFixed(1)} KB gzip (target <= 150 KB)`,
  );
  p(
    `usage panel, first render of ${n} turns in headless Chromium (median of ${runs} fresh pages; snapshot ${(r.snapshotBytes / 1e6).toFixed(1)} MB of JSON):`,
  );
  p(`  message handler (reduce, table window, chart, gauge, totals):  ${ms(r.handlerMs)}`);
  p(`  message to laid-out DOM:  ${ms(r.firstRenderMs)}  (target <= 200 ms)`);
  p(`  message to the next frame:  ${ms(r.nextFrameMs)}`);
  p(`  a refreshed snapshot through window.postMessage (structured clone included):  ${ms(r.postMessageMs)}`);
  p(`  a usage.patch of the running turn through window.postMessage:  ${ms(r.patchMs)}`);
  p(`  expand one turn (click, select and toggle; rows are computed on demand):  ${ms(r.expandMs)}`);
  p(`  table rows in the DOM: ${r.domRows} of ${n}`);
  return r;
}
