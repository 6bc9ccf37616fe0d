/**
 * Reads the lines of a JSONL session log (v1 or format 0) from its bytes. Pure: no file system.
 *
 * - Each complete line (ending in `\n`) is one record. The common v1 lines take the fast path
 *   (`fastEvent.ts`); anything else is JSON.parse + zod. A line that is neither a valid v1
 *   event nor a valid format-0 record is skipped and reported, never thrown.
 * - The bytes after the last `\n` are the line being written when the file was cut: if they are
 *   a complete record they count (the writer adds the missing newline), otherwise they are the
 *   torn tail, returned so the caller can keep them aside and report them.
 */
import { isUtf8 } from 'node:buffer';
import { zodSummary } from './convert';
import { LOG_VERSION, type SessionEvent, sessionEventSchema } from './events';
import { parseCanonicalEvent } from './fastEvent';
import { FORMAT0_TYPES, type Format0Record, format0Record } from './format0';
import type { ProblemList } from './problems';

export interface ParsedLog {
  /** v1 events, in file order (including those of a newer version that this schema accepts); empty when a sink took them. */
  events: SessionEvent[];
  /** How many v1 events there were (those a sink took included). */
  eventCount: number;
  /** Format-0 records, in file order. */
  format0: Format0Record[];
  /** The highest `v` seen on any line (0 if none). */
  newestVersion: number;
  /** Lines of a newer version that this build cannot read. */
  newerSkipped: number;
  /** Bytes that hold complete records: up to the last newline, or all when the last line was whole. */
  goodLength: number;
  /** The torn last line, when there is one. */
  torn: Buffer | null;
  /** The last line is a whole record without its newline: add one before appending. */
  needsNewline: boolean;
  /** Non-blank lines seen, torn tail included. */
  lines: number;
  /** The number of the last newline-ended line (blank lines counted), after `firstLine`. */
  lastWholeLine: number;
}

const NL = 0x0a;

/**
 * Takes a log's events instead of `ParsedLog.events` (the light scan, `lightScan.ts`): `light`
 * is offered each complete line first and returns the line's `v` when it took it (a valid
 * event), or 0 to leave it to the general path, whose events go to `event`.
 */
export interface LogSink {
  light(text: string, start: number, end: number): number;
  event(e: SessionEvent): void;
}

type LineResult =
  | { kind: 'event'; event: SessionEvent }
  | { kind: 'format0'; record: Format0Record }
  | { kind: 'newer-unknown'; version: number }
  | { kind: 'bad'; why: string };

/**
 * Parses a log's bytes; problems (bad lines, a torn tail) go to `problems`. `firstLine`: the
 * lines before `buf` (when it is the part of a log after a checkpoint), so problems name the
 * line in the whole file.
 */
export function parseLog(buf: Buffer, problems: ProblemList, sink?: LogSink, firstLine = 0): ParsedLog {
  const out: ParsedLog = {
    events: [],
    eventCount: 0,
    format0: [],
    newestVersion: 0,
    newerSkipped: 0,
    goodLength: 0,
    torn: null,
    needsNewline: false,
    lines: 0,
    lastWholeLine: firstLine,
  };
  // latin1 maps each byte to one char, so string offsets are byte offsets; a line with any
  // byte >= 0x80 misses the (ASCII-only) fast path and is decoded as UTF-8 on its own.
  const text = buf.toString('latin1');
  const last = buf.lastIndexOf(NL);
  let start = 0;
  let lineNo = firstLine;
  while (start <= last) {
    const end = text.indexOf('\n', start);
    lineNo++;
    if (sink) {
      const v = sink.light(text, start, end);
      if (v > 0) {
        start = end + 1;
        out.lines++;
        out.eventCount++;
        out.newestVersion = Math.max(out.newestVersion, v);
        continue;
      }
    }
    const r = parseLine(buf, text, start, end);
    start = end + 1;
    if (r === null) continue;
    out.lines++;
    take(out, r, problems, `line ${lineNo}`, sink);
  }
  out.goodLength = last + 1;
  out.lastWholeLine = lineNo;
  if (last + 1 < buf.length) {
    lineNo++;
    const r = parseLine(buf, text, last + 1, buf.length);
    if (r === null) {
      out.needsNewline = true;
      out.goodLength = buf.length;
    } else {
      out.lines++;
      if (r.kind !== 'bad') {
        take(out, r, problems, `line ${lineNo}`, sink);
        out.needsNewline = true;
        out.goodLength = buf.length;
      } else {
        // Reported by the caller, once it knows where the bytes were kept.
        out.torn = buf.subarray(last + 1);
      }
    }
  }
  if (out.newerSkipped > 0) {
    problems.add(
      'newer-version',
      `${out.newerSkipped} lines of log version ${out.newestVersion} could not be read by this build (version ` +
        `${LOG_VERSION}); they stay in the file`,
    );
  }
  return out;
}

function take(out: ParsedLog, r: LineResult, problems: ProblemList, where: string, sink?: LogSink): void {
  switch (r.kind) {
    case 'event':
      out.eventCount++;
      if (sink) sink.event(r.event);
      else out.events.push(r.event);
      out.newestVersion = Math.max(out.newestVersion, r.event.v);
      return;
    case 'format0':
      out.format0.push(r.record);
      return;
    case 'newer-unknown':
      out.newerSkipped++;
      out.newestVersion = Math.max(out.newestVersion, r.version);
      return;
    case 'bad':
      problems.add('bad-line', `${where} skipped: ${r.why}`);
      return;
  }
}

/** One line's record; null for a blank line. */
function parseLine(buf: Buffer, text: string, start: number, end: number): LineResult | null {
  const latin = text.slice(start, end);
  const fast = parseCanonicalEvent(latin);
  if (fast) return { kind: 'event', event: fast };
  if (latin.trim() === '') return null;
  let line = latin;
  if (/[^\x00-\x7f]/.test(latin)) {
    const bytes = buf.subarray(start, end);
    if (!isUtf8(bytes)) return { kind: 'bad', why: 'not UTF-8 text' };
    line = bytes.toString('utf8');
  }
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'bad', why: 'not JSON' };
  }
  return classify(json);
}

/** What a parsed line is: a v1 event, a format-0 record, a newer event we cannot read, or bad. */
export function classify(json: unknown): LineResult {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'bad', why: 'not a JSON object' };
  }
  const o = json as Record<string, unknown>;
  if ('v' in o) {
    const parsed = sessionEventSchema.safeParse(o);
    if (parsed.success) return { kind: 'event', event: parsed.data };
    if (Number.isSafeInteger(o.v) && (o.v as number) > LOG_VERSION) {
      return { kind: 'newer-unknown', version: o.v as number };
    }
    return { kind: 'bad', why: zodSummary(parsed.error) };
  }
  if (FORMAT0_TYPES.has(o.type as string)) {
    const parsed = format0Record.safeParse(o);
    if (parsed.success) return { kind: 'format0', record: parsed.data };
    return { kind: 'bad', why: `format 0: ${zodSummary(parsed.error)}` };
  }
  return { kind: 'bad', why: 'not a session event' };
}
