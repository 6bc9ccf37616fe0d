/**
 * The OpenTelemetry export, received by a real OTLP/HTTP receiver that decodes protobuf (with the
 * official definitions) and JSON: every exported sum equals the ledger's (`sessionStats`, what
 * `tally stats` prints) exactly, with interrupted requests, repeated usage updates, a collector
 * that is down for a while, a bounded queue, and a restart that resumes from the saved position.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { type SessionStatsJson, sessionStats } from '../../../src/core/report/stats';
import { SessionStore } from '../../../src/core/sessions/store';
import type { SessionWriter } from '../../../src/core/sessions/writer';
import { type TelemetryConfig, telemetryConfig } from '../../../src/core/telemetry/config';
import {
  CURSOR_FILE,
  LedgerExporter,
  LOCK_FILE,
  ledgerExporter,
  otlpExporter,
  workspaceAttribute,
} from '../../../src/core/telemetry/exporter';
import { cost, tempStorage, usage } from '../sessions/helpers';
import { type OtlpReceiver, type Received, startOtlpReceiver, sumOf } from './otlpReceiver';

const WORKSPACE = '/home/ann/proj';

/** One request: started, input usage (repeated), running updates, the final usage, ended. */
async function request(
  w: SessionWriter,
  turnId: string | undefined,
  requestId: string,
  o: {
    model?: string;
    pico?: bigint | null;
    status?: 'completed' | 'interrupted' | 'failed';
    end?: boolean;
  } = {},
) {
  const model = o.model ?? 'claude-sonnet-4-5';
  await w.append({
    type: 'request.started',
    requestId,
    ...(turnId ? { turnId } : {}),
    provider: 'anthropic',
    model,
    purpose: 'chat',
  });
  const c = cost(o.pico === undefined ? 1_234_567_891n : o.pico);
  // Input first, repeated (a provider that repeats its usage), then growing running counts.
  for (let i = 0; i < 3; i++)
    await w.append({
      type: 'request.usage',
      requestId,
      usage: usage(900, 4000, 100, 0),
      cost: c,
      final: false,
    });
  await w.append({
    type: 'request.usage',
    requestId,
    usage: usage(900, 4000, 100, 40, 10),
    cost: c,
    final: false,
  });
  if (o.end === false) return;
  const final =
    o.status === 'interrupted' ? usage(900, 4000, 100, 55, 0, 'estimated') : usage(900, 4000, 100, 120, 30);
  await w.append({ type: 'request.usage', requestId, usage: final, cost: c, final: true });
  // A stale update after the final one changes nothing (the ledger keeps the final snapshot).
  await w.append({ type: 'request.usage', requestId, usage: usage(1, 1, 1, 1), cost: c, final: false });
  await w.append({ type: 'request.ended', requestId, status: o.status ?? 'completed' });
}

async function fixture(dir: string) {
  const store = await SessionStore.open(dir);
  const a = await store.create({
    title: 'A',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    sessionId: 'sess-a',
  });
  await a.append({ type: 'turn.started', turnId: 't0', index: 0 });
  await a.append({
    type: 'message',
    turnId: 't0',
    message: { role: 'user', content: 'a secret conversation' },
  });
  await request(a, 't0', 'a1');
  await request(a, 't0', 'a2', { model: 'mystery-model', pico: null });
  await a.append({ type: 'turn.ended', turnId: 't0', status: 'completed' });
  await a.append({ type: 'turn.started', turnId: 't1', index: 1 });
  await request(a, 't1', 'a3', { status: 'interrupted', pico: 987_654_321n });
  await a.append({ type: 'turn.ended', turnId: 't1', status: 'interrupted' });
  await a.close();
  const b = await store.create({
    title: 'B',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    sessionId: 'sess-b',
  });
  await b.append({ type: 'turn.started', turnId: 'u0', index: 0 });
  await request(b, 'u0', 'b1', { status: 'failed', pico: 5n });
  await request(b, 'u0', 'b2', { end: false }); // still streaming: not exported yet
  await b.close();
  return store;
}

