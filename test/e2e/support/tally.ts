/**
 * Tally's side of an end-to-end spec: where the extension keeps its sessions and its log in a
 * code-server profile, its command line run on that same storage, and what its views and its
 * status bar item show, read back as numbers and text.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import type { SessionStatsJson } from '../../../src/core/report/stats';
import { repoRoot } from './paths';
import type { WebviewView, WebviewViewQuery, Workbench } from './workbench';

/** The extension under test (publisher.name), as in session.ts. */
const tallyId = 'tally.tally';

/**
 * One of Tally's webview views, like `workbench.webviewView`, but it gets past a race of
 * code-server's. code-server serves every webview from the workbench's own origin, so all
 * webviews share one service-worker scope (VS Code gives each webview an origin of its own).
 * Each webview's outer frame registers a worker script of its own there and, before it shows
 * anything, waits for a controlling worker to answer its version question; when two views load
 * at once (both restored by a reload), each finds the other's worker in control ("Found
 * unexpected service worker controller … Waiting for controllerchange"), and one of them may
 * never hear the change: it stays blank. Asking the worker that controls it the same question
 * is what that frame was waiting to do; the answer lets it load. (The workers route each
 * resource request by the frame that made it, so any of them serves any view.) And a content
 * frame made while no worker controlled it cannot load the view's script: its frames are made
 * again ("Developer: Reload Webviews").
 */
export async function tallyView(workbench: Workbench, view: string, timeout = 60_000): Promise<WebviewView> {
  const query: WebviewViewQuery = { extensionId: tallyId, view, timeout: 10_000 };
  const deadline = Date.now() + timeout;
  for (;;) {
    let found: WebviewView | undefined;
    try {
      found = await workbench.webviewView(query);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (found) {
      // The view's own script has run (it renders into #root), or its bundle never came.
      const rendered = await found.frame
        .waitForFunction(() => (document.getElementById('root')?.childElementCount ?? 0) > 0, undefined, {
          timeout: 10_000,
        })
        .then(
          () => true,
          () => false,
        );
      if (rendered) return found;
      if (Date.now() > deadline) throw new Error(`the ${view} view's script never ran`);
      // Its content frame was made before a worker controlled it: its resources went to the
      // network (net::ERR_NAME_NOT_RESOLVED). The frames made again now are controlled.
      process.stdout.write(
        `      (the ${view} view loaded without its script: Developer: Reload Webviews)\n`,
      );
      await workbench.runCommand('Developer: Reload Webviews');
      // Look again once the frame it made is gone (the command takes effect a moment later).
      for (let i = 0; i < 75 && !found.frame.isDetached(); i++) await workbench.page.waitForTimeout(200);
      continue;
    }
    for (const frame of workbench.page.frames()) {
      const url = frame.url();
      if (!url.includes('/webview/browser/pre/index.html') || !url.includes(`extensionId=${tallyId}&`))
        continue;
      if (frame.childFrames().length > 0) continue; // it made its content frame: not stuck
      const done = await frame
        .evaluate(() => {
          const worker = navigator.serviceWorker.controller;
          worker?.postMessage({ channel: 'version' });
          return worker ? 'asked its worker for the version' : 'no worker controls it';
        })
        .catch((e: Error) => `failed: ${e.message}`);
      process.stdout.write(`      (a webview frame stuck on code-server's shared service worker: ${done})\n`);
    }
  }
}

/** `<user-data-dir>/User/workspaceStorage/<hash>/tally.tally`: the extension's storageUri on the server. */
export function tallyStorage(userDataDir: string): string {
  const root = join(userDataDir, 'User/workspaceStorage');
  const found = existsSync(root)
    ? readdirSync(root)
        .map((hash) => join(root, hash, tallyId))
        .filter((dir) => existsSync(join(dir, 'sessions')))
    : [];
  if (found.length !== 1) {
    throw new Error(`expected one Tally storage folder under ${root}, found ${JSON.stringify(found)}`);
  }
  return found[0] as string;
}

/** Runs the built CLI (`bin/tally`, built by the e2e run) and parses its `--json` output. */
export function tallyCli<T>(args: string[]): T {
  const out = execFileSync(process.execPath, [join(repoRoot, 'bin/tally'), ...args, '--json'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out) as T;
}

/** `tally sessions --json` on a storage folder, newest first. */
export function cliSessions(storage: string): { sessionId: string; title: string; turns: number }[] {
  return tallyCli(['sessions', '--storage', storage]);
}

/** `tally stats <id> --json` on a storage folder. */
export function cliStats(storage: string, sessionId: string): SessionStatsJson {
  return tallyCli(['stats', sessionId, '--storage', storage]);
}

/**
 * The lines of the "Tally" output channel, oldest first, across every extension host the profile
 * ran (a reload or a restart starts a new one, with a new log file).
 */
export function tallyLog(userDataDir: string): string[] {
  const files: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (/^\d+-Tally\.log$/.test(entry.name) && dir.includes('output_logging_')) files.push(path);
    }
  };
  walk(join(userDataDir, 'logs'), 0);
  const lines = files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== ''),
  );
  // Each line starts with its ISO time: sorting by it orders the hosts' logs.
  return lines.sort((a, b) => a.slice(0, 24).localeCompare(b.slice(0, 24)));
}

