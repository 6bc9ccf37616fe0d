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
import type { SessionEvent } from './events';
import { parseCanonicalEvent } from './fastEvent';
import type { LogSink } from './parseLog';

const HEAD =
  /\{"v":([1-9][0-9]{0,8}),"at":"([ !#-[\]-~]{1,64})","type":"(turn\.ended|request\.ended|message)"/y;
const END_STATUS = '"(?:completed|interrupted|failed)"';
const TURN_ENDED = new RegExp(
  String.raw`,"turnId":"[ !#-\[\]-~]{1,200}","status":${END_STATUS}(?:,"error":"[ !#-\[\]-~]{0,4000}")?\}`,
  'y',
);
const REQUEST_ENDED = new RegExp(
  String.raw`,"requestId":"[ !#-\[\]-~]{1,200}","status":${END_STATUS}(?:,"error":"[ !#-\[\]-~]{0,4000}")?\}`,
  'y',
);
const MESSAGE = /(?:,"turnId":"[ !#-[\]-~]{1,200}")?,"message":\{"role":"(?:system|user|assistant|tool)"/y;

/** Nesting deeper than this steps aside (JSON.parse decides). */
const MAX_DEPTH = 64;

/**
 * Where the JSON value starting at `i` ends (the index after it), or -1 when it is not a value
 * this checker vouches for: no whitespace, no byte ≥ 0x80 unless `utf8` (the caller checked the
 * bytes), nesting at most `MAX_DEPTH`. Returns what JSON.parse accepts, or -1 (never a wrong end).
 */
export function skipJsonValue(t: string, i: number, end: number, utf8: boolean): number {
  let depth = 0;
  // A stack of container kinds as a bit set: bit d set = the container at depth d is an array.
  const arrays: boolean[] = [];
  for (;;) {
    // A value at i.
    if (i >= end) return -1;
    const c = t.charCodeAt(i);
    if (c === 0x22) {
      i = skipString(t, i, end, utf8);
      if (i < 0) return -1;
    } else if (c === 0x7b || c === 0x5b) {
      // `{` or `[`
      if (++depth > MAX_DEPTH) return -1;
      const isArray = c === 0x5b;
      arrays[depth] = isArray;
      i++;
      const close = isArray ? 0x5d : 0x7d;
      if (t.charCodeAt(i) === close) {
        i++;
        depth--;
      } else {
        if (!isArray) {
          i = skipKey(t, i, end, utf8);
          if (i < 0) return -1;
        }
        continue;
      }
    } else if (c === 0x74) {
      if (!t.startsWith('true', i)) return -1;
      i += 4;
    } else if (c === 0x66) {
      if (!t.startsWith('false', i)) return -1;
      i += 5;
    } else if (c === 0x6e) {
      if (!t.startsWith('null', i)) return -1;
      i += 4;
    } else {
      i = skipNumber(t, i, end);
      if (i < 0) return -1;
    }
    // After a value: `,` next member, or close containers.
    for (;;) {
      if (depth === 0) return i;
      const d = t.charCodeAt(i);
      if (d === 0x2c) {
        i++;
        if (!arrays[depth]) {
          i = skipKey(t, i, end, utf8);
          if (i < 0) return -1;
        }
        break;
      }
      if (d === (arrays[depth] ? 0x5d : 0x7d)) {
        i++;
        depth--;
        continue;
      }
      return -1;
    }
  }
}

/** `"key":` at i: the index after the colon, or -1. */
function skipKey(t: string, i: number, end: number, utf8: boolean): number {
  if (t.charCodeAt(i) !== 0x22) return -1;
  i = skipString(t, i, end, utf8);
  if (i < 0 || t.charCodeAt(i) !== 0x3a) return -1;
  return i + 1;
}

const HEX = /^[0-9A-Fa-f]{4}$/;

/** A JSON string at i (its opening quote): the index after its closing quote, or -1. */
function skipString(t: string, i: number, end: number, utf8: boolean): number {
  i++;
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c >= 0x80 && !utf8) return -1;
    if (c === 0x5c) {
      const e = t.charCodeAt(++i);
      if (e === 0x75) {
        if (!HEX.test(t.slice(i + 1, i + 5))) return -1;
        i += 4;
      } else if (
        e !== 0x22 &&
        e !== 0x5c &&
        e !== 0x2f &&
        e !== 0x62 &&
        e !== 0x66 &&
        e !== 0x6e &&
        e !== 0x72 &&
        e !== 0x74
      )
        return -1;
    }
  }
  return -1;
}

/** A JSON number at i: the index after it, or -1. */
function skipNumber(t: string, i: number, end: number): number {
  const digit = (k: number) => {
    const c = t.charCodeAt(k);
    return c >= 0x30 && c <= 0x39;
  };
  if (t.charCodeAt(i) === 0x2d) i++;
  if (i >= end || !digit(i)) return -1;
  if (t.charCodeAt(i) === 0x30) i++;
  else while (i < end && digit(i)) i++;
  if (t.charCodeAt(i) === 0x2e) {
    i++;
    if (i >= end || !digit(i)) return -1;
    while (i < end && digit(i)) i++;
  }
  const e = t.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const s = t.charCodeAt(i);
    if (s === 0x2b || s === 0x2d) i++;
    if (i >= end || !digit(i)) return -1;
    while (i < end && digit(i)) i++;
  }
  return i;
}

/**
 * Checks the members of a message object after its `"role":"…"`, up to and including its
 * closing brace: a `content` member must be there (zod requires it), no second `role` (JSON.parse
 * keeps the last one) and no `__proto__`. Returns the index after the brace, or -1.
 */