/** What the ledger says, per session (the stats object `tally stats --json` prints). */
async function ledger(dir: string): Promise<SessionStatsJson[]> {
  const store = await SessionStore.open(dir);
  const out: SessionStatsJson[] = [];
  for (const s of (await store.list()).sessions)
    out.push(sessionStats((await store.load(s.sessionId))!.state, null));
  return out;
}

function picoOfUsd(usd: number): bigint {
  return BigInt(Math.round(usd * 1e12));
}
function picoOf(decimal: string | null): bigint {
  if (decimal === null) return 0n;
  const [w, f = ''] = decimal.split('.');
  return BigInt(w!) * 10n ** 12n + BigInt(f.padEnd(12, '0'));
}

/** Every exported sum equals the ledger's, per session and token class (cost to the pico-dollar). */
function assertSumsEqual(
  received: Received[],
  stats: SessionStatsJson[],
  only?: (r: { requestId: string }) => boolean,
) {
  let input = 0;
  let output = 0;
  let requests = 0;
  for (const s of stats) {
    const reqs = [...s.turns.flatMap((t) => t.requests), ...s.sessionRequests].filter(
      (r) => r.usageKnown && (!only || only(r)),
    );
    const add = (f: (r: (typeof reqs)[number]) => number) => reqs.reduce((a, r) => a + f(r), 0);
    const by = (type: string) =>
      sumOf(received, 'tally.token.usage', { 'tally.session.id': s.sessionId, 'tally.token.type': type }).sum;
    assert.equal(
      by('input_no_cache'),
      add((r) => r.usage.inputTokenDetails.noCacheTokens),
      `${s.sessionId} input_no_cache`,
    );
    assert.equal(
      by('cache_read'),
      add((r) => r.usage.inputTokenDetails.cacheReadTokens),
      `${s.sessionId} cache_read`,
    );
    assert.equal(
      by('cache_write'),
      add((r) => r.usage.inputTokenDetails.cacheWriteTokens),
      `${s.sessionId} cache_write`,
    );
    assert.equal(
      by('output_text'),
      add((r) => r.usage.outputTokenDetails.textTokens),
      `${s.sessionId} output_text`,
    );
    assert.equal(
      by('reasoning'),
      add((r) => r.usage.outputTokenDetails.reasoningTokens),
      `${s.sessionId} reasoning`,
    );
    const cost = sumOf(received, 'tally.cost.usage', { 'tally.session.id': s.sessionId }).sum;
    const known = reqs.reduce((a, r) => a + picoOf(r.cost), 0n);
    assert.equal(picoOfUsd(cost), known, `${s.sessionId} cost`);
    input += add((r) => r.usage.inputTokens);
    output += add((r) => r.usage.outputTokens);
    requests += reqs.length;
  }
  const hIn = sumOf(received, 'gen_ai.client.token.usage', { 'gen_ai.token.type': 'input' });
  const hOut = sumOf(received, 'gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' });
  assert.equal(hIn.sum, input);
  assert.equal(hOut.sum, output);
  assert.equal(hIn.count, requests);
  assert.equal(sumOf(received, 'gen_ai.client.operation.duration').count, requests);
}

