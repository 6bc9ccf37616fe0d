/**
 * One VS Code for a spec: a fresh code-server profile on 127.0.0.1 with the packaged extension
 * installed, a throwaway workspace, and headless Chromium on a persistent profile showing it.
 * `useVsCode()` gives a describe block one, started before its tests and stopped after them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './browser';
import { CodeServer, type CodeServerProfile, freePort, installExtension, makeProfile } from './codeServer';
import { artifactsDir, assertPrerequisites, vsixPath } from './paths';
import {
  endMarked,
  forgetOnExit,
  installCleanupHandlers,
  type MarkedProcess,
  markedProcesses,
  removeOnExit,
} from './processes';
import { Workbench } from './workbench';

/** A user keybinding, as in keybindings.json. */
export interface Keybinding {
  key: string;
  command: string;
  args?: unknown;
  when?: string;
}

/** How to set up a session. */
export interface SessionOptions {
  /** Names the artifacts folder (.artifacts/e2e/<name>) and the session's processes. */
  name: string;
  /** The answer to the trust dialog on first open; `undefined` leaves the dialog to the test. */
  trust?: boolean;
  /** User settings, over defaults that keep the workbench quiet and offline. */
  settings?: Record<string, unknown>;
  keybindings?: Keybinding[];
  /** Files to create in the workspace, by relative path. */
  files?: Record<string, string>;
  /** Extra environment for code-server and the extension host (a mock provider's URL, say). */
  env?: Record<string, string>;
  /**
   * Which Tally runs: by default the packaged .vsix, installed into the fresh profile. A development
   * path loads the extension from a folder instead, as "Run Extension" does, optionally running an
   * extension-host test runner (`extensionTestsPath`) in it.
   */
  extension?: 'vsix' | { developmentPath: string; testsPath?: string };
}

/** Settings that keep a fresh profile from reaching out or covering the views with a Welcome page. */
const quietSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'npm.fetchOnlinePackageInfo': false,
};

/** The extension under test: publisher "tally", name "tally". */
export const extensionId = 'tally.tally';

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 70) || 'shot'
  );
}

/** A running VS Code (code-server + Chromium) on a throwaway profile and workspace. */
export class VsCodeSession {
  private shots = 0;
  private pageNow: Page;
  private workbenchNow: Workbench;

  private constructor(
    readonly options: SessionOptions,
    readonly root: string,
    readonly profile: CodeServerProfile,
    readonly workspace: string,
    readonly server: CodeServer,
    readonly browser: BrowserContext,
    page: Page,
    readonly artifacts: string,
  ) {
    this.pageNow = page;
    this.workbenchNow = new Workbench(page);
  }

