/**
 * The turn table's rows, computed on demand: turns newest first, each expanded turn followed
 * by its requests. Nothing is allocated per turn: a row is worked out from its index and the
 * (few) expanded turns, so expanding a turn at 10,000 turns costs the same as at ten.
 */

/** A row of the turn table. `turn` and `request` index the snapshot's arrays. */
export type Row =
  | { kind: 'turn'; key: string; turn: number }
  | { kind: 'request'; key: string; turn: number; request: number };

/** What the rows are built from: the snapshot's turns (ids and request ids only). */
export interface RowTurn {
  turnId: string;
  requests: readonly { requestId: string }[];
}

export interface Rows {
  readonly length: number;
  /** The row at display index `i` (undefined outside 0..length-1). */
  at(i: number): Row | undefined;
  /** The display index of the row with `key`, or -1. */
  indexOf(key: string): number;
  /** The display index of turn `turn` (an index into the turns array). */
  turnRow(turn: number): number;
}

export function turnKey(turnId: string): string {
  return `t:${turnId}`;
}

export function requestKey(turnId: string, requestId: string): string {
  return `r:${turnId}:${requestId}`;
}

/** Builds the rows of `turns` with the turns in `expanded` (by id) opened. */
export function buildRows(turns: readonly RowTurn[], expanded: ReadonlySet<string>): Rows {
  const n = turns.length;
  // Expanded turns in display order (newest first), with their request counts.
  const open: { turn: number; count: number }[] = [];
  if (expanded.size > 0) {
    for (let t = n - 1; t >= 0; t--) {
      const turn = turns[t]!;
      if (expanded.has(turn.turnId) && turn.requests.length > 0)
        open.push({ turn: t, count: turn.requests.length });
    }
  }
  let length = n;
  for (const o of open) length += o.count;

  const turnRowAt = (t: number): Row => ({ kind: 'turn', key: turnKey(turns[t]!.turnId), turn: t });

  const at = (i: number): Row | undefined => {
    if (!Number.isInteger(i) || i < 0 || i >= length) return undefined;
    let extra = 0;
    for (const o of open) {
      const display = n - 1 - o.turn + extra;
      if (i < display) break;
      if (i === display) return turnRowAt(o.turn);
      if (i <= display + o.count) {
        const request = i - display - 1;
        const turn = turns[o.turn]!;
        return {
          kind: 'request',
          key: requestKey(turn.turnId, turn.requests[request]!.requestId),
          turn: o.turn,
          request,
        };
      }
      extra += o.count;
    }
    return turnRowAt(n - 1 - (i - extra));
  };

  const turnRow = (t: number): number => {
    if (t < 0 || t >= n) return -1;
    let extra = 0;
    for (const o of open) {
      if (o.turn <= t) break;
      extra += o.count;
    }
    return n - 1 - t + extra;
  };

  const indexOf = (key: string): number => {
    if (key.startsWith('t:')) {
      const id = key.slice(2);
      for (let t = n - 1; t >= 0; t--) if (turns[t]!.turnId === id) return turnRow(t);
      return -1;
    }
    for (const o of open) {
      const turn = turns[o.turn]!;
      const r = turn.requests.findIndex((q) => requestKey(turn.turnId, q.requestId) === key);
      if (r >= 0) return turnRow(o.turn) + 1 + r;
    }
    return -1;
  };

  return { length, at, indexOf, turnRow };
}
