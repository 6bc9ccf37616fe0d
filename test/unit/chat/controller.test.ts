/**
 * The chat controller the editor drives, without the editor: turns through the mock provider,
 * approvals, stop, and a restart that must show the same numbers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workspace } from '../../../src/core/agent/workspace';
import { ChatController, type ControllerChange, gaugeOf } from '../../../src/core/chat/controller';
import { loadPricing, type Pricing } from '../../../src/core/pricing/pricing';
import { SessionStore } from '../../../src/core/sessions/store';
import { type MockProvider, startMockProvider } from '../../../src/mock-provider';

describe('chat controller', function () {
  this.timeout(30_000);
  let mock: MockProvider;
  let pricing: Pricing;
  let dir: string;
  let ws: Workspace;
  let trusted: boolean;

  before(async () => {
    mock = await startMockProvider();
    pricing = await loadPricing();
  });
  after(async () => mock.close());
  beforeEach(async () => {
    mock.reset();
    trusted = true;
    dir = mkdtempSync(join(tmpdir(), 'tally-ctl-'));
    mkdirSync(join(dir, 'ws'));
    writeFileSync(join(dir, 'ws', 'a.txt'), 'alpha\n');
    ws = await Workspace.open(join(dir, 'ws'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function controller() {
    const store = await SessionStore.open(join(dir, 'storage'), { price: pricing.price });
    const ctl = new ChatController({
      store,
      pricing: () => pricing,
      workspace: () => ws,
      model: () => ({ provider: 'anthropic', model: 'claude-sonnet-4-5', baseURL: mock.baseURLs.anthropic }),
      apiKey: async () => 'key',
      policy: () => ({ allowWrites: true, allowCommands: true }),
      trusted: () => trusted,
      settings: () => ({ maxSteps: 25, idleTimeoutMs: 10_000, budgetUsd: null }),
    });
    return { ctl, store };
  }

  it('runs two turns, shows chips with the turn numbers, and a restart shows the same numbers', async () => {
    const { ctl, store } = await controller();
    const changes: ControllerChange[] = [];
    ctl.onChange((c) => changes.push(c));
    await ctl.send('What is here? [[tools:1]]');
    await ctl.send('Thanks [[tools:0]]');
    const usage = ctl.usageSnapshot()!;
    assert.equal(usage.stats.turns.length, 2);
    assert.equal(usage.stats.total.requests, 3);
    const chat = ctl.chatSnapshot();
    const kinds = chat.items.map((i) => i.kind);
    assert.deepEqual(kinds, [
      'user',
      'assistant',
      'tool',
      'assistant',
      'turn-usage',
      'user',
      'assistant',
      'turn-usage',
    ]);
    const chips = chat.items.filter((i) => i.kind === 'turn-usage');
    assert.deepEqual(
      chips.map((c) => (c.kind === 'turn-usage' ? c.totalTokens : 0)),
      usage.stats.turns.map((t) => t.usage.totalTokens),
    );
    const tool = chat.items.find((i) => i.kind === 'tool');
    assert.equal(tool?.kind === 'tool' && tool.output, 'a.txt');
    // Streamed text reached the view as deltas, not as one message per token.
    assert.ok(changes.some((c) => c.kind === 'chat' && c.deltas.length > 0));
    await ctl.dispose();
    await store.close();

    const again = await controller();
    assert.equal(await again.ctl.restore(), true);
    const after = again.ctl.usageSnapshot()!;
    assert.deepEqual(after.stats, usage.stats);
    assert.deepEqual(after.gauge, usage.gauge);
    assert.deepEqual(again.ctl.chatSnapshot().items, chat.items);
    await again.ctl.dispose();
    await again.store.close();
  });

  it('asks before a write and does it only on yes', async () => {
    const { ctl, store } = await controller();
    mock.enqueue('anthropic', {
      events: [{ type: 'tool-call', name: 'write_file', args: { path: 'b.txt', content: 'beta' } }],
    });
    mock.enqueue('anthropic', {
      events: [{ type: 'tool-call', name: 'write_file', args: { path: 'c.txt', content: 'gamma' } }],
    });
    mock.enqueue('anthropic', { events: [{ type: 'text', text: 'Done.' }] });
    let asked = 0;
    ctl.onChange((c) => {
      if (
        c.kind === 'chat-update' &&
        c.item.kind === 'tool' &&
        c.item.approval &&
        c.item.approved === undefined
      ) {
        asked++;
        assert.equal(c.item.approval.kind, 'write');
        assert.equal(
          c.item.approval.preview?.path,
          c.item.toolCallId ? (c.item.input as { path: string }).path : '',
        );
        ctl.answerApproval(c.item.toolCallId, asked === 1);
      }
    });
    await ctl.send('Write two files');
    assert.equal(asked, 2);
    assert.equal(readFileSync(join(dir, 'ws', 'b.txt'), 'utf8'), 'beta');
    assert.throws(() => readFileSync(join(dir, 'ws', 'c.txt')));
    await ctl.dispose();
    await store.close();
  });

  it('offers no write or command tools in restricted mode', async () => {
    trusted = false;
    const { ctl, store } = await controller();
    await ctl.send('Hi [[tools:0]]');
    assert.deepEqual(mock.log[0]!.request.tools.sort(), ['list_files', 'read_file', 'search_files']);
    await ctl.dispose();
    await store.close();
  });

  it('stops a running turn: interrupted, with the input usage kept', async () => {
    const { ctl, store } = await controller();
    ctl.onChange((c) => {
      if (c.kind === 'chat' && c.deltas.length) ctl.stop();
    });
    await ctl.send('Tell me [[stall]] [[tools:0]]');
    const s = ctl.usageSnapshot()!.stats;
    assert.equal(s.turns[0]!.status, 'interrupted');
    assert.ok(s.total.inputTokens > 0);
    assert.equal(ctl.isRunning, false);
    await ctl.dispose();
    await store.close();
  });

  it('grades the gauge at 50, 80 and 95 percent', () => {
    const level = (p: number) => gaugeOf({ usedTokens: p * 1000, limitTokens: 100_000, percent: p }).level;
    assert.deepEqual([level(49.9), level(50), level(80), level(95)], ['ok', 'notice', 'warning', 'error']);
    assert.equal(gaugeOf({ usedTokens: 11_234, limitTokens: 200_000, percent: 5.6 }).label, '11k/200k');
  });
});
