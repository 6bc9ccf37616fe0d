/**
 * OpenTelemetry export settings: off unless the user turns it on (`TALLY_OTEL=1` in the CLI, the
 * `tally.telemetry.enabled` setting in the editor). The CLI reads the standard variables
 * (OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS, _PROTOCOL, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_SEMCONV_STABILITY_OPT_IN, OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE); the editor
 * passes the same fields from its settings.
 */

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TelemetryConfig {
  /** The OTLP/HTTP metrics URL (`…/v1/metrics`). */
  metricsUrl: string;
  /** The OTLP/HTTP traces URL (`…/v1/traces`). */
  tracesUrl: string;
  /** Spans per turn and per request (default on; `OTEL_TRACES_EXPORTER=none` turns them off). */
  spans: boolean;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  /** Resource attributes (`service.name` defaults to `tally`). */
  resource: Record<string, string>;
  /** Also the newest GenAI token metrics (`gen_ai.client.inference.usage.*`). */
  genAiLatest: boolean;
  /** `tally.workspace` carries the folder's name; otherwise a hash of its path. */
  workspaceName: boolean;
  /** Delta (default: each export carries only the requests it adds) or cumulative. */
  temporality: 'delta' | 'cumulative';
  /** At most this many requests are read into one export (the rest wait for the next). */
  maxRequestsPerExport: number;
  /** Give up on one export after this long. */
  timeoutMs: number;
}

/** A setting that cannot be used; `message` is the one line to show. */
export class TelemetryConfigError extends Error {
  override readonly name = 'TelemetryConfigError';
}

/** `k1=v1,k2=v2` (percent-encoded values), the format of OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES. */
export function parseKeyValues(text: string | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new TelemetryConfigError(`${what}: "${part.trim()}" is not key=value`);
    try {
      out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new TelemetryConfigError(`${what}: "${part.trim()}" has a bad percent-escape`);
    }
  }
  return out;
}

const DEFAULT_ENDPOINT = 'http://localhost:4318';

/** The export settings from fields (the editor's settings, or the environment below). */
export function telemetryConfig(o: {
  endpoint?: string | undefined;
  metricsEndpoint?: string | undefined;
  tracesEndpoint?: string | undefined;
  spans?: boolean | undefined;
  protocol?: string | undefined;
  headers?: Record<string, string> | undefined;
  resource?: Record<string, string> | undefined;
  genAiLatest?: boolean | undefined;
  workspaceName?: boolean | undefined;
  temporality?: string | undefined;
  maxRequestsPerExport?: number | undefined;
  timeoutMs?: number | undefined;
}): TelemetryConfig {
  const protocol = (o.protocol || 'http/protobuf').trim();
  if (protocol === 'grpc')
    throw new TelemetryConfigError('OTLP over gRPC is not supported: use http/protobuf or http/json');
  if (protocol !== 'http/protobuf' && protocol !== 'http/json')
    throw new TelemetryConfigError(`unknown OTLP protocol "${protocol}" (use http/protobuf or http/json)`);
  const base = (o.endpoint || DEFAULT_ENDPOINT).trim();
  const metricsUrl = o.metricsEndpoint?.trim() || `${base.replace(/\/+$/, '')}/v1/metrics`;
  const tracesUrl = o.tracesEndpoint?.trim() || `${base.replace(/\/+$/, '')}/v1/traces`;
  for (const url of [metricsUrl, tracesUrl]) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new TelemetryConfigError(`the OTLP endpoint "${url}" is not an http(s) URL`);
    }
  }
  const temporality = (o.temporality || 'delta').toLowerCase();
  if (temporality !== 'delta' && temporality !== 'cumulative')
    throw new TelemetryConfigError(`temporality must be delta or cumulative (got "${o.temporality}")`);
  return {
    metricsUrl,
    tracesUrl,
    spans: o.spans ?? true,
    protocol,
    headers: o.headers ?? {},
    resource: { 'service.name': 'tally', ...(o.resource ?? {}) },
    genAiLatest: o.genAiLatest ?? false,
    workspaceName: o.workspaceName ?? false,
    temporality,
    maxRequestsPerExport: Math.max(1, Math.floor(o.maxRequestsPerExport ?? 5000)),
    timeoutMs: o.timeoutMs ?? 10_000,
  };
}

/** Whether the user turned the export on in the environment (`TALLY_OTEL=1`). */
export function telemetryEnabledInEnv(env: Record<string, string | undefined>): boolean {
  return /^(1|true|yes|on)$/i.test(env.TALLY_OTEL ?? '');
}

/** The export settings from the standard OpenTelemetry variables. */
export function telemetryConfigFromEnv(env: Record<string, string | undefined>): TelemetryConfig {
  const resource = parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES, 'OTEL_RESOURCE_ATTRIBUTES');
  if (env.OTEL_SERVICE_NAME) resource['service.name'] = env.OTEL_SERVICE_NAME;
  return telemetryConfig({
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    metricsEndpoint: env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    tracesEndpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    spans: !/^none$/i.test(env.OTEL_TRACES_EXPORTER ?? ''),
    protocol: env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL,
    headers: {
      ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...parseKeyValues(env.OTEL_EXPORTER_OTLP_METRICS_HEADERS, 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'),
    },
    resource,
    genAiLatest: (env.OTEL_SEMCONV_STABILITY_OPT_IN ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('gen_ai_latest_experimental'),
    workspaceName: /^(1|true|yes|on)$/i.test(env.TALLY_OTEL_WORKSPACE_NAME ?? ''),
    temporality: env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
    maxRequestsPerExport: env.TALLY_OTEL_MAX_REQUESTS ? Number(env.TALLY_OTEL_MAX_REQUESTS) : undefined,
    timeoutMs: env.OTEL_EXPORTER_OTLP_TIMEOUT ? Number(env.OTEL_EXPORTER_OTLP_TIMEOUT) : undefined,
  });
}

/** The editor's `tally.telemetry.*` settings (everything but `enabled`). */
export interface TelemetrySettings {
  endpoint?: string;
  protocol?: string;
  resourceAttributes?: Record<string, string>;
  includeWorkspaceName?: boolean;
  latestGenAiConventions?: boolean;
}

/**
 * The export settings for the editor: its settings first, the standard variables of the extension
 * host's environment under them (headers, an auth token, only ever from the environment).
 */
export function telemetryConfigFromSettings(
  s: TelemetrySettings,
  env: Record<string, string | undefined> = process.env,
): TelemetryConfig {
  const fromEnv = telemetryConfigFromEnv({
    ...env,
    OTEL_EXPORTER_OTLP_PROTOCOL: s.protocol || env.OTEL_EXPORTER_OTLP_PROTOCOL,
  });
  return telemetryConfig({
    endpoint: s.endpoint || env.OTEL_EXPORTER_OTLP_ENDPOINT,
    metricsEndpoint: s.endpoint ? undefined : env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    tracesEndpoint: s.endpoint ? undefined : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    spans: fromEnv.spans,
    protocol: fromEnv.protocol,
    headers: fromEnv.headers,
    resource: { ...fromEnv.resource, ...(s.resourceAttributes ?? {}) },
    genAiLatest: s.latestGenAiConventions || fromEnv.genAiLatest,
    workspaceName: s.includeWorkspaceName || fromEnv.workspaceName,
    temporality: fromEnv.temporality,
    maxRequestsPerExport: fromEnv.maxRequestsPerExport,
    timeoutMs: fromEnv.timeoutMs,
  });
}
