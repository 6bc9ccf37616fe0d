/**
 * Validation of every message a webview sends (a webview is untrusted input). Strict objects:
 * a wrong type, a missing or an extra field, an oversized payload or a prototype-pollution key
 * is rejected with a logged reason and never acted on.
 */
import { z } from 'zod';
import type { WebviewToHost } from '../shared/protocol';

const MAX_PROMPT = 200_000;
const view = z.enum(['chat', 'usage', 'spending']);
const id = z.string().min(1).max(200);

export const webviewMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), view }),
  z.strictObject({ type: z.literal('chat.send'), text: z.string().min(1).max(MAX_PROMPT) }),
  z.strictObject({ type: z.literal('chat.stop') }),
  z.strictObject({ type: z.literal('chat.approve'), toolCallId: id, approved: z.boolean() }),
  z.strictObject({ type: z.literal('chat.selectModel') }),
  z.strictObject({ type: z.literal('chat.openTurn'), turnId: id }),
  z.strictObject({ type: z.literal('session.new') }),
  z.strictObject({ type: z.literal('session.switch') }),
  z.strictObject({ type: z.literal('usage.export'), format: z.enum(['csv', 'json']) }),
  z.strictObject({ type: z.literal('usage.copyMarkdown') }),
  z.strictObject({ type: z.literal('spending.by'), by: z.enum(['day', 'month', 'model']) }),
]);

/** Messages above this size are refused before parsing anything. */
export const MAX_MESSAGE_BYTES = 1_000_000;

export type ParsedMessage = { ok: true; message: WebviewToHost } | { ok: false; reason: string };

function hasPollutionKey(v: unknown, depth = 0): boolean {
  if (depth > 8 || typeof v !== 'object' || v === null) return false;
  for (const k of Object.keys(v)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return true;
    if (hasPollutionKey((v as Record<string, unknown>)[k], depth + 1)) return true;
  }
  return false;
}

export function parseWebviewMessage(raw: unknown): ParsedMessage {
  let size: number;
  try {
    size = JSON.stringify(raw)?.length ?? 0;
  } catch {
    return { ok: false, reason: 'not serializable' };
  }
  if (size > MAX_MESSAGE_BYTES) return { ok: false, reason: `too large (${size} bytes)` };
  if (hasPollutionKey(raw)) return { ok: false, reason: 'prototype-pollution key' };
  const r = webviewMessageSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, reason: `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, message: r.data as WebviewToHost };
}
