/**
 * The light scan of a v1 log, for the session list and reports: it folds what a summary needs
 * (the session, its turns, its requests and their usage) and skips what it does not (the
 * conversation, how requests and turns ended) after checking that those lines are valid, without
 * JSON.parse or zod when the line is canonical. A 100-turn session's log is 80% such lines.
 *
 * The guarantee, as for `fastEvent.ts`: a line this takes is one that JSON.parse + zod accept, with
 * the same `v` and `at`; anything else (another key order, whitespace, escapes where a value is
 * read, an unknown event) steps aside to the general path, which reports a bad line exactly as a
 * full load does. A property test holds it to that (test/unit/sessions/lightScan.test.ts).
 */
import { applyEvent, emptySession, type SessionState } from '../ledger/ledger';
import type { InputTokenDetails } from '../usage/types';
import type { SessionEvent } from './events';
import { parseCanonicalEvent } from './fastEvent';
import type { LogSink } from './parseLog';

// The light scan's own recognizers: one sticky expression per kind over the whole log text (no
// copy of the line), each ending with the line's newline, with only what the summary reads captured.
const S = String.raw`[ !#-\[\]-~]`;
const HEAD_ = String.raw`\{"v":([1-9][0-9]{0,8}),"at":"(${S}{1,64})","type":"`;
// Counts of at most 12 digits: always within the schema's 1e12 (longer ones step aside).
const N = '(0|[1-9][0-9]{0,11})';
const STATUS = '"(?:completed|interrupted|failed)"';
// A message line up to its role (any version: a newer `v` is counted by the caller).
const MESSAGE_START = String.raw`message"(?:,"turnId":"${S}{1,200}")?,"message":\{"role":"(?:system|user|assistant|tool)"`;
// The rest of such a line is checked by `Cursor.messageRest`.
const MESSAGE_HEAD = new RegExp(HEAD_ + MESSAGE_START, 'y');

/** Nesting deeper than this steps aside (JSON.parse decides). */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
/** What may follow a backslash in a JSON string, `u` (four hex digits) apart. */
const ESCAPES = '"\\/bfnrt';
const HEX4 = /[0-9A-Fa-f]{4}/y;

