import assert from 'node:assert/strict';
import { readManifest } from './support/paths';
import { listeningSockets, markedProcesses } from './support/processes';
import { useVsCode } from './support/session';
import { tallyView } from './support/tally';

const manifest = readManifest();
const container = manifest.contributes.viewsContainers?.activitybar?.[0];
const views = container ? (manifest.contributes.views?.[container.id] ?? []) : [];
const hidden = new Set(
  (manifest.contributes.menus?.commandPalette ?? []).filter((m) => m.when === 'false').map((m) => m.command),
);
const label = (c: { title: string; category?: string }) =>
  c.category ? `${c.category}: ${c.title}` : c.title;
const commands = manifest.contributes.commands ?? [];

describe('Tally activates in a real VS Code', () => {
  const vs = useVsCode({ name: 'activation', trust: true });

  it('has an activity-bar container with its views', async () => {
    assert.ok(container, 'the manifest contributes an activity-bar container');
    const { workbench } = vs();
    await vs().check(
      `${container.title} container shows ${views.map((v) => v.name).join(', ')}`,
      async () => {
        await workbench.openViewContainer(container.title);
        for (const view of views) await workbench.viewHeader(view.name).waitFor();
        assert.equal(await workbench.sideBarTitle(container.title).count(), 1);
      },
    );
  });

  it('renders each of its webview views', async () => {
    const { workbench } = vs();
    // A view that starts collapsed (Spending) renders once the user opens it.
    for (const view of views.filter((v) => v.type === 'webview' && v.visibility !== 'collapsed')) {
      const id = view.id.replace(/^tally\./, '');
      await vs().check(`${view.name} view rendered`, async () => {
        const webview = await tallyView(workbench, id);
        const text = await webview.waitForText(/\S/);
        assert.doesNotMatch(text, /Restricted mode/, 'a trusted folder shows no restricted-mode message');
      });
    }
  });

  it('lists its commands in the palette and hides the internal ones', async () => {
    const { workbench } = vs();
    const visible = commands.filter((c) => !hidden.has(c.command)).map(label);
    assert.ok(visible.length > 0, 'the manifest contributes a visible command');
    // One look at everything in the category; what did not fit in the list is looked up by name.
    const categories = [...new Set(commands.map((c) => c.category).filter((c) => c !== undefined))];
    const listed = new Set<string>();
    for (const category of categories) {
      for (const shown of await workbench.paletteCommands(`${category}: `, { keepOpen: true }))
        listed.add(shown);
      await vs().shot(`palette lists ${category} commands`);
      await workbench.closeQuickInput();
    }
    for (const name of visible.filter((v) => !listed.has(v))) {
      for (const shown of await workbench.paletteCommands(name)) listed.add(shown);
    }
    assert.deepEqual(
      visible.filter((v) => !listed.has(v)),
      [],
      'every contributed command is in the palette',
    );
    for (const command of commands.filter((c) => hidden.has(c.command))) {
      const shown = await workbench.paletteCommands(label(command), { keepOpen: true });
      await vs().check(`palette hides ${label(command)}`, () =>
        assert.ok(
          !shown.includes(label(command)),
          `"${label(command)}" is hidden, but the palette shows ${shown}`,
        ),
      );
      await workbench.closeQuickInput();
    }
  });

  it('runs "Tally: Show Usage" from the palette, which reveals the Usage view', async () => {
    const { workbench } = vs();
    await workbench.openViewContainer('Explorer');
    await workbench.runCommand('Tally: Show Usage');
    await vs().check('Show Usage revealed the Usage view', async () => {
      await workbench.sideBarTitle('Tally').waitFor();
      const header = workbench.viewHeader('Usage');
      assert.equal(await header.getAttribute('aria-expanded'), 'true');
      await tallyView(workbench, 'usage');
    });
  });

  it('listens on 127.0.0.1 only (code-server, extension host, Chromium)', async () => {
    const processes = markedProcesses();
    const sockets = listeningSockets(processes.map((p) => p.pid));
    await vs().check('listening sockets are on loopback', () => {
      assert.ok(
        sockets.some((s) => s.port === vs().server.port),
        `code-server's port is among ${JSON.stringify(sockets)}`,
      );
      const outside = sockets.filter((s) => s.address !== '127.0.0.1');
      assert.deepEqual(outside, [], 'every listening socket is bound to 127.0.0.1');
    });
  });
});
