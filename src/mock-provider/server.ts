/**
 * The mock model server: one HTTP server on a loopback address that speaks every provider's
 * streaming wire format, plays queued scripts or the demo agent, and logs what it reported.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { demoScript } from './demo';
import { BASE_PATHS, formatForPath } from './formats';
import { BadRequestError } from './json';
import { parseMagic } from './magic';
import type { HttpError, ParsedRequest, Plan, RenderContext, WireFormat } from './plan';
import { SSE_HEADERS, sendUnary, streamFrames } from './runner';
import {
  type MockLogEntry,
  type MockProvider,
  type MockProviderOptions,
  PROVIDER_IDS,
  type ProviderId,
  type Script,
  type ScriptInput,
  scriptSchema,
} from './types';
import { outputOf, PromptCache } from './usage';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const enqueueBodySchema = z
  .object({
    provider: z.enum([...PROVIDER_IDS, 'any']),
    script: scriptSchema.optional(),
    scripts: z.array(scriptSchema).optional(),
  })
  .refine((b) => (b.script === undefined) !== (b.scripts === undefined), {
    message: 'give either script or scripts',
  });

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function lastRole(req: ParsedRequest): string {
  return req.messages.at(-1)?.role ?? 'none';
}

export class MockProviderServer {
  private readonly queues = new Map<ProviderId | 'any', Script[]>();
  private readonly entries: MockLogEntry[] = [];
  private readonly promptCache = new PromptCache();
  private readonly items = new Map<string, unknown>();
  private readonly seenBodies = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private seq = 0;

  constructor(private readonly chunkDelayMs: number) {}

  get log(): readonly MockLogEntry[] {
    return this.entries;
  }

  enqueue(provider: ProviderId | 'any', script: ScriptInput): void {
    const parsed = scriptSchema.parse(script);
    const queue = this.queues.get(provider) ?? [];
    queue.push(parsed);
    this.queues.set(provider, queue);
  }

  reset(): void {
    this.queues.clear();
    this.entries.length = 0;
    this.promptCache.clear();
    this.items.clear();
    this.seenBodies.clear();
  }

  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const work = this.route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: 'mock_error' } });
      else res.destroy();
    });
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock');
    if (url.pathname.startsWith('/_mock/')) return this.control(req, res, url.pathname);
    const format = req.method === 'POST' ? formatForPath(url.pathname) : undefined;
    if (!format) {
      sendJson(res, 404, {
        error: { message: `No route for ${req.method} ${url.pathname}`, type: 'not_found' },
      });
      return;
    }
    return this.serveModel(req, res, format, url.pathname);
  }

  private async control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/_mock/log') return sendJson(res, 200, this.entries);
    if (req.method === 'GET' && path === '/_mock/health') return sendJson(res, 200, { ok: true });
    if (req.method === 'POST' && path === '/_mock/reset') {
      await readBody(req);
      this.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'POST' && path === '/_mock/script') {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return sendJson(res, 400, { error: { message: 'body is not JSON' } });
      }
      const parsed = enqueueBodySchema.safeParse(body);
      if (!parsed.success) return sendJson(res, 400, { error: { message: z.prettifyError(parsed.error) } });
      const scripts = parsed.data.scripts ?? (parsed.data.script ? [parsed.data.script] : []);
      for (const s of scripts) this.enqueue(parsed.data.provider, s);
      return sendJson(res, 200, { queued: scripts.length });
    }
    sendJson(res, 404, { error: { message: `No control route ${req.method} ${path}` } });
  }

  private nextScript(provider: ProviderId): Script | undefined {
    return this.queues.get(provider)?.shift() ?? this.queues.get('any')?.shift();
  }

  private sendHttpError(res: ServerResponse, entry: MockLogEntry, error: HttpError): void {
    entry.status = error.status;
    entry.outcome = 'http-error';
    entry.error = { status: error.status, body: error.body };
    sendJson(res, error.status, error.body, error.headers);
  }

  private async serveModel(
    req: IncomingMessage,
    res: ServerResponse,
    format: WireFormat,
    path: string,
  ): Promise<void> {
    const text = await readBody(req);
    this.seq++;
    const responseKey = `mock${String(this.seq).padStart(4, '0')}`;
    const entry: MockLogEntry = {
      seq: this.seq,
      id: format.responseId(responseKey),
      provider: format.provider,
      model: '',
      method: req.method ?? 'POST',
      path: req.url ?? path,
      status: 0,
      outcome: 'pending',
      source: 'demo',
      startedAt: Date.now(),
      usageReports: [],
      request: { messages: 0, tools: [], lastRole: 'none', body: undefined },
    };
    this.entries.push(entry);
    try {
      await this.serveParsed(res, format, path, text, entry, responseKey);
    } finally {
      entry.endedAt = Date.now();
    }
  }

  private async serveParsed(
    res: ServerResponse,
    format: WireFormat,
    path: string,
    text: string,
    entry: MockLogEntry,
    responseKey: string,
  ): Promise<void> {
    let parsed: ParsedRequest;
    try {
      const body: unknown = JSON.parse(text);
      entry.request.body = body;
      parsed = format.parseRequest(body, path, this.items);
    } catch (error) {
      const message =
        error instanceof BadRequestError
          ? error.message
          : 'We could not parse the JSON body of your request.';
      return this.sendHttpError(res, entry, format.httpError(400, { message, model: '' }));
    }
    entry.model = parsed.model;
    entry.request = {
      messages: parsed.messages.length,
      tools: parsed.tools.map((t) => t.name),
      lastRole: lastRole(parsed),
      body: entry.request.body,
    };

    const bodyHash = createHash('sha256').update(text).digest('hex');
    const firstAttempt = !this.seenBodies.has(bodyHash);
    this.seenBodies.add(bodyHash);
    const lastUser = [...parsed.messages].reverse().find((m) => m.role === 'user')?.text ?? '';
    const magic = parseMagic(lastUser);
    const queued = this.nextScript(format.provider);
    const script = queued ?? demoScript(parsed, magic, firstAttempt);
    entry.source = queued ? 'script' : 'demo';
    if (!queued && magic.words.length > 0) entry.magic = magic.words;
    // A request refused with an HTTP error never reached the model: it caches nothing.
    const input = this.promptCache.input(parsed, script.error === undefined);

    if (script.error) {
      const e = script.error;
      const error = format.httpError(e.status, {
        message: e.message,
        retryAfter: e.retryAfter,
        model: parsed.model,
      });
      return this.sendHttpError(res, entry, e.body === undefined ? error : { ...error, body: e.body });
    }
    if (script.replay !== undefined) {
      res.writeHead(200, SSE_HEADERS);
      entry.status = 200;
      await new Promise<void>((resolve) => res.end(script.replay, resolve));
      entry.outcome = 'completed';
      return;
    }

    const events = script.events ?? demoScript(parsed, magic, firstAttempt).events ?? [];
    const plan: Plan = {
      model: script.model ?? parsed.model,
      events,
      usage: { ...input, ...outputOf(events), ...script.usage },
      usageMode: script.usageMode,
      cost: script.cost,
      finish: script.finish,
      rawUsage: script.rawUsage,
    };
    entry.plannedUsage = plan.usage;
    if (plan.cost !== undefined && plan.usageMode !== 'none') entry.cost = plan.cost;
    const ctx: RenderContext = {
      responseKey,
      created: Math.floor(Date.now() / 1000),
      includeUsage: parsed.includeUsage,
      rememberItem: (id, item) => this.items.set(id, item),
    };
    if (!parsed.stream) return sendUnary(res, format, plan, ctx, entry);
    await streamFrames(
      res,
      format,
      format.render(plan, ctx),
      entry,
      script.chunkDelayMs ?? this.chunkDelayMs,
    );
  }
}

export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`The mock provider listens on loopback only, not on ${host}`);
  const impl = new MockProviderServer(options.chunkDelayMs ?? 0);
  const server = createServer(impl.handle);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const baseURLs = Object.fromEntries(PROVIDER_IDS.map((p) => [p, url + BASE_PATHS[p]])) as Record<
    ProviderId,
    string
  >;
  return {
    url,
    port,
    baseURLs,
    enqueue: (provider, script) => impl.enqueue(provider, script),
    get log() {
      return impl.log;
    },
    reset: () => impl.reset(),
    settled: () => impl.settled(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
