/**
 * A stand-in for the VS Code webview host: a local server that serves dist/webview.js and the
 * codicons under the same strict CSP as src/extension/webviewHtml.ts, a page with a fake
 * acquireVsCodeApi (it records posted messages and state, and CSP violations), and helpers to
 * drive it from headless Chromium with playwright-core.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { HostToWebview, ViewKind, WebviewToHost } from '../../src/shared/protocol';
import { THEMES, type ThemeName, themeCss } from './themes';

// dirname(__filename), not __dirname: tsx gives a wrong __dirname when an .mjs script imports this file.
export const repoRoot = resolve(dirname(__filename), '../..');
export const chromiumPath = process.env.TALLY_E2E_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Bundles the webview exactly as scripts/build.mjs does (IIFE, es2022, minified) into dist/. */
export async function buildWebview(): Promise<{ path: string; bytes: number }> {
  const outfile = join(repoRoot, 'dist/webview.js');
  await esbuild.build({
    entryPoints: [join(repoRoot, 'src/webview/main.ts')],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return { path: outfile, bytes: readFileSync(outfile).length };
}

/** The page, built like webviewHtml(): CSP with a nonce, the codicons link, body[data-view], #root. */
function pageHtml(origin: string, view: ViewKind, theme: ThemeName, state: unknown): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `img-src ${origin} data:`,
    `font-src ${origin}`,
    `style-src ${origin} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const fake = `
window.__posted = [];
window.__violations = [];
window.__state = ${JSON.stringify(state ?? null)};
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
});
let acquired = false;
window.acquireVsCodeApi = () => {
  if (acquired) throw new Error('acquireVsCodeApi called twice');
  acquired = true;
  return {
    postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => window.__state,
    setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
  };
};`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${origin}/codicons/codicon.css" nonce="${nonce}" id="vscode-codicon-stylesheet">
<style nonce="${nonce}">${themeCss(theme)}</style>
<title>Tally ${view}</title>
</head>
<body data-view="${view}" class="${THEMES[theme].bodyClass}">
<div id="root" role="main"></div>
<script nonce="${nonce}">${fake}</script>
<script nonce="${nonce}" src="${origin}/dist/webview.js"></script>
</body>
</html>`;
}

export interface Harness {
  origin: string;
  close(): Promise<void>;
  /** The page URL for a view, theme and saved UI state. */
  url(view: ViewKind, theme: ThemeName, state?: unknown): string;
}

/** Serves the harness pages and assets on 127.0.0.1. */
export async function startHarness(): Promise<Harness> {
  const states = new Map<string, unknown>();
  let nextState = 0;
  const codicons = join(repoRoot, 'node_modules/@vscode/codicons/dist');
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/page') {
      const asked = url.searchParams.get('view');
      const view: ViewKind = asked === 'usage' || asked === 'spending' ? asked : 'chat';
      const theme = (url.searchParams.get('theme') ?? 'dark') as ThemeName;
      const state = states.get(url.searchParams.get('state') ?? '');
      send('text/html; charset=utf-8', pageHtml(origin, view, theme, state));
    } else if (url.pathname === '/dist/webview.js') {
      send('text/javascript', readFileSync(join(repoRoot, 'dist/webview.js')));
    } else if (url.pathname === '/codicons/codicon.css') {
      send('text/css', readFileSync(join(codicons, 'codicon.css')));
    } else if (url.pathname === '/codicons/codicon.ttf') {
      send('font/ttf', readFileSync(join(codicons, 'codicon.ttf')));
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
    url: (view, theme, state) => {
      let key = '';
      if (state !== undefined) {
        key = String(nextState++);
        states.set(key, state);
      }
      return `${origin}/page?view=${view}&theme=${theme}${key ? `&state=${key}` : ''}`;
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(`no Chromium at ${chromiumPath} (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
}

/** Opens a view, collecting page errors; resolves once the webview has said `ready`. */
export async function openView(
  browser: Browser,
  harness: Harness,
  view: ViewKind,
  theme: ThemeName,
  opts: { width?: number; height?: number; state?: unknown } = {},
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: opts.width ?? 420, height: opts.height ?? 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(harness.url(view, theme, opts.state));
  await page.waitForFunction(() =>
    (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'),
  );
  return { page, errors };
}

/** Posts host messages to the page, as the extension host's postMessage would. */
export async function post(page: Page, ...msgs: HostToWebview[]): Promise<void> {
  // As one JSON string: Playwright serializes a string far faster than a 16 MB object tree.
  await page.evaluate((json) => {
    for (const m of JSON.parse(json) as unknown[]) window.postMessage(m, '*');
  }, JSON.stringify(msgs));
  // Let the message events run, and one frame render.
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 0))));
}

/** What the webview has posted to the host so far. */
export function posted(page: Page): Promise<WebviewToHost[]> {
  return page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted);
}

/** CSP violations reported by the page. */
export function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
}

/** The UI state the webview saved with setState. */
export function savedState(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as unknown as { __state: unknown }).__state);
}
