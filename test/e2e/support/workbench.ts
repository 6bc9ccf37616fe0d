/**
 * A page object for the VS Code workbench that code-server serves: what a person does with the
 * mouse and keyboard (the command palette, the activity bar, dialogs, notifications), and a way
 * into an extension's webview views, which are nested iframes.
 */
import type { Frame, Locator, Page } from 'playwright-core';

/** Escapes text for use inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What picks one webview view among an extension's: its body's data-view, or its document title. */
export interface WebviewViewQuery {
  /** `publisher.name` of the extension that owns the view. */
  extensionId: string;
  /** The `data-view` attribute of the view's <body>. */
  view?: string;
  /** The view document's <title>. */
  title?: string | RegExp;
  timeout?: number;
}

/** The inner document of one webview view: read it, click in it, look at its computed styles. */
export class WebviewView {
  constructor(readonly frame: Frame) {}

  /** A locator inside the view's document. */
  locator(selector: string): Locator {
    return this.frame.locator(selector);
  }

  /** The text of the view as a person sees it (hidden elements left out). */
  async text(): Promise<string> {
    return (await this.frame.locator('body').evaluate((body: HTMLElement) => body.innerText)).trim();
  }

  /** Waits until an element whose text matches is visible in the view, and returns the view's text. */
  async waitForText(match: RegExp, timeout = 15_000): Promise<string> {
    await this.frame.getByText(match).first().waitFor({ state: 'visible', timeout });
    return this.text();
  }

  /** Clicks an element of the view, as a person would. */
  async click(selector: string): Promise<void> {
    await this.frame.locator(selector).first().click();
  }

  /** Where the view sits on the page (its outer iframe's box, in CSS pixels). */
  async box(): Promise<{ x: number; y: number; width: number; height: number }> {
    const outer = this.frame.parentFrame();
    const box = outer ? await (await outer.frameElement()).boundingBox() : null;
    if (!box) throw new Error('the webview view is not on the page');
    return box;
  }

  /** Resolves a CSS colour (e.g. `var(--vscode-foreground)`) in the view's document to `rgb(...)`. */
  async resolveColor(css: string): Promise<string> {
    return this.frame.evaluate(resolveColorInDocument, css);
  }

  /** Computed style properties (CSS properties or custom properties) of the first matching element. */
  async style(selector: string, properties: string[]): Promise<Record<string, string>> {
    return this.frame
      .locator(selector)
      .first()
      .evaluate((el, props) => {
        const cs = getComputedStyle(el);
        return Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p).trim()]));
      }, properties);
  }
}

