import { describe, expect, it } from 'vitest';
import { standardHost } from './support/fixtures';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const POLL = { timeout: 5000 };
const activeId = (page: import('playwright-core').Page) =>
  page.evaluate(() => document.activeElement?.id ?? '');

describe('MFA prompt', () => {
  it('asks for a code with a numeric, paste-friendly field, re-prompts after a rejection, then connects', async () => {
    const { app, page, ferry } = await suite.open();
    await app.list.select('Lab (code)');
    await app.list.toggle('Lab (code)').click();
    await app.mfa.code.waitFor();
    expect(await app.mfa.dialog.getAttribute('aria-labelledby')).toBe('mfa-title');
    expect(await app.mfa.dialog.getByRole('heading').textContent()).toBe('Enter your verification code');
    expect(await activeId(page)).toBe('mfa-code');
    expect(await app.mfa.code.getAttribute('inputmode')).toBe('numeric');
    expect(await app.mfa.code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await app.mfa.rejected.count()).toBe(0);
    // Behind the modal the list and the header say what the connect waits for, and that it is still running.
    await expect
      .poll(() => app.list.status('Lab (code)').textContent(), POLL)
      .toBe('Waiting for your one-time code');
    expect(await app.list.detail('Lab (code)').count()).toBe(0);
    expect(await app.list.toggle('Lab (code)').getAttribute('aria-checked')).toBe('true');
    expect(await app.panel.connectButton.textContent()).toBe('Cancel');
    // Everything behind the modal is inert: it cannot even take focus.
    const behindTakesFocus = await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('.sidebar .connect-switch');
      el?.focus();
      return document.activeElement === el;
    });
    expect(behindTakesFocus).toBe(false);

    await app.mfa.submit('111111');
    await app.mfa.rejected.waitFor();
    expect(await app.mfa.rejected.textContent()).toContain('That code was not accepted');
    expect(await app.mfa.code.inputValue()).toBe('');
    await expect.poll(() => activeId(page), POLL).toBe('mfa-code');
    // The re-prompt is part of the same connect: still on, still cancellable, and the list says why it asks again.
    expect(await app.list.status('Lab (code)').textContent()).toBe('Waiting for your one-time code');
    expect(await app.list.detail('Lab (code)').textContent()).toBe('The last code was not accepted');
    expect(await app.list.toggle('Lab (code)').getAttribute('aria-checked')).toBe('true');
    expect(await app.panel.connectButton.textContent()).toBe('Cancel');

    // A pasted code with spaces and dashes keeps its digits only, and never more than allowed.
    await page.keyboard.insertText(' 424 242-9 ');
    expect(await app.mfa.code.inputValue()).toBe('424242');
    await app.mfa.verifyButton.click();
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => app.list.status('Lab (code)').textContent(), POLL).toBe('Connected');
    expect(ferry.sim.mfa.otpCodes).toEqual(['111111', '424242']);
  });

  it('checks the length before sending and explains what is missing', async () => {
    const { app, ferry } = await suite.open();
    await app.list.toggle('Lab (code)').click();
    await app.mfa.submit('1234');
    const error = app.mfa.dialog.locator('#mfa-code-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('enter all 6 digits');
    expect(ferry.sim.mfa.otpCodes).toEqual([]);
  });

  it('fails the auth phase after three rejected codes', async () => {
    const { app } = await suite.open();
    await app.list.toggle('Lab (code)').click();
    for (const code of ['000001', '000002', '000003']) {
      await app.mfa.code.waitFor();
      await expect.poll(() => app.mfa.code.isEnabled(), POLL).toBe(true);
      await app.mfa.submit(code);
      if (code !== '000003') await app.mfa.rejected.waitFor();
    }
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    await expect
      .poll(() => app.list.status('Lab (code)').textContent(), POLL)
      .toBe('Failed — PPP authentication');
    expect(await app.list.detail('Lab (code)').textContent()).toContain('authenticator app');
  });

  it('cancels with the Cancel button or Escape, and the connect fails with that reason', async () => {
    const { app, page, ferry } = await suite.open();
    await app.list.toggle('Lab (code)').click();
    await app.mfa.code.waitFor();
    await app.mfa.cancel();
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    await expect
      .poll(() => app.list.detail('Lab (code)').textContent(), POLL)
      .toBe('Connect again when you have your code.');

    await app.list.toggle('Lab (code)').click();
    await app.mfa.code.waitFor();
    await page.keyboard.press('Escape');
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    await expect
      .poll(() => app.list.status('Lab (code)').textContent(), POLL)
      .toBe('Failed — PPP authentication');
    expect(ferry.sim.mfa.current).toBeNull();
  });

  it('counts down until the server gives up on a code', async () => {
    const { app, page } = await suite.open(standardHost({ otp: { expiresInSeconds: 30 } }), {
      fakeClock: true,
    });
    await app.list.toggle('Lab (code)').click();
    await app.mfa.countdown.waitFor();
    expect(await app.mfa.countdown.textContent()).toMatch(/^0:(30|29)$/);
    await page.clock.runFor(12_000);
    await expect.poll(() => app.mfa.countdown.textContent(), POLL).toMatch(/^0:(18|17)$/);
    await page.clock.runFor(20_000);
    await app.mfa.dialog.getByText('The server stopped waiting').waitFor();
    expect(await app.mfa.code.isDisabled()).toBe(true);
    expect(await app.mfa.verifyButton.isDisabled()).toBe(true);
  });

  it('shows "waiting for approval" with a countdown for push, then connects when approved', async () => {
    const { app, page, ferry } = await suite.open(standardHost(), { fakeClock: true });
    await app.list.toggle('HQ (push)').click();
    await app.mfa.waiting.waitFor();
    expect(await app.mfa.dialog.getByRole('heading').textContent()).toBe(
      'Approve the sign-in on your device',
    );
    expect(await app.mfa.code.count()).toBe(0);
    expect(await app.mfa.countdown.textContent()).toMatch(/^0:(45|44)$/);
    // Focus sits on Cancel, the only action.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.clock.runFor(10_000);
    await expect.poll(() => app.mfa.countdown.textContent(), POLL).toMatch(/^0:(35|34)$/);
    expect(await app.list.status('HQ (push)').textContent()).toBe('Approve on your device');
    expect(await app.list.detail('HQ (push)').textContent()).toBe('Step 6 of 9');
    expect(await app.list.toggle('HQ (push)').getAttribute('aria-checked')).toBe('true');

    ferry.sim.mfa.approvePush();
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => app.list.status('HQ (push)').textContent(), POLL).toBe('Connected');
  });

  it('reports a push the server stopped waiting for', async () => {
    const { app, page, ferry } = await suite.open(standardHost(), { fakeClock: true });
    await app.list.toggle('HQ (push)').click();
    await app.mfa.waiting.waitFor();
    await page.clock.runFor(46_000);
    await app.mfa.dialog.getByText('The server stopped waiting').waitFor();
    ferry.sim.mfa.expire();
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    await expect
      .poll(() => app.list.detail('HQ (push)').textContent(), POLL)
      .toBe('Connect again and approve it on your device.');
  });
});
