/** What every CLI command needs: the storage folder, the price catalog, a logger. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadPricing, type Pricing } from '../core/pricing/pricing';
import { SessionStore } from '../core/sessions/store';
import { CliError, usageError } from './args';
import { stderrLogger } from './output';

export function storageDir(flag: string | undefined): string {
  const dir = flag ?? process.env.TALLY_STORAGE;
  if (!dir) throw usageError('no storage folder: pass --storage DIR or set TALLY_STORAGE');
  return path.resolve(dir);
}

/** Opens an existing storage folder for reading; never creates one. */
export async function openStoreForReading(flag: string | undefined, pricing: Pricing): Promise<SessionStore> {
  const dir = storageDir(flag);
  const st = await fs.stat(dir).catch((e: NodeJS.ErrnoException) => {
    throw new CliError(
      `cannot read storage folder ${dir}: ${e.code === 'ENOENT' ? 'it does not exist' : e.message}`,
    );
  });
  if (!st.isDirectory()) throw new CliError(`storage folder ${dir} is not a folder`);
  await fs.access(dir, fs.constants.R_OK | fs.constants.X_OK).catch(() => {
    throw new CliError(`cannot read storage folder ${dir}: permission denied`);
  });
  return SessionStore.open(dir, { logger: stderrLogger(), price: pricing.price });
}

/** Opens (creating if needed) a storage folder for writing. */
export async function openStoreForWriting(flag: string | undefined, pricing: Pricing): Promise<SessionStore> {
  const dir = storageDir(flag);
  await fs.mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot create storage folder ${dir}: ${e.message}`);
  });
  await fs.access(dir, fs.constants.W_OK).catch(() => {
    throw new CliError(`cannot write to storage folder ${dir}: permission denied`);
  });
  return SessionStore.open(dir, { logger: stderrLogger(), price: pricing.price });
}

export async function pricingFrom(flag: string | undefined): Promise<Pricing> {
  try {
    return await loadPricing(flag ? { overridesFile: path.resolve(flag) } : {});
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** Loads a session by id, or fails with one line naming what exists. */
export async function loadSessionOrFail(store: SessionStore, sessionId: string) {
  const loaded = await store.load(sessionId).catch((e: Error) => {
    throw new CliError(e.message);
  });
  if (!loaded)
    throw new CliError(`no session "${sessionId}" in ${store.dir} (run "tally sessions" to list them)`);
  return loaded;
}
