/**
 * The per-turn table as a virtualized tree grid: fixed-height rows, only the visible ones (plus
 * overscan) in the DOM over a spacer as tall as all rows, expanded turns followed by their
 * requests. Keyboard: arrows move, Enter or Space toggles, Right/Left expand, collapse or go to
 * the parent, Home/End and Page keys jump. The page scrolls; the table follows the viewport.
 */
import type { RequestStatsJson, TurnStatsJson } from '../../core/report/stats';
import { h, icon } from '../dom';
import {
  type Badge,
  formatCost,
  formatDateTime,
  formatTime,
  formatTokens,
  requestBadges,
  turnBadges,
} from '../format';
import { type Row, rowIndex, type UsageAction, type UsageState } from './model';
import { revealDelta, rowWindow } from './virtual';

/** Must match `.tt-row { height }` in styles.css. */
export const ROW_HEIGHT = 24;
const OVERSCAN = 10;

const COLUMNS = [
  { key: 'turn', title: 'Turn', num: false },
  { key: 'time', title: 'Time', num: false },
  { key: 'model', title: 'Model', num: false },
  { key: 'req', title: 'Req', num: true, long: 'Requests' },
  { key: 'in', title: 'Input', num: true },
  { key: 'cached', title: 'Cached', num: true, long: 'Cache read (of input)' },
  { key: 'out', title: 'Output', num: true, short: 'Out' },
  { key: 'reason', title: 'Reason', num: true, long: 'Reasoning (of output)' },
  { key: 'cost', title: 'Cost', num: true },
  // The narrowest table has no room for the word: the badge legend above it names the icons.
  { key: 'status', title: 'Status', num: false, short: '' },
] as const;

/** A header's text: where the table is narrow (styles.css), the short label shows instead. */
function headerLabel(c: (typeof COLUMNS)[number]): (Node | string)[] {
  if (!('short' in c)) return [c.title];
  return [
    h('span', { class: 'col-long' }, c.title),
    h('span', { class: 'col-short', attrs: { 'aria-hidden': 'true' } }, c.short),
  ];
}

function cell(key: string, content: (Node | string)[], num = false, title?: string): HTMLElement {
  return h(
    'div',
    { class: `tt-cell c-${key}${num ? ' num' : ''}`, attrs: { role: 'gridcell', title } },
    ...content,
  );
}

function badges(list: Badge[]): HTMLElement[] {
  return list.map((b) =>
    h(
      'span',
      { class: `badge badge-${b.kind}`, attrs: { title: b.title } },
      icon(b.icon, b.kind === 'running' ? 'codicon-modifier-spin' : ''),
      h('span', { class: 'badge-label' }, b.label),
    ),
  );
}

export class TurnTable {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly rowsEl: HTMLElement;
  private state: UsageState | null = null;
  private lastWindow = '';
  private frame = 0;
  /** Rendered row elements by key (reused while the row stays in the window). */
  private nodes = new Map<string, { node: HTMLElement; sig: string }>();

  constructor(private readonly dispatch: (a: UsageAction) => void) {
    const head = h(
      'div',
      { class: 'tt-row tt-head', attrs: { role: 'row', 'aria-rowindex': 1 } },
      ...COLUMNS.map((c) =>
        h(
          'div',
          {
            class: `tt-cell c-${c.key}${c.num ? ' num' : ''}`,
            attrs: { role: 'columnheader', title: 'long' in c ? c.long : 'short' in c ? c.title : undefined },
          },
          ...headerLabel(c),
        ),
      ),
    );
    this.rowsEl = h('div', { class: 'tt-rows', attrs: { role: 'rowgroup' } });
    this.body = h('div', { class: 'tt-body', attrs: { role: 'presentation' } }, this.rowsEl);
    this.el = h(
      'div',
      {
        class: 'turn-table',
        attrs: { role: 'treegrid', 'aria-label': 'Turns, newest first', 'aria-colcount': COLUMNS.length },
      },
      h('div', { class: 'tt-headgroup', attrs: { role: 'rowgroup' } }, head),
      this.body,
    );
    this.rowsEl.addEventListener('keydown', (e) => this.onKey(e));
    this.rowsEl.addEventListener('click', (e) => this.onClick(e));
    window.addEventListener('scroll', () => this.schedule(), { passive: true });
    window.addEventListener('resize', () => this.schedule());
  }

  /** Takes a new state: re-renders the window (all of it when the data or rows changed). */
  update(state: UsageState): void {
    const prev = this.state;
    this.state = state;
    if (!prev || prev.snapshot !== state.snapshot || prev.rows !== state.rows) this.nodes.clear();
    // Read the position first, then write: no second forced layout.
    const top = this.body.getBoundingClientRect().top;
    this.el.setAttribute('aria-rowcount', String(state.rows.length + 1));
    this.body.style.height = `${state.rows.length * ROW_HEIGHT}px`;
    this.lastWindow = '';
    this.renderWindow(top);
  }