/** Resolves a CSS colour in the current document to its computed `rgb(...)` form (runs in the page). */
function resolveColorInDocument(css: string): string {
  const probe = document.createElement('div');
  probe.style.color = css;
  (document.querySelector('.monaco-workbench') ?? document.body).appendChild(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color;
}

/** The workbench in one browser page. */
export class Workbench {
  constructor(readonly page: Page) {}

  /** Opens the workbench at `url` and waits until it has rendered its parts. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.waitForWorkbench();
  }

  /** Waits for the workbench's activity bar, which appears once the window has restored. */
  async waitForWorkbench(timeout = 60_000): Promise<void> {
    await this.page.locator('.monaco-workbench .part.activitybar .action-item').first().waitFor({ timeout });
  }

  /** Answers the "Do you trust the authors" dialog a fresh profile shows for a new folder. */
  async answerTrustDialog(trust: boolean, timeout = 30_000): Promise<void> {
    const dialog = this.page.locator('.monaco-dialog-box', { hasText: 'Do you trust the authors' });
    const label = trust ? 'Yes, I trust the authors' : "No, I don't trust the authors";
    await dialog.locator('.monaco-button', { hasText: label }).first().click({ timeout });
    await dialog.waitFor({ state: 'detached' });
  }

  /** Whether the status bar shows the Restricted Mode item. */
  async isRestricted(): Promise<boolean> {
    return (await this.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).count()) > 0;
  }

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** Opens the command palette (F1) with `text` typed after the `>`. */
  private async openPalette(text: string): Promise<void> {
    await this.page.keyboard.press('F1');
    await this.quickInput.waitFor({ state: 'visible' });
    await this.quickInput.locator('.quick-input-box input').fill(`>${text}`);
  }

  /** Closes the palette or any quick pick (Escape). */
  async closeQuickInput(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Runs a command from the palette by its label as shown there, e.g. "Tally: Show Usage". */
  async runCommand(label: string): Promise<void> {
    await this.openPalette(label);
    await this.pick(label, 'the command palette');
  }

  /** In an open quick pick (a theme picker, say), types `label` and picks the item shown exactly so. */
  async pickQuickItem(label: string): Promise<void> {
    await this.quickInput.waitFor({ state: 'visible' });
    await this.quickInput.locator('.quick-input-box input').fill(label);
    await this.pick(label, 'the quick pick');
  }

  private async pick(label: string, where: string): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    const typed = await input.inputValue();
    const row = this.quickInput
      .locator('.monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
    try {
      await row.first().click({ timeout: 10_000 });
    } catch (err) {
      const shown = await this.quickInput.locator('.monaco-list-row .label-name').allInnerTexts();
      await this.closeQuickInput().catch(() => undefined);
      throw new Error(`"${label}" is not in ${where} (it shows: ${shown.join('; ') || 'nothing'})`, {
        cause: err,
      });
    }
    // Done when the widget closes, or when it shows the next pick (a command may open one).
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!(await this.quickInput.isVisible()) || (await input.inputValue().catch(() => '')) !== typed)
        return;
      await this.page.waitForTimeout(100);
    }
    throw new Error(`picking "${label}" in ${where} did not close it`);
  }

  /**
   * The labels the palette lists for `filter` (it renders only what fits: keep the filter narrow).
   * With `keepOpen` the palette stays open, for a screenshot; `closeQuickInput()` closes it.
   */
  async paletteCommands(filter: string, { keepOpen = false } = {}): Promise<string[]> {
    await this.openPalette(filter);
    const labels = this.quickInput.locator('.monaco-list-row .label-name');
    // The list updates as it filters: read it until it stops changing.
    let last: string[] = [];
    for (let i = 0; i < 40; i++) {
      await this.page.waitForTimeout(150);
      const now = await labels.allInnerTexts();
      const stable = now.join('\n') === last.join('\n');
      last = now;
      if (stable && (now.length > 0 || i >= 6)) break;
    }
    if (!keepOpen) await this.closeQuickInput();
    return last;
  }

  /** The activity bar's entry for a view container, by its title ("Explorer" matches "Explorer (Ctrl+Shift+E)"). */
  activityBarItem(title: string): Locator {
    const item = (attr: string) => `.part.activitybar .action-item:has(> a.action-label[aria-label${attr}])`;
    return this.page.locator(`${item(`="${title}"`)}, ${item(`^="${title} ("`)}`);
  }

  /** Shows a view container in the side bar by clicking its activity-bar entry (unless it is shown). */
  async openViewContainer(title: string, timeout = 30_000): Promise<void> {
    const item = this.activityBarItem(title);
    await item.waitFor({ timeout });
    const heading = this.sideBarTitle(title);
    const sideBar = this.page.locator('.part.sidebar');
    const deadline = Date.now() + timeout;
    let seen = '';
    for (let look = 0; ; look++) {
      if (await heading.isVisible()) return;
      const selected = (await item.getAttribute('aria-selected')) === 'true';
      const shown = await sideBar.isVisible();
      seen = `activity-bar entry ${selected ? '' : 'not '}selected, side bar ${shown ? 'shown' : 'hidden'}`;
      if (Date.now() > deadline) throw new Error(`the side bar does not show ${title} (${seen})`);
      if (!selected || !shown) {
        // Not selected: a click shows it. Selected with the side bar hidden (as a reload may
        // restore it): a click shows the side bar again.
        await item.click();
        await this.page.mouse.move(700, 400); // off the activity bar, so its hover does not cover the views
      } else if (look > 0 && look % 10 === 0) {
        // Selected and shown, yet its title is not: the workbench is still laying out after a
        // reload. Showing the container from the palette makes it lay the side bar out again.
        await this.runCommand(`View: Show ${title}`).catch(() => undefined);
      }
      await this.page.waitForTimeout(300);
    }
  }

  /** The side bar's title when it shows the given container. */
  sideBarTitle(title: string): Locator {
    return this.page.locator('.part.sidebar .composite.title h2', {
      hasText: new RegExp(`^${escapeRegExp(title)}$`, 'i'),
    });
  }

  /** A view's section header in the side bar, by the view's name. */
  viewHeader(name: string): Locator {
    return this.page.locator(`.part.sidebar .pane-header[aria-label="${name} Section"]`);
  }

  /**
   * Finds an extension's webview view by its `data-view` or title. Webview views are an
   * `iframe.webview` (whose src names the extension; a view shown again loses its
   * `purpose=webviewView`) holding the view's document in its `#active-frame`. The view must be
   * visible for its frame to exist.
   */
  async webviewView(query: WebviewViewQuery): Promise<WebviewView> {
    const deadline = Date.now() + (query.timeout ?? 30_000);
    let states: string[] = [];
    while (Date.now() < deadline) {
      const now: string[] = [];
      for (const frame of this.page.frames()) {
        const src = frame.parentFrame()?.url() ?? '';
        if (!src.includes(`extensionId=${query.extensionId}&`)) continue;
        try {
          const id = await (await frame.frameElement()).getAttribute('id');
          if (id !== 'active-frame') {
            now.push(`a ${id ?? 'frame'} not loaded yet`);
            continue;
          }
          const doc = await frame.evaluate(() => ({
            view: document.body?.dataset.view,
            title: document.title,
          }));
          now.push(`${doc.view ?? '?'} "${doc.title}"`);
          if (query.view !== undefined && doc.view !== query.view) continue;
          if (typeof query.title === 'string' && doc.title !== query.title) continue;
          if (query.title instanceof RegExp && !query.title.test(doc.title)) continue;
          return new WebviewView(frame);
        } catch (err) {
          now.push(`a frame going away (${(err as Error).message.split('\n')[0]})`); // look again
        }
      }
      states = now;
      await this.page.waitForTimeout(200);
    }
    const outer = await this.page.locator(`iframe.webview[src*="extensionId=${query.extensionId}&"]`).count();
    throw new Error(
      `no webview view of ${query.extensionId} with ${JSON.stringify({ view: query.view, title: query.title?.toString() })}` +
        ` in ${outer} webview iframe(s) of the extension (found: ${states.join(', ') || 'none'}); is the view visible?`,
    );
  }

  /** Waits for a notification toast whose message matches, settled, and returns its message. */
  async notification(match: RegExp, timeout = 15_000): Promise<string> {
    const message = this.page
      .locator('.notification-toast.notification-fade-in-done .notification-list-item-message')
      .filter({ hasText: match })
      .first();
    await message.waitFor({ timeout });
    return ((await message.textContent()) ?? '').trim();
  }

  /** Clears every notification, from the palette. */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
    await this.page.locator('.notification-toast').first().waitFor({ state: 'detached' });
  }

  /** Resolves a CSS colour (e.g. `var(--vscode-foreground)`) in the workbench to `rgb(...)`. */
  async resolveColor(css: string): Promise<string> {
    return this.page.evaluate(resolveColorInDocument, css);
  }

  /** The colour of the pixel at (x, y) as the screen shows it, `rgb(r, g, b)`. */
  async pixel(x: number, y: number): Promise<string> {
    const png = await this.page.screenshot({ clip: { x, y, width: 1, height: 1 } });
    return this.page.evaluate(async (base64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${base64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = 1;
      canvas.height = 1;
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2d canvas');
      ctx.drawImage(img, 0, 0);
      const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
      return `rgb(${r}, ${g}, ${b})`;
    }, png.toString('base64'));
  }

  /** Presses a key chord in the workbench, e.g. "Control+Alt+Shift+F9". */
  async press(chord: string): Promise<void> {
    await this.page.keyboard.press(chord);
  }

  /** Runs "Developer: Reload Window" and waits for the reloaded workbench. */
  async reloadWindow(): Promise<void> {
    const reloaded = this.page.waitForEvent('load', { timeout: 60_000 });
    await this.runCommand('Developer: Reload Window');
    await reloaded;
    await this.waitForWorkbench();
  }
}
