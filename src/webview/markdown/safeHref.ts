/**
 * The only gate through which model text becomes a link target: absolute http(s) URLs pass
 * (normalized by the URL parser, which also sees through `java\tscript:` tricks); everything
 * else (javascript:, data:, vbscript:, file:, relative paths) is refused and shown as text.
 */
export function safeHref(raw: string): string | null {
  const s = raw.trim();
  if (s === '' || s.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname === '') return null;
  return url.href;
}
