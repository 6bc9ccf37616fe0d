/**
 * The recorded example streams in test/fixtures/wire: (1) what the real SDK makes of each one,
 * (2) the mock's own streams carry every field the examples carry, event by event.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROVIDER_IDS, type ProviderId } from '../../../src/mock-provider';
import { listFilesTool, modelFor, run, useMockServer } from './helpers';

const WIRE = join(__dirname, '..', '..', 'fixtures', 'wire');

function fixture(provider: ProviderId, name: string): string {
  return readFileSync(join(WIRE, provider, name), 'utf8');
}

/** The JSON data of each SSE event (the `[DONE]` sentinel left out). */
function sseEvents(text: string): Record<string, unknown>[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((block) =>
      block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n'),
    )
    .filter((data) => data !== '' && data !== '[DONE]')
    .map((data) => JSON.parse(data) as Record<string, unknown>);
}

interface Expected {
  text: string;
  reasoning?: string;
  toolCalls?: string[];
  finishReason: string;
  errors?: number;
  usage: [
    input?: number,
    noCache?: number,
    cacheRead?: number,
    cacheWrite?: number,
    output?: number,
    text?: number,
    reasoning?: number,
  ];
}

const EXPECTED: Record<string, Expected> = {
  'anthropic/text-cache-1h.sse': {
    text: 'Hello! How can I help today?',
    finishReason: 'stop',
    usage: [43020, 12, 40960, 2048, 14, undefined, undefined],
  },
  'anthropic/thinking-tool-use.sse': {
    text: '',
    reasoning: 'The user wants the file list, so I will call list_files.',
    toolCalls: ['list_files {"path":"."}'],
    finishReason: 'tool-calls',
    usage: [849, 849, 0, 0, 61, undefined, undefined],
  },
  'anthropic/overloaded-midstream.sse': {
    text: 'Partial',
    finishReason: 'error',
    errors: 1,
    usage: [],
  },
  'openai-responses/reasoning-text-cached.sse': {
    text: 'Hello! How can I help?',
    reasoning: '**Greeting**\n\nA short hello is enough.',
    finishReason: 'stop',
    usage: [1536, 256, 1280, undefined, 154, 26, 128],
  },
  'openai-responses/function-call.sse': {
    text: '',
    toolCalls: ['list_files {"path":"."}'],
    finishReason: 'tool-calls',
    usage: [45, 45, 0, undefined, 25, 25, 0],
  },
  'openai-responses/incomplete-max-output.sse': {
    text: 'Once upon',
    finishReason: 'length',
    usage: [20, 20, 0, undefined, 16, 2, 14],
  },
  'openai-chat/text-include-usage.sse': {
    text: 'Hello there!',
    finishReason: 'stop',
    usage: [2006, 86, 1920, undefined, 300, 108, 192],
  },
  'openai-chat/tool-calls.sse': {
    text: '',
    toolCalls: ['list_files {"path":"."}'],
    finishReason: 'tool-calls',
    usage: [82, 82, 0, undefined, 15, 15, 0],
  },
  'openai-compatible/ollama-no-usage.sse': { text: 'Hi there', finishReason: 'stop', usage: [] },
  'openai-responses/failed.sse': { text: '', finishReason: 'none: no step', errors: 1, usage: [] },
  'openai-compatible/usage-every-chunk.sse': {
    text: 'Hello world',
    reasoning: 'Short answer.',
    finishReason: 'stop',
    // No reasoning_tokens on the wire: the SDK counts every completion token as text.
    usage: [31, 31, 0, undefined, 6, 6, 0],
  },
  'openai-compatible/openrouter-cost.sse': {
    text: 'Hi!',
    finishReason: 'stop',
    // cache_write_tokens stays inside noCacheTokens on the compatible client.
    usage: [194, 194, 0, undefined, 2, 2, 0],
  },
  'google/thoughts-text-cached.sse': {
    text: 'There are **3** "r"s in strawberry.',
    reasoning: 'Counting letters in the word.',
    finishReason: 'stop',
    usage: [4105, 9, 4096, undefined, 270, 14, 256],
  },
  'google/function-call.sse': {
    text: '',
    toolCalls: ['list_files {"path":"."}'],
    finishReason: 'tool-calls',
    usage: [29, 29, 0, undefined, 60, 15, 45],
  },
  'google/unavailable-midstream.sse': {
    text: 'Partial',
    finishReason: 'error',
    errors: 1,
    usage: [9, 9, 0, undefined, 1, 1, 0],
  },
};

