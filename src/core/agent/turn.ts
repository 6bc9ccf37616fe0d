/**
 * One turn of the agent: the user's message, then model requests and tool calls until the
 * model answers, the step limit is reached, the user stops it, or it fails.
 *
 * Each model call is one `streamText` call without tool execution, so one request = one call
 * with its own id and its own usage record (the SDK's step loop would hide an aborted step's
 * usage). Usage is recorded through the session writer as soon as any of it is known, and
 * replaced by the final snapshot; a stop or an error keeps what was known, or an estimate.
 */
import { randomUUID } from 'node:crypto';
import {
  type LanguageModel,
  type LanguageModelUsage,
  type ModelMessage,
  type SystemModelMessage,
  streamText,
} from 'ai';
import { type PreflightEstimate, preflightEstimate, requestPromptText } from '../budget/preflight';
import type { Logger } from '../log';
import type { Cost, EventBody, RequestStatus } from '../sessions/events';
import { SessionWriteError } from '../sessions/writer';
import type { ProviderKind } from '../usage/providers';
import type { Usage } from '../usage/types';
import { describeProviderError, isRetryable, refusedBeforeAnswer, retryAfterMs } from './errors';
import { type Approver, runTool, type ToolCallRequest, type ToolPolicy, toolSet } from './tools';
import { RequestUsageTracker } from './usageBridge';
import type { Workspace } from './workspace';

export interface TurnWriter {
  append(body: EventBody): Promise<unknown>;
  readonly state: {
    turns: readonly unknown[];
    messages: readonly { message: unknown }[];
    /** The session's requests (the last one's usage seeds the pre-flight estimate's cache hit). */
    requests?: ReadonlyMap<string, { usage: Usage | null; seq: number }>;
  };
}

/** What `beforeRequest` is asked with: the request's pre-flight estimate, and where it is. */
export interface RequestPreflight extends PreflightEstimate {
  turnId: string;
  /** Completed requests of this turn so far. */
  step: number;
}

export type AgentEvent =
  | { type: 'turn-start'; turnId: string; index: number }
  | { type: 'request-start'; requestId: string; turnId: string; attempt: number }
  | { type: 'text'; requestId: string; text: string }
  | { type: 'reasoning'; requestId: string; text: string }
  | { type: 'tool-call'; requestId: string; call: ToolCallRequest }
  | {
      type: 'tool-result';
      requestId: string;
      toolCallId: string;
      toolName: string;
      output: string;
      isError: boolean;
    }
  | { type: 'usage'; requestId: string; usage: Usage; final: boolean }
  | { type: 'request-end'; requestId: string; status: Exclude<RequestStatus, 'streaming'>; error?: string }
  | { type: 'turn-end'; turnId: string; status: 'completed' | 'interrupted' | 'failed'; error?: string };

export interface TurnOptions {
  writer: TurnWriter;
  model: LanguageModel;
  provider: ProviderKind;
  modelId: string;
  prompt: string;
  workspace: Workspace;
  policy: ToolPolicy;
  approve: Approver;
  price: (usage: Usage, reportedCostUsd: number | undefined) => Cost;
  signal?: AbortSignal;
  system?: string;
  /** Model requests allowed in one turn (default 25). */
  maxSteps?: number;
  /** A request that sends nothing for this long fails as stalled (default 120 s; 0 = never). */
  idleTimeoutMs?: number;
  /** Retries of a request that failed with a retryable error (429, 5xx); each is a request of its own. */
  maxRetries?: number;
  maxOutputTokens?: number;
  onEvent?: (e: AgentEvent) => void;
  log?: Logger;
  /** Secrets to scrub from any error text (the API key). */
  secrets?: string[];
  /**
   * Asked before each request goes out (a budget): true sends it; false, or a message, ends the
   * turn before the request, as interrupted with that message. Tool loops stop between requests.
   */
  beforeRequest?: (p: RequestPreflight) => Promise<boolean | string>;
}

export interface TurnResult {
  turnId: string;
  status: 'completed' | 'interrupted' | 'failed';
  text: string;
  error?: string;
  requests: number;
}

export const DEFAULT_SYSTEM_PROMPT =
  "You are Tally, a coding assistant working inside the user's workspace. Use the tools to read and search files " +
  'before answering questions about them. Paths are relative to the workspace root. Be concise.';

class StallError extends Error {
  override readonly name = 'StallError';
}

