/**
 * Root hooks of the unit suite (loaded by .mocharc.json): no API key in any file a test wrote.
 *
 * Every temp folder the tests (and the processes they start) create goes under one root,
 * `<os tmp>/tally-tests-<pid>`, by pointing TMPDIR there before any test runs. Tests delete
 * their folders as they go, so a folder is scanned when it is deleted (`rm` and `rmSync` are
 * wrapped), and whatever is left is scanned at the end. A file holding something that looks
 * like an API key (the fake keys the tests use, or any `sk-…`, `sk-ant-…`, `AIza…` key) fails
 * the run, naming the file.
 */
import type * as Fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';

// The module object itself (not an import namespace copy), so that wrapping `rm` reaches every caller.
const fsModule: typeof Fs = createRequire(__filename)('node:fs');

const KEY_PATTERN =
  /(?<![A-Za-z0-9_-])(?:sk-ant-[A-Za-z0-9_-]{10,}|sk-[A-Za-z0-9_-]{16,}|AIza[A-Za-z0-9_-]{30,}|xai-[A-Za-z0-9]{16,})/g;
/** Keys the tests hand to the code under test (kept distinctive so that a leak is found). */
const FAKE_KEYS = ['test-key-123456', 'demo-key'];
const MAX_BYTES = 64 * 1024 * 1024;

const original = tmpdir();
const root = join(original, `tally-tests-${process.pid}`);
fsModule.mkdirSync(root, { recursive: true });
process.env.TMPDIR = root;
process.env.TMP = root;
process.env.TEMP = root;

const findings: string[] = [];
let scannedFiles = 0;

function scanFile(path: string): void {
  if (path.includes(`${sep}tally-cli-bundle-`)) return;
  let buf: Buffer;
  try {
    const st = fsModule.lstatSync(path);
    if (!st.isFile() || st.size > MAX_BYTES) return;
    buf = fsModule.readFileSync(path);
  } catch {
    return;
  }
  scannedFiles++;
  const text = buf.toString('latin1');
  const hits = new Set<string>();
  for (const m of text.matchAll(KEY_PATTERN)) hits.add(m[0]);
  for (const k of FAKE_KEYS) if (text.includes(k)) hits.add(k);
  for (const h of hits) findings.push(`${path}: ${h.slice(0, 12)}…`);
}

/** Scans `path` (a file, or a folder recursively, never following links) if it is under the root. */
function scan(path: unknown): void {
  if (typeof path !== 'string' && !(path instanceof URL)) return;
  const p = String(path instanceof URL ? path.pathname : path);
  if (p !== root && !p.startsWith(root + sep)) return;
  let st: Fs.Stats;
  try {
    st = fsModule.lstatSync(p);
  } catch {
    return;
  }
  if (st.isFile()) {
    scanFile(p);
    return;
  }
  if (!st.isDirectory()) return;
  let entries: Fs.Dirent[];
  try {
    entries = fsModule.readdirSync(p, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    // The CLI bundled for the tests is code, not something a test wrote.
    if (e.name.startsWith('tally-cli-bundle-')) continue;
    scan(join(p, e.name));
  }
}

// Scan what a test deletes, just before it goes.
const { rm, rmSync } = fsModule;
const promisesRm = fsModule.promises.rm;
(fsModule as { rmSync: unknown }).rmSync = (path: Fs.PathLike, ...rest: unknown[]) => {
  scan(path);
  return (rmSync as (...a: unknown[]) => void)(path, ...rest);
};
(fsModule as { rm: unknown }).rm = (path: Fs.PathLike, ...rest: unknown[]) => {
  scan(path);
  return (rm as (...a: unknown[]) => void)(path, ...rest);
};
(fsModule.promises as { rm: unknown }).rm = (path: Fs.PathLike, ...rest: unknown[]) => {
  scan(path);
  return (promisesRm as (...a: unknown[]) => Promise<void>)(path, ...rest);
};

export const mochaHooks = {
  afterAll(this: unknown): void {
    scan(root);
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // best effort
    }
    console.log(`\n  secret scan: ${scannedFiles} files the tests wrote, ${findings.length} with an API key`);
    if (findings.length) {
      throw new Error(
        `API keys found in files the tests wrote:\n${[...new Set(findings)].slice(0, 30).join('\n')}`,
      );
    }
  },
};
