import * as vscode from 'vscode';

/** The probe's command id: hidden from the palette, bound to a key by the end-to-end tests. */
export const storageProbeCommand = 'tally.internal.storageProbe';

const probeFile = 'storage-probe.txt';

/** Reads the optional `{ append: string }` a keybinding passes; anything else appends nothing. */
function appendArg(args: unknown): string | undefined {
  if (typeof args !== 'object' || args === null) return undefined;
  const append = (args as { append?: unknown }).append;
  return typeof append === 'string' && append.length > 0 && append.length <= 200 && !/[\r\n]/.test(append)
    ? append
    : undefined;
}

/**
 * Registers a command that proves files under `context.storageUri` survive a reload and a restart:
 * it appends a line to a small file there (when given `{ append }`), reads the file back, shows its
 * lines in a notification the tests read, and returns the file's contents.
 */
export function registerStorageProbe(context: vscode.ExtensionContext): vscode.Disposable {
  return vscode.commands.registerCommand(storageProbeCommand, async (args?: unknown) => {
    const dir = context.storageUri;
    if (!dir) {
      void vscode.window.showWarningMessage('Tally storage probe: no workspace is open.');
      return undefined;
    }
    const file = vscode.Uri.joinPath(dir, probeFile);
    let contents = '';
    try {
      contents = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    } catch (err) {
      if (!(err instanceof vscode.FileSystemError && err.code === 'FileNotFound')) throw err;
    }
    const append = appendArg(args);
    if (append !== undefined) {
      contents += `${append}\n`;
      await vscode.workspace.fs.createDirectory(dir);
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(contents));
    }
    const lines = contents.split('\n').filter((l) => l.length > 0);
    void vscode.window.showInformationMessage(`Tally storage probe: [${lines.join(', ')}]`);
    return contents;
  });
}
