/** OpenTelemetry settings from the standard variables and from the editor's settings. */
import assert from 'node:assert/strict';
import {
  parseKeyValues,
  telemetryConfigFromEnv,
  telemetryConfigFromSettings,
  telemetryEnabledInEnv,
} from '../../../src/core/telemetry/config';

describe('OpenTelemetry configuration', () => {
  it('is off unless TALLY_OTEL says on', () => {
    assert.equal(telemetryEnabledInEnv({}), false);
    assert.equal(telemetryEnabledInEnv({ TALLY_OTEL: '0' }), false);
    assert.equal(telemetryEnabledInEnv({ TALLY_OTEL: '1' }), true);
    assert.equal(telemetryEnabledInEnv({ TALLY_OTEL: 'true' }), true);
  });

  it('reads the standard variables', () => {
    const c = telemetryConfigFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=a%2Cb',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_RESOURCE_ATTRIBUTES: 'team=payments,deployment.environment=prod',
      OTEL_SERVICE_NAME: 'tally-ci',
      OTEL_SEMCONV_STABILITY_OPT_IN: 'http, gen_ai_latest_experimental',
      OTEL_TRACES_EXPORTER: 'none',
    });
    assert.equal(c.metricsUrl, 'https://otel.example.com:4318/v1/metrics');
    assert.equal(c.tracesUrl, 'https://otel.example.com:4318/v1/traces');
    assert.deepEqual(c.headers, { authorization: 'Bearer abc', 'x-team': 'a,b' });
    assert.equal(c.protocol, 'http/json');
    assert.deepEqual(c.resource, {
      'service.name': 'tally-ci',
      team: 'payments',
      'deployment.environment': 'prod',
    });
    assert.equal(c.genAiLatest, true);
    assert.equal(c.spans, false);
    assert.equal(c.temporality, 'delta');
    assert.equal(c.workspaceName, false);
  });

  it('defaults: localhost:4318, protobuf, delta, spans on, hashed workspaces', () => {
    const c = telemetryConfigFromEnv({});
    assert.equal(c.metricsUrl, 'http://localhost:4318/v1/metrics');
    assert.equal(c.protocol, 'http/protobuf');
    assert.equal(c.spans, true);
    assert.equal(c.genAiLatest, false);
    assert.equal(
      telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:1/x' }).metricsUrl,
      'http://m:1/x',
    );
  });

  it('rejects what it cannot do with one clear line', () => {
    assert.throws(
      () => telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
      /gRPC is not supported/,
    );
    assert.throws(() => telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' }), /not an http/);
    assert.throws(() => parseKeyValues('novalue', 'X'), /not key=value/);
    assert.throws(
      () => telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' }),
      /delta or cumulative/,
    );
  });

  it('the editor: settings first, the environment under them, headers only from the environment', () => {
    const c = telemetryConfigFromSettings(
      {
        endpoint: 'http://collector:4318',
        protocol: 'http/json',
        resourceAttributes: { team: 'web' },
        includeWorkspaceName: true,
      },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:1',
        OTEL_EXPORTER_OTLP_HEADERS: 'k=v',
        OTEL_RESOURCE_ATTRIBUTES: 'team=x,env=dev',
      },
    );
    assert.equal(c.metricsUrl, 'http://collector:4318/v1/metrics');
    assert.equal(c.protocol, 'http/json');
    assert.deepEqual(c.headers, { k: 'v' });
    assert.deepEqual(c.resource, { 'service.name': 'tally', team: 'web', env: 'dev' });
    assert.equal(c.workspaceName, true);
    assert.equal(
      telemetryConfigFromSettings({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://e:2' }).metricsUrl,
      'http://e:2/v1/metrics',
    );
  });
});
