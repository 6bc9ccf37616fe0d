/** Small guards for reading untrusted JSON request bodies without `any`. */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): JsonRecord {
  return isRecord(value) ? value : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

/** A request the mock cannot understand; answered with the provider's 400 body. */
export class BadRequestError extends Error {}

/** The text of a content value that is a string or an array of `{ text }` parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return asArray(content)
    .map((part) => {
      if (typeof part === 'string') return part;
      const r = asRecord(part);
      if (typeof r.text === 'string') return r.text;
      if (r.content !== undefined) return textOf(r.content);
      return '';
    })
    .join('');
}

/** The strongest Anthropic `cache_control` marker anywhere in a JSON value. */
export function strongestCacheControl(value: unknown): 'none' | '5m' | '1h' {
  let found: 'none' | '5m' | '1h' = 'none';
  const visit = (v: unknown): void => {
    if (found === '1h') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (!isRecord(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'cache_control' && isRecord(x)) found = x.ttl === '1h' ? '1h' : '5m';
      else visit(x);
    }
  };
  visit(value);
  return found;
}
