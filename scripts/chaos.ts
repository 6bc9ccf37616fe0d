/**
 * `npm run chaos`: kill -9 at any moment. Runs the real recorder (`tally run`, the bundled CLI)
 * in a child process against the local model server, with turns of several requests, tool calls
 * and slow streams, and kills it with SIGKILL at seeded random moments: right after its k-th
 * acknowledged append (plus a few ms), or at a random time. After every run it checks that
 *
 * - the session loads (a torn last line is the only problem allowed; it must be kept aside);
 * - nothing acknowledged is missing: the child reports every append whose write (and sync)
 *   returned on TALLY_ACK_FD (src/core/sessions/writer.ts), and each must be in the log;
 * - nothing is counted twice: every request and turn starts once; the totals equal the sums of
 *   their parts, recomputed here from the raw lines;
 * - nothing saved is rewritten: the complete lines seen after the previous run are a prefix of
 *   the log now;
 * - continuing the session (`tally run --session ID`) closes what the dead process left open
 *   (turn.ended + request.ended interrupted), keeps the usage already written, and appends the
 *   new requests after the old ones; every chain of kills ends with a run that completes.
 *
 * Usage: npm run chaos [-- --kills N] [--seed S] [--workers W] [--chain C]
 * The unit suite runs a seeded 30-kill version (test/unit/hardening/chaos.test.ts).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionTotals, turnTotals } from '../src/core/ledger/derive';
import type { SessionState } from '../src/core/ledger/ledger';
import { SessionStore } from '../src/core/sessions/store';
import type { ProviderKind } from '../src/core/usage/providers';
import { type MockProvider, startMockProvider } from '../src/mock-provider';
import { cliEntry } from '../test/support/cliBundle';

export interface ChaosOptions {
  kills: number;
  seed: number;
  /** Parallel workers, each with its own storage folder (default 1). */
  workers?: number;
  /** Kills per session before a run that is let finish (default 10). */
  chain?: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  kills: number;
  runs: number;
  /** Loads of a session after a run (each must succeed). */
  sessionsLoaded: number;
  /** Sessions in the storage folders at the end, all loaded by `list()`. */
  sessions: number;
  ackedLost: number;
  acked: number;
  tornKeptAside: number;
  danglingClosed: number;
  seconds: number;
  /** Every check that failed, one line each (empty when all held). */
  failures: string[];
}

/** A small seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROVIDERS: { kind: ProviderKind; model: string; url: (m: MockProvider) => string }[] = [
  { kind: 'anthropic', model: 'claude-sonnet-4-5', url: (m) => m.baseURLs.anthropic },
  { kind: 'google', model: 'gemini-2.5-flash', url: (m) => m.baseURLs.google },
  { kind: 'openai', model: 'gpt-4o', url: (m) => m.baseURLs['openai-responses'] },
  { kind: 'openai-chat', model: 'gpt-4o-mini', url: (m) => m.baseURLs['openai-chat'] },
  { kind: 'openai-compatible', model: 'llama3', url: (m) => m.baseURLs['openai-compatible'] },
];

/** Distinctive fake keys: the secret scan of the unit suite looks for them in every file written. */
export const CHAOS_KEYS = {
  ANTHROPIC_API_KEY: ['sk', 'ant', 'chaos-fake-key-0123456789abcdef'].join('-'),
  OPENAI_API_KEY: 'sk-chaos-fake-key-0123456789abcdef',
  GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaChaosFakeKey0123456789abcdefghij',
  TALLY_API_KEY: 'sk-chaos-compatible-fake-key-0123456789',
};

interface Ack {
  id: string;
  type: string;
  kind?: string;
}

interface RunOutcome {
  killed: boolean;
  code: number | null;
  acks: Ack[];
  stdout: string;
  stderr: string;
}

interface Worker {
  storage: string;
  workspace: string;
  entry: string;
  mock: MockProvider;
  random: () => number;
  result: ChaosResult;
  log: (line: string) => void;
}

