/**
 * The usage view's model: the host's snapshot plus UI state (expanded turns, the selected row,
 * the turn the host asked to show), and the flat list of table rows the virtual list renders:
 * turns newest first, each expanded turn followed by its requests.
 */
import type { HostToWebview, UsagePatch, UsageSnapshot } from '../../shared/protocol';
import { buildRows, type Row, type Rows, requestKey, turnKey } from './rows';

export { type Row, type Rows, requestKey, turnKey };

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
  rows: Rows;
  error: string | null;
}

export type UsageAction =
  | HostToWebview
  /** Expands or collapses a turn; `select` also makes it the selected row (a click). */
  | { type: 'ui.toggle'; turnId: string; select?: boolean }
  | { type: 'ui.setExpanded'; turnId: string; expanded: boolean }
  | { type: 'ui.select'; key: string | null }
  | { type: 'ui.restore'; expanded: string[]; selected: string | null };

export function initialUsageState(): UsageState {
  return {
    loaded: false,
    snapshot: null,
    expanded: new Set(),
    selected: null,
    highlight: null,
    revealSeq: 0,
    pendingFocus: null,
    rows: buildRows([], new Set()),
    error: null,
  };
}

/** The table's rows: turns newest first, expanded ones followed by their requests. */
export function flattenRows(snapshot: UsageSnapshot | null, expanded: ReadonlySet<string>): Rows {
  return buildRows(snapshot?.stats.turns ?? [], expanded);
}

function withExpanded(state: UsageState, expanded: ReadonlySet<string>): UsageState {
  let selected = state.selected;
  // A collapsed turn's request rows disappear: the selection moves to their turn.
  if (selected?.startsWith('r:')) {
    const row = state.rows.at(state.rows.indexOf(selected));
    const tid = row ? state.snapshot?.stats.turns[row.turn]?.turnId : undefined;
    if (tid !== undefined && !expanded.has(tid)) selected = turnKey(tid);
  }
  return { ...state, expanded, selected, rows: flattenRows(state.snapshot, expanded) };
}

/** Whether the snapshot has a turn with this id (searched from the newest: no allocation). */
function hasTurn(snapshot: UsageSnapshot | null, turnId: string): boolean {
  const turns = snapshot?.stats.turns ?? [];
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i]!.turnId === turnId) return true;
  return false;
}

function focusTurn(state: UsageState, turnId: string): UsageState {
  if (!hasTurn(state.snapshot, turnId)) return { ...state, pendingFocus: turnId };
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

/** Applies a patch to the snapshot of the same session (null: it does not apply). */
export function applyPatch(snapshot: UsageSnapshot | null, patch: UsagePatch): UsageSnapshot | null {
  if (!snapshot || snapshot.stats.sessionId !== patch.sessionId) return null;
  const turns = snapshot.stats.turns.slice();
  for (const t of patch.turns) {
    let at = -1;
    // Patched turns are nearly always the last ones: search from the end.
    for (let i = turns.length - 1; i >= 0; i--) {
      if (turns[i]!.turnId === t.turnId) {
        at = i;
        break;
      }
    }
    if (at >= 0) turns[at] = t;
    else turns.push(t);
  }
  return {
    stats: {
      ...snapshot.stats,
      turns,
      sessionRequests: patch.sessionRequests ?? snapshot.stats.sessionRequests,
      total: patch.total,
      contextWindow: patch.contextWindow,
      updatedAt: patch.updatedAt,
    },
    gauge: patch.gauge,
    running: patch.running,
    budgetUsd: patch.budgetUsd,
  };
}

export function reduceUsage(state: UsageState, action: UsageAction): UsageState {
  switch (action.type) {
    case 'usage.patch': {
      const snapshot = applyPatch(state.snapshot, action.patch);
      return snapshot ? reduceUsage(state, { type: 'usage.snapshot', snapshot }) : state;
    }
    case 'usage.snapshot': {
      const snapshot = action.snapshot;
      const sameSession = snapshot !== null && snapshot.stats.sessionId === state.snapshot?.stats.sessionId;
      // Expanded turns of another session are forgotten; those of this one survive a refresh.
      const expanded = sameSession
        ? state.expanded
        : new Set([...state.expanded].filter((id) => hasTurn(snapshot, id)));
      const next: UsageState = {
        ...state,
        loaded: true,
        snapshot,
        expanded,
        rows: flattenRows(snapshot, expanded),
      };
      if (next.selected && next.rows.indexOf(next.selected) < 0) next.selected = null;
      if (next.highlight && !hasTurn(snapshot, next.highlight)) next.highlight = null;
      return state.pendingFocus && hasTurn(snapshot, state.pendingFocus)
        ? focusTurn(next, state.pendingFocus)
        : next;
    }
    case 'usage.focusTurn':
      return focusTurn(state, action.turnId);
    case 'ui.toggle': {
      const expanded = new Set(state.expanded);
      if (!expanded.delete(action.turnId)) expanded.add(action.turnId);
      const next = withExpanded(state, expanded);
      return action.select ? reduceUsage(next, { type: 'ui.select', key: turnKey(action.turnId) }) : next;
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
    case 'spending.report':
      return state;
    default:
      action satisfies never;
      return state;
  }
}

/** The index of the row with `key`, or -1. */
export function rowIndex(state: UsageState, key: string | null): number {
  return key === null ? -1 : state.rows.indexOf(key);
}
