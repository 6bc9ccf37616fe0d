/**
 * Recording benchmark: what saving a turn costs at turn 10 and at turn 10,000 of a session, and
 * what reloading a 10,000-turn session costs, for the append-only event log and for a baseline
 * that rewrites the whole session as one JSON file on every save (what many tools do).
 *
 * A turn is six events: turn.started, request.started, request.usage (input, not final),
 * request.usage (final), request.ended, turn.ended. Both stores sync to disk after the same three
 * (the final usage, request.ended, turn.ended), so the difference is the write pattern alone.
 */
import { promises as fs } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldEvents } from '../src/core/ledger/ledger';
import {
  type EventBody,
  LOG_VERSION,
  type SessionEvent,
  sessionEventSchema,
} from '../src/core/sessions/events';
import { layoutOf } from '../src/core/sessions/layout';
import { readSessionFile } from '../src/core/sessions/reader';
import { SessionStore } from '../src/core/sessions/store';
import { isDurableByDefault, type SessionWriter } from '../src/core/sessions/writer';

export interface RecordingBenchOptions {
  /** Turns in the large session (default 10,000). */
  largeTurns?: number;
  /** Turns in the small session before measuring (default 10). */
  smallTurns?: number;
  /** Turns measured at each point for the event log (default 50). */
  samples?: number;
  /** Turns measured at the large point for the baseline, whose saves are slow (default 10). */
  baselineLargeSamples?: number;
  /** Reloads measured (default 9). */
  reloads?: number;
  /** Where to print (default console.log). */
  print?: (line: string) => void;
}

export interface RecordingFigures {
  /** Median wall time to record one turn at turn `smallTurns` and at turn `largeTurns`. */
  turnSmallMs: number;
  turnLargeMs: number;
  ratio: number;
  /** Median wall and CPU time to reload the large session. */
  reloadMs: number;
  reloadCpuMs: number;
}

export interface RecordingBenchResult {
  log: RecordingFigures & {
    /** The reload reading the whole log (no checkpoint): what the first reopen after a long append costs. */
    fullReloadMs: number;
    fullReloadCpuMs: number;
    /** The same reload through JSON.parse + zod on every line (no fast path). */
    slowReloadMs: number;
    slowReloadCpuMs: number;
    logBytes: number;
    lines: number;
  };
  baseline: RecordingFigures & { fileBytes: number };
}

const USAGE = {
  inputTokens: 24_180,
  inputTokenDetails: { noCacheTokens: 1_180, cacheReadTokens: 22_000, cacheWriteTokens: 1_000 },
  outputTokens: 640,
  outputTokenDetails: { textTokens: 520, reasoningTokens: 120 },
  totalTokens: 24_820,
  source: 'provider' as const,
};
const INPUT_ONLY = {
  ...USAGE,
  outputTokens: 0,
  outputTokenDetails: { textTokens: 0, reasoningTokens: 0 },
  totalTokens: 24_180,
};
const COST = {
  pico: '19764000000',
  basis: 'computed' as const,
  catalog: 'genai-prices@0.1.8',
  price: {
    input: '3000000',
    cacheRead: '300000',
    cacheWrite: '3750000',
    cacheWrite1h: '6000000',
    output: '15000000',
  },
};

/** The six events of turn `i`. */
function turnBodies(i: number): EventBody[] {
  const turnId = `turn-${i}`;
  const requestId = `req-${i}-0`;
  return [
    { type: 'turn.started', turnId, index: i },
    {
      type: 'request.started',
      requestId,
      turnId,
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      purpose: 'chat',
    },
    { type: 'request.usage', requestId, usage: INPUT_ONLY, cost: COST, final: false },
    { type: 'request.usage', requestId, usage: USAGE, cost: COST, final: true },
    { type: 'request.ended', requestId, status: 'completed' },
    { type: 'turn.ended', turnId, status: 'completed' },
  ];
}

