/**
 * Per-file lifecycle for browser tests: one Chromium per file; per test a scripted host, a harness and a fresh
 * browser context. After each test the page must have logged no error and no CSP violation.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { FerryApi } from '../../../core/api/ipc';
import { type AppPageHandle, launchBrowser, type OpenOptions, openApp } from '../harness/browser';
import { type Harness, startHarness } from '../harness/server';
import { FerryApp } from '../pages/FerryApp';
import { standardHost } from './fixtures';
import { ScriptedFerry, type ScriptedFerryOptions } from './scriptedFerry';

export interface OpenedPage {
  readonly harness: Harness;
  readonly handle: AppPageHandle;
  readonly page: Page;
  readonly app: FerryApp;
}

export interface Opened extends OpenedPage {
  readonly ferry: ScriptedFerry;
}

export interface BrowserSuite {
  /** The app against a fresh scripted host (the UI-level test double). */
  open(host?: ScriptedFerryOptions, opts?: OpenOptions): Promise<Opened>;
  /** The app against any FerryApi (e.g. the real host over the real core); the caller owns the api. */
  openWith(api: FerryApi, opts?: OpenOptions): Promise<OpenedPage>;
}

export function browserSuite(): BrowserSuite {
  let browser: Browser | null = null;
  const cleanups: (() => Promise<void>)[] = [];
  const pages: AppPageHandle[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterEach(async () => {
    const problems = pages.flatMap((p) => p.problems);
    pages.length = 0;
    for (const c of cleanups.splice(0).reverse()) await c();
    expect(problems, 'console errors or CSP violations in the page').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  const openWith = async (api: FerryApi, opts: OpenOptions = {}): Promise<OpenedPage> => {
    if (!browser) throw new Error('browser not launched');
    const harness = await startHarness({ api });
    cleanups.push(() => harness.close());
    const handle = await openApp(browser, harness, opts);
    pages.push(handle);
    cleanups.push(() => handle.close());
    const app = await new FerryApp(handle.page).ready();
    return { harness, handle, page: handle.page, app };
  };

  return {
    openWith,
    async open(host = standardHost(), opts = {}) {
      const ferry = new ScriptedFerry(host);
      cleanups.push(async () => ferry.dispose());
      return { ferry, ...(await openWith(ferry, opts)) };
    },
  };
}
