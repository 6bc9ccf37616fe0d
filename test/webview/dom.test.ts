/**
 * The webview bundle in headless Chromium, under the real CSP: safe rendering of hostile model
 * text, keyboard use, what it posts to the host, the virtualized table and saved UI state.
 *
 *   npx mocha --no-config -n import=tsx --timeout 60000 test/webview/dom.test.ts
 */
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { ChatItem } from '../../src/shared/protocol';
import {
  buildWebview,
  type Harness,
  launchChromium,
  openView,
  post,
  posted,
  savedState,
  startHarness,
  violations,
} from './harness';
import { sampleChat, sampleUsage } from './samples';

const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  '[x](javascript:window.__pwned=3)',
  '[y](JaVaScRiPt:window.__pwned=4)',
  '[z](data:text/html,<script>alert(1)</script>)',
  '<a href="javascript:alert(1)">a</a>',
  '<iframe src="https://example.com"></iframe>',
  '<svg onload="window.__pwned=5"></svg>',
  '<style>body{display:none}</style>',
  '[ok](https://example.com/ok)',
  '&lt;img src=x onerror=alert(1)&gt;',
  '```html\n<script>window.__pwned = 6</script>\n```',
  '| <b onmouseover=alert(1)>x</b> | [q](vbscript:x) |\n|---|---|\n| 1 | 2 |',
].join('\n\n');

