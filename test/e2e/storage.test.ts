import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extensionId, useVsCode } from './support/session';

// The probe command is hidden from the palette, so the test binds it to keys, as a user could.
const probe = 'tally.internal.storageProbe';
const first = `first-${process.pid}`;
const second = `second-${process.pid}`;
const keys = {
  appendFirst: 'Control+Alt+Shift+F7',
  appendSecond: 'Control+Alt+Shift+F8',
  read: 'Control+Alt+Shift+F9',
};

/** The probe files under the profile's workspace storage (the extension's `context.storageUri`). */
function probeFiles(userDataDir: string): string[] {
  const root = join(userDataDir, 'User/workspaceStorage');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((hash) => join(root, hash, extensionId, 'storage-probe.txt'))
    .filter((file) => existsSync(file));
}

describe('workspace storage survives a reload and a restart', () => {
  const vs = useVsCode({
    name: 'storage',
    trust: true,
    keybindings: [
      { key: 'ctrl+alt+shift+f7', command: probe, args: { append: first } },
      { key: 'ctrl+alt+shift+f8', command: probe, args: { append: second } },
      { key: 'ctrl+alt+shift+f9', command: probe },
    ],
  });

  /** Presses a probe key and returns the notification the probe shows. */
  async function pressProbe(key: string): Promise<string> {
    const { workbench } = vs();
    await workbench.clearNotifications();
    await workbench.press(key);
    return workbench.notification(/^Tally storage probe:/);
  }

  it('writes a value under the workspace storage folder', async () => {
    const shown = await pressProbe(keys.appendFirst);
    await vs().check('probe wrote the first value', () => {
      assert.equal(shown, `Tally storage probe: [${first}]`);
      const files = probeFiles(vs().profile.userDataDir);
      assert.equal(files.length, 1, 'one probe file in the workspace storage on the server');
      assert.equal(readFileSync(files[0] ?? '', 'utf8'), `${first}\n`);
    });
  });

  it('reads it back after "Developer: Reload Window"', async () => {
    await vs().workbench.reloadWindow();
    const shown = await pressProbe(keys.read);
    await vs().check('value there after reload', () =>
      assert.equal(shown, `Tally storage probe: [${first}]`),
    );
  });

  it('reads it back after code-server restarts on the same profile (the workspace reopened)', async () => {
    await vs().reopenWorkspace();
    const shown = await pressProbe(keys.read);
    await vs().check('value there after restart', () =>
      assert.equal(shown, `Tally storage probe: [${first}]`),
    );
  });

  it('appends to it after the restart', async () => {
    const shown = await pressProbe(keys.appendSecond);
    await vs().check('second value appended', () => {
      assert.equal(shown, `Tally storage probe: [${first}, ${second}]`);
      assert.equal(probeFiles(vs().profile.userDataDir).length, 1, 'still the same workspace storage folder');
    });
  });
});
