/**
 * The OpenTelemetry exporter READS the ledger: it never hooks the recording path, so exporting can
 * never slow or block a save. Each pass reads the storage folders' sessions (index first, then only
 * the sessions with requests not yet exported), records every ended request's final usage once,
 * and sends the batch with the OTLP/HTTP exporter (protobuf or JSON). Its position is recorded in
 * `<storage>/otel-export.json` (the exported request ids per session) only once the collector
 * accepted the batch, so a restart resumes where it was and nothing is exported twice.
 *
 * Bounded: a pass takes at most `maxRequestsPerExport` requests; the rest wait in the ledger for
 * the next pass (`pendingRequests`). A failed export counts its points in `droppedPoints`; with
 * delta temporality they are read from the ledger again on the next pass.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type InstrumentType,
  MeterProvider,
  MetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SessionState } from '../ledger/ledger';
import { type Logger, noopLogger } from '../log';
import type { StorageSource } from '../report/collect';
import type { PriceFn } from '../sessions/convert';
import { layoutOf } from '../sessions/layout';
import { readSessionFile } from '../sessions/reader';
import type { SessionSummary } from '../sessions/sessionIndex';
import { SessionStore } from '../sessions/store';
import type { TelemetryConfig } from './config';
import { type ExportedRequest, TallyInstruments } from './instruments';
import { TurnSpans } from './spans';

/** The export position file, beside the session index. */
export const CURSOR_FILE = 'otel-export.json';
/** Held while a pass exports a storage folder, so two exporters (an editor, a CLI) never send the same request. */
export const LOCK_FILE = 'otel-export.lock';
/** A lock older than this was left by a process that died: it is taken over. */
const STALE_LOCK_MS = 5 * 60_000;