function runChild(
  w: Worker,
  args: string[],
  kill: { afterAck: number; extraMs: number } | { atMs: number } | null,
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [w.entry, ...args], {
      env: { ...process.env, ...CHAOS_KEYS, TALLY_ACK_FD: '3', TALLY_LOG: 'error' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let ackText = '';
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    const killNow = () => {
      if (killed || child.exitCode !== null || child.signalCode !== null) return;
      killed = child.kill('SIGKILL');
    };
    child.stdout!.on('data', (b) => {
      stdout += b;
    });
    child.stderr!.on('data', (b) => {
      stderr += b;
    });
    const ackStream = child.stdio[3] as NodeJS.ReadableStream;
    let acked = 0;
    ackStream.on('data', (b: Buffer) => {
      ackText += b.toString('utf8');
      acked = ackText.split('\n').length - 1;
      if (kill && 'afterAck' in kill && acked >= kill.afterAck && !timer) {
        timer = setTimeout(killNow, kill.extraMs);
      }
    });
    if (kill && 'atMs' in kill) timer = setTimeout(killNow, kill.atMs);
    // A run that hangs is a failure too; the watchdog ends it.
    const watchdog = setTimeout(() => {
      stderr += '\n[chaos] watchdog: the run took over 60 s';
      killNow();
    }, 60_000);
    let pending = 2;
    let code: number | null = null;
    const done = () => {
      if (--pending > 0) return;
      clearTimeout(timer);
      clearTimeout(watchdog);
      const acks = ackText
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [id, type, kind] = l.split(' ');
          return { id: id!, type: type!, ...(kind ? { kind } : {}) };
        });
      resolve({ killed: killed && child.signalCode === 'SIGKILL', code, acks, stdout, stderr });
    };
    ackStream.on('end', done);
    child.on('exit', (c) => {
      code = c;
      done();
    });
  });
}

/** The complete lines of a log (up to its last newline), parsed. */
function completeLines(bytes: Buffer): { prefix: Buffer; events: Record<string, unknown>[] } {
  const prefix = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
  const events = prefix
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { prefix, events };
}

interface Snapshot {
  final: boolean;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  pico: string | null;
}

