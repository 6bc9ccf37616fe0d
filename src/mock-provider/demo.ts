/**
 * The default "demo" agent, used when no script is queued: it answers a user message with a
 * tool call (`list_files {"path": "."}` when offered, else the first tool), and once the
 * conversation ends with a tool result it answers with a short text that mentions the result.
 * Without tools it just answers. Magic words in the prompt change its behaviour (magic.ts).
 */
import { asArray, asRecord } from './json';
import type { Magic } from './magic';
import { stripMagic } from './magic';
import type { ParsedRequest, ToolInfo } from './plan';
import type { Script, ScriptEvent } from './types';

const VOCABULARY = (
  'tally counts every token the model reads and writes so the numbers on the panel match the bill ' +
  'from the provider down to the last cached prompt token and the last reasoning token'
).split(' ');

/** `n` deterministic words. */
export function demoWords(n: number): string {
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(VOCABULARY[i % VOCABULARY.length]!);
  return words.join(' ');
}

/** Text as word-sized deltas, each with its leading whitespace (as token streams look). */
export function wordChunks(text: string): string[] {
  return text.match(/\s*\S+/g) ?? (text === '' ? [] : [text]);
}

const XSS_PAYLOAD =
  'Here is some markup: <script>alert("xss")</script> and an image <img src="x" onerror="alert(1)"> ' +
  'and a [link](javascript:alert(document.cookie)) and <a href="javascript:alert(2)">another</a>.';

function snippet(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Arguments that satisfy the tool's schema well enough: `path` is ".", other required fields get a plain value. */
export function demoArgs(tool: ToolInfo): Record<string, unknown> {
  if (tool.name === 'list_files') return { path: '.' };
  const schema = asRecord(tool.parameters);
  const properties = asRecord(schema.properties);
  const args: Record<string, unknown> = {};
  const keys = new Set([
    ...asArray(schema.required).filter((k) => typeof k === 'string'),
    ...('path' in properties ? ['path'] : []),
  ]);
  for (const key of keys) {
    const type = asRecord(properties[key]).type;
    args[key] =
      key === 'path'
        ? '.'
        : type === 'number' || type === 'integer'
          ? 1
          : type === 'boolean'
            ? false
            : type === 'array'
              ? []
              : type === 'object'
                ? {}
                : 'mock';
  }
  return args;
}

function textEvents(text: string): ScriptEvent[] {
  return wordChunks(text).map((t) => ({ type: 'text', text: t }));
}

/** Insert the disruptive event (stall, cut, malformed chunk, stream error) after about half of the first text. */
function disrupt(events: ScriptEvent[], magic: Magic): ScriptEvent[] {
  const disruption: ScriptEvent | undefined = magic.stall
    ? { type: 'stall', ms: magic.stall.ms }
    : magic.cut
      ? { type: 'cut' }
      : magic.malformed
        ? { type: 'malformed' }
        : magic.streamError
          ? { type: 'stream-error', kind: 'overloaded' }
          : undefined;
  if (!disruption) return events;
  const texts = events.map((e, i) => (e.type === 'text' ? i : -1)).filter((i) => i >= 0);
  const at = texts.length === 0 ? 0 : texts[Math.max(0, Math.ceil(texts.length / 2) - 1)]! + 1;
  return [...events.slice(0, at), disruption, ...events.slice(at)];
}

/**
 * The demo agent's script for this request. `firstAttempt` is false when the very same request
 * body was seen before (a retry), for `[[flaky:CODE]]`.
 */
export function demoScript(req: ParsedRequest, magic: Magic, firstAttempt: boolean): Script {
  let lastUser = -1;
  req.messages.forEach((m, i) => {
    if (m.role === 'user') lastUser = i;
  });
  const afterUser = req.messages.slice(lastUser + 1);
  const toolResults = afterUser.filter((m) => m.role === 'tool');
  const firstOfTurn = req.messages.at(-1)?.role === 'user';
  const base = {
    usageMode: magic.usageMode,
    finish: magic.finish,
    ...(magic.cost === undefined ? {} : { cost: magic.cost }),
    ...(magic.chunkDelayMs === undefined ? {} : { chunkDelayMs: magic.chunkDelayMs }),
  } satisfies Partial<Script>;

  if (magic.error && firstOfTurn && (!magic.error.once || firstAttempt)) {
    // A flaky error asks for an immediate retry (quick to watch); a steady 429 asks for 1 s.
    const retryAfter = magic.error.once ? 0 : magic.error.status === 429 ? 1 : undefined;
    return {
      ...base,
      error: { status: magic.error.status, ...(retryAfter === undefined ? {} : { retryAfter }) },
    };
  }

  const events: ScriptEvent[] = [];
  if (magic.think !== undefined) {
    for (const t of wordChunks(demoWords(magic.think))) events.push({ type: 'reasoning', text: t });
  }
  const tool = req.tools.find((t) => t.name === 'list_files') ?? req.tools[0];
  if (tool && toolResults.length < magic.tools) {
    if (firstOfTurn) events.push(...textEvents('Let me look at the workspace first.'));
    events.push({ type: 'tool-call', name: tool.name, args: demoArgs(tool) });
  } else {
    const prompt = stripMagic(req.messages[lastUser]?.text ?? '');
    const last = toolResults.at(-1);
    let answer: string;
    if (magic.long !== undefined) answer = demoWords(magic.long);
    else if (last) {
      answer = `I called ${last.toolName ?? 'the tool'} ${toolResults.length === 1 ? 'once' : `${toolResults.length} times`} and it returned: "${snippet(last.text)}". That answers "${snippet(prompt, 40)}".`;
    } else answer = `Hello from the Tally mock model. You said: "${snippet(prompt)}".`;
    if (magic.xss) answer = `${answer} ${XSS_PAYLOAD}`;
    events.push(...textEvents(answer));
  }
  return { ...base, events: firstOfTurn ? disrupt(events, magic) : events };
}
