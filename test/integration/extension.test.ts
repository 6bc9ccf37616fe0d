/**
 * Runs inside the VS Code extension host under @vscode/test-cli (`npx vscode-test`, which
 * downloads VS Code: contributors with internet only, not CI). The end-to-end suite in test/e2e
 * covers the same ground through the UI, offline, in code-server.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const extensionId = 'tally.tally';

describe('Tally in the extension host', () => {
  it('activates and registers its commands', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `${extensionId} is installed`);
    await extension.activate();
    assert.equal(extension.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['tally.showUsage', 'tally.internal.storageProbe']) {
      assert.ok(commands.includes(command), `${command} is registered`);
    }
  });

  it('reveals the Usage view from its command', async () => {
    await vscode.commands.executeCommand('tally.showUsage');
  });

  it('appends to and reads back a file in workspace storage', async () => {
    const value = `integration-${Date.now()}`;
    const written = await vscode.commands.executeCommand<string>('tally.internal.storageProbe', {
      append: value,
    });
    assert.ok(written.endsWith(`${value}\n`), `the probe returned ${JSON.stringify(written)}`);
    const read = await vscode.commands.executeCommand<string>('tally.internal.storageProbe');
    assert.equal(read, written);
  });
});