/** Checks one session after a run; returns the failures found (one line each). */
function checkSession(
  state: SessionState,
  bytes: Buffer,
  acks: Ack[],
  previous: Buffer | null,
): { failures: string[]; lost: number } {
  const failures: string[] = [];
  let lost = 0;
  const miss = (what: string) => {
    lost++;
    failures.push(`acknowledged but missing: ${what}`);
  };
  for (const a of acks) {
    switch (a.type) {
      case 'session.created':
        if (!state.createdAt) miss(`session.created of ${a.id}`);
        break;
      case 'turn.started':
        if (!state.turnsById.has(a.id)) miss(`turn ${a.id}`);
        break;
      case 'turn.ended':
        if (state.turnsById.get(a.id)?.status === 'running') miss(`end of turn ${a.id}`);
        break;
      case 'request.started':
        if (!state.requests.has(a.id)) miss(`request ${a.id}`);
        break;
      case 'request.usage': {
        const r = state.requests.get(a.id);
        if (!r?.usage) miss(`usage of request ${a.id}`);
        else if (a.kind === 'final' && !r.final) miss(`final usage of request ${a.id}`);
        break;
      }
      case 'request.ended':
        if (state.requests.get(a.id)?.status === 'streaming') miss(`end of request ${a.id}`);
        break;
    }
  }
  const ackedMessages = new Map<string, number>();
  for (const a of acks) if (a.type === 'message') ackedMessages.set(a.id, (ackedMessages.get(a.id) ?? 0) + 1);
  for (const [turnId, n] of ackedMessages) {
    const have = state.messages.filter((m) => (m.turnId ?? state.sessionId) === turnId).length;
    if (have < n) miss(`${n - have} messages of turn ${turnId}`);
  }

  // Nothing counted twice, and the totals are the sums of their parts (recomputed from the lines).
  const { prefix, events } = completeLines(bytes);
  if (previous && !prefix.subarray(0, previous.length).equals(previous))
    failures.push('bytes saved before this run were changed');
  const started = new Set<string>();
  const turns = new Set<string>();
  const last = new Map<string, Snapshot>();
  for (const e of events) {
    if (e.type === 'request.started') {
      if (started.has(e.requestId as string)) failures.push(`request ${e.requestId} started twice`);
      started.add(e.requestId as string);
    } else if (e.type === 'turn.started') {
      if (turns.has(e.turnId as string)) failures.push(`turn ${e.turnId} started twice`);
      turns.add(e.turnId as string);
    } else if (e.type === 'request.usage') {
      const prior = last.get(e.requestId as string);
      if (prior?.final && !e.final) continue;
      last.set(e.requestId as string, {
        final: e.final as boolean,
        usage: e.usage as Snapshot['usage'],
        pico: (e.cost as { pico: string | null }).pico,
      });
    }
  }
  let input = 0;
  let output = 0;
  let total = 0;
  let pico = 0n;
  for (const [id, s] of last) {
    if (!started.has(id)) continue;
    input += s.usage.inputTokens;
    output += s.usage.outputTokens;
    total += s.usage.totalTokens;
    if (s.pico !== null) pico += BigInt(s.pico);
  }
  const t = sessionTotals(state);
  if (t.usage.inputTokens !== input || t.usage.outputTokens !== output || t.usage.totalTokens !== total)
    failures.push(
      `session totals ${t.usage.inputTokens}/${t.usage.outputTokens}/${t.usage.totalTokens} are not the sums of the lines ${input}/${output}/${total}`,
    );
  if (t.cost.knownPico !== pico) failures.push(`session cost ${t.cost.knownPico} is not the sum ${pico}`);
  let turnSum = 0;
  let turnPico = 0n;
  for (const turn of state.turns) {
    const tt = turnTotals(state, turn);
    turnSum += tt.usage.totalTokens;
    turnPico += tt.cost.knownPico;
  }
  for (const id of state.sessionRequestIds) {
    const r = state.requests.get(id);
    if (r?.usage) {
      turnSum += r.usage.totalTokens;
      turnPico += r.costPico ?? 0n;
    }
  }
  if (turnSum !== t.usage.totalTokens || turnPico !== t.cost.knownPico)
    failures.push(
      `the turns add up to ${turnSum} tokens / ${turnPico} pico, the session to ${t.usage.totalTokens}`,
    );
  for (const v of [t.usage.inputTokens, t.usage.outputTokens, t.usage.totalTokens])
    if (!Number.isFinite(v) || v < 0) failures.push(`a total is ${v}`);
  return { failures, lost };
}

/** A failed run's reason: its JSON `error`, else its last line on stderr. */
function whyFailed(out: RunOutcome): string {
  try {
    const j = JSON.parse(out.stdout) as { error?: string; status?: string };
    if (j.error) return `${j.status}: ${j.error}`;
  } catch {
    // not JSON: the run failed before its turn
  }
  return out.stderr.trim().split('\n').pop() ?? '';
}

function promptFor(random: () => number): string {
  const tools = 1 + Math.floor(random() * 3);
  const slow = 3 + Math.floor(random() * 6);
  const extra = random() < 0.3 ? ' [[think:6]]' : random() < 0.3 ? ' [[long:30]]' : '';
  return `Look around the workspace [[tools:${tools}]] [[slow:${slow}]]${extra}`;
}

