/**
 * The .vsix the end-to-end run installs is built like `npm run package` builds it (`vsce package
 * --no-dependencies`, the same .vscodeignore): it must carry everything the installed extension
 * loads, since no node_modules ship with it, and none of the sources.
 */
import assert from 'node:assert/strict';
import { vsixPath } from '../support/paths';
import { zipEntries } from '../support/tally';

describe('the packaged extension (.vsix)', () => {
  it('ships the bundles, the icon font, the icon, the manifest and the README, and no sources', () => {
    const files = zipEntries(vsixPath)
      .filter((f) => f.startsWith('extension/'))
      .map((f) => f.slice('extension/'.length));
    for (const needed of [
      'package.json',
      'readme.md',
      'dist/extension.js',
      'dist/webview.js',
      // Required the first time a request's usage must be estimated (scripts/build.mjs).
      'dist/tokenizer.js',
      // The webviews link these (src/extension/webviewHtml.ts): without them every icon is blank.
      'dist/codicons/codicon.css',
      'dist/codicons/codicon.ttf',
      'media/tally.svg',
    ]) {
      assert.ok(files.includes(needed), `${needed} is in the package (it has ${files.join(', ')})`);
    }
    const stray = files.filter((f) => /^(src|test|node_modules|bench|scripts)\/|\.map$|\.ts$/.test(f));
    assert.deepEqual(stray, [], 'no sources, source maps or node_modules');
  });
});
