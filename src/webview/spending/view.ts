/**
 * The Spending view: what this workspace's sessions cost per day, month or model, with a bar
 * chart and a table whose total row is the host's report total (never re-added here).
 */

import type { SpendingReportJson } from '../../core/report/spending';
import type { HostToWebview, SpendingBy } from '../../shared/protocol';
import type { Bridge } from '../bridge';
import { button, h, replaceChildren } from '../dom';
import { formatTokens } from '../format';
import { bars } from './bars';

export interface SpendingUiState {
  by: SpendingBy;
}

const SVG = 'http://www.w3.org/2000/svg';
const CHOICES: { by: SpendingBy; label: string }[] = [
  { by: 'day', label: 'Day' },
  { by: 'month', label: 'Month' },
  { by: 'model', label: 'Model' },
];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function cost(c: { cost: string | null; unknownCostRequests: number }): string {
  if (c.cost === null) return 'unknown';
  return c.unknownCostRequests > 0 ? `$${c.cost} + unknown` : `$${c.cost}`;
}

export class SpendingView {
  private report: SpendingReportJson | null = null;
  private state: SpendingUiState;
  private readonly el: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly bridge: Bridge<SpendingUiState>,
  ) {
    this.state = { by: bridge.loadState()?.by ?? 'day' };
    this.el = h('section', { class: 'spending', attrs: { 'aria-label': 'Spending' } });
    root.appendChild(this.el);
    this.render();
  }

  /** The grouping to ask the host for once the view is ready. */
  get by(): SpendingBy {
    return this.state.by;
  }

  dispatch(m: HostToWebview): void {
    if (m.type === 'spending.report') {
      this.report = m.report;
      if (CHOICES.some((c) => c.by === m.report.by)) this.state = { by: m.report.by as SpendingBy };
      this.render();
    }
  }

  private choose(by: SpendingBy): void {
    this.state = { by };
    this.bridge.saveState(this.state);
    this.bridge.post({ type: 'spending.by', by });
    this.render();
  }

  private render(): void {
    const r = this.report;
    const sw = h(
      'div',
      { class: 'switch', attrs: { role: 'group', 'aria-label': 'Group by' } },
      ...CHOICES.map((c) => {
        const b = button(c.label, { onClick: () => this.choose(c.by) });
        b.setAttribute('aria-pressed', String(this.state.by === c.by));
        return b;
      }),
    );
    if (!r) {
      replaceChildren(this.el, sw, h('div', { class: 'empty' }, 'Loading…'));
      return;
    }
    if (r.groups.length === 0) {
      replaceChildren(
        this.el,
        sw,
        h('div', { class: 'empty' }, 'No spending recorded in this workspace yet.'),
      );
      return;
    }
    const total = h(
      'div',
      {},
      h('div', { class: 'sp-total' }, cost(r.total)),
      h(
        'div',
        { class: 'sp-note' },
        `${formatTokens(r.total.totalTokens)} tokens · ${plural(r.total.turns, 'turn')} · ${plural(r.total.requests, 'request')} · ${plural(r.total.sessions, 'session')}`,
        r.total.unknownCostRequests > 0
          ? ` · ${r.total.unknownCostRequests} requests (${formatTokens(r.total.unknownCostTokens)} tokens) without a known price`
          : '',
      ),
    );
    const groups = r.by === 'model' ? r.groups : [...r.groups].sort((a, b) => a.key.localeCompare(b.key));
    const W = 600;
    const H = 110;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'bars');
    svg.setAttribute('viewBox', `0 0 ${W} ${H + 2}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `Cost per ${r.by}`);
    // At most 40 px a bar: one day is a bar, not a wall.
    const width = Math.min(W, groups.length * 40);
    for (const b of bars(groups, width, H)) {
      const rect = document.createElementNS(SVG, 'rect');
      rect.setAttribute('class', b.unknown ? 'bar unknown' : 'bar');
      rect.setAttribute('x', String(b.x));
      rect.setAttribute('y', String(b.y));
      rect.setAttribute('width', String(b.width));
      rect.setAttribute('height', String(b.height || (b.unknown ? 2 : 0)));
      const g = groups.find((x) => x.key === b.key)!;
      const title = document.createElementNS(SVG, 'title');
      title.textContent = `${b.label}: ${cost(g)}`;
      rect.appendChild(title);
      svg.appendChild(rect);
    }
    const axis = document.createElementNS(SVG, 'line');
    axis.setAttribute('class', 'axis');
    axis.setAttribute('x1', '0');
    axis.setAttribute('x2', String(W));
    axis.setAttribute('y1', String(H + 1));
    axis.setAttribute('y2', String(H + 1));
    svg.appendChild(axis);
    const head = ['', 'Requests', 'Tokens', 'Cost'];
    head[0] = r.by === 'model' ? 'Model' : r.by === 'month' ? 'Month' : 'Day';
    const table = h(
      'table',
      { attrs: { 'aria-label': `Spending per ${r.by}` } },
      h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
      h(
        'tbody',
        {},
        ...groups.map((g) =>
          h(
            'tr',
            {},
            h('td', { attrs: { title: g.key } }, g.label),
            h('td', {}, String(g.requests)),
            h(
              'td',
              {
                attrs: {
                  title: `input ${formatTokens(g.inputTokens)} (cache read ${formatTokens(g.inputTokenDetails.cacheReadTokens)}), output ${formatTokens(g.outputTokens)}`,
                },
              },
              formatTokens(g.totalTokens),
            ),
            h('td', {}, cost(g)),
          ),
        ),
      ),
      h(
        'tfoot',
        {},
        h(
          'tr',
          {},
          h('td', {}, 'Total'),
          h('td', {}, String(r.total.requests)),
          h('td', {}, formatTokens(r.total.totalTokens)),
          h('td', {}, cost(r.total)),
        ),
      ),
    );
    replaceChildren(
      this.el,
      sw,
      total,
      svg,
      h('div', { class: 'sp-note' }, `Times in ${r.timeZone}.`),
      table,
    );
  }
}
