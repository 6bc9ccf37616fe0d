/**
 * The fast path of loading: recognizes the common event lines exactly as this build writes them
 * (keys in schema order, no whitespace, ASCII strings without escapes) with one regular
 * expression each, and builds the event by hand. On this machine JSON.parse alone takes about
 * 5 µs for a usage line and zod as much again; these take about 1 µs, which is what lets a
 * 10,000-turn log reload in well under 100 ms.
 *
 * The guarantee: when `parseCanonicalEvent` returns an event, it deep-equals what
 * `sessionEventSchema.parse(JSON.parse(line))` returns; when the line is anything else (another
 * key order, an escape, a non-ASCII character, a bound exceeded, another event type) it returns
 * undefined and the caller takes the slow path (JSON.parse + zod). A property test holds it to
 * that (test/unit/sessions/fastEvent.test.ts).
 */
import type { SessionEvent } from './events';

// A JSON string whose text is its value: printable ASCII without `"` or `\`.
const STR = String.raw`"([ !#-\[\]-~]*)"`;
// A JSON integer as JSON.stringify writes it (no sign, no leading zero), at most 13 digits.
const NUM = '(0|[1-9][0-9]{0,12})';
const END_STATUS = '"(completed|interrupted|failed)"';

const HEAD = new RegExp(String.raw`^\{"v":([1-9][0-9]{0,8}),"at":${STR},"type":"([a-z.]{1,20})"`);

function body(src: string): RegExp {
  return new RegExp(src, 'y');
}

const TURN_STARTED = body(String.raw`,"turnId":${STR},"index":${NUM}\}$`);
const TURN_ENDED = body(String.raw`,"turnId":${STR},"status":${END_STATUS}(?:,"error":${STR})?\}$`);
const REQUEST_STARTED = body(
  `,"requestId":${STR}(?:,"turnId":${STR})?,"provider":${STR},"model":${STR}` +
    String.raw`(?:,"purpose":"(chat|title|summary|compaction|subagent)")?\}$`,
);
const REQUEST_ENDED = body(String.raw`,"requestId":${STR},"status":${END_STATUS}(?:,"error":${STR})?\}$`);
// `raw` is any JSON value: captured greedily (the fixed tail after it cannot occur inside the
// tail itself, so the longest capture is the real one) and handed to JSON.parse.
const REQUEST_USAGE = body(
  String.raw`,"requestId":${STR},"usage":\{"inputTokens":${NUM},"inputTokenDetails":\{"noCacheTokens":${NUM},` +
    String.raw`"cacheReadTokens":${NUM},"cacheWriteTokens":${NUM}(?:,"cacheWrite1hTokens":${NUM})?\},` +
    String.raw`"outputTokens":${NUM},"outputTokenDetails":\{"textTokens":${NUM},"reasoningTokens":${NUM}\},` +
    String.raw`"totalTokens":${NUM},"source":"(provider|estimated|legacy)"(?:,"raw":(.*))?\},` +
    String.raw`"cost":\{"pico":(?:null|"([0-9]{1,30})"),"basis":"(computed|reported|legacy|unknown)"` +
    String.raw`(?:,"catalog":${STR})?(?:,"price":\{"input":${STR},"cacheRead":${STR},"cacheWrite":${STR},` +
    String.raw`"cacheWrite1h":${STR},"output":${STR}(?:,"tierStart":${NUM})?\})?\},"final":(true|false)\}$`,
);

const MAX_COUNT = 1e12;

type UsageEvent = Extract<SessionEvent, { type: 'request.usage' }>;

function count(s: string | undefined): number {
  const n = Number(s);
  return n <= MAX_COUNT ? n : Number.NaN;
}

function isId(s: string | undefined): s is string {
  return s !== undefined && s.length >= 1 && s.length <= 200;
}

function within(s: string | undefined, max: number): boolean {
  return s === undefined || s.length <= max;
}

