/**
 * The chat view: header (title, new and switch session), the transcript (a polite live log of
 * messages, tool cards and usage chips), and the composer (model, input, Send or Stop). Items
 * are keyed by id, and only the items a message changed are rendered again.
 */
import type { ChatItem } from '../../shared/protocol';
import type { Bridge } from '../bridge';
import { copyText } from '../clipboard';
import { button, h, icon, replaceChildren } from '../dom';
import { chipText, formatTokens } from '../format';
import { renderMarkdown } from '../markdown/render';
import { awaitsApproval, type ChatAction, type ChatState, initialChatState, reduceChat } from './model';
import { renderToolCard } from './toolCard';

/** What the chat view keeps across reloads: UI state only. */
export interface ChatUiState {
  draft: string;
  scrollTop: number;
  /** Whether the transcript was scrolled to the end (it then follows new output). */
  atBottom: boolean;
  /** Open details, as `${itemId}:${part}`. */
  open: string[];
}

interface Rendered {
  item: ChatItem;
  node: HTMLElement;
  /** The inputs besides the item that its rendering depends on. */
  flags: string;
}

const RESTRICTED =
  'Restricted mode: chat works; write and command tools are off until you trust this workspace.';

export class ChatView {
  private state: ChatState = initialChatState();
  private readonly rendered = new Map<string, Rendered>();
  private readonly open: Set<string>;
  private atBottom: boolean;
  private saveTimer = 0;

  private readonly titleEl = h('h2', { class: 'chat-title' });
  private readonly restricted = h(
    'div',
    { class: 'note restricted', attrs: { role: 'note' } },
    icon('shield'),
    h('span', {}, RESTRICTED),
  );
  private readonly errorBox = h('div', { class: 'error-banner', attrs: { role: 'alert' } });
  private readonly log = h('div', {
    class: 'transcript',
    attrs: { role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: 0 },
  });
  private readonly list = h('div', { class: 'items' });
  private readonly empty = h(
    'div',
    { class: 'empty' },
    icon('comment-discussion', 'empty-icon'),
    h('p', {}, 'Ask Tally about this workspace.'),
    h(
      'p',
      { class: 'hint' },
      'Every request is counted: tokens and cost show under each answer and in the Usage view. Enter sends, Shift+Enter adds a line.',
    ),
  );
  private readonly working = h(
    'div',
    { class: 'working', attrs: { 'aria-hidden': 'true' } },
    icon('loading', 'codicon-modifier-spin'),
    ' Working…',
  );
  private readonly input = h('textarea', {
    class: 'composer-input',
    attrs: {
      rows: 1,
      'aria-label': 'Message Tally (Enter sends, Shift+Enter adds a line)',
      placeholder: 'Ask Tally… (Enter to send, Shift+Enter for a new line)',
    },
  });
  private readonly modelButton = h('button', { class: 'model-button', attrs: { type: 'button' } });
  private readonly sendButton = button('Send', {
    icon: 'send',
    iconOnly: true,
    class: 'send',
    onClick: () => this.send(),
  });
  private readonly stopButton = button('Stop', {
    icon: 'debug-stop',
    iconOnly: false,
    class: 'stop',
    onClick: () => this.bridge.post({ type: 'chat.stop' }),
  });

  constructor(
    private readonly root: HTMLElement,
    private readonly bridge: Bridge<ChatUiState>,
  ) {
    const saved = bridge.loadState();
    this.open = new Set(saved?.open ?? []);
    this.atBottom = saved?.atBottom ?? true;
    this.input.value = saved?.draft ?? '';
    this.build();
    if (saved?.scrollTop !== undefined && !this.atBottom) this.log.scrollTop = saved.scrollTop;
    this.render(null);
  }

  /** Folds a host message or a local action, and renders what changed. */
  dispatch(action: ChatAction): void {
    const prev = this.state;
    this.state = reduceChat(prev, action);
    if (this.state !== prev) this.render(prev);
  }

