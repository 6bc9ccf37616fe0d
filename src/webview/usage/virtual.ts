/**
 * The window of a virtualized list with fixed-height rows: which rows to put in the DOM for
 * the visible part of the list (plus overscan), where they sit, and how tall the spacer is.
 */

export interface WindowInput {
  /** The visible span, in pixels from the top of the list (may be negative or past the end). */
  viewTop: number;
  viewBottom: number;
  rowHeight: number;
  rowCount: number;
  /** Extra rows rendered above and below the visible ones. */
  overscan: number;
}

export interface RowWindow {
  /** First row in the DOM. */
  start: number;
  /** One past the last row in the DOM. */
  end: number;
  /** Where the first rendered row sits (px from the list's top). */
  offset: number;
  /** The whole list's height: the spacer's. */
  height: number;
}

export function rowWindow(p: WindowInput): RowWindow {
  const height = p.rowCount * p.rowHeight;
  const top = Math.max(0, p.viewTop);
  const bottom = Math.min(height, p.viewBottom);
  if (p.rowCount === 0 || bottom <= top) {
    // Nothing visible: keep the rows the overscan would have reached (none past the edges).
    const edge = p.viewBottom <= 0 ? 0 : p.rowCount;
    const start = Math.max(0, Math.min(p.rowCount, edge === 0 ? 0 : p.rowCount - p.overscan));
    const end = edge === 0 ? Math.min(p.rowCount, p.overscan) : p.rowCount;
    return { start, end, offset: start * p.rowHeight, height };
  }
  const start = Math.max(0, Math.floor(top / p.rowHeight) - p.overscan);
  const end = Math.min(p.rowCount, Math.ceil(bottom / p.rowHeight) + p.overscan);
  return { start, end, offset: start * p.rowHeight, height };
}

/**
 * How far to scroll (px, negative is up) so that row `index` is wholly visible in the span
 * [viewTop, viewBottom) of the list; 0 when it already is. `margin` keeps it clear of a sticky header.
 */
export function revealDelta(
  index: number,
  rowHeight: number,
  viewTop: number,
  viewBottom: number,
  margin = 0,
): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < viewTop + margin) return top - viewTop - margin;
  if (bottom > viewBottom) return bottom - viewBottom;
  return 0;
}
