/**
 * The Electron security checklist for Ferry's window and session: isolated, sandboxed, Node-free renderer with a
 * preload; no navigation, no new windows, no webviews; every permission denied; nothing fetched but the app's own
 * files (and blob:/data: URLs it made); downloads only of what the app itself produced (exported files).
 */
import type { Logger } from '../../core/common/log';
import { isAllowedRequest, isAppUrl } from './appOrigin';
import type { ContentsPort, SessionPort } from './ports';

/** BrowserWindow webPreferences (checklist 2–6, 8, 10). */
export function secureWebPreferences(preload: string, opts: { readonly devTools: boolean }) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: opts.devTools,
  } as const;
}

function origin(url: string | undefined): string {
  if (!url) return '(none)';
  try {
    const u = new URL(url);
    return u.host ? `${u.protocol}//${u.host}` : u.protocol;
  } catch {
    return '(unparseable)';
  }
}

/** Navigation, redirects, sub-frame navigation, window.open and webviews are all refused (checklist 13–15). */
export function hardenContents(contents: ContentsPort, logger: Logger): void {
  const log = logger.child('security');
  for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate'] as const) {
    contents.on(event, (e, positionalUrl) => {
      e.preventDefault();
      log.warn('navigation blocked', { event, to: origin(e.url ?? positionalUrl) });
    });
  }
  contents.on('will-attach-webview', (e) => {
    e.preventDefault();
    log.warn('webview blocked');
  });
  contents.setWindowOpenHandler((details) => {
    log.warn('window.open blocked', { to: origin(details.url) });
    return { action: 'deny' };
  });
}

/** Permissions, device access and remote requests denied for the whole session (checklist 5, 7). */
export function hardenSession(session: SessionPort, logger: Logger): void {
  const log = logger.child('security');
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log.warn('permission request denied', { permission });
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => {
    const allowed = isAllowedRequest(details.url);
    if (!allowed) log.warn('request blocked', { to: origin(details.url) });
    callback({ cancel: !allowed });
  });
  session.on('will-download', (e, item) => {
    const url = item.getURL();
    // Exports are blob: URLs the page made from text the host returned; nothing else may be saved.
    if (url.startsWith('blob:') && isAppUrl(url.slice('blob:'.length))) return;
    e.preventDefault();
    item.cancel();
    log.warn('download blocked', { from: origin(url) });
  });
}
