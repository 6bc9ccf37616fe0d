/**
 * A real OTLP/HTTP metrics receiver for tests, on 127.0.0.1: it decodes protobuf bodies with the
 * official OTLP definitions (the generated protobuf root of @opentelemetry/otlp-transformer 0.52,
 * built from opentelemetry-proto) and JSON bodies as the OTLP/JSON mapping, and adds up what it
 * received: counter sums, histogram sums and counts, per metric name and attribute set.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: the generated protobuf root is untyped JavaScript
const root: any = require('otlp-proto-root/build/src/generated/root.js');
const ExportRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
const ExportResponse = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const TraceResponse = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

/** A span as received (ids as hex, times as nanosecond strings). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: number;
}

interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}
interface Point {
  attributes?: KeyValue[];
  asDouble?: number;
  asInt?: string | number;
  sum?: number;
  count?: string | number;
}
interface Metric {
  name: string;
  unit?: string;
  sum?: { dataPoints: Point[]; aggregationTemporality?: number | string; isMonotonic?: boolean };
  histogram?: { dataPoints: Point[]; aggregationTemporality?: number | string };
}
export interface ExportRequestJson {
  resourceMetrics: { resource?: { attributes?: KeyValue[] }; scopeMetrics: { metrics: Metric[] }[] }[];
}

/** What arrived for one metric and attribute set. */
export interface Received {
  name: string;
  attributes: Record<string, string | number | boolean>;
  /** Counter: the sum of its points; histogram: the sum of its points' sums. */
  sum: number;
  /** Histogram: the number of values recorded. */
  count: number;
  temporality: string;
}

export interface OtlpReceiver {
  url: string;
  /** Every export request received, decoded, with its content type and raw body. */
  requests: { contentType: string; body: Buffer; decoded: ExportRequestJson }[];
  /** Every span received, from either encoding. */
  spans: ReceivedSpan[];
  /** Answer the next `n` exports with this HTTP status (a collector that is down). */
  failNext(n: number, status?: number): void;
  /** Received points, added up per metric and attribute set. */
  totals(): Received[];
  close(): Promise<void>;
}

function attrValue(v: KeyValue['value']): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue ?? '';
}

/** Span ids arrive as bytes (protobuf, decoded to base64 here) or hex (OTLP/JSON). */
function hexId(v: unknown): string {
  if (typeof v !== 'string' || v === '') return '';
  return /^[0-9a-f]+$/i.test(v) && (v.length === 16 || v.length === 32)
    ? v.toLowerCase()
    : Buffer.from(v, 'base64').toString('hex');
}

function collectSpans(decoded: unknown, out: ReceivedSpan[]): void {
  // biome-ignore lint/suspicious/noExplicitAny: decoded OTLP, checked by the tests that read it
  for (const rs of (decoded as any).resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const sp of ss.spans ?? []) {
        const attributes: ReceivedSpan['attributes'] = {};
        for (const kv of (sp.attributes ?? []) as KeyValue[]) attributes[kv.key] = attrValue(kv.value);
        out.push({
          traceId: hexId(sp.traceId),
          spanId: hexId(sp.spanId),
          parentSpanId: hexId(sp.parentSpanId),
          name: sp.name,
          kind: Number(sp.kind ?? 0),
          attributes,
          startTimeUnixNano: String(sp.startTimeUnixNano),
          endTimeUnixNano: String(sp.endTimeUnixNano),
          status: Number(sp.status?.code ?? 0),
        });
      }
    }
  }
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = [];
  const spans: ReceivedSpan[] = [];
  let failures = 0;
  let failStatus = 503;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = String(req.headers['content-type'] ?? '');
      if (req.method !== 'POST' || (req.url !== '/v1/metrics' && req.url !== '/v1/traces')) {
        res.writeHead(404).end();
        return;
      }
      if (failures > 0) {
        failures--;
        res.writeHead(failStatus, { 'content-type': 'text/plain' }).end('collector unavailable');
        return;
      }
      if (req.url === '/v1/traces') {
        if (contentType.includes('application/x-protobuf')) {
          const msg = TraceRequest.decode(body);
          collectSpans(
            TraceRequest.toObject(msg, { longs: String, enums: Number, bytes: String, defaults: false }),
            spans,
          );
          res.writeHead(200, { 'content-type': 'application/x-protobuf' });
          res.end(Buffer.from(TraceResponse.encode(TraceResponse.create({})).finish()));
        } else {
          collectSpans(JSON.parse(body.toString('utf8')), spans);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }
        return;
      }
      let decoded: ExportRequestJson;
      if (contentType.includes('application/x-protobuf')) {
        const msg = ExportRequest.decode(body);
        decoded = ExportRequest.toObject(msg, {
          longs: String,
          enums: Number,
          defaults: false,
          arrays: true,
        });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end(Buffer.from(ExportResponse.encode(ExportResponse.create({})).finish()));
      } else if (contentType.includes('application/json')) {
        decoded = JSON.parse(body.toString('utf8')) as ExportRequestJson;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(415).end();
        return;
      }
      requests.push({ contentType, body, decoded });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans,
    failNext(n, status = 503) {
      failures = n;
      failStatus = status;
    },
    totals() {
      const out = new Map<string, Received>();
      for (const r of requests) {
        for (const rm of r.decoded.resourceMetrics ?? []) {
          for (const sm of rm.scopeMetrics ?? []) {
            for (const m of sm.metrics ?? []) {
              const data = m.sum ?? m.histogram;
              if (!data) continue;
              for (const p of data.dataPoints ?? []) {
                const attributes: Received['attributes'] = {};
                for (const kv of p.attributes ?? []) attributes[kv.key] = attrValue(kv.value);
                const key = `${m.name}\u0000${JSON.stringify(Object.entries(attributes).sort())}`;
                let t = out.get(key);
                if (!t) {
                  t = {
                    name: m.name,
                    attributes,
                    sum: 0,
                    count: 0,
                    temporality: String(data.aggregationTemporality),
                  };
                  out.set(key, t);
                }
                if (m.sum) t.sum += p.asDouble ?? Number(p.asInt ?? 0);
                else {
                  t.sum += p.sum ?? 0;
                  t.count += Number(p.count ?? 0);
                }
              }
            }
          }
        }
      }
      return [...out.values()];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The sum of a metric over the points whose attributes include `where`. */
export function sumOf(
  received: readonly Received[],
  name: string,
  where: Record<string, string | number | boolean> = {},
): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  for (const r of received) {
    if (r.name !== name) continue;
    if (!Object.entries(where).every(([k, v]) => r.attributes[k] === v)) continue;
    sum += r.sum;
    count += r.count;
  }
  return { sum, count };
}