  /** Scrolls the page so that row `index` is in view (below the sticky header). */
  reveal(index: number): void {
    if (index < 0) return;
    const rect = this.body.getBoundingClientRect();
    const head = this.el.querySelector('.tt-head')?.getBoundingClientRect().height ?? ROW_HEIGHT;
    const delta = revealDelta(index, ROW_HEIGHT, -rect.top, window.innerHeight - rect.top, head);
    if (delta !== 0) window.scrollBy({ top: delta });
    this.lastWindow = '';
    this.renderWindow();
  }

  /** Puts keyboard focus on the selected row (after a reveal). */
  focusSelected(): void {
    const s = this.state;
    if (!s?.selected) return;
    this.nodes.get(s.selected)?.node.focus({ preventScroll: true });
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderWindow();
    });
  }

  private renderWindow(knownTop?: number): void {
    const s = this.state;
    if (!s) return;
    const top = knownTop ?? this.body.getBoundingClientRect().top;
    const win = rowWindow({
      viewTop: -top,
      viewBottom: window.innerHeight - top,
      rowHeight: ROW_HEIGHT,
      rowCount: s.rows.length,
      overscan: OVERSCAN,
    });
    const sig = `${win.start}:${win.end}:${s.selected}:${s.highlight}`;
    if (sig === this.lastWindow) return;
    this.lastWindow = sig;
    const hadFocus = this.rowsEl.contains(document.activeElement);
    this.rowsEl.style.transform = `translateY(${win.offset}px)`;
    // The roving tab stop: the selected row if it is rendered, else the first rendered row.
    const selectedIdx = rowIndex(s, s.selected);
    const tabStop = selectedIdx >= win.start && selectedIdx < win.end ? selectedIdx : win.start;
    const next = new Map<string, { node: HTMLElement; sig: string }>();
    const nodes: HTMLElement[] = [];
    for (let i = win.start; i < win.end; i++) {
      const row = s.rows.at(i)!;
      const rowSig = `${i}|${row.key === s.selected}|${i === tabStop}|${row.kind === 'turn' && s.highlight === s.snapshot?.stats.turns[row.turn]?.turnId}`;
      const old = this.nodes.get(row.key);
      const entry =
        old && old.sig === rowSig ? old : { node: this.renderRow(row, i, i === tabStop), sig: rowSig };
      next.set(row.key, entry);
      nodes.push(entry.node);
    }
    this.nodes = next;
    this.rowsEl.replaceChildren(...nodes);
    if (hadFocus) this.focusSelected();
  }

  private renderRow(row: Row, index: number, tabStop: boolean): HTMLElement {
    const s = this.state!;
    const turn = s.snapshot!.stats.turns[row.turn]!;
    const selected = row.key === s.selected;
    const el =
      row.kind === 'turn'
        ? this.turnRow(turn, s.expanded.has(turn.turnId), s.highlight === turn.turnId)
        : this.requestRow(turn, turn.requests[row.request]!, row.request);
    el.classList.toggle('selected', selected);
    el.setAttribute('aria-selected', String(selected));
    el.setAttribute('aria-rowindex', String(index + 2));
    el.dataset.index = String(index);
    el.tabIndex = tabStop ? 0 : -1;
    return el;
  }

  private turnRow(t: TurnStatsJson, expanded: boolean, highlight: boolean): HTMLElement {
    const u = t.usage;
    const canExpand = t.requests.length > 0;
    return h(
      'div',
      {
        class: `tt-row turn${highlight ? ' highlight' : ''}`,
        attrs: {
          role: 'row',
          'aria-level': 1,
          'aria-expanded': canExpand ? String(expanded) : null,
          'aria-label': `Turn ${t.index + 1}, ${t.requests.length} requests, ${formatTokens(u.totalTokens)} tokens, cost ${formatCost(t)}${t.status === 'completed' ? '' : `, ${t.status}`}`,
        },
      },
      cell('turn', [
        icon(canExpand ? (expanded ? 'chevron-down' : 'chevron-right') : 'blank', 'chev'),
        String(t.index + 1),
      ]),
      cell('time', [formatTime(t.startedAt)], false, formatDateTime(t.startedAt)),
      cell('model', [t.model], false, t.model),
      cell('req', [String(t.requests.length)], true),
      cell(
        'in',
        [formatTokens(u.inputTokens)],
        true,
        `no cache ${formatTokens(u.inputTokenDetails.noCacheTokens)}, cache write ${formatTokens(u.inputTokenDetails.cacheWriteTokens)}`,
      ),
      cell('cached', [formatTokens(u.inputTokenDetails.cacheReadTokens)], true),
      cell('out', [formatTokens(u.outputTokens)], true),
      cell('reason', [formatTokens(u.outputTokenDetails.reasoningTokens)], true),
      cell('cost', [formatCost(t)], true, formatCost(t)),
      cell('status', badges(turnBadges(t)), false, t.error),
    );
  }

  private requestRow(t: TurnStatsJson, r: RequestStatsJson, i: number): HTMLElement {
    const u = r.usage;
    return h(
      'div',
      {
        class: 'tt-row request',
        attrs: {
          role: 'row',
          'aria-level': 2,
          'aria-label': `Request ${i + 1} of turn ${t.index + 1}, ${formatTokens(u.totalTokens)} tokens, cost ${formatCost(r)}${r.status === 'completed' ? '' : `, ${r.status}`}`,
        },
      },
      cell('turn', [`${t.index + 1}.${i + 1}`]),
      cell('time', [formatTime(r.startedAt)], false, formatDateTime(r.startedAt)),
      cell('model', [r.model], false, `${r.provider} · ${r.model}`),
      cell('req', [''], true),
      cell(
        'in',
        [formatTokens(u.inputTokens)],
        true,
        `no cache ${formatTokens(u.inputTokenDetails.noCacheTokens)}, cache write ${formatTokens(u.inputTokenDetails.cacheWriteTokens)}`,
      ),
      cell('cached', [formatTokens(u.inputTokenDetails.cacheReadTokens)], true),
      cell('out', [formatTokens(u.outputTokens)], true),
      cell('reason', [formatTokens(u.outputTokenDetails.reasoningTokens)], true),
      cell('cost', [formatCost(r)], true, formatCost(r)),
      cell('status', badges(requestBadges(r)), false, r.error),
    );
  }

  private onClick(e: MouseEvent): void {
    const rowEl = (e.target as Element).closest<HTMLElement>('.tt-row');
    const s = this.state;
    if (!rowEl || !s) return;
    const row = s.rows.at(Number(rowEl.dataset.index));
    if (!row) return;
    // One action for a click on a turn (select and toggle): one render, one layout.
    if (row.kind === 'turn') {
      this.dispatch({ type: 'ui.toggle', turnId: s.snapshot!.stats.turns[row.turn]!.turnId, select: true });
    } else this.dispatch({ type: 'ui.select', key: row.key });
    this.focusSelected();
  }

  private onKey(e: KeyboardEvent): void {
    const s = this.state;
    if (!s || s.rows.length === 0) return;
    const cur = Math.max(
      0,
      rowIndex(s, s.selected) < 0
        ? Number((e.target as HTMLElement).dataset.index ?? 0)
        : rowIndex(s, s.selected),
    );
    const row = s.rows.at(cur)!;
    const turnId = s.snapshot!.stats.turns[row.turn]!.turnId;
    const page = Math.max(1, Math.floor(window.innerHeight / ROW_HEIGHT) - 2);
    let target: number | null = null;
    switch (e.key) {
      case 'ArrowDown':
        target = Math.min(s.rows.length - 1, cur + 1);
        break;
      case 'ArrowUp':
        target = Math.max(0, cur - 1);
        break;
      case 'PageDown':
        target = Math.min(s.rows.length - 1, cur + page);
        break;
      case 'PageUp':
        target = Math.max(0, cur - page);
        break;
      case 'Home':
        target = 0;
        break;
      case 'End':
        target = s.rows.length - 1;
        break;
      case 'Enter':
      case ' ':
        if (row.kind === 'turn') this.dispatch({ type: 'ui.toggle', turnId });
        else
          this.dispatch({
            type: 'ui.select',
            key: s.rows.at(s.rows.turnRow(row.turn))!.key,
          });
        break;
      case 'ArrowRight':
        if (row.kind === 'turn' && !s.expanded.has(turnId))
          this.dispatch({ type: 'ui.setExpanded', turnId, expanded: true });
        else if (row.kind === 'turn') target = Math.min(s.rows.length - 1, cur + 1);
        break;
      case 'ArrowLeft':
        if (row.kind === 'turn' && s.expanded.has(turnId))
          this.dispatch({ type: 'ui.setExpanded', turnId, expanded: false });
        else if (row.kind === 'request') {
          target = s.rows.turnRow(row.turn);
        }
        break;
      default:
        return;
    }
    e.preventDefault();
    if (target !== null) {
      this.dispatch({ type: 'ui.select', key: s.rows.at(target)!.key });
      this.reveal(target);
    } else {
      const st = this.state;
      if (st) this.reveal(rowIndex(st, st.selected));
    }
    this.focusSelected();
  }
}
