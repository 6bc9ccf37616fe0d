/**
 * The chat transcript as the chat view shows it, rebuilt from a session's recorded messages,
 * turns and requests (so a reopened workspace shows what it showed before).
 */

import type { ChatItem } from '../../shared/protocol';
import type { SessionState } from '../ledger/ledger';
import { sessionStats, type TurnStatsJson } from '../report/stats';

interface Part {
  type?: string;
  text?: string;
  toolCallId?: string;
  toolName?: string;
  input?: unknown;
  output?: { type?: string; value?: unknown };
}

function parts(content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as Part[]) : [];
}

export function usageChip(t: TurnStatsJson): ChatItem {
  return {
    kind: 'turn-usage',
    id: `c:${t.turnId}`,
    turnId: t.turnId,
    status: t.status,
    totalTokens: t.usage.totalTokens,
    cost: t.cost,
    unknownCostRequests: t.unknownCostRequests,
  };
}

export function transcript(s: SessionState): ChatItem[] {
  const items: ChatItem[] = [];
  const tools = new Map<string, Extract<ChatItem, { kind: 'tool' }>>();
  const stats = sessionStats(s, null);
  const turnStats = new Map(stats.turns.map((t) => [t.turnId, t]));
  let n = 0;
  let currentTurn: string | undefined;
  const closeTurn = (turnId: string | undefined) => {
    if (!turnId) return;
    const t = turnStats.get(turnId);
    if (!t || t.status === 'running') return;
    if (t.status === 'failed' && t.error)
      items.push({ kind: 'error', id: `e:${turnId}`, turnId, text: t.error });
    items.push(usageChip(t));
    turnStats.delete(turnId);
  };
  for (const m of s.messages) {
    const turnId = m.turnId ?? '';
    if (m.message.role === 'user' && currentTurn !== turnId) {
      closeTurn(currentTurn);
      currentTurn = turnId;
    }
    n++;
    if (m.message.role === 'user') {
      const text = parts(m.message.content)
        .map((p) => p.text ?? '')
        .join('');
      items.push({ kind: 'user', id: `u:${n}`, turnId, text });
    } else if (m.message.role === 'assistant') {
      const ps = parts(m.message.content);
      const text = ps
        .filter((p) => p.type === 'text')
        .map((p) => p.text ?? '')
        .join('');
      if (text) items.push({ kind: 'assistant', id: `a:${n}`, turnId, requestId: '', text });
      for (const p of ps) {
        if (p.type !== 'tool-call' || !p.toolCallId) continue;
        const item: Extract<ChatItem, { kind: 'tool' }> = {
          kind: 'tool',
          id: `t:${p.toolCallId}`,
          turnId,
          toolCallId: p.toolCallId,
          toolName: p.toolName ?? 'tool',
          input: p.input,
        };
        tools.set(p.toolCallId, item);
        items.push(item);
      }
    } else if (m.message.role === 'tool') {
      for (const p of parts(m.message.content)) {
        const item = p.toolCallId ? tools.get(p.toolCallId) : undefined;
        if (!item) continue;
        const v = p.output?.value;
        item.output = typeof v === 'string' ? v : JSON.stringify(v);
        item.isError = p.output?.type === 'error-text' || p.output?.type === 'error-json';
      }
    }
  }
  closeTurn(currentTurn);
  // Turns with no message recorded (e.g. imported usage-only sessions) still show their chip.
  for (const t of turnStats.values()) if (t.status !== 'running') items.push(usageChip(t));
  return items;
}