function eventOf(body: EventBody, at: string): SessionEvent {
  return sessionEventSchema.parse({ ...body, v: LOG_VERSION, at });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Writes a session of `turns` turns straight to its log, as the store would have written it. */
async function writeLargeLog(dir: string, sessionId: string, turns: number): Promise<number> {
  const at = new Date().toISOString();
  const created = eventOf(
    { type: 'session.created', sessionId, title: 'Bench', provider: 'anthropic', model: 'm' },
    at,
  );
  const chunks: string[] = [`${JSON.stringify(created)}\n`];
  for (let i = 0; i < turns; i++) {
    chunks.push(
      turnBodies(i)
        .map((b) => `${JSON.stringify(eventOf(b, at))}\n`)
        .join(''),
    );
  }
  const text = chunks.join('');
  await fs.mkdir(join(dir, 'sessions'), { recursive: true });
  await fs.writeFile(join(dir, 'sessions', `${sessionId}.jsonl`), text);
  return Buffer.byteLength(text);
}

/**
 * Times recording turns on two sessions in alternation (small, large, large, small, …), so both
 * see the same disk and machine load: on a shared machine, fsync latency drifts by the minute.
 */
async function timePairs(
  small: (i: number) => Promise<void>,
  large: (i: number) => Promise<void>,
  from: { small: number; large: number },
  samples: number,
): Promise<{ small: number[]; large: number[] }> {
  const out = { small: [] as number[], large: [] as number[] };
  const time = async (record: (i: number) => Promise<void>, i: number, into: number[]) => {
    const t0 = performance.now();
    await record(i);
    into.push(performance.now() - t0);
  };
  for (let k = 0; k < samples; k++) {
    if (k % 2 === 0) {
      await time(small, from.small + k, out.small);
      await time(large, from.large + k, out.large);
    } else {
      await time(large, from.large + k, out.large);
      await time(small, from.small + k, out.small);
    }
  }
  return out;
}

/** Wall and CPU time of one call. */
async function timed(f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

async function benchLog(
  dir: string,
  o: Required<RecordingBenchOptions>,
): Promise<RecordingBenchResult['log']> {
  const store = await SessionStore.open(dir);
  const recordOn = (w: SessionWriter) => async (i: number) => {
    for (const b of turnBodies(i)) await w.append(b);
  };
  const small = await store.create({ title: 'Small', provider: 'anthropic', model: 'm', sessionId: 'small' });
  for (let i = 0; i < o.smallTurns; i++) await recordOn(small)(i);
  await writeLargeLog(dir, 'large', o.largeTurns);
  const large = await store.openWriter('large');
  const times = await timePairs(
    recordOn(small),
    recordOn(large),
    { small: o.smallTurns, large: o.largeTurns },
    o.samples,
  );
  await small.close();
  await large.close();

  const file = join(dir, 'sessions', 'large.jsonl');
  // A full read of the log, as on the first reopen (no checkpoint yet, or one far behind).
  const full: { wall: number; cpu: number }[] = [];
  for (let k = 0; k < Math.min(3, o.reloads); k++) {
    full.push(
      await timed(async () => {
        const r = await readSessionFile(
          { sessionId: 'large', path: file, kind: 'log' },
          { layout: layoutOf(dir) },
        );
        if (!r.ok || r.loaded.state.turns.length !== o.largeTurns + o.samples)
          throw new Error('reload lost turns');
      }),
    );
  }
  await store.load('large'); // writes the checkpoint the reloads below start from
  const reloads: { wall: number; cpu: number }[] = [];
  for (let k = 0; k < o.reloads; k++) {
    reloads.push(
      await timed(async () => {
        const loaded = await store.load('large');
        if (loaded?.state.turns.length !== o.largeTurns + o.samples) throw new Error('reload lost turns');
      }),
    );
  }
  // The same reload without the fast path: JSON.parse + zod on every line, then the same fold.
  const slow: { wall: number; cpu: number }[] = [];
  for (let k = 0; k < Math.min(3, o.reloads); k++) {
    slow.push(
      await timed(async () => {
        const text = await fs.readFile(file, 'utf8');
        const events = text
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => sessionEventSchema.parse(JSON.parse(l)));
        foldEvents('large', events);
      }),
    );
  }
  const logBytes = (await fs.stat(file)).size;
  const turnSmallMs = median(times.small);
  const turnLargeMs = median(times.large);
  return {
    turnSmallMs,
    turnLargeMs,
    ratio: turnLargeMs / turnSmallMs,
    reloadMs: median(reloads.map((r) => r.wall)),
    reloadCpuMs: median(reloads.map((r) => r.cpu)),
    fullReloadMs: median(full.map((r) => r.wall)),
    fullReloadCpuMs: median(full.map((r) => r.cpu)),
    slowReloadMs: median(slow.map((r) => r.wall)),
    slowReloadCpuMs: median(slow.map((r) => r.cpu)),
    logBytes,
    lines: 1 + (o.largeTurns + o.samples) * 6,
  };
}

/** The baseline: the whole session in memory, rewritten as one JSON file (temp + rename) per save. */
class WholeFileSession {
  constructor(
    private readonly file: string,
    readonly events: SessionEvent[],
  ) {}

  async append(body: EventBody): Promise<void> {
    const e = eventOf(body, new Date().toISOString());
    this.events.push(e);
    const tmp = `${this.file}.tmp`;
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ version: 1, events: this.events }));
      if (isDurableByDefault(e)) await fh.datasync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, this.file);
  }
}

