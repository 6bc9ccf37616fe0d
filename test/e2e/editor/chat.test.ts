/**
 * Issue 4 ("The editor") in a real VS Code: chat with Tally against the local model server, and
 * check that every number the Usage view, the chat's usage chips and the status bar show is what
 * `tally stats --json` prints for the same storage, before and after a reload and a reopen; a
 * stop mid-stream, hostile webview messages, model output that tries to run script, an approval
 * card, the model picker and the composer's keys. Screenshots in both default themes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { CostJson, SessionStatsJson } from '../../../src/core/report/stats';
import { formatShortTokens } from '../../../src/core/report/text';
import { inputTotal, type MockProvider, outputTotal, startMockProvider } from '../../../src/mock-provider';
import { launchBrowser } from '../support/browser';
import { useVsCode, type VsCodeSession } from '../support/session';
import {
  type ChipReading,
  cliSessions,
  cliStats,
  codiconState,
  expandAllTurns,
  readChips,
  readUsage,
  sendChat,
  setColorTheme,
  settledStatusBar,
  tallyLog,
  tallyStorage,
  tallyView,
  tokens,
  type UsageReading,
  waitForChips,
} from '../support/tally';
import { type WebviewView, Workbench } from '../support/workbench';

/** How a cost reads in the views: the exact decimal, `unknown` without a price. */
function costText(c: CostJson): string {
  if (c.cost === null) return 'unknown';
  return c.unknownCostRequests > 0 ? `$${c.cost} + unknown` : `$${c.cost}`;
}

/** Numbers in a text, in order ("of it cache read 1,207, cache write 0" → [1207, 0]). */
function numbersIn(text: string): number[] {
  return [...text.matchAll(/\d[\d,]*(\.\d+)?/g)].map((m) => Number(m[0].replace(/,/g, '')));
}

/** The Usage view's figures must be the CLI's, one by one. */
function assertUsageIs(shown: UsageReading, stats: SessionStatsJson, withRequests: boolean): void {
  const t = stats.total;
  const cw = stats.contextWindow;
  assert.equal(shown.title, stats.title);
  assert.equal(shown.totals.Cost?.value, costText(t), 'total cost');
  assert.equal(tokens(shown.totals.Input?.value ?? ''), t.inputTokens, 'input tokens');
  assert.deepEqual(
    numbersIn(shown.totals.Input?.sub ?? ''),
    [t.inputTokenDetails.cacheReadTokens, t.inputTokenDetails.cacheWriteTokens],
    'cache read and write',
  );
  assert.equal(tokens(shown.totals.Output?.value ?? ''), t.outputTokens, 'output tokens');
  assert.deepEqual(numbersIn(shown.totals.Output?.sub ?? ''), [t.outputTokenDetails.reasoningTokens]);
  assert.equal(tokens(shown.totals.Turns?.value ?? ''), t.turns, 'turns');
  assert.deepEqual(numbersIn(shown.totals.Turns?.sub ?? ''), [t.requests], 'requests');
  // The gauge: the latest request's prompt and output against the model's limit.
  assert.ok(cw.limitTokens !== null && cw.percent !== null, 'gpt-4o-mini has a known context limit');
  assert.deepEqual(numbersIn(shown.gaugeCaption), [cw.usedTokens, cw.limitTokens, cw.percent], 'gauge');
  assert.equal(
    shown.gaugeValue,
    `${formatShortTokens(cw.usedTokens)}/${formatShortTokens(cw.limitTokens)} · ${cw.percent}%`,
  );
  assert.equal(Number(shown.gaugeNow), cw.percent);
  // The table: one row per turn, and (when opened) one per request.
  const turnRows = shown.rows.filter((r) => r.kind === 'turn');
  assert.equal(turnRows.length, stats.turns.length, 'one row per turn');
  for (const turn of stats.turns) {
    const n = String(turn.index + 1);
    const row = turnRows.find((r) => r.turn === n);
    assert.ok(row, `a row for turn ${n}`);
    const what = `turn ${n}`;
    assert.equal(row.requests, String(turn.requests.length), `${what}: requests`);
    assert.equal(tokens(row.input), turn.usage.inputTokens, `${what}: input`);
    assert.equal(tokens(row.cached), turn.usage.inputTokenDetails.cacheReadTokens, `${what}: cached`);
    assert.equal(tokens(row.output), turn.usage.outputTokens, `${what}: output`);
    assert.equal(tokens(row.reasoning), turn.usage.outputTokenDetails.reasoningTokens, `${what}: reasoning`);
    assert.equal(row.cost, costText(turn), `${what}: cost`);
    if (turn.status !== 'completed') assert.ok(row.badges.includes(turn.status), `${what}: ${turn.status}`);
    if (!withRequests) continue;
    for (const [j, req] of turn.requests.entries()) {
      const r = shown.rows.find((x) => x.kind === 'request' && x.turn === `${n}.${j + 1}`);
      assert.ok(r, `a row for request ${n}.${j + 1}`);
      assert.equal(tokens(r.input), req.usage.inputTokens, `request ${n}.${j + 1}: input`);
      assert.equal(tokens(r.cached), req.usage.inputTokenDetails.cacheReadTokens);
      assert.equal(tokens(r.output), req.usage.outputTokens, `request ${n}.${j + 1}: output`);
      assert.equal(r.cost, costText(req), `request ${n}.${j + 1}: cost`);
    }
  }
}

