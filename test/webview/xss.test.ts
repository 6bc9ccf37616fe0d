/**
 * A corpus of XSS vectors (the OWASP cheat-sheet families) placed everywhere text from outside
 * reaches the webviews: model answers, tool arguments and results, file names, session titles,
 * model names, error messages. Rendered by the real webview bundle under the real CSP in headless
 * Chromium. Each payload tries to set `window.__pwned`; the test counts executions (must be 0)
 * and checks that nothing executable reached the DOM.
 */
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { ChatItem, HostToWebview } from '../../src/shared/protocol';
import {
  buildWebview,
  type Harness,
  launchChromium,
  openView,
  post,
  startHarness,
  violations,
} from './harness';
import { sampleChat, sampleUsage } from './samples';

const P = (n: number) => `window.__pwned=(window.__pwned||[]).concat(${n})`;

/** 60 vectors: script tags, event handlers, URL schemes, SVG/MathML, CSS, encodings, markdown. */
const VECTORS: string[] = [
  `<script>${P(1)}</script>`,
  `<SCRIPT SRC=data:text/javascript,${P(2)}></SCRIPT>`,
  `<img src=x onerror="${P(3)}">`,
  `<IMG SRC=# onmouseover="${P(4)}">`,
  `<img src=x:alert(1) onerror=eval(atob('d2luZG93Ll9fcHduZWQ9WzVd'))>`,
  `<body onload="${P(6)}">`,
  `<svg onload="${P(7)}"></svg>`,
  `<svg><script>${P(8)}</script></svg>`,
  `<svg><animate onbegin="${P(9)}" attributeName=x dur=1s>`,
  `<math><mtext><table><mglyph><style><img src=x onerror="${P(10)}">`,
  `<iframe src="javascript:${P(11)}"></iframe>`,
  `<iframe srcdoc="<script>parent.${P(12)}</script>"></iframe>`,
  `<object data="javascript:${P(13)}"></object>`,
  `<embed src="javascript:${P(14)}">`,
  `<a href="javascript:${P(15)}">click</a>`,
  `<a href="JaVaScRiPt:${P(16)}">click</a>`,
  `<a href="&#106;avascript:${P(17)}">click</a>`,
  `<a href="jav&#x09;ascript:${P(18)}">click</a>`,
  `<a href=" javascript:${P(19)}">click</a>`,
  `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>`,
  `<a href="vbscript:msgbox(1)">v</a>`,
  `[md](javascript:${P(22)})`,
  `[md](JAVASCRIPT:${P(23)})`,
  `[md](  javascript:${P(24)}  )`,
  `[md](java\nscript:${P(25)})`,
  `[md](data:text/html,<script>${P(26)}</script>)`,
  `[md](&#106;avascript:${P(27)})`,
  `[md](https://ok.example" onmouseover="${P(28)})`,
  `![img](javascript:${P(29)})`,
  `![img](x" onerror="${P(30)})`,
  `<javascript:${P(31)}>`,
  `<div style="background:url(javascript:${P(32)})">s</div>`,
  `<style>@import 'javascript:${P(33)}';</style>`,
  `<link rel=stylesheet href="javascript:${P(34)}">`,
  `<meta http-equiv="refresh" content="0;url=javascript:${P(35)}">`,
  `<base href="javascript:${P(36)}//">`,
  `<form action="javascript:${P(37)}"><button>go</button></form>`,
  `<input autofocus onfocus="${P(38)}">`,
  `<details open ontoggle="${P(39)}">`,
  `<video><source onerror="${P(40)}"></video>`,
  `<audio src=x onerror="${P(41)}">`,
  `<marquee onstart="${P(42)}">m</marquee>`,
  `<select autofocus onfocus="${P(43)}">`,
  `<textarea autofocus onfocus="${P(44)}">`,
  `<keygen autofocus onfocus="${P(45)}">`,
  `"><script>${P(46)}</script>`,
  `'><img src=x onerror=${P(47)}>`,
  `</title><script>${P(48)}</script>`,
  `</textarea><script>${P(49)}</script>`,
  `<scr<script>ipt>${P(50)}</scr</script>ipt>`,
  `%3Cscript%3E${P(51)}%3C/script%3E`,
  `&lt;script&gt;${P(52)}&lt;/script&gt;`,
  `\u003cscript\u003e${P(53)}\u003c/script\u003e`,
  `<img src="x` + '`' + `onerror=${P(54)}>`,
  `<template><script>${P(55)}</script></template>`,
  `<noscript><p title="</noscript><img src=x onerror=${P(56)}>">`,
  `<xmp><p title="</xmp><img src=x onerror=${P(57)}>">`,
  '```\n</code></pre><img src=x onerror="' + P(58) + '">\n```',
  `\`<img src=x onerror="${P(59)}">\``,
  `| a | b |\n|---|---|\n| <img src=x onerror="${P(60)}"> | [t](javascript:${P(60)}) |`,
];