async function benchBaseline(
  dir: string,
  o: Required<RecordingBenchOptions>,
): Promise<RecordingBenchResult['baseline']> {
  const recordOn = (s: WholeFileSession) => async (i: number) => {
    for (const b of turnBodies(i)) await s.append(b);
  };
  const at = new Date().toISOString();
  const created = eventOf(
    { type: 'session.created', sessionId: 'b', title: 'Bench', provider: 'anthropic', model: 'm' },
    at,
  );
  const small = new WholeFileSession(join(dir, 'small.json'), [created]);
  for (let i = 0; i < o.smallTurns; i++) await recordOn(small)(i);
  const events = [created];
  for (let i = 0; i < o.largeTurns; i++) for (const b of turnBodies(i)) events.push(eventOf(b, at));
  const largeFile = join(dir, 'large.json');
  const large = new WholeFileSession(largeFile, events);
  const times = await timePairs(
    recordOn(small),
    recordOn(large),
    { small: o.smallTurns, large: o.largeTurns },
    o.baselineLargeSamples,
  );

  const reloads: { wall: number; cpu: number }[] = [];
  for (let k = 0; k < o.reloads; k++) {
    reloads.push(
      await timed(async () => {
        const json = JSON.parse(await fs.readFile(largeFile, 'utf8')) as { events: SessionEvent[] };
        foldEvents('b', json.events);
      }),
    );
  }
  const turnSmallMs = median(times.small);
  const turnLargeMs = median(times.large);
  return {
    turnSmallMs,
    turnLargeMs,
    ratio: turnLargeMs / turnSmallMs,
    reloadMs: median(reloads.map((r) => r.wall)),
    reloadCpuMs: median(reloads.map((r) => r.cpu)),
    fileBytes: (await fs.stat(largeFile)).size,
  };
}

const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;

/** Runs the recording benchmark and prints its figures; returns them too. */
export async function benchRecording(opts: RecordingBenchOptions = {}): Promise<RecordingBenchResult> {
  const o: Required<RecordingBenchOptions> = {
    largeTurns: opts.largeTurns ?? 10_000,
    smallTurns: opts.smallTurns ?? 10,
    samples: opts.samples ?? 50,
    baselineLargeSamples: opts.baselineLargeSamples ?? 10,
    reloads: opts.reloads ?? 9,
    print: opts.print ?? ((line) => console.log(line)),
  };
  const dir = await fs.mkdtemp(join(tmpdir(), 'tally-bench-recording-'));
  try {
    const log = await benchLog(join(dir, 'log'), o);
    const baseline = await benchBaseline(dir, o);
    const n = o.largeTurns.toLocaleString('en-US');
    const p = o.print;
    const cpu = (f: { reloadMs: number; reloadCpuMs: number }) =>
      `${ms(f.reloadMs)} (CPU ${ms(f.reloadCpuMs)})`;
    p(`recording a turn (6 events, 3 of them synced) and reloading a ${n}-turn session`);
    p(
      `(machine: ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; medians, samples interleaved)`,
    );
    p('');
    p('event log (append-only JSONL, one write per event):');
    p(`  record a turn at turn ${o.smallTurns}:  ${ms(log.turnSmallMs)}  (median of ${o.samples})`);
    p(`  record a turn at turn ${n}:  ${ms(log.turnLargeMs)}  (median of ${o.samples})`);
    p(`  ratio ${n} / ${o.smallTurns}:  ${log.ratio.toFixed(2)}  (target <= 1.5)`);
    p(
      `  reload the ${n}-turn session:  ${cpu(log)}  (median of ${o.reloads}; from its fold checkpoint; ` +
        `${(log.logBytes / 1e6).toFixed(1)} MB, ${log.lines.toLocaleString('en-US')} lines; target <= 100 ms)`,
    );
    p(
      `  the same reload reading the whole log (no checkpoint yet):  ` +
        `${ms(log.fullReloadMs)} (CPU ${ms(log.fullReloadCpuMs)})`,
    );
    p(
      `  the same reload without the fast path (JSON.parse + zod per line):  ` +
        `${ms(log.slowReloadMs)} (CPU ${ms(log.slowReloadCpuMs)})`,
    );
    p('');
    p('baseline (whole session rewritten as one JSON file on every save):');
    p(
      `  record a turn at turn ${o.smallTurns}:  ${ms(baseline.turnSmallMs)}  (median of ${o.baselineLargeSamples})`,
    );
    p(`  record a turn at turn ${n}:  ${ms(baseline.turnLargeMs)}  (median of ${o.baselineLargeSamples})`);
    p(`  ratio ${n} / ${o.smallTurns}:  ${baseline.ratio.toFixed(1)}`);
    p(
      `  reload the ${n}-turn session:  ${cpu(baseline)}  (median of ${o.reloads}; ` +
        `${(baseline.fileBytes / 1e6).toFixed(1)} MB, one JSON.parse, no validation)`,
    );
    p('');
    p(
      `at turn ${n}: recording a turn costs ${(baseline.turnLargeMs / log.turnLargeMs).toFixed(0)}x less with the log; ` +
        `reload ${ms(log.reloadMs)} vs ${ms(baseline.reloadMs)} (the log also validates every line)`,
    );
    return { log, baseline };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