/** Thrown inside the checker when the text is not JSON it vouches for; the entry points catch it. */
const REFUSED = new Error();
function refuse(): never {
  throw REFUSED;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Reads JSON in `t` from `i` without building it, never past `end` (the line's newline): no
 * whitespace, no byte ≥ 0x80 unless `utf8` (the caller checked the bytes), nesting at most
 * `MAX_DEPTH`. Anything else refuses (throws `REFUSED`); what it accepts, JSON.parse accepts.
 */
class Cursor {
  constructor(
    private readonly t: string,
    public i: number,
    private readonly end: number,
    private readonly utf8: boolean,
  ) {}

  /** The character code at the cursor; at the end of the line 0, a NUL, which JSON never accepts there. */
  private peek(): number {
    return this.i < this.end ? this.t.charCodeAt(this.i) : 0;
  }

  expect(c: number): void {
    if (this.peek() !== c) refuse();
    this.i++;
  }

  value(depth: number): void {
    const c = this.peek();
    if (c === QUOTE) this.string();
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) this.container(c === OPEN_ARRAY, depth);
    else if (c === 0x74) this.word('true');
    else if (c === 0x66) this.word('false');
    else if (c === 0x6e) this.word('null');
    else this.number();
  }

  private container(isArray: boolean, depth: number): void {
    if (depth === MAX_DEPTH) refuse();
    this.i++;
    const close = isArray ? CLOSE_ARRAY : CLOSE_OBJECT;
    if (this.peek() !== close) {
      for (;;) {
        if (!isArray) {
          this.string();
          this.expect(COLON);
        }
        this.value(depth + 1);
        if (this.peek() !== COMMA) break;
        this.i++;
      }
    }
    this.expect(close);
  }

  private word(w: string): void {
    if (this.i + w.length > this.end || !this.t.startsWith(w, this.i)) refuse();
    this.i += w.length;
  }

  private string(): void {
    this.expect(QUOTE);
    for (;;) {
      const c = this.peek();
      this.i++;
      if (c === QUOTE) return;
      // Control characters, and the end of the line.
      if (c < 0x20) refuse();
      if (c >= 0x80 && !this.utf8) refuse();
      if (c === BACKSLASH) this.escape();
    }
  }

  private escape(): void {
    const e = this.peek();
    this.i++;
    if (e === 0x75) {
      // Hex digits running past the end are refused anyway: the string cannot close.
      HEX4.lastIndex = this.i;
      if (!HEX4.test(this.t)) refuse();
      this.i += 4;
    } else if (!ESCAPES.includes(String.fromCharCode(e))) refuse();
  }

  private number(): void {
    if (this.peek() === 0x2d) this.i++;
    if (this.peek() === 0x30) this.i++;
    else this.digits();
    if (this.peek() === 0x2e) {
      this.i++;
      this.digits();
    }
    const e = this.peek();
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const sign = this.peek();
      if (sign === 0x2b || sign === 0x2d) this.i++;
      this.digits();
    }
  }

  /** One digit or more. */
  private digits(): void {
    if (!isDigit(this.peek())) refuse();
    do this.i++;
    while (isDigit(this.peek()));
  }

  /**
   * A message object's members after its `"role":"…"`, and its closing brace: a `content` member
   * must be there (zod requires it), no second `role` (JSON.parse keeps the last one), no
   * `__proto__` and no escaped key (JSON.parse decides what those mean).
   */
  messageRest(): void {
    let content = false;
    while (this.peek() === COMMA) {
      this.i++;
      const keyStart = this.i + 1;
      this.string();
      const key = this.t.slice(keyStart, this.i - 1);
      if (key === 'content') content = true;
      else if (key === 'role' || key === '__proto__' || key.includes('\\')) refuse();
      this.expect(COLON);
      this.value(0);
    }
    this.expect(CLOSE_OBJECT);
    if (!content) refuse();
  }
}

/**
 * Where the JSON value starting at `i` ends (the index after it), or -1 when it is not a value
 * the checker vouches for (see `Cursor`). Reads nothing at or after `end`.
 */
export function skipJsonValue(t: string, i: number, end: number, utf8: boolean): number {
  const c = new Cursor(t, i, end, utf8);
  try {
    c.value(0);
    return c.i;
  } catch {
    return -1;
  }
}

/**
 * A message line (from `start` to `end`, the line's `\n`) that the usual shape does not match
 * (deeper content, other keys), checked without JSON.parse: its `v` and `at` when JSON.parse + zod
 * would accept it, else null (the general path decides).
 */
export function checkedMessageLine(
  t: string,
  start: number,
  end: number,
  utf8: boolean,
): { v: number; at: string } | null {
  MESSAGE_HEAD.lastIndex = start;
  try {
    const head = MESSAGE_HEAD.exec(t) ?? refuse();
    const c = new Cursor(t, MESSAGE_HEAD.lastIndex, end, utf8);
    c.messageRest();
    c.expect(CLOSE_OBJECT);
    if (c.i !== end) refuse();
    return { v: Number(head[1]), at: head[2]! };
  } catch {
    return null;
  }
}

