/**
 * The usage view's model: the host's snapshot plus UI state (expanded turns, the selected row,
 * the turn the host asked to show), and the flat list of table rows the virtual list renders:
 * turns newest first, each expanded turn followed by its requests.
 */
import type { HostToWebview, UsageSnapshot } from '../../shared/protocol';

/** A row of the turn table. `turn` and `request` index the snapshot's arrays. */
export type Row =
  | { kind: 'turn'; key: string; turn: number }
  | { kind: 'request'; key: string; turn: number; request: number };

export interface UsageState {
  /** Whether a snapshot message has arrived (it may carry null: no session). */
  loaded: boolean;
  snapshot: UsageSnapshot | null;
  expanded: ReadonlySet<string>;
  /** The selected row's key (the keyboard cursor of the table). */
  selected: string | null;
  /** The turn the host asked to show (highlighted until another row is chosen). */
  highlight: string | null;
  /** Bumped each time the view should scroll the selected row into view. */
  revealSeq: number;
  /** A focus request for a turn not in the snapshot yet. */
  pendingFocus: string | null;
  rows: Row[];
  error: string | null;
}

export type UsageAction =
  | HostToWebview
  | { type: 'ui.toggle'; turnId: string }
  | { type: 'ui.setExpanded'; turnId: string; expanded: boolean }
  | { type: 'ui.select'; key: string | null }
  | { type: 'ui.restore'; expanded: string[]; selected: string | null };

export function turnKey(turnId: string): string {
  return `t:${turnId}`;
}

export function requestKey(turnId: string, requestId: string): string {
  return `r:${turnId}:${requestId}`;
}

export function initialUsageState(): UsageState {
  return {
    loaded: false,
    snapshot: null,
    expanded: new Set(),
    selected: null,
    highlight: null,
    revealSeq: 0,
    pendingFocus: null,
    rows: [],
    error: null,
  };
}

/** The table's rows: turns newest first, expanded ones followed by their requests. */
export function flattenRows(snapshot: UsageSnapshot | null, expanded: ReadonlySet<string>): Row[] {
  const turns = snapshot?.stats.turns ?? [];
  const rows: Row[] = [];
  for (let t = turns.length - 1; t >= 0; t--) {
    const turn = turns[t]!;
    rows.push({ kind: 'turn', key: turnKey(turn.turnId), turn: t });
    if (expanded.has(turn.turnId)) {
      turn.requests.forEach((r, i) => {
        rows.push({ kind: 'request', key: requestKey(turn.turnId, r.requestId), turn: t, request: i });
      });
    }
  }
  return rows;
}

function withExpanded(state: UsageState, expanded: ReadonlySet<string>): UsageState {
  let selected = state.selected;
  // A collapsed turn's request rows disappear: the selection moves to their turn.
  if (selected?.startsWith('r:')) {
    const turnId = state.rows.find((r) => r.key === selected && r.kind === 'request');
    const tid = turnId ? state.snapshot?.stats.turns[turnId.turn]?.turnId : undefined;
    if (tid !== undefined && !expanded.has(tid)) selected = turnKey(tid);
  }
  return { ...state, expanded, selected, rows: flattenRows(state.snapshot, expanded) };
}

function focusTurn(state: UsageState, turnId: string): UsageState {
  const exists = state.snapshot?.stats.turns.some((t) => t.turnId === turnId) ?? false;
  if (!exists) return { ...state, pendingFocus: turnId };
  const expanded = new Set(state.expanded);
  expanded.add(turnId);
  return {
    ...withExpanded(state, expanded),
    selected: turnKey(turnId),
    highlight: turnId,
    pendingFocus: null,
    revealSeq: state.revealSeq + 1,
  };
}

export function reduceUsage(state: UsageState, action: UsageAction): UsageState {
  switch (action.type) {
    case 'usage.snapshot': {
      const snapshot = action.snapshot;
      const ids = new Set(snapshot?.stats.turns.map((t) => t.turnId) ?? []);
      // Expanded turns of another session are forgotten; those of this one survive a refresh.
      const expanded = new Set([...state.expanded].filter((id) => ids.has(id)));
      const next: UsageState = {
        ...state,
        loaded: true,
        snapshot,
        expanded,
        rows: flattenRows(snapshot, expanded),
      };
      if (next.selected && !next.rows.some((r) => r.key === next.selected)) next.selected = null;
      if (next.highlight && !ids.has(next.highlight)) next.highlight = null;
      return state.pendingFocus && ids.has(state.pendingFocus) ? focusTurn(next, state.pendingFocus) : next;
    }
    case 'usage.focusTurn':
      return focusTurn(state, action.turnId);
    case 'ui.toggle': {
      const expanded = new Set(state.expanded);
      if (!expanded.delete(action.turnId)) expanded.add(action.turnId);
      return withExpanded(state, expanded);
    }
    case 'ui.setExpanded': {
      if (state.expanded.has(action.turnId) === action.expanded) return state;
      const expanded = new Set(state.expanded);
      if (action.expanded) expanded.add(action.turnId);
      else expanded.delete(action.turnId);
      return withExpanded(state, expanded);
    }
    case 'ui.select':
      return {
        ...state,
        selected: action.key,
        highlight: action.key === (state.highlight && turnKey(state.highlight)) ? state.highlight : null,
      };
    case 'ui.restore': {
      const expanded = new Set(action.expanded);
      return { ...withExpanded(state, expanded), selected: action.selected };
    }
    case 'error':
      return { ...state, error: action.message };
    case 'init':
    case 'chat.snapshot':
    case 'chat.append':
    case 'chat.update':
      return state;
    default:
      action satisfies never;
      return state;
  }
}

/** The index of the row with `key`, or -1. */
export function rowIndex(state: UsageState, key: string | null): number {
  if (key === null) return -1;
  return state.rows.findIndex((r) => r.key === key);
}
