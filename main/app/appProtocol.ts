/**
 * The `app://ferry/` protocol handler: serves the built renderer (dist/renderer) read-only, with the CSP and
 * hardening headers on every response. Pure request → response logic; the shell passes Electron's request and
 * wraps the answer in a `Response`. Only GET, only known file types, never outside the renderer directory.
 */
import { extname, join, relative, resolve, sep } from 'node:path';
import { APP_ENTRY, isAppUrl } from './appOrigin';

/**
 * The response CSP. index.html carries the same policy as a meta tag, except `connect-src`: the browser test
 * harness needs 'self' for its HTTP bridge, the app talks only through the preload, so here it is 'none'.
 * With both present the browser enforces each, so the stricter one wins directive by directive.
 */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': APP_CSP,
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface AppResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | null;
}

export type ResolvedRequest =
  | { readonly ok: true; readonly file: string; readonly contentType: string }
  | { readonly ok: false; readonly status: 404 | 405 };

/** Maps a request to a file under `root`, or refuses it. */
export function resolveAppRequest(method: string, url: string, root: string): ResolvedRequest {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405 };
  if (!isAppUrl(url)) return { ok: false, status: 404 };
  const { pathname } = new URL(url);
  let path: string;
  try {
    path = decodeURIComponent(pathname === '/' ? new URL(APP_ENTRY).pathname : pathname);
  } catch {
    return { ok: false, status: 404 };
  }
  if (path.includes('\0') || path.includes('\\')) return { ok: false, status: 404 };
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.' || s.startsWith('.'))) return { ok: false, status: 404 };
  const base = resolve(root);
  const file = join(base, ...segments);
  const rel = relative(base, file);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) return { ok: false, status: 404 };
  const contentType = CONTENT_TYPES[extname(file).toLowerCase()];
  if (!contentType) return { ok: false, status: 404 };
  return { ok: true, file, contentType };
}

/** Answers one request; `readFile` rejecting (no such file) gives 404. Never rejects. */
export async function serveAppRequest(
  req: { readonly method: string; readonly url: string },
  root: string,
  readFile: (path: string) => Promise<Uint8Array>,
): Promise<AppResponse> {
  const r = resolveAppRequest(req.method, req.url, root);
  const refuse = (status: number): AppResponse => ({
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
    body: null,
  });
  if (!r.ok) return refuse(r.status);
  let body: Uint8Array;
  try {
    body = await readFile(r.file);
  } catch {
    return refuse(404);
  }
  return {
    status: 200,
    headers: { ...SECURITY_HEADERS, 'content-type': r.contentType },
    body: req.method === 'HEAD' ? null : body,
  };
}