/**
 * Runs one turn. When the session cannot be saved (a full disk, a failing write: a
 * `SessionWriteError`), the turn stops at once, is marked failed if that can still be saved,
 * and resolves as failed with the writer's one-line message; nothing already saved is touched.
 */
export async function runTurn(o: TurnOptions): Promise<TurnResult> {
  const turnId = randomUUID();
  const progress = { requests: 0, text: '', open: null as string | null };
  try {
    return await runTurnSteps(o, turnId, progress);
  } catch (e) {
    if (!(e instanceof SessionWriteError)) throw e;
    o.log?.info('the turn stopped: its usage could not be saved', { turnId, error: e.message });
    const error = e.message;
    try {
      if (progress.open)
        await o.writer.append({ type: 'request.ended', requestId: progress.open, status: 'failed', error });
      await o.writer.append({ type: 'turn.ended', turnId, status: 'failed', error });
    } catch {
      // Still failing: the turn stays open in the log and is closed when the session is next opened.
    }
    o.onEvent?.({ type: 'turn-end', turnId, status: 'failed', error });
    return { turnId, status: 'failed', text: progress.text, requests: progress.requests, error };
  }
}

async function runTurnSteps(
  o: TurnOptions,
  turnId: string,
  progress: { requests: number; text: string; open: string | null },
): Promise<TurnResult> {
  const index = o.writer.state.turns.length;
  const emit = (e: AgentEvent) => o.onEvent?.(e);
  const maxSteps = o.maxSteps ?? 25;
  const maxRetries = o.maxRetries ?? 2;
  const system = o.system ?? DEFAULT_SYSTEM_PROMPT;
  const tools = toolSet(o.policy);

  await o.writer.append({ type: 'turn.started', turnId, index });
  emit({ type: 'turn-start', turnId, index });
  const userMessage: ModelMessage = { role: 'user', content: o.prompt };
  await o.writer.append({ type: 'message', turnId, message: userMessage });
  const messages = closeToolCalls(o.writer.state.messages.map((m) => m.message as ModelMessage));

  let finalText = '';
  let requests = 0;
  let attempt = 0;
  const end = async (status: TurnResult['status'], error?: string): Promise<TurnResult> => {
    await o.writer.append({ type: 'turn.ended', turnId, status, ...(error ? { error } : {}) });
    emit({ type: 'turn-end', turnId, status, ...(error ? { error } : {}) });
    return { turnId, status, text: finalText, requests, ...(error ? { error } : {}) };
  };

  let lastUsage = o.beforeRequest ? latestUsage(o.writer.state.requests) : null;
  for (let step = 0; step < maxSteps; ) {
    if (o.signal?.aborted) return end('interrupted', 'stopped by the user');
    if (o.beforeRequest) {
      const estimate = preflightEstimate({
        promptText: requestPromptText(system, messages, tools),
        lastUsage,
        ...(o.maxOutputTokens ? { maxOutputTokens: o.maxOutputTokens } : {}),
        price: (u) => o.price(u, undefined),
      });
      const verdict = await o.beforeRequest({ ...estimate, turnId, step });
      if (verdict !== true)
        return end('interrupted', verdict || 'stopped before a request that could cross a budget');
    }
    const requestId = randomUUID();
    requests++;
    progress.requests = requests;
    progress.open = requestId;
    await o.writer.append({
      type: 'request.started',
      requestId,
      turnId,
      provider: o.provider,
      model: o.modelId,
      purpose: 'chat',
    });
    emit({ type: 'request-start', requestId, turnId, attempt });

    const tracker = new RequestUsageTracker(o.provider, system, messages, tools);
    const record = async (usage: Usage, reported: number | undefined, final: boolean) => {
      await o.writer.append({
        type: 'request.usage',
        requestId,
        usage,
        cost: o.price(usage, reported),
        final,
      });
      o.log?.debug('usage saved', {
        requestId,
        turnId,
        final,
        source: usage.source,
        total: usage.totalTokens,
      });
      emit({ type: 'usage', requestId, usage, final });
      if (final) lastUsage = usage;
    };

    const controller = new AbortController();
    const onAbort = () => controller.abort(o.signal?.reason);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const idleMs = o.idleTimeoutMs ?? 120_000;
    const touch = () => {
      if (!idleMs) return;
      clearTimeout(idle);
      idle = setTimeout(
        () =>
          controller.abort(new StallError(`no data from ${o.provider} for ${Math.round(idleMs / 1000)} s`)),
        idleMs,
      );
    };

    let text = '';
    const calls: ToolCallRequest[] = [];
    let stepUsage: LanguageModelUsage | undefined;
    let streamError: unknown;
    let inputWritten = false;
    // The input usage is saved while the stream goes on: the loop never waits on the disk
    // mid-stream. A failed save stops the request at once, and is thrown after the stream.
    let earlyWrite: Promise<void> | undefined;
    touch();
    try {
      const result = streamText({
        model: o.model,
        ...withCacheBreakpoints(o.provider, system, messages),
        tools,
        maxRetries: 0,
        includeRawChunks: true,
        // Errors arrive as stream parts and are recorded; the SDK's default would print them.
        onError: () => {},
        abortSignal: controller.signal,
        ...(o.maxOutputTokens ? { maxOutputTokens: o.maxOutputTokens } : {}),
      });
      for await (const part of result.fullStream) {
        touch();
        switch (part.type) {
          case 'raw':
            // Input usage as soon as the provider says it (Anthropic: message_start).
            if (tracker.onRaw(part.rawValue) && !inputWritten) {
              const early = tracker.earlyUsage();
              if (early) {
                inputWritten = true;
                earlyWrite = record(early.usage, early.reportedCostUsd, false).catch((e: unknown) => {
                  controller.abort(e);
                  throw e;
                });
                earlyWrite.catch(() => {}); // awaited below; this only marks it handled meanwhile
              }
            }
            break;
          case 'text-delta':
            text += part.text;
            tracker.onOutput(part.text);
            emit({ type: 'text', requestId, text: part.text });
            break;
          case 'reasoning-delta':
            tracker.onOutput(part.text);
            emit({ type: 'reasoning', requestId, text: part.text });
            break;
          case 'tool-call': {
            const call = { toolCallId: part.toolCallId, toolName: part.toolName, input: part.input };
            tracker.onOutput(JSON.stringify(part.input ?? {}));
            calls.push(call);
            emit({ type: 'tool-call', requestId, call });
            break;
          }
          case 'finish-step':
            stepUsage = part.usage;
            break;
          case 'error':
            streamError = part.error;
            break;
          case 'abort':
            streamError ??= controller.signal.reason ?? new Error('aborted');
            break;
        }
      }
    } catch (e) {
      if (e instanceof SessionWriteError) {
        // Saving failed, not the provider: stop the request and let runTurn end the turn.
        controller.abort(e);
        throw e;
      }
      streamError ??= e;
    } finally {
      clearTimeout(idle);
      o.signal?.removeEventListener('abort', onAbort);
    }
    // The early save is in the log before anything else of this request is (appends keep order).
    if (earlyWrite) await earlyWrite;
    // An abort surfaces as whatever the SDK wrapped it in; the reason is the truth.
    if (controller.signal.aborted && (!streamError || controller.signal.reason instanceof StallError)) {
      streamError = controller.signal.reason;
    }

    const stopped = controller.signal.aborted && !(controller.signal.reason instanceof StallError);
    if (streamError || stopped) {
      // Keep what is known: the provider's partial usage, or a local estimate; a request refused
      // before any answer (an HTTP error status, no connection) used no tokens.
      const known =
        !stopped && !tracker.answered && refusedBeforeAnswer(streamError)
          ? tracker.refusedUsage()
          : tracker.finalUsage(stepUsage);
      await record(known.usage, known.reportedCostUsd, true);
      if (stopped) {
        await o.writer.append({ type: 'request.ended', requestId, status: 'interrupted' });
        progress.open = null;
        emit({ type: 'request-end', requestId, status: 'interrupted' });
        if (text)
          await o.writer.append({ type: 'message', turnId, message: { role: 'assistant', content: text } });
        finalText = joinText(finalText, text);
        progress.text = finalText;
        return end('interrupted', 'stopped by the user');
      }
      const message = describeProviderError(streamError, o.provider, o.secrets ?? []);
      await o.writer.append({ type: 'request.ended', requestId, status: 'failed', error: message });
      progress.open = null;
      emit({ type: 'request-end', requestId, status: 'failed', error: message });
      if (attempt < maxRetries && isRetryable(streamError) && !text && calls.length === 0) {
        attempt++;
        const wait = Math.min(retryAfterMs(streamError) ?? 1000 * 2 ** (attempt - 1), 30_000);
        o.log?.info('retrying request', { requestId, attempt, waitMs: wait });
        if (await sleep(wait, o.signal)) return end('interrupted', 'stopped by the user');
        continue;
      }
      return end('failed', message);
    }

    const final = tracker.finalUsage(stepUsage);
    await record(final.usage, final.reportedCostUsd, true);
    await o.writer.append({ type: 'request.ended', requestId, status: 'completed' });
    progress.open = null;
    emit({ type: 'request-end', requestId, status: 'completed' });
    step++;
    attempt = 0;

    const content: Exclude<ModelMessage['content'], string> = [];
    if (text) (content as { type: 'text'; text: string }[]).push({ type: 'text', text });
    for (const c of calls) {
      (content as unknown[]).push({
        type: 'tool-call',
        toolCallId: c.toolCallId,
        toolName: c.toolName,
        input: c.input,
      });
    }
    const assistant = { role: 'assistant', content } as ModelMessage;
    if (content.length) {
      messages.push(assistant);
      await o.writer.append({ type: 'message', turnId, message: assistant });
    }
    finalText = joinText(finalText, text);
    progress.text = finalText;
    if (calls.length === 0) return end('completed');

    const results: unknown[] = [];
    for (const call of calls) {
      if (o.signal?.aborted) break;
      const outcome = await runTool(call, {
        workspace: o.workspace,
        policy: o.policy,
        approve: o.approve,
        signal: o.signal,
      });
      emit({
        type: 'tool-result',
        requestId,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        ...outcome,
      });
      results.push({
        type: 'tool-result',
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: outcome.isError
          ? { type: 'error-text', value: outcome.output }
          : { type: 'text', value: outcome.output },
      });
    }
    if (results.length) {
      const toolMessage = { role: 'tool', content: results } as ModelMessage;
      messages.push(toolMessage);
      await o.writer.append({ type: 'message', turnId, message: toolMessage });
    }
    if (o.signal?.aborted) return end('interrupted', 'stopped by the user');
  }
  return end(
    'failed',
    `stopped after ${maxSteps} requests (the step limit); continue the conversation to go on`,
  );
}

