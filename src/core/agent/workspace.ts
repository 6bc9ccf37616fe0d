/**
 * The agent's file access, confined to one workspace folder. Every path the model gives is
 * resolved, checked against the workspace's real path (symlinks resolved), opened, and checked
 * again through the opened descriptor, so neither `..`, an absolute path, a symlink pointing
 * outside nor a file swapped for a symlink between the check and the use can escape.
 */
import { constants, type Dirent, existsSync, promises as fs, readlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

export class PathError extends Error {
  override readonly name = 'PathError';
}

/** An open folder: its real path, and its descriptor where descriptors anchor paths (Linux). */
interface DirRef {
  path: string;
  fd: number | null;
  close(): Promise<void>;
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = code;
  return e;
}

/** Characters that look like a path separator, or that no sane workspace path needs. */
const LOOKALIKE_SEPARATORS = /[\u2044\u2215\u29f8\uff0f\uff3c\u2216\u29f9]/;
const MAX_PATH = 4096;
/** Folders deeper than this are not searched (each level holds a descriptor open). */
const MAX_DEPTH = 48;
// POSIX flags (0 where the platform has none, e.g. Windows: the realpath checks stand alone there).
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;
/** Whether descriptors can be resolved to paths and used as anchors (/proc/self/fd, Linux). */
const FD_PATHS = process.platform === 'linux' && existsSync('/proc/self/fd');

export class Workspace {
  private constructor(
    /** The workspace root as given. */
    readonly root: string,
    /** The root's real path (symlinks resolved). */
    readonly realRoot: string,
  ) {}

  static async open(root: string): Promise<Workspace> {
    const abs = path.resolve(root);
    const real = await fs.realpath(abs).catch(() => {
      throw new PathError(`workspace folder ${abs} does not exist`);
    });
    if (!(await fs.stat(real)).isDirectory()) throw new PathError(`workspace ${abs} is not a folder`);
    return new Workspace(abs, real);
  }

  /** A workspace-relative path → an absolute path inside the workspace (not yet following links). */
  resolve(relative: string): string {
    if (typeof relative !== 'string') throw new PathError('path must be a string');
    if (relative.length > MAX_PATH) throw new PathError('path is too long');
    if (relative.includes('\0')) throw new PathError('path contains a NUL byte');
    if (LOOKALIKE_SEPARATORS.test(relative)) throw new PathError('path contains a look-alike separator');
    const p = relative.replace(/\\/g, '/').trim() || '.';
    if (p.startsWith('~'))
      throw new PathError(`"${relative}" is outside the workspace (home paths are not allowed)`);
    if (path.isAbsolute(p) || /^[a-zA-Z]:/.test(p) || p.startsWith('//')) {
      throw new PathError(`"${relative}" is absolute; give a path relative to the workspace`);
    }
    const abs = path.resolve(this.realRoot, p);
    if (!this.contains(abs)) throw new PathError(`"${relative}" is outside the workspace`);
    return abs;
  }

  /** The real path of an existing file or folder inside the workspace; throws if it escapes. */
  async real(relative: string): Promise<string> {
    const abs = this.resolve(relative);
    let real: string;
    try {
      real = await fs.realpath(abs);
    } catch {
      throw new PathError(`"${relative}" does not exist`);
    }
    if (!this.contains(real)) throw new PathError(`"${relative}" leads outside the workspace`);
    return real;
  }

  /** For a file that may not exist yet: its deepest existing ancestor must be inside. */
  async realForWrite(relative: string): Promise<string> {
    const abs = this.resolve(relative);
    let probe = abs;
    const rest: string[] = [];
    for (;;) {
      try {
        const real = await fs.realpath(probe);
        const target = path.join(real, ...rest);
        if (!this.contains(target)) throw new PathError(`"${relative}" leads outside the workspace`);
        return target;
      } catch (e) {
        if (e instanceof PathError) throw e;
        const parent = path.dirname(probe);
        if (parent === probe) throw new PathError(`"${relative}" has no existing parent`);
        rest.unshift(path.basename(probe));
        probe = parent;
      }
    }
  }

  contains(abs: string): boolean {
    const rel = path.relative(this.realRoot, abs);
    // `..` as a whole first segment leaves the root; a name that merely starts with dots does not.
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
  }

  /** Checks what an open descriptor really points at (Linux: /proc/self/fd), against a swap race. */
  private checkDescriptor(fd: number, relative: string): void {
    if (!FD_PATHS) return; // elsewhere the realpath check before opening stands alone
    let actual: string;
    try {
      actual = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return;
    }
    if (!this.contains(actual))
      throw new PathError(`"${relative}" was swapped for a link outside the workspace`);
  }

  /**
   * A path that reaches `name` inside the folder an open descriptor holds (Linux), so a folder
   * swapped for a link after it was opened cannot redirect what is opened or listed in it.
   */
  private static via(dirFd: number | null, name?: string): string | null {
    if (!FD_PATHS || dirFd === null) return null;
    return name === undefined ? `/proc/self/fd/${dirFd}` : `/proc/self/fd/${dirFd}/${name}`;
  }

  /** Opens `p` without following a last-component link and checks where the descriptor points. */
  private async openChecked(p: string, flags: number, relative: string, mode?: number): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      handle = await fs.open(p, flags | NOFOLLOW, mode);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOOP')
        throw new PathError(`"${relative}" is a link that was changed while it was used`);
      throw e;
    }
    try {
      this.checkDescriptor(handle.fd, relative);
    } catch (e) {
      await handle.close();
      throw e;
    }
    return handle;
  }

  /**
   * Opens a folder inside the workspace (a real path); with `create`, makes the missing folders
   * one at a time, each inside the folder opened before it. Without descriptor paths (not
   * Linux) it is the checked real path alone.
   */
  private async openDir(dir: string, relative: string, create: boolean): Promise<DirRef> {
    if (!this.contains(dir)) throw new PathError(`"${relative}" leads outside the workspace`);
    if (!FD_PATHS) {
      if (create) await fs.mkdir(dir, { recursive: true });
      const real = await fs.realpath(dir);
      if (!this.contains(real)) throw new PathError(`"${relative}" leads outside the workspace`);
      if (!(await fs.stat(real)).isDirectory()) throw errno('ENOTDIR', `${relative} is not a folder`);
      return { path: real, fd: null, close: async () => {} };
    }
    let handle: FileHandle;
    try {
      handle = await this.openChecked(dir, constants.O_RDONLY | DIRECTORY, relative);
    } catch (e) {
      if (!create || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const parent = path.dirname(dir);
      if (parent === dir) throw new PathError(`"${relative}" has no existing parent`);
      const ph = await this.openDir(parent, relative, true);
      try {
        const target = Workspace.via(ph.fd, path.basename(dir)) ?? dir;
        await fs.mkdir(target).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        handle = await this.openChecked(target, constants.O_RDONLY | DIRECTORY, relative);
      } finally {
        await ph.close();
      }
    }
    return { path: dir, fd: handle.fd, close: () => handle.close() };
  }

  async readFile(relative: string, maxBytes = 256 * 1024): Promise<string> {
    const real = await this.real(relative);
    // Non-blocking: a FIFO inside the workspace must not hang the agent.
    const handle = await this.openChecked(real, constants.O_RDONLY | NONBLOCK, relative);
    try {
      const st = await handle.stat();
      if (st.isDirectory()) throw new PathError(`"${relative}" is a folder; use list_files`);
      if (!st.isFile()) throw new PathError(`"${relative}" is not a regular file`);
      const size = Math.min(st.size, maxBytes);
      const buf = Buffer.alloc(size);
      await handle.read(buf, 0, size, 0);
      if (buf.includes(0)) throw new PathError(`"${relative}" is a binary file`);
      const text = buf.toString('utf8');
      return st.size > maxBytes ? `${text}\n… (truncated: ${st.size} bytes, showing ${maxBytes})` : text;
    } finally {
      await handle.close();
    }
  }

  async writeFile(relative: string, content: string): Promise<number> {
    const target = await this.realForWrite(relative);
    const dir = await this.openDir(path.dirname(target), relative, true);
    try {
      const name = path.basename(target);
      // No O_TRUNC: nothing is changed before the descriptor is known to be inside.
      const handle = await this.openChecked(
        Workspace.via(dir.fd, name) ?? target,
        constants.O_WRONLY | constants.O_CREAT | NONBLOCK,
        relative,
        0o644,
      );
      try {
        if (!(await handle.stat()).isFile()) throw new PathError(`"${relative}" is not a regular file`);
        await handle.truncate(0);
        await handle.writeFile(content, 'utf8');
      } finally {
        await handle.close();
      }
    } finally {
      await dir.close();
    }
    return Buffer.byteLength(content);
  }

  async list(relative: string, limit = 500): Promise<string[]> {
    const real = await this.real(relative);
    const dir = await this.openDir(real, relative, false).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOTDIR' ? new PathError(`"${relative}" is a file; use read_file`) : e;
    });
    let entries: Dirent[];
    try {
      entries = await fs.readdir(Workspace.via(dir.fd) ?? real, { withFileTypes: true });
    } finally {
      await dir.close();
    }
    const names = entries
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .sort((a, b) => a.localeCompare(b));
    return names.length > limit ? [...names.slice(0, limit), `… ${names.length - limit} more`] : names;
  }

  /** Lines matching a pattern (a regular expression, or plain text when it is not one). */
  async search(pattern: string, relative = '.', limit = 100): Promise<string[]> {
    let re: RegExp;
    try {
      re = new RegExp(pattern, 'i');
    } catch {
      re = new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    }
    const start = await this.real(relative);
    const hits: string[] = [];
    const scan = (rel: string, buf: Buffer) => {
      const lines = buf.toString('utf8').split('\n');
      for (let i = 0; i < lines.length && hits.length < limit; i++) {
        if (re.test(lines[i]!)) hits.push(`${rel}:${i + 1}: ${lines[i]!.slice(0, 300)}`);
      }
    };
    // Each folder is opened (never through a link) and listed through its descriptor; each file
    // is opened the same way and must be a regular file: a link swapped in mid-walk leads nowhere.
    const walk = async (dir: DirRef, abs: string, depth: number): Promise<void> => {
      const entries = await fs.readdir(Workspace.via(dir.fd) ?? abs, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (hits.length >= limit) return;
        if (e.name === '.git' || e.name === 'node_modules') continue;
        const full = path.join(abs, e.name);
        const at = Workspace.via(dir.fd, e.name) ?? full;
        if (e.isDirectory()) {
          if (depth >= MAX_DEPTH) continue;
          const sub = await this.openSubdir(at, full, relative);
          if (!sub) continue;
          try {
            await walk(sub, full, depth + 1);
          } finally {
            await sub.close();
          }
        } else if (e.isFile()) {
          const buf = await this.readSmall(at, relative);
          if (buf) scan(path.relative(this.realRoot, full), buf);
        }
      }
    };
    const st = await fs.stat(start);
    if (st.isDirectory()) {
      const dir = await this.openDir(start, relative, false);
      try {
        await walk(dir, start, 0);
      } finally {
        await dir.close();
      }
    } else {
      const rel = path.relative(this.realRoot, start);
      scan(rel, Buffer.from(await this.readFile(rel)));
    }
    return hits;
  }

  /** A folder met while walking, opened through its parent's descriptor; null if it is not one now. */
  private async openSubdir(at: string, full: string, relative: string): Promise<DirRef | null> {
    if (!FD_PATHS) return this.openDir(full, relative, false).catch(() => null);
    const h = await this.openChecked(at, constants.O_RDONLY | DIRECTORY, relative).catch(() => null);
    return h ? { path: full, fd: h.fd, close: () => h.close() } : null;
  }

  /** A regular text file of at most 1 MB, opened safely; null for anything else. */
  private async readSmall(at: string, relative: string): Promise<Buffer | null> {
    const h = await this.openChecked(at, constants.O_RDONLY | NONBLOCK, relative).catch(() => null);
    if (!h) return null;
    try {
      const st = await h.stat();
      if (!st.isFile() || st.size > 1024 * 1024) return null;
      const buf = Buffer.alloc(st.size);
      await h.read(buf, 0, st.size, 0);
      return buf.includes(0) ? null : buf;
    } catch {
      return null;
    } finally {
      await h.close();
    }
  }
}