  /** The workbench URL: the workspace, and the development extension if there is one. */
  get url(): string {
    const dev = this.options.extension;
    if (dev === undefined || dev === 'vsix') return this.server.url;
    // The web workbench takes what `code --extensionDevelopmentPath ...` takes as a URL payload.
    const remote = (path: string) => `vscode-remote://127.0.0.1:${this.server.port}${path}`;
    const payload = [['extensionDevelopmentPath', remote(dev.developmentPath)]];
    if (dev.testsPath) payload.push(['extensionTestsPath', remote(dev.testsPath)]);
    return `${this.server.url}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }

  /** The workbench in the current page (a new one after `reopenWorkspace`). */
  get workbench(): Workbench {
    return this.workbenchNow;
  }

  get page(): Page {
    return this.pageNow;
  }

  /** Installs the extension in a fresh profile, starts code-server and opens the workspace. */
  static async start(options: SessionOptions): Promise<VsCodeSession> {
    assertPrerequisites();
    installCleanupHandlers();
    const artifacts = join(artifactsDir, slug(options.name));
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    const root = mkdtempSync(join(tmpdir(), `tally-e2e-${slug(options.name).slice(0, 20)}-`));
    removeOnExit(root);
    const profile = makeProfile(join(root, 'code-server'));
    const workspace = join(root, 'workspace');
    for (const [path, text] of Object.entries({
      'README.md': '# A throwaway workspace\n',
      ...options.files,
    })) {
      mkdirSync(dirname(join(workspace, path)), { recursive: true });
      writeFileSync(join(workspace, path), text);
    }
    const user = join(profile.userDataDir, 'User');
    mkdirSync(user, { recursive: true });
    writeFileSync(
      join(user, 'settings.json'),
      JSON.stringify({ ...quietSettings, ...options.settings }, null, 2),
    );
    writeFileSync(join(user, 'keybindings.json'), JSON.stringify(options.keybindings ?? [], null, 2));

    const tag = `${slug(options.name)}-${process.pid}`;
    let server: CodeServer | undefined;
    let browser: BrowserContext | undefined;
    const times: string[] = [];
    let t = performance.now();
    const lap = (step: string) => {
      times.push(`${step} ${((performance.now() - t) / 1000).toFixed(1)} s`);
      t = performance.now();
    };
    try {
      if ((options.extension ?? 'vsix') === 'vsix') {
        await installExtension(profile, vsixPath, tag);
        lap('install');
      }
      const log = join(artifacts, 'code-server.log');
      server = new CodeServer(profile, workspace, await freePort(), log, tag, options.env);
      await server.start();
      lap('code-server');
      browser = await launchBrowser(root, `${tag}:browser`);
      const page = browser.pages()[0] ?? (await browser.newPage());
      lap('chromium');
      const session = new VsCodeSession(options, root, profile, workspace, server, browser, page, artifacts);
      await session.workbench.open(session.url);
      lap('workbench');
      if (options.trust !== undefined) {
        await session.workbench.answerTrustDialog(options.trust);
        lap('trust dialog');
      }
      process.stdout.write(`    (VS Code up: ${times.join(', ')})\n`);
      return session;
    } catch (err) {
      await browser?.close().catch(() => undefined);
      await server?.stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
      forgetOnExit(root);
      throw err;
    }
  }

  /**
   * Reopens the workspace as a person would after quitting: closes the page, stops code-server,
   * starts it again on the same port with the same profile, and opens the workspace in a new page
   * of the same browser profile (where the workbench keeps Mementos).
   */
  async reopenWorkspace(): Promise<void> {
    await this.pageNow.close();
    await this.server.restart();
    this.pageNow = await this.browser.newPage();
    this.workbenchNow = new Workbench(this.pageNow);
    await this.workbenchNow.open(this.url);
  }

  /** Saves a screenshot of the page as .artifacts/e2e/<session>/<NN>-<label>.png; returns its path. */
  async shot(label: string): Promise<string> {
    this.shots += 1;
    const path = join(this.artifacts, `${String(this.shots).padStart(2, '0')}-${slug(label)}.png`);
    await this.pageNow.screenshot({ path });
    return path;
  }

  /** Runs an assertion, then saves a screenshot of what it looked at (marked FAILED when it threw). */
  async check<T>(label: string, assertion: () => Promise<T> | T): Promise<T> {
    let result: T;
    try {
      result = await assertion();
    } catch (err) {
      await this.shot(`${label} FAILED`).catch(() => undefined);
      throw err;
    }
    await this.shot(label);
    return result;
  }

  /**
   * Closes the browser, stops code-server and removes the profile and workspace. Whatever of the
   * session outlived that is killed and reported; a process that survives even that fails the test.
   */
  async dispose(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    const forced = await this.server.stop();
    const mine = (p: MarkedProcess) => p.owner === process.pid && p.tag.startsWith(this.server.tag);
    forced.push(...(await endMarked(mine)));
    if (!process.env.TALLY_E2E_KEEP) rmSync(this.root, { recursive: true, force: true });
    forgetOnExit(this.root);
    if (forced.length > 0) {
      const list = forced.map((p) => `  ${p.pid} [${p.tag}] ${p.command}`).join('\n');
      process.stderr.write(
        `e2e: ${this.options.name}: killed processes that did not exit by themselves:\n${list}\n`,
      );
    }
    const left = markedProcesses(mine);
    if (left.length > 0) {
      throw new Error(
        `processes of ${this.options.name} survived SIGKILL:\n${left.map((p) => `  ${p.pid} ${p.command}`).join('\n')}`,
      );
    }
  }
}

/**
 * Gives the enclosing describe block a VS Code: started in `before`, a screenshot after each failed
 * test, stopped in `after` (also on failure). Returns a getter for the running session.
 */
export function useVsCode(options: SessionOptions): () => VsCodeSession {
  let session: VsCodeSession | undefined;
  before(async function () {
    this.timeout(180_000);
    session = await VsCodeSession.start(options);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && session) {
      await session.shot(`failed ${this.currentTest.title}`).catch(() => undefined);
    }
  });
  after(async function () {
    this.timeout(60_000);
    const s = session;
    session = undefined;
    await s?.dispose();
  });
  return () => {
    if (!session) throw new Error(`the VS Code session "${options.name}" is not running`);
    return session;
  };
}
