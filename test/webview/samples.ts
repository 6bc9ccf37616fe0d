/**
 * Sample host messages for the webview harness, the DOM tests and the render bench. The usage
 * numbers go through the real ledger and stats code (events → foldEvents → sessionStats), so the
 * webview sees exactly the object shape the host sends.
 */
import { foldEvents } from '../../src/core/ledger/ledger';
import { sessionStats } from '../../src/core/report/stats';
import { LOG_VERSION, type SessionEvent } from '../../src/core/sessions/events';
import type { Usage } from '../../src/core/usage/types';
import type { ChatItem, ChatSnapshot, Gauge, UsageSnapshot } from '../../src/shared/protocol';

function usage(
  p: { noCache?: number; cacheRead?: number; cacheWrite?: number; text?: number; reasoning?: number },
  source: Usage['source'] = 'provider',
): Usage {
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
    source,
  };
}

/** A deterministic pseudo-random sequence (so screenshots and benches are repeatable). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Pico-dollars of a usage at gpt-4o-like prices ($2.50 in, $1.25 cached, $10 out per million). */
function price(u: Usage): bigint {
  const d = u.inputTokenDetails;
  return (
    BigInt(d.noCacheTokens) * 2_500_000n +
    BigInt(d.cacheReadTokens) * 1_250_000n +
    BigInt(d.cacheWriteTokens) * 3_125_000n +
    BigInt(u.outputTokens) * 10_000_000n
  );
}

export interface SampleSessionOptions {
  turns: number;
  /** Turn indexes that end interrupted, failed, or use a model without a known price. */
  interrupted?: number[];
  failed?: number[];
  unknownPrice?: number[];
  seed?: number;
  running?: boolean;
}

/** A session folded from events through the real ledger, as the host would send it. */
export function sampleUsage(opts: SampleSessionOptions): UsageSnapshot {
  const rand = rng(opts.seed ?? 7);
  let clock = Date.parse('2026-03-02T09:00:00.000Z');
  const at = (ms = 1500) => {
    clock += ms;
    return new Date(clock).toISOString();
  };
  const events: SessionEvent[] = [
    {
      v: LOG_VERSION,
      at: at(),
      type: 'session.created',
      sessionId: 'sess-1',
      title: 'Refactor the ledger',
      provider: 'openai',
      model: 'gpt-4o',
    },
  ];
  const interrupted = new Set(opts.interrupted ?? []);
  const failed = new Set(opts.failed ?? []);
  const unknown = new Set(opts.unknownPrice ?? []);
  let context = 2500;
  for (let t = 0; t < opts.turns; t++) {
    const turnId = `turn-${t + 1}`;
    events.push({ v: LOG_VERSION, at: at(60_000), type: 'turn.started', turnId, index: t });
    const requests = 1 + Math.floor(rand() * 3);
    const model = unknown.has(t) ? 'mystery-model-9000' : 'gpt-4o';
    const last = opts.running && t === opts.turns - 1;
    for (let r = 0; r < requests; r++) {
      const requestId = `${turnId}-req-${r + 1}`;
      events.push({
        v: LOG_VERSION,
        at: at(),
        type: 'request.started',
        requestId,
        turnId,
        provider: 'openai',
        model,
        purpose: 'chat',
      });
      context = Math.min(120_000, context + Math.floor(rand() * 1800));
      const cacheRead = r === 0 && t > 0 ? Math.floor(context * 0.7) : Math.floor(context * 0.9);
      const cacheWrite = rand() < 0.15 ? Math.floor(rand() * 2000) : 0;
      const noCache = Math.max(0, context - cacheRead - cacheWrite);
      const reasoning = rand() < 0.4 ? Math.floor(rand() * 900) : 0;
      const text = 40 + Math.floor(rand() * 700);
      const stopped = interrupted.has(t) && r === requests - 1;
      const u = usage(
        { noCache, cacheRead, cacheWrite, text, reasoning },
        stopped ? 'estimated' : 'provider',
      );
      const pico = unknown.has(t) ? null : price(u);
      events.push({
        v: LOG_VERSION,
        at: at(),
        type: 'request.usage',
        requestId,
        usage: u,
        cost: { pico: pico === null ? null : pico.toString(), basis: pico === null ? 'unknown' : 'computed' },
        final: true,
      });
      if (!(last && r === requests - 1)) {
        const status = stopped ? 'interrupted' : failed.has(t) && r === requests - 1 ? 'failed' : 'completed';
        events.push({ v: LOG_VERSION, at: at(), type: 'request.ended', requestId, status });
      }
    }
    if (!last) {
      const status = interrupted.has(t) ? 'interrupted' : failed.has(t) ? 'failed' : 'completed';
      events.push({
        v: LOG_VERSION,
        at: at(),
        type: 'turn.ended',
        turnId,
        status,
        ...(status === 'failed' ? { error: 'Provider error: 529 overloaded' } : {}),
      });
    }
  }
  const stats = sessionStats(foldEvents('sess-1', events), 128_000);
  return { stats, gauge: gaugeOf(stats.contextWindow), running: opts.running ?? false, budgetUsd: null };
}

