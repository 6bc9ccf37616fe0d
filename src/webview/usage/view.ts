/**
 * The usage view: the context-window gauge, the session's totals, the tokens-per-turn chart,
 * Export and Copy as Markdown, and the per-turn table. Every figure is the host's; this view
 * only lays them out.
 */
import type { Gauge, UsageSnapshot } from '../../shared/protocol';
import type { Bridge } from '../bridge';
import { button, h, icon, replaceChildren } from '../dom';
import { BADGE_LEGEND, formatCost, formatTokens } from '../format';
import { UsageChart } from './chartView';
import { initialUsageState, reduceUsage, rowIndex, type UsageAction, type UsageState } from './model';
import { TurnTable } from './table';

/** What the usage view keeps across reloads: UI state only. */
export interface UsageUiState {
  expanded: string[];
  selected: string | null;
  scrollY: number;
}

const LEVEL_TEXT: Record<Gauge['level'], string> = {
  ok: '',
  notice: 'over half full',
  warning: 'over 80% full',
  error: 'nearly full',
};

export class UsageView {
  private state: UsageState = initialUsageState();
  private readonly header = h('header', { class: 'usage-header' });
  private readonly gauge = h('section', { class: 'gauge', attrs: { 'aria-label': 'Context window' } });
  private readonly totals = h('section', { class: 'totals', attrs: { 'aria-label': 'Session totals' } });
  private readonly notes = h('div', { class: 'usage-notes' });
  private readonly content: HTMLElement;
  private readonly message = h('div', { class: 'empty' });
  private readonly errorBox = h('div', { class: 'error-banner', attrs: { role: 'alert' } });
  private readonly chart: UsageChart;
  private readonly table: TurnTable;
  private readonly status = h('div', { class: 'sr-only', attrs: { role: 'status' } });
  private scrollRestore: number | null;
  private saveTimer = 0;

  constructor(
    root: HTMLElement,
    private readonly bridge: Bridge<UsageUiState>,
  ) {
    const saved = bridge.loadState();
    this.scrollRestore = saved?.scrollY ?? null;
    this.chart = new UsageChart((turn) => {
      const t = this.state.snapshot?.stats.turns[turn];
      if (t) {
        this.dispatch({ type: 'usage.focusTurn', turnId: t.turnId });
        this.table.focusSelected();
      }
    });
    this.table = new TurnTable((a) => this.dispatch(a));
    const actions = h(
      'div',
      { class: 'usage-actions', attrs: { role: 'toolbar', 'aria-label': 'Export' } },
      button('Export CSV', {
        icon: 'export',
        onClick: () => this.post({ type: 'usage.export', format: 'csv' }),
      }),
      button('Export JSON', {
        icon: 'json',
        onClick: () => this.post({ type: 'usage.export', format: 'json' }),
      }),
      button('Copy as Markdown', { icon: 'markdown', onClick: () => this.copyMarkdown() }),
    );
    this.content = h(
      'div',
      { class: 'usage-content' },
      this.header,
      this.notes,
      this.gauge,
      this.totals,
      this.chart.el,
      actions,
      h(
        'div',
        { class: 'turns-head' },
        h('h3', { class: 'section-title' }, 'Turns'),
        h(
          'ul',
          { class: 'legend badge-legend', attrs: { 'aria-label': 'Status badges' } },
          ...BADGE_LEGEND.map((b) => h('li', { class: `badge-${b.kind}` }, icon(b.icon), b.label)),
        ),
      ),
      this.table.el,
    );
    root.append(h('div', { class: 'usage' }, this.errorBox, this.message, this.content, this.status));
    if (saved?.expanded || saved?.selected) {
      this.dispatch({ type: 'ui.restore', expanded: saved.expanded ?? [], selected: saved.selected ?? null });
    }
    window.addEventListener('scroll', () => this.scheduleSave(), { passive: true });
    this.render(null);
  }

  dispatch(action: UsageAction): void {
    const prev = this.state;
    this.state = reduceUsage(prev, action);
    if (this.state !== prev) this.render(prev);
  }

  private post(msg: Parameters<Bridge<UsageUiState>['post']>[0]): void {
    this.bridge.post(msg);
  }

  private copyMarkdown(): void {
    this.post({ type: 'usage.copyMarkdown' });
    this.status.textContent = 'Copied the usage table as Markdown';
  }

