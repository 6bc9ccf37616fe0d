/** What loading found wrong with a session file, reported to the user rather than thrown. */

export type ProblemKind =
  /** The last line was cut off by a crash; it was ignored and its bytes kept aside. */
  | 'torn-tail'
  /** A line in the middle was not JSON or failed the schema; it was skipped (it stays in the log). */
  | 'bad-line'
  /** The file could not be read or is not a session log at all; it was moved aside. */
  | 'unreadable'
  /** The log was written by a newer Tally; it is shown read-only and never written. */
  | 'newer-version'
  /** A format-0 log whose usage records were running totals; counted once, marked approximate. */
  | 'cumulative-detected'
  /** An old file's figures do not add up (kept as recorded) or disagree with its name. */
  | 'legacy-mismatch';

export interface Problem {
  /** The file the problem is in (absolute path). */
  file: string;
  kind: ProblemKind;
  message: string;
  /** Where bytes that were not loaded are kept (absolute path), if they were moved or copied. */
  keptAt?: string;
}

/** At most this many problems of one kind are reported one by one per file; the rest are summed. */
export const PROBLEMS_PER_KIND = 20;

/** Collects problems for one file, folding a flood of one kind into a single summary. */
export class ProblemList {
  readonly items: Problem[] = [];
  private readonly counts = new Map<ProblemKind, number>();

  constructor(readonly file: string) {}

  add(kind: ProblemKind, message: string, keptAt?: string): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    if (n <= PROBLEMS_PER_KIND) {
      this.items.push(
        keptAt === undefined
          ? { file: this.file, kind, message }
          : { file: this.file, kind, message, keptAt },
      );
    }
  }

  /** The problems, with one summary line per kind that overflowed. */
  done(): Problem[] {
    const out = [...this.items];
    for (const [kind, n] of this.counts) {
      if (n > PROBLEMS_PER_KIND) {
        out.push({ file: this.file, kind, message: `${n - PROBLEMS_PER_KIND} more of these (${n} in all)` });
      }
    }
    return out;
  }
}
