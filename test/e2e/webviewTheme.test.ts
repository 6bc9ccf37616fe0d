import assert from 'node:assert/strict';
import { useVsCode } from './support/session';
import { tallyView } from './support/tally';

/** What the Usage view looks like against the workbench's theme, read from the page. */
async function usageColours(vs: ReturnType<typeof useVsCode>) {
  const { workbench } = vs();
  await workbench.openViewContainer('Tally');
  const usage = await tallyView(workbench, 'usage');
  const text = await usage.waitForText(/\S/);
  const body = await usage.style('body', ['color', 'font-family']);
  const box = await usage.box();
  return {
    text,
    body,
    theme: {
      foreground: await workbench.resolveColor('var(--vscode-foreground)'),
      sideBar: await workbench.resolveColor('var(--vscode-sideBar-background)'),
      fontFamily: await workbench.page
        .locator('.monaco-workbench')
        .evaluate((el) => getComputedStyle(el).fontFamily),
    },
    webviewVars: {
      foreground: await usage.resolveColor('var(--vscode-foreground)'),
      sideBar: await usage.resolveColor('var(--vscode-sideBar-background)'),
    },
    // A blank spot of the view, away from its text: the theme's side-bar background shows through.
    blankPixel: await workbench.pixel(
      Math.round(box.x + box.width - 12),
      Math.round(box.y + box.height - 12),
    ),
  };
}

describe('a webview view renders with the theme', () => {
  const vs = useVsCode({
    name: 'webview theme',
    trust: true,
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });
  let dark: Awaited<ReturnType<typeof usageColours>>;

  it("renders its content in the theme's foreground, font and background", async () => {
    dark = await usageColours(vs);
    await vs().check('Usage view in Dark Modern', () => {
      assert.match(dark.text, /No session yet/);
      assert.deepEqual(dark.webviewVars, { foreground: dark.theme.foreground, sideBar: dark.theme.sideBar });
      assert.equal(dark.body.color, dark.theme.foreground);
      assert.equal(dark.body['font-family'], dark.theme.fontFamily);
      assert.equal(dark.blankPixel, dark.theme.sideBar);
    });
  });

  it('follows a change of colour theme made from the palette', async () => {
    const { workbench } = vs();
    await workbench.runCommand('Preferences: Color Theme');
    await workbench.pickQuickItem('Light Modern');
    let light = await usageColours(vs);
    // The workbench restyles (under load, not at once); the webview gets its new variables after it.
    for (
      let i = 0;
      i < 60 &&
      (light.theme.foreground === dark.theme.foreground || light.body.color !== light.theme.foreground);
      i++
    ) {
      await workbench.page.waitForTimeout(250);
      light = await usageColours(vs);
    }
    await vs().check('Usage view in Light Modern', () => {
      assert.notEqual(light.theme.foreground, dark.theme.foreground, 'the theme changed');
      assert.notEqual(light.theme.sideBar, dark.theme.sideBar, 'the theme changed');
      assert.deepEqual(light.webviewVars, {
        foreground: light.theme.foreground,
        sideBar: light.theme.sideBar,
      });
      assert.equal(light.body.color, light.theme.foreground);
      assert.equal(light.blankPixel, light.theme.sideBar);
    });
  });
});
