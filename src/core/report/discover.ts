/**
 * Finding Tally's storage folders on this machine, for reports across workspaces. VS Code and its
 * relatives give each workspace a folder `<user data>/User/workspaceStorage/<hash>/`, with the
 * workspace's location in `<hash>/workspace.json` and each extension's storage in
 * `<hash>/<extension id>/` (Tally: `tally.tally`). A window without a folder uses
 * `<user data>/User/globalStorage/tally.tally/`.
 *
 * `editorUserDataDirs` is pure over an injected environment, home folder and platform, so every
 * OS's paths are tested on any OS.
 */
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';

/** `publisher.name` in package.json: the folder the editor gives Tally in each workspace. */
export const EXTENSION_ID = 'tally.tally';

export interface DiscoverEnv {
  env: Record<string, string | undefined>;
  homedir: string;
  platform: NodeJS.Platform;
}

/** One editor's user data folder (it holds `User/workspaceStorage`). */
export interface UserDataDir {
  editor: string;
  dir: string;
}

/** Where editors keep their user data, existing or not, for this OS. */
export function editorUserDataDirs(e: DiscoverEnv): UserDataDir[] {
  const win = e.platform === 'win32';
  const p = win ? nodePath.win32 : nodePath.posix;
  const env = e.env;
  const home = e.homedir;
  const out: UserDataDir[] = [];
  const add = (editor: string, dir: string | null) => {
    if (dir && !out.some((o) => o.dir === dir)) out.push({ editor, dir });
  };
  const desktop: [string, string][] = [
    ['VS Code', 'Code'],
    ['VS Code Insiders', 'Code - Insiders'],
    ['VSCodium', 'VSCodium'],
    ['Cursor', 'Cursor'],
  ];
  let appData: string;
  if (win) appData = env.APPDATA || p.join(home, 'AppData', 'Roaming');
  else if (e.platform === 'darwin') appData = p.join(home, 'Library', 'Application Support');
  else appData = env.XDG_CONFIG_HOME || p.join(home, '.config');
  // VS Code's own override of the application data folder, and portable installs.
  if (env.VSCODE_APPDATA) appData = env.VSCODE_APPDATA;
  if (env.VSCODE_PORTABLE) add('VS Code (portable)', p.join(env.VSCODE_PORTABLE, 'user-data'));
  for (const [editor, name] of desktop) add(editor, p.join(appData, name));

  // code-server: XDG data folder on Linux and macOS, %LOCALAPPDATA% on Windows.
  if (win) {
    const local = env.LOCALAPPDATA || p.join(home, 'AppData', 'Local');
    add('code-server', p.join(local, 'code-server', 'Data'));
  } else {
    add('code-server', p.join(env.XDG_DATA_HOME || p.join(home, '.local', 'share'), 'code-server'));
  }
  // Remote servers (SSH, WSL, containers) keep theirs in the home folder of the remote machine.
  for (const [editor, folder] of [
    ['VS Code Server', '.vscode-server'],
    ['VS Code Server Insiders', '.vscode-server-insiders'],
    ['VSCodium Server', '.vscodium-server'],
    ['Cursor Server', '.cursor-server'],
  ] as const) {
    add(editor, p.join(home, folder, 'data'));
  }
  return out;
}

/** One Tally storage folder found, and the workspace it belongs to. */
export interface FoundStorage {
  /** The extension's storage folder (what `--storage` takes). */
  dir: string;
  /** The workspace's folder or `.code-workspace` file, or a label when it has none. */
  workspace: string;
  editor: string;
}

/** A workspace.json's location: `{"folder": "file:///…"}` or `{"workspace": "file:///….code-workspace"}`. */
export function workspaceOfJson(text: string, platform: NodeJS.Platform = process.platform): string | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const o = json as { folder?: unknown; workspace?: unknown; configuration?: unknown };
  const uri =
    typeof o.folder === 'string'
      ? o.folder
      : typeof o.workspace === 'string'
        ? o.workspace
        : typeof o.configuration === 'string'
          ? o.configuration
          : null;
  return uri === null ? null : uriToPath(uri, platform);
}

/** A `file://` URI as a path of `platform`; any other URI (remote, virtual) stays as it is. */
export function uriToPath(uri: string, platform: NodeJS.Platform = process.platform): string {
  const m = /^file:\/\/([^/]*)(\/.*)?$/i.exec(uri);
  if (!m) return uri;
  let path: string;
  try {
    path = decodeURIComponent(m[2] ?? '/');
  } catch {
    return uri;
  }
  if (platform !== 'win32') return m[1] ? `//${m[1]}${path}` : path;
  if (m[1]) return `\\\\${m[1]}${path.replace(/\//g, '\\')}`; // a UNC share
  return path.replace(/^\/([A-Za-z]):/, (_, d: string) => `${d.toLowerCase()}:`).replace(/\//g, '\\');
}

/**
 * The Tally storage folders under a user data folder (holding `User/workspaceStorage`) or under a
 * `workspaceStorage` folder itself, each with its workspace; the no-folder window's storage too.
 */
export async function storagesUnder(
  root: string,
  editor = 'editor',
  platform: NodeJS.Platform = process.platform,
): Promise<FoundStorage[]> {
  const p = platform === 'win32' ? nodePath.win32 : nodePath.posix;
  const nested = p.join(root, 'User', 'workspaceStorage');
  const wsRoot = (await isDir(nested)) ? nested : root;
  const out: FoundStorage[] = [];
  const hashes = await fs.readdir(wsRoot, { withFileTypes: true }).catch(() => []);
  for (const h of hashes.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!h.isDirectory()) continue;
    const dir = p.join(wsRoot, h.name, EXTENSION_ID);
    if (!(await isDir(dir))) continue;
    const text = await fs.readFile(p.join(wsRoot, h.name, 'workspace.json'), 'utf8').catch(() => null);
    const workspace = (text && workspaceOfJson(text, platform)) || `(workspace ${h.name})`;
    out.push({ dir, workspace, editor });
  }
  if (p.basename(wsRoot) === 'workspaceStorage') {
    const global = p.join(p.dirname(wsRoot), 'globalStorage', EXTENSION_ID);
    if (await isDir(global)) out.push({ dir: global, workspace: `(no folder, ${editor})`, editor });
  }
  return out;
}

/** Every Tally storage folder of every editor found on this machine. */
export async function discoverStorages(e: DiscoverEnv): Promise<FoundStorage[]> {
  const out: FoundStorage[] = [];
  for (const u of editorUserDataDirs(e)) {
    for (const f of await storagesUnder(u.dir, u.editor, e.platform)) {
      if (!out.some((o) => o.dir === f.dir)) out.push(f);
    }
  }
  return out;
}

async function isDir(path: string): Promise<boolean> {
  return fs
    .stat(path)
    .then((s) => s.isDirectory())
    .catch(() => false);
}
