/**
 * The cost of recording on streaming: one long streamed answer (thousands of text deltas and raw
 * chunks) through the real AI SDK client and the agent's turn loop, with the real session writer
 * and with a writer that drops every event. Target: recording makes it under 1% slower.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '../src/core/agent/providers';
import { runTurn, type TurnWriter } from '../src/core/agent/turn';
import { Workspace } from '../src/core/agent/workspace';
import { applyEvent, foldEvents } from '../src/core/ledger/ledger';
import { loadPricing } from '../src/core/pricing/pricing';
import { type EventBody, LOG_VERSION, type SessionEvent } from '../src/core/sessions/events';
import { SessionStore } from '../src/core/sessions/store';
import { startMockProvider } from '../src/mock-provider';

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

export async function benchStreaming(
  opts: { words?: number; rounds?: number; print?: (l: string) => void } = {},
) {
  const words = opts.words ?? 5_000;
  const rounds = opts.rounds ?? 9;
  const print = opts.print ?? console.log;
  const mock = await startMockProvider({ chunkDelayMs: 0 });
  const pricing = await loadPricing();
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-stream-'));
  const ws = await Workspace.open(dir);
  const store = await SessionStore.open(join(dir, 'storage'), { price: pricing.price });
  const prompt = `Write at length [[long:${words}]] [[fast]] [[tools:0]]`;
  const model = createModel({
    kind: 'anthropic',
    model: 'claude-sonnet-4-5',
    apiKey: 'bench',
    baseURL: mock.baseURLs.anthropic,
  });

  const turn = async (writer: TurnWriter) => {
    let deltas = 0;
    const t0 = performance.now();
    await runTurn({
      writer,
      model,
      provider: 'anthropic',
      modelId: 'claude-sonnet-4-5',
      prompt,
      workspace: ws,
      policy: { allowWrites: false, allowCommands: false },
      approve: async () => false,
      price: (u, r) => pricing.price(u, 'claude-sonnet-4-5', 'anthropic', r),
      onEvent: (e) => {
        if (e.type === 'text') deltas++;
      },
    });
    return { ms: performance.now() - t0, deltas };
  };

  /** A writer that folds events in memory and writes nothing: the turn loop without the ledger's I/O. */
  const nullWriter = (): TurnWriter => {
    const state = foldEvents('bench', []);
    return {
      state,
      append: async (body: EventBody) => {
        const e = { ...body, v: LOG_VERSION, at: new Date().toISOString() } as SessionEvent;
        applyEvent(state, e);
        return e;
      },
    };
  };

  const cpuWith: number[] = [];
  const cpuWithout: number[] = [];
  const withLedger: number[] = [];
  const without: number[] = [];
  let deltas = 0;
  await turn(nullWriter()); // warm up the SDK, the tokenizer-free paths and the server
  for (let i = 0; i < rounds; i++) {
    // Alternate, so drift in the machine's load hits both sides alike.
    let c0 = process.cpuUsage();
    const a = await turn(nullWriter());
    cpuWithout.push(cpuMs(process.cpuUsage(c0)));
    without.push(a.ms);
    deltas = a.deltas;
    const writer = await store.create({ title: 'bench', provider: 'anthropic', model: 'claude-sonnet-4-5' });
    c0 = process.cpuUsage();
    const b = await turn(writer);
    cpuWith.push(cpuMs(process.cpuUsage(c0)));
    await writer.close();
    withLedger.push(b.ms);
  }
  await store.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
  // The fastest round is the least disturbed by other work on the machine; the median is shown too.
  const min = (xs: number[]) => Math.min(...xs);
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const a = min(without);
  const b = min(withLedger);
  print(`long streamed answer: ${words} words, ${deltas} text deltas, ${rounds} rounds each, alternated`);
  print(`  without the ledger: fastest ${a.toFixed(1)} ms, median ${med(without).toFixed(1)} ms`);
  print(`  with the ledger:    fastest ${b.toFixed(1)} ms, median ${med(withLedger).toFixed(1)} ms`);
  print(
    `  overhead: ${(((b - a) / a) * 100).toFixed(2)}% of the fastest rounds (a difference of two noisy totals)`,
  );
  // CPU time (this process: the SDK client, the turn loop, the ledger; the mock server is in it
  // too, alike on both sides) is what recording adds, and is far less disturbed by other load.
  const ca = med(cpuWithout);
  const cb = med(cpuWith);
  print(
    `  CPU per turn: ${ca.toFixed(1)} ms without, ${cb.toFixed(1)} ms with the ledger: ` +
      `${(((cb - ca) / ca) * 100).toFixed(2)}% (medians; target < 1%)`,
  );
  return { withoutMs: a, withMs: b, overheadPercent: ((b - a) / a) * 100 };
}
