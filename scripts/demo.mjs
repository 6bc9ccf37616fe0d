// `npm run demo`: the whole product, headless, with no key. Starts the bundled mock provider
// (a local server speaking the Anthropic wire format), runs one turn with a tool call through
// `tally run`, then prints the turn's usage with `tally stats --requests`.
// Storage goes to .demo/ (ignored); run it again to see a second turn added to the same session.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const storage = join(root, '.demo', 'storage');
const sessionFile = join(root, '.demo', 'session');
mkdirSync(storage, { recursive: true });

const server = spawn(
  process.execPath,
  [join(root, 'dist', 'mock-provider.js'), '--port', '0', '--delay', '10'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const baseURL = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (b) => {
    out += b;
    const m = /^anthropic: (\S+)$/m.exec(out);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`mock provider exited (${code})`)));
});

const tally = (args, opts = {}) =>
  spawnSync(process.execPath, [join(root, 'bin', 'tally'), ...args], {
    stdio: 'inherit',
    env: { ...process.env, ANTHROPIC_API_KEY: 'demo-key' },
    ...opts,
  });

try {
  const previous = existsSync(sessionFile) ? readFileSync(sessionFile, 'utf8').trim() : '';
  console.log(`\n$ tally run --provider anthropic --model claude-sonnet-4-5 "What is in this folder?"\n`);
  const run = tally(
    [
      'run',
      '--storage',
      storage,
      '--workspace',
      root,
      '--provider',
      'anthropic',
      '--model',
      'claude-sonnet-4-5',
      '--base-url',
      baseURL,
      ...(previous ? ['--session', previous] : []),
      '--json',
      'What is in this folder?',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const result = JSON.parse(run.stdout.toString());
  console.log(result.text);
  writeFileSync(sessionFile, result.sessionId);
  console.log(`\n$ tally stats ${result.sessionId} --requests\n`);
  tally(['stats', result.sessionId, '--storage', storage, '--requests']);
  console.log(`\nStorage: ${storage}\nTry: bin/tally sessions --storage ${storage}`);
  process.exitCode = run.status ?? 1;
} finally {
  server.kill('SIGTERM');
}
