/**
 * Editor benchmark: what the extension costs the editor.
 *
 * - The size of the production bundles (`node scripts/build.mjs --production`): dist/extension.js,
 *   which the extension host reads and evaluates on activation, and dist/webview.js; raw and gzip,
 *   and the packages that weigh most in extension.js (from esbuild's metafile).
 * - Activation in a real VS Code (code-server, as the end-to-end tests run it), with that
 *   production build packaged and installed: from the extension host's "activating tally.tally"
 *   line to the Tally log's "activated in N ms" line (loading the bundle plus activate()), and
 *   activate()'s own N. Measured on the first start and after each "Developer: Reload Window".
 *
 * Needs `bash scripts/e2e/setup.sh` once (code-server, Chromium). Leaves the development build
 * in dist/ as it found it (rebuilds it at the end).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const repoRoot = resolve(__dirname, '..');

export interface EditorBenchOptions {
  /** Activations measured: the first start and then reloads (default 3). */
  activations?: number;
  /** Skip the VS Code part (sizes only). */
  sizesOnly?: boolean;
  print?: (line: string) => void;
}

export interface Activation {
  /** The host's "activating" line to Tally's "activated in" line: loading the bundle + activate(). */
  loadAndActivateMs: number;
  /** activate() alone, as the extension logs it. */
  activateMs: number;
  /** The extension host's start to Tally's "activated in" line (includes the workbench's own start). */
  sinceHostStartMs: number;
}