/** Takes a storage folder's export lock; false when another live exporter holds it. */
async function takeLock(dir: string): Promise<boolean> {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid} ${new Date().toISOString()}\n`, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      const st = await fs.stat(file).catch(() => null);
      if (st && Date.now() - st.mtimeMs < STALE_LOCK_MS) return false;
      await fs.rm(file, { force: true });
    }
  }
  return false;
}

export interface ExportResult {
  ok: boolean;
  /** Requests exported by this pass. */
  requests: number;
  points: number;
  /** Ended requests left for the next pass (the bound). */
  pending: number;
  /** Spans sent (ended turns and their requests), when spans are on. */
  spans?: number;
  error?: string;
}

export interface ExporterStats {
  exportedRequests: number;
  exportedPoints: number;
  exportedSpans: number;
  pendingRequests: number;
  droppedPoints: number;
  failedExports: number;
  lastError: string | null;
}

/** The `tally.workspace` value: a hash of the folder, or its name when the user allows it. */
export function workspaceAttribute(workspace: string, useName: boolean): string {
  if (useName) return path.basename(workspace.replace(/[\\/]+$/, '')) || workspace;
  return createHash('sha256').update(workspace).digest('hex').slice(0, 16);
}

/** A reader whose collections happen only when a pass asks (never on a timer of its own). */
class PassReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface CursorFile {
  version: 1;
  /** Exported request ids (metrics), per session. */
  sessions: Record<string, string[]>;
  /** Exported turn ids (spans), per session. */
  turns?: Record<string, string[]>;
}

/** Where the export stands in one storage folder. */
interface Cursor {
  requests: Map<string, Set<string>>;
  turns: Map<string, Set<string>>;
}

function idSets(o: unknown): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!o || typeof o !== 'object') return out;
  for (const [id, ids] of Object.entries(o)) {
    if (Array.isArray(ids)) out.set(id, new Set(ids.filter((x): x is string => typeof x === 'string')));
  }
  return out;
}

async function readCursor(dir: string): Promise<Cursor> {
  try {
    const json = JSON.parse(await fs.readFile(path.join(dir, CURSOR_FILE), 'utf8')) as Partial<CursorFile>;
    if (json.version === 1) return { requests: idSets(json.sessions), turns: idSets(json.turns) };
  } catch {
    // No position yet (or an unreadable one): everything ended is exported once.
  }
  return { requests: new Map(), turns: new Map() };
}

async function writeCursor(dir: string, cursor: Cursor): Promise<void> {
  const file = path.join(dir, CURSOR_FILE);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const plain = (m: Map<string, Set<string>>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v]]));
  const body: CursorFile = { version: 1, sessions: plain(cursor.requests), turns: plain(cursor.turns) };
  await fs.writeFile(tmp, `${JSON.stringify(body)}\n`);
  await fs.rename(tmp, file);
}

function merge(into: Map<string, Set<string>>, from: Map<string, Set<string>> | undefined): void {
  for (const [s, ids] of from ?? []) {
    const set = into.get(s) ?? new Set<string>();
    for (const id of ids) set.add(id);
    into.set(s, set);
  }
}

/** Exports new ended requests of some storage folders to an OTLP collector. */
export class LedgerExporter {
  readonly stats: ExporterStats = {
    exportedRequests: 0,
    exportedPoints: 0,
    exportedSpans: 0,
    pendingRequests: 0,
    droppedPoints: 0,
    failedExports: 0,
    lastError: null,
  };
  private readonly provider: MeterProvider;
  private readonly reader: PassReader;
  private readonly instruments: TallyInstruments;
  private readonly spans: TurnSpans | null;
  private readonly logger: Logger;
  /** Recorded into a cumulative state but not yet acknowledged (cumulative temporality only). */
  private readonly unacked = new Map<string, Map<string, Set<string>>>();
  private running: Promise<ExportResult> | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: TelemetryConfig,
    private readonly exporter: PushMetricExporter,
    private readonly sources: () => readonly StorageSource[],
    opts: { logger?: Logger; price?: PriceFn; spanExporter?: SpanExporter } = {},
  ) {
    this.logger = opts.logger ?? noopLogger;
    this.price = opts.price;
    const temporality =
      config.temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
    this.reader = new PassReader({
      aggregationTemporalitySelector: () => temporality,
      // A pass is bounded by maxRequestsPerExport, so its streams are too: never overflow them.
      cardinalitySelector: (_t: InstrumentType) => 1_000_000,
    });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes(config.resource),
      readers: [this.reader],
    });
    this.instruments = new TallyInstruments(this.provider.getMeter('tally'), {
      genAiLatest: config.genAiLatest,
    });
    this.spans = opts.spanExporter ? new TurnSpans(config.resource, opts.spanExporter) : null;
  }

  private readonly price: PriceFn | undefined;

  /** One pass: new ended requests → one export. Never throws; a failure is in the result. */
  exportOnce(): Promise<ExportResult> {
    const run = (this.running ?? Promise.resolve()).then(() => this.pass());
    this.running = run.catch(() => ({ ok: false, requests: 0, points: 0, pending: 0 }));
    return run;
  }

  /** Exports every `intervalMs` in the background (timer unref'd) until `shutdown`. */
  start(intervalMs: number): void {
    if (this.timer) return;
    const tick = () => {
      void this.exportOnce().then((r) => {
        if (!r.ok) this.logger.warn('OpenTelemetry export failed', { error: r.error });
      });
    };
    this.timer = setInterval(tick, Math.max(1000, intervalMs));
    this.timer.unref();
    tick();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.provider.shutdown().catch(() => undefined);
    await this.exporter.shutdown().catch(() => undefined);
    await this.spans?.shutdown();
  }

  private async pass(): Promise<ExportResult> {
    const cumulative = this.config.temporality === 'cumulative';
    const max = this.config.maxRequestsPerExport;
    const batch = new Map<string, Map<string, Set<string>>>(); // dir → session → request ids
    const turnBatch = new Map<string, Map<string, Set<string>>>(); // dir → session → turn ids
    const cursors = new Map<string, Cursor>();
    let requests = 0;
    let spans = 0;
    let points = 0;
    let pending = 0;
    const locked: string[] = [];
    try {
      // Anything left recorded by a pass that threw is dropped: the ledger still has it.
      if (!cumulative) await this.reader.collect();
      this.spans?.discard();
      for (const src of this.sources()) {
        if (!(await takeLock(src.dir))) {
          this.logger.info('another exporter is exporting this storage folder; skipped this time', {
            dir: src.dir,
          });
          continue;
        }
        locked.push(src.dir);
        const cursor = await readCursor(src.dir);
        cursors.set(src.dir, cursor);
        const unacked = this.unacked.get(src.dir);
        const store = await SessionStore.open(src.dir, {
          logger: this.logger,
          ...(this.price ? { price: this.price } : {}),
        });
        let list: Awaited<ReturnType<SessionStore['list']>>;
        try {
          list = await store.list();
        } finally {
          await store.close();
        }
        const workspace = workspaceAttribute(src.workspace, this.config.workspaceName);
        for (const summary of [...list.sessions, ...list.deleted]) {
          const done = cursor.requests.get(summary.sessionId);
          const waiting = unacked?.get(summary.sessionId);
          const turnsDone = cursor.turns.get(summary.sessionId);
          const metricsDone = (done?.size ?? 0) + (waiting?.size ?? 0) >= summary.requests;
          const spansDone = !this.spans || (turnsDone?.size ?? 0) >= summary.turns;
          if (metricsDone && spansDone) continue; // nothing new
          const state = await this.load(src.dir, summary);
          if (!state) continue;
          if (this.spans) {
            for (const t of state.turns) {
              if (t.status === 'running' || turnsDone?.has(t.turnId)) continue;
              // A turn's span goes once every request in it has ended.
              if (t.requestIds.some((id) => state.requests.get(id)?.status === 'streaming')) continue;
              spans += this.spans.addTurn(state, t, workspace);
              addTo(turnBatch, src.dir, summary.sessionId, t.turnId);
            }
          }
          for (const r of state.requests.values()) {
            if (r.status === 'streaming') continue; // not ended: its usage may still change
            if (done?.has(r.requestId) || waiting?.has(r.requestId)) continue;
            if (requests >= max) {
              pending++;
              continue;
            }
            if (r.usage) {
              points += this.instruments.record(toExported(summary.sessionId, workspace, r));
              requests++;
            }
            // A request that ended with no usage at all has nothing to export: it is settled too.
            addTo(batch, src.dir, summary.sessionId, r.requestId);
          }
        }
      }
      this.stats.pendingRequests = pending;
      const hasUnacked = [...this.unacked.values()].some((m) => m.size > 0);
      if (batch.size > 0 || (cumulative && hasUnacked)) {
        const error = await this.send();
        if (error) {
          this.stats.failedExports++;
          this.stats.droppedPoints += points;
          this.stats.lastError = error;
          this.spans?.discard(); // their turns stay unexported too: sent with the next pass
          // Delta: the points are gone from the SDK; the ledger still has them for the next pass.
          if (cumulative)
            for (const [dir, m] of batch)
              for (const [s, ids] of m) for (const id of ids) addTo(this.unacked, dir, s, id);
          return { ok: false, requests: 0, points: 0, pending: pending + requests, error };
        }
        for (const [dir, m] of this.unacked)
          for (const [s, ids] of m) for (const id of ids) addTo(batch, dir, s, id);
        this.unacked.clear();
      }
      // Spans go after the metrics; each side's position moves only when its own export succeeded.
      let spanError: string | null = null;
      if (turnBatch.size > 0 && this.spans) {
        spanError = await this.spans.send();
        if (spanError) {
          this.stats.failedExports++;
          this.stats.lastError = spanError;
          turnBatch.clear();
          spans = 0;
        }
      }
      for (const dir of new Set([...batch.keys(), ...turnBatch.keys()])) {
        const cursor = cursors.get(dir) ?? (await readCursor(dir));
        merge(cursor.requests, batch.get(dir));
        merge(cursor.turns, turnBatch.get(dir));
        await writeCursor(dir, cursor);
      }
      if (spanError) {
        this.stats.exportedRequests += requests;
        this.stats.exportedPoints += points;
        return { ok: false, requests, points, pending, spans: 0, error: spanError };
      }
      this.stats.exportedRequests += requests;
      this.stats.exportedPoints += points;
      this.stats.exportedSpans += spans;
      return { ok: true, requests, points, pending, ...(this.spans ? { spans } : {}) };
    } catch (e) {
      const error = (e as Error).message ?? String(e);
      this.stats.lastError = error;
      this.logger.warn('OpenTelemetry export pass failed', { error });
      return { ok: false, requests: 0, points: 0, pending, error };
    } finally {
      for (const dir of locked) await fs.rm(path.join(dir, LOCK_FILE), { force: true });
    }
  }

  /** Collects what was recorded and sends it; the error text, or null when the collector took it. */
  private async send(): Promise<string | null> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length) this.logger.warn('OpenTelemetry collection errors', { errors: errors.map(String) });
    if (resourceMetrics.scopeMetrics.every((s) => s.metrics.length === 0)) return null;
    return new Promise<string | null>((resolve) => {
      this.exporter.export(resourceMetrics as ResourceMetrics, (r) => {
        resolve(
          r.code === ExportResultCode.SUCCESS
            ? null
            : (r.error?.message ?? 'the collector refused the export'),
        );
      });
    });
  }

  private async load(dir: string, s: SessionSummary): Promise<SessionState | null> {
    const file = path.join(dir, s.file);
    const kind = path.basename(file).startsWith('message-history-') ? 'history' : 'log';
    const r = await readSessionFile(
      { sessionId: s.sessionId, path: file, kind },
      { layout: layoutOf(dir), logger: this.logger, ...(this.price ? { price: this.price } : {}) },
    );
    return r.ok ? r.loaded.state : null;
  }
}

function addTo(m: Map<string, Map<string, Set<string>>>, dir: string, session: string, id: string): void {
  let d = m.get(dir);
  if (!d) {
    d = new Map();
    m.set(dir, d);
  }
  let s = d.get(session);
  if (!s) {
    s = new Set();
    d.set(session, s);
  }
  s.add(id);
}

function toExported(
  sessionId: string,
  workspace: string,
  r: SessionState['requests'] extends Map<string, infer R> ? R : never,
): ExportedRequest {
  return {
    sessionId,
    workspace,
    provider: r.provider,
    model: r.model,
    status: r.status === 'streaming' ? 'interrupted' : r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt ?? null,
    usage: r.usage!,
    costPico: r.costPico,
  };
}

/** The OTLP/HTTP exporter of the configured protocol (the SDK's own, protobuf or JSON). */
export async function otlpExporter(config: TelemetryConfig): Promise<PushMetricExporter> {
  const options = {
    url: config.metricsUrl,
    headers: config.headers,
    timeoutMillis: config.timeoutMs,
  };
  if (config.protocol === 'http/json') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    return new OTLPMetricExporter(options);
  }
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
  return new OTLPMetricExporter(options);
}

/** The OTLP/HTTP span exporter of the configured protocol. */
export async function otlpSpanExporter(config: TelemetryConfig): Promise<SpanExporter> {
  const options = { url: config.tracesUrl, headers: config.headers, timeoutMillis: config.timeoutMs };
  if (config.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(options);
}

/** A ready exporter for `config`: metrics, and spans unless they are off. */
export async function ledgerExporter(
  config: TelemetryConfig,
  sources: () => readonly StorageSource[],
  opts: { logger?: Logger; price?: PriceFn } = {},
): Promise<LedgerExporter> {
  return new LedgerExporter(config, await otlpExporter(config), sources, {
    ...opts,
    ...(config.spans ? { spanExporter: await otlpSpanExporter(config) } : {}),
  });
}

/**
 * Starts the export for the editor: a pass every `intervalMs` over `sources()` (the workspace's
 * storage folder). Returns the exporter (`stats`, `exportOnce`, `shutdown` to dispose).
 */
export async function startTelemetry(
  config: TelemetryConfig,
  sources: () => readonly StorageSource[],
  opts: { logger?: Logger; price?: PriceFn; intervalMs?: number } = {},
): Promise<LedgerExporter> {
  const exporter = await ledgerExporter(config, sources, opts);
  exporter.start(opts.intervalMs ?? 60_000);
  return exporter;
}
