/**
 * The MFA modal against the real FerryService (connection manager, sessions, MFA broker, the core's PPP with its
 * typed MFA errors) in this process, over the in-process fake LNS on a clock that runs at 5× real time — no lab,
 * so it runs wherever the browser tests run. The lab version (real SoftEther + FreeRADIUS) is
 * test/interop/mfa-clients.test.ts.
 *   - a wrong code is re-prompted with the core's typed error (message, hint, code), the right one connects;
 *   - a push countdown counts to the host's absolute deadline: a reloaded window shows the same time left;
 *     Cancel ends the connect.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Profile } from '../../core/profile/schema';
import { FerryService } from '../../main/service/api/ferryService';
import { SettingsStore } from '../../main/service/api/settingsStore';
import { ProfileStore } from '../../main/service/profiles/profileStore';
import { managerWorld, PASSWORD, PSK } from '../unit/service/support';
import { FerryApp } from './pages/FerryApp';
import { browserSuite } from './support/suite';

const suite = browserSuite();
const OTP = '246813';
const WRONG = '135792';
const POLL = { timeout: 20_000 };
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The real service over fakes; its clock advances 50 ms every 10 ms of real time. */
async function realService(
  world: Parameters<typeof managerWorld>[0],
): Promise<{ api: FerryService; profile: Profile; names: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-mfa-e2e-'));
  const w = await managerWorld({ network: false, ...world });
  let running = true;
  const ticker = (async () => {
    while (running) {
      await w.clock.advance(50);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const store = new ProfileStore({ userDir: join(dir, 'profiles'), systemDir: null, policyFile: null });
  const api = await FerryService.create({
    store,
    manager: w.manager,
    settings: new SettingsStore(join(dir, 'settings.json')),
    version: 'mfa-e2e',
  });
  const saved = await api.saveProfile(w.profile, { psk: PSK, password: PASSWORD });
  if (saved.type !== 'success') throw new Error(JSON.stringify(saved.error));
  cleanups.push(async () => {
    await api.dispose();
    running = false;
    await ticker;
    rmSync(dir, { recursive: true, force: true });
  });
  return { api, profile: w.profile, names: () => w.profile.name };
}

async function countdownSeconds(app: FerryApp): Promise<number> {
  const [m, s] = ((await app.mfa.countdown.textContent()) ?? '').split(':').map(Number);
  return (m ?? 0) * 60 + (s ?? 0);
}

describe('MFA modal over the real service', () => {
  it('re-prompts a rejected code with the typed error from the core, then connects with the right one', async () => {
    const { api, profile } = await realService({
      methods: ['pap'],
      profile: { mfa: { mode: 'otp-append', separator: ',' }, routing: { mode: 'split', subnets: [] } },
      server: { authOrder: ['pap'], password: `${PASSWORD},${OTP}`, papHangUp: true },
    });
    const { app, harness } = await suite.openWith(api, { timeoutMs: 20_000 });
    await app.list.toggle(profile.name).click();
    await app.mfa.code.waitFor();
    expect(await app.mfa.rejected.count()).toBe(0);
    // The service says the connect waits for the code (not "IKE phase 1", which has not begun).
    await expect
      .poll(() => app.list.status(profile.name).textContent(), POLL)
      .toBe('Waiting for your one-time code');
    await app.mfa.submit(WRONG);
    await app.mfa.rejected.waitFor();
    expect(await app.mfa.rejectedCode.textContent()).toBe('mfa-rejected');
    expect(await app.mfa.rejectedReason.textContent()).toMatch(
      /^the server rejected the password with the one-time code \(the server hung up\) — enter the next code/,
    );
    // The re-prompt is part of the same connect: still on and cancellable, not "failed" with a Connect button.
    await expect
      .poll(() => app.list.status(profile.name).textContent(), POLL)
      .toBe('Waiting for your one-time code');
    expect(await app.list.detail(profile.name).textContent()).toBe('The last code was not accepted');
    expect(await app.list.toggle(profile.name).getAttribute('aria-checked')).toBe('true');
    expect(await app.panel.connectButton.textContent()).toBe('Cancel');
    await app.mfa.submit(OTP);
    await app.mfa.dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => app.list.status(profile.name).textContent(), POLL).toBe('Connected');
    // The codes went to the host as answers and nowhere else on the way back to the page.
    expect(harness.calls.filter((c) => c.method === 'answerMfa').map((c) => c.args[1])).toEqual([WRONG, OTP]);
    const toPage = harness.wire.toPage.join('\n');
    for (const c of [WRONG, OTP]) expect(toPage).not.toMatch(new RegExp(`(?<![0-9])${c}(?![0-9])`));
    expect(toPage).not.toContain(PASSWORD);
  });

  it('a push countdown counts to the deadline, also after a reload; Cancel ends the connect', async () => {
    const { api, profile } = await realService({
      profile: { mfa: { mode: 'push', timeoutSeconds: 90 } },
      lns: { authDelayMs: 100_000_000 },
    });
    const { app, page } = await suite.openWith(api, { timeoutMs: 20_000 });
    await app.list.toggle(profile.name).click();
    await app.mfa.waiting.waitFor();
    const first = await countdownSeconds(app);
    expect(first).toBeGreaterThan(85);
    await new Promise((r) => setTimeout(r, 4000));
    await page.reload();
    const again = await new FerryApp(page).ready();
    await again.mfa.waiting.waitFor();
    // Counted from the host's deadline, not from when this page received the prompt.
    const later = await countdownSeconds(again);
    expect(later).toBeLessThanOrEqual(first - 3);
    expect(later).toBeGreaterThan(first - 15);
    expect(await again.list.status(profile.name).textContent()).toBe('Approve on your device');
    expect(await again.panel.connectButton.textContent()).toBe('Cancel');
    await again.mfa.cancel();
    await again.mfa.dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => again.list.status(profile.name).textContent(), POLL).toBe('Disconnected');
  });
});
