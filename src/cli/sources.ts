/** Which storage folders a cross-workspace command reads: `--storage`, `--storage-root`, or all found. */
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { type StorageSource, workspaceOfStorage } from '../core/report/collect';
import { discoverStorages, storagesUnder } from '../core/report/discover';
import { CliError } from './args';

/** The flags every cross-workspace command takes. */
export const SOURCE_FLAGS = {
  storage: { type: 'string', multiple: true },
  'storage-root': { type: 'string', multiple: true },
} as const;

/**
 * `--storage DIR` (an extension storage folder, repeatable) and `--storage-root DIR` (a
 * `workspaceStorage` folder or an editor's user data folder, repeatable) choose the folders;
 * without either, every editor's folders found on this machine, plus `$TALLY_STORAGE` if set.
 */
export async function storageSources(values: {
  storage?: string[] | undefined;
  'storage-root'?: string[] | undefined;
}): Promise<StorageSource[]> {
  const out: StorageSource[] = [];
  const add = (s: StorageSource) => {
    if (!out.some((o) => o.dir === s.dir)) out.push(s);
  };
  const storages = values.storage ?? [];
  const roots = values['storage-root'] ?? [];
  for (const flag of storages) {
    const dir = path.resolve(flag);
    await mustBeFolder(dir, '--storage');
    add({ dir, workspace: await workspaceOfStorage(dir) });
  }
  for (const flag of roots) {
    const dir = path.resolve(flag);
    await mustBeFolder(dir, '--storage-root');
    for (const f of await storagesUnder(dir)) add({ dir: f.dir, workspace: f.workspace });
  }
  if (storages.length === 0 && roots.length === 0) {
    for (const f of await discoverStorages({
      env: process.env,
      homedir: homedir(),
      platform: process.platform,
    }))
      add({ dir: f.dir, workspace: f.workspace });
    const env = process.env.TALLY_STORAGE;
    if (env && (await isFolder(path.resolve(env)))) {
      const dir = path.resolve(env);
      add({ dir, workspace: await workspaceOfStorage(dir) });
    }
  }
  return out;
}

async function isFolder(dir: string): Promise<boolean> {
  return fs
    .stat(dir)
    .then((s) => s.isDirectory())
    .catch(() => false);
}

async function mustBeFolder(dir: string, flag: string): Promise<void> {
  if (!(await isFolder(dir))) throw new CliError(`${flag} ${dir}: not a folder that can be read`);
}

/** A progress line on stderr, shown only once the work has taken more than a second. */
export function progressAfterASecond(what: string): {
  update: (done: number, total: number) => void;
  done: () => void;
} {
  const started = Date.now();
  let shown = false;
  return {
    update: (done, total) => {
      if (Date.now() - started < 1000) return;
      shown = true;
      process.stderr.write(`\r${what}: ${done}/${total}`);
    },
    done: () => {
      if (shown) process.stderr.write('\n');
    },
  };
}