  private scheduleSave(): void {
    window.clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => {
      this.bridge.saveState({
        expanded: [...this.state.expanded],
        selected: this.state.selected,
        scrollY: window.scrollY,
      });
    }, 200);
  }

  private render(prev: UsageState | null): void {
    const s = this.state;
    if (!prev || prev.error !== s.error) {
      this.errorBox.hidden = s.error === null;
      replaceChildren(this.errorBox, icon('error'), h('span', {}, s.error ?? ''));
    }
    const snap = s.snapshot;
    this.content.hidden = snap === null;
    this.message.hidden = snap !== null;
    if (!snap) {
      replaceChildren(
        this.message,
        icon(s.loaded ? 'graph' : 'loading', s.loaded ? 'empty-icon' : 'codicon-modifier-spin empty-icon'),
        h('p', {}, s.loaded ? 'No session yet.' : 'Loading usage…'),
        s.loaded
          ? h(
              'p',
              { class: 'hint' },
              'Chat with Tally: every request’s tokens and cost show up here, per turn.',
            )
          : null,
      );
      this.scheduleSave();
      return;
    }
    const fresh = !prev || prev.snapshot !== snap;
    if (fresh) {
      this.renderHeader(snap);
      this.renderGauge(snap.gauge);
      this.renderTotals(snap);
    }
    // Reads before writes: one forced layout for the chart's width and the table's position.
    const width = fresh ? this.chart.measure() : 0;
    this.table.update(s);
    if (fresh) this.chart.update(snap.stats, width);
    if (this.scrollRestore !== null) {
      window.scrollTo(0, this.scrollRestore);
      this.scrollRestore = null;
    }
    if (prev && s.revealSeq !== prev.revealSeq) {
      this.table.reveal(rowIndex(s, s.selected));
      const t = s.snapshot?.stats.turns.find((x) => x.turnId === s.highlight);
      if (t) this.status.textContent = `Showing turn ${t.index + 1}`;
    }
    this.scheduleSave();
  }

  private renderHeader(snap: UsageSnapshot): void {
    const st = snap.stats;
    replaceChildren(
      this.header,
      h(
        'h2',
        { class: 'usage-title', attrs: { title: st.title || st.sessionId } },
        st.title || 'Untitled session',
      ),
      h(
        'div',
        { class: 'usage-sub' },
        `${st.model || 'unknown model'}${st.provider ? ` · ${st.provider}` : ''}`,
        snap.running
          ? h(
              'span',
              { class: 'badge badge-running' },
              icon('loading', 'codicon-modifier-spin'),
              ' turn running',
            )
          : null,
      ),
    );
    const notes: HTMLElement[] = [];
    if (st.approximate) {
      notes.push(
        h(
          'div',
          { class: 'note' },
          icon('info'),
          h('span', {}, 'Approximate: this log recorded cumulative usage; totals were reconstructed.'),
        ),
      );
    }
    if (snap.budgetUsd !== null) {
      notes.push(
        h(
          'div',
          { class: 'note' },
          icon('credit-card'),
          h('span', {}, `Budget for this session: $${snap.budgetUsd}`),
        ),
      );
    }
    replaceChildren(this.notes, ...notes);
  }

  private renderGauge(g: Gauge): void {
    const pct = g.percent === null ? null : Math.max(0, Math.min(100, g.percent));
    const fill = h('div', { class: 'meter-fill' });
    fill.style.width = `${pct ?? 0}%`;
    const text =
      g.limitTokens === null
        ? `${formatTokens(g.usedTokens)} tokens (model limit unknown)`
        : `${formatTokens(g.usedTokens)} of ${formatTokens(g.limitTokens)} tokens (${g.percent}%)`;
    const meter = h(
      'div',
      {
        class: `meter${pct === null ? ' unknown' : ''}`,
        attrs: {
          role: 'meter',
          'aria-label': 'Context window',
          'aria-valuemin': 0,
          'aria-valuemax': 100,
          'aria-valuenow': pct ?? 0,
          'aria-valuetext': `${text}${LEVEL_TEXT[g.level] ? `, ${LEVEL_TEXT[g.level]}` : ''}`,
        },
      },
      fill,
      ...[50, 80, 95].map((m) => {
        const tick = h('span', { class: 'meter-tick', attrs: { 'aria-hidden': 'true' } });
        tick.style.left = `${m}%`;
        return tick;
      }),
    );
    this.gauge.className = `gauge level-${g.level}`;
    replaceChildren(
      this.gauge,
      h(
        'div',
        { class: 'gauge-head' },
        h('span', { class: 'gauge-title' }, 'Context window'),
        h('span', { class: 'gauge-value' }, g.percent === null ? g.label : `${g.label} · ${g.percent}%`),
      ),
      meter,
      h('div', { class: 'gauge-caption' }, text, LEVEL_TEXT[g.level] ? ` — ${LEVEL_TEXT[g.level]}` : ''),
    );
  }

  private renderTotals(snap: UsageSnapshot): void {
    const t = snap.stats.total;
    const item = (label: string, value: string, sub: string | null, cls = '') =>
      h(
        'div',
        { class: `total ${cls}`.trim() },
        h('dt', {}, label),
        h(
          'dd',
          {},
          h('span', { class: 'total-value' }, value),
          sub ? h('span', { class: 'total-sub' }, sub) : null,
        ),
      );
    replaceChildren(
      this.totals,
      h(
        'dl',
        {},
        item(
          'Cost',
          formatCost(t),
          t.unknownCostRequests > 0
            ? `${t.unknownCostRequests} request${t.unknownCostRequests === 1 ? '' : 's'} without a known price`
            : null,
          'total-cost',
        ),
        item(
          'Input',
          formatTokens(t.inputTokens),
          `of it cache read ${formatTokens(t.inputTokenDetails.cacheReadTokens)}, cache write ${formatTokens(t.inputTokenDetails.cacheWriteTokens)}`,
        ),
        item(
          'Output',
          formatTokens(t.outputTokens),
          `of it reasoning ${formatTokens(t.outputTokenDetails.reasoningTokens)}`,
        ),
        item(
          'Turns',
          formatTokens(t.turns),
          `${formatTokens(t.requests)} request${t.requests === 1 ? '' : 's'}`,
        ),
      ),
    );
  }
}
