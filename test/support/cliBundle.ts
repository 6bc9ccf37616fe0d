/**
 * Builds the CLI bundle once per test run (esbuild, as `npm run build` does) into a temporary
 * folder, so CLI tests spawn the real artifact as a separate process, as outside scripts do.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

let built: Promise<string> | undefined;

/** The path of a script that runs `tally` with its arguments. */
export function cliEntry(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-cli-bundle-'));
    await esbuild.build({
      entryPoints: [join(__dirname, '..', '..', 'src', 'cli', 'main.ts')],
      outfile: join(dir, 'cli.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'error',
      // As scripts/build.mjs: the tokenizer is a file of its own, required on first use.
      plugins: [
        {
          name: 'tokenizer-apart',
          setup(b) {
            b.onResolve({ filter: /^gpt-tokenizer\/encoding\/o200k_base$/ }, () => ({
              path: './tokenizer.js',
              external: true,
            }));
          },
        },
      ],
    });
    await esbuild.build({
      entryPoints: ['gpt-tokenizer/encoding/o200k_base'],
      outfile: join(dir, 'tokenizer.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'error',
    });
    const entry = join(dir, 'tally.js');
    writeFileSync(entry, "require('./cli.js').runCli(process.argv.slice(2));\n");
    return entry;
  })();
  return built;
}
