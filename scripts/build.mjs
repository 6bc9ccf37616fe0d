// Bundles the extension host, the CLI and the webviews with esbuild.
// `node scripts/build.mjs` builds once; `--watch` rebuilds on change; `--production` minifies.
import { copyFileSync, mkdirSync } from 'node:fs';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

/**
 * The o200k tokenizer (2.7 MB, most of it its vocabulary) is a bundle of its own, `dist/tokenizer.js`,
 * required from the host and the CLI only the first time a request needs a local estimate
 * (src/core/usage/estimate.ts): activation and most CLI runs never parse it.
 * @type {esbuild.Plugin}
 */
const tokenizerApart = {
  name: 'tokenizer-apart',
  setup(build) {
    build.onResolve({ filter: /^gpt-tokenizer\/encoding\/o200k_base$/ }, () => ({
      path: './tokenizer.js',
      external: true,
    }));
  },
};

/** @type {esbuild.BuildOptions[]} */
const targets = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    plugins: [tokenizerApart],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts', 'mock-provider': 'src/mock-provider/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [tokenizerApart],
  },
  {
    ...common,
    entryPoints: { tokenizer: 'gpt-tokenizer/encoding/o200k_base' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: false,
    minify: true,
  },
  {
    ...common,
    entryPoints: { webview: 'src/webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
  },
];

// The webviews' icon font, next to the bundles: `vsce package --no-dependencies` ships no
// node_modules, whatever .vscodeignore lets through.
mkdirSync('dist/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf'])
  copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/codicons/${f}`);

if (watch) {
  for (const t of targets) (await esbuild.context(t)).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
