// `npx vscode-test`, for contributors with internet: runs test/integration inside a VS Code that
// @vscode/test-electron downloads (1.100.3, the one code-server 4.100.3 carries). CI does not run
// it (it cannot download VS Code); `npm run test:e2e` drives code-server instead. See README.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@vscode/test-cli';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('.', import.meta.url));

// The extension host's mocha loads JavaScript: build the extension, then compile the suite.
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
esbuild.buildSync({
  entryPoints: readdirSync(join(root, 'test/integration'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(root, 'test/integration', f)),
  outdir: join(root, 'out/integration'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'mocha'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

// A throwaway folder, so the extension has a workspace storage folder to write to.
const workspace = mkdtempSync(join(tmpdir(), 'tally-integration-'));
writeFileSync(join(workspace, 'README.md'), '# A throwaway workspace\n');

export default defineConfig({
  label: 'integration',
  files: 'out/integration/**/*.test.js',
  version: '1.100.3',
  workspaceFolder: workspace,
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  mocha: { ui: 'bdd', timeout: 20_000 },
});