const lineRe = (src: string) => new RegExp(`${HEAD_}${src}\\}\\n`, 'y');
// The lines a summary only needs the time of: matched without captures (`test`), version 1 only.
const HEAD_V1 = String.raw`\{"v":1,"at":"${S}{1,64}","type":"`;
const skipRe = (src: string) => new RegExp(`${HEAD_V1}${src}\\}\\n`, 'y');
const L_TURN_STARTED = lineRe(String.raw`turn\.started","turnId":"(${S}{1,200})","index":${N}`);
const L_TURN_ENDED = skipRe(
  String.raw`turn\.ended","turnId":"${S}{1,200}","status":${STATUS}(?:,"error":"${S}{0,4000}")?`,
);
const L_REQUEST_ENDED = skipRe(
  String.raw`request\.ended","requestId":"${S}{1,200}","status":${STATUS}(?:,"error":"${S}{0,4000}")?`,
);
const L_REQUEST_STARTED = lineRe(
  String.raw`request\.started","requestId":"(${S}{1,200})"(?:,"turnId":"(${S}{1,200})")?,"provider":"(${S}{0,100})",` +
    String.raw`"model":"(${S}{0,200})"(?:,"purpose":"(chat|title|summary|compaction|subagent)")?`,
);
const L_REQUEST_USAGE = lineRe(
  String.raw`request\.usage","requestId":"(${S}{1,200})","usage":\{"inputTokens":${N},"inputTokenDetails":\{` +
    String.raw`"noCacheTokens":${N},"cacheReadTokens":${N},"cacheWriteTokens":${N}(?:,"cacheWrite1hTokens":${N})?\},` +
    String.raw`"outputTokens":${N},"outputTokenDetails":\{"textTokens":${N},"reasoningTokens":${N}\},` +
    String.raw`"totalTokens":${N},"source":"(provider|estimated|legacy)"\},"cost":\{"pico":(?:null|"([0-9]{1,30})"),` +
    String.raw`"basis":"(computed|reported|legacy|unknown)"(?:,"catalog":"${S}{0,200}")?(?:,"price":\{"input":"${S}*",` +
    String.raw`"cacheRead":"${S}*","cacheWrite":"${S}*","cacheWrite1h":"${S}*","output":"${S}*"` +
    String.raw`(?:,"tierStart":(?:0|[1-9][0-9]{0,11}))?\})?\},"final":(true|false)`,
);

/**
 * A message line of the usual shape (`role`, then `content`, then plain keys other than `role`),
 * its values any JSON up to 4 levels deep; `utf8`: the log's bytes are UTF-8, so bytes ≥ 0x80 may
 * stand in strings.
 */
function messageRe(utf8: boolean): RegExp {
  const str = utf8
    ? String.raw`"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"`
    : String.raw`"(?:[ !#-\[\]-~]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"`;
  const num = String.raw`-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`;
  let v = `(?:${str}|${num}|true|false|null)`;
  for (let d = 0; d < 3; d++) {
    v = `(?:${str}|${num}|true|false|null|\\[(?:${v}(?:,${v})*)?\\]|\\{(?:${str}:${v}(?:,${str}:${v})*)?\\})`;
  }
  return skipRe(
    `${MESSAGE_START},` + String.raw`"content":${v}(?:,"(?!role"|__proto__")[A-Za-z0-9_$-]{1,100}":${v})*\}`,
  );
}
const L_MESSAGE_UTF8 = messageRe(true);
const L_MESSAGE_ASCII = messageRe(false);

/** How many lines of a log each path of the light scan took (the bench prints them). */
export interface LightPaths {
  /** The usual shapes, by one sticky expression each (`recognized`). */
  usual: number;
  /** Message lines of another shape, checked by `checkedMessageLine`. */
  checked: number;
  /** Other lines the full load's fast path knows (`parseCanonicalEvent`: a `raw` usage, a newer `v`). */
  canonical: number;
  /** Lines `parseLog` parsed with JSON.parse + zod (and handed to `event`). */
  general: number;
}

/** Builds the light state of a log: a `LogSink` for `parseLog`. */
export class LightSink implements LogSink {
  readonly state: SessionState;
  readonly paths: LightPaths = { usual: 0, checked: 0, canonical: 0, general: 0 };
  private readonly message: RegExp;