function skipMessageRest(t: string, i: number, end: number, utf8: boolean): number {
  let content = false;
  for (;;) {
    const c = t.charCodeAt(i);
    if (c === 0x7d) return content ? i + 1 : -1;
    if (c !== 0x2c || t.charCodeAt(i + 1) !== 0x22) return -1;
    const keyStart = i + 2;
    const afterKey = skipString(t, i + 1, end, utf8);
    if (afterKey < 0 || t.charCodeAt(afterKey) !== 0x3a) return -1;
    const key = t.slice(keyStart, afterKey - 1);
    if (key === 'content') content = true;
    else if (key === 'role' || key === '__proto__' || key.includes('\\')) return -1;
    i = skipJsonValue(t, afterKey + 1, end, utf8);
    if (i < 0) return -1;
  }
}

/**
 * What the light scan reads of one line (from `start` to `end`, the line's `\n`): `v` and `at` of
 * a valid `turn.ended`, `request.ended` or `message` line it can vouch for, else null.
 */
export function skippableLine(
  t: string,
  start: number,
  end: number,
  utf8: boolean,
): { v: number; at: string } | null {
  HEAD.lastIndex = start;
  const head = HEAD.exec(t);
  if (!head) return null;
  const from = HEAD.lastIndex;
  let after: number;
  switch (head[3]) {
    case 'message': {
      MESSAGE.lastIndex = from;
      if (!MESSAGE.test(t)) return null;
      after = skipMessageRest(t, MESSAGE.lastIndex, end, utf8);
      if (after < 0 || t.charCodeAt(after) !== 0x7d) return null;
      after++;
      break;
    }
    case 'turn.ended':
      TURN_ENDED.lastIndex = from;
      if (!TURN_ENDED.test(t)) return null;
      after = TURN_ENDED.lastIndex;
      break;
    default:
      REQUEST_ENDED.lastIndex = from;
      if (!REQUEST_ENDED.test(t)) return null;
      after = REQUEST_ENDED.lastIndex;
  }
  if (after !== end) return null;
  return { v: Number(head[1]), at: head[2]! };
}

// The light scan's own recognizers: one sticky expression per kind over the whole log text (no
// copy of the line), each ending with the line's newline, with only what the summary reads captured.
const S = String.raw`[ !#-\[\]-~]`;
const HEAD_ = String.raw`\{"v":([1-9][0-9]{0,8}),"at":"(${S}{1,64})","type":"`;
// Counts of at most 12 digits: always within the schema's 1e12 (longer ones step aside).
const N = '(0|[1-9][0-9]{0,11})';
const STATUS = '"(?:completed|interrupted|failed)"';
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
    String.raw`message"(?:,"turnId":"${S}{1,200}")?,"message":\{"role":"(?:system|user|assistant|tool)",` +
      String.raw`"content":${v}(?:,"(?!role"|__proto__")[A-Za-z0-9_$-]{1,100}":${v})*\}`,
  );
}
const L_MESSAGE_UTF8 = messageRe(true);
const L_MESSAGE_ASCII = messageRe(false);

/** Builds the light state of a log: a `LogSink` for `parseLog`. */
export class LightSink implements LogSink {
  readonly state: SessionState;
  private readonly message: RegExp;

  constructor(
    sessionId: string,
    private readonly utf8: boolean,
  ) {
    this.state = emptySession(sessionId);
    this.message = utf8 ? L_MESSAGE_UTF8 : L_MESSAGE_ASCII;
  }

  light(t: string, start: number, end: number): number {
    const v = this.recognized(t, start, end);
    if (v > 0) return v;
    // Other shapes the full load's fast path knows (a `raw` usage, a long count), then the
    // conversation's lines checked without JSON.parse; else the general path.
    const skip = skippableLine(t, start, end, this.utf8);
    if (skip) {
      if (skip.at > this.state.updatedAt) this.state.updatedAt = skip.at;
      return skip.v;
    }
    const e = parseCanonicalEvent(t.slice(start, end));
    if (!e) return 0;
    applyEvent(this.state, e);
    return e.v;
  }

  /** A line of the usual shapes, applied; its `v`, or 0. */
  private recognized(t: string, start: number, end: number): number {
    const q = t.indexOf('"', start + 13); // the end of `at`
    if (q < 0 || q > end) return 0;
    const k = q + 10; // the first character of the type
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
      if (!re.test(t)) return 0;
      // `at` runs from after `{"v":1,"at":"` to the quote found above.
      if (!t.startsWith(this.state.updatedAt, start + 13) || q - start - 13 !== this.state.updatedAt.length) {
        const at = t.slice(start + 13, q);
        if (at > this.state.updatedAt) this.state.updatedAt = at;
      }
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
      const purpose = (m[7] ?? 'chat') as 'chat';
      applyEvent(
        s,
        m[4] === undefined
          ? { v, at, type: 'request.started', requestId: m[3]!, provider: m[5]!, model: m[6]!, purpose }
          : {
              v,
              at,
              type: 'request.started',
              requestId: m[3]!,
              turnId: m[4],
              provider: m[5]!,
              model: m[6]!,
              purpose,
            },
      );
    } else if (re === L_REQUEST_USAGE) {
      const inputTokenDetails =
        m[8] === undefined
          ? { noCacheTokens: Number(m[5]), cacheReadTokens: Number(m[6]), cacheWriteTokens: Number(m[7]) }
          : {
              noCacheTokens: Number(m[5]),
              cacheReadTokens: Number(m[6]),
              cacheWriteTokens: Number(m[7]),
              cacheWrite1hTokens: Number(m[8]),
            };
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
    if (e.type === 'message') {
      // The conversation is not part of a summary: only its time counts (the last update).
      if (e.at > this.state.updatedAt) this.state.updatedAt = e.at;
      return;
    }
    applyEvent(this.state, e);
  }
}
