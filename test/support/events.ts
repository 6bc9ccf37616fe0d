/** Builders for event sequences in tests. */
import { LOG_VERSION, type SessionEvent } from '../../src/core/sessions/events';
import type { Usage } from '../../src/core/usage/types';

let clock = Date.parse('2026-01-02T10:00:00.000Z');
export function at(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function usage(p: {
  noCache?: number;
  cacheRead?: number;
  cacheWrite?: number;
  text?: number;
  reasoning?: number;
  source?: Usage['source'];
}): Usage {
  const noCacheTokens = p.noCache ?? 0;
  const cacheReadTokens = p.cacheRead ?? 0;
  const cacheWriteTokens = p.cacheWrite ?? 0;
  const textTokens = p.text ?? 0;
  const reasoningTokens = p.reasoning ?? 0;
  const inputTokens = noCacheTokens + cacheReadTokens + cacheWriteTokens;
  const outputTokens = textTokens + reasoningTokens;
  return {
    inputTokens,
    inputTokenDetails: { noCacheTokens, cacheReadTokens, cacheWriteTokens },
    outputTokens,
    outputTokenDetails: { textTokens, reasoningTokens },
    totalTokens: inputTokens + outputTokens,
    source: p.source ?? 'provider',
  };
}

export const ev = {
  created: (sessionId = 's1', model = 'gpt-4o'): SessionEvent => ({
    v: LOG_VERSION,
    at: at(),
    type: 'session.created',
    sessionId,
    title: 'Test session',
    provider: 'openai',
    model,
  }),
  turn: (turnId: string, index: number): SessionEvent => ({
    v: LOG_VERSION,
    at: at(),
    type: 'turn.started',
    turnId,
    index,
  }),
  turnEnd: (turnId: string, status: 'completed' | 'interrupted' | 'failed' = 'completed'): SessionEvent => ({
    v: LOG_VERSION,
    at: at(),
    type: 'turn.ended',
    turnId,
    status,
  }),
  req: (
    requestId: string,
    turnId: string | undefined,
    purpose: 'chat' | 'title' = 'chat',
    model = 'gpt-4o',
  ): SessionEvent => ({
    v: LOG_VERSION,
    at: at(),
    type: 'request.started',
    requestId,
    turnId,
    provider: 'openai',
    model,
    purpose,
  }),
  usage: (requestId: string, u: Usage, pico: bigint | null, final = true): SessionEvent => ({
    v: LOG_VERSION,
    at: at(),
    type: 'request.usage',
    requestId,
    usage: u,
    cost: { pico: pico === null ? null : pico.toString(), basis: pico === null ? 'unknown' : 'computed' },
    final,
  }),
  reqEnd: (
    requestId: string,
    status: 'completed' | 'interrupted' | 'failed' = 'completed',
  ): SessionEvent => ({
    v: LOG_VERSION,
    at: at(),
    type: 'request.ended',
    requestId,
    status,
  }),
};