describe('XSS corpus in the real webviews (headless Chromium, real CSP)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let harness: Harness;

  before(async () => {
    await buildWebview();
    harness = await startHarness();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await harness?.close();
  });

  async function inertCheck(page: Page): Promise<void> {
    // Give anything that could fire (autofocus, onload, animations, refresh) the time to.
    await page.waitForTimeout(300);
    const pwned = await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned);
    assert.equal(pwned, undefined, `a payload ran: ${JSON.stringify(pwned)}`);
    const bad = await page.evaluate(() => {
      const found: string[] = [];
      // Everything the view built (the page's own head is not the view's).
      for (const el of document.querySelectorAll('#root *')) {
        const tag = el.tagName.toLowerCase();
        if (
          [
            'script',
            'iframe',
            'object',
            'embed',
            'img',
            'svg',
            'math',
            'form',
            'base',
            'meta',
            'link',
          ].includes(tag)
        ) {
          // The view draws its own charts as SVG; anything else of these is foreign.
          if (tag !== 'svg') found.push(tag);
        }
        for (const a of el.attributes) {
          if (/^on/i.test(a.name)) found.push(`${tag}[${a.name}]`);
          if (
            ['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name) &&
            /^\s*(javascript|data|vbscript):/i.test(a.value)
          ) {
            found.push(`${tag}[${a.name}=${a.value.slice(0, 20)}]`);
          }
        }
      }
      return found;
    });
    assert.deepEqual(bad, [], 'nothing executable in the DOM');
    // The CSP reports what it blocked; nothing may have needed blocking, since nothing executable was built.
    assert.deepEqual(await violations(page), [], 'no CSP violations');
  }

  it(`renders ${VECTORS.length} vectors in answers, tool calls, tool results, file names and the title as inert text (chat)`, async () => {
    assert.ok(VECTORS.length >= 50);
    const { page, errors } = await openView(browser, harness, 'chat', 'dark', { height: 1200 });
    const base = sampleChat();
    const items: ChatItem[] = [];
    VECTORS.forEach((v, i) => {
      items.push({ kind: 'user', id: `u${i}`, turnId: `t${i}`, text: v });
      items.push({
        kind: 'assistant',
        id: `a${i}`,
        turnId: `t${i}`,
        requestId: `r${i}`,
        text: `Answer ${i}:\n\n${v}`,
      });
      items.push({
        kind: 'tool',
        id: `tool${i}`,
        turnId: `t${i}`,
        toolCallId: `c${i}`,
        toolName: i % 2 ? 'read_file' : v.slice(0, 40),
        input: { path: v, pattern: v },
        output: v,
        isError: i % 3 === 0,
        ...(i % 5 === 0
          ? { approval: { kind: 'write' as const, preview: { path: v, before: v, after: `${v}\n${v}` } } }
          : {}),
      });
      items.push({ kind: 'error', id: `e${i}`, turnId: `t${i}`, text: v });
    });
    const msgs: HostToWebview[] = [
      { type: 'init', view: 'chat', trusted: true },
      { type: 'chat.snapshot', snapshot: { ...base, title: VECTORS.join(' '), model: VECTORS[0]!, items } },
    ];
    await post(page, ...msgs);
    // Expand every collapsed result, so hidden text is rendered too.
    await page.evaluate(() => {
      for (const d of document.querySelectorAll('details')) d.open = true;
    });
    await inertCheck(page);
    const text = await page.evaluate(() => document.body.innerText);
    assert.ok(text.includes('<script>'), 'the markup is shown as text');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('renders the vectors in session titles, model names and errors as inert text (usage)', async () => {
    const { page, errors } = await openView(browser, harness, 'usage', 'light', { height: 900 });
    const snap = sampleUsage({ turns: VECTORS.length });
    snap.stats.title = VECTORS.join(' ');
    snap.stats.model = VECTORS[2]!;
    snap.stats.turns.forEach((t, i) => {
      t.model = VECTORS[i]!;
      for (const r of t.requests) {
        r.model = VECTORS[i]!;
        r.error = VECTORS[(i + 1) % VECTORS.length]!;
      }
      t.error = VECTORS[i]!;
    });
    await post(
      page,
      { type: 'init', view: 'usage', trusted: true },
      { type: 'usage.snapshot', snapshot: snap },
    );
    // Open every turn: requests and their errors render too.
    await page.evaluate(() => {
      for (const el of document.querySelectorAll('[aria-expanded="false"]')) (el as HTMLElement).click();
    });
    await post(page, { type: 'error', message: VECTORS.join('\n') });
    await inertCheck(page);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