async function runWorker(w: Worker, kills: number, chainLength: number): Promise<void> {
  const { result } = w;
  let sessionId: string | null = null;
  let provider = PROVIDERS[0]!;
  let previous: Buffer | null = null;
  let killsInChain = 0;
  let killsLeft = kills;
  const known = new Set<string>();
  const store = await SessionStore.open(w.storage);
  const fail = (msg: string) => {
    result.failures.push(msg);
    w.log(`FAIL ${msg}`);
  };

  while (killsLeft > 0 || sessionId !== null) {
    const finishing = killsInChain >= chainLength || killsLeft === 0;
    if (sessionId === null) {
      provider = PROVIDERS[Math.floor(w.random() * PROVIDERS.length)]!;
      previous = null;
    }
    const args = [
      'run',
      '--storage',
      w.storage,
      '--workspace',
      w.workspace,
      '--provider',
      provider.kind,
      '--model',
      provider.model,
      '--base-url',
      provider.url(w.mock),
      '--json',
      ...(sessionId ? ['--session', sessionId] : []),
      promptFor(w.random),
    ];
    const kill = finishing
      ? null
      : w.random() < 0.75
        ? { afterAck: 1 + Math.floor(w.random() * 24), extraMs: Math.floor(w.random() * 12) }
        : { atMs: 100 + Math.floor(w.random() * 1500) };
    const out = await runChild(w, args, kill);
    result.runs++;
    result.acked += out.acks.length;
    if (out.killed) {
      result.kills++;
      killsLeft--;
      killsInChain++;
    } else if (out.code !== 0) {
      fail(`run ${result.runs} (${provider.kind}) exited ${out.code}: ${whyFailed(out)}`);
    }

    // Which session: the one we continue, or the one this run created (its ack, else its file).
    if (sessionId === null) {
      sessionId = out.acks.find((a) => a.type === 'session.created')?.id ?? null;
      if (sessionId === null) {
        for (const name of await fs.readdir(join(w.storage, 'sessions'))) {
          if (name.endsWith('.jsonl') && !known.has(name.slice(0, -6))) sessionId = name.slice(0, -6);
        }
      }
      if (sessionId === null) continue; // killed before the session's file existed
      known.add(sessionId);
    }
    const file = join(w.storage, 'sessions', `${sessionId}.jsonl`);
    const bytes = await fs.readFile(file).catch(() => Buffer.alloc(0));
    if (bytes.lastIndexOf(0x0a) < 0 && out.acks.length === 0) {
      // Killed at birth, before its first line was whole: nothing was acknowledged. Start anew.
      await fs.rm(file, { force: true });
      known.delete(sessionId);
      sessionId = null;
      continue;
    }
    const loaded = await store.load(sessionId);
    if (!loaded) {
      fail(`session ${sessionId} does not load after run ${result.runs}`);
      sessionId = null;
      continue;
    }
    result.sessionsLoaded++;
    for (const p of loaded.problems) {
      if (p.kind === 'torn-tail' && p.keptAt) result.tornKeptAside++;
      else fail(`session ${sessionId}: ${p.kind}: ${p.message}`);
    }
    const s = loaded.state;
    const { failures, lost } = checkSession(s, bytes, out.acks, previous);
    result.ackedLost += lost;
    for (const f of failures) fail(`run ${result.runs}, session ${sessionId}: ${f}`);
    // Closed on open: the turn.ended acknowledged before this run's own turn started.
    const firstTurn = out.acks.findIndex((a) => a.type === 'turn.started');
    result.danglingClosed += out.acks
      .slice(0, firstTurn < 0 ? out.acks.length : firstTurn)
      .filter((a) => a.type === 'turn.ended').length;

    // This run's turn: the one whose turn.started it acknowledged (a continuation got past open).
    const ownTurn = out.acks.find((a) => a.type === 'turn.started')?.id;
    if (ownTurn) {
      const own = s.turnsById.get(ownTurn)!;
      const older = [...s.requests.values()].filter((r) => !own.requestIds.includes(r.requestId));
      const firstOwn = Math.min(...own.requestIds.map((id) => s.requests.get(id)!.seq));
      for (const r of older) {
        if (r.status === 'streaming')
          fail(`run ${result.runs}: request ${r.requestId} of a dead run left open`);
        if (own.requestIds.length && r.seq > firstOwn)
          fail(`run ${result.runs}: request ${r.requestId} of an older turn comes after the new ones`);
      }
      for (const t of s.turns) {
        if (t.turnId !== ownTurn && t.status === 'running')
          fail(`run ${result.runs}: turn ${t.turnId} of a dead run left running`);
      }
    }
    if (!out.killed) {
      // A finished run: everything is closed, and its turn completed.
      const running = s.turns.filter((t) => t.status === 'running').length;
      if (running) fail(`run ${result.runs}: ${running} turns still running after a finished run`);
      if (out.code === 0 && ownTurn && s.turnsById.get(ownTurn)?.status !== 'completed')
        fail(`run ${result.runs}: its turn did not complete`);
    }
    previous = completeLines(bytes).prefix;
    if (finishing && !out.killed) {
      sessionId = null;
      killsInChain = 0;
    }
    if (result.runs % 25 === 0)
      w.log(`${result.kills} kills, ${result.runs} runs, ${result.failures.length} failures so far`);
  }

  // Every session of the folder loads through the list, and only torn tails were ever reported.
  const list = await store.list();
  result.sessions += list.sessions.length;
  for (const p of list.problems) if (p.kind !== 'torn-tail') fail(`list: ${p.kind}: ${p.message}`);
  await store.close();
}

