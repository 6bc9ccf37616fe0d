/**
 * The geometry of the tokens-per-turn chart: bars stacked by category (no-cache input, cache
 * read, cache write, output text, reasoning) and the cumulative cost as a line. Turns are put in
 * buckets so a session of 10,000 turns still draws a few hundred elements at most: one path per
 * category, one hit area per bar, one line.
 *
 * The heights are the host's per-turn figures; the running cost line is drawn from the host's
 * per-turn costs (the only number labelled on it is the host's session total).
 */
import type { UsageJson } from '../../core/report/stats';

export const CATEGORIES = ['noCache', 'cacheRead', 'cacheWrite', 'text', 'reasoning'] as const;
export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABELS: Record<Category, string> = {
  noCache: 'Input (no cache)',
  cacheRead: 'Cache read',
  cacheWrite: 'Cache write',
  text: 'Output text',
  reasoning: 'Reasoning',
};

/** The part of a turn the chart reads (its usage by category and its cost; null: unknown price). */
export interface ChartTurn {
  usage: Pick<UsageJson, 'inputTokenDetails' | 'outputTokenDetails'>;
  costUsd: number | null;
}

/** A turn's tokens in CATEGORIES order. */
export function turnValues(t: ChartTurn): number[] {
  const i = t.usage.inputTokenDetails;
  const o = t.usage.outputTokenDetails;
  return [i.noCacheTokens, i.cacheReadTokens, i.cacheWriteTokens, o.textTokens, o.reasoningTokens];
}

/** A bar: turns first..last (0-based, inclusive), mean tokens per turn in each category. */
export interface Bucket {
  first: number;
  last: number;
  values: number[];
  /** The running cost at the bucket's last turn (known prices only). */
  cumulativeCost: number;
  /** Whether a turn up to here had an unknown price. */
  unknownSoFar: boolean;
}

/**
 * Groups the turns into at most `maxBars` buckets of equal size (the last may be smaller).
 * One pass over the turns with no per-turn allocation: it runs on every snapshot of 10,000 turns.
 */
export function bucketize(turns: readonly ChartTurn[], maxBars: number): Bucket[] {
  const size = Math.max(1, Math.ceil(turns.length / Math.max(1, maxBars)));
  const buckets: Bucket[] = [];
  let cost = 0;
  let unknown = false;
  for (let first = 0; first < turns.length; first += size) {
    const last = Math.min(turns.length, first + size) - 1;
    let noCache = 0;
    let cacheRead = 0;
    let cacheWrite = 0;
    let text = 0;
    let reasoning = 0;
    for (let k = first; k <= last; k++) {
      const t = turns[k]!;
      const i = t.usage.inputTokenDetails;
      const o = t.usage.outputTokenDetails;
      noCache += i.noCacheTokens;
      cacheRead += i.cacheReadTokens;
      cacheWrite += i.cacheWriteTokens;
      text += o.textTokens;
      reasoning += o.reasoningTokens;
      if (t.costUsd === null) unknown = true;
      else cost += t.costUsd;
    }
    const n = last - first + 1;
    buckets.push({
      first,
      last,
      values: [noCache / n, cacheRead / n, cacheWrite / n, text / n, reasoning / n],
      cumulativeCost: cost,
      unknownSoFar: unknown,
    });
  }
  return buckets;
}

/** The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10ⁿ at or above `v` (an axis maximum). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}

export interface ChartSize {
  width: number;
  height: number;
  /** Left gutter for the axis labels. */
  left: number;
  /** Right gutter for the cost label. */
  right: number;
  top: number;
  bottom: number;
}

export interface ChartGeometry {
  /** One path per category, in CATEGORIES order. */
  paths: string[];
  /** Per bar: its x span and the turns it covers (hover and keyboard targets). */
  bars: { x: number; width: number; first: number; last: number; index: number }[];
  /** The cumulative cost line, or '' when no turn has a known cost above zero. */
  costPath: string;
  /** Where the cost line ends (for its label). */
  costEnd: { x: number; y: number } | null;
  yMax: number;
  plot: { x: number; y: number; width: number; height: number };
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export function chartGeometry(buckets: Bucket[], size: ChartSize): ChartGeometry {
  const plot = {
    x: size.left,
    y: size.top,
    width: Math.max(1, size.width - size.left - size.right),
    height: Math.max(1, size.height - size.top - size.bottom),
  };
  let max = 0;
  for (const b of buckets) {
    let s = 0;
    for (const v of b.values) s += v;
    if (s > max) max = s;
  }
  const yMax = niceMax(max);
  const n = Math.max(1, buckets.length);
  const slot = plot.width / n;
  const gap = slot >= 4 ? Math.min(2, slot * 0.2) : 0;
  const barW = Math.max(0.5, slot - gap);
  const bottom = plot.y + plot.height;
  const scale = plot.height / yMax;

  const paths = CATEGORIES.map(() => [] as string[]);
  const bars: ChartGeometry['bars'] = [];
  buckets.forEach((b, i) => {
    const x = r1(plot.x + i * slot + gap / 2);
    let y = bottom;
    b.values.forEach((v, c) => {
      if (v <= 0) return;
      const h = v * scale;
      // Rounded to a tenth of a pixel; a thin but non-zero segment stays visible.
      const top = r1(y - h);
      const hh = r1(Math.max(0.5, y - top));
      paths[c]!.push(`M${x} ${r1(y - hh)}h${r1(barW)}v${hh}h${-r1(barW)}z`);
      y -= h;
    });
    bars.push({ x: r1(plot.x + i * slot), width: r1(slot), first: b.first, last: b.last, index: i });
  });

  const maxCost = buckets.length > 0 ? buckets[buckets.length - 1]!.cumulativeCost : 0;
  let costPath = '';
  let costEnd: ChartGeometry['costEnd'] = null;
  if (maxCost > 0) {
    const pts = buckets.map((b, i) => {
      const x = r1(plot.x + (i + 0.5) * slot);
      const y = r1(bottom - (b.cumulativeCost / maxCost) * plot.height);
      return { x, y };
    });
    const startX = r1(plot.x);
    costPath = `M${startX} ${r1(bottom)}${pts.map((p) => `L${p.x} ${p.y}`).join('')}`;
    costEnd = pts[pts.length - 1] ?? null;
  }

  return { paths: paths.map((p) => p.join('')), bars, costPath, costEnd, yMax, plot };
}
