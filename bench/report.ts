/**
 * Report benchmark: `tally report` over 1,000 sessions of 100 turns each (100,000 turns), once
 * with the session index rebuilt from the logs (no index.json: every log read) and once with it
 * (its spending per session, model and UTC quarter-hour: no log read). Targets: under 1 s and under 0.1 s.
 *
 * Each turn is what `tally run` writes for a one-request turn: turn.started, the user message,
 * request.started, the input usage, the final usage, request.ended, the answer, turn.ended.
 */
import { promises as fs } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectSummaries, summaryRows } from '../src/core/report/collect';
import { spendingReport } from '../src/core/report/spending';
import { LOG_VERSION } from '../src/core/sessions/events';

export interface ReportBenchOptions {
  sessions?: number;
  turns?: number;
  /** Warm runs measured (default 5). */
  runs?: number;
  print?: (line: string) => void;
}

export interface ReportBenchResult {
  sessions: number;
  turns: number;
  logBytes: number;
  indexBytes: number;
  /** Wall time of the report with the index rebuilt from the logs, and with the index. */
  rebuildMs: number;
  indexedMs: number;
  /** The same, CPU time (what the figures would be on an idle machine). */
  rebuildCpuMs: number;
  indexedCpuMs: number;
}

const USAGE = {
  inputTokens: 24_180,
  inputTokenDetails: { noCacheTokens: 1_180, cacheReadTokens: 22_000, cacheWriteTokens: 1_000 },
  outputTokens: 640,
  outputTokenDetails: { textTokens: 520, reasoningTokens: 120 },
  totalTokens: 24_820,
  source: 'provider',
};
const INPUT = {
  ...USAGE,
  outputTokens: 0,
  outputTokenDetails: { textTokens: 0, reasoningTokens: 0 },
  totalTokens: 24_180,
};
const COST = { pico: '19764000000', basis: 'computed', catalog: 'genai-prices@0.1.8' };

/** One session's log text, as the store writes it (schema key order). */
function sessionLog(id: string, turns: number, t0: number): string {
  const lines: string[] = [];
  const line = (at: number, body: object) =>
    lines.push(JSON.stringify({ v: LOG_VERSION, at: new Date(at).toISOString(), ...body }));
  line(t0, {
    type: 'session.created',
    sessionId: id,
    title: `Session ${id}`,
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
  });
  for (let i = 0; i < turns; i++) {
    const at = t0 + i * 7 * 60_000; // a turn every 7 minutes: turns cross midnight and days
    const turnId = `t${i}`;
    const requestId = `r${i}`;
    line(at, { type: 'turn.started', turnId, index: i });
    line(at, {
      type: 'message',
      turnId,
      message: { role: 'user', content: `Question ${i}: what does this code do?` },
    });
    line(at + 10, {
      type: 'request.started',
      requestId,
      turnId,
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      purpose: 'chat',
    });
    line(at + 900, { type: 'request.usage', requestId, usage: INPUT, cost: COST, final: false });
    line(at + 9000, { type: 'request.usage', requestId, usage: USAGE, cost: COST, final: true });
    line(at + 9001, { type: 'request.ended', requestId, status: 'completed' });
    line(at + 9002, {
      type: 'message',
      turnId,
      message: {
        role: 'assistant',
        content: [{ type: 'text', text: `It reads the file and answers question ${i}.` }],
      },
    });
    line(at + 9003, { type: 'turn.ended', turnId, status: 'completed' });
  }
  return `${lines.join('\n')}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timeReport(
  dir: string,
): Promise<{ ms: number; cpuMs: number; cost: string | null; turns: number }> {
  const t = performance.now();
  const c = process.cpuUsage();
  // As `tally report` does: the index's summaries, walked row by row without an object per row.
  const collected = await collectSummaries([{ dir, workspace: dir }]);
  const r = spendingReport(summaryRows(collected), { by: 'day', tz: 'Asia/Kathmandu' });
  const used = process.cpuUsage(c);
  return {
    ms: performance.now() - t,
    cpuMs: (used.user + used.system) / 1000,
    cost: r.total.cost,
    turns: r.total.turns,
  };
}

export async function benchReport(opts: ReportBenchOptions = {}): Promise<ReportBenchResult> {
  const sessions = opts.sessions ?? 1000;
  const turns = opts.turns ?? 100;
  const runs = opts.runs ?? 5;
  const p = opts.print ?? ((l: string) => console.log(l));
  const dir = await fs.mkdtemp(join(tmpdir(), 'tally-bench-report-'));
  try {
    await fs.mkdir(join(dir, 'sessions'));
    let logBytes = 0;
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let s = 0; s < sessions; s++) {
      const text = sessionLog(`s${s}`, turns, t0 + s * 3_600_000);
      logBytes += Buffer.byteLength(text);
      await fs.writeFile(join(dir, 'sessions', `s${s}.jsonl`), text);
    }
    const rebuilds: number[] = [];
    const rebuildCpu: number[] = [];
    let last: Awaited<ReturnType<typeof timeReport>> | undefined;
    for (let i = 0; i < 2; i++) {
      await fs.rm(join(dir, 'index.json'), { force: true });
      last = await timeReport(dir);
      rebuilds.push(last.ms);
      rebuildCpu.push(last.cpuMs);
    }
    const indexBytes = (await fs.stat(join(dir, 'index.json'))).size;
    const warm: number[] = [];
    const warmCpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await timeReport(dir);
      if (r.cost !== last!.cost || r.turns !== sessions * turns)
        throw new Error('the indexed report disagrees');
      warm.push(r.ms);
      warmCpu.push(r.cpuMs);
    }
    const result: ReportBenchResult = {
      sessions,
      turns: sessions * turns,
      logBytes,
      indexBytes,
      rebuildMs: Math.min(...rebuilds),
      indexedMs: median(warm),
      rebuildCpuMs: Math.min(...rebuildCpu),
      indexedCpuMs: median(warmCpu),
    };
    const f = (ms: number) => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
    p(`tally report --by day over ${sessions.toLocaleString('en-US')} sessions × ${turns} turns`);
    p(`(machine: ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)})`);
    p(`  logs: ${(logBytes / 1e6).toFixed(1)} MB; index.json: ${(indexBytes / 1e6).toFixed(1)} MB`);
    p(
      `  index rebuilt from the logs:  ${f(result.rebuildMs)} (CPU ${f(result.rebuildCpuMs)})  (best of 2; target < 1 s)`,
    );
    p(
      `  with the index:               ${f(result.indexedMs)} (CPU ${f(result.indexedCpuMs)})  (median of ${runs}; target < 100 ms)`,
    );
    p(`  total: ${last!.turns.toLocaleString('en-US')} turns, $${last!.cost}`);
    return result;
  } finally {
    if (process.env.TALLY_BENCH_KEEP) p(`  kept ${dir}`);
    else await fs.rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchReport().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
