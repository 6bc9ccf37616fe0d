/**
 * `tally export-otel` as a team runs it: the built CLI, configured by the standard OTEL_*
 * variables, sends what `tally run` recorded to a real OTLP/HTTP receiver, and each session's
 * exported sums equal `tally stats --json`; a second run sends nothing; off without TALLY_OTEL=1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockProvider, startMockProvider } from '../../../src/mock-provider';
import { cliEntry } from '../../support/cliBundle';
import { type OtlpReceiver, startOtlpReceiver, sumOf } from './otlpReceiver';

describe('tally export-otel (CLI)', function () {
  this.timeout(90_000);
  let entry = '';
  let mock: MockProvider;
  let receiver: OtlpReceiver;
  let dir: string;

  const tally = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [entry, ...args], {
        env: {
          ...process.env,
          TALLY_LOG: 'warn',
          HOME: dir,
          XDG_CONFIG_HOME: join(dir, 'cfg'),
          XDG_DATA_HOME: join(dir, 'data'),
          TALLY_OTEL: '',
          ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
          ...env,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b) => {
        stdout += b;
      });
      child.stderr.on('data', (b) => {
        stderr += b;
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  before(async () => {
    mock = await startMockProvider();
    entry = await cliEntry();
  });
  after(() => mock.close());
  beforeEach(async () => {
    mock.reset();
    dir = mkdtempSync(join(tmpdir(), 'tally-otel-cli-'));
    mkdirSync(join(dir, 'ws'));
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports what tally run recorded; every sum equals tally stats; a second run sends nothing', async () => {
    const storage = join(dir, 'storage');
    const ids: string[] = [];
    for (const prompt of ['Look around [[tools:2]]', 'Hello [[tools:0]]']) {
      const r = await tally([
        'run',
        '--storage',
        storage,
        '--workspace',
        join(dir, 'ws'),
        '--provider',
        'anthropic',
        '--model',
        'claude-sonnet-4-5',
        '--base-url',
        mock.baseURLs.anthropic,
        '--json',
        prompt,
      ]);
      assert.equal(r.code, 0, r.stderr);
      ids.push(JSON.parse(r.stdout).sessionId);
    }

    const off = await tally(['export-otel', '--storage', storage], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    assert.equal(off.code, 1);
    assert.match(off.stderr, /export is off: set TALLY_OTEL=1/);
    assert.equal(receiver.requests.length, 0);

    const env = {
      TALLY_OTEL: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team-token=abc%20123',
      OTEL_RESOURCE_ATTRIBUTES: 'team=payments,deployment.environment=dev',
    };
    const sent = await tally(['export-otel', '--storage', storage, '--json'], env);
    assert.equal(sent.code, 0, sent.stderr);
    const result = JSON.parse(sent.stdout);
    assert.equal(result.ok, true);
    assert.equal(result.requests, 4);
    assert.equal(result.spans, 6); // two turns, four requests
    assert.equal(receiver.spans.length, 6);
    assert.equal(receiver.requests.length, 1);
    assert.ok(receiver.requests[0]!.contentType.includes('application/x-protobuf'));
    const resource = receiver.requests[0]!.decoded.resourceMetrics[0]!.resource!.attributes!;
    const attr = (k: string) => resource.find((a) => a.key === k)?.value.stringValue;
    assert.equal(attr('team'), 'payments');
    assert.equal(attr('service.name'), 'tally');

    const received = receiver.totals();
    for (const id of ids) {
      const stats = await tally(['stats', id, '--storage', storage, '--json']);
      const s = JSON.parse(stats.stdout);
      const by = (type: string) =>
        sumOf(received, 'tally.token.usage', { 'tally.session.id': id, 'tally.token.type': type }).sum;
      assert.equal(by('input_no_cache'), s.total.inputTokenDetails.noCacheTokens);
      assert.equal(by('cache_read'), s.total.inputTokenDetails.cacheReadTokens);
      assert.equal(by('cache_write'), s.total.inputTokenDetails.cacheWriteTokens);
      assert.equal(by('output_text'), s.total.outputTokenDetails.textTokens);
      assert.equal(by('reasoning'), s.total.outputTokenDetails.reasoningTokens);
      const usd = sumOf(received, 'tally.cost.usage', { 'tally.session.id': id }).sum;
      const [w, f = ''] = (s.total.cost as string).split('.');
      assert.equal(BigInt(Math.round(usd * 1e12)), BigInt(w!) * 10n ** 12n + BigInt(f.padEnd(12, '0')));
    }

    const again = await tally(['export-otel', '--storage', storage, '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).requests, 0);
    assert.equal(receiver.requests.length, 1);

    const grpc = await tally(['export-otel', '--storage', storage], {
      ...env,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    assert.equal(grpc.code, 2);
    assert.match(grpc.stderr, /gRPC is not supported/);
  });

  it('tally run with TALLY_OTEL=1 exports its turn once recorded; a collector that is down is only a warning', async () => {
    const storage = join(dir, 'storage');
    const runArgs = (prompt: string) => [
      'run',
      '--storage',
      storage,
      '--workspace',
      join(dir, 'ws'),
      '--provider',
      'anthropic',
      '--model',
      'claude-sonnet-4-5',
      '--base-url',
      mock.baseURLs.anthropic,
      '--json',
      prompt,
    ];
    const env = {
      TALLY_OTEL: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    };
    const r = await tally(runArgs('Look [[tools:1]]'), env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(receiver.requests.length, 1);
    const tokens = sumOf(receiver.totals(), 'tally.token.usage', { 'tally.session.id': out.sessionId }).sum;
    assert.equal(tokens, out.total.inputTokens + out.total.outputTokens);

    receiver.failNext(1, 400);
    const down = await tally(runArgs('Again [[tools:0]]'), env);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /OpenTelemetry export to .* failed \(kept for the next export\)/);
    const later = await tally(['export-otel', '--storage', storage, '--json'], env);
    assert.equal(JSON.parse(later.stdout).requests, 1);
  });
});