/** The chat's chips: one per turn, its tokens and cost the turn's. */
function assertChipsAre(chips: ChipReading[], stats: SessionStatsJson): void {
  assert.equal(chips.length, stats.turns.length, 'one usage chip per turn');
  for (const [i, turn] of stats.turns.entries()) {
    const chip = chips[i] as ChipReading;
    const m = /^Turn usage: ([\d,]+) tokens, cost (.+?)(, (\w+))?\. Show in the Usage view$/.exec(chip.label);
    assert.ok(m, `chip ${i + 1} reads "${chip.label}"`);
    assert.equal(tokens(m[1] ?? ''), turn.usage.totalTokens, `chip ${i + 1}: tokens`);
    assert.equal(m[2], costText(turn), `chip ${i + 1}: cost`);
    assert.equal(m[4] ?? 'completed', turn.status, `chip ${i + 1}: status`);
    assert.equal(chip.text, `${formatShortTokens(turn.usage.totalTokens)} tokens · ${costText(turn)}`);
  }
}

/** `$0.000064 · 208/128k`: the session's cost (rounded as shown) and the gauge's label. */
function assertStatusBarIs(text: string, stats: SessionStatsJson): void {
  const m = /^\$(\d+\.\d+) · (\S+)$/.exec(text);
  assert.ok(m, `the status bar reads "${text}"`);
  const shownCost = m[1] ?? '';
  const decimals = shownCost.split('.')[1]?.length ?? 0;
  assert.equal(shownCost, Number(stats.total.cost).toFixed(decimals), 'the session cost, rounded');
  const cw = stats.contextWindow;
  assert.equal(m[2], `${formatShortTokens(cw.usedTokens)}/${formatShortTokens(cw.limitTokens ?? 0)}`);
}

