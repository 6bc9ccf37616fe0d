/**
 * Magic words in the user's prompt steer the demo agent, so tests that drive a real editor can
 * trigger each case. They are read from the LAST user message of the request (the turn's
 * prompt), so every request of a turn sees the same words. See README.md for the list.
 */

export interface Magic {
  /** The words found, as written (for the log). */
  words: string[];
  /** Stall after some text: `ms` or (undefined) until the client aborts. */
  stall?: { ms?: number };
  /** HTTP error status for the first request of the turn; `once` = only the first attempt. */
  error?: { status: number; once: boolean };
  /** Tool-call requests before the answer (default 1 when tools are offered). */
  tools: number;
  /** Words in the final answer (`[[long:N]]`). */
  long?: number;
  xss: boolean;
  /** Reasoning words before each answer (`[[think]]` = 12). */
  think?: number;
  cut: boolean;
  malformed: boolean;
  streamError: boolean;
  usageMode: 'final' | 'repeat' | 'none';
  cost?: number;
  /** Per-frame delay override in ms (`[[fast]]` = 0, `[[slow:MS]]`). */
  chunkDelayMs?: number;
  finish: 'stop' | 'length';
}

const MAGIC = /\[\[([a-z-]+)(?::([a-z0-9.]+))?\]\]/g;

export function parseMagic(prompt: string): Magic {
  const magic: Magic = {
    words: [],
    tools: 1,
    xss: false,
    cut: false,
    malformed: false,
    streamError: false,
    usageMode: 'final',
    finish: 'stop',
  };
  for (const m of prompt.matchAll(MAGIC)) {
    const [word, name, arg] = m;
    const n = arg === undefined ? undefined : Number(arg);
    const int = n === undefined || !Number.isFinite(n) ? undefined : Math.max(0, Math.floor(n));
    switch (name) {
      case 'stall':
        magic.stall = { ms: int };
        break;
      case 'error':
      case 'flaky':
        if (int !== undefined && int >= 400 && int <= 599)
          magic.error = { status: int, once: name === 'flaky' };
        break;
      case 'tools':
        magic.tools = int ?? 1;
        break;
      case 'long':
        magic.long = int ?? 200;
        break;
      case 'xss':
        magic.xss = true;
        break;
      case 'think':
        magic.think = int ?? 12;
        break;
      case 'cut':
        magic.cut = true;
        break;
      case 'malformed':
        magic.malformed = true;
        break;
      case 'midstream-error':
        magic.streamError = true;
        break;
      case 'usage':
        if (arg !== 'none' && arg !== 'repeat' && arg !== 'final') continue;
        magic.usageMode = arg;
        break;
      case 'cost':
        if (n !== undefined && Number.isFinite(n)) magic.cost = n;
        break;
      case 'fast':
        magic.chunkDelayMs = 0;
        break;
      case 'slow':
        magic.chunkDelayMs = int ?? 50;
        break;
      case 'length':
        magic.finish = 'length';
        break;
      default:
        continue;
    }
    magic.words.push(word);
  }
  return magic;
}

/** The prompt without its magic words. */
export function stripMagic(prompt: string): string {
  return prompt.replace(MAGIC, '').replace(/\s+/g, ' ').trim();
}
