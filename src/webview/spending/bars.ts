/**
 * Geometry of the Spending chart: one bar per group, its height the group's cost against the
 * largest. Pure, so it is tested in Node; the numbers come from the host's report.
 */
export interface BarInput {
  key: string;
  label: string;
  /** USD as the host printed it; null = unknown price. */
  costUsd: number | null;
}

export interface Bar {
  key: string;
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
  unknown: boolean;
}

export function bars(groups: readonly BarInput[], width: number, height: number, gap = 2): Bar[] {
  if (groups.length === 0) return [];
  const max = Math.max(0, ...groups.map((g) => g.costUsd ?? 0));
  const slot = width / groups.length;
  const w = Math.max(1, slot - gap);
  return groups.map((g, i) => {
    const h = max > 0 && g.costUsd !== null ? Math.max(g.costUsd > 0 ? 1 : 0, (g.costUsd / max) * height) : 0;
    return {
      key: g.key,
      label: g.label,
      x: i * slot + (slot - w) / 2,
      y: height - h,
      width: w,
      height: h,
      unknown: g.costUsd === null,
    };
  });
}