describe('the editor (issue 4): chat, usage, restore, in a real VS Code', () => {
  let mock: MockProvider;
  // Filled in once the model server listens (before the session starts: hooks run in order).
  const settings: Record<string, unknown> = { 'workbench.colorTheme': 'Default Dark Modern' };
  before(async () => {
    mock = await startMockProvider({ chunkDelayMs: 2 });
    settings['tally.provider'] = 'openai-chat';
    settings['tally.model'] = 'gpt-4o-mini';
    settings['tally.baseUrls'] = { 'openai-chat': mock.baseURLs['openai-chat'] };
  });
  after(async () => {
    await mock?.close();
  });
  const vs = useVsCode({
    name: 'editor',
    trust: true,
    settings,
    files: { 'src/app.ts': 'export const answer = 42;\n' },
  });

  let storage = '';
  /** The conversation as the chat showed it before the reopen. */
  let transcript: string[] = [];
  let sessionId = '';
  /** What the views showed before the reload, to compare after it. */
  let reading: { usage: UsageReading; chips: ChipReading[]; status: string } | undefined;

  async function views(s: VsCodeSession): Promise<{ chat: WebviewView; usage: WebviewView }> {
    await s.workbench.openViewContainer('Tally');
    const chat = await tallyView(s.workbench, 'chat');
    const usage = await tallyView(s.workbench, 'usage');
    return { chat, usage };
  }

  /** A screenshot in the dark theme and one in the light theme. */
  async function shootBothThemes(label: string, view: WebviewView): Promise<void> {
    const s = vs();
    await s.shot(`${label} (dark)`);
    await setColorTheme(s.workbench, view, 'Light Modern');
    await s.shot(`${label} (light)`);
    await setColorTheme(s.workbench, view, 'Dark Modern');
  }

  it('Enter sends and Shift+Enter adds a line; two turns, one with a tool loop, against the model server', async function () {
    this.timeout(120_000);
    const { workbench, page } = vs();
    const { chat } = await views(vs());
    await vs().check('the views have their icons (the packaged codicon font loads)', async () => {
      const send = await codiconState(chat, '.composer .send .codicon');
      assert.equal(send.loaded, true, 'the codicon font is loaded in the webview');
      assert.notEqual(send.glyph, 'none', 'the Send button shows a glyph');
      let log: string[] = [];
      for (let i = 0; i < 50 && !log.some((l) => / activated in \d+ ms$/.test(l)); i++) {
        await vs().page.waitForTimeout(200);
        log = tallyLog(vs().profile.userDataDir);
      }
      assert.ok(
        log.some((l) => / activated in \d+ ms$/.test(l)),
        `Tally activated:\n${log.join('\n')}`,
      );
    });
    const input = chat.locator('textarea.composer-input');
    await input.click();
    await page.keyboard.type('Hello Tally,');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('what is in this workspace? [[tools:0]]');
    await vs().check('Shift+Enter added a line and sent nothing', async () => {
      assert.equal(await input.inputValue(), 'Hello Tally,\nwhat is in this workspace? [[tools:0]]');
      assert.equal(mock.log.length, 0, 'no request went out');
    });
    await page.keyboard.press('Enter');
    await waitForChips(chat, 1);
    await vs().check('Enter sent the two-line message; the answer has its usage chip', async () => {
      assert.equal(await input.inputValue(), '', 'the composer is empty again');
      assert.equal(mock.log.length, 1, 'one request for a turn without tools');
      const user = await chat.locator('.msg-user .msg-text').first().innerText();
      assert.equal(user, 'Hello Tally,\nwhat is in this workspace? [[tools:0]]');
      await chat.waitForText(/Hello from the Tally mock model|That answers/);
    });

    await sendChat(workbench, chat, 'Look around the workspace [[tools:2]]');
    await waitForChips(chat, 2);
    await vs().check('the second turn ran a tool loop: two list_files calls, then the answer', async () => {
      const turn2 = mock.log.slice(1);
      assert.equal(turn2.length, 3, 'three requests: two tool calls and the answer');
      assert.deepEqual(
        turn2.map((e) => e.request.lastRole),
        ['user', 'tool', 'tool'],
        'each request after the first carries a tool result',
      );
      assert.ok(turn2.every((e) => e.outcome === 'completed'));
      assert.equal(await chat.locator('.tool-card').count(), 2, 'two tool cards');
      assert.equal(await chat.locator('.tool-card .tool-state.ok').count(), 2, 'both done');
      await chat.waitForText(/I called list_files 2 times/);
    });
    await shootBothThemes('chat after two turns', chat);
  });

  it("shows in the Usage view, the chips and the status bar exactly what 'tally stats --json' prints", async function () {
    this.timeout(60_000);
    const s = vs();
    storage = tallyStorage(s.profile.userDataDir);
    const sessions = cliSessions(storage);
    assert.equal(sessions.length, 1, 'one session in the workspace storage');
    sessionId = sessions[0]?.sessionId ?? '';
    const stats = cliStats(storage, sessionId);
    assert.equal(stats.turns.length, 2);
    assert.deepEqual(
      stats.turns.map((t) => t.requests.length),
      [1, 3],
    );
    // What the server put on the wire, summed over its requests, is what was recorded.
    const wire = mock.log.map((e) => e.usage);
    assert.ok(
      wire.every((u) => u !== undefined),
      'the server reported usage for every request',
    );
    const sum = (f: (u: NonNullable<(typeof wire)[number]>) => number) =>
      wire.reduce((n, u) => n + (u ? f(u) : 0), 0);
    assert.equal(stats.total.inputTokens, sum(inputTotal));
    assert.equal(stats.total.outputTokens, sum(outputTotal));
    assert.equal(
      stats.total.inputTokenDetails.cacheReadTokens,
      sum((u) => u.cacheRead),
    );
    const { chat, usage } = await views(s);
    await expandAllTurns(usage);
    const shown = await readUsage(usage);
    const chips = await readChips(chat);
    const status = await settledStatusBar(s.workbench, (text) => assertStatusBarIs(text, stats));
    reading = { usage: shown, chips, status };
    await s.check('Usage view, chips and status bar equal tally stats --json', () => {
      assertUsageIs(shown, stats, true);
      assertChipsAre(chips, stats);
      assertStatusBarIs(status, stats);
      assert.equal(status.split(' · ')[1], shown.gaugeValue.split(' · ')[0], 'status bar and gauge agree');
    });
    // The Usage view alone, tall enough to show the table.
    await s.workbench.viewHeader('Chat').click();
    await s.workbench.page.waitForTimeout(500); // the panes' animation
    await shootBothThemes('usage view with its turns open', usage);
    await s.workbench.viewHeader('Chat').click();
  });

  it('shows the same numbers and gauge after "Developer: Reload Window"', async function () {
    this.timeout(90_000);
    assert.ok(reading, 'the previous test read the views');
    const s = vs();
    await s.workbench.reloadWindow();
    const { chat, usage } = await views(s);
    await waitForChips(chat, 2);
    const stats = cliStats(storage, sessionId);
    await s.check('after the reload: same chips, table, totals, gauge and status bar', async () => {
      const shown = await readUsage(usage);
      assertUsageIs(shown, stats, false);
      // The opened turns are UI state the webview keeps: they come back as they were.
      assert.deepEqual(shown, reading?.usage);
      assert.deepEqual(await readChips(chat), reading?.chips);
      await settledStatusBar(s.workbench, (text) => assert.equal(text, reading?.status));
    });
  });

  it('stops a turn mid-stream: the turn is interrupted, with the usage known so far', async function () {
    this.timeout(60_000);
    const s = vs();
    const { chat, usage } = await views(s);
    const requests = mock.log.length;
    const answers = await chat.locator('.msg-assistant').count();
    await sendChat(s.workbench, chat, 'Tell me a long story [[tools:0]] [[stall]]');
    // The stalled request has sent some text: the turn is streaming when Stop is pressed.
    await chat.locator('.composer .stop').waitFor({ state: 'visible' });
    await chat.frame.waitForFunction(
      (n) => (document.querySelectorAll('.msg-assistant .markdown')[n]?.textContent ?? '').length > 0,
      answers,
    );
    await s.shot('a turn streaming, with the Stop button');
    await chat.click('.composer .stop');
    await waitForChips(chat, 3);
    await mock.settled();
    const stats = cliStats(storage, sessionId);
    const turn = stats.turns[2];
    await s.check('the stopped turn is marked interrupted in the chat and the Usage view', async () => {
      assert.equal(mock.log.length, requests + 1);
      assert.equal(mock.log.at(-1)?.outcome, 'client-aborted', 'the server saw the client go away');
      assert.equal(turn?.status, 'interrupted');
      assert.equal(turn?.requests[0]?.status, 'interrupted');
      assert.ok((turn?.usage.inputTokens ?? 0) > 0, 'the prompt is counted (estimated)');
      assert.equal(turn?.usage.source, 'estimated');
      const chips = await readChips(chat);
      assert.deepEqual(chips[2]?.badges, ['interrupted']);
      assertChipsAre(chips, stats);
      const shown = await readUsage(usage);
      assertUsageIs(shown, stats, false);
      const row = shown.rows.find((r) => r.kind === 'turn' && r.turn === '3');
      assert.deepEqual(row?.badges, ['interrupted', 'estimated']);
      assert.equal(await chat.locator('.composer .send').isVisible(), true, 'Send is back');
    });
    await shootBothThemes('interrupted turn', chat);
  });

  it('rejects hostile messages sent to the host through the webview channel', async function () {
    this.timeout(60_000);
    const s = vs();
    const { chat } = await views(s);
    // The webview's own script holds acquireVsCodeApi; its postMessage calls this function of the
    // view's outer frame, which forwards to the extension host. Messages injected here take the
    // exact path of the view's own messages.
    const outer = chat.frame.parentFrame();
    assert.ok(outer, 'the view has an outer frame');
    const post = (message: unknown) =>
      outer.evaluate((m) => {
        const w = window as unknown as { __vscode_post_message__(c: string, d: unknown): void };
        w.__vscode_post_message__('onmessage', { message: typeof m === 'string' ? JSON.parse(m) : m });
      }, message);
    // A well-formed message first: it reaches the host (the model picker opens).
    await post({ type: 'chat.selectModel' });
    await s.workbench.page.locator('.quick-input-widget').waitFor({ state: 'visible' });
    await s.workbench.closeQuickInput();
    const logBefore = tallyLog(s.profile.userDataDir).length;
    const requests = mock.log.length;
    const hostile: unknown[] = [
      { type: 'chat.send', text: 'run this', extra: true },
      { type: 'chat.send', text: 'x'.repeat(200_001) },
      { type: 'chat.send', text: 42 },
      { type: 'chat.approve', toolCallId: 'call_1', approved: 'yes' },
      { type: 'usage.export', format: '../../etc/passwd' },
      { type: 'session.delete' },
      '{"type":"chat.send","text":"hi","__proto__":{"polluted":true}}',
      ['chat.send'],
      null,
    ];
    for (const m of hostile) await post(m);
    let rejected: string[] = [];
    for (let i = 0; i < 40; i++) {
      rejected = tallyLog(s.profile.userDataDir)
        .slice(logBefore)
        .filter((l) => l.includes('rejected a message from the chat view'));
      if (rejected.length >= hostile.length) break;
      await s.workbench.page.waitForTimeout(250);
    }
    await s.check('hostile messages rejected, each with a logged reason; nothing ran', () => {
      assert.equal(rejected.length, hostile.length, `one rejection per message:\n${rejected.join('\n')}`);
      assert.match(rejected[0] ?? '', /Unrecognized key: "extra"/);
      assert.match(rejected[6] ?? '', /prototype-pollution key/);
      assert.equal(mock.log.length, requests, 'no model request went out');
      assert.equal(cliStats(storage, sessionId).turns.length, 3, 'no turn started');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  });

  it('renders an answer carrying <script>, <img onerror> and javascript: links inert', async function () {
    this.timeout(60_000);
    const s = vs();
    const { chat } = await views(s);
    await chat.frame.evaluate(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.disposition}`),
      );
    });
    // Payloads that would each set a flag if they ran, on top of the model server's [[xss]] ones.
    const payload = [
      'Markup: <script>window.__xss_script = 1</script>',
      '<img src="x" onerror="window.__xss_img = 1">',
      '<svg onload="window.__xss_svg = 1"></svg>',
      '<iframe srcdoc="<script>parent.__xss_iframe = 1</script>"></iframe>',
      '[a markdown link](javascript:window.__xss_md=1)',
      '<a href="javascript:window.__xss_a=1">an html link</a>',
      '[a data link](data:text/html,<script>window.__xss_data=1</script>)',
      '[a spaced link]( javascript:window.__xss_sp=1 )',
      '[a safe link](https://example.com/docs)',
    ].join('\n\n');
    mock.enqueue('openai-chat', { events: [{ type: 'text', text: payload }] });
    await sendChat(
      s.workbench,
      chat,
      'Show me some markup [[xss]] <img src=x onerror="window.__xss_user=1">',
    );
    await waitForChips(chat, 4);
    // The model server's own [[xss]] answer too (the queued script served the turn above).
    await sendChat(s.workbench, chat, 'And again [[xss]] [[tools:0]]');
    await waitForChips(chat, 5);
    await s.workbench.page.waitForTimeout(300);
    const found = await chat.frame.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      const flags = Object.keys(w).filter((k) => k.startsWith('__xss'));
      const all = [...document.querySelectorAll('*')];
      const onAttrs = all.flatMap((el) =>
        [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName} ${a.name}`),
      );
      const badHrefs = [...document.querySelectorAll('[href], [src], [srcdoc], [action], [formaction]')]
        .map((el) => el.getAttribute('href') ?? el.getAttribute('src') ?? el.getAttribute('srcdoc') ?? '')
        .filter((v) => /^\s*(javascript|data|vbscript):|<script/i.test(v));
      const transcript = document.querySelector('.transcript');
      return {
        flags,
        onAttrs,
        badHrefs,
        scripts: [...document.scripts].map((el) => el.id || el.src.split('/').pop()),
        active: transcript?.querySelectorAll('script, img, svg, iframe, object, embed, form').length ?? -1,
        links: [...(transcript?.querySelectorAll('a') ?? [])].map((a) => a.href),
        text: (transcript as HTMLElement | null)?.innerText ?? '',
        csp: (window as unknown as { __csp: string[] }).__csp,
      };
    });
    await s.check('hostile markup shown as text: no script ran, no handler or script URL in the DOM', () => {
      assert.deepEqual(found.flags, [], 'no payload set its flag');
      assert.deepEqual(found.onAttrs, [], 'no element has an on* attribute');
      assert.deepEqual(found.badHrefs, [], 'no javascript:/data: URL in the DOM');
      assert.deepEqual(found.scripts, ['_vscodeApiScript', 'webview.js'], "only VS Code's and the view's");
      assert.equal(found.active, 0, 'no script, image, svg, frame, object or form in the transcript');
      assert.deepEqual(found.links, ['https://example.com/docs'], 'only the https link is a link');
      assert.deepEqual(found.csp, [], 'nothing even tried to get past the content security policy');
      assert.match(found.text, /<script>window\.__xss_script = 1<\/script>/, 'the markup shows as text');
      assert.match(found.text, /<img src="x" onerror="alert\(1\)">/, "the server's [[xss]] payload too");
      assert.match(found.text, /onerror="window\.__xss_user=1"/, "the user's own message too");
    });
    // The answer with the flag-setting payloads, scrolled into view.
    await chat.frame
      .locator('.msg-assistant', { hasText: 'window.__xss_script' })
      .last()
      .scrollIntoViewIfNeeded();
    await shootBothThemes('hostile markup rendered as text', chat);
  });

  it('asks before a write: the approval card shows the diff, Approve writes the file', async function () {
    this.timeout(60_000);
    const s = vs();
    const { chat } = await views(s);
    mock.enqueue('openai-chat', {
      events: [
        { type: 'text', text: 'I will add a note.' },
        {
          type: 'tool-call',
          name: 'write_file',
          args: { path: 'notes/todo.md', content: '# To do\n\n- ship\n' },
        },
      ],
    });
    mock.enqueue('openai-chat', { events: [{ type: 'text', text: 'Wrote notes/todo.md.' }] });
    await sendChat(s.workbench, chat, 'Add a to-do note');
    const card = chat.locator('.tool-card.is-awaiting');
    await card.waitFor({ state: 'visible', timeout: 30_000 });
    await s.check('the write waits for approval, with its diff', async () => {
      const text = await card.innerText();
      assert.match(text, /write_file/);
      assert.match(text, /Create notes\/todo\.md\? \(\+3 −0\)/);
      assert.match(text, /- ship/);
      assert.equal(await card.locator('button', { hasText: 'Approve' }).isVisible(), true);
      assert.equal(await card.locator('button', { hasText: 'Decline' }).isVisible(), true);
      assert.equal(await chat.locator('.working').isVisible(), false, 'nothing shows as working meanwhile');
    });
    await shootBothThemes('approval card for a write', chat);
    await card.locator('button', { hasText: 'Approve' }).click();
    await waitForChips(chat, 6);
    await s.check('approved: the file is written and the turn ends', async () => {
      assert.equal(readFileSync(join(s.workspace, 'notes/todo.md'), 'utf8'), '# To do\n\n- ship\n');
      assert.equal(await chat.locator('.tool-card.is-awaiting').count(), 0);
      await chat.waitForText(/Wrote notes\/todo\.md\./);
    });
  });

  it('opens the model picker from the composer', async function () {
    this.timeout(30_000);
    const s = vs();
    const { chat } = await views(s);
    const button = chat.locator('.model-button');
    assert.equal(await button.getAttribute('aria-label'), 'Model: gpt-4o-mini (openai-chat). Change model');
    await button.click();
    const picker = s.workbench.page.locator('.quick-input-widget');
    await s.check('the model button opens the provider picker', async () => {
      await picker.waitFor({ state: 'visible' });
      const placeholder = await picker.locator('.quick-input-box input').getAttribute('placeholder');
      assert.equal(placeholder, 'Provider (now: OpenAI (Chat Completions))');
    });
    await s.workbench.closeQuickInput();
  });

  it('restores the chat, the table, the totals and the gauge when the workspace reopens', async function () {
    this.timeout(120_000);
    const s = vs();
    const stats = cliStats(storage, sessionId);
    const { usage: usageBefore, chat: chatBefore } = await views(s);
    const shownBefore = await readUsage(usageBefore);
    const chipsBefore = await readChips(chatBefore);
    const messagesBefore = await chatBefore.locator('.msg').allInnerTexts();
    transcript = messagesBefore;
    const statusBefore = await settledStatusBar(s.workbench, (text) => assertStatusBarIs(text, stats));
    await s.reopenWorkspace();
    const { chat, usage } = await views(s);
    await waitForChips(chat, stats.turns.length);
    await s.check(
      'after the reopen: the same conversation, chips, table, totals, gauge and status bar',
      async () => {
        assert.deepEqual(cliStats(storage, sessionId), stats, 'the storage did not change');
        const shown = await readUsage(usage);
        assertUsageIs(shown, stats, false);
        assert.deepEqual(shown, shownBefore);
        const chips = await readChips(chat);
        assertChipsAre(chips, stats);
        assert.deepEqual(chips, chipsBefore);
        assert.deepEqual(await chat.locator('.msg').allInnerTexts(), messagesBefore);
        await settledStatusBar(s.workbench, (text) => assert.equal(text, statusBefore));
      },
    );
  });

  describe('in a fresh browser profile (no Mementos) that does not trust the folder', () => {
    let browser: BrowserContext | undefined;
    let workbench: Workbench;
    let shots = 0;
    /** Like the session's check(), with this browser's page. */
    async function check(label: string, assertion: () => Promise<void>): Promise<void> {
      const file = (l: string) =>
        join(
          vs().artifacts,
          `fresh-${String(++shots).padStart(2, '0')}-${l
            .replace(/[^a-z0-9]+/gi, '-')
            .toLowerCase()
            .slice(0, 60)}.png`,
        );
      try {
        await assertion();
      } catch (err) {
        await workbench.page.screenshot({ path: file(`${label} FAILED`) }).catch(() => undefined);
        throw err;
      }
      await workbench.page.screenshot({ path: file(label) });
    }
    after(async () => {
      await browser?.close();
    });

    it('restores the session and its numbers from the storage files alone', async function () {
      this.timeout(120_000);
      const s = vs();
      // One window on the workspace, as when it is opened on another machine.
      await s.page.close();
      browser = await launchBrowser(join(s.root, 'fresh-browser'), `${s.server.tag}:fresh-browser`);
      workbench = new Workbench(browser.pages()[0] ?? (await browser.newPage()));
      await workbench.open(s.url);
      // The trust decision is a Memento too: a new profile asks again. This one says no.
      await workbench.answerTrustDialog(false);
      await workbench.openViewContainer('Tally');
      const chat = await tallyView(workbench, 'chat');
      const usage = await tallyView(workbench, 'usage');
      const stats = cliStats(storage, sessionId);
      await waitForChips(chat, stats.turns.length);
      await check(
        'fresh profile: the same conversation, chips, table, totals, gauge and status bar',
        async () => {
          assertUsageIs(await readUsage(usage), stats, false);
          assertChipsAre(await readChips(chat), stats);
          assert.deepEqual(await chat.locator('.msg').allInnerTexts(), transcript);
          await settledStatusBar(workbench, (text) => assertStatusBarIs(text, stats));
        },
      );
    });

    it('in restricted mode, says that write and command tools are off and does not offer them', async function () {
      this.timeout(60_000);
      const chat = await tallyView(workbench, 'chat');
      const turns = cliStats(storage, sessionId).turns.length;
      await check('restricted mode: the chat says write and command tools are off', async () => {
        assert.equal(await workbench.isRestricted(), true);
        const note = chat.locator('.note.restricted');
        assert.equal(await note.isVisible(), true);
        assert.equal(
          await note.innerText(),
          'Restricted mode: chat works; write and command tools are off until you trust this workspace.',
        );
      });
      await sendChat(workbench, chat, 'What can you do here? [[tools:0]]');
      await waitForChips(chat, turns + 1);
      await check('restricted mode: the model was offered only the reading tools', async () => {
        const offered = mock.log.at(-1)?.request.tools ?? [];
        assert.deepEqual([...offered].sort(), ['list_files', 'read_file', 'search_files']);
        const stats = cliStats(storage, sessionId);
        assert.equal(stats.turns.length, turns + 1);
        assertChipsAre(await readChips(chat), stats);
      });
    });
  });
});
