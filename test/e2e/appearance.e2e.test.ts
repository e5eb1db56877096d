import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { standardHost } from './support/fixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const POLL = { timeout: 5000 };
const SCREENSHOT_DIR = join(import.meta.dirname, '../../dist/e2e-screenshots');
mkdirSync(SCREENSHOT_DIR, { recursive: true });

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

/** Every scroll container (and the window) whose content is wider than its box. */
function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const boxes = ['html', 'body', '#root', '.app', '.sidebar', '.profile-nav', '.content', 'dialog[open]'];
    const out: string[] = [];
    for (const sel of boxes)
      for (const el of document.querySelectorAll(sel))
        if (el.scrollWidth > el.clientWidth + 1) out.push(`${sel}: ${el.scrollWidth} > ${el.clientWidth}`);
    if (document.documentElement.scrollWidth > window.innerWidth) out.push('window scrolls sideways');
    return out;
  });
}

describe('appearance', () => {
  it('switches between light and dark from the settings, and "system" follows the OS', async () => {
    const { app, page, ferry } = await suite.open(standardHost(), { colorScheme: 'dark' });
    expect(await app.settings.appliedTheme()).toBe('dark');
    expect(await background(page)).toBe('rgb(14, 18, 23)');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => app.settings.appliedTheme(), POLL).toBe('light');
    expect(await background(page)).toBe('rgb(244, 246, 249)');

    await app.openSettings();
    await app.settings.theme('Dark');
    await expect.poll(() => app.settings.appliedTheme(), POLL).toBe('dark');
    await app.settings.theme('Light');
    await expect.poll(() => app.settings.appliedTheme(), POLL).toBe('light');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await app.settings.appliedTheme()).toBe('light');
    await app.settings.launchAtLogin.check();
    await expect
      .poll(async () => {
        const s = await ferry.snapshot();
        return s.type === 'success' ? s.value.settings : null;
      }, POLL)
      .toEqual({ launchAtLogin: true, theme: 'light' });
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`fits 800×600 without horizontal overflow in every view (${theme})`, async () => {
      const { app, page, ferry } = await suite.open(standardHost({ settings: { theme } }), {
        viewport: { width: 800, height: 600 },
      });
      const shot = async (name: string): Promise<void> => {
        expect(await horizontalOverflow(page), name).toEqual([]);
        await page.screenshot({ path: join(SCREENSHOT_DIR, `${theme}-${name}.png`) });
      };
      await shot('status');

      ferry.sim.script('hq-push', {
        kind: 'fail',
        phase: 'ike-phase1',
        code: 'no-proposal-chosen',
        message: 'the server accepted none of the 6 proposals (it offered AES-128/SHA-1/MODP-1024)',
        hint: 'the server only offers legacy algorithms: enable legacy compatibility in the profile, or ask IT to upgrade it',
      });
      await app.list.toggle('HQ (push)').click();
      await expect.poll(() => app.list.status('HQ (push)').textContent(), POLL).toBe('Failed — IKE phase 1');
      await app.list.select('HQ (push)');
      await shot('failed');

      await app.list.select('Office Berlin');
      await app.list.toggle('Office Berlin').click();
      await expect.poll(() => app.list.status('Office Berlin').textContent(), POLL).toBe('Connected');
      ferry.sim.traffic('office', {
        in: [18_000, 23_500_000],
        out: [9_000, 1_900_000],
        drops: { 'no-route': 12 },
      });
      await shot('connected');
      await app.panel.open('Diagnostics');
      await app.diagnostics.timeline.waitFor();
      await shot('diagnostics');
      await app.panel.open('Edit');
      await app.editor.showAlgorithms();
      await shot('edit');
      await app.editor.choose('Method', 'Certificate');
      await app.page.locator('.content').evaluate((el) => el.scrollTo(0, el.scrollHeight / 4));
      await shot('edit-certificates');
      await app.newProfile();
      await app.editor.save();
      await app.editor.errorSummary.waitFor();
      await shot('new-with-errors');
      await app.openSettings();
      await shot('settings');
      await app.list.toggle('Lab (code)').click();
      await app.mfa.code.waitFor();
      await shot('mfa-code');
      await app.mfa.submit('000000');
      await app.mfa.rejected.waitFor();
      await shot('mfa-rejected');
      await app.mfa.cancel();
      ferry.sim.script('hq-push', { kind: 'connect' });
      await app.list.toggle('HQ (push)').click();
      await app.mfa.waiting.waitFor();
      await shot('mfa-push');
    });
  }
});