/** The usage of the session's latest request that has one. */
function latestUsage(
  requests: ReadonlyMap<string, { usage: Usage | null; seq: number }> | undefined,
): Usage | null {
  let best: { usage: Usage | null; seq: number } | null = null;
  for (const r of requests?.values() ?? []) if (r.usage && (!best || r.seq > best.seq)) best = r;
  return best?.usage ?? null;
}

/**
 * Anthropic prompt caching: breakpoints on the system prompt and on the conversation's last
 * message, so cache reads and writes really occur. Other providers cache on their own.
 */
function withCacheBreakpoints(
  provider: ProviderKind,
  system: string,
  messages: ModelMessage[],
): { system: string | SystemModelMessage; messages: ModelMessage[] } {
  if (provider !== 'anthropic') return { system, messages };
  const cache = { anthropic: { cacheControl: { type: 'ephemeral' } } };
  const out = [...messages];
  const last = out.length - 1;
  if (last >= 0) out[last] = { ...out[last]!, providerOptions: cache } as ModelMessage;
  return { system: { role: 'system', content: system, providerOptions: cache }, messages: out };
}

/** Resolves true if the signal aborted while waiting. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The history as the providers accept it: every tool call answered by a tool result. A turn
 * stopped (or a process killed) between a request that called tools and their results leaves
 * calls without results, which every provider refuses; each gets an error result saying so.
 */
export function closeToolCalls(history: readonly ModelMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  for (let i = 0; i < history.length; i++) {
    const m = history[i]!;
    out.push(m);
    if (m.role !== 'assistant' || typeof m.content === 'string') continue;
    const calls = m.content.filter((p) => p.type === 'tool-call');
    if (calls.length === 0) continue;
    const next = history[i + 1];
    const answered = new Set(
      next?.role === 'tool'
        ? next.content.flatMap((p) => (p.type === 'tool-result' ? [p.toolCallId] : []))
        : [],
    );
    const missing = calls
      .filter((c) => !answered.has(c.toolCallId))
      .map((c) => ({
        type: 'tool-result' as const,
        toolCallId: c.toolCallId,
        toolName: c.toolName,
        output: { type: 'error-text' as const, value: 'Not run: the turn was stopped before this tool ran.' },
      }));
    if (missing.length === 0) continue;
    if (next?.role === 'tool') {
      out.push({ ...next, content: [...next.content, ...missing] });
      i++;
    } else out.push({ role: 'tool', content: missing });
  }
  return out;
}

function joinText(a: string, b: string): string {
  return a && b ? `${a}\n\n${b}` : a + b;
}