/** The gauge as the host formats it. */
export function gaugeOf(cw: {
  usedTokens: number;
  limitTokens: number | null;
  percent: number | null;
}): Gauge {
  const p = cw.percent;
  const short = (n: number) => (n < 1000 ? String(n) : `${+(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`);
  return {
    usedTokens: cw.usedTokens,
    limitTokens: cw.limitTokens,
    percent: p,
    level: p === null ? 'ok' : p >= 95 ? 'error' : p >= 80 ? 'warning' : p >= 50 ? 'notice' : 'ok',
    label:
      cw.limitTokens === null ? short(cw.usedTokens) : `${short(cw.usedTokens)}/${short(cw.limitTokens)}`,
  };
}

const ANSWER = `I looked at the ledger. The **double count** comes from \`foldEvents\` adding every usage
snapshot instead of replacing it. Here is the fix:

\`\`\`ts
case 'request.usage':
  // A later snapshot replaces an earlier one: never add.
  req.usage = e.usage;
  break;
\`\`\`

What changed:

1. Snapshots of one request are keyed by its id
2. The *last* snapshot wins, see [the design](https://example.com/design#recording)
   - repeated provider updates can't add tokens twice
   - a stop mid-stream keeps the input usage

> Note: the cost is computed when the request is recorded.

| Field | Before | After |
|---|--:|--:|
| input | 2,400 | 1,200 |
| cost | $0.012 | $0.006 |

Unsafe things stay text: <script>alert(1)</script> and [a link](javascript:alert(1)).`;

/** A conversation with a tool loop, an edit awaiting approval, an interrupted and an unknown-price turn. */
export function sampleChat(opts: { trusted?: boolean; running?: boolean } = {}): ChatSnapshot {
  const items: ChatItem[] = [
    { kind: 'user', id: 'u1', turnId: 't1', text: 'Why does the ledger count cached tokens twice?' },
    {
      kind: 'tool',
      id: 'tool1',
      turnId: 't1',
      toolCallId: 'call-1',
      toolName: 'search_files',
      input: { pattern: 'cacheRead', path: 'src/core' },
      output:
        'src/core/ledger/ledger.ts:142:  total.cacheRead += u.cacheRead\nsrc/core/usage/normalize.ts:88:  cacheRead,',
    },
    {
      kind: 'tool',
      id: 'tool2',
      turnId: 't1',
      toolCallId: 'call-2',
      toolName: 'read_file',
      input: { path: 'src/core/ledger/ledger.ts' },
      output: 'export function foldEvents(…) {\n  …\n}',
    },
    {
      kind: 'assistant',
      id: 'a1',
      turnId: 't1',
      requestId: 'r3',
      text: ANSWER,
      reasoning: 'The user asks about double counting. Look for where cacheRead is summed.',
    },
    {
      kind: 'turn-usage',
      id: 'tu1',
      turnId: 't1',
      status: 'completed',
      totalTokens: 18_432,
      cost: '0.041225',
      unknownCostRequests: 0,
    },
    { kind: 'user', id: 'u2', turnId: 't2', text: 'Apply the fix, then run the tests.' },
    {
      kind: 'tool',
      id: 'tool3',
      turnId: 't2',
      toolCallId: 'call-3',
      toolName: 'run_command',
      input: { command: 'npm test -- --grep ledger' },
      output: 'Error: 2 failing\n  1) ledger counts a repeated snapshot once',
      isError: true,
    },
    {
      kind: 'tool',
      id: 'tool4',
      turnId: 't2',
      toolCallId: 'call-4',
      toolName: 'edit_file',
      input: {
        path: 'src/core/ledger/ledger.ts',
        oldText: 'req.usage = add(req.usage, e.usage);',
        newText: 'req.usage = e.usage;',
      },
      approval: {
        kind: 'write',
        preview: {
          path: 'src/core/ledger/ledger.ts',
          before:
            "    case 'request.usage': {\n      const req = s.requests.get(e.requestId);\n      if (!req) break;\n      req.usage = add(req.usage, e.usage);\n      req.cost = e.cost;\n      break;\n    }\n",
          after:
            "    case 'request.usage': {\n      const req = s.requests.get(e.requestId);\n      if (!req) break;\n      // A later snapshot replaces an earlier one.\n      req.usage = e.usage;\n      req.cost = e.cost;\n      break;\n    }\n",
        },
      },
    },
    {
      kind: 'turn-usage',
      id: 'tu2',
      turnId: 't2',
      status: 'interrupted',
      totalTokens: 9_120,
      cost: '0.0193',
      unknownCostRequests: 0,
    },
    { kind: 'user', id: 'u3', turnId: 't3', text: 'Try the same with the local model.' },
    {
      kind: 'assistant',
      id: 'a3',
      turnId: 't3',
      requestId: 'r9',
      text: 'Running it against `llama-local`: the usage is recorded, but its price is unknown.',
    },
    {
      kind: 'turn-usage',
      id: 'tu3',
      turnId: 't3',
      status: 'completed',
      totalTokens: 1_532,
      cost: null,
      unknownCostRequests: 1,
    },
    { kind: 'error', id: 'e1', turnId: 't3', text: 'The provider closed the stream early (HTTP 502).' },
  ];
  return {
    sessionId: 'sess-1',
    title: 'Refactor the ledger',
    items,
    running: opts.running ?? false,
    provider: 'openai',
    model: 'gpt-4o',
    trusted: opts.trusted ?? true,
  };
}
