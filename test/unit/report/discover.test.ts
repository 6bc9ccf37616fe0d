/** Finding every editor's Tally storage: the paths of each OS (pure), and a real folder tree. */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  discoverStorages,
  editorUserDataDirs,
  storagesUnder,
  uriToPath,
  workspaceOfJson,
} from '../../../src/core/report/discover';

const dirs = (e: Parameters<typeof editorUserDataDirs>[0]) =>
  editorUserDataDirs(e).map((d) => `${d.editor}=${d.dir}`);

describe('storage discovery', () => {
  it('Linux: XDG config for the desktop editors, XDG data for code-server, remote servers in home', () => {
    assert.deepEqual(dirs({ env: {}, homedir: '/home/ann', platform: 'linux' }), [
      'VS Code=/home/ann/.config/Code',
      'VS Code Insiders=/home/ann/.config/Code - Insiders',
      'VSCodium=/home/ann/.config/VSCodium',
      'Cursor=/home/ann/.config/Cursor',
      'code-server=/home/ann/.local/share/code-server',
      'VS Code Server=/home/ann/.vscode-server/data',
      'VS Code Server Insiders=/home/ann/.vscode-server-insiders/data',
      'VSCodium Server=/home/ann/.vscodium-server/data',
      'Cursor Server=/home/ann/.cursor-server/data',
    ]);
    const xdg = dirs({
      env: { XDG_CONFIG_HOME: '/cfg', XDG_DATA_HOME: '/data' },
      homedir: '/home/ann',
      platform: 'linux',
    });
    assert.ok(xdg.includes('VS Code=/cfg/Code'));
    assert.ok(xdg.includes('code-server=/data/code-server'));
  });

  it('macOS: Application Support, code-server in ~/.local/share', () => {
    const d = dirs({ env: {}, homedir: '/Users/ann', platform: 'darwin' });
    assert.ok(d.includes('VS Code=/Users/ann/Library/Application Support/Code'));
    assert.ok(d.includes('Cursor=/Users/ann/Library/Application Support/Cursor'));
    assert.ok(d.includes('code-server=/Users/ann/.local/share/code-server'));
  });

  it('Windows: %APPDATA%, code-server in %LOCALAPPDATA%, portable installs', () => {
    const d = dirs({
      env: {
        APPDATA: 'C:\\Users\\ann\\AppData\\Roaming',
        LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local',
        VSCODE_PORTABLE: 'D:\\vscode\\data',
      },
      homedir: 'C:\\Users\\ann',
      platform: 'win32',
    });
    assert.ok(d.includes('VS Code=C:\\Users\\ann\\AppData\\Roaming\\Code'));
    assert.ok(d.includes('VS Code Insiders=C:\\Users\\ann\\AppData\\Roaming\\Code - Insiders'));
    assert.ok(d.includes('VSCodium=C:\\Users\\ann\\AppData\\Roaming\\VSCodium'));
    assert.ok(d.includes('code-server=C:\\Users\\ann\\AppData\\Local\\code-server\\Data'));
    assert.ok(d.includes('VS Code (portable)=D:\\vscode\\data\\user-data'));
    // Without the variables, from the home folder.
    assert.ok(
      dirs({ env: {}, homedir: 'C:\\Users\\bo', platform: 'win32' }).includes(
        'Cursor=C:\\Users\\bo\\AppData\\Roaming\\Cursor',
      ),
    );
  });

  it('reads workspace.json: a folder, a .code-workspace file, a remote URI, percent-escapes', () => {
    assert.equal(
      workspaceOfJson('{"folder":"file:///home/ann/my%20project"}', 'linux'),
      '/home/ann/my project',
    );
    assert.equal(
      workspaceOfJson('{"workspace":"file:///home/ann/all.code-workspace"}', 'linux'),
      '/home/ann/all.code-workspace',
    );
    assert.equal(
      workspaceOfJson('{"folder":"file:///c%3A/Users/ann/proj"}', 'win32'),
      'c:\\Users\\ann\\proj',
    );
    assert.equal(uriToPath('file://server/share/x', 'win32'), '\\\\server\\share\\x');
    assert.equal(
      workspaceOfJson('{"folder":"vscode-remote://ssh-remote%2Bbox/home/ann/p"}', 'linux'),
      'vscode-remote://ssh-remote%2Bbox/home/ann/p',
    );
    assert.equal(workspaceOfJson('not json'), null);
    assert.equal(workspaceOfJson('{}'), null);
  });

  it("finds each workspace's tally.tally folder and the no-folder window's, in a real tree", async () => {
    const home = await fs.mkdtemp(join(tmpdir(), 'tally-home-'));
    try {
      const ws = join(home, '.config', 'Code', 'User', 'workspaceStorage');
      await fs.mkdir(join(ws, 'aaa', 'tally.tally'), { recursive: true });
      await fs.writeFile(join(ws, 'aaa', 'workspace.json'), '{"folder":"file:///home/ann/proj"}');
      await fs.mkdir(join(ws, 'bbb', 'other.extension'), { recursive: true }); // not ours
      await fs.mkdir(join(ws, 'ccc', 'tally.tally'), { recursive: true }); // no workspace.json
      await fs.mkdir(join(home, '.config', 'Code', 'User', 'globalStorage', 'tally.tally'), {
        recursive: true,
      });
      const cs = join(
        home,
        '.local',
        'share',
        'code-server',
        'User',
        'workspaceStorage',
        'ddd',
        'tally.tally',
      );
      await fs.mkdir(cs, { recursive: true });
      const found = await discoverStorages({ env: {}, homedir: home, platform: 'linux' });
      assert.deepEqual(
        found.map((f) => [f.editor, f.dir.slice(home.length), f.workspace]),
        [
          ['VS Code', '/.config/Code/User/workspaceStorage/aaa/tally.tally', '/home/ann/proj'],
          ['VS Code', '/.config/Code/User/workspaceStorage/ccc/tally.tally', '(workspace ccc)'],
          ['VS Code', '/.config/Code/User/globalStorage/tally.tally', '(no folder, VS Code)'],
          [
            'code-server',
            '/.local/share/code-server/User/workspaceStorage/ddd/tally.tally',
            '(workspace ddd)',
          ],
        ],
      );
      // --storage-root takes a workspaceStorage folder or a user data folder alike.
      assert.equal((await storagesUnder(ws)).length, 3);
      assert.equal((await storagesUnder(join(home, '.config', 'Code'))).length, 3);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
