/**
 * Deterministic token counting for the mock: the same request always reports the same usage.
 *
 * - input = ceil(promptJson.length / 4), where promptJson is the request's conversation field;
 * - cache read = the characters this prompt shares (as a prefix) with the previous request of
 *   the same conversation, / 4, rounded down;
 * - output = words of text + ceil((name + JSON args).length / 4) per tool call;
 * - reasoning = words of reasoning text.
 */
import type { ParsedRequest } from './plan';
import type { ScriptEvent, UsageNumbers } from './types';

export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

export function toolCallTokens(name: string, args: unknown): number {
  return Math.ceil((name.length + JSON.stringify(args).length) / 4);
}

/** Output tokens that one event produces: [text, reasoning]. */
export function eventTokens(event: ScriptEvent): [number, number] {
  switch (event.type) {
    case 'text':
      return [countWords(event.text), 0];
    case 'reasoning':
      return [0, countWords(event.text)];
    case 'tool-call':
      return [toolCallTokens(event.name, event.args), 0];
    default:
      return [0, 0];
  }
}

export function outputOf(events: readonly ScriptEvent[]): { outputText: number; reasoning: number } {
  let outputText = 0;
  let reasoning = 0;
  for (const e of events) {
    const [t, r] = eventTokens(e);
    outputText += t;
    reasoning += r;
  }
  return { outputText, reasoning };
}

export function inputTotal(n: UsageNumbers): number {
  return n.inputNoCache + n.cacheRead + n.cacheWrite5m + n.cacheWrite1h;
}

export function outputTotal(n: UsageNumbers): number {
  return n.outputText + n.reasoning;
}

function commonPrefixLength(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Remembers the last prompt of each conversation to derive cache reads and writes. */
export class PromptCache {
  private readonly lastPrompt = new Map<string, string>();

  clear(): void {
    this.lastPrompt.clear();
  }

  /**
   * Input numbers for this request; with `remember`, its prompt becomes the one the next request
   * of the conversation is compared with (a request refused with an HTTP error caches nothing).
   * OpenAI and Gemini cache implicitly (reads only). Anthropic caches only when the request
   * carries `cache_control`: then the shared prefix is read, and half of the rest is written
   * (with the marker's lifetime); without a marker nothing is cached.
   */
  input(
    req: ParsedRequest,
    remember: boolean,
  ): Pick<UsageNumbers, 'inputNoCache' | 'cacheRead' | 'cacheWrite5m' | 'cacheWrite1h'> {
    const total = Math.ceil(req.promptJson.length / 4);
    const key = conversationKey(req);
    const previous = this.lastPrompt.get(key);
    if (remember) this.lastPrompt.set(key, req.promptJson);
    const shared =
      previous === undefined
        ? 0
        : Math.min(total, Math.floor(commonPrefixLength(previous, req.promptJson) / 4));
    if (req.provider !== 'anthropic') {
      return { inputNoCache: total - shared, cacheRead: shared, cacheWrite5m: 0, cacheWrite1h: 0 };
    }
    if (req.cacheControl === 'none') {
      return { inputNoCache: total, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
    }
    const rest = total - shared;
    const written = Math.floor(rest / 2);
    return {
      inputNoCache: rest - written,
      cacheRead: shared,
      cacheWrite5m: req.cacheControl === '5m' ? written : 0,
      cacheWrite1h: req.cacheControl === '1h' ? written : 0,
    };
  }
}

/** A conversation is identified by provider, model and its first user message. */
function conversationKey(req: ParsedRequest): string {
  const firstUser = req.messages.find((m) => m.role === 'user')?.text ?? '';
  return `${req.provider}\u0000${req.model}\u0000${firstUser}`;
}

/** Running (cumulative) usage while a plan streams: input is known up front, output grows. */
export class RunningUsage {
  private text = 0;
  private reasoning = 0;

  constructor(private readonly final: UsageNumbers) {}

  add(event: ScriptEvent): void {
    const [t, r] = eventTokens(event);
    this.text += t;
    this.reasoning += r;
  }

  /** Numbers so far, never above the final ones; `override` replaces fields. */
  snapshot(override?: Partial<UsageNumbers>): UsageNumbers {
    return {
      ...this.final,
      outputText: Math.min(this.text, this.final.outputText),
      reasoning: Math.min(this.reasoning, this.final.reasoning),
      ...override,
    };
  }

  get finalNumbers(): UsageNumbers {
    return this.final;
  }
}