/**
 * Switches the colour theme as a person does (the palette's theme picker, which writes the
 * `workbench.colorTheme` setting), and waits until the webviews have the new colours too.
 */
export async function setColorTheme(workbench: Workbench, view: WebviewView, label: string): Promise<void> {
  const was = await workbench.resolveColor('var(--vscode-sideBar-background)');
  await workbench.runCommand('Preferences: Color Theme');
  await workbench.pickQuickItem(label);
  for (let i = 0; i < 40; i++) {
    const now = await workbench.resolveColor('var(--vscode-sideBar-background)');
    if (now !== was && (await view.resolveColor('var(--vscode-sideBar-background)')) === now) return;
    await workbench.page.waitForTimeout(250);
  }
  throw new Error(`the theme did not change to ${label}`);
}

/** The names of the files in a zip archive (a .vsix), read from its central directory. */
export function zipEntries(file: string): string[] {
  const zip = readFileSync(file);
  // The end-of-central-directory record: its signature, within the last 64 KiB + 22 bytes.
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${file} is not a zip archive`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry`);
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

/** `1,234` → 1234. */
export function tokens(text: string): number {
  const n = Number(text.replace(/,/g, '').trim());
  if (!Number.isFinite(n)) throw new Error(`not a token count: "${text}"`);
  return n;
}

/** One row of the Usage view's table, as shown. */
export interface TableRow {
  kind: 'turn' | 'request';
  /** "2" for a turn, "2.1" for its first request. */
  turn: string;
  requests: string;
  input: string;
  cached: string;
  output: string;
  reasoning: string;
  cost: string;
  /** The badges' labels, e.g. ["interrupted", "estimated"]. */
  badges: string[];
  /** The row's accessible name. */
  label: string;
}

/** What the Usage view shows, as text. */
export interface UsageReading {
  title: string;
  gaugeValue: string;
  gaugeCaption: string;
  /** The meter's aria-valuenow. */
  gaugeNow: string;
  totals: Record<string, { value: string; sub: string }>;
  rows: TableRow[];
}

/** Reads the Usage view (the rows it has rendered: all of them for a short session). */
export async function readUsage(view: WebviewView): Promise<UsageReading> {
  await view.locator('.usage-content .gauge-value').waitFor({ state: 'visible' });
  return view.frame.evaluate(readUsageScript) as Promise<UsageReading>;
}

/**
 * The Usage view's DOM read in the page. A string: tsx would wrap the local functions of an
 * evaluated callback in its `__name` helper, which the page does not have.
 */
