/**
 * Whole files that must never be seen half written (a converted log, a tombstone, the session
 * index): the text goes to a temporary file beside the target, is synced, and only then takes the
 * target's name. A failure on the way leaves the target as it was and removes the temporary file.
 * And whole files read back without waiting on something that only looks like one (a FIFO).
 */
import { closeSync, constants, promises as fs, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * Opens for reading without waiting: a FIFO named like one of our files would otherwise block the
 * open until something writes to it (forever). A non-blocking open returns at once; what is not a
 * regular file is then refused after its fstat. (No effect on a regular file's reads.)
 */
export const READ_NO_WAIT = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** A regular file's text; rejects for anything else (a FIFO, a folder) without waiting. */
export async function readRegularFile(path: string): Promise<Buffer> {
  const fh = await fs.open(path, READ_NO_WAIT);
  try {
    if (!(await fh.stat()).isFile()) throw new Error(`${path} is not a regular file`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

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

/** A regular file's bytes and mtime; throws for anything else (a FIFO, a folder) without waiting. */
export function readRegularFileSync(path: string): { buf: Buffer; mtimeMs: number } {
  const fd = openSync(path, READ_NO_WAIT);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    return { buf: readFileSync(fd), mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
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
