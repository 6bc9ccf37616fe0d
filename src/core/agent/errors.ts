/** Provider errors as one clear line that says what to do, with any secret scrubbed out. */
import { APICallError } from 'ai';
import type { ProviderKind } from '../usage/providers';
import { API_KEY_ENV } from './providers';

/** A message longer than this (a provider quoting a whole request back) is cut. */
const MAX_MESSAGE = 400;

/** Anything that looks like an API key, and the given secrets, become `***`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join('***');
  return out
    .replace(
      /\b(sk-ant-[A-Za-z0-9_-]{6,}|sk-[A-Za-z0-9_-]{12,}|AIza[A-Za-z0-9_-]{20,}|xai-[A-Za-z0-9]{12,})/g,
      '***',
    )
    .replace(/(api[_-]?key["'=:\s]+)[A-Za-z0-9_\-.]{12,}/gi, '$1***');
}

/** The provider's own error message out of its error body (each provider has its own shape). */
function bodyMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const j = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    if (typeof j.error === 'string') return j.error;
    return j.error?.message ?? j.message;
  } catch {
    return body.length > 200 ? `${body.slice(0, 200)}…` : body;
  }
}

export function describeProviderError(
  e: unknown,
  provider: ProviderKind,
  secrets: readonly string[],
): string {
  const cause = unwrap(e);
  let msg: string;
  if (APICallError.isInstance(cause) && cause.statusCode === undefined) {
    const inner = cause.cause as NodeJS.ErrnoException | undefined;
    const why = inner?.code ?? inner?.message ?? cause.message.replace(/^Cannot connect to API:\s*/, '');
    msg = closedCode(cause)
      ? `${provider}: the connection was closed before the answer began (${why}); try again`
      : `${provider}: cannot reach the server (${why}); check the base URL and your connection`;
  } else if (APICallError.isInstance(cause)) {
    const status = cause.statusCode;
    const detail = bodyMessage(cause.responseBody) ?? cause.message;
    const hint =
      status === 401 || status === 403
        ? `the API key was rejected; check ${API_KEY_ENV[provider]} or run "Tally: Set API Key"`
        : status === 429
          ? `rate limited${retryAfterMs(cause) ? `; retry after ${Math.ceil(retryAfterMs(cause)! / 1000)} s` : ''}`
          : status !== undefined && status >= 500
            ? 'the provider had a server error; try again'
            : status === 404
              ? 'check the model name and the base URL'
              : undefined;
    msg = `${provider}: ${status ?? 'error'} ${detail}${hint ? ` (${hint})` : ''}`;
  } else if (cause instanceof Error) {
    const code =
      (cause as NodeJS.ErrnoException).code ?? (cause.cause as NodeJS.ErrnoException | undefined)?.code;
    if (cause.name === 'StallError') msg = `${provider}: the request stalled (${cause.message}); try again`;
    else if (cause.name === 'AI_TypeValidationError' || cause.name === 'AI_JSONParseError') {
      // The SDK's message quotes the whole event and every schema issue: say what it means.
      const what =
        cause.name === 'AI_JSONParseError' ? 'is not JSON' : 'is not in the shape this client reads';
      msg = `${provider}: the server sent a stream event that ${what}; try again, or check the base URL points at a ${provider} API`;
    } else if (
      code === 'ECONNREFUSED' ||
      code === 'ENOTFOUND' ||
      code === 'EAI_AGAIN' ||
      /fetch failed/.test(cause.message)
    ) {
      msg = `${provider}: cannot reach the server${code ? ` (${code})` : ''}; check the base URL and your connection`;
    } else if (code === 'ECONNRESET' || (cause.name === 'TypeError' && /terminated/.test(cause.message))) {
      msg = `${provider}: the connection was lost mid-stream; try again`;
    } else msg = `${provider}: ${cause.message}`;
  } else msg = `${provider}: ${String(cause)}`;
  const line = redact(msg.replace(/\s+/g, ' ').trim(), secrets);
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

function unwrap(e: unknown): unknown {
  let cur = e;
  for (let i = 0; i < 5; i++) {
    const c = cur as { name?: string; lastError?: unknown; cause?: unknown };
    if (c && c.name === 'AI_RetryError' && c.lastError) cur = c.lastError;
    else break;
  }
  return cur;
}

/** Errors of a connection the server (or a proxy) closed, as opposed to one never made. */
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** The code of a connection closed before any response (an idle keep-alive socket the server dropped). */
function closedCode(e: APICallError): string | undefined {
  let inner: unknown = e.cause;
  for (let i = 0; i < 3 && inner; i++) {
    const code = (inner as NodeJS.ErrnoException).code;
    if (code && CLOSED.has(code)) return code;
    inner = (inner as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * True when the call failed before the provider answered: an HTTP error status (401, 429, 5xx…)
 * or a connection that was never made or closed before the response. Such a request was not
 * processed, so it used (and is billed) no tokens.
 */
export function refusedBeforeAnswer(e: unknown): boolean {
  return APICallError.isInstance(unwrap(e));
}

export function isRetryable(e: unknown): boolean {
  const cause = unwrap(e);
  // A connection closed before any response: nothing was answered, so asking again is safe.
  if (APICallError.isInstance(cause) && cause.statusCode === undefined)
    return closedCode(cause) !== undefined;
  if (APICallError.isInstance(cause)) {
    const s = cause.statusCode ?? 0;
    return s === 429 || s === 408 || s === 529 || s >= 500;
  }
  return false;
}

export function retryAfterMs(e: unknown): number | undefined {
  const cause = unwrap(e);
  if (!APICallError.isInstance(cause)) return undefined;
  const h = cause.responseHeaders ?? {};
  const ms = h['retry-after-ms'];
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const s = h['retry-after'];
  if (!s) return undefined;
  if (Number.isFinite(Number(s))) return Number(s) * 1000;
  const date = Date.parse(s);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
