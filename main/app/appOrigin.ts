/**
 * Where the UI lives: a privileged custom scheme, `app://ferry/`, served from the built renderer (Electron
 * security checklist: prefer a custom protocol over file://). Only pages at this origin may use the Ferry API,
 * and the window may load nothing else.
 */

export const APP_SCHEME = 'app';
export const APP_HOST = 'ferry';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** The privileges registered for the scheme before the app is ready (standard + secure; no CSP bypass). */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: false,
  corsEnabled: false,
  bypassCSP: false,
  allowServiceWorkers: false,
  stream: false,
} as const;

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True for URLs at exactly the app's origin (scheme and host, no port, no credentials). */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  return (
    u !== null &&
    u.protocol === `${APP_SCHEME}:` &&
    u.hostname === APP_HOST &&
    u.port === '' &&
    u.username === '' &&
    u.password === ''
  );
}

/**
 * What the window's session may fetch at all: the app's own files, blob:/data: URLs the app itself made
 * (downloads, inline images) and Chromium's own DevTools pages (development builds). Everything else —
 * http(s), ws, file, other schemes — is cancelled.
 */
export function isAllowedRequest(url: string): boolean {
  if (url.startsWith('data:') || url.startsWith('devtools://')) return true;
  if (url.startsWith('blob:')) return isAppUrl(url.slice('blob:'.length));
  return isAppUrl(url);
}
