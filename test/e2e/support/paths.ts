import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root (npm runs the e2e scripts from there; this does not depend on it). */
export const repoRoot = resolve(__dirname, '../../..');

/** Where scripts/e2e/setup.sh builds code-server (gitignored). */
export const codeServerDir = join(repoRoot, '.cache/e2e/code-server');

/** code-server's entry point, run with this Node rather than through its shell wrapper. */
export const codeServerEntry = join(codeServerDir, 'node_modules/code-server/out/node/entry.js');

/** Debian's Chromium; playwright-core drives it and downloads no browser. */
export const chromiumPath = process.env.TALLY_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots, server logs and the packaged extension of the last run (gitignored). */
export const artifactsDir = join(repoRoot, '.artifacts/e2e');

/** The extension package scripts/e2e/run.sh builds before the specs run. */
export const vsixPath = process.env.TALLY_E2E_VSIX ?? join(artifactsDir, 'tally.vsix');

/** The extension's manifest, read by specs that check what it contributes. */
export interface Manifest {
  publisher: string;
  name: string;
  contributes: {
    commands?: { command: string; title: string; category?: string }[];
    menus?: { commandPalette?: { command: string; when?: string }[] };
    viewsContainers?: { activitybar?: { id: string; title: string }[] };
    views?: Record<string, { id: string; name: string; type?: string; visibility?: string }[]>;
  };
}

/** The manifest of the working tree, which is what the packaged extension was built from. */
export function readManifest(): Manifest {
  return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Manifest;
}

/** Fails with what to run when the setup script has not been run on this machine. */
export function assertPrerequisites(): void {
  const missing: string[] = [];
  if (!existsSync(join(codeServerDir, '.tally-e2e-ready')) || !existsSync(codeServerEntry)) {
    missing.push(`code-server is not set up in ${codeServerDir}`);
  }
  if (!existsSync(chromiumPath)) missing.push(`no Chromium at ${chromiumPath}`);
  if (!existsSync(vsixPath))
    missing.push(`no packaged extension at ${vsixPath} (npm run test:e2e builds it)`);
  if (missing.length > 0) {
    throw new Error(`end-to-end tests cannot run: ${missing.join('; ')}. Run: bash scripts/e2e/setup.sh`);
  }
}
