/**
 * The agent's file access, confined to one workspace folder. Every path the model gives is
 * resolved, checked against the workspace's real path (symlinks resolved), opened, and checked
 * again through the opened descriptor, so neither `..`, an absolute path, a symlink pointing
 * outside nor a file swapped for a symlink between the check and the use can escape.
 */
import { constants, promises as fs, readlinkSync } from 'node:fs';
import * as path from 'node:path';

export class PathError extends Error {
  override readonly name = 'PathError';
}

/** Characters that look like a path separator, or that no sane workspace path needs. */
const LOOKALIKE_SEPARATORS = /[\u2044\u2215\u29f8\uff0f\uff3c\u2216\u29f9]/;
const MAX_PATH = 4096;

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
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  }

  /** Checks what an open descriptor really points at (Linux: /proc/self/fd), against a swap race. */
  private checkDescriptor(fd: number, relative: string): void {
    let actual: string;
    try {
      actual = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return; // not Linux: the realpath check before opening stands alone
    }
    if (!this.contains(actual))
      throw new PathError(`"${relative}" was swapped for a link outside the workspace`);
  }

  async readFile(relative: string, maxBytes = 256 * 1024): Promise<string> {
    const real = await this.real(relative);
    const handle = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      this.checkDescriptor(handle.fd, relative);
      const st = await handle.stat();
      if (st.isDirectory()) throw new PathError(`"${relative}" is a folder; use list_files`);
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
    await fs.mkdir(path.dirname(target), { recursive: true });
    const dir = await fs.realpath(path.dirname(target));
    if (!this.contains(dir)) throw new PathError(`"${relative}" leads outside the workspace`);
    const handle = await fs.open(
      path.join(dir, path.basename(target)),
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      this.checkDescriptor(handle.fd, relative);
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
    return Buffer.byteLength(content);
  }

  async list(relative: string, limit = 500): Promise<string[]> {
    const real = await this.real(relative);
    const entries = await fs.readdir(real, { withFileTypes: true });
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
    const walk = async (dir: string): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (hits.length >= limit) return;
        if (e.name === '.git' || e.name === 'node_modules') continue;
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile()) {
          const st = await fs.stat(full).catch(() => null);
          if (!st || st.size > 1024 * 1024) continue;
          const buf = await fs.readFile(full).catch(() => null);
          if (!buf || buf.includes(0)) continue;
          const lines = buf.toString('utf8').split('\n');
          for (let i = 0; i < lines.length && hits.length < limit; i++) {
            if (re.test(lines[i]!))
              hits.push(`${path.relative(this.realRoot, full)}:${i + 1}: ${lines[i]!.slice(0, 300)}`);
          }
        }
      }
    };
    if ((await fs.stat(start)).isDirectory()) await walk(start);
    else {
      const rel = path.relative(this.realRoot, start);
      const lines = (await this.readFile(rel)).split('\n');
      lines.forEach((l, i) => {
        if (hits.length < limit && re.test(l)) hits.push(`${rel}:${i + 1}: ${l.slice(0, 300)}`);
      });
    }
    return hits;
  }
}
