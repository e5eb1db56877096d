/** Chromium (Debian's) driven by playwright-core, with the harness bridge injected into every page. */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { bridgeScript, TEST_HOOKS_SCRIPT } from './bridge';
import type { Harness } from './server';

export const CHROMIUM_PATH = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

export interface OpenOptions {
  readonly viewport?: { width: number; height: number };
  readonly colorScheme?: 'light' | 'dark';
  /** Install Playwright's fake clock before the app starts (countdowns). */
  readonly fakeClock?: boolean;
  /** Default timeout of Playwright actions and waits (ms). */
  readonly timeoutMs?: number;
}

export interface AppPageHandle {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors, page errors and CSP violations seen so far. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** A fresh context with the bridge, the app loaded and its first snapshot rendered. */
export async function openApp(
  browser: Browser,
  harness: Harness,
  opts: OpenOptions = {},
): Promise<AppPageHandle> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1100, height: 760 },
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true,
    reducedMotion: 'reduce',
  });
  await context.addInitScript({ content: TEST_HOOKS_SCRIPT });
  await context.addInitScript({ content: await bridgeScript() });
  // Fail fast: the UI answers in milliseconds, a missing element should not cost 30 s.
  context.setDefaultTimeout(opts.timeoutMs ?? 5000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  if (opts.fakeClock) await page.clock.install();
  await page.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  await page.goto(harness.url);
  return {
    context,
    page,
    problems,
    close: () => context.close(),
  };
}
