import assert from 'node:assert/strict';
import type { ChatItem, ChatSnapshot } from '../../../src/shared/protocol';
import { awaitsApproval, initialChatState, reduceChat } from '../../../src/webview/chat/model';

const snapshot = (items: ChatItem[], over: Partial<ChatSnapshot> = {}): ChatSnapshot => ({
  sessionId: 's1',
  title: 'T',
  items,
  running: false,
  provider: 'openai',
  model: 'gpt-4o',
  trusted: true,
  ...over,
});

const user: ChatItem = { kind: 'user', id: 'u1', turnId: 't1', text: 'hi' };
const answer: ChatItem = { kind: 'assistant', id: 'a1', turnId: 't1', requestId: 'r1', text: 'Hel' };
const edit: ChatItem = {
  kind: 'tool',
  id: 'x1',
  turnId: 't1',
  toolCallId: 'c1',
  toolName: 'edit_file',
  input: { path: 'a.ts' },
  approval: { kind: 'write', preview: { path: 'a.ts', before: 'a', after: 'b' } },
};

describe('chat view model', () => {
  it('a snapshot replaces everything and marks the view loaded', () => {
    const s = reduceChat(initialChatState(), {
      type: 'chat.snapshot',
      snapshot: snapshot([user], { trusted: false }),
    });
    assert.equal(s.loaded, true);
    assert.equal(s.trusted, false);
    assert.deepEqual(s.items, [user]);
  });

  it('appends streamed text deltas to the assistant item, leaving other items untouched', () => {
    let s = reduceChat(initialChatState(), { type: 'chat.snapshot', snapshot: snapshot([user, answer]) });
    const before = s.items;
    s = reduceChat(s, {
      type: 'chat.append',
      items: [],
      deltas: [
        { id: 'a1', text: 'lo' },
        { id: 'a1', text: ' world' },
      ],
      running: true,
    });
    assert.equal(s.items[1]!.kind === 'assistant' && s.items[1]!.text, 'Hello world');
    assert.equal(s.items[0], before[0], 'unchanged items keep their identity');
    assert.notEqual(s.items[1], before[1]);
    assert.equal(s.running, true);
  });

  it('appending an item that exists replaces it (an idempotent re-send adds nothing)', () => {
    let s = reduceChat(initialChatState(), { type: 'chat.snapshot', snapshot: snapshot([user]) });
    s = reduceChat(s, { type: 'chat.append', items: [answer, answer], deltas: [], running: true });
    assert.equal(s.items.length, 2);
  });

  it('ignores a delta for an unknown item or a non-assistant item', () => {
    let s = reduceChat(initialChatState(), { type: 'chat.snapshot', snapshot: snapshot([user]) });
    s = reduceChat(s, {
      type: 'chat.append',
      items: [],
      deltas: [
        { id: 'u1', text: 'x' },
        { id: 'zz', text: 'y' },
      ],
      running: false,
    });
    assert.deepEqual(s.items, [user]);
  });

  it('a tool call waits for approval until answered, then until the host confirms', () => {
    let s = reduceChat(initialChatState(), {
      type: 'chat.snapshot',
      snapshot: snapshot([edit], { running: true }),
    });
    assert.equal(awaitsApproval(s, s.items[0]!), true);
    s = reduceChat(s, { type: 'ui.answered', toolCallId: 'c1' });
    assert.equal(awaitsApproval(s, s.items[0]!), false);
    assert.ok(s.answering.has('c1'));
    s = reduceChat(s, { type: 'chat.update', item: { ...edit, approved: true } });
    assert.equal(s.answering.has('c1'), false);
    assert.equal(awaitsApproval(s, s.items[0]!), false);
  });

  it('shows host errors until dismissed', () => {
    let s = reduceChat(initialChatState(), { type: 'error', message: 'No API key' });
    assert.equal(s.error, 'No API key');
    s = reduceChat(s, { type: 'ui.dismissError' });
    assert.equal(s.error, null);
  });

  it("ignores the usage view's messages", () => {
    const s0 = initialChatState();
    assert.equal(reduceChat(s0, { type: 'usage.focusTurn', turnId: 't' }), s0);
  });
});
