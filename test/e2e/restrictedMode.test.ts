import assert from 'node:assert/strict';
import { readManifest } from './support/paths';
import { useVsCode } from './support/session';
import { tallyView } from './support/tally';

const manifest = readManifest() as ReturnType<typeof readManifest> & {
  capabilities?: { untrustedWorkspaces?: { supported?: unknown } };
};
const container = manifest.contributes.viewsContainers?.activitybar?.[0];
const webviews = (container ? (manifest.contributes.views?.[container.id] ?? []) : []).filter(
  // A view that starts collapsed renders only once opened; the others show what the user sees first.
  (v) => v.type === 'webview' && v.visibility !== 'collapsed',
);

describe('restricted mode (the folder is not trusted)', () => {
  const vs = useVsCode({ name: 'restricted mode', trust: false });

  it('runs the workbench in Restricted Mode', async () => {
    const { workbench } = vs();
    await vs().check('status bar says Restricted Mode', async () => {
      await workbench.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor();
      assert.equal(await workbench.isRestricted(), true);
    });
  });

  it('still offers Tally, which declares limited support for untrusted workspaces', async () => {
    assert.equal(manifest.capabilities?.untrustedWorkspaces?.supported, 'limited');
    assert.ok(container, 'the manifest contributes an activity-bar container');
    const { workbench } = vs();
    await vs().check(`${container.title} container in restricted mode`, async () => {
      await workbench.openViewContainer(container.title);
      for (const view of webviews) await workbench.viewHeader(view.name).waitFor();
    });
  });

  it('shows its restricted-mode message in a view', async () => {
    const { workbench } = vs();
    const shown: Record<string, string> = {};
    for (const view of webviews) {
      const webview = await tallyView(workbench, view.id.replace(/^tally\./, ''));
      shown[view.name] = await webview.waitForText(/\S/);
    }
    await vs().check('a view says Restricted mode', () => {
      const saying = Object.entries(shown).filter(([, text]) => /(^|\n)Restricted mode: /.test(text));
      assert.ok(saying.length > 0, `a view shows "Restricted mode: ..."; they show ${JSON.stringify(shown)}`);
    });
  });
});
