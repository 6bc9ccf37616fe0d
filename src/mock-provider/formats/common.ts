/** Helpers shared by the wire formats. */
import type { Frame } from '../plan';
import type { ScriptEvent } from '../types';

/** Split a string into at most `pieces` non-empty parts (for streamed tool arguments). */
export function splitInPieces(text: string, pieces = 3): string[] {
  if (text.length <= 1) return [text];
  const size = Math.ceil(text.length / pieces);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Frames for the events every wire treats alike; `undefined` for content events. */
export function controlFrame(event: ScriptEvent): Frame | undefined {
  switch (event.type) {
    case 'stall':
      return { kind: 'stall', ms: event.ms };
    case 'delay':
      return { kind: 'delay', ms: event.ms };
    case 'cut':
      return { kind: 'cut' };
    case 'malformed':
      return { kind: 'text', text: `data: ${event.text ?? '{"type": "oops", "unterminated'}\n\n` };
    default:
      return undefined;
  }
}

/** A raw event, framed by the format's own framing. */
export function rawFrame(event: Extract<ScriptEvent, { type: 'raw' }>): Frame {
  return { kind: 'data', event: event.event, data: event.data };
}

export function retryAfterHeader(retryAfter: number | string | undefined): Record<string, string> {
  return retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
}

export type Block =
  | { kind: 'text'; text: string }
  | { kind: 'reasoning'; text: string }
  | { kind: 'tool-call'; name: string; args: Record<string, unknown>; id?: string };

/** The content of a plan as whole blocks (consecutive text or reasoning deltas joined), for unary responses. */
export function blocksOf(events: readonly ScriptEvent[]): Block[] {
  const blocks: Block[] = [];
  for (const e of events) {
    const last = blocks.at(-1);
    if (e.type === 'text' || e.type === 'reasoning') {
      if (last?.kind === e.type) last.text += e.text;
      else blocks.push({ kind: e.type, text: e.text });
    } else if (e.type === 'tool-call') {
      blocks.push({ kind: 'tool-call', name: e.name, args: e.args, id: e.id });
    }
  }
  return blocks;
}
