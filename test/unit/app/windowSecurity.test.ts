/**
 * The window per the Electron security checklist: web preferences, navigation / redirects / window.open /
 * webviews denied, every permission denied, remote requests cancelled, downloads only of the app's own blobs;
 * and the app:// protocol serving the renderer read-only with a CSP at least as strict as index.html's.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_CSP, resolveAppRequest, serveAppRequest } from '../../../main/app/appProtocol';
import { hardenContents, hardenSession, secureWebPreferences } from '../../../main/app/windowSecurity';
import { captureLogger, FakeContents, FakePreventable, FakeSession } from './fakes';

describe('web preferences', () => {
  it('isolate and sandbox the renderer, without Node, with web security and the preload', () => {
    const p = secureWebPreferences('/app/dist/app/preload.cjs', { devTools: false });
    expect(p).toMatchObject({
      preload: '/app/dist/app/preload.cjs',
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
      devTools: false,
    });
    expect(secureWebPreferences('/p', { devTools: true }).devTools).toBe(true);
  });
});

describe('webContents hardening', () => {
  const { logger, entries } = captureLogger();
  const contents = new FakeContents(1);
  hardenContents(contents, logger);

  it('prevents navigation, redirects and sub-frame navigation, logging only the target origin', () => {
    for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      const e = new FakePreventable('https://evil.example/phish?session=s3cr3t');
      contents.emit(event, e, e.url);
      expect(e.prevented, event).toBe(true);
    }
    // Older Electron passes the URL positionally only.
    const positional = new FakePreventable();
    contents.emit('will-navigate', positional, 'app://ferry/other.html');
    expect(positional.prevented).toBe(true);
    const lines = entries.filter((e) => e.msg === 'navigation blocked');
    expect(lines.map((l) => l.fields.to)).toEqual([
      'https://evil.example',
      'https://evil.example',
      'https://evil.example',
      'app://ferry',
    ]);
    expect(JSON.stringify(entries)).not.toContain('s3cr3t');
  });

  it('denies window.open and webviews', () => {
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'app://ferry/index.html' })).toEqual({ action: 'deny' });
    const e = new FakePreventable();
    contents.emit('will-attach-webview', e);
    expect(e.prevented).toBe(true);
  });
});

describe('session hardening', () => {
  const { logger } = captureLogger();
  const session = new FakeSession();
  hardenSession(session, logger);

  it('denies every permission request and check, and device access', () => {
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
      'hid',
    ]) {
      let granted: boolean | null = null;
      session.permissionRequest?.(null, permission, (g) => {
        granted = g;
      });
      expect(granted, permission).toBe(false);
      expect(session.permissionCheck?.(null, permission)).toBe(false);
    }
    expect(session.devicePermission?.({ deviceType: 'usb' })).toBe(false);
  });

  it('cancels every request that is not the app’s own, for all URLs', () => {
    expect(session.beforeRequest?.filter).toEqual({ urls: ['<all_urls>'] });
    const decide = (url: string) => {
      let cancel: boolean | undefined;
      session.beforeRequest?.listener({ url }, (r) => {
        cancel = r.cancel;
      });
      return cancel;
    };
    expect(decide('app://ferry/app.js')).toBe(false);
    expect(decide('blob:app://ferry/1234')).toBe(false);
    expect(decide('https://cdn.example/react.js')).toBe(true);
    expect(decide('file:///etc/shadow')).toBe(true);
    expect(decide('ws://127.0.0.1:9229/')).toBe(true);
  });

  it('lets the page save only blobs it made itself (exported profiles and diagnostics)', () => {
    const download = (url: string) => {
      const e = new FakePreventable();
      let cancelled = false;
      session.downloadListener?.(e, {
        getURL: () => url,
        cancel: () => {
          cancelled = true;
        },
      });
      return e.prevented || cancelled;
    };
    expect(download('blob:app://ferry/9f1e')).toBe(false);
    expect(download('https://evil.example/payload.exe')).toBe(true);
    expect(download('blob:https://evil.example/9f1e')).toBe(true);
    expect(download('data:application/octet-stream;base64,AAAA')).toBe(true);
  });
});

const root = mkdtempSync(join(tmpdir(), 'ferry-protocol-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'renderer'));
writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><title>Ferry</title>');
writeFileSync(join(root, 'renderer', 'app.js'), 'console.log(1)');
writeFileSync(join(root, 'renderer', '.secret.js'), 'no');
writeFileSync(join(root, 'renderer', 'notes.txt'), 'no');
writeFileSync(join(root, 'outside.js'), 'never served');
const rendererDir = join(root, 'renderer');

describe('the app:// protocol', () => {
  const serve = (url: string, method = 'GET') => serveAppRequest({ method, url }, rendererDir, readFile);

  it('serves index.html (also for /) and assets with their type, the CSP and nosniff', async () => {
    for (const url of ['app://ferry/', 'app://ferry/index.html']) {
      const r = await serve(url);
      expect(r.status).toBe(200);
      expect(Buffer.from(r.body!).toString()).toContain('<title>Ferry</title>');
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['content-security-policy']).toBe(APP_CSP);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
    const js = await serve('app://ferry/app.js?v=1#x');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const head = await serve('app://ferry/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('never leaves the renderer directory, serves no dotfiles or unknown types, only GET/HEAD at app://ferry', async () => {
    for (const url of [
      'app://ferry/../outside.js',
      'app://ferry/%2e%2e/outside.js',
      'app://ferry/%2E%2E%2Foutside.js',
      'app://ferry/..%2foutside.js',
      'app://ferry/..%5coutside.js',
      'app://ferry/app.js%00.html',
      'app://ferry/.secret.js',
      'app://ferry/notes.txt',
      'app://ferry/missing.js',
      'app://ferry/%E0%A4%A',
      'app://other/app.js',
      'https://ferry/app.js',
    ]) {
      const r = await serve(url);
      expect(r.status, url).toBe(404);
      expect(r.body, url).toBeNull();
      expect(r.headers['content-security-policy']).toBe(APP_CSP);
    }
    expect((await serve('app://ferry/app.js', 'POST')).status).toBe(405);
    expect(resolveAppRequest('GET', 'app://ferry/a/b/../../app.js', rendererDir)).toEqual({
      ok: true,
      file: join(rendererDir, 'app.js'),
      contentType: 'text/javascript; charset=utf-8',
    });
  });

  it('sends a CSP at least as strict as the renderer’s own meta CSP, directive by directive', () => {
    const parse = (csp: string) =>
      new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((d) => d[0])
          .map(([name, ...sources]) => [name!, new Set(sources)]),
      );
    const html = readFileSync(join(import.meta.dirname, '../../../renderer/index.html'), 'utf8');
    const meta = parse(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)![1]!);
    const header = parse(APP_CSP);
    const fallback = header.get('default-src')!;
    for (const [directive, allowed] of meta) {
      const ours = header.get(directive) ?? fallback;
      for (const source of ours)
        expect(allowed.has(source) || source === "'none'", `${directive} ${source}`).toBe(true);
    }
    expect([...header.get('script-src')!]).toEqual(["'self'"]);
    expect([...header.get('connect-src')!]).toEqual(["'none'"]);
    expect(APP_CSP).not.toMatch(/unsafe-(inline|eval)|\*/);
  });
});
