import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_METHODS } from './support/fixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const POLL = { timeout: 5000 };

interface Focused {
  readonly name: string;
  readonly inDialog: boolean;
  readonly outline: string;
}

/** What has focus: its accessible-ish name, whether it is in the modal, and its focus ring. */
function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { name: '(body)', inDialog: false, outline: 'none' };
    const label =
      el.getAttribute('aria-label') ??
      (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null) ??
      el.closest('label')?.textContent;
    const style = getComputedStyle(el);
    return {
      name: (label ?? el.textContent ?? '').trim(),
      inDialog: el.closest('dialog') !== null,
      outline:
        style.outlineStyle === 'none' || style.outlineWidth === '0px'
          ? 'none'
          : `${style.outlineStyle} ${style.outlineWidth}`,
    };
  });
}

/** Presses Tab until the focused element's name is `name`; every stop must show a focus ring. */
async function tabTo(
  page: Page,
  name: string,
  key: 'Tab' | 'Shift+Tab' = 'Tab',
  max = 40,
): Promise<string[]> {
  const visited: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await focused(page);
    visited.push(f.name);
    expect(f.outline, `focus ring on "${f.name}" after ${visited.join(' → ')}`).not.toBe('none');
    if (f.name === name) return visited;
  }
  throw new Error(`never reached "${name}"; visited ${visited.join(' → ')}`);
}

describe('keyboard only', () => {
  it('connects with an MFA code, reads diagnostics and edits, all from the keyboard', async () => {
    const { app, page, ferry } = await suite.open();
    const first = await tabTo(page, 'Skip to main content');
    expect(first).toEqual(['Skip to main content']);
    expect(
      (await page.getByRole('link', { name: 'Skip to main content' }).boundingBox())!.y,
    ).toBeGreaterThanOrEqual(0);

    const path = await tabTo(page, 'Connect Lab (code)');
    expect(path).toEqual([
      'Office BerlinDisconnected',
      'Connect Office Berlin',
      'Lab (code)Disconnected',
      'Connect Lab (code)',
    ]);
    await page.keyboard.press('Space');
    await app.mfa.code.waitFor();
    expect((await focused(page)).name).toBe('Verification code');
    await page.keyboard.type('424242');
    await page.keyboard.press('Enter');
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    // Focus returns to the control that opened the prompt.
    expect((await focused(page)).name).toBe('Connect Lab (code)');
    await expect.poll(() => app.list.status('Lab (code)').textContent(), POLL).toBe('Connected');
    expect(ferry.sim.mfa.otpCodes).toEqual(['424242']);

    // Select the profile, then move through its tabs with the arrow keys.
    await tabTo(page, 'Lab (code)ConnectedIP 10.8.0.23', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => app.panel.title.textContent(), POLL).toBe('Lab (code)');
    await tabTo(page, 'Status');
    await page.keyboard.press('ArrowRight');
    expect((await focused(page)).name).toBe('Diagnostics');
    expect(await app.panel.tab('Diagnostics').getAttribute('aria-selected')).toBe('true');
    await app.diagnostics.timeline.waitFor();
    await page.keyboard.press('ArrowRight');
    expect(await app.panel.tab('Edit').getAttribute('aria-selected')).toBe('true');

    // Into the editor: change the name and save with Enter.
    await tabTo(page, 'Name');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Lab B');
    await page.keyboard.press('Enter');
    await expect.poll(() => app.panel.title.textContent(), POLL).toBe('Lab B');
  });

  it('keeps focus inside the MFA modal and closes it with Escape', async () => {
    const { app, page } = await suite.open();
    await tabTo(page, 'Connect Lab (code)');
    await page.keyboard.press('Enter');
    await app.mfa.code.waitFor();
    const names: string[] = [];
    for (let i = 0; i < 7; i++) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      expect(f.inDialog, `Tab ${i + 1} left the dialog for "${f.name}"`).toBe(true);
      names.push(f.name);
    }
    expect(new Set(names)).toEqual(new Set(['Verification code', 'Cancel', 'Verify']));
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Shift+Tab');
      expect((await focused(page)).inDialog).toBe(true);
    }
    await page.keyboard.press('Escape');
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    expect((await focused(page)).name).toBe('Connect Lab (code)');
  });

  it('creates a profile with the keyboard: radios by arrow keys, checkboxes by Space, Enter to save', async () => {
    const { app, page, ferry } = await suite.open();
    await tabTo(page, 'New profile');
    await page.keyboard.press('Enter');
    await app.editor.form.waitFor();
    await tabTo(page, 'Name');
    await page.keyboard.type('Keyboard');
    await tabTo(page, 'Server');
    await page.keyboard.type('kb.example.com');
    await tabTo(page, 'Pre-shared key');
    await page.keyboard.type('kb-psk');
    await tabTo(page, 'User name');
    await page.keyboard.type('kim');
    await tabTo(page, 'CHAP (MD5)Older challenge-response.');
    await page.keyboard.press('Space');
    // Radio groups: Tab enters the group at the checked option, arrows move the choice.
    await tabTo(page, 'None');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(
      await app.editor
        .group('Second factor (MFA)')
        .getByRole('radio', { name: /One-time code prompt/ })
        .isChecked(),
    ).toBe(true);
    await tabTo(page, 'Server', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => app.panel.title.textContent(), POLL).toBe('Keyboard');
    expect(ferry.profile('keyboard')).toMatchObject({
      server: 'kb.example.com',
      userAuth: { username: 'kim', methods: [...DEFAULT_METHODS, 'chap'] },
      mfa: { mode: 'otp-prompt' },
    });
    expect(ferry.hasSecret('keyboard', 'psk')).toBe(true);
  });
});