describe('mock provider: recorded wire fixtures', () => {
  const ctx = useMockServer();

  it('has an expectation for every fixture file', () => {
    const files = PROVIDER_IDS.flatMap((p) => readdirSync(join(WIRE, p)).map((f) => `${p}/${f}`));
    assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`the SDK reads ${file}`, async () => {
      const [provider, name] = file.split('/') as [ProviderId, string];
      ctx.server.enqueue(provider, { replay: fixture(provider, name) });
      const r = await run(modelFor(ctx.server, provider), { tools: { list_files: listFilesTool } });
      assert.equal(r.text, expected.text);
      assert.equal(r.errors.length, expected.errors ?? 0);
      if (expected.finishReason === 'none: no step') return assert.deepEqual(r.steps, []);
      assert.equal(r.steps.length, 1);
      const step = r.steps[0]!;
      assert.equal(step.reasoningText, expected.reasoning);
      assert.deepEqual(
        step.toolCalls.map((c) => `${c.toolName} ${JSON.stringify(c.input)}`),
        expected.toolCalls ?? [],
      );
      assert.equal(step.finishReason, expected.finishReason);
      const u = step.usage;
      assert.deepEqual(
        [
          u.inputTokens,
          u.inputTokenDetails.noCacheTokens,
          u.inputTokenDetails.cacheReadTokens,
          u.inputTokenDetails.cacheWriteTokens,
          u.outputTokens,
          u.outputTokenDetails.textTokens,
          u.outputTokenDetails.reasoningTokens,
        ],
        [...expected.usage, ...Array(7 - expected.usage.length).fill(undefined)],
      );
    });
  }
});

/** Which kind of event this is, so the mock's and the fixture's events can be paired. */
function signature(provider: ProviderId, e: Record<string, unknown>): string {
  const r = (v: unknown): Record<string, unknown> =>
    v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  switch (provider) {
    case 'anthropic':
      return [
        e.type,
        r(e.content_block).type ?? r(e.delta).type ?? (e.type === 'message_delta' ? '' : undefined),
      ]
        .filter((x) => x !== undefined)
        .join(':');
    case 'openai-responses':
      return [e.type, r(e.item).type].filter((x) => x !== undefined).join(':');
    case 'google': {
      if (e.error) return 'error';
      const cand = r((e.candidates as unknown[] | undefined)?.[0]);
      if (cand.finishReason) return 'finish';
      const part = r((r(cand.content).parts as unknown[] | undefined)?.[0]);
      return part.functionCall ? 'functionCall' : part.thought ? 'thought' : 'text';
    }
    default: {
      const choice = r((e.choices as unknown[] | undefined)?.[0]);
      if ((e.choices as unknown[] | undefined)?.length === 0) return 'usage';
      if (choice.finish_reason) return 'finish';
      const delta = r(choice.delta);
      if (delta.tool_calls)
        return r((delta.tool_calls as unknown[])[0]).id ? 'tool_call_start' : 'tool_call_delta';
      if (delta.reasoning_content) return 'reasoning';
      return delta.role ? 'role' : 'content';
    }
  }
}

function typeOf(v: unknown): unknown {
  return v && typeof v === 'object' ? (v as Record<string, unknown>).type : undefined;
}

/**
 * Paths (a.b.c) of every key in `fixture` that `ours` lacks. Array elements are paired by their
 * `type` (else with our first element).
 */