  private build(): void {
    const header = h(
      'header',
      { class: 'chat-header' },
      this.titleEl,
      h(
        'div',
        { class: 'header-actions' },
        button('New session', {
          icon: 'add',
          iconOnly: true,
          onClick: () => this.bridge.post({ type: 'session.new' }),
        }),
        button('Switch session', {
          icon: 'history',
          iconOnly: true,
          onClick: () => this.bridge.post({ type: 'session.switch' }),
        }),
      ),
    );
    this.modelButton.addEventListener('click', () => this.bridge.post({ type: 'chat.selectModel' }));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => {
      this.autosize();
      this.scheduleSave();
    });
    this.log.addEventListener('scroll', () => {
      this.atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 24;
      this.scheduleSave();
    });
    const composer = h(
      'div',
      { class: 'composer' },
      this.input,
      h(
        'div',
        { class: 'composer-bar' },
        this.modelButton,
        h('span', { class: 'spacer' }),
        this.stopButton,
        this.sendButton,
      ),
    );
    this.log.append(this.empty, this.list, this.working);
    this.root.append(h('div', { class: 'chat' }, header, this.restricted, this.log, this.errorBox, composer));
    this.autosize();
  }

  private send(): void {
    const text = this.input.value.trim();
    if (!text || this.state.running) return;
    this.bridge.post({ type: 'chat.send', text });
    this.input.value = '';
    this.autosize();
    this.atBottom = true;
    this.scheduleSave();
  }

  private autosize(): void {
    // CSSOM, not a style attribute: allowed under the CSP.
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  private scheduleSave(): void {
    window.clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => {
      this.bridge.saveState({
        draft: this.input.value,
        scrollTop: this.log.scrollTop,
        atBottom: this.atBottom,
        open: [...this.open],
      });
    }, 200);
  }

  private render(prev: ChatState | null): void {
    const s = this.state;
    if (!prev || prev.title !== s.title || prev.sessionId !== s.sessionId) {
      this.titleEl.textContent = s.title || (s.sessionId ? 'Untitled session' : 'New session');
      this.titleEl.title = this.titleEl.textContent;
    }
    this.restricted.hidden = s.trusted;
    if (!prev || prev.error !== s.error) {
      this.errorBox.hidden = s.error === null;
      replaceChildren(
        this.errorBox,
        icon('error'),
        h('span', { class: 'error-text' }, s.error ?? ''),
        button('Dismiss', {
          icon: 'close',
          iconOnly: true,
          onClick: () => this.dispatch({ type: 'ui.dismissError' }),
        }),
      );
    }
    if (!prev || prev.model !== s.model || prev.provider !== s.provider) {
      const model = s.model || 'Choose a model';
      replaceChildren(
        this.modelButton,
        icon('sparkle'),
        h('span', { class: 'label' }, model),
        icon('chevron-down'),
      );
      const label = s.model
        ? `Model: ${s.model}${s.provider ? ` (${s.provider})` : ''}. Change model`
        : 'Choose a model';
      this.modelButton.setAttribute('aria-label', label);
      this.modelButton.title = label;
    }
    this.stopButton.hidden = !s.running;
    this.sendButton.hidden = s.running;
    this.log.setAttribute('aria-busy', String(s.running));
    // While a card waits for the user's answer, nothing is working: the card says what is needed.
    this.working.hidden = !s.running || this.awaitingApproval();
    this.empty.hidden = !s.loaded || s.items.length > 0;
    this.renderItems();
    if (this.atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  /** Whether a tool call of the running turn waits for the user (searched back to the turn's message). */
  private awaitingApproval(): boolean {
    const items = this.state.items;
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!;
      if (item.kind === 'user') return false;
      if (awaitsApproval(this.state, item)) return true;
    }
    return false;
  }

  private flagsOf(item: ChatItem): string {
    if (item.kind !== 'tool') return '';
    const s = this.state;
    return `${awaitsApproval(s, item)}|${s.answering.has(item.toolCallId)}|${s.running}`;
  }

  private renderItems(): void {
    const seen = new Set<string>();
    let cursor: ChildNode | null = this.list.firstChild;
    for (const item of this.state.items) {
      seen.add(item.id);
      const flags = this.flagsOf(item);
      let r = this.rendered.get(item.id);
      if (!r || r.item !== item || r.flags !== flags) {
        const node = this.renderItem(item);
        if (r) {
          if (cursor === r.node) cursor = node;
          r.node.replaceWith(node);
        }
        r = { item, node, flags };
        this.rendered.set(item.id, r);
      }
      if (r.node === cursor) cursor = cursor.nextSibling;
      else this.list.insertBefore(r.node, cursor);
    }
    for (const [id, r] of this.rendered) {
      if (!seen.has(id)) {
        r.node.remove();
        this.rendered.delete(id);
      }
    }
  }

  private renderItem(item: ChatItem): HTMLElement {
    switch (item.kind) {
      case 'user':
        return h(
          'div',
          { class: 'msg msg-user' },
          h('div', { class: 'msg-role' }, 'You'),
          h('div', { class: 'msg-text' }, item.text),
        );
      case 'assistant': {
        const body = h('div', { class: 'markdown' });
        body.append(
          renderMarkdown(item.text, {
            copy: (text, btn) => {
              void copyText(text).then((ok) => this.copied(btn, ok));
            },
          }),
        );
        const reasoning = item.reasoning
          ? this.detailsFor(
              item.id,
              'reasoning',
              'Reasoning',
              h('div', { class: 'reasoning-text' }, item.reasoning),
            )
          : null;
        return h(
          'div',
          { class: 'msg msg-assistant' },
          h('div', { class: 'msg-role' }, 'Tally'),
          reasoning,
          body,
        );
      }
      case 'tool':
        return renderToolCard(item, {
          awaiting: awaitsApproval(this.state, item),
          answering: this.state.answering.has(item.toolCallId),
          running: this.state.running,
          open: new Set(
            [...this.open].filter((k) => k.startsWith(`${item.id}:`)).map((k) => k.slice(item.id.length + 1)),
          ),
          onToggle: (part, open) => this.setOpen(`${item.id}:${part}`, open),
          onAnswer: (approved) => {
            this.bridge.post({ type: 'chat.approve', toolCallId: item.toolCallId, approved });
            this.dispatch({ type: 'ui.answered', toolCallId: item.toolCallId });
          },
        });
      case 'error':
        return h('div', { class: 'msg msg-error' }, icon('error'), h('span', {}, item.text));
      case 'turn-usage':
        return this.usageChip(item);
      default:
        item satisfies never;
        return h('div');
    }
  }

  private usageChip(item: Extract<ChatItem, { kind: 'turn-usage' }>): HTMLElement {
    const text = chipText(item);
    const status = item.status === 'completed' || item.status === 'running' ? null : item.status;
    const label = `Turn usage: ${formatTokens(item.totalTokens)} tokens, cost ${text.split(' · ')[1]}${status ? `, ${status}` : ''}. Show in the Usage view`;
    const chip = h(
      'button',
      {
        class: `usage-chip${status ? ` is-${status}` : ''}`,
        attrs: { type: 'button', 'aria-label': label, title: 'Show this turn in the Usage view' },
        on: { click: () => this.bridge.post({ type: 'chat.openTurn', turnId: item.turnId }) },
      },
      icon('pulse'),
      h('span', {}, text),
      status ? h('span', { class: `badge badge-${status}` }, status) : null,
    );
    return h('div', { class: 'chip-row' }, chip);
  }

  private detailsFor(id: string, part: string, summary: string, body: Node): HTMLDetailsElement {
    const d = h('details', { class: 'reasoning' }, h('summary', {}, summary), body);
    d.open = this.open.has(`${id}:${part}`);
    d.addEventListener('toggle', () => this.setOpen(`${id}:${part}`, d.open));
    return d;
  }

  private setOpen(key: string, open: boolean): void {
    if (open) this.open.add(key);
    else this.open.delete(key);
    this.scheduleSave();
  }

  private copied(btn: HTMLButtonElement, ok: boolean): void {
    const iconEl = btn.querySelector('.codicon');
    iconEl?.classList.replace('codicon-copy', ok ? 'codicon-check' : 'codicon-error');
    btn.setAttribute('aria-label', ok ? 'Copied' : 'Copy failed');
    window.setTimeout(() => {
      iconEl?.classList.remove('codicon-check', 'codicon-error');
      iconEl?.classList.add('codicon-copy');
      btn.setAttribute('aria-label', 'Copy code');
    }, 1500);
  }
}
