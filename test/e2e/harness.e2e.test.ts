import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FerryApi, IPC_METHODS, type IpcResult } from '../../core/api/ipc';
import { launchBrowser, openApp } from './harness/browser';
import { type Harness, startHarness } from './harness/server';
import { standardHost } from './support/fixtures';
import { ScriptedFerry } from './support/scriptedFerry';

let browser: Browser;
let ferry: ScriptedFerry;
let harness: Harness;
/** Methods that reached the implementation. */
const reached: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  ferry = new ScriptedFerry(standardHost());
  // The harness takes any FerryApi: here the scripted host behind a proxy that records what gets through.
  const api = new Proxy(ferry, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || prop === 'on') return v;
      return (...args: unknown[]) => {
        reached.push(String(prop));
        if (prop === 'exportDiagnostics') throw new Error('boom with internal detail');
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as FerryApi;
  harness = await startHarness({ api });
});

afterAll(async () => {
  await browser.close();
  await harness.close();
  ferry.dispose();
});

type Win = { ferry: FerryApi & Record<string, unknown> };

describe('harness bridge', () => {
  it('exposes window.ferry with exactly the FerryApi shape, frozen', async () => {
    const { page, close } = await openApp(browser, harness);
    const shape = await page.evaluate(() => {
      const f = (window as unknown as Win).ferry;
      const before = f;
      try {
        (window as unknown as { ferry: unknown }).ferry = {};
      } catch {
        // strict-mode assignment to a read-only property
      }
      return {
        keys: Object.keys(f).sort(),
        allFunctions: Object.values(f).every((v) => typeof v === 'function'),
        frozen: Object.isFrozen(f),
        replaced: (window as unknown as Win).ferry !== before,
      };
    });
    expect(shape).toEqual({
      keys: [...IPC_METHODS, 'on'].sort(),
      allFunctions: true,
      frozen: true,
      replaced: false,
    });
    await close();
  });

  it('validates arguments with ipcArgs before the implementation runs', async () => {
    const { page, close } = await openApp(browser, harness);
    await page.locator('.app').waitFor();
    reached.length = 0;
    const results = await page.evaluate(async () => {
      const f = (window as unknown as Win).ferry as unknown as Record<
        string,
        (...a: unknown[]) => Promise<IpcResult<unknown>>
      >;
      return [
        await f.connect!('NOT A VALID ID'),
        await f.answerMfa!('mfa-1', '12ab56'),
        await f.setSettings!({ theme: 'dark', evil: true }),
        await f.setSecret!('office', 'token', 'x'),
        await f.importCertificate!('office', { format: 'pem', text: 'x', role: 'root' }),
      ];
    });
    for (const r of results) {
      expect(r.type).toBe('error');
      if (r.type === 'error') {
        expect(r.error.code).toBe('invalid-arguments');
        expect(r.error.fields?.length).toBeGreaterThan(0);
      }
    }
    expect(reached).toEqual([]);
    await close();
  });

  it('reports a throwing implementation as an internal error without its text', async () => {
    const { page, close } = await openApp(browser, harness);
    const r = await page.evaluate(() => (window as unknown as Win).ferry.exportDiagnostics('office'));
    expect(r).toEqual({
      type: 'error',
      error: { code: 'internal', message: 'the host failed while handling exportDiagnostics' },
    });
    await close();
  });

  it('delivers events to every listener until it unsubscribes; unknown events are refused', async () => {
    const { page, close } = await openApp(browser, harness);
    await page.locator('.app').waitFor();
    await page.evaluate(() => {
      const w = window as unknown as Win & { seen: string[]; off: () => void };
      w.seen = [];
      w.ferry.on('log', (e) => w.seen.push(`a:${e.msg}`));
      w.off = w.ferry.on('log', (e) => w.seen.push(`b:${e.msg}`));
    });
    ferry.log('office', 'info', 'test', 'one');
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { seen: string[] }).seen.length))
      .toBe(2);
    await page.evaluate(() => (window as unknown as { off: () => void }).off());
    ferry.log('office', 'info', 'test', 'two');
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { seen: string[] }).seen))
      .toEqual(['a:one', 'b:one', 'a:two']);
    const refused = await page.evaluate(() => {
      try {
        (window as unknown as { ferry: { on(e: string, l: () => void): void } }).ferry.on('bogus', () => {});
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(refused).toBe('unknown Ferry event "bogus"');
    await close();
  });

  it('refuses unknown methods, wrong methods and content types, cross-origin calls and path traversal', async () => {
    const origin = new URL(harness.url).origin;
    const post = (path: string, init: { origin?: string; type?: string; body?: string } = {}) =>
      fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { origin: init.origin ?? origin, 'content-type': init.type ?? 'application/json' },
        body: init.body ?? '[]',
      });
    expect((await post('/ipc/launchMissiles')).status).toBe(404);
    expect((await post('/ipc/snapshot', { type: 'text/plain' })).status).toBe(415);
    expect((await post('/ipc/snapshot', { body: '{not json' })).status).toBe(400);
    expect((await post('/ipc/snapshot', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await fetch(`${origin}/ipc/snapshot`)).status).toBe(405);
    // Dot segments are resolved by URL parsing; encoded slashes reach the file check, which refuses them.
    expect((await fetch(`${origin}/..%2f..%2fpackage.json`)).status).toBe(403);
    expect((await fetch(`${origin}/../../package.json`)).status).toBe(404);
    const ok = await post('/ipc/snapshot');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as IpcResult<unknown>).type).toBe('success');
    const page = await fetch(harness.url);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
