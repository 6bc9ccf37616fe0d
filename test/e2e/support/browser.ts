import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { chromiumPath } from './paths';
import { markerEnv } from './processes';

/** Flags that keep Chromium off the network and quiet: it only ever talks to 127.0.0.1. */
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=MediaRouter,OptimizationHints,Translate',
];

/**
 * Launches headless Chromium on a persistent profile under `root`. The workbench keeps its
 * Mementos (workspaceState, globalState, webview state) in this profile's IndexedDB, so reopening
 * a workspace "on the same machine" means opening it again in the same profile.
 */
export async function launchBrowser(root: string, tag: string): Promise<BrowserContext> {
  const profile = join(root, 'browser-profile');
  const home = join(root, 'browser-home');
  mkdirSync(profile, { recursive: true });
  mkdirSync(home, { recursive: true });
  return chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    env: { ...process.env, HOME: home, ...markerEnv(tag) },
    viewport: { width: 1280, height: 800 },
    // Ctrl-C is handled by our own cleanup, which ends the browser with everything else.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}