function missingKeys(fixture: unknown, ours: unknown, path = ''): string[] {
  if (Array.isArray(fixture)) {
    if (!Array.isArray(ours)) return [path];
    return fixture.flatMap((f, i) => {
      const mine = ours.find((o) => typeOf(o) === typeOf(f)) ?? ours[0];
      return mine === undefined ? [] : missingKeys(f, mine, `${path}[${i}]`);
    });
  }
  if (!fixture || typeof fixture !== 'object') return [];
  if (!ours || typeof ours !== 'object') return [path];
  const o = ours as Record<string, unknown>;
  return Object.entries(fixture as Record<string, unknown>).flatMap(([k, v]) =>
    k in o
      ? v === null || o[k] === null
        ? []
        : missingKeys(v, o[k], path ? `${path}.${k}` : k)
      : [path ? `${path}.${k}` : k],
  );
}

/** Keys the mock leaves out on purpose. */
const NOT_MODELLED = new Set([
  'obfuscation', // OpenAI's random padding against length side channels
  'provider', // OpenRouter's upstream name
  'native_finish_reason', // OpenRouter's upstream finish reason
]);

describe('mock provider: its streams carry every field of the recorded examples', () => {
  const ctx = useMockServer();

  const requests: Record<ProviderId, { path: string; body: unknown }> = {
    'openai-responses': { path: '/v1/responses', body: { model: 'gpt-5-mini', stream: true, input: 'hi' } },
    'openai-chat': {
      path: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [] },
    },
    anthropic: { path: '/v1/messages', body: { model: 'claude-sonnet-4-5', stream: true, messages: [] } },
    google: { path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', body: { contents: [] } },
    'openai-compatible': {
      path: '/compat/v1/chat/completions',
      body: { model: 'llama3.1', stream: true, stream_options: { include_usage: true }, messages: [] },
    },
  };

  for (const provider of PROVIDER_IDS) {
    it(`${provider}`, async () => {
      const ours: Record<string, unknown>[] = [];
      const scripts = [
        {
          events: [
            { type: 'reasoning' as const, text: 'Think' },
            { type: 'text' as const, text: 'Hi' },
            { type: 'tool-call' as const, name: 'list_files', args: { path: '.' } },
          ],
          usage: { cacheRead: 5, cacheWrite1h: 3, reasoning: 2 },
          cost: 0.001,
          usageMode: provider === 'openai-compatible' ? ('repeat' as const) : ('final' as const),
        },
        { events: [{ type: 'text' as const, text: 'Hi' }], finish: 'length' as const },
        { events: [{ type: 'text' as const, text: 'Hi' }, { type: 'stream-error' as const }] },
        { events: [{ type: 'stream-error' as const }] },
        { events: [{ type: 'tool-call' as const, name: 'list_files', args: { path: '.' } }] },
      ];
      for (const script of scripts) {
        ctx.server.enqueue(provider, script);
        const { path, body } = requests[provider];
        const res = await fetch(ctx.server.url + path, { method: 'POST', body: JSON.stringify(body) });
        ours.push(...sseEvents(await res.text()));
      }
      const bySignature = new Map<string, Record<string, unknown>[]>();
      for (const e of ours)
        bySignature.set(signature(provider, e), [...(bySignature.get(signature(provider, e)) ?? []), e]);

      const problems: string[] = [];
      for (const name of readdirSync(join(WIRE, provider))) {
        for (const e of sseEvents(fixture(provider, name))) {
          const sig = signature(provider, e);
          const candidates = bySignature.get(sig);
          if (!candidates) {
            problems.push(`${name}: no ${sig} event`);
            continue;
          }
          // The closest of our events of that kind.
          const missing = candidates
            .map((mine) => missingKeys(e, mine).filter((key) => !NOT_MODELLED.has(key)))
            .sort((a, b) => a.length - b.length)[0]!;
          for (const key of missing) problems.push(`${name} ${sig}: ${key}`);
        }
      }
      assert.deepEqual([...new Set(problems)], []);
    });
  }
});