const readUsageScript = `(() => {
  const text = (el) => (el?.textContent ?? '').trim();
  const totals = {};
  for (const t of document.querySelectorAll('.totals .total')) {
    totals[text(t.querySelector('dt'))] = {
      value: text(t.querySelector('.total-value')),
      sub: text(t.querySelector('.total-sub')),
    };
  }
  const rows = [...document.querySelectorAll('.tt-rows .tt-row')].map((r) => {
    const cell = (key) => text(r.querySelector('.c-' + key));
    return {
      kind: r.classList.contains('request') ? 'request' : 'turn',
      turn: cell('turn'),
      requests: cell('req'),
      input: cell('in'),
      cached: cell('cached'),
      output: cell('out'),
      reasoning: cell('reason'),
      cost: cell('cost'),
      badges: [...r.querySelectorAll('.badge-label')].map((b) => text(b)),
      label: r.getAttribute('aria-label') ?? '',
    };
  });
  return {
    title: text(document.querySelector('.usage-title')),
    gaugeValue: text(document.querySelector('.gauge-value')),
    gaugeCaption: text(document.querySelector('.gauge-caption')),
    gaugeNow: document.querySelector('.meter')?.getAttribute('aria-valuenow') ?? '',
    totals,
    rows,
  };
})()`;

/** Opens every turn of the Usage view's table into its requests (a click on each closed turn). */
export async function expandAllTurns(view: WebviewView): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const closed = view.locator('.tt-row.turn[aria-expanded="false"]');
    if ((await closed.count()) === 0) return;
    await closed.first().click();
  }
  throw new Error('the turns did not open');
}

/** One usage chip under an answer in the Chat view. */
export interface ChipReading {
  text: string;
  label: string;
  badges: string[];
}

/** The Chat view's usage chips, oldest first. */
export async function readChips(view: WebviewView): Promise<ChipReading[]> {
  return view.frame.evaluate(() =>
    [...document.querySelectorAll('.usage-chip')].map((c) => ({
      text: (c.querySelector('span:not(.codicon):not(.badge)')?.textContent ?? '').trim(),
      label: c.getAttribute('aria-label') ?? '',
      badges: [...c.querySelectorAll('.badge')].map((b) => (b.textContent ?? '').trim()),
    })),
  );
}

/** Waits until the Chat view shows `count` usage chips (turns ended) and no turn runs. */
export async function waitForChips(view: WebviewView, count: number, timeout = 45_000): Promise<void> {
  await view.frame.waitForFunction(
    (n) =>
      document.querySelectorAll('.usage-chip').length >= n &&
      (document.querySelector<HTMLElement>('.composer .stop')?.hidden ?? true),
    count,
    { timeout },
  );
}

/** Types a message into the Chat view's composer and sends it with Enter, as a person would. */
export async function sendChat(workbench: Workbench, view: WebviewView, text: string): Promise<void> {
  const input: Locator = view.locator('textarea.composer-input');
  await input.click();
  await workbench.page.keyboard.type(text);
  await workbench.page.keyboard.press('Enter');
}

/** The status bar item's text, e.g. "$0.000064 · 208/128k". */
export async function statusBarText(workbench: Workbench): Promise<string> {
  const item = workbench.page.locator(`.statusbar-item[id="${tallyId}.tally.usage"] .statusbar-item-label`);
  return ((await item.innerText()) ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * The status bar item's text once `check` accepts it (the item updates 200 ms after a change):
 * the last text read, after `check` has thrown for 5 s.
 */
export async function settledStatusBar(workbench: Workbench, check: (text: string) => void): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const text = await statusBarText(workbench);
    try {
      check(text);
      return text;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await workbench.page.waitForTimeout(200);
    }
  }
}

/** Whether the codicon font has loaded in a view, and the glyph an icon shows (its ::before content). */
export async function codiconState(
  view: WebviewView,
  selector: string,
): Promise<{ loaded: boolean; glyph: string }> {
  return view.frame.evaluate(async (sel) => {
    await document.fonts.ready;
    const loaded = [...document.fonts].some(
      (f) => f.family.replace(/"/g, '') === 'codicon' && f.status === 'loaded',
    );
    const el = document.querySelector(sel);
    const glyph = el ? getComputedStyle(el, '::before').content : '';
    return { loaded, glyph };
  }, selector);
}
