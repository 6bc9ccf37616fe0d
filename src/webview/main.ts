/**
 * Webview entry: injects the stylesheet under the page's CSP nonce, builds the view named by
 * `<body data-view>`, and says `ready`. Renders what the host sends; computes no billing numbers.
 */
import type { ViewKind } from '../shared/protocol';
import { createBridge } from './bridge';
import type { ChatUiState } from './chat/view';
import { ChatView } from './chat/view';
import spendingCss from './spending/spending.css' with { type: 'text' };
import type { SpendingUiState } from './spending/view';
import { SpendingView } from './spending/view';
import css from './styles.css' with { type: 'text' };
import type { UsageUiState } from './usage/view';
import { UsageView } from './usage/view';

// Read while this script runs: currentScript is null afterwards.
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';

function injectStyles(): void {
  const style = document.createElement('style');
  if (nonce) style.nonce = nonce;
  style.textContent = `${css}\n${spendingCss}`;
  document.head.appendChild(style);
}

function start(): void {
  injectStyles();
  const root = document.getElementById('root') ?? document.body;
  const named = document.body.dataset.view;
  const view: ViewKind = named === 'usage' || named === 'spending' ? named : 'chat';
  if (view === 'spending') {
    const bridge = createBridge<SpendingUiState>();
    const v = new SpendingView(root, bridge);
    bridge.onMessage((m) => v.dispatch(m));
    bridge.post({ type: 'ready', view });
    bridge.post({ type: 'spending.by', by: v.by });
  } else if (view === 'usage') {
    const bridge = createBridge<UsageUiState>();
    const v = new UsageView(root, bridge);
    bridge.onMessage((m) => v.dispatch(m));
    bridge.post({ type: 'ready', view });
  } else {
    const bridge = createBridge<ChatUiState>();
    const v = new ChatView(root, bridge);
    bridge.onMessage((m) => v.dispatch(m));
    bridge.post({ type: 'ready', view });
  }
}

start();
