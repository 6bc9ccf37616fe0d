/**
 * The chat view's model: what the host sent (snapshot, appended items, streamed text deltas,
 * updated items), folded by a pure reducer. Items keep their identity when unchanged, so the
 * view re-renders only what a message touched.
 */
import type { ChatItem, ChatSnapshot, HostToWebview } from '../../shared/protocol';

export interface ChatState {
  /** Whether a snapshot has arrived (before it: a loading state, not the empty state). */
  loaded: boolean;
  sessionId: string | null;
  title: string;
  provider: string;
  model: string;
  running: boolean;
  trusted: boolean;
  items: ChatItem[];
  /** A host error to show above the input (dismissible). */
  error: string | null;
  /** Tool calls the user answered whose answer the host has not confirmed yet. */
  answering: ReadonlySet<string>;
}

/** What the reducer folds: host messages and the view's own local actions. */
export type ChatAction =
  | HostToWebview
  | { type: 'ui.dismissError' }
  | { type: 'ui.answered'; toolCallId: string };

export function initialChatState(): ChatState {
  return {
    loaded: false,
    sessionId: null,
    title: '',
    provider: '',
    model: '',
    running: false,
    trusted: true,
    items: [],
    error: null,
    answering: new Set(),
  };
}

function fromSnapshot(state: ChatState, s: ChatSnapshot): ChatState {
  return {
    ...state,
    loaded: true,
    sessionId: s.sessionId,
    title: s.title,
    provider: s.provider,
    model: s.model,
    running: s.running,
    trusted: s.trusted,
    items: s.items,
    answering: new Set(),
  };
}

/** Index of the item with `id`, searched from the end (updates target recent items). */
function indexOf(items: ChatItem[], id: string): number {
  for (let i = items.length - 1; i >= 0; i--) if (items[i]!.id === id) return i;
  return -1;
}

/** Drops answered tool calls from `answering` once the host's item says so. */
function settle(answering: ReadonlySet<string>, items: ChatItem[]): ReadonlySet<string> {
  if (answering.size === 0) return answering;
  const next = new Set(answering);
  for (const it of items)
    if (it.kind === 'tool' && (it.approved !== undefined || !it.approval)) next.delete(it.toolCallId);
  return next.size === answering.size ? answering : next;
}

export function reduceChat(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'init':
      return { ...state, trusted: action.trusted };
    case 'chat.snapshot':
      return fromSnapshot(state, action.snapshot);
    case 'chat.append': {
      const items = state.items.slice();
      for (const it of action.items) {
        const at = indexOf(items, it.id);
        if (at >= 0) items[at] = it;
        else items.push(it);
      }
      for (const d of action.deltas) {
        const at = indexOf(items, d.id);
        const it = at >= 0 ? items[at] : undefined;
        if (it?.kind === 'assistant' && d.text) items[at] = { ...it, text: it.text + d.text };
      }
      return { ...state, items, running: action.running, answering: settle(state.answering, action.items) };
    }
    case 'chat.update': {
      const items = state.items.slice();
      const at = indexOf(items, action.item.id);
      if (at >= 0) items[at] = action.item;
      else items.push(action.item);
      return { ...state, items, answering: settle(state.answering, [action.item]) };
    }
    case 'error':
      return { ...state, error: action.message };
    case 'ui.dismissError':
      return { ...state, error: null };
    case 'ui.answered':
      return { ...state, answering: new Set([...state.answering, action.toolCallId]) };
    case 'usage.snapshot':
    case 'usage.patch':
    case 'usage.focusTurn':
    case 'spending.report':
      return state;
    default:
      action satisfies never;
      return state;
  }
}

/** Whether a tool call waits for the user's answer (and the user has not answered yet). */
export function awaitsApproval(state: ChatState, item: ChatItem): boolean {
  return (
    item.kind === 'tool' &&
    item.approval !== undefined &&
    item.approved === undefined &&
    item.output === undefined &&
    !state.answering.has(item.toolCallId)
  );
}