/** Runs the harness; never throws for a failed check (see `failures`). */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const result: ChaosResult = {
    seed: o.seed,
    kills: 0,
    runs: 0,
    sessionsLoaded: 0,
    sessions: 0,
    ackedLost: 0,
    acked: 0,
    tornKeptAside: 0,
    danglingClosed: 0,
    seconds: 0,
    failures: [],
  };
  const root = await fs.mkdtemp(join(tmpdir(), 'tally-chaos-'));
  const mock = await startMockProvider({ port: 0, host: '127.0.0.1', chunkDelayMs: 5 });
  try {
    const entry = await cliEntry();
    const workers = Math.max(1, o.workers ?? 1);
    const seeds = rng(o.seed);
    await Promise.all(
      Array.from({ length: workers }, async (_, i) => {
        const dir = join(root, `w${i}`);
        const workspace = join(dir, 'ws');
        await fs.mkdir(workspace, { recursive: true });
        await fs.writeFile(join(workspace, 'notes.md'), '# Notes\nThe answer is 42.\n');
        await fs.writeFile(join(workspace, 'main.ts'), 'export const x = 1;\n');
        const share = Math.floor(o.kills / workers) + (i < o.kills % workers ? 1 : 0);
        const w: Worker = {
          storage: join(dir, 'storage'),
          workspace,
          entry,
          mock,
          random: rng(Math.floor(seeds() * 2 ** 32)),
          result,
          log,
        };
        await runWorker(w, share, o.chain ?? 10);
      }),
    );
  } finally {
    await mock.close();
    await fs.rm(root, { recursive: true, force: true });
  }
  result.seconds = Math.round((performance.now() - started) / 100) / 10;
  return result;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

if (require.main === module) {
  const seed = arg('seed', Date.now() % 2 ** 31);
  const kills = arg('kills', 1000);
  const workers = arg('workers', 2);
  console.log(`chaos: ${kills} kills, seed ${seed}, ${workers} workers`);
  runChaos({ kills, seed, workers, chain: arg('chain', 10), log: (l) => console.log(`  ${l}`) }).then(
    (r) => {
      console.log('');
      console.log(`kills:                          ${r.kills}`);
      console.log(`runs (kills + finished runs):   ${r.runs}`);
      console.log(
        `sessions loaded:                ${r.sessionsLoaded} (after every run; ${r.sessions} sessions at the end)`,
      );
      console.log(`acknowledged appends checked:   ${r.acked}`);
      console.log(`acknowledged requests lost:     ${r.ackedLost}`);
      console.log(`torn tails kept aside:          ${r.tornKeptAside}`);
      console.log(`dangling turns closed on open:  ${r.danglingClosed}`);
      console.log(`seconds:                        ${r.seconds}`);
      console.log(`seed:                           ${r.seed}`);
      if (r.failures.length) {
        console.log(`\n${r.failures.length} FAILED CHECKS:`);
        for (const f of r.failures.slice(0, 50)) console.log(`  ${f}`);
      }
      process.exitCode = r.failures.length || r.ackedLost ? 1 : 0;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