  constructor(
    sessionId: string,
    private readonly utf8: boolean,
  ) {
    this.state = emptySession(sessionId);
    this.message = utf8 ? L_MESSAGE_UTF8 : L_MESSAGE_ASCII;
  }

  light(t: string, start: number, end: number): number {
    const v = this.recognized(t, start);
    if (v > 0) {
      this.paths.usual++;
      return v;
    }
    const checked = checkedMessageLine(t, start, end, this.utf8);
    if (checked) {
      this.paths.checked++;
      this.touch(checked.at);
      return checked.v;
    }
    const e = parseCanonicalEvent(t.slice(start, end));
    if (!e) return 0;
    this.paths.canonical++;
    applyEvent(this.state, e);
    return e.v;
  }

  /** The session's last update is the latest `at` of its lines. */
  private touch(at: string): void {
    if (at > this.state.updatedAt) this.state.updatedAt = at;
  }

  /** A version-1 line of the usual shapes (each expression ends with its newline), applied; its `v`, or 0. */
  private recognized(t: string, start: number): number {
    // `at` runs from after `{"v":1,"at":"` to the next quote; the type starts 10 characters later.
    const q = t.indexOf('"', start + 13);
    const k = q + 10;
    let re: RegExp;
    switch (t.charCodeAt(k)) {
      case 0x6d: // message
        re = this.message;
        break;
      case 0x74: // turn.started / turn.ended
        re = t.charCodeAt(k + 5) === 0x73 ? L_TURN_STARTED : L_TURN_ENDED;
        break;
      case 0x72: {
        const c = t.charCodeAt(k + 8); // request.started / .usage / .ended
        re = c === 0x73 ? L_REQUEST_STARTED : c === 0x75 ? L_REQUEST_USAGE : L_REQUEST_ENDED;
        break;
      }
      default:
        return 0;
    }
    re.lastIndex = start;
    if (re === this.message || re === L_TURN_ENDED || re === L_REQUEST_ENDED) {
      // Only their time counts for a summary.
      if (!re.test(t)) return 0;
      this.touch(t.slice(start + 13, q));
      return 1;
    }
    const m = re.exec(t);
    if (!m) return 0;
    const v = Number(m[1]);
    const at = m[2]!;
    const s = this.state;
    if (re === L_TURN_STARTED) {
      applyEvent(s, { v, at, type: 'turn.started', turnId: m[3]!, index: Number(m[4]) });
    } else if (re === L_REQUEST_STARTED) {
      applyEvent(s, {
        v,
        at,
        type: 'request.started',
        requestId: m[3]!,
        turnId: m[4],
        provider: m[5]!,
        model: m[6]!,
        purpose: (m[7] ?? 'chat') as 'chat',
      });
    } else {
      const inputTokenDetails: InputTokenDetails = {
        noCacheTokens: Number(m[5]),
        cacheReadTokens: Number(m[6]),
        cacheWriteTokens: Number(m[7]),
      };
      if (m[8] !== undefined) inputTokenDetails.cacheWrite1hTokens = Number(m[8]);
      applyEvent(s, {
        v,
        at,
        type: 'request.usage',
        requestId: m[3]!,
        usage: {
          inputTokens: Number(m[4]),
          inputTokenDetails,
          outputTokens: Number(m[9]),
          outputTokenDetails: { textTokens: Number(m[10]), reasoningTokens: Number(m[11]) },
          totalTokens: Number(m[12]),
          source: m[13] as 'provider',
        },
        // The summary reads the cost itself; where its prices came from is left out here.
        cost: { pico: m[14] ?? null, basis: m[15] as 'computed' },
        final: m[16] === 'true',
      });
    }
    return v;
  }

  event(e: SessionEvent): void {
    this.paths.general++;
    // The conversation is not part of a summary: only its time counts (the last update).
    if (e.type === 'message') this.touch(e.at);
    else applyEvent(this.state, e);
  }
}