describe('webview in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let harness: Harness;
  const pages: Page[] = [];

  before(async () => {
    await buildWebview();
    harness = await startHarness();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) {
      assert.deepEqual(await violations(p), [], 'no CSP violations');
      await p.close();
    }
  });

  async function open(
    view: 'chat' | 'usage',
    opts: { state?: unknown; width?: number; height?: number } = {},
  ) {
    const { page, errors } = await openView(browser, harness, view, 'dark', opts);
    pages.push(page);
    page.on('close', () => assert.deepEqual(errors, [], 'no page errors'));
    return page;
  }

  describe('chat', () => {
    it('renders hostile model text as text: no script, handler, frame or unsafe link reaches the DOM', async () => {
      const page = await open('chat');
      const snap = sampleChat();
      const items: ChatItem[] = [
        { kind: 'assistant', id: 'evil', turnId: 't', requestId: 'r', text: HOSTILE },
      ];
      await post(page, { type: 'chat.snapshot', snapshot: { ...snap, items } });
      const r = await page.evaluate(() => {
        const md = document.querySelector('.markdown')!;
        const all = [...md.querySelectorAll('*')];
        return {
          tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))].sort(),
          handlers: all
            .flatMap((e) => [...e.attributes].map((a) => a.name))
            .filter((n) => /^on/i.test(n) || n === 'style'),
          hrefs: [...md.querySelectorAll('a')].map((a) => a.getAttribute('href')),
          pwned: (window as unknown as { __pwned?: number }).__pwned,
          text: md.textContent,
        };
      });
      for (const bad of ['script', 'img', 'iframe', 'svg', 'style', 'b'])
        assert.ok(!r.tags.includes(bad), `no <${bad}>`);
      assert.deepEqual(r.handlers, []);
      // The bare URL inside the iframe markup becomes a plain https link; nothing else does.
      assert.deepEqual(r.hrefs, ['https://example.com/', 'https://example.com/ok']);
      assert.equal(r.pwned, undefined);
      assert.ok(r.text?.includes('<script>window.__pwned = 1</script>'), 'markup stays visible as text');
      assert.ok(r.text?.includes('<img src=x onerror=alert(1)>'));
    });

    it('Enter sends, Shift+Enter adds a line, and the draft is kept as UI state', async () => {
      const page = await open('chat');
      await post(page, { type: 'chat.snapshot', snapshot: sampleChat() });
      await page.focus('.composer-input');
      await page.keyboard.type('first line');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('second');
      assert.equal(await page.inputValue('.composer-input'), 'first line\nsecond');
      await page.waitForTimeout(300);
      assert.equal(((await savedState(page)) as { draft: string }).draft, 'first line\nsecond');
      await page.keyboard.press('Enter');
      assert.deepEqual((await posted(page)).at(-1), { type: 'chat.send', text: 'first line\nsecond' });
      assert.equal(await page.inputValue('.composer-input'), '');
    });

    it('restores the draft from saved state', async () => {
      const page = await open('chat', {
        state: { draft: 'half-written', scrollTop: 0, atBottom: true, open: [] },
      });
      assert.equal(await page.inputValue('.composer-input'), 'half-written');
    });

    it('shows Stop while a turn runs, and posts chat.stop', async () => {
      const page = await open('chat');
      await post(page, { type: 'chat.snapshot', snapshot: sampleChat({ running: true }) });
      assert.equal(await page.isVisible('button.send'), false);
      await page.click('button.stop');
      assert.deepEqual((await posted(page)).at(-1), { type: 'chat.stop' });
      await post(page, { type: 'chat.append', items: [], deltas: [], running: false });
      assert.equal(await page.isVisible('button.stop'), false);
    });

    it('Approve posts chat.approve once and disables both buttons until the host answers', async () => {
      const page = await open('chat');
      await post(page, { type: 'chat.snapshot', snapshot: sampleChat({ running: true }) });
      assert.equal(await page.locator('.diff-line.diff-add').count(), 2);
      await page.getByRole('button', { name: 'Approve' }).click();
      assert.deepEqual((await posted(page)).at(-1), {
        type: 'chat.approve',
        toolCallId: 'call-4',
        approved: true,
      });
      assert.equal(await page.getByRole('button', { name: 'Approve' }).isDisabled(), true);
      assert.equal(await page.getByRole('button', { name: 'Decline' }).isDisabled(), true);
    });

    it('the usage chip posts chat.openTurn; header buttons post session intents; model button selects a model', async () => {
      const page = await open('chat');
      await post(page, { type: 'chat.snapshot', snapshot: sampleChat() });
      await page.locator('.usage-chip').first().click();
      await page.getByRole('button', { name: 'New session' }).click();
      await page.getByRole('button', { name: 'Switch session' }).click();
      await page.getByRole('button', { name: /Model: gpt-4o/ }).click();
      const types = (await posted(page)).slice(-4);
      assert.deepEqual(types, [
        { type: 'chat.openTurn', turnId: 't1' },
        { type: 'session.new' },
        { type: 'session.switch' },
        { type: 'chat.selectModel' },
      ]);
    });

    it('shows the restricted-mode note only in an untrusted workspace', async () => {
      const page = await open('chat');
      await post(page, { type: 'chat.snapshot', snapshot: sampleChat({ trusted: false }) });
      assert.match(
        (await page.textContent('.restricted')) ?? '',
        /Restricted mode: chat works; write and command tools are off/,
      );
      assert.equal(await page.isVisible('.restricted'), true);
      await post(page, { type: 'chat.snapshot', snapshot: sampleChat({ trusted: true }) });
      assert.equal(await page.isVisible('.restricted'), false);
    });

    it('every control is reachable with Tab and has a name', async () => {
      const page = await open('chat');
      await post(page, { type: 'chat.snapshot', snapshot: sampleChat({ running: true }) });
      const names: string[] = [];
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        names.push(
          await page.evaluate(() => {
            const e = document.activeElement as HTMLElement;
            return `${e.tagName.toLowerCase()}:${e.getAttribute('aria-label') ?? e.textContent?.trim().slice(0, 30) ?? ''}`;
          }),
        );
      }
      for (const want of [
        'New session',
        'Switch session',
        'Conversation',
        'Approve',
        'Decline',
        'Message Tally',
        'Stop',
      ]) {
        assert.ok(
          names.some((n) => n.includes(want)),
          `${want} reachable: ${names.join(' | ')}`,
        );
      }
      assert.ok(
        names.every((n) => !n.endsWith(':')),
        'every stop has a name',
      );
    });
  });

  describe('usage', () => {
    const big = sampleUsage({ turns: 10_000, interrupted: [9_996], failed: [9_990], unknownPrice: [9_998] });

    it('renders 10,000 turns with only a window of rows in the DOM and a small chart', async () => {
      const page = await open('usage', { width: 800, height: 900 });
      await post(page, { type: 'usage.snapshot', snapshot: big });
      const counts = await page.evaluate(() => ({
        rows: document.querySelectorAll('.tt-rows .tt-row').length,
        svg: document.querySelectorAll('.chart-svg *').length,
        rowcount: document.querySelector('.turn-table')!.getAttribute('aria-rowcount'),
      }));
      assert.ok(counts.rows > 5 && counts.rows < 80, `rows in DOM: ${counts.rows}`);
      assert.ok(counts.svg < 500, `svg elements: ${counts.svg}`);
      assert.equal(counts.rowcount, '10001');
      await page.evaluate(() => window.scrollTo(0, 120_000));
      await page.waitForTimeout(100);
      const mid = await page.evaluate(() => {
        const rows = [...document.querySelectorAll('.tt-rows .tt-row')];
        const visible = rows.filter((r) => {
          const b = r.getBoundingClientRect();
          return b.top >= 0 && b.bottom <= innerHeight;
        });
        return { n: rows.length, first: visible[0]?.getAttribute('aria-rowindex') };
      });
      assert.ok(mid.n < 80);
      assert.ok(Number(mid.first) > 4000, `scrolled to row ${mid.first}`);
    });

    it('keyboard: arrows move the selection, Enter expands a turn into its requests, Left collapses', async () => {
      const page = await open('usage', { width: 800, height: 900 });
      await post(page, { type: 'usage.snapshot', snapshot: big });
      await page.focus('.tt-rows .tt-row[tabindex="0"]');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      let label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
      assert.match(label ?? '', /^Turn 9998,/);
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-expanded')), 'true');
      const requests = big.stats.turns[9997]!.requests.length;
      assert.equal(await page.locator('.tt-row.request').count(), requests);
      await page.keyboard.press('ArrowDown');
      label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
      assert.match(label ?? '', /^Request 1 of turn 9998/);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      assert.equal(await page.locator('.tt-row.request').count(), 0);
      await page.keyboard.press('End');
      label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
      assert.match(label ?? '', /^Turn 1,/);
      await page.waitForTimeout(300);
      const st = (await savedState(page)) as { selected: string; scrollY: number };
      assert.equal(st.selected, 't:turn-1');
      assert.ok(st.scrollY > 200_000);
    });

    it('usage.focusTurn scrolls to the turn, expands and highlights it', async () => {
      const page = await open('usage', { width: 800, height: 900 });
      await post(
        page,
        { type: 'usage.snapshot', snapshot: big },
        { type: 'usage.focusTurn', turnId: 'turn-4321' },
      );
      const row = page.locator('.tt-row.highlight');
      assert.equal(await row.count(), 1);
      assert.match((await row.getAttribute('aria-label')) ?? '', /^Turn 4321,/);
      assert.equal(await row.getAttribute('aria-expanded'), 'true');
      const box = await row.boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= 900, 'in view');
    });

    it('restores expanded rows and scroll position from saved state', async () => {
      const state = { expanded: ['turn-10000'], selected: 't:turn-10000', scrollY: 300 };
      const page = await open('usage', { width: 800, height: 900, state });
      await post(page, { type: 'usage.snapshot', snapshot: big });
      assert.equal(await page.evaluate(() => Math.round(window.scrollY)), 300);
      assert.equal(await page.locator('.tt-row.request').count(), big.stats.turns[9999]!.requests.length);
    });

    it('Export and Copy as Markdown post their intents', async () => {
      const page = await open('usage');
      await post(page, { type: 'usage.snapshot', snapshot: sampleUsage({ turns: 3 }) });
      await page.getByRole('button', { name: 'Export CSV' }).click();
      await page.getByRole('button', { name: 'Export JSON' }).click();
      await page.getByRole('button', { name: 'Copy as Markdown' }).click();
      assert.deepEqual((await posted(page)).slice(-3), [
        { type: 'usage.export', format: 'csv' },
        { type: 'usage.export', format: 'json' },
        { type: 'usage.copyMarkdown' },
      ]);
    });

    it('the gauge reads the host gauge, and the chart recolours when the theme changes', async () => {
      const page = await open('usage');
      await post(page, { type: 'usage.snapshot', snapshot: big });
      assert.equal(await page.getAttribute('[role="meter"]', 'aria-valuenow'), String(big.gauge.percent));
      assert.ok((await page.getAttribute('.gauge', 'class'))?.includes(`level-${big.gauge.level}`));
      const fill = () => page.evaluate(() => getComputedStyle(document.querySelector('.seg-noCache')!).fill);
      const before = await fill();
      await page.evaluate(() =>
        document.documentElement.style.setProperty('--vscode-charts-blue', 'rgb(1, 2, 3)'),
      );
      assert.notEqual(await fill(), before);
      assert.equal(await fill(), 'rgb(1, 2, 3)');
    });

    it('shows an empty state for no session', async () => {
      const page = await open('usage');
      await post(page, { type: 'usage.snapshot', snapshot: null });
      assert.match((await page.textContent('.usage .empty')) ?? '', /No session yet/);
    });
  });
});