export interface EditorBenchResult {
  extensionBytes: number;
  extensionGzipBytes: number;
  webviewBytes: number;
  webviewGzipBytes: number;
  heaviest: { name: string; bytes: number }[];
  activations: Activation[];
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

function build(production: boolean): void {
  execFileSync(process.execPath, ['scripts/build.mjs', ...(production ? ['--production'] : [])], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}

/** What weighs most in the minified extension bundle, by package. */
async function heaviestInputs(): Promise<{ name: string; bytes: number }[]> {
  const r = await esbuild.build({
    entryPoints: { extension: join(repoRoot, 'src/extension/extension.ts') },
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // As scripts/build.mjs: the tokenizer is dist/tokenizer.js, loaded on first use.
    external: ['vscode', 'gpt-tokenizer/encoding/o200k_base'],
    legalComments: 'none',
    write: false,
    outdir: join(tmpdir(), 'tally-bench-editor'),
    metafile: true,
    logLevel: 'silent',
  });
  const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const by = new Map<string, number>();
  for (const [file, v] of Object.entries(out?.inputs ?? {})) {
    const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(file);
    const name = m ? (m[1] as string) : file.split('/').slice(0, 3).join('/');
    by.set(name, (by.get(name) ?? 0) + v.bytesInOutput);
  }
  return [...by.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 6);
}

/** Local time of an extension-host log line ("2026-11-23 08:36:56.619 [info] …"). */
function hostLogTime(line: string): number {
  return new Date(line.slice(0, 23).replace(' ', 'T')).getTime();
}

/** The activations recorded in a profile's logs, one per extension host. */
function activationsIn(userDataDir: string): Activation[] {
  const found: Activation[] = [];
  const logs = join(userDataDir, 'logs');
  for (const session of existsSync(logs) ? readdirSync(logs) : []) {
    for (const host of readdirSync(join(logs, session)).filter((d) => d.startsWith('exthost'))) {
      const dir = join(logs, session, host);
      const hostLog = join(dir, 'remoteexthost.log');
      const out = readdirSync(dir).find((d) => d.startsWith('output_logging_'));
      const tallyLog = out ? readdirSync(join(dir, out)).find((f) => /^\d+-Tally\.log$/.test(f)) : undefined;
      if (!existsSync(hostLog) || !out || !tallyLog) continue;
      const hostLines = readFileSync(hostLog, 'utf8').split('\n');
      const started = hostLines.find((l) => /Extension host with pid \d+ started/.test(l));
      const activating = hostLines.find((l) => l.includes('_doActivateExtension tally.tally'));
      const done = readFileSync(join(dir, out, tallyLog), 'utf8')
        .split('\n')
        .find((l) => / activated in \d+ ms/.test(l));
      if (!started || !activating || !done) continue;
      const doneAt = new Date(done.slice(0, 24)).getTime();
      found.push({
        loadAndActivateMs: doneAt - hostLogTime(activating),
        activateMs: Number(/activated in (\d+) ms/.exec(done)?.[1]),
        sinceHostStartMs: doneAt - hostLogTime(started),
      });
    }
  }
  return found;
}

async function measureActivations(vsix: string, count: number): Promise<Activation[]> {
  // Read by the e2e support modules when they load.
  process.env.TALLY_E2E_VSIX = vsix;
  // An absolute URL: tsx compiles this module so that a relative dynamic import does not resolve.
  const support = pathToFileURL(join(repoRoot, 'test/e2e/support/session.ts')).href;
  const { VsCodeSession } = (await import(support)) as typeof import('../test/e2e/support/session');
  const session = await VsCodeSession.start({ name: 'bench-editor', trust: true });
  const activated = async (n: number) => {
    for (let i = 0; i < 300 && activationsIn(session.profile.userDataDir).length < n; i++)
      await new Promise((r) => setTimeout(r, 200));
  };
  try {
    // Reload only once the host has activated Tally: a window reloaded sooner leaves the old host
    // holding the workspace storage's lock, and the new one gets another storage folder.
    await activated(1);
    for (let i = 1; i < count; i++) {
      await session.workbench.reloadWindow();
      await activated(i + 1);
    }
    return activationsIn(session.profile.userDataDir);
  } finally {
    await session.dispose();
  }
}

/** Runs the editor benchmark and prints its figures; returns them too. */
export async function benchEditor(opts: EditorBenchOptions = {}): Promise<EditorBenchResult> {
  const p = opts.print ?? ((line: string) => console.log(line));
  const count = opts.activations ?? 3;
  const work = mkdtempSync(join(tmpdir(), 'tally-bench-editor-'));
  try {
    build(true);
    const ext = readFileSync(join(repoRoot, 'dist/extension.js'));
    const web = readFileSync(join(repoRoot, 'dist/webview.js'));
    const vsix = join(work, 'tally.vsix');
    if (!opts.sizesOnly) {
      execFileSync(
        join(repoRoot, 'node_modules/.bin/vsce'),
        ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', vsix],
        { cwd: repoRoot, stdio: 'ignore' },
      );
    }
    const result: EditorBenchResult = {
      extensionBytes: ext.length,
      extensionGzipBytes: gzipSync(ext).length,
      webviewBytes: web.length,
      webviewGzipBytes: gzipSync(web).length,
      heaviest: await heaviestInputs(),
      activations: [],
    };
    p('production build (node scripts/build.mjs --production):');
    p(`  dist/extension.js  ${kb(result.extensionBytes)} (gzip ${kb(result.extensionGzipBytes)})`);
    p(`  dist/webview.js    ${kb(result.webviewBytes)} (gzip ${kb(result.webviewGzipBytes)})`);
    p(
      `  dist/tokenizer.js  ${kb(statSync(join(repoRoot, 'dist/tokenizer.js')).size)} (required only for a local estimate)`,
    );
    p(`  heaviest in extension.js: ${result.heaviest.map((h) => `${h.name} ${kb(h.bytes)}`).join(', ')}`);
    if (!opts.sizesOnly) {
      p(`  .vsix              ${kb(statSync(vsix).size)}`);
      result.activations = await measureActivations(vsix, count);
      const a = result.activations;
      p(`activation in code-server (production .vsix), ${a.length} runs (first start, then reloads):`);
      p(
        `  load + activate()   ${a.map((x) => x.loadAndActivateMs).join(' / ')} ms (median ${median(a.map((x) => x.loadAndActivateMs))} ms)`,
      );
      p(`  activate() alone    ${a.map((x) => x.activateMs).join(' / ')} ms`);
      p(`  host start → ready  ${a.map((x) => x.sinceHostStartMs).join(' / ')} ms`);
    }
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
    // Leave the development build (with source maps) the other benches and the tests expect.
    build(false);
  }
}
