/**
 * The tokens-per-turn chart as hand-written SVG: one path per category, the cumulative cost
 * line, a few gridlines, and one hit area per bar (with a tooltip; a click shows its turn in the
 * table). Colours are classes in the stylesheet bound to --vscode-charts-*, so a theme change
 * recolours it live.
 */
import type { SessionStatsJson } from '../../core/report/stats';
import { h } from '../dom';
import { formatCost, formatShortTokens, formatTokens } from '../format';
import { bucketize, CATEGORIES, CATEGORY_LABELS, chartGeometry } from './chart';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 150;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export class UsageChart {
  readonly el: HTMLElement;
  private readonly canvas: HTMLElement;
  private stats: SessionStatsJson | null = null;
  private width = 0;

  constructor(private readonly onPick: (turnIndex: number) => void) {
    const legend = h(
      'ul',
      { class: 'legend', attrs: { 'aria-label': 'Legend' } },
      ...CATEGORIES.map((c) =>
        h(
          'li',
          {},
          h('span', { class: `swatch sw-${c}`, attrs: { 'aria-hidden': 'true' } }),
          CATEGORY_LABELS[c],
        ),
      ),
      h(
        'li',
        {},
        h('span', { class: 'swatch sw-cost', attrs: { 'aria-hidden': 'true' } }),
        'Cumulative cost',
      ),
    );
    this.canvas = h('div', { class: 'chart-canvas' });
    this.el = h(
      'section',
      { class: 'chart', attrs: { 'aria-label': 'Tokens per turn' } },
      h('h3', { class: 'section-title' }, 'Tokens per turn'),
      legend,
      this.canvas,
    );
    new ResizeObserver(() => {
      const w = Math.floor(this.canvas.clientWidth);
      if (w !== this.width) {
        this.width = w;
        this.draw();
      }
    }).observe(this.canvas);
  }

  /** Reads the chart's width (a layout read: call it in the view's read phase). */
  measure(): number {
    return Math.floor(this.canvas.clientWidth);
  }

  /** Draws `stats` at `width` (from measure()), unless both are unchanged. */
  update(stats: SessionStatsJson | null, width: number): void {
    if (stats === this.stats && width === this.width) return;
    this.stats = stats;
    this.width = width;
    this.draw();
  }

  private draw(): void {
    const s = this.stats;
    this.canvas.replaceChildren();
    if (!s || s.turns.length === 0 || this.width <= 0) return;
    const size = { width: this.width, height: HEIGHT, left: 40, right: 8, top: 18, bottom: 18 };
    const maxBars = Math.max(1, Math.min(200, Math.floor((this.width - size.left - size.right) / 3)));
    const buckets = bucketize(s.turns, maxBars);
    const g = chartGeometry(buckets, size);
    const bucketed = buckets.some((b) => b.last > b.first);
    const root = svg('svg', {
      class: 'chart-svg',
      width: this.width,
      height: HEIGHT,
      viewBox: `0 0 ${this.width} ${HEIGHT}`,
      role: 'img',
      'aria-label': `Tokens per turn for ${s.turns.length} turns${bucketed ? `, ${buckets.length} bars of up to ${buckets[0]!.last - buckets[0]!.first + 1} turns (mean per turn)` : ''}; total cost ${formatCost(s.total)}`,
    });
    const bottom = g.plot.y + g.plot.height;
    for (const f of [0, 0.5, 1]) {
      const y = Math.round(bottom - f * g.plot.height) + 0.5;
      root.append(svg('line', { class: 'grid', x1: g.plot.x, x2: g.plot.x + g.plot.width, y1: y, y2: y }));
      const label = svg('text', { class: 'axis', x: g.plot.x - 4, y: y + 3, 'text-anchor': 'end' });
      label.textContent = formatShortTokens(Math.round(g.yMax * f));
      root.append(label);
    }
    g.paths.forEach((d, i) => {
      if (d) root.append(svg('path', { class: `seg seg-${CATEGORIES[i]}`, d }));
    });
    if (g.costPath) {
      root.append(svg('path', { class: 'cost-line', d: g.costPath }));
      if (g.costEnd) {
        root.append(svg('circle', { class: 'cost-dot', cx: g.costEnd.x, cy: g.costEnd.y, r: 2.5 }));
      }
    }
    const first = svg('text', { class: 'axis', x: g.plot.x, y: HEIGHT - 4, 'text-anchor': 'start' });
    first.textContent = 'turn 1';
    const last = svg('text', {
      class: 'axis',
      x: g.plot.x + g.plot.width,
      y: HEIGHT - 4,
      'text-anchor': 'end',
    });
    last.textContent = `turn ${s.turns.length}`;
    // The host's session total, labelled where the cost line ends (top right).
    const total = svg('text', {
      class: 'axis cost-label',
      x: g.plot.x + g.plot.width,
      y: 10,
      'text-anchor': 'end',
    });
    total.textContent = `cost ${formatCost(s.total)}`;
    root.append(first, last, total);

    const hits = svg('g', { class: 'hits' });
    for (const b of g.bars) {
      const rect = svg('rect', {
        class: 'hit',
        x: b.x,
        y: g.plot.y,
        width: Math.max(1, b.width),
        height: g.plot.height,
      });
      const title = svg('title', {});
      title.textContent = this.tooltip(b.first, b.last, buckets[b.index]!.values);
      rect.append(title);
      rect.addEventListener('click', () => this.onPick(b.last));
      hits.append(rect);
    }
    root.append(hits);
    this.canvas.append(root);
  }

  private tooltip(first: number, last: number, means: number[]): string {
    const s = this.stats!;
    if (first === last) {
      const t = s.turns[first]!;
      const u = t.usage;
      return [
        `Turn ${t.index + 1}: ${formatTokens(u.totalTokens)} tokens, ${formatCost(t)}`,
        `input ${formatTokens(u.inputTokenDetails.noCacheTokens)} · cache read ${formatTokens(u.inputTokenDetails.cacheReadTokens)} · cache write ${formatTokens(u.inputTokenDetails.cacheWriteTokens)}`,
        `output ${formatTokens(u.outputTokenDetails.textTokens)} · reasoning ${formatTokens(u.outputTokenDetails.reasoningTokens)}`,
      ].join('\n');
    }
    return [
      `Turns ${first + 1}–${last + 1} (mean per turn)`,
      ...CATEGORIES.map((c, i) => `${CATEGORY_LABELS[c]} ${formatShortTokens(Math.round(means[i] ?? 0))}`),
    ].join('\n');
  }
}
