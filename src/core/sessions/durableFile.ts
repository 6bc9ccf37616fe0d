/**
 * Whole files that must never be seen half written (a converted log, a tombstone, the session
 * index): the text goes to a temporary file beside the target, is synced, and only then takes the
 * target's name. A failure on the way leaves the target as it was and removes the temporary file.
 */
import { promises as fs } from 'node:fs';

export interface DurableWrite {
  /** The temporary file, in the target's folder (a rename does not cross file systems). */
  tmp: string;
  text: string;
  /** 'wx' (the default) refuses a temporary file that exists already; 'w' replaces it. */
  flag?: 'wx' | 'w';
  /** Gives the synced temporary file its final name (a rename, or a link that refuses to replace). */
  place: (tmp: string) => Promise<void>;
}

export async function writeDurably(w: DurableWrite): Promise<void> {
  const fh = await fs.open(w.tmp, w.flag ?? 'wx');
  try {
    await fh.writeFile(w.text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await w.place(w.tmp);
  } catch (e) {
    await fs.rm(w.tmp, { force: true });
    throw e;
  }
}

/** Syncs a folder so a file created or renamed in it survives a power loss (best effort). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Not every platform can sync a folder; the file's own sync still holds.
  }
}