/** The event on a canonical line, or undefined when the line needs the slow path. */
export function parseCanonicalEvent(line: string): SessionEvent | undefined {
  const head = HEAD.exec(line);
  if (!head) return undefined;
  const v = Number(head[1]);
  const at = head[2]!;
  if (at.length < 1 || at.length > 64) return undefined;
  const from = head[0].length;
  switch (head[3]) {
    case 'turn.started': {
      const m = match(TURN_STARTED, line, from);
      if (!m || !isId(m[1])) return undefined;
      const index = count(m[2]);
      if (Number.isNaN(index)) return undefined;
      return { v, at, type: 'turn.started', turnId: m[1], index };
    }
    case 'turn.ended': {
      const m = match(TURN_ENDED, line, from);
      if (!m || !isId(m[1]) || !within(m[3], 4000)) return undefined;
      const status = m[2] as 'completed' | 'interrupted' | 'failed';
      return m[3] === undefined
        ? { v, at, type: 'turn.ended', turnId: m[1], status }
        : { v, at, type: 'turn.ended', turnId: m[1], status, error: m[3] };
    }
    case 'request.started': {
      const m = match(REQUEST_STARTED, line, from);
      if (!m || !isId(m[1]) || (m[2] !== undefined && !isId(m[2]))) return undefined;
      if (!within(m[3], 100) || !within(m[4], 200)) return undefined;
      const purpose = (m[5] ?? 'chat') as 'chat' | 'title' | 'summary' | 'compaction' | 'subagent';
      return m[2] === undefined
        ? { v, at, type: 'request.started', requestId: m[1], provider: m[3]!, model: m[4]!, purpose }
        : {
            v,
            at,
            type: 'request.started',
            requestId: m[1],
            turnId: m[2],
            provider: m[3]!,
            model: m[4]!,
            purpose,
          };
    }
    case 'request.ended': {
      const m = match(REQUEST_ENDED, line, from);
      if (!m || !isId(m[1]) || !within(m[3], 4000)) return undefined;
      const status = m[2] as 'completed' | 'interrupted' | 'failed';
      return m[3] === undefined
        ? { v, at, type: 'request.ended', requestId: m[1], status }
        : { v, at, type: 'request.ended', requestId: m[1], status, error: m[3] };
    }
    case 'request.usage':
      return usageEvent(line, from, v, at);
    default:
      return undefined;
  }
}

function match(re: RegExp, line: string, from: number): RegExpExecArray | null {
  re.lastIndex = from;
  return re.exec(line);
}

function usageEvent(line: string, from: number, v: number, at: string): SessionEvent | undefined {
  const m = match(REQUEST_USAGE, line, from);
  if (!m || !isId(m[1])) return undefined;
  const inputTokens = count(m[2]);
  const noCacheTokens = count(m[3]);
  const cacheReadTokens = count(m[4]);
  const cacheWriteTokens = count(m[5]);
  const cacheWrite1h = m[6] === undefined ? 0 : count(m[6]);
  const outputTokens = count(m[7]);
  const textTokens = count(m[8]);
  const reasoningTokens = count(m[9]);
  const totalTokens = count(m[10]);
  // NaN is a count above 1e12: step aside.
  const counts = [inputTokens, noCacheTokens, cacheReadTokens, cacheWriteTokens, cacheWrite1h];
  counts.push(outputTokens, textTokens, reasoningTokens, totalTokens);
  for (const n of counts) if (Number.isNaN(n)) return undefined;
  const inputTokenDetails: UsageEvent['usage']['inputTokenDetails'] =
    m[6] === undefined
      ? { noCacheTokens, cacheReadTokens, cacheWriteTokens }
      : { noCacheTokens, cacheReadTokens, cacheWriteTokens, cacheWrite1hTokens: cacheWrite1h };
  const usage: UsageEvent['usage'] = {
    inputTokens,
    inputTokenDetails,
    outputTokens,
    outputTokenDetails: { textTokens, reasoningTokens },
    totalTokens,
    source: m[11] as 'provider' | 'estimated' | 'legacy',
  };
  if (m[12] !== undefined) {
    try {
      usage.raw = JSON.parse(m[12]);
    } catch {
      return undefined;
    }
  }
  if (!within(m[15], 200)) return undefined;
  const cost: UsageEvent['cost'] = {
    pico: m[13] ?? null,
    basis: m[14] as 'computed' | 'reported' | 'legacy' | 'unknown',
  };
  if (m[15] !== undefined) cost.catalog = m[15];
  if (m[16] !== undefined) {
    cost.price = {
      input: m[16],
      cacheRead: m[17]!,
      cacheWrite: m[18]!,
      cacheWrite1h: m[19]!,
      output: m[20]!,
    };
    if (m[21] !== undefined) cost.price.tierStart = Number(m[21]);
  }
  return { v, at, type: 'request.usage', requestId: m[1], usage, cost, final: m[22] === 'true' };
}