describe('OpenTelemetry export', function () {
  this.timeout(30_000);
  let dir: string;
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    dir = await tempStorage();
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const exporterFor = async (config: TelemetryConfig) =>
    new LedgerExporter(config, await otlpExporter(config), () => [{ dir, workspace: WORKSPACE }]);

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: sums equal the ledger's; nothing twice, also after a restart; later requests follow`, async () => {
      const store = await fixture(dir);
      const config = telemetryConfig({ endpoint: receiver.url, protocol, genAiLatest: true });
      const first = await exporterFor(config);
      const r1 = await first.exportOnce();
      assert.equal(r1.ok, true, r1.error);
      assert.equal(r1.requests, 4); // a1, a2, a3 (interrupted), b1 (failed); b2 is still streaming
      assert.equal(receiver.requests.length, 1);
      assert.ok(receiver.requests[0]!.contentType.includes(protocol === 'http/json' ? 'json' : 'protobuf'));
      const stats = await ledger(dir);
      assertSumsEqual(receiver.totals(), stats, (r) => r.requestId !== 'b2');

      // The same exporter again, then a new one (a restart): nothing is sent twice.
      assert.deepEqual(await first.exportOnce(), { ok: true, requests: 0, points: 0, pending: 0 });
      await first.shutdown();
      const second = await exporterFor(config);
      assert.equal((await second.exportOnce()).requests, 0);
      assert.equal(receiver.requests.length, 1);

      // The streaming request ends (reopening the session closes it) and a new turn comes.
      const w = await store.openWriter('sess-b');
      await w.append({ type: 'turn.started', turnId: 'u1', index: 1 });
      await request(w, 'u1', 'b3');
      await w.append({ type: 'turn.ended', turnId: 'u1', status: 'completed' });
      await w.close();
      const r2 = await second.exportOnce();
      assert.equal(r2.ok, true, r2.error);
      assert.equal(r2.requests, 2);
      const all = await ledger(dir);
      assertSumsEqual(receiver.totals(), all);
      // The whole ledger: every session's exported total is its `tally stats` total.
      for (const s of all) {
        const exported = sumOf(receiver.totals(), 'tally.token.usage', {
          'tally.session.id': s.sessionId,
        }).sum;
        assert.equal(exported, s.total.inputTokens + s.total.outputTokens);
      }

      // The newest GenAI token counters (opt-in) add up the same way.
      const totalIn = all.reduce((a, s) => a + s.total.inputTokens, 0);
      assert.equal(sumOf(receiver.totals(), 'gen_ai.client.inference.usage.input_tokens').sum, totalIn);
      assert.equal(
        sumOf(receiver.totals(), 'gen_ai.client.inference.usage.reasoning.output_tokens').sum,
        all.reduce((a, s) => a + s.total.outputTokenDetails.reasoningTokens, 0),
      );
      // Unknown prices are not exported as $0: the mystery model has no cost point at all.
      assert.equal(
        sumOf(receiver.totals(), 'tally.cost.usage', { 'gen_ai.request.model': 'mystery-model' }).count,
        0,
      );
      assert.ok(
        !receiver
          .totals()
          .some(
            (t) => t.name === 'tally.cost.usage' && t.attributes['gen_ai.request.model'] === 'mystery-model',
          ),
      );

      // Attributes: the conventions' names, a hashed workspace, delta temporality; no conversation text.
      const point = receiver.totals().find((t) => t.name === 'gen_ai.client.token.usage')!;
      assert.equal(point.attributes['gen_ai.operation.name'], 'chat');
      assert.equal(point.attributes['gen_ai.provider.name'], 'anthropic');
      assert.equal(point.attributes['tally.workspace'], workspaceAttribute(WORKSPACE, false));
      assert.match(String(point.attributes['tally.workspace']), /^[0-9a-f]{16}$/);
      assert.equal(point.temporality, '1'); // AGGREGATION_TEMPORALITY_DELTA
      for (const r of receiver.requests) assert.ok(!r.body.includes('secret conversation'));
      await second.shutdown();
    });
  }

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: a span per ended turn with a child per request, their usage the ledger's, none twice`, async () => {
      const store = await fixture(dir);
      const config = telemetryConfig({ endpoint: receiver.url, protocol });
      const first = await ledgerExporter(config, () => [{ dir, workspace: WORKSPACE }]);
      const r1 = await first.exportOnce();
      assert.equal(r1.ok, true, r1.error);
      assert.equal(r1.spans, 5); // turns t0 (a1, a2) and t1 (a3); u0 is still running
      await first.shutdown();
      const roots = receiver.spans.filter((s) => s.name === 'invoke_agent tally');
      assert.deepEqual(roots.map((s) => s.attributes['tally.turn.id']).sort(), ['t0', 't1']);
      for (const root of roots) {
        const children = receiver.spans.filter((s) => s.parentSpanId === root.spanId);
        assert.ok(children.length > 0);
        for (const c of children) {
          assert.equal(c.traceId, root.traceId);
          assert.match(c.name, /^chat /);
          assert.equal(c.attributes['gen_ai.operation.name'], 'chat');
          assert.equal(c.kind, 3); // SPAN_KIND_CLIENT
        }
        const input = children.reduce((a, c) => a + Number(c.attributes['gen_ai.usage.input_tokens']), 0);
        assert.equal(input, root.attributes['gen_ai.usage.input_tokens']);
      }
      const stats = await ledger(dir);
      const a = stats.find((s) => s.sessionId === 'sess-a')!;
      const chat = receiver.spans.filter((s) => s.name.startsWith('chat '));
      assert.equal(
        chat.reduce((x, c) => x + Number(c.attributes['gen_ai.usage.output_tokens']), 0),
        a.total.outputTokens,
      );
      assert.ok(!JSON.stringify(receiver.spans).includes('secret conversation'));

      // After a restart nothing is sent twice; the turn that ends later follows.
      const w = await store.openWriter('sess-b');
      await w.append({ type: 'turn.ended', turnId: 'u0', status: 'failed', error: 'boom' });
      await w.close();
      const second = await ledgerExporter(config, () => [{ dir, workspace: WORKSPACE }]);
      const r2 = await second.exportOnce();
      assert.equal(r2.spans, 3); // u0 with b1 and b2
      assert.equal((await second.exportOnce()).spans, 0);
      await second.shutdown();
      const u0 = receiver.spans.find((s) => s.attributes['tally.turn.id'] === 'u0')!;
      assert.equal(u0.status, 2); // STATUS_CODE_ERROR
      assert.equal(receiver.spans.length, 8);
    });
  }

  it('a collector that is down: the export fails, counts its dropped points, and the next pass sends them once', async () => {
    await fixture(dir);
    const exporter = await exporterFor(
      telemetryConfig({ endpoint: receiver.url, protocol: 'http/json', timeoutMs: 5000 }),
    );
    receiver.failNext(1, 400);
    const failed = await exporter.exportOnce();
    assert.equal(failed.ok, false);
    assert.ok(exporter.stats.droppedPoints > 0);
    assert.equal(exporter.stats.failedExports, 1);
    await assert.rejects(fs.stat(join(dir, CURSOR_FILE))); // the position did not move
    const ok = await exporter.exportOnce();
    assert.equal(ok.ok, true, ok.error);
    assert.equal(ok.requests, 4);
    assertSumsEqual(receiver.totals(), await ledger(dir), (r) => r.requestId !== 'b2');
    await exporter.shutdown();
  });

  it('two exporters on one storage folder: the second waits for the first, nothing is sent twice', async () => {
    await fixture(dir);
    const config = telemetryConfig({ endpoint: receiver.url, protocol: 'http/json' });
    const [a, b] = [await exporterFor(config), await exporterFor(config)];
    const [ra, rb] = await Promise.all([a.exportOnce(), b.exportOnce()]);
    assert.equal(ra.requests + rb.requests, 4);
    assert.equal((await a.exportOnce()).requests + (await b.exportOnce()).requests, 0);
    assertSumsEqual(receiver.totals(), await ledger(dir), (r) => r.requestId !== 'b2');
    // A lock left by a process that died long ago is taken over.
    await fs.writeFile(join(dir, LOCK_FILE), '999999\n');
    const old = new Date(Date.now() - 10 * 60_000);
    await fs.utimes(join(dir, LOCK_FILE), old, old);
    assert.equal((await a.exportOnce()).ok, true);
    await assert.rejects(fs.stat(join(dir, LOCK_FILE)));
    await a.shutdown();
    await b.shutdown();
  });

  it('the queue is bounded: a pass takes at most N requests, the rest wait in the ledger', async () => {
    await fixture(dir);
    const exporter = await exporterFor(
      telemetryConfig({
        endpoint: receiver.url,
        protocol: 'http/protobuf',
        maxRequestsPerExport: 1,
        workspaceName: true,
      }),
    );
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await exporter.exportOnce();
      assert.equal(r.ok, true, r.error);
      seen.push(r.requests);
    }
    assert.deepEqual(seen, [1, 1, 1, 1, 0, 0]);
    assertSumsEqual(receiver.totals(), await ledger(dir), (r) => r.requestId !== 'b2');
    assert.equal(receiver.totals()[0]!.attributes['tally.workspace'], 'proj');
    await exporter.shutdown();
  });
});
