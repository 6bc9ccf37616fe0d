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
    });
    const entry = join(dir, 'tally.js');
    writeFileSync(entry, "require('./cli.js').runCli(process.argv.slice(2));\n");
    return entry;
  })();
  return built;
}
