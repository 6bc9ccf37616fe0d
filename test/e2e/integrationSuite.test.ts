/**
 * test/integration is the suite `npx vscode-test` runs in a downloaded VS Code, for contributors
 * with internet. Here the same suite, with the same runner (@vscode/test-cli's), runs offline in
 * code-server's extension host, with Tally loaded from the working tree as "Run Extension" does,
 * so the suite cannot rot unnoticed while CI has no VS Code to download.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { artifactsDir, repoRoot } from './support/paths';
import { useVsCode } from './support/session';

const suiteDir = join(repoRoot, 'test/integration');
const outDir = join(artifactsDir, 'integration-build', 'out');
const results = join(artifactsDir, 'integration-build', 'results.json');
const sources = readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts'));

/** What mocha's JSON reporter writes. */
interface MochaJson {
  stats: { tests: number; passes: number; failures: number; pending: number };
  failures: { fullTitle: string; err: { message?: string } }[];
}

describe('the integration suite (test/integration) in code-server, offline', () => {
  before(() => {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(results, { force: true });
    buildSync({
      entryPoints: sources.map((f) => join(suiteDir, f)),
      outdir: outDir,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode', 'mocha'],
      logLevel: 'warning',
    });
  });

  const vs = useVsCode({
    name: 'integration suite',
    extension: {
      developmentPath: repoRoot,
      testsPath: join(repoRoot, 'node_modules/@vscode/test-cli/out/runner.cjs'),
    },
    // The trust dialog cannot be answered in extension-test mode; the suite runs trusted, as under test-electron.
    settings: { 'security.workspace.trust.enabled': false },
    env: {
      VSCODE_TEST_OPTIONS: JSON.stringify({
        mochaOpts: { ui: 'bdd', timeout: 20_000, reporter: 'json', reporterOption: { output: results } },
        colorDefault: false,
        preload: [],
        files: sources.map((f) => join(outDir, f.replace(/\.ts$/, '.js'))),
      }),
    },
  });

  it('passes, and the extension host exits with 0', async () => {
    const session = vs();
    const exited = /Extension Host Process exited with code: (\d+)/;
    const deadline = Date.now() + 120_000;
    while (!exited.test(session.server.logTail(200)) && Date.now() < deadline) {
      await session.page.waitForTimeout(500);
    }
    const code = exited.exec(session.server.logTail(200))?.[1];
    await session.check('integration suite ran', () => {
      assert.ok(existsSync(results), `the suite wrote ${results}; server log:\n${session.server.logTail()}`);
      const report = JSON.parse(readFileSync(results, 'utf8')) as MochaJson;
      const failed = report.failures.map((f) => `${f.fullTitle}: ${f.err.message ?? ''}`);
      assert.deepEqual(failed, [], 'no test failed');
      assert.ok(report.stats.passes > 0, 'some test ran');
      assert.equal(report.stats.passes, report.stats.tests);
      assert.equal(code, '0', 'the extension host exited with 0');
    });
  });
});
