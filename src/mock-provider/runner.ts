/**
 * Writes rendered frames to an HTTP response: SSE framing, delays, stalls, cuts, and the log
 * entry's usage reports as each one actually goes out.
 */
import type { ServerResponse } from 'node:http';
import type { Frame, Plan, RenderContext, WireFormat } from './plan';
import type { MockLogEntry } from './types';

export function encodeFrame(framing: WireFormat['framing'], frame: Frame & { kind: 'data' }): string {
  const json = JSON.stringify(frame.data);
  if (framing === 'data-crlf') return `data: ${json}\r\n\r\n`;
  if (framing === 'event-and-data' && frame.event !== undefined)
    return `event: ${frame.event}\ndata: ${json}\n\n`;
  return `data: ${json}\n\n`;
}

/** Resolves after `ms` (forever when undefined), or as soon as `closed` resolves. */
function wait(ms: number | undefined, closed: Promise<void>): Promise<void> {
  if (ms === undefined) return closed;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void closed.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves once `text` is handed to the socket (or buffered below the high-water mark). */
function write(res: ServerResponse, text: string, flushed: (p: Promise<void>) => void): Promise<void> {
  let ok = true;
  flushed(
    new Promise<void>((resolve) => {
      ok = res.write(text, () => resolve());
    }),
  );
  if (ok) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

export async function streamFrames(
  res: ServerResponse,
  format: WireFormat,
  frames: readonly Frame[],
  entry: MockLogEntry,
  chunkDelayMs: number,
): Promise<void> {
  let gone = false;
  let finished = false;
  const closed = new Promise<void>((resolve) => {
    res.on('close', () => {
      gone = true;
      if (!finished && entry.outcome === 'pending') entry.outcome = 'client-aborted';
      resolve();
    });
  });
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  entry.status = 200;
  let lastFlush: Promise<void> = Promise.resolve();
  const track = (p: Promise<void>): void => {
    lastFlush = p;
  };
  for (const frame of frames) {
    if (gone) break;
    switch (frame.kind) {
      case 'data':
        await write(res, encodeFrame(format.framing, frame), track);
        if (frame.usage && !gone) {
          entry.usageReports.push(frame.usage);
          entry.usage = frame.usage.numbers;
          entry.wireUsage = frame.usage.wire;
        }
        if (frame.streamError) entry.error = { status: 200, body: frame.data };
        if (chunkDelayMs > 0) await wait(chunkDelayMs, closed);
        break;
      case 'text':
        await write(res, frame.text, track);
        break;
      case 'delay':
        await wait(frame.ms, closed);
        break;
      case 'stall':
        await wait(frame.ms, closed);
        break;
      case 'cut':
        entry.outcome = 'cut';
        finished = true;
        // Let what was written reach the client first: a cut MID-stream, not a lost stream.
        await Promise.race([lastFlush, closed]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        res.socket?.destroy();
        await closed;
        return;
    }
  }
  if (gone) return;
  finished = true;
  entry.outcome = 'completed';
  await new Promise<void>((resolve) => res.end(resolve));
}

/**
 * A `stream: false` response: the whole answer as one JSON body. Delays and timed stalls add up
 * before it; a stall without `ms` waits for the client to go away; `cut` drops the connection;
 * `malformed` sends a body that is not JSON; `stream-error` becomes the provider's HTTP error.
 */
export async function sendUnary(
  res: ServerResponse,
  format: WireFormat,
  plan: Plan,
  ctx: RenderContext,
  entry: MockLogEntry,
): Promise<void> {
  const closed = new Promise<void>((resolve) => res.on('close', resolve));
  let gone = false;
  void closed.then(() => {
    gone = true;
    if (entry.outcome === 'pending') entry.outcome = 'client-aborted';
  });
  let malformed: string | undefined;
  for (const e of plan.events) {
    if (gone) return;
    if (e.type === 'delay' || e.type === 'stall') await wait(e.ms, closed);
    else if (e.type === 'malformed') malformed = e.text ?? '{"id": "oops", "unterminated';
    else if (e.type === 'cut') {
      entry.outcome = 'cut';
      res.socket?.destroy();
      return;
    } else if (e.type === 'stream-error') {
      const status = e.kind === 'server' ? 500 : format.provider === 'anthropic' ? 529 : 503;
      const error = format.httpError(status, { message: e.message, model: plan.model });
      entry.status = status;
      entry.outcome = 'http-error';
      entry.error = { status, body: error.body };
      res.writeHead(status, { 'content-type': 'application/json', ...error.headers });
      res.end(JSON.stringify(error.body));
      return;
    }
  }
  if (gone) return;
  const { body, usage } = format.renderJson(plan, ctx);
  const text = malformed ?? JSON.stringify(body);
  entry.status = 200;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  await new Promise<void>((resolve) => res.end(text, resolve));
  if (usage && malformed === undefined) {
    entry.usageReports.push(usage);
    entry.usage = usage.numbers;
    entry.wireUsage = usage.wire;
  }
  entry.outcome = 'completed';
}
